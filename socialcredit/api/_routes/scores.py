"""Scores, explanations and history of one subject, bitemporally (as of / known at)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from socialcredit.accounts import Principal, Role, require

from .._params import Moment, SubjectId, subject_of, times
from . import system_of
from ._reads import PurposeQuery

router = APIRouter(tags=["scores"])

_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)
_AsOf = Annotated[Moment | None, Query(description="Default: now.")]
_KnownAt = Annotated[Moment | None, Query(description="What the ledger knew then; default as_of.")]


@router.get("/subjects/{subject}/score")
def subject_score(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    as_of: _AsOf = None,
    known_at: _KnownAt = None,
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """SUBJECT's score per dimension and in total, and the grade."""
    when, known = times(as_of, known_at)
    found = system_of(request).score(
        principal, subject_of(subject), as_of=when, known_at=known, purpose=purpose
    )
    return found.to_json()


@router.get("/subjects/{subject}/explanation")
def subject_explanation(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    as_of: _AsOf = None,
    known_at: _KnownAt = None,
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """Every record's contribution, the top reasons, the way up and when records expire."""
    when, known = times(as_of, known_at)
    found = system_of(request).explain(
        principal, subject_of(subject), as_of=when, known_at=known, purpose=purpose
    )
    return found.to_json()


@router.get("/subjects/{subject}/history")
def subject_history(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    start: Annotated[Moment, Query(alias="from", description="First date.")],
    end: Annotated[Moment | None, Query(alias="to", description="Last date; default now.")] = None,
    every_days: Annotated[int, Query(ge=1, le=3660)] = 30,
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """SUBJECT's score from ``from`` to ``to`` every ``every_days``, each as known then."""
    key = subject_of(subject)
    points = system_of(request).history(
        principal, key, start=start, end=end, every=timedelta(days=every_days), purpose=purpose
    )
    return {
        "subject": {"kind": key[0], "id": key[1]},
        "points": [
            {"as_of": p.as_of.isoformat(), "total": p.total, "grade": p.grade} for p in points
        ],
    }
