"""The API's routers, one module per area; :func:`routers` lists those that can be served.

Routers over packages that other parts of the system provide (decisions and lists from
``socialcredit.consequences``, disputes and reports from ``socialcredit.rights``, ratings from
``socialcredit.ratings``) are included only when those packages are importable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request

if TYPE_CHECKING:
    from ..app import AppContext

__all__ = ["ctx_of", "routers"]


def ctx_of(request: Request) -> AppContext:
    """The application's shared context."""
    ctx: AppContext = request.app.state.ctx
    return ctx


def routers() -> list[APIRouter]:
    """Every router to include under the API prefix."""
    from .ledger import router as ledger_router
    from .policy import router as policy_router
    from .public import router as public_router
    from .records import router as records_router
    from .scores import router as scores_router
    from .session import router as session_router

    # The hot paths first: FastAPI matches routes in order, and matching costs per route.
    found = _optional_routers()
    found += [
        session_router,
        records_router,
        scores_router,
        ledger_router,
        policy_router,
        public_router,
    ]
    return found


def _optional_routers() -> list[APIRouter]:
    from ..app import _optional

    found = []
    consequences = _optional("socialcredit.consequences")
    if consequences is not None and hasattr(consequences, "DecisionService"):
        from .decisions import router as decisions_router

        found.append(decisions_router)
    if _optional("socialcredit.rights") is not None:
        from .rights import router as rights_router

        found.append(rights_router)
    if _optional("socialcredit.ratings") is not None:
        from .ratings import router as ratings_router

        found.append(ratings_router)
    return found
