"""The HTTP API: an ASGI application (FastAPI) over the library, with an OpenAPI description.

``create_app(settings)`` builds it; ``socialcredit serve`` runs it under uvicorn. See
docs/api.md for the routes, the roles that may call each, and the one error shape.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialcredit.accounts import (
        AccountStore,
        DemoLogin,
        Principal,
        RateLimit,
        Role,
        seed_demo_accounts,
    )
    from socialcredit.accounts.auth import csrf_token, current_principal, require

    from .app import API_PREFIX, AppContext, create_app
    from .gate import BodyLimits

# Imported on first use, so that importing the package does not load the web framework (the
# command line starts faster). Accounts, roles and authentication live in
# :mod:`socialcredit.accounts` (shared with the portal); they are re-exported here.
_HOME = {
    "AccountStore": "socialcredit.accounts",
    "DemoLogin": "socialcredit.accounts",
    "seed_demo_accounts": "socialcredit.accounts",
    "Principal": "socialcredit.accounts",
    "RateLimit": "socialcredit.accounts",
    "Role": "socialcredit.accounts",
    "API_PREFIX": f"{__name__}.app",
    "AppContext": f"{__name__}.app",
    "create_app": f"{__name__}.app",
    "BodyLimits": f"{__name__}.gate",
    "csrf_token": "socialcredit.accounts.auth",
    "current_principal": "socialcredit.accounts.auth",
    "require": "socialcredit.accounts.auth",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)


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
