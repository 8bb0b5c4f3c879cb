"""Notices as ledger entries: the outbox (``NoticeQueued``) and each delivery attempt.

Entry data (all v1; no e-mail address ever enters the ledger)::

    NoticeQueued          {"notice": id, "kind": kind, "subject": {"kind", "id"},
                           "trigger": position | null, "content": {...}}
    NoticeDelivered       {"notice": id, "subject": {...}, "attempt": n, "channel": "email",
                           "message_id": "<...>"}
    NoticeDeliveryFailed  {"notice": id, "subject": {...}, "attempt": n, "channel": "email",
                           "code": SMTP reply code | null, "error": text, "transient": bool,
                           "final": bool}

``content`` is language-neutral: codes, ledger positions, ISO dates and recourse codes; the
words are chosen when a notice is shown or sent, in the reader's language (:mod:`.texts`).

A notice's id is derived from its *trigger key* (kind + the entry or listing that calls for
it), and the ``NoticeQueued`` entry carries the same key as its ledger idempotency key, so one
trigger gives one notice however often, or however concurrently, queueing runs. A delivery is
recorded once (idempotency key ``notice-delivered:<id>``); each failed attempt once
(``notice-failed:<id>:<attempt>``).

:func:`outbox` folds these entries into the state of every notice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from socialcredit.ledger import decode_entry, entry_of, subject_entries

from ..events import EVENTS
from ..ledger import Entry, Ledger, PendingEntry
from ..timeutil import format_time
from .events import NoticeDeliveredV1, NoticeDeliveryFailedV1, NoticeQueuedV1

__all__ = [
    "DELIVERED",
    "FAILED",
    "KINDS",
    "NOTICE_TYPES",
    "QUEUED",
    "Notice",
    "NoticeState",
    "Outbox",
    "delivered_entry",
    "failed_entry",
    "notice_id",
    "notices_of",
    "outbox",
    "queued_entry",
    "scan_types",
]

QUEUED = NoticeQueuedV1.TYPE
DELIVERED = NoticeDeliveredV1.TYPE
FAILED = NoticeDeliveryFailedV1.TYPE
NOTICE_TYPES = frozenset({QUEUED, DELIVERED, FAILED})
CHANNEL = "email"

#: Every kind of notice (where each comes from: :mod:`socialcredit.notices._sources`).
KINDS = (
    "listing_noticed",
    "adverse_decision",
    "dispute_deadlines",
    "dispute_overdue",
    "record_recertified",
    "repair_outcome",
)
_TYPE_MARK = b',"type":"'


def notice_id(key: str) -> str:
    """The stable id of the notice with trigger key ``key``: ``n`` + 24 hex digits."""
    return "n" + hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice in the outbox.

    Attributes:
        id: stable id (see :func:`notice_id`).
        kind: one of :data:`KINDS`.
        subject: ``(kind, external id)`` of the subject it is addressed to.
        trigger: the ledger position of the entry that called for it (None if none, e.g. a
            grade listing).
        content: the language-neutral content (codes, positions, ISO dates, recourse).
        position: where its ``NoticeQueued`` entry is; queued_us: when it was queued.
    """

    id: str
    kind: str
    subject: tuple[str, str]
    trigger: int | None
    content: Mapping[str, Any]
    position: int = -1
    queued_us: int = 0

    def to_json(self) -> dict[str, Any]:
        """The notice as JSON-able values."""
        return {
            "notice": self.id,
            "kind": self.kind,
            "subject": {"kind": self.subject[0], "id": self.subject[1]},
            "trigger": self.trigger,
            "content": dict(self.content),
            "position": self.position,
            "queued_at": format_time(self.queued_us),
        }


@dataclass(slots=True)
class NoticeState:
    """A notice and what became of its delivery, as the ledger says.

    Attributes:
        attempts: delivery attempts recorded (failed ones, plus the delivery).
        delivered_us: when its delivery was recorded; None if not (yet).
        last_attempt_us: when the latest attempt was recorded.
        last_error: the latest failure's reply code and text (no address in it).
        final: a permanent failure after the last attempt allowed; it is not retried.
    """

    notice: Notice
    attempts: int = 0
    delivered_us: int | None = None
    last_attempt_us: int | None = None
    last_error: str | None = None
    final: bool = False
    message_id: str | None = None

    @property
    def status(self) -> str:
        """``delivered``, ``pending`` (never tried), ``retrying`` or ``failed`` (given up)."""
        if self.delivered_us is not None:
            return "delivered"
        if self.final:
            return "failed"
        return "retrying" if self.attempts else "pending"

    def to_json(self) -> dict[str, Any]:
        """The notice with its delivery state, as JSON-able values."""
        return {
            **self.notice.to_json(),
            "status": self.status,
            "attempts": self.attempts,
            "delivered_at": None if self.delivered_us is None else format_time(self.delivered_us),
            "last_error": self.last_error,
        }


