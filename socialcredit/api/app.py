"""The ASGI application: one ledger opened once, the API routers under ``/api/v1``, the portal.

``create_app(settings)`` builds a FastAPI app with an OpenAPI description at
``/api/v1/openapi.json`` (docs at ``/api/v1/docs``). Shared objects live in
``app.state.ctx`` (:class:`AppContext`). Every route must declare who may call it with
:func:`~socialcredit.accounts.auth.require`; the app refuses to build with an unguarded API route.
In front of it all, the :class:`~socialcredit.api.gate.RequestGate` checks the caller and the
body's size before a body is read.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from ..accounts import AccountStore, RateLimit, RateLimiter
from ..accounts.auth import SECURITY_SCHEMES, admitted_roles, document_roles
from ..catalogue import Catalogue, default_catalogue
from ..errors import SocialCreditError
from ..ledger import Ledger, VerifyReport, verify_ledger
from ..policy import bundle_in_force
from ..scoring import RecordIndex
from ..scoring.records import subject_index
from ..service import PinnedKey, open_ledger, pinned_public_key
from ..settings import Settings
from ..storage import open_store
from ..timeutil import utc_now_us
from ._json import OrjsonResponse
from .errors import ERROR_RESPONSES, install_error_handlers
from .gate import BodyLimits, RequestGate, RouteTable
from .snapshots import SnapshotSchedule

__all__ = ["API_PREFIX", "AppContext", "OrjsonResponse", "create_app"]

API_PREFIX = "/api/v1"


class AppContext:
    """The objects every request shares (``app.state.ctx``).

    Attributes:
        settings: the validated settings the app was built from.
        ledger: the ledger, opened once with the signing key (writes: ingest, policy).
        index: the record index (:class:`~socialcredit.scoring.RecordIndex`); use
            :meth:`fresh_index` to read it caught up.
        lock: serialises use of ``ledger`` and ``index`` between worker threads (one SQLite
            connection); hold it around every call that reads or writes them.
        accounts: API keys, users and sessions (:class:`~socialcredit.accounts.AccountStore`).
        limiter: the per-caller token buckets.
        decisions: the ``socialcredit.consequences.DecisionService`` (its own ledger
            connection and group-commit audit writer), or None when that package is absent.
        witness_dir: a witness's directory (or a copy of its ``witness.db``) whose latest
            cosignature of this ledger the server publishes; None: none is published.
        snapshot_every: write a fresh snapshot of the consequence view (in a process of its
            own) whenever the ledger has grown by this many entries; 0: never. The view
            always starts from the latest trusted snapshot, if there is one.
    """

    def __init__(
        self,
        settings: Settings,
        accounts: AccountStore,
        limit: RateLimit,
        *,
        owns_accounts: bool = False,
        witness_dir: Path | None = None,
        snapshot_every: int = 0,
    ) -> None:
        self.settings = settings
        self.witness_dir = witness_dir
        self.snapshot_every = snapshot_every
        self._snapshots: SnapshotSchedule | None = None
        self.ledger: Ledger = open_ledger(settings, write=True)
        self.index = RecordIndex()
        self.lock = threading.RLock()
        self.accounts = accounts
        self.limiter = RateLimiter(limit)
        self.decisions: Any = None
        self._decisions_ledger: Ledger | None = None
        self._running = 0
        self._closed = False
        self._owns_accounts = owns_accounts

    @contextmanager
    def fresh_index(self, subject: tuple[str, str] | None = None) -> Iterator[RecordIndex]:
        """A record index caught up with the ledger that answers about ``subject`` (None:
        about every subject), with :attr:`lock` held.

        While the decision service runs, this is the index its consequence view keeps (one
        index in memory, in columns, started from the view's snapshot), with the view's lock
        held too. Otherwise, for one subject, an index of that subject's own entries read
        through the per-subject index; for every subject (or while the per-subject index is
        incomplete), the context's own index of the whole ledger.

        Raises:
            StorageError: if the store fails.
        """
        with self.lock:
            view = self.decisions
            if view is not None:
                with view.lock:
                    view.catch_up()
                    yield view.record_index
                return
            found = None if subject is None else subject_index(self.ledger, *subject)
            if found is None:
                self.index.catch_up(self.ledger)
                found = self.index
            yield found

    def catalogue(self, at: datetime | None = None) -> Catalogue:
        """The catalogue of the bundle in force ``at`` (default now), else the default one."""
        when = at or datetime.now(UTC)
        with self.lock:
            published = bundle_in_force(self.ledger, when, when)
        return default_catalogue() if published is None else published.bundle.catalogue

    def cosigned(self) -> dict[str, Any] | None:
        """The latest checkpoint of this ledger the witness cosigned, as published
        (:func:`socialcredit.witness.published_cosignature`); None without a witness.

        Raises:
            NotFoundError: if the witness never cosigned a checkpoint of this ledger.
            IntegrityError: if its cosignature does not verify.
            ConfigurationError: if the witness directory holds no witness store.
        """
        if self.witness_dir is None:
            return None
        from ..witness import published_cosignature

        with self.lock:
            return published_cosignature(self.ledger, self.witness_dir)

    def verify(self) -> tuple[VerifyReport, PinnedKey]:
        """Verify the whole ledger on a connection of its own, against the pinned key, the
        server's clock and, with a witness, its latest cosigned checkpoint; with the key used.

        A witness whose store is missing, has not cosigned yet or whose cosignature does not
        verify is reported as a problem of the verification, not raised.
        """
        pinned = pinned_public_key(self.settings, self.ledger)
        witnessed, trouble = None, None
        if self.witness_dir is not None:
            from ..witness import witness_checkpoint

            try:
                witnessed, _ = witness_checkpoint(self.witness_dir, self.ledger.origin)
            except SocialCreditError as exc:
                trouble = f"the witness's checkpoint could not be used: {exc}"
        store = open_store(self.settings.store)
        try:
            now_us = utc_now_us()
            report = verify_ledger(store, pinned.key, witness=witnessed, now_us=now_us)
        finally:
            store.close()
        if trouble is not None:
            report.fail(trouble, check="witness")
        return report, pinned

    def start(self) -> None:
        """Begin serving (the app's lifespan): reopen the ledger if a previous lifespan closed
        it, and start the decision service. Lifespans may nest; the last one out closes."""
        with self.lock:
            if self._closed:
                self.ledger = open_ledger(self.settings, write=True)
                self.index = RecordIndex()
                if self._owns_accounts:
                    self.accounts = AccountStore(self.accounts.path)
                self._closed = False
            self._running += 1
            if self._running == 1:
                self._start_decisions()
                # What is loaded now lives as long as the server: keep the cyclic collector
                # from rescanning it (a full collection of a large view stalls every request).
                # (A full collection of a large heap takes seconds: the young generations
                # are enough, and what else is garbage stays frozen, unscanned.)
                gc.collect(1)
                gc.freeze()

    def _start_decisions(self) -> None:
        from ..consequences import DecisionService

        self._decisions_ledger = open_ledger(self.settings, write=True)
        for ledger in (self.ledger, self._decisions_ledger):  # no request waits for one
            background = getattr(ledger.store, "checkpoint_in_background", None)
            if background is not None:
                background()
        self.decisions = DecisionService(self._decisions_ledger, snapshot=True)
        self.decisions.citations(utc_now_us())  # the memoranda now, not on the first decision
        if self.snapshot_every > 0:
            self._snapshots = SnapshotSchedule(
                self.settings,
                self._decisions_ledger.size,
                every=self.snapshot_every,
                start_size=self.decisions.restored_from,
            )
            self._snapshots.start()

    def close(self) -> None:
        """End a lifespan; the last one flushes and closes the decision audit writer, then
        closes the ledgers (and the accounts file if the app opened it)."""
        with self.lock:
            self._running -= 1
            if self._running > 0 or self._closed:
                return
            if self._snapshots is not None:
                self._snapshots.stop()
                self._snapshots = None
            if self.decisions is not None:
                self.decisions.close()
                self.decisions = None
            if self._decisions_ledger is not None:
                self._decisions_ledger.store.close()
                self._decisions_ledger = None
            self.ledger.store.close()
            if self._owns_accounts:
                self.accounts.close()
            self._closed = True


def create_app(
    settings: Settings,
    *,
    accounts: AccountStore | None = None,
    rate_limit: RateLimit | None = None,
    body_limits: BodyLimits | None = None,
    witness_dir: Path | None = None,
    snapshot_every: int = 0,
) -> FastAPI:
    """Build the application over the ledger named by ``settings``.

    Args:
        settings: which store, key and accounts file to use.
        accounts: an account store to use instead of the one named by ``settings``.
        rate_limit: every caller's allowance (default :class:`RateLimit`).
        body_limits: the largest request bodies (default :class:`BodyLimits`: JSON 1 MiB,
            uploads 64 MiB).
        witness_dir: a witness whose latest cosignature of the ledger is published
            (``GET /ledger/cosigned``, the portal's front and audit pages).
        snapshot_every: as for :class:`AppContext`.

    Raises:
        ConfigurationError: if the ledger, its signing key or the accounts cannot be opened.
        RuntimeError: if an API route does not declare its roles (deny by default).
    """
    store = accounts or AccountStore(settings.accounts_path())
    ctx = AppContext(
        settings,
        store,
        rate_limit or RateLimit(),
        owns_accounts=accounts is None,
        witness_dir=witness_dir,
        snapshot_every=snapshot_every,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.start()
        try:
            yield
        finally:
            ctx.close()

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
    app.state.ctx = ctx
    install_error_handlers(app)
    from .routes import routers

    api = routers()
    for router in api:
        _check_guarded(router)
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.state.routes = RouteTable(api, API_PREFIX)
    app.add_middleware(RequestGate, limits=body_limits or BodyLimits(), routes=app.state.routes)
    _describe_security(app)
    _mount_portal(app)
    return app


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


def _mount_portal(app: FastAPI) -> None:
    from starlette.staticfiles import StaticFiles

    from .. import web

    app.include_router(web.router)
    web.install_page_errors(app)
    static = Path(web.__file__).resolve().parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
