"""The service point's page: ask whether a subject may have a service, and why.

A service point sees decisions only — the outcome, the reasons (list, legal basis) and the
subject's recourse — never the records behind them. Every decision is audited in the ledger
(``DecisionMade``) by the app's decision service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from socialcredit.catalogue import subject_kind_of

from ..errors import Problem, SocialCreditError, ValidationError
from . import _access
from ._access import Principal, Role
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_SERVICE_POINT = _access.signed_in(Role.SERVICE_POINT)


def _page(request: Request, who: Principal, status: int = 200, **values: Any) -> Response:
    services = _access.system_of(request).services()
    return render(request, who, "check.html", status, services=services, **values)


@router.get("/check", response_class=HTMLResponse)
def check_form(request: Request, who: Principal = _SERVICE_POINT) -> Response:
    """The check form: a subject's id and the service asked for."""
    return _page(request, who)


@router.post("/check", response_class=HTMLResponse)
def check(
    request: Request,
    subject: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    who: Principal = _SERVICE_POINT,
) -> Response:
    """Decide: allow, deny or reward, with the reasons and the recourse."""
    given = subject.strip().upper()
    try:
        decision = _access.system_of(request).decide(who, (_kind(given), given), service)
    except SocialCreditError as error:
        return _page(request, who, 422, error=error, subject=given, service=service)
    return _page(request, who, decision=decision, subject=given, service=service)


def _kind(subject: str) -> str:
    """``person`` or ``organisation`` for a resident id or USCC.

    Raises:
        ValidationError: naming ``subject`` if it is neither.
    """
    try:
        return subject_kind_of(subject)
    except ValueError as exc:
        raise ValidationError("bad subject", [Problem("subject", str(exc))]) from exc
