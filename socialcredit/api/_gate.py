"""The request gate: who is calling, and how big the body may be, settled before it is read.

:class:`RequestGate` is a pure ASGI middleware in front of the whole application:

- For a request to an API route it authenticates the caller from the headers alone (API key or
  session cookie), takes a token from the caller's rate-limit bucket and checks that the route
  admits the caller's role — a 401, 403 or 429 goes back before a byte of the body is read.
  (FastAPI reads a body before it runs a route's dependencies; without the gate, an anonymous
  200 MB request was read, parsed and held in memory before its 401.)
- Every request's body is bounded by :class:`BodyLimits`: uploads by ``upload``, all others
  (JSON, forms) by ``json``. An API route takes uploads if it says so in its OpenAPI
  description (``openapi_extra=UPLOAD``: the file upload and the bulk filing of up to 10,000
  records); elsewhere (the portal) a multipart body is an upload. A declared
  ``Content-Length`` over the limit is refused at once; a body without one (chunked) is counted
  as it streams and refused as soon as it passes the limit, so no more than the limit is ever
  buffered. Both are a 413 in the one error shape.

A refusal sent before the body is read carries ``Connection: close``: the server does not read
(or wait for) a body it has refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socialcredit.accounts import admit, check_admitted, route_roles

from ..accounts import Role
from ..errors import PayloadTooLargeError, Problem, SocialCreditError, ValidationError
from ._errors import error_response

__all__ = ["MIB", "UPLOAD", "BodyLimits", "RequestGate", "RouteTable"]

MIB = 1 << 20
#: ``openapi_extra`` of an API route that takes uploads (bodies up to ``BodyLimits.upload``).
UPLOAD = {"x-body-limit": "upload"}
_log = logging.getLogger("socialcredit.api")


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """The most bytes a request body may have: ``upload`` for uploads (API routes marked
    :data:`UPLOAD`; multipart bodies elsewhere), ``json`` for every other body (JSON, forms).

    Raises:
        ValidationError: naming each limit that is not a positive number of bytes.
    """

    json: int = MIB
    upload: int = 64 * MIB

    def __post_init__(self) -> None:
        problems = [
            Problem(name, "must be a positive number of bytes")
            for name, value in (("json", self.json), ("upload", self.upload))
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ]
        if problems:
            raise ValidationError("bad body limits", problems)

    def of(self, route: ApiRoute | None, content_type: str) -> int:
        """The limit of a body sent to ``route`` (None: not an API route) as ``content_type``."""
        if route is not None:
            return self.upload if route.upload else self.json
        return self.upload if content_type.startswith("multipart/form-data") else self.json


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """What the gate knows of an API route: where and how it is called, by whom, and whether
    it takes uploads."""

    path: re.Pattern[str]
    methods: frozenset[str]
    roles: frozenset[Role] | None
    upload: bool


class RouteTable:
    """The API routes, matched as the router matches them (in order, by path and method).

    Args:
        routers: the API routers, in the order the app includes them.
        prefix: the prefix they are included under.
    """

    def __init__(self, routers: Iterable[APIRouter], prefix: str) -> None:
        self.routes = [
            ApiRoute(
                compile_path(prefix + route.path)[0],
                frozenset(route.methods or ()),
                route_roles(route),
                (route.openapi_extra or {}).get("x-body-limit") == UPLOAD["x-body-limit"],
            )
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute)
        ]

    def find(self, path: str, method: str) -> ApiRoute | None:
        """The route that serves ``method`` at ``path`` (None: a 404 or a 405)."""
        for route in self.routes:
            if method in route.methods and route.path.match(path):
                return route
        return None

    def methods(self, path: str) -> list[str]:
        """Every method some API route serves at ``path``."""
        return sorted({m for route in self.routes if route.path.match(path) for m in route.methods})


class RequestGate:
    """The ASGI middleware described in the module docstring.

    Args:
        app: the application behind the gate.
        limits: the body limits.
        routes: the API routes (whose callers are checked before the body is read).
    """

    def __init__(self, app: ASGIApp, *, limits: BodyLimits, routes: RouteTable) -> None:
        self.app = app
        self.limits = limits
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            route = self._admit(request)
            limit = self._limit(request, route)
        except SocialCreditError as error:
            await _refuse(error, request, scope, receive, send)
            return
        await self._bounded(scope, receive, send, limit)

    def _admit(self, request: Request) -> ApiRoute | None:
        """Authenticate, rate-limit and check the roles of the API route that will serve
        ``request``, from the headers only; the route (None if none will)."""
        route = self.routes.find(request.scope["path"], request.method)
        if route is not None and route.roles is not None:
            check_admitted(admit(request.app.state.auth, request).principal, route.roles)
        return route

    def _limit(self, request: Request, route: ApiRoute | None) -> int:
        """The body limit of ``request``; refuses a declared length over it."""
        limit = self.limits.of(route, request.headers.get("content-type", ""))
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        return limit

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app, counting the body as it is read; past ``limit``, answer 413 instead."""
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _too_large(limit)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app makes of the refusal, the answer is the 413 below
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _refuse(_too_large(limit), Request(scope), scope, receive, send)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"the request body is over the limit of {limit:,} bytes", limit)


async def _refuse(
    error: SocialCreditError, request: Request, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer ``error`` in the one error shape; close the connection if a body was announced."""
    response = error_response(error)
    if response.status_code >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, error)
    announced = request.headers.get("content-length", "0") != "0"
    if announced or "transfer-encoding" in request.headers:
        response.headers["Connection"] = "close"  # the body is not read: do not wait for it
    await response(scope, receive, send)
