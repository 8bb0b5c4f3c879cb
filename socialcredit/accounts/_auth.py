"""Who is calling over HTTP, and may they: the auth dependency, sessions, CSRF and rate limits.

A request is authenticated by, in order: a Bearer API key in ``Authorization``; else the
session cookie (:data:`SESSION_COOKIE`); else it is the anonymous ``public`` principal. A
malformed, unknown or revoked key is a 401, never a silent downgrade to public; an unknown or
expired session cookie counts as no cookie (the browser is simply logged out).

Every API route declares the roles it admits with :func:`require` (deny by default: the app
refuses to start with an unguarded route). Unsafe methods (POST, PUT, PATCH, DELETE) that
ride on a session cookie must carry the session's CSRF token, as the ``X-CSRF-Token`` header
or a ``csrf_token`` form field (:func:`csrf_token` gives it to templates). A login form, sent
before there is a session, carries a token of its own, which must match the cookie the form
was served with (:func:`issue_login_csrf`, :func:`check_login_csrf`: a double-submit cookie,
so another site cannot log a browser in). Every request is counted against its caller's token
bucket (per API key, session or client address).

Shared by the HTTP API and the portal. It needs only a context holding the account store and the
rate limiter (:class:`AuthContext`), so it knows nothing of the application that serves it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request
from starlette.requests import HTTPConnection
from starlette.responses import Response

from ..errors import AuthenticationError, CsrfError, PermissionDeniedError
from ._ratelimit import RateLimiter
from ._roles import PUBLIC, Principal, Role
from ._store import AccountStore, Session

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_CSRF_COOKIE",
    "SECURITY_SCHEMES",
    "SESSION_COOKIE",
    "AuthContext",
    "Caller",
    "Principal",
    "Role",
    "admit",
    "check_admitted",
    "check_login_csrf",
    "clear_session_cookie",
    "csrf_token",
    "current_principal",
    "document_roles",
    "identify",
    "issue_login_csrf",
    "require",
    "require_own_subject",
    "route_roles",
    "set_login_csrf_cookie",
    "set_session_cookie",
]

SESSION_COOKIE = "sc_session"
LOGIN_CSRF_COOKIE = "sc_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuthContext(Protocol):
    """What authentication needs of the serving application (``app.state.auth``)."""

    @property
    def accounts(self) -> AccountStore:
        """API keys, users and sessions."""
        ...

    @property
    def limiter(self) -> RateLimiter:
        """The per-caller token buckets."""
        ...


def _ctx(request: Request) -> AuthContext:
    ctx: AuthContext = request.app.state.auth
    return ctx


def _bearer(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <API key>'")
    return token.strip()


@dataclass(frozen=True, slots=True)
class Caller:
    """Who the headers say is calling: the principal, its rate-limit bucket, and the session's
    CSRF token (None unless the caller rides on a session cookie)."""

    principal: Principal
    bucket: str
    csrf: str | None = None


def identify(ctx: AuthContext, request: HTTPConnection) -> Caller:
    """The caller, from the request's headers and cookies alone (the body is not read).

    Raises:
        AuthenticationError: for a malformed, unknown or revoked API key.
    """
    key = _bearer(request)
    if key is not None:
        principal = ctx.accounts.authenticate_key(key)
        if principal is None:
            raise AuthenticationError("unknown or revoked API key")
        return Caller(principal, "key:" + key.split("_", 2)[1])
    session = _session(ctx, request)
    if session is not None:
        cookie = request.cookies[SESSION_COOKIE]
        return Caller(session.principal, "session:" + cookie[:16], session.csrf)
    client = request.client.host if request.client else "unknown"
    return Caller(PUBLIC, "ip:" + client)


def admit(ctx: AuthContext, request: HTTPConnection) -> Caller:
    """:func:`identify` the caller and take one token from its bucket — once per request (the
    request gate does it before the body is read; the route's dependency finds it done).

    Raises:
        AuthenticationError: for a malformed, unknown or revoked API key.
        RateLimitedError: when the caller's token bucket is empty.
    """
    found: Caller | None = getattr(request.state, "caller", None)
    if found is None:
        found = identify(ctx, request)
        ctx.limiter.take(found.bucket)
        request.state.caller = found
    return found


async def current_principal(request: Request) -> Principal:
    """The authenticated caller (cached on the request); checks CSRF and the rate limit.

    Raises:
        AuthenticationError: for a malformed, unknown or revoked API key.
        CsrfError: for an unsafe request on a session cookie without its CSRF token.
        RateLimitedError: when the caller's token bucket is empty.
    """
    found: Principal | None = getattr(request.state, "principal", None)
    if found is not None:
        return found
    caller = admit(_ctx(request), request)
    if caller.csrf is not None:
        request.state.csrf = caller.csrf
        if request.method in _UNSAFE:
            await _check_csrf(request, caller.csrf)
    request.state.principal = caller.principal
    return caller.principal


def _session(ctx: AuthContext, request: HTTPConnection) -> Session | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return None if cookie is None else ctx.accounts.session(cookie)


async def _check_csrf(request: Request, expected: str) -> None:
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if given is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfError(
            "missing or wrong CSRF token",
            {"field": CSRF_FIELD, "reason": f"send the session's token as {CSRF_HEADER}"},
        )


def issue_login_csrf(request: Request) -> str:
    """The token a login form carries before there is a session: the one in the request's
    login cookie, else a new one. From now on :func:`csrf_token` gives it to templates; set it
    on the form's response with :func:`set_login_csrf_cookie`."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.state.csrf = token
    return token


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    """Set the login form's token cookie: HttpOnly, SameSite=Strict, Secure over https."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )


def check_login_csrf(request: Request, given: str) -> None:
    """Refuse a login form whose token is not the one its login cookie holds.

    Raises:
        CsrfError: if the cookie or the form field is missing, or they differ.
    """
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (expected and given and hmac.compare_digest(given.encode(), expected.encode())):
        raise CsrfError(
            "missing or wrong CSRF token",
            {"field": CSRF_FIELD, "reason": "send the login form as it was served"},
        )


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session, for a hidden form field ("" without one)."""
    token: str | None = getattr(request.state, "csrf", None)
    if token is not None:
        return token
    cookie = request.cookies.get(SESSION_COOKIE)
    session = _ctx(request).accounts.session(cookie) if cookie else None
    return session.csrf if session else ""


def require(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting only ``roles`` (``Role.PUBLIC`` admits everyone).

    Raises (from the dependency):
        AuthenticationError: if the caller is anonymous and the route is not public.
        PermissionDeniedError: if the caller's role is not admitted.
    """
    admitted = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        check_admitted(principal, admitted)
        return principal

    dependency.admitted = admitted  # type: ignore[attr-defined]  # read by the route guard check
    return dependency


def check_admitted(principal: Principal, admitted: frozenset[Role]) -> None:
    """Refuse ``principal`` unless its role is in ``admitted`` (``Role.PUBLIC``: everyone).

    Raises:
        AuthenticationError: if the caller is anonymous and the roles do not admit the public.
        PermissionDeniedError: if the caller's role is not admitted.
    """
    if Role.PUBLIC in admitted or principal.role in admitted:
        return
    if principal.role is Role.PUBLIC:
        raise AuthenticationError("log in or send an API key")
    raise PermissionDeniedError(
        f"role {principal.role.value} may not do this",
        {"admitted": sorted(role.value for role in admitted)},
    )


def require_own_subject(principal: Principal, subject: object) -> None:
    """Refuse a subject-role caller reading anyone's file but their own.

    Raises:
        PermissionDeniedError: if ``principal`` is a subject and ``subject`` is not theirs.
    """
    if principal.role is Role.SUBJECT and principal.subject != subject:
        raise PermissionDeniedError("a subject may read only their own file")


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax, Secure over https."""
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/")


def admitted_roles(dependency: Any) -> frozenset[Role] | None:
    """The roles a :func:`require` dependency admits, or None for any other callable."""
    found: frozenset[Role] | None = getattr(dependency, "admitted", None)
    return found


#: How callers prove who they are, for the OpenAPI description.
SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key, sck_<id>_<secret>."},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "A login session (POST /auth/login); unsafe methods need X-CSRF-Token.",
    },
}


def document_roles(route: Any) -> None:
    """Say in ``route``'s OpenAPI description which roles may call it and, unless the public
    may, that it needs an API key or a session (idempotent: routers outlive apps)."""
    roles = route_roles(route) or frozenset()
    names = ", ".join(sorted(role.value for role in roles))
    if "Roles:" not in (route.description or ""):
        route.description = f"{route.description or ''}\n\nRoles: {names}.".strip()
    if Role.PUBLIC not in roles:
        security: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]
        route.openapi_extra = {**(route.openapi_extra or {}), "security": security}


def route_roles(route: Any) -> frozenset[Role] | None:
    """The roles an API route admits (its :func:`require` dependency), or None for a route
    without one (a page, a static file)."""
    dependant = getattr(route, "dependant", None)
    for dependency in dependant.dependencies if dependant is not None else ():
        found = admitted_roles(dependency.call)
        if found is not None:
            return found
    return None
