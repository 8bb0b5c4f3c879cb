"""The HTTP API: an ASGI application (FastAPI) over the library, with an OpenAPI description.

``create_app(settings)`` builds it; ``socialcredit serve`` runs it under uvicorn. See
docs/api.md for the routes, the roles that may call each, and the one error shape.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .accounts import AccountStore, DemoLogin, seed_demo_accounts
    from .app import API_PREFIX, AppContext, create_app
    from .auth import Principal, csrf_token, current_principal, require
    from .gate import BodyLimits
    from .ratelimit import RateLimit
    from .roles import Role

# Imported on first use, so that importing a light submodule (``.roles``) does not load the
# web framework (the command line starts faster).
_HOME = {
    "AccountStore": "accounts",
    "DemoLogin": "accounts",
    "seed_demo_accounts": "accounts",
    "API_PREFIX": "app",
    "AppContext": "app",
    "create_app": "app",
    "BodyLimits": "gate",
    "Principal": "auth",
    "csrf_token": "auth",
    "current_principal": "auth",
    "require": "auth",
    "RateLimit": "ratelimit",
    "Role": "roles",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)


__all__ = [
    "API_PREFIX",
    "AccountStore",
    "AppContext",
    "BodyLimits",
    "DemoLogin",
    "Principal",
    "RateLimit",
    "Role",
    "create_app",
    "csrf_token",
    "current_principal",
    "require",
    "seed_demo_accounts",
]
