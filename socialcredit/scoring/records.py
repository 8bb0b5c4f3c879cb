"""The projection of filed records from the ledger into plain rows, and an in-memory index.

A :class:`RecordRow` holds exactly what the scoring definition needs from a ``RecordFiled``
entry. :class:`RecordIndex` keeps the rows per subject; it can be rebuilt from the ledger at
any time, or caught up incrementally (only entries after the last one it has seen are read),
and both must give the same index.

Only ``RecordFiled`` entries are projected; corrections and withdrawals are not applied yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from socialcredit.ledger import Ledger
from socialcredit.ledger.entries import Entry, parse_time

__all__ = ["RECORD_FILED", "RecordIndex", "RecordRow", "project_entries", "record_rows"]

RECORD_FILED = "RecordFiled"

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


class RecordIndex:
    """Record rows per subject, in ledger order, caught up to a ledger position.

    Attributes:
        next_position: the first ledger position not yet read.
        ledger: the ledger last caught up from (None for an index built from rows).
    """

    def __init__(self) -> None:
        self._rows: dict[SubjectKey, list[RecordRow]] = {}
        self.next_position = 0
        self.ledger: Ledger | None = None

    @classmethod
    def build(cls, ledger: Ledger) -> RecordIndex:
        """A fresh index of every record in ``ledger``."""
        index = cls()
        index.catch_up(ledger)
        return index

    @classmethod
    def from_rows(cls, rows: Iterable[RecordRow]) -> RecordIndex:
        """An index of ``rows`` (in position order), not tied to a ledger."""
        index = cls()
        index.add(rows)
        return index

    def add(self, rows: Iterable[RecordRow]) -> int:
        """Add rows at or after :attr:`next_position`; returns how many were added.

        Raises:
            ValueError: if a row's position was already read (rows must come in order).
        """
        added = 0
        for row in rows:
            if row.position < self.next_position:
                raise ValueError(f"row at {row.position} is before {self.next_position}")
            self._rows.setdefault((row.subject_kind, row.subject_id), []).append(row)
            self.next_position = row.position + 1
            added += 1
        return added

    def catch_up(self, ledger: Ledger) -> int:
        """Read only the entries after the last one seen; returns the number of new records.

        Entries appended while this runs are left for the next call.
        """
        self.ledger = ledger
        size = ledger.size()
        added = self.add(record_rows(ledger, self.next_position, size))
        self.next_position = max(self.next_position, size)
        return added

    def records(self, subject_kind: str, subject_id: str) -> tuple[RecordRow, ...]:
        """The subject's rows in ledger order (empty if none)."""
        return tuple(self._rows.get((subject_kind, subject_id), ()))

    def subjects(self) -> list[SubjectKey]:
        """Every ``(subject_kind, subject_id)`` with at least one record, sorted."""
        return sorted(self._rows)

    def rows(self) -> Iterator[RecordRow]:
        """Every row, in ledger order."""
        return iter(sorted(r for rows in self._rows.values() for r in rows))

    def snapshot(self) -> dict[SubjectKey, tuple[RecordRow, ...]]:
        """The whole index as plain values, for comparing two indexes."""
        return {key: tuple(rows) for key, rows in self._rows.items()}

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())
