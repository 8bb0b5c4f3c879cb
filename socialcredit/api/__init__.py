"""The HTTP API: FastAPI routers over the application object, with an OpenAPI description.

:func:`mount_api` adds the routers under :data:`API_PREFIX` to the application that
:func:`socialcredit.server.create_app` builds; ``socialcredit serve`` runs that under uvicorn.
See docs/api.md for the routes, the roles that may call each, and the one error shape.
Accounts, roles and authentication live in :mod:`socialcredit.accounts` (shared with the
portal).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import API_PREFIX, mount_api
    from .gate import BodyLimits, RequestGate

# Imported on first use, so that importing the package does not load the web framework.
_HOME = {
    "API_PREFIX": f"{__name__}.app",
    "mount_api": f"{__name__}.app",
    "BodyLimits": f"{__name__}.gate",
    "RequestGate": f"{__name__}.gate",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)


__all__ = ["API_PREFIX", "BodyLimits", "RequestGate", "mount_api"]
