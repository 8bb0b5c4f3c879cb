"""Use cases: notices to subjects (the outbox in the ledger, their delivery by e-mail, a
subject's reading of them) and the addresses they go to (the subject's consent, kept outside
the ledger)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..accounts import Principal
from ._core import SystemCore

if TYPE_CHECKING:
    from ..notices import (
        Contact,
        ContactStore,
        DeliveryReport,
        NoticeState,
        QueueReport,
        RetryPolicy,
        SmtpSettings,
    )

__all__ = ["NoticeUseCases"]


class NoticeUseCases(SystemCore):
    """Notices and the addresses they go to. The contacts store is opened on first use
    beside the accounts store and closed with the system."""

    _contacts: ContactStore | None = None

    @property
    def contacts(self) -> ContactStore:
        """The subjects' registered addresses (opened from the settings on first use).

        Raises:
            ConfigurationError: if the contacts file cannot be opened.
        """
        with self.lock:
            if self._contacts is None:
                from ..notices import ContactStore, contacts_path

                self._contacts = ContactStore(contacts_path(self.settings))
            return self._contacts

    def _close_stores(self) -> None:
        super()._close_stores()
        if self._contacts is not None:
            self._contacts.close()
            self._contacts = None

    # ---------------------------------------------------------------- a subject's notices

    def notices(
        self, who: Principal, subject: tuple[str, str], *, purpose: str | None = None
    ) -> list[NoticeState]:
        """Every notice to SUBJECT (language-neutral content), oldest first, with its e-mail
        delivery status; a logged read of a person's file (``notices``).

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
            ValidationError: naming ``purpose`` or ``reader`` if refused; nothing is read then.
        """
        from ..notices import read_notices

        self.check_own(who, subject)
        with self.lock:
            return read_notices(self.ledger, subject, who.account, self.read_purpose(who, purpose))

    def contact(self, who: Principal, subject: tuple[str, str]) -> Contact | None:
        """SUBJECT's registered address for notices, if any.

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
        """
        self.check_own(who, subject)
        return self.contacts.get(subject)

    def register_contact(
        self, who: Principal, subject: tuple[str, str], address: str, language: str = "zh-CN"
    ) -> Contact:
        """Register (or replace) SUBJECT's address for notices and the language of the
        e-mails: their consent.

        Raises:
            PermissionDeniedError: if a subject registers for someone else.
            ValidationError: naming ``address`` or ``language`` if it is not acceptable.
        """
        self.check_own(who, subject)
        return self.contacts.register(subject, address, language)

    def erase_contact(self, who: Principal, subject: tuple[str, str]) -> bool:
        """Erase SUBJECT's address (consent withdrawn); True if there was one. Notices stay
        readable in the portal.

        Raises:
            PermissionDeniedError: if a subject erases someone else's.
        """
        self.check_own(who, subject)
        return self.contacts.erase(subject)

    # ------------------------------------------------------------------- the outbox

    def queue_notices(self, kinds: tuple[str, ...] | None = None) -> QueueReport:
        """Put every notice the rules require (of ``kinds``, default all) into the outbox,
        once per trigger (idempotent).

        Raises:
            ValidationError: if a kind is unknown.
        """
        from ..notices import queue_notices

        with self.lock:
            return queue_notices(self.ledger, kinds=kinds)

    def outbox(self) -> list[NoticeState]:
        """Every notice in the outbox with its delivery status (personal data included: an
        adapter shows only ids, kinds, triggers and statuses)."""
        from ..notices import outbox

        with self.lock:
            return list(outbox(self.ledger).notices.values())

    def delivery_lock_path(self) -> Path:
        """The file whose lock one delivery worker per ledger holds."""
        from ..notices import contacts_path
        from ..storage import sqlite_path

        path = sqlite_path(self.settings.store)
        base = path if path is not None else contacts_path(self.settings)
        return Path(f"{base}.notices.lock")

    def deliver_notices(
        self,
        smtp: SmtpSettings,
        *,
        policy: RetryPolicy | None = None,
        limit: int | None = None,
        connections: int = 1,
        every: float | None = None,
        duration: float | None = None,
    ) -> Iterator[DeliveryReport]:
        """Send the notices due by e-mail and record each attempt in the ledger: one pass,
        or with ``every`` a pass every so many seconds (for ``duration`` seconds, default
        for ever), yielding each pass's report; holding the ledger's delivery lock.

        Raises:
            LedgerOverloadedError: if another delivery worker runs on this ledger.
            ConfigurationError: if the lock file cannot be opened.
        """
        from socialcredit.notices import run_worker

        from ..notices import deliver_due, worker_lock

        until = None if duration is None else time.monotonic() + duration
        contacts = self.contacts

        def one_pass() -> DeliveryReport:
            with self.lock:
                return deliver_due(
                    self.ledger, contacts, smtp, policy=policy, limit=limit,
                    connections=connections,
                )  # fmt: skip

        with worker_lock(self.delivery_lock_path()):
            yield from run_worker(
                one_pass, interval=every or 0.0, until=until if every else time.monotonic()
            )
