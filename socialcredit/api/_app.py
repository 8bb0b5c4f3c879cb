"""The HTTP API: its routers under ``/api/v1``, its error handlers and its OpenAPI description.

:func:`mount_api` adds them to an application that :func:`socialcredit.server.create_app`
builds (the composition root, which mounts the portal beside it). The OpenAPI description is
at ``/api/v1/openapi.json`` (docs at ``/api/v1/docs``). Every route must declare who may call
it with :func:`~socialcredit.accounts._auth.require`; the API refuses to mount an unguarded
route. Handlers call the application object (``app.state.ctx``, a
:class:`~socialcredit.system.System`) and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from socialcredit.accounts import SECURITY_SCHEMES, admitted_roles, document_roles

from ._errors import ERROR_RESPONSES, install_error_handlers
from ._gate import RouteTable
from ._json import OrjsonResponse

__all__ = ["API_PREFIX", "OrjsonResponse", "mount_api"]

API_PREFIX = "/api/v1"


def mount_api(app: FastAPI) -> RouteTable:
    """Add the API's routers (under :data:`API_PREFIX`), its error handlers and its security
    schemes to ``app``; the table of its routes, for the request gate.

    Raises:
        RuntimeError: if an API route does not declare its roles (deny by default).
    """
    install_error_handlers(app)
    from ._routes import routers

    api = routers()
    for router in api:
        _check_guarded(router)
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    _describe_security(app)
    return RouteTable(api, API_PREFIX)


def _check_guarded(router: APIRouter) -> None:
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise RuntimeError(f"route {route!r} is not an API route")
        if not any(admitted_roles(d.call) is not None for d in route.dependant.dependencies):
            raise RuntimeError(f"route {route.path} does not declare its roles (require)")
        document_roles(route)


def _describe_security(app: FastAPI) -> None:
    """Add the API key and session schemes to the OpenAPI description (FastAPI adds only
    schemes that come from its own security dependencies)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            build().setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        return build()

    app.openapi = openapi  # type: ignore[method-assign]
