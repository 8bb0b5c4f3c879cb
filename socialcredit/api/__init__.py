"""The HTTP API: an ASGI application (FastAPI) over the library, with an OpenAPI description.

``create_app(settings)`` builds it; ``socialcredit serve`` runs it under uvicorn. See
docs/api.md for the routes, the roles that may call each, and the one error shape.
"""

from .accounts import AccountStore, DemoLogin, seed_demo_accounts
from .app import API_PREFIX, AppContext, create_app
from .auth import Principal, Role, csrf_token, current_principal, require
from .ratelimit import RateLimit

__all__ = [
    "API_PREFIX",
    "AccountStore",
    "AppContext",
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
