"""Logging in and out of the portal (accounts and sessions belong to the API)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api.errors import AuthenticationError
from . import _access
from ._access import Principal, Role
from ._render import ROLE_HOME, render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_ANYONE = _access.signed_in(Role.PUBLIC)


def _safe_next(target: str) -> str:
    """Only a local path may follow a login (no open redirects)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "", who: Principal = _ANYONE) -> Response:
    """The login form."""
    return render(request, who, "login.html", next=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    who: Principal = _ANYONE,
) -> Response:
    """Check the credentials; on success set the session cookie and go to the role's page."""
    target = _safe_next(next)
    response = RedirectResponse(target or "/", status_code=303)
    try:
        user = _access.login(request, response, username, password)
    except AuthenticationError:
        return render(
            request,
            who,
            "login.html",
            401,
            next=target,
            username=username,
            error="Unknown user name or wrong password.",
        )
    if not target:
        response.headers["location"] = ROLE_HOME.get(_access.role_of(user), ("/", ""))[0]
    return response


@router.post("/logout")
def logout(request: Request, who: Principal = _ANYONE) -> Response:
    """End the session and return to the front page."""
    response = RedirectResponse("/", status_code=303)
    _access.end_session(request, response)
    return response
