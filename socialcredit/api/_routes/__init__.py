"""The API's routers, one module per area; :func:`routers` lists them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request

if TYPE_CHECKING:
    from ...system import System

__all__ = ["routers", "system_of"]


def system_of(request: Request) -> System:
    """The application object every handler calls (``app.state.ctx``)."""
    system: System = request.app.state.ctx
    return system


def routers() -> list[APIRouter]:
    """Every router to include under the API prefix, the hot paths first (FastAPI matches
    routes in order, and matching costs per route)."""
    from .decisions import router as decisions_router
    from .ledger import router as ledger_router
    from .memoranda import router as memoranda_router
    from .notices import router as notices_router
    from .policy import router as policy_router
    from .public import router as public_router
    from .ratings import router as ratings_router
    from .records import router as records_router
    from .repair import router as repair_router
    from .rights import router as rights_router
    from .scores import router as scores_router
    from .session import router as session_router

    return [
        decisions_router,
        memoranda_router,
        rights_router,
        repair_router,
        ratings_router,
        notices_router,
        session_router,
        records_router,
        scores_router,
        ledger_router,
        policy_router,
        public_router,
    ]
