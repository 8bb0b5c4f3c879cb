"""Record rows: a ``RecordFiled`` entry as the plain values the scoring definition needs, and
the entry types of a record's lifecycle (their data and rules: the record index's module).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from socialcredit.ledger import Entry, Ledger
from socialcredit.timeutil import parse_time

__all__ = [
    "LIFECYCLE_ENTRY_TYPES",
    "RECORD_FILED",
    "RecordRow",
    "project_entries",
    "project_entry",
    "record_rows",
]

RECORD_FILED = "RecordFiled"
LIFECYCLE_ENTRY_TYPES = frozenset(
    {
        "RecordCorrected",
        "RecordWithdrawn",
        "RecordRecertified",
        "DisputeOpened",
        "DisputeEvidenceAdded",
        "DisputeDecided",
        "AppealDecided",
    }
)

SubjectKey = tuple[str, str]


class RecordRow(NamedTuple):
    """One filed record as plain values (times in microseconds since the epoch, UTC)."""

    position: int
    subject_kind: str
    subject_id: str
    kind: str
    occurred_at_us: int
    recorded_at_us: int
    amount: int | None


def project_entry(entry: Entry) -> RecordRow | None:
    """The row of a ``RecordFiled`` entry, or None for any other entry type.

    Raises:
        KeyError, ValueError: if a ``RecordFiled`` entry's data is not a record payload.
    """
    if entry.type != RECORD_FILED:
        return None
    data = entry.data
    subject = data["subject"]
    amount = data.get("amount")
    return RecordRow(
        position=entry.position,
        subject_kind=str(subject["kind"]),
        subject_id=str(subject["id"]),
        kind=str(data["kind"]),
        occurred_at_us=parse_time(data["occurred_at"]),
        recorded_at_us=entry.recorded_at_us,
        amount=None if amount is None else int(amount),
    )


def project_entries(entries: Iterable[Entry]) -> Iterator[RecordRow]:
    """The rows of the ``RecordFiled`` entries among ``entries``, in order."""
    for entry in entries:
        row = project_entry(entry)
        if row is not None:
            yield row


def record_rows(ledger: Ledger, start: int = 0, stop: int | None = None) -> Iterator[RecordRow]:
    """The rows of the ``RecordFiled`` entries at ``start <= position < stop``, in order."""
    return project_entries(ledger.entries(start, stop))
