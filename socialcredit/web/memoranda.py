"""The public page of joint memoranda: every memorandum in force, its parties and its links
(which agency's list triggers which agency's measure, in which context, on which legal basis),
and whether the policy in force carries each link (``socialcredit.agencies``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from ..agencies import memoranda
from ..policy import bundle_in_force, default_bundle
from ..scoring.engine import to_us
from . import _access
from ._access import Principal, Role
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_ANYONE = _access.signed_in(Role.PUBLIC)


@router.get("/memoranda", response_class=HTMLResponse)
def memoranda_page(request: Request, who: Principal = _ANYONE) -> Response:
    """The memoranda in force now, each with its parties, links and signatures."""
    now = datetime.now(UTC)
    with _access.system(request) as (ledger, _):
        found = memoranda(ledger)
        published = bundle_in_force(ledger, now, now)
    bundle = default_bundle() if published is None else published.bundle
    at_us = to_us(now)
    shown = [r.to_json(bundle, at_us) for r in found if r.in_force(at_us)]
    return render(request, who, "memoranda.html", memoranda=shown)
