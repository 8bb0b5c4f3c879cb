"""Statements of dispute: the subject's own words attached to a record, shown wherever the
record is shown (the report, the explanation).

    StatementAttached {"record": pos, "subject": {"kind", "id"}, "text": str}   (data v1)

Only the record's subject may attach a statement; it is at most :data:`MAX_STATEMENT`
characters and may not name another person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from socialcredit.errors import Problem, ValidationError
from socialcredit.events import EVENTS
from socialcredit.ledger import Entry, Ledger, entry_of, ledger_now, scan_entries, subject_entries
from socialcredit.rights._disputes import checked_record
from socialcredit.rights._text import checked_text
from socialcredit.rights.events import StatementAttachedV1
from socialcredit.timeutil import format_time

__all__ = ["MAX_STATEMENT", "Statement", "attach_statement", "statements_of"]

MAX_STATEMENT = 1_000
STATEMENT_ATTACHED = StatementAttachedV1.TYPE


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement attached to the record at ``record``."""

    position: int
    record: int
    at_us: int
    text: str

    def to_json(self) -> dict[str, Any]:
        """The statement as JSON-able values."""
        return {"position": self.position, "at": format_time(self.at_us), "text": self.text}


def attach_statement(ledger: Ledger, subject: tuple[str, str], position: int, text: str) -> int:
    """Attach the subject's statement to their record at ``position``; returns the entry
    position.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a record.
        ValidationError: if the record is about someone else, or the text is empty, longer
            than :data:`MAX_STATEMENT` or names another person.
    """
    row, _ = checked_record(ledger, position)
    if (row.subject_kind, row.subject_id) != subject:
        reason = "only the record's subject may attach a statement to it"
        raise ValidationError("statement refused", [Problem("SUBJECT", reason)])
    event = StatementAttachedV1(
        position, subject, checked_text(text, "text", subject[1], MAX_STATEMENT)
    )
    return ledger.append([entry_of(event, None, subject)])[0].position


def statements_of(
    ledger: Ledger, subject: tuple[str, str], at_us: int | None = None
) -> dict[int, list[Statement]]:
    """The subject's statements recorded by ``at_us`` (default now), by record position."""
    known_us = ledger_now(ledger) if at_us is None else at_us
    own = subject_entries(ledger, [subject], with_global=False)
    if own is not None:  # the subject's statements are among their own entries
        return statements_by_position(own[1], subject, known_us)
    return statements_by_position(
        scan_entries(ledger, {STATEMENT_ATTACHED}, containing=subject[1].encode()),
        subject,
        known_us,
    )


def statements_by_position(
    entries: Iterable[Entry], subject: tuple[str, str], known_us: int
) -> dict[int, list[Statement]]:
    """Statements among ``entries`` (other types ignored) about ``subject``, recorded by
    ``known_us``, by record position."""
    out: dict[int, list[Statement]] = {}
    for entry in entries:
        if entry.type != STATEMENT_ATTACHED or entry.recorded_at_us > known_us:
            continue
        attached = EVENTS.read_as(entry, StatementAttachedV1)
        if attached.subject != subject:
            continue
        found = Statement(entry.position, attached.record, entry.recorded_at_us, attached.text)
        out.setdefault(attached.record, []).append(found)
    return out
