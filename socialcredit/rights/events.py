"""The entries of disputes and appeals, as typed events (the schema in code).

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`; :func:`dispute_event` reads a ledger entry into one.
``to_data()`` gives back exactly the data the entry holds, so an event written through these
classes encodes to the same canonical bytes as today's dicts.

Identifiers: a dispute is ``D<target position>-<n>``, its appeal ``A<dispute>``; ``by`` is an
officer (or, for evidence, the subject or the source); free texts are checked by the
functions in :mod:`socialcredit.rights.disputes` before they are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from socialcredit.errors import Problem, ValidationError
from socialcredit.events import EVENTS, Event
from socialcredit.ledger import Entry, PendingEntry

__all__ = [
    "DISPUTE_EVENTS",
    "AppealDecidedV1",
    "AppealOpenedV1",
    "DisputeAcknowledgedV1",
    "DisputeDecidedV1",
    "DisputeEvidenceAddedV1",
    "DisputeOpenedV1",
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

    def to_data(self) -> dict[str, Any]:
        """The entry's data, the subject as ``{"kind", "id"}``."""
        kind, id_ = self.subject
        return {
            "dispute": self.dispute,
            "target": self.target,
            "target_type": self.target_type,
            "subject": {"kind": kind, "id": id_},
            "grounds": self.grounds,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """The event of ``data``.

        Raises:
            ValidationError: naming a missing or unexpected key, or a malformed subject.
        """
        subject = data.get("subject")
        if not isinstance(subject, Mapping) or set(subject) != {"kind", "id"}:
            raise ValidationError(
                "not a DisputeOpened v1 entry", [Problem("data.subject", "must be {kind, id}")]
            )
        flat = {**data, "subject": (subject["kind"], subject["id"])}
        return super(DisputeOpenedV1, cls).from_data(flat)


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


#: The dispute and appeal events, in the order a dispute's life writes them.
DISPUTE_EVENTS: tuple[type[Event], ...] = (
    DisputeOpenedV1,
    DisputeAcknowledgedV1,
    DisputeEvidenceAddedV1,
    DisputeDecidedV1,
    AppealOpenedV1,
    AppealDecidedV1,
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
    return PendingEntry(event.TYPE, event.to_data(), idempotency_key, subject, event.VERSION)
