"""The entries the rights package writes, as typed events (the schema in code): disputes
and appeals, statements, file reads, and credit repair with its appeal.

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`; :func:`dispute_event` reads a ledger entry into one.
``to_data()`` gives back exactly the data the entry holds, so an event written through these
classes encodes to the same canonical bytes as today's dicts.

Identifiers: a dispute is ``D<target position>-<n>``, its appeal ``A<dispute>``; ``by`` is an
officer (or, for evidence, the subject or the source); free texts are checked by the
functions in :mod:`socialcredit.rights._disputes` before they are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialcredit.errors import Problem, ValidationError
from socialcredit.events import EVENTS, Event
from socialcredit.ledger import Entry, PendingEntry, entry_of

__all__ = [
    "DISPUTE_EVENTS",
    "RIGHTS_EVENTS",
    "AppealDecidedV1",
    "AppealOpenedV1",
    "DisputeAcknowledgedV1",
    "DisputeDecidedV1",
    "DisputeEvidenceAddedV1",
    "DisputeOpenedV1",
    "FileReadV1",
    "RepairAppealDecidedV1",
    "RepairAppealOpenedV1",
    "RepairAppliedV1",
    "RepairDecidedV1",
    "StatementAttachedV1",
    "dispute_event",
    "pending",
]


@EVENTS.register
@dataclass(frozen=True, slots=True)
class DisputeOpenedV1(Event):
    """A subject disputed an entry (a filed record or a rating) of their file."""

    TYPE: ClassVar[str] = "DisputeOpened"
    VERSION: ClassVar[int] = 1
    dispute: str
    target: int
    target_type: str  # RecordFiled or RatingGiven
    subject: tuple[str, str]  # (kind, id); in the data {"kind": ..., "id": ...}
    grounds: str

    SUBJECTS: ClassVar[frozenset[str]] = frozenset({"subject"})


@EVENTS.register
@dataclass(frozen=True, slots=True)
class DisputeAcknowledgedV1(Event):
    """An officer acknowledged a dispute."""

    TYPE: ClassVar[str] = "DisputeAcknowledged"
    VERSION: ClassVar[int] = 1
    dispute: str
    by: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class DisputeEvidenceAddedV1(Event):
    """New evidence for a dispute (it may extend the decision deadline to 45 days)."""

    TYPE: ClassVar[str] = "DisputeEvidenceAdded"
    VERSION: ClassVar[int] = 1
    dispute: str
    by: str
    evidence: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class DisputeDecidedV1(Event):
    """An officer decided a dispute: ``upheld``, ``corrected`` or ``deleted``."""

    TYPE: ClassVar[str] = "DisputeDecided"
    VERSION: ClassVar[int] = 1
    dispute: str
    outcome: str
    by: str
    reason: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class AppealOpenedV1(Event):
    """The subject appealed a dispute's decision."""

    TYPE: ClassVar[str] = "AppealOpened"
    VERSION: ClassVar[int] = 1
    appeal: str
    dispute: str
    grounds: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class AppealDecidedV1(Event):
    """An appeal officer (never the one who decided the dispute) decided the appeal."""

    TYPE: ClassVar[str] = "AppealDecided"
    VERSION: ClassVar[int] = 1
    appeal: str
    dispute: str
    outcome: str
    by: str
    reason: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class StatementAttachedV1(Event):
    """The subject attached their statement to a record of their file."""

    TYPE: ClassVar[str] = "StatementAttached"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = frozenset({"subject"})
    record: int
    subject: tuple[str, str]
    text: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class FileReadV1(Event):
    """Someone read the subject's file (or one entry of it) for a whitelisted purpose."""

    TYPE: ClassVar[str] = "FileRead"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = frozenset({"subject"})
    subject: tuple[str, str]
    reader: str
    purpose: str
    what: str  # file, entry, ...


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RepairAppliedV1(Event):
    """The subject applied to end a published penalty early (credit repair); ``conditions``
    are the rules' conditions as they stood (``{"name", "met", "detail"}`` each)."""

    TYPE: ClassVar[str] = "RepairApplied"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = frozenset({"subject"})
    repair: str
    record: int
    subject: tuple[str, str]
    grounds: str
    conditions: list[dict[str, Any]]


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RepairDecidedV1(Event):
    """An officer granted or refused a repair application (``notice`` tells the subject)."""

    TYPE: ClassVar[str] = "RepairDecided"
    VERSION: ClassVar[int] = 1
    repair: str
    record: int
    outcome: str  # granted or refused
    by: str
    reason: str
    unmet: list[str]
    ends_scoring: bool
    notice: dict[str, Any]  # {"to": {"kind", "id"}, "text"}


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RepairAppealOpenedV1(Event):
    """The subject appealed a refused repair application."""

    TYPE: ClassVar[str] = "RepairAppealOpened"
    VERSION: ClassVar[int] = 1
    appeal: str
    repair: str
    grounds: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RepairAppealDecidedV1(Event):
    """Another officer decided the appeal: ``granted`` or ``confirmed``."""

    TYPE: ClassVar[str] = "RepairAppealDecided"
    VERSION: ClassVar[int] = 1
    repair: str
    record: int
    outcome: str
    by: str
    reason: str
    unmet: list[str]
    ends_scoring: bool
    notice: dict[str, Any]
    appeal: str


#: The dispute and appeal events, in the order a dispute's life writes them.
DISPUTE_EVENTS: tuple[type[Event], ...] = (
    DisputeOpenedV1,
    DisputeAcknowledgedV1,
    DisputeEvidenceAddedV1,
    DisputeDecidedV1,
    AppealOpenedV1,
    AppealDecidedV1,
)

#: The other rights entries: statements, reads and credit repair.
RIGHTS_EVENTS: tuple[type[Event], ...] = (
    StatementAttachedV1,
    FileReadV1,
    RepairAppliedV1,
    RepairDecidedV1,
    RepairAppealOpenedV1,
    RepairAppealDecidedV1,
)


def dispute_event(entry: Entry) -> Event:
    """The typed event of a dispute or appeal entry (lifted to the latest version).

    Raises:
        ValidationError: if the entry is of another type or its data does not match.
    """
    if entry.type not in {cls.TYPE for cls in DISPUTE_EVENTS}:
        raise ValidationError(
            "not a dispute entry", [Problem("type", f"{entry.type!r} is not a dispute event")]
        )
    return EVENTS.read_entry(entry)


def pending(
    event: Event, idempotency_key: str | None = None, subject: tuple[str, str] | None = None
) -> PendingEntry:
    """The entry to append for ``event``."""
    return entry_of(event, idempotency_key, subject)
