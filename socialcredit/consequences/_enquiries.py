"""Enquiries about a subject: every decision a point of service asked for, read from the
``DecisionMade`` entries this package writes (typed, :class:`DecisionMadeV1`).

The subject sees who asked about them, for which service and purpose, when, and the outcome
(the credit-reporting rule that a file shows its enquiries). Decisions made before they were
attributed read with ``requested_by`` and ``purpose`` None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from socialcredit.consequences.events import DecisionMadeV1
from socialcredit.events import EVENTS
from socialcredit.ledger import Entry, Ledger, ledger_now, scan_entries
from socialcredit.timeutil import format_time, to_us

__all__ = ["DECISION_MADE", "EnquiryV1", "enquiries_of", "project_enquiries"]

DECISION_MADE = DecisionMadeV1.TYPE  # an enquiry: a service asked about the subject


@dataclass(frozen=True, slots=True)
class EnquiryV1:
    """One enquiry about the subject: who asked for which service, when, and the outcome
    (a ``DecisionMade`` entry; ``requested_by`` is None for decisions made before they were
    attributed)."""

    position: int
    at_us: int
    requested_by: str | None
    purpose: str | None
    service: str
    outcome: str

    def to_json(self) -> dict[str, Any]:
        """The enquiry as JSON-able values."""
        return {
            "position": self.position,
            "at": format_time(self.at_us),
            "requested_by": self.requested_by,
            "purpose": self.purpose,
            "service": self.service,
            "outcome": self.outcome,
        }


def enquiries_of(
    ledger: Ledger, subject: tuple[str, str], at: datetime | int | None = None
) -> list[EnquiryV1]:
    """Every decision asked about the subject recorded by ``at`` (default now), oldest first."""
    known = ledger_now(ledger) if at is None else at
    known_us = known if isinstance(known, int) else to_us(known)
    entries = scan_entries(ledger, {DECISION_MADE}, containing=subject[1].encode())
    return project_enquiries(entries, subject, known_us)


def project_enquiries(
    entries: Iterable[Entry], subject: tuple[str, str], known_us: int
) -> list[EnquiryV1]:
    """:func:`enquiries_of` over already-read entries (in ledger order; other types ignored).

    Raises:
        ValidationError: if a ``DecisionMade`` entry does not read as one (naming the key).
    """
    out = []
    for entry in entries:
        if entry.type != DECISION_MADE or entry.recorded_at_us > known_us:
            continue
        decision = EVENTS.read_as(entry, DecisionMadeV1)
        if decision.subject == subject:
            found = EnquiryV1(
                entry.position,
                entry.recorded_at_us,
                decision.requested_by,
                decision.purpose,
                decision.service,
                decision.outcome,
            )
            out.append(found)
    return out
