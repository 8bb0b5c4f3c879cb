"""Scores, explanations and history of one subject, bitemporally (as of / known at)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from ...accounts.auth import Principal, Role, require, require_own_subject
from ...errors import Problem, ValidationError
from ...scoring import explain, score
from ...scoring.engine import resolve_policy
from .._params import Moment, SubjectId, subject_of, times
from . import ctx_of
from ._reads import PurposeQuery, log_file_read

router = APIRouter(tags=["scores"])

_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)
MAX_HISTORY_POINTS = 400
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
    key = subject_of(subject)
    require_own_subject(principal, key)
    when, known = times(as_of, known_at)
    log_file_read(request, principal, key, purpose)
    with ctx_of(request).fresh_index(key) as index:
        return score(index, *key, as_of=when, known_at=known).to_json()


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
    key = subject_of(subject)
    require_own_subject(principal, key)
    when, known = times(as_of, known_at)
    log_file_read(request, principal, key, purpose)
    with ctx_of(request).fresh_index(key) as index:
        return explain(index, *key, as_of=when, known_at=known).to_json()


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
    require_own_subject(principal, key)
    first, last = start, end or datetime.now(UTC)
    every = timedelta(days=every_days)
    if first > last or (last - first) / every > MAX_HISTORY_POINTS:
        raise ValidationError(
            "bad period",
            [Problem("from", f"must be before 'to', with at most {MAX_HISTORY_POINTS} points")],
        )
    log_file_read(request, principal, key, purpose)
    ctx = ctx_of(request)
    points = []
    with ctx.fresh_index(key) as index:
        at = first
        while at <= last:
            policy = resolve_policy(ctx.ledger, at, at)
            found = score(index, *key, as_of=at, policy=policy)
            points.append({"as_of": at.isoformat(), "total": found.total, "grade": found.grade})
            at += every
    return {"subject": {"kind": key[0], "id": key[1]}, "points": points}
