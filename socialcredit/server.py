"""The composition root: one ASGI application serving the HTTP API and the portal over one
:class:`~socialcredit.system.System` (``socialcredit serve`` runs it under uvicorn).

``create_app(settings)`` opens the system (``app.state.ctx``), mounts the API's routers under
``/api/v1`` and the portal at ``/``, and puts the :class:`~socialcredit.api._gate.RequestGate`
in front of both: it checks the caller, the rate limit and the body's size before a body is
read. ``app_from_environment`` is the factory each uvicorn worker calls.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from .accounts import AccountStore, RateLimit, RateLimiter
from .api import API_PREFIX, BodyLimits, OrjsonResponse, RequestGate, mount_api
from .errors import ConfigurationError
from .settings import Settings
from .system import System

__all__ = ["HttpAuth", "app_from_environment", "create_app"]


@dataclass(frozen=True, slots=True)
class HttpAuth:
    """What authentication over HTTP needs (``app.state.auth``): the accounts and the
    per-caller token buckets."""

    system: System
    limiter: RateLimiter

    @property
    def accounts(self) -> AccountStore:
        """API keys, users and sessions: the system's."""
        return self.system.accounts


def create_app(
    settings: Settings,
    *,
    accounts: AccountStore | None = None,
    rate_limit: RateLimit | None = None,
    body_limits: BodyLimits | None = None,
    witness_dir: Path | None = None,
    snapshot_every: int = 0,
) -> FastAPI:
    """The application over the ledger named by ``settings``: the API and the portal.

    Args:
        settings: which store, key and accounts file to use.
        accounts: an account store to use instead of the one named by ``settings``.
        rate_limit: every caller's allowance (default :class:`RateLimit`).
        body_limits: the largest request bodies (default :class:`BodyLimits`: JSON 1 MiB,
            uploads 64 MiB).
        witness_dir: a witness whose latest cosignature of the ledger is published
            (``GET /ledger/cosigned``, the portal's front and audit pages).
        snapshot_every: write a fresh snapshot of the views whenever the ledger has grown by
            this many entries (0: never); see :class:`~socialcredit.system.System`.

    Raises:
        ConfigurationError: if the ledger, its signing key or the accounts cannot be opened.
        RuntimeError: if an API route does not declare its roles (deny by default).
    """
    system = System.open(
        settings, accounts=accounts, witness_dir=witness_dir, snapshot_every=snapshot_every
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        system.start()
        try:
            yield
        finally:
            system.close()

    app = FastAPI(
        title="socialcredit",
        summary="An open, auditable social credit engine on a tamper-evident ledger.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        default_response_class=OrjsonResponse,
        lifespan=lifespan,
    )
    app.state.ctx = system
    app.state.auth = HttpAuth(system, RateLimiter(rate_limit or RateLimit()))
    routes = mount_api(app)
    app.state.routes = routes
    app.add_middleware(RequestGate, limits=body_limits or BodyLimits(), routes=routes)
    _mount_portal(app)
    return app


def _mount_portal(app: FastAPI) -> None:
    from starlette.staticfiles import StaticFiles

    from . import web

    app.include_router(web.router)
    web.install_page_errors(app)
    static = Path(web.__file__).resolve().parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment (``SOCIALCREDIT_*``), as set by ``serve``.

    Raises:
        ConfigurationError: if a setting is invalid or the ledger cannot be opened.
    """
    settings = Settings.load({})
    rate = float(os.environ.get("SOCIALCREDIT_RATE_LIMIT", "200"))
    defaults = BodyLimits()
    limits = BodyLimits(
        _bytes("SOCIALCREDIT_MAX_BODY", defaults.json),
        _bytes("SOCIALCREDIT_MAX_UPLOAD", defaults.upload),
    )
    witness = os.environ.get("SOCIALCREDIT_WITNESS_DIR", "").strip()
    every = os.environ.get("SOCIALCREDIT_SNAPSHOT_EVERY", "0").strip()
    if not every.isdigit():
        raise ConfigurationError(
            f"SOCIALCREDIT_SNAPSHOT_EVERY must be a whole number of entries, not {every!r}"
        )
    return create_app(
        settings,
        rate_limit=RateLimit(rate, 2 * rate),
        body_limits=limits,
        witness_dir=Path(witness) if witness else None,
        snapshot_every=int(every),
    )


def _bytes(name: str, default: int) -> int:
    """The whole number of bytes in environment variable ``name`` (``default`` if unset).

    Raises:
        ConfigurationError: naming the variable if it is not a positive whole number.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise ConfigurationError(f"{name} must be a positive number of bytes, not {text!r}")
    return int(text)
