"""The entries the notices package writes, as typed events (the schema in code): the outbox
entry of a notice and each attempt to deliver it.

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`. ``to_data()`` gives back exactly the data the entry holds,
so the canonical bytes are those written before the classes existed. No e-mail address ever
enters the ledger: a notice names its subject (``(kind, id)`` here, ``{"kind", "id"}`` in the
data) and its content is language-neutral (:mod:`socialcredit.notices._model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialcredit.events import EVENTS, Event

__all__ = [
    "NOTICE_EVENTS",
    "NoticeDeliveredV1",
    "NoticeDeliveryFailedV1",
    "NoticeQueuedV1",
]

_SUBJECT: frozenset[str] = frozenset({"subject"})


@EVENTS.register
@dataclass(frozen=True, slots=True)
class NoticeQueuedV1(Event):
    """A notice entered the outbox: its id, kind, subject, the entry that called for it
    (``trigger``, None for a listing) and its language-neutral content."""

    TYPE: ClassVar[str] = "NoticeQueued"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    notice: str
    kind: str
    subject: tuple[str, str]
    trigger: int | None
    content: dict[str, Any]


@EVENTS.register
@dataclass(frozen=True, slots=True)
class NoticeDeliveredV1(Event):
    """A notice was delivered (recorded once per notice)."""

    TYPE: ClassVar[str] = "NoticeDelivered"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    notice: str
    subject: tuple[str, str]
    attempt: int
    channel: str
    message_id: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class NoticeDeliveryFailedV1(Event):
    """One attempt to deliver a notice failed (``code``: the SMTP reply, if any); ``final``
    when the worker gave up."""

    TYPE: ClassVar[str] = "NoticeDeliveryFailed"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    notice: str
    subject: tuple[str, str]
    attempt: int
    channel: str
    code: int | None
    error: str
    transient: bool
    final: bool


#: The notice entry classes.
NOTICE_EVENTS: tuple[type[Event], ...] = (NoticeQueuedV1, NoticeDeliveredV1, NoticeDeliveryFailedV1)
