"""Public pages' data: an organisation's grade and public records (organisations only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from socialcredit.accounts import Principal, Role, require

from .._params import Uscc
from . import system_of

router = APIRouter(tags=["public"])


@router.get("/organisations/{uscc}")
def organisation(
    request: Request, uscc: Uscc, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> dict[str, Any]:
    """An organisation's grade today and its records (a USCC is public; people are never
    shown here)."""
    now = datetime.now(UTC)
    found = system_of(request).organisation_score(uscc, now)
    return {
        "organisation": found.subject_id,
        "as_of": now.isoformat(),
        "total": found.total,
        "grade": found.grade,
        "policy_revision": found.revision,
        "records": [
            {
                "position": c.position,
                "kind": c.kind,
                "occurred_at": c.occurred_at.isoformat(),
                "points": c.points,
                "reason": c.reason,
            }
            for c in found.contributions
        ],
    }
