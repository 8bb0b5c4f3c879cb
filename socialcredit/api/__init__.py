"""The HTTP API: FastAPI routers over the application object, with an OpenAPI description.

:func:`mount_api` adds the routers under :data:`API_PREFIX` to the application that
:func:`socialcredit.server.create_app` builds; ``socialcredit serve`` runs that under uvicorn.
See docs/api.md for the routes, the roles that may call each, and the one error shape.
Accounts, roles and authentication live in :mod:`socialcredit.accounts` (shared with the
portal).
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from ._app import API_PREFIX, mount_api
    from ._gate import BodyLimits, RequestGate
    from ._json import OrjsonResponse

# Imported on first use, so that importing the package does not load the web framework.
_HOME = {
    "API_PREFIX": f"{__name__}._app",
    "mount_api": f"{__name__}._app",
    "BodyLimits": f"{__name__}._gate",
    "RequestGate": f"{__name__}._gate",
    "OrjsonResponse": f"{__name__}._json",
}


def __getattr__(name: str) -> _typing.Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_importlib.import_module(_HOME[name]), name)


__all__ = ["API_PREFIX", "BodyLimits", "OrjsonResponse", "RequestGate", "mount_api"]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
