"""Who is calling, and may they: roles, principals, the auth dependency, CSRF and rate limits.

A request is authenticated by, in order: a Bearer API key in ``Authorization``; else the
session cookie (:data:`SESSION_COOKIE`); else it is the anonymous ``public`` principal. A
malformed, unknown or revoked key is a 401, never a silent downgrade to public; an unknown or
expired session cookie counts as no cookie (the browser is simply logged out).

Every API route declares the roles it admits with :func:`require` (deny by default: the app
refuses to start with an unguarded route). Unsafe methods (POST, PUT, PATCH, DELETE) that
ride on a session cookie must carry the session's CSRF token, as the ``X-CSRF-Token`` header
or a ``csrf_token`` form field (:func:`csrf_token` gives it to templates). Every request is
counted against its caller's token bucket (per API key, session or client address).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request
from starlette.responses import Response

from .errors import AuthenticationError, CsrfError, PermissionDeniedError
from .roles import Role

if TYPE_CHECKING:
    from .accounts import Session
    from .app import AppContext

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Principal",
    "Role",
    "clear_session_cookie",
    "csrf_token",
    "current_principal",
    "require",
    "require_own_subject",
    "set_session_cookie",
]

SESSION_COOKIE = "sc_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: role, a name for the audit trail, own subject, record kinds it may file.

    Attributes:
        role: what the caller may do.
        name: the key's name or the username ("public" for anonymous callers).
        subject: ``(kind, id)`` of the caller's own file (subject role), else None.
        allowed_kinds: record kinds a source may file (empty for other roles).
    """

    role: Role
    name: str
    subject: tuple[str, str] | None = None
    allowed_kinds: frozenset[str] = frozenset()


PUBLIC = Principal(Role.PUBLIC, "public")


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <API key>'")
    return token.strip()


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
    ctx = _ctx(request)
    key = _bearer(request)
    if key is not None:
        principal = ctx.accounts.authenticate_key(key)
        if principal is None:
            raise AuthenticationError("unknown or revoked API key")
        bucket = "key:" + key.split("_", 2)[1]
    elif (session := _session(ctx, request)) is not None:
        cookie = request.cookies[SESSION_COOKIE]
        request.state.csrf = session.csrf
        if request.method in _UNSAFE:
            await _check_csrf(request, session.csrf)
        principal, bucket = session.principal, "session:" + cookie[:16]
    else:
        client = request.client.host if request.client else "unknown"
        principal, bucket = PUBLIC, "ip:" + client
    ctx.limiter.take(bucket)
    request.state.principal = principal
    return principal


def _session(ctx: AppContext, request: Request) -> Session | None:
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
    everyone = Role.PUBLIC in admitted

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if everyone or principal.role in admitted:
            return principal
        if principal.role is Role.PUBLIC:
            raise AuthenticationError("log in or send an API key")
        raise PermissionDeniedError(
            f"role {principal.role.value} may not do this",
            {"admitted": sorted(role.value for role in admitted)},
        )

    dependency.admitted = admitted  # type: ignore[attr-defined]  # read by the route guard check
    return dependency


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
