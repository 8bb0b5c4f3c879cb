"""The running system's core: the ledger opened once, its projections, the decision service,
the policy in force, the accounts and the one lock (:class:`SystemCore`).

The use cases (:mod:`socialcredit.system`) are methods on top of this core; the adapters never
reach past them to the ledger.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ..accounts import Principal, Role
from ..errors import (
    NotFoundError,
    PermissionDeniedError,
    SocialCreditError,
)
from ..ledger import Ledger, VerifyReport, verify_ledger
from ..policy import PublishedBundle, bundle_in_force
from ..records import RecordIndex, subject_index
from ..rights import log_read, log_reads
from ..service import PinnedKey, open_ledger, pinned_public_key
from ..settings import Settings
from ..storage import open_store
from ..timeutil import utc_now_us
from ._snapshots import SnapshotSchedule

if TYPE_CHECKING:
    from ..accounts import AccountStore
    from ..catalogue import Catalogue
    from ..consequences import DecisionService

__all__ = ["DEFAULT_PURPOSE", "SUBJECT_ACCESS", "SystemCore", "operator"]

#: The purpose of a subject reading their own file.
SUBJECT_ACCESS = "subject_access"
#: The purpose of another reader who names none (an officer handling a dispute).
DEFAULT_PURPOSE = "dispute_handling"


def operator(reader: str) -> Principal:
    """The principal of a command-line operator: every "who did this" field records
    ``reader`` (a short code such as ``officer:li``)."""
    return Principal(Role.ADMIN, reader, account=reader)


class SystemCore:
    """The objects every use case shares.

    Attributes:
        settings: the validated settings the system was opened from.
        ledger: the ledger, opened once with the signing key.
        index: the record index of the whole ledger that :meth:`fresh_index` keeps caught up
            when the decision service does not run (empty until a read needs it).
        lock: serialises use of ``ledger`` and the record index between threads (one SQLite
            connection). Every use case holds it; adapters never need to.
        decisions: the decision service while the system is serving (:meth:`start`), else
            None: then consequences are projected from the ledger on each call.
        witness_dir: a witness's directory whose latest cosignature of this ledger is published.
        snapshot_every: while serving, write a fresh snapshot of the views (in a process of
            its own) whenever the ledger has grown by this many entries; 0: never.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        accounts: AccountStore | None = None,
        witness_dir: Path | None = None,
        snapshot_every: int = 0,
        write: bool = True,
    ) -> None:
        self.settings = settings
        self.witness_dir = witness_dir
        self.snapshot_every = snapshot_every
        self._write = write
        self.ledger: Ledger = open_ledger(settings, write=write)
        self.index = RecordIndex()
        self.lock = threading.RLock()
        self._accounts = accounts
        self._owns_accounts = accounts is None
        self.decisions: DecisionService | None = None
        self._decisions_ledger: Ledger | None = None
        self._snapshots: SnapshotSchedule | None = None
        self._running = 0
        self._closed = False

    @classmethod
    def open(cls, settings: Settings, *, write: bool = True, **options: Any) -> Self:
        """The system over the ledger named by ``settings`` (the signing key loaded with
        ``write``); close it with :meth:`close_store` or use it as a context manager.

        Raises:
            ConfigurationError: if there is no ledger there, or the key does not match it.
        """
        return cls(settings, write=write, **options)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close_store()

    @property
    def accounts(self) -> AccountStore:
        """API keys, users and sessions (opened from the settings on first use)."""
        if self._accounts is None:
            from ..accounts import AccountStore

            self._accounts = AccountStore(self.settings.accounts_path())
        return self._accounts

    # ---------------------------------------------------------------- reading, with the lock

    @contextmanager
    def fresh_index(self, subject: tuple[str, str] | None = None) -> Iterator[RecordIndex]:
        """A record index caught up with the ledger that answers about ``subject`` (None:
        about every subject), with :attr:`lock` held.

        While the decision service runs, this is the index its consequence view keeps (one
        index in memory, in columns, started from the view's snapshot). Otherwise, for one
        subject, an index of that subject's own entries read through the per-subject index;
        for every subject (or while the per-subject index is incomplete), an index of the
        whole ledger kept by the system.

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

    def in_force(self, at: datetime | None = None) -> PublishedBundle | None:
        """The policy bundle in force ``at`` (default now), as known now; None before the
        first publication."""
        when = at or datetime.now(UTC)
        with self.lock:
            return bundle_in_force(self.ledger, when, when)

    def catalogue(self, at: datetime | None = None) -> Catalogue:
        """The catalogue of the bundle in force ``at`` (default now), else the default one."""
        from ..policy import catalogue_in_force

        with self.lock:
            return catalogue_in_force(self.ledger, at or datetime.now(UTC))

    # ------------------------------------------------------------- who reads, and why

    @staticmethod
    def check_own(who: Principal, subject: tuple[str, str] | None) -> None:
        """Refuse a subject reading or acting on anyone's file but their own (None: an entry
        about nobody).

        Raises:
            PermissionDeniedError: if ``who`` is a subject and ``subject`` is not theirs.
        """
        if who.role is Role.SUBJECT and who.subject != subject:
            raise PermissionDeniedError("a subject may read only their own file")

    @staticmethod
    def read_purpose(who: Principal, purpose: str | None) -> str:
        """The purpose of a read: a subject's own is ``subject_access``; others name one from
        the whitelist (default ``dispute_handling``)."""
        if who.role is Role.SUBJECT:
            return SUBJECT_ACCESS
        return purpose or DEFAULT_PURPOSE

    def log_reads(
        self,
        who: Principal,
        subjects: list[tuple[str, str]] | tuple[tuple[str, str], ...],
        purpose: str | None,
        what: str = "file",
    ) -> None:
        """Log a read (``what``) of each person's file in ``subjects`` by ``who``, in one
        append, before it happens; organisations' files are not personal data and are not
        logged. A subject may read only their own file.

        Raises:
            PermissionDeniedError: if a subject asks about someone else (nothing is logged).
            ValidationError: if the purpose is not on the whitelist (nothing is read then).
        """
        for subject in subjects:
            self.check_own(who, subject)
        people = [s for s in subjects if s[0] == "person"]
        if not people:
            return
        with self.lock:
            purpose = self.read_purpose(who, purpose)
            log_reads(self.ledger, people, who.account, purpose, what)

    def subject_at(self, position: int) -> tuple[str, str] | None:
        """Whom the entry at ``position`` names as its subject (None: nobody).

        Raises:
            NotFoundError: if there is no entry at ``position``.
        """
        with self.lock:
            data = self.ledger.entry(position).data
        subject = data.get("subject") if isinstance(data, dict) else None
        if isinstance(subject, dict):
            return str(subject.get("kind")), str(subject.get("id"))
        return None

    def organisation_at(self, number: int) -> tuple[str, str]:
        """The organisation with internal ``number`` (what its public pages are addressed by).

        Raises:
            NotFoundError: if there is none (a person's number is not found either).
        """
        with self.lock:
            for found, kind, subject_id in self.ledger.store.subjects(max(number, 0)):
                if found == number and kind == "organisation":
                    return kind, subject_id
                break
        raise NotFoundError(f"no organisation number {number}")

    def log_page_read(
        self, who: Principal, subject: tuple[str, str], purpose: str, what: str = "file"
    ) -> None:
        """Log a portal page's read of SUBJECT's file by ``who`` for ``purpose`` (whoever the
        subject is, an organisation too), before it happens.

        Raises:
            ValidationError: if the purpose or the reader is refused (nothing is written).
        """
        with self.lock:
            log_read(self.ledger, subject, who.account, purpose, what)

    # ---------------------------------------------------------------- the ledger's integrity

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

    def verify(self, explicit_key: str | None = None) -> tuple[VerifyReport, PinnedKey]:
        """Verify the whole ledger on a connection of its own, against the pinned key (or
        ``explicit_key``), the clock and, with a witness, its latest cosigned checkpoint;
        with the key used.

        A witness whose store is missing, has not cosigned yet or whose cosignature does not
        verify is reported as a problem of the verification, not raised.

        Raises:
            ConfigurationError: if ``explicit_key`` is malformed.
        """
        pinned = pinned_public_key(self.settings, self.ledger, explicit_key)
        witnessed, trouble = None, None
        if self.witness_dir is not None:
            from ..witness import witness_checkpoint

            try:
                witnessed, _ = witness_checkpoint(self.witness_dir, self.ledger.origin)
            except SocialCreditError as exc:
                trouble = f"the witness's checkpoint could not be used: {exc}"
        store = open_store(self.settings.store)
        try:
            report = verify_ledger(store, pinned.key, witness=witnessed, now_us=utc_now_us())
        finally:
            store.close()
        if trouble is not None:
            report.fail(trouble, check="witness")
        return report, pinned

    # ------------------------------------------------------------------------ serving

    def start(self) -> None:
        """Begin serving (a server's lifespan): reopen the ledger if a previous lifespan closed
        it, and start the decision service. Lifespans may nest; the last one out closes."""
        with self.lock:
            if self._closed:
                self.ledger = open_ledger(self.settings, write=self._write)
                self.index = RecordIndex()
                if self._owns_accounts:
                    self._accounts = None
                self._closed = False
            self._running += 1
            if self._running == 1:
                self._start_decisions()
                # What is loaded now lives as long as the server: keep the cyclic collector
                # from rescanning it (a full collection of a large heap takes seconds: the
                # young generations are enough, and the rest stays frozen, unscanned).
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
        closes the ledgers (and the accounts file if the system opened it)."""
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
            self._close_stores()

    def close_store(self) -> None:
        """Close a system that is not serving (a command's): its ledger and accounts."""
        with self.lock:
            if self._running == 0 and not self._closed:
                self._close_stores()

    def _close_stores(self) -> None:
        self.ledger.store.close()
        if self._owns_accounts and self._accounts is not None:
            self._accounts.close()
            self._accounts = None
        self._closed = True
