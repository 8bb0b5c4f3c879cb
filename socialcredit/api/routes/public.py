"""Public pages' data: an organisation's grade and public records (organisations only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ...accounts.auth import Principal, Role, require
from ...catalogue import validate_uscc
from ...scoring import score
from .._params import Uscc
from . import ctx_of

router = APIRouter(tags=["public"])


@router.get("/organisations/{uscc}")
def organisation(
    request: Request, uscc: Uscc, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> dict[str, Any]:
    """An organisation's grade today and its records (a USCC is public; people are never
    shown here)."""
    key = ("organisation", validate_uscc(uscc))
    now = datetime.now(UTC)
    with ctx_of(request).fresh_index(key) as index:
        found = score(index, *key, as_of=now)
    return {
        "organisation": key[1],
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
