"""The public page of joint memoranda: every memorandum in force, its parties and its links
(which agency's list triggers which agency's measure, in which context, on which legal basis),
and whether the policy in force carries each link (``socialcredit.agencies``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

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
    shown = [memo.to_json() for memo in _access.system_of(request).memoranda()]
    return render(request, who, "memoranda.html", memoranda=shown)