def queued_entry(key: str, notice: Notice) -> PendingEntry:
    """The ``NoticeQueued`` entry of ``notice`` (whose id must be ``notice_id(key)``), with
    ``key`` as its idempotency key."""
    event = NoticeQueuedV1(
        notice.id, notice.kind, notice.subject, notice.trigger, dict(notice.content)
    )
    return entry_of(event, f"notice:{key}", notice.subject)


def delivered_entry(notice: Notice, attempt: int, message_id: str) -> PendingEntry:
    """The ``NoticeDelivered`` entry of ``notice`` (recorded once per notice)."""
    event = NoticeDeliveredV1(notice.id, notice.subject, attempt, CHANNEL, message_id)
    return entry_of(event, f"notice-delivered:{notice.id}", notice.subject)


def failed_entry(
    notice: Notice, attempt: int, code: int | None, error: str, *, transient: bool, final: bool
) -> PendingEntry:
    """The ``NoticeDeliveryFailed`` entry of one failed attempt (``error`` holds no address)."""
    event = NoticeDeliveryFailedV1(
        notice.id, notice.subject, attempt, CHANNEL, code, error, transient, final
    )
    return entry_of(event, f"notice-failed:{notice.id}:{attempt}", notice.subject)


def _entry_type(raw: bytes) -> bytes:
    start = raw.rfind(_TYPE_MARK) + len(_TYPE_MARK)
    return raw[start : raw.index(b'"', start)]


def scan_types(ledger: Ledger, types: Iterable[str], start: int = 0) -> Iterator[Entry]:
    """Decoded entries of ``types`` from ``start``, in ledger order; others are not decoded."""
    wanted = {t.encode() for t in types}
    for position, raw in ledger.raw_entries(start):
        if _entry_type(raw) in wanted:
            yield decode_entry(position, raw)


@dataclass(slots=True)
class Outbox:
    """Every notice's state, by id, in the order they were queued."""

    notices: dict[str, NoticeState] = field(default_factory=dict)

    def apply(self, entry: Entry) -> None:
        """Fold one notice entry in (others are ignored)."""
        if entry.type not in NOTICE_TYPES:
            return
        event = EVENTS.read_entry(entry)
        if isinstance(event, NoticeQueuedV1):
            notice = Notice(
                event.notice, event.kind, event.subject, event.trigger, event.content,
                entry.position, entry.recorded_at_us,
            )  # fmt: skip
            self.notices.setdefault(notice.id, NoticeState(notice))
            return
        if not isinstance(event, NoticeDeliveredV1 | NoticeDeliveryFailedV1):
            return
        state = self.notices.get(event.notice)
        if state is None:
            return
        state.attempts = max(state.attempts, event.attempt)
        state.last_attempt_us = entry.recorded_at_us
        if isinstance(event, NoticeDeliveredV1):
            state.delivered_us = entry.recorded_at_us
            state.message_id = event.message_id
        else:
            code = event.code
            state.last_error = f"{code} {event.error}" if code else event.error
            state.final = event.final


def outbox(ledger: Ledger) -> Outbox:
    """The state of every notice in the ledger (a scan of the notice entries).

    Raises:
        StorageError: if a stored entry is malformed.
    """
    found = Outbox()
    for entry in scan_types(ledger, NOTICE_TYPES):
        found.apply(entry)
    return found


def notices_of(ledger: Ledger, subject: tuple[str, str]) -> list[NoticeState]:
    """Every notice addressed to ``subject`` with its delivery state, oldest first; read
    through the per-subject index (the whole ledger while the index is incomplete).

    Raises:
        StorageError: if a stored entry is malformed.
    """
    indexed = subject_entries(ledger, [subject], with_global=False)
    entries = scan_types(ledger, NOTICE_TYPES) if indexed is None else iter(indexed[1])
    found = Outbox()
    for entry in entries:
        if entry.type in NOTICE_TYPES:
            found.apply(entry)
    return [s for s in found.notices.values() if s.notice.subject == subject]
