"""Logging in and out of the portal (accounts and sessions are the application object's, shared
with the API: :mod:`socialcredit.system`).

The login form is a form like every other: it carries a CSRF token. Before there is a
session, that token is the one in the login cookie the form was served with (a double-submit
cookie, :func:`socialcredit.accounts._auth.check_login_csrf`), so another site cannot post its own
credentials to log a visitor's browser in.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import AuthenticationError, CsrfError
from . import _access
from ._access import Principal, Role
from ._i18n import gettext as _
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


def _form(request: Request, who: Principal, status: int = 200, **values: Any) -> Response:
    """The login form with its CSRF token (the session's, or the login cookie's)."""
    if who.role is not Role.PUBLIC:
        return render(request, who, "login.html", status, **values)
    token = _access.issue_login_csrf(request)
    page = render(request, who, "login.html", status, **values)
    _access.set_login_csrf_cookie(page, request, token)
    return page


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "", who: Principal = _ANYONE) -> Response:
    """The login form."""
    return _form(request, who, next=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    who: Principal = _ANYONE,
) -> Response:
    """Check the form's CSRF token (a session's is checked before this runs) and the
    credentials; on success set the session cookie and go to the role's page."""
    target = _safe_next(next)
    again = {"next": target, "username": username}
    try:
        if who.role is Role.PUBLIC:
            _access.check_login_csrf(request, csrf_token)
        response = RedirectResponse(target or "/", status_code=303)
        user = _access.login(request, response, username, password)
    except CsrfError:
        return _form(request, who, 403, **again, error=_("The form had expired: log in again."))
    except AuthenticationError:
        return _form(request, who, 401, **again, error=_("Unknown user name or wrong password."))
    if not target:
        response.headers["location"] = ROLE_HOME.get(_access.role_of(user), ("/", ""))[0]
    return response


@router.post("/logout")
def logout(request: Request, who: Principal = _ANYONE) -> Response:
    """End the session and return to the front page."""
    response = RedirectResponse("/", status_code=303)
    _access.end_session(request, response)
    return response
