"""The record index: the rows of each subject, and per record its lifecycle.

:class:`RecordIndex` keeps the rows per subject and, per record, its lifecycle: the
corrections, withdrawals, recertifications and disputes recorded about it. It can be rebuilt
from the ledger at any time, or caught up incrementally (only entries after the last one it
has seen are read), and both must give the same index.

Everything is bitemporal in ledger time: :meth:`RecordIndex.effective` answers "the records
as the system held them at ledger time K" from entries recorded at or before K only.

Lifecycle entries (data version 1; positions are ledger positions of ``RecordFiled`` entries,
times canonical UTC text)::

    RecordCorrected    {"record": pos, "changes": {"amount"?: int|null, "occurred_at"?: time},
                        "reason": str, "by": str, "dispute"?: id}
    RecordWithdrawn    {"record": pos, "reason": str, "by": str,
                        "recertification_required": bool, "dispute"?: id, "repair"?: id}
    RecordRecertified  {"record": pos, "by": str, "evidence": str,
                        "notice": {"to": {"kind", "id"}, "text": str}}
    DisputeOpened      {"dispute": id, "target": pos, "target_type": "RecordFiled"|"RatingGiven",
                        "subject": {"kind", "id"}, "grounds": str}
    DisputeEvidenceAdded {"dispute": id, "by": str, "evidence": str}
    DisputeDecided     {"dispute": id, "outcome": "upheld"|"corrected"|"deleted",
                        "by": str, "reason": str}
    AppealDecided      {"appeal": id, "dispute": id, "outcome": "confirmed"|"corrected"|
                        "deleted", "by": str, "reason": str}

A decision or appeal outcome that changes the record ("corrected", "deleted") is written
together with the ``RecordCorrected`` / ``RecordWithdrawn`` entry that carries the change, in
one atomic append; the index applies the ``Record*`` entries and uses the dispute entries for
the suspension rule:

    A record is *suspended* at ledger time K iff one of its disputes has a decision deadline
    D <= K (:func:`socialcredit.records.decision_deadline_us`) and was not decided
    by K: suspended during [D, decided_at), or from D on while undecided. After a late
    decision the outcome applies (upheld: counts again; corrected: the corrected version;
    deleted: withdrawn).

Withdrawn records stay out until a ``RecordRecertified`` entry brings them back. A granted
credit repair whose rules end the penalty's effect is written as a ``RecordWithdrawn`` naming
the repair, in the same append as its ``RepairDecided`` (:mod:`socialcredit.rights._repair`), so
every evaluator leaves it out by this one rule.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from socialcredit.ledger import Entry, Ledger, subject_entries
from socialcredit.records._deadlines import decision_deadline_us
from socialcredit.records._rows import (
    LIFECYCLE_ENTRY_TYPES,
    RECORD_FILED,
    RecordRow,
    SubjectKey,
    project_entry,
)
from socialcredit.timeutil import parse_time

__all__ = ["RecordIndex", "RecordStatus", "ledger_index", "subject_index"]


@dataclass(frozen=True, slots=True)
class RecordStatus:
    """Where a record stands at a ledger time.

    Attributes:
        state: ``active``, ``corrected``, ``disputed``, ``suspended`` or ``withdrawn``.
        since_us: ledger time from which the record has been in this state.
        reason: a sentence saying why.
        dispute: the id of the dispute open at that time, if any.
    """

    state: str
    since_us: int
    reason: str
    dispute: str | None = None


@dataclass(slots=True)
class _Dispute:
    """One dispute against a record, as far as the suspension rule needs it."""

    id: str
    opened_us: int
    evidence_us: list[int] = field(default_factory=list)
    decided_us: int | None = None
    outcome: str | None = None

    def deadline_us(self, holidays: frozenset[date]) -> int:
        return decision_deadline_us(self.opened_us, self.evidence_us, holidays)

    def open_at(self, known_us: int) -> bool:
        return self.opened_us <= known_us and (
            self.decided_us is None or self.decided_us > known_us
        )


@dataclass(slots=True)
class _Life:
    """A record's lifecycle events, each with the ledger time it was recorded."""

    corrections: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    presence: list[tuple[int, bool, str]] = field(default_factory=list)  # (at, withdrawn, why)
    disputes: list[_Dispute] = field(default_factory=list)


def _corrected(row: RecordRow, changes: dict[str, Any]) -> RecordRow:
    """``row`` with a correction's changes applied (position and recorded_at kept)."""
    if "amount" in changes:
        amount = changes["amount"]
        row = row._replace(amount=None if amount is None else int(amount))
    if "occurred_at" in changes:
        row = row._replace(occurred_at_us=parse_time(changes["occurred_at"]))
    return row


class RecordIndex:
    """Record rows per subject, in ledger order, with each record's lifecycle, caught up to a
    ledger position.

    Args:
        holidays: days that are not business days for dispute deadlines (default none).

    Attributes:
        next_position: the first ledger position not yet read.
        ledger: the ledger last caught up from (None for an index built from rows).
    """

    def __init__(self, holidays: frozenset[date] = frozenset()) -> None:
        self._rows: dict[SubjectKey, list[RecordRow]] = {}
        self._by_position: dict[int, RecordRow] = {}
        self._life: dict[int, _Life] = {}
        self._dispute_record: dict[str, int] = {}
        self._changed: set[SubjectKey] = set()
        self.holidays = holidays
        self.next_position = 0
        self.ledger: Ledger | None = None

    @classmethod
    def build(cls, ledger: Ledger, holidays: frozenset[date] = frozenset()) -> RecordIndex:
        """A fresh index of every record in ``ledger``, with its lifecycle."""
        index = cls(holidays)
        index.catch_up(ledger)
        return index

    @classmethod
    def from_rows(cls, rows: Iterable[RecordRow]) -> RecordIndex:
        """An index of ``rows`` (in position order), not tied to a ledger."""
        index = cls()
        index.add(rows)
        return index

    # -- building --------------------------------------------------------------------------

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
            self._by_position[row.position] = row
            self.next_position = row.position + 1
            added += 1
        return added

    def apply(self, entries: Iterable[Entry]) -> int:
        """Apply entries at or after :attr:`next_position` (records and lifecycle events);
        returns the number of new records.

        Raises:
            ValueError: if an entry's position was already read.
            KeyError: if a record or lifecycle entry's data lacks a required field.
        """
        added = 0
        rows, by_position = self._rows, self._by_position
        for entry in entries:
            if entry.position < self.next_position:
                raise ValueError(f"entry at {entry.position} is before {self.next_position}")
            if entry.type == RECORD_FILED:
                row = project_entry(entry)
                assert row is not None
                key = (row.subject_kind, row.subject_id)
                found = rows.get(key)
                if found is None:
                    rows[key] = [row]
                else:
                    found.append(row)
                by_position[row.position] = row
                added += 1
            elif entry.type in LIFECYCLE_ENTRY_TYPES:
                self._apply_lifecycle(entry)
            self.next_position = entry.position + 1
        return added

    def catch_up(self, ledger: Ledger) -> int:
        """Read only the entries after the last one seen; returns the number of new records.

        Entries appended while this runs are left for the next call.
        """
        self.ledger = ledger
        size = ledger.size()
        added = self.apply(ledger.entries(self.next_position, size))
        self.next_position = max(self.next_position, size)
        return added

    def _life_of(self, position: int) -> _Life | None:
        row = self.record(position)
        if row is None:
            return None  # not a record (e.g. a disputed rating): not this index's business
        self._changed.add((row.subject_kind, row.subject_id))
        return self._life.setdefault(position, _Life())

    def _apply_lifecycle(self, entry: Entry) -> None:
        data, at = entry.data, entry.recorded_at_us
        kind = entry.type
        if kind == "DisputeOpened":
            life = self._life_of(int(data["target"]))
            if life is not None:
                self._dispute_record[str(data["dispute"])] = int(data["target"])
                life.disputes.append(_Dispute(str(data["dispute"]), at))
            return
        if kind in ("DisputeEvidenceAdded", "DisputeDecided"):
            dispute = self._dispute(str(data["dispute"]))
            if dispute is not None and kind == "DisputeEvidenceAdded":
                dispute.evidence_us.append(at)
            elif dispute is not None and dispute.decided_us is None:
                dispute.decided_us, dispute.outcome = at, str(data["outcome"])
            return
        if kind == "AppealDecided":
            return  # its effect on the record travels in the Record* entry of the same append
        life = self._life_of(int(data["record"]))
        if life is None:
            return
        if kind == "RecordCorrected":
            life.corrections.append((at, dict(data["changes"])))
        elif kind == "RecordWithdrawn":
            life.presence.append((at, True, str(data.get("reason", ""))))
        elif kind == "RecordRecertified":
            life.presence.append((at, False, "recertified"))

    def _dispute(self, dispute_id: str) -> _Dispute | None:
        position = self._dispute_record.get(dispute_id)
        if position is None:
            return None
        return next(d for d in self._life[position].disputes if d.id == dispute_id)

    # -- reading ---------------------------------------------------------------------------

    def records(self, subject_kind: str, subject_id: str) -> tuple[RecordRow, ...]:
        """The subject's rows as filed (no lifecycle applied), in ledger order (empty if none)."""
        return tuple(self._rows.get((subject_kind, subject_id), ()))

    def record(self, position: int) -> RecordRow | None:
        """The record filed at ``position`` as filed, or None if there is none."""
        return self._by_position.get(position)

    def effective(
        self, subject_kind: str, subject_id: str, known_at_us: int
    ) -> tuple[RecordRow, ...]:
        """The subject's records as the system held them at ledger time ``known_at_us``.

        Only records recorded by then; the corrections recorded by then applied (a corrected
        row keeps its position and recorded_at); withdrawn (and not recertified) and
        suspended records left out. Ordered by position.
        """
        return tuple(self._effective(self._rows.get((subject_kind, subject_id), ()), known_at_us))

    def effective_by_subject(
        self, known_at_us: int
    ) -> Iterator[tuple[SubjectKey, tuple[RecordRow, ...]]]:
        """``(subject, its effective records)`` (:meth:`effective`) for every subject with
        records, in no particular order."""
        for key, rows in self._rows.items():
            yield key, tuple(self._effective(rows, known_at_us))

    def effective_rows(self, known_at_us: int) -> Iterator[RecordRow]:
        """:meth:`effective` for every subject, subject by subject."""
        for rows in self._rows.values():
            yield from self._effective(rows, known_at_us)

    def _effective(self, rows: Iterable[RecordRow], known_us: int) -> Iterator[RecordRow]:
        life_of = self._life
        for row in rows:
            if row.recorded_at_us > known_us:
                continue
            life = life_of.get(row.position)
            if life is None:
                yield row
                continue
            if self._withdrawn(life, known_us) is not None or self._suspension(life, known_us):
                continue
            for at, changes in life.corrections:
                if at <= known_us:
                    row = _corrected(row, changes)
            yield row

    @staticmethod
    def _withdrawn(life: _Life, known_us: int) -> tuple[int, str] | None:
        """``(since, reason)`` if the record is withdrawn at ``known_us``, else None."""
        last = None
        for at, withdrawn, reason in life.presence:
            if at <= known_us:
                last = (at, reason) if withdrawn else None
        return last

    def _suspension(self, life: _Life, known_us: int) -> tuple[int, str] | None:
        """``(since, dispute id)`` if a dispute overdue at ``known_us`` suspends the record."""
        for dispute in life.disputes:
            if dispute.opened_us > known_us:
                continue
            deadline = dispute.deadline_us(self.holidays)
            if deadline <= known_us and (
                dispute.decided_us is None or dispute.decided_us > known_us
            ):
                return deadline, dispute.id
        return None

    def status(self, position: int, known_at_us: int) -> RecordStatus:
        """Where the record at ``position`` stands at ledger time ``known_at_us``.

        Raises:
            KeyError: if there is no record at ``position`` or it was recorded after
                ``known_at_us``.
        """
        row = self.record(position)
        if row is None or row.recorded_at_us > known_at_us:
            raise KeyError(f"no record at position {position} known at {known_at_us}")
        life = self._life.get(position)
        if life is None:
            return RecordStatus("active", row.recorded_at_us, "as filed")
        withdrawn = self._withdrawn(life, known_at_us)
        open_dispute = next((d.id for d in life.disputes if d.open_at(known_at_us)), None)
        if withdrawn is not None:
            return RecordStatus("withdrawn", withdrawn[0], withdrawn[1], open_dispute)
        suspended = self._suspension(life, known_at_us)
        if suspended is not None:
            reason = f"dispute {suspended[1]} not decided by its deadline"
            return RecordStatus("suspended", suspended[0], reason, suspended[1])
        if open_dispute is not None:
            opened = next(d.opened_us for d in life.disputes if d.id == open_dispute)
            return RecordStatus("disputed", opened, f"dispute {open_dispute} open", open_dispute)
        return self._settled_status(row, life, known_at_us)

    @staticmethod
    def _settled_status(row: RecordRow, life: _Life, known_us: int) -> RecordStatus:
        corrections = [at for at, _ in life.corrections if at <= known_us]
        if corrections:
            return RecordStatus("corrected", corrections[-1], "corrected")
        events = [at for at, _, _ in life.presence if at <= known_us]
        events += [d.decided_us for d in life.disputes if d.decided_us and d.decided_us <= known_us]
        if not events:
            return RecordStatus("active", row.recorded_at_us, "as filed")
        return RecordStatus("active", max(events), "counts again after its last review")

    def lifecycle_changed(self, subject_kind: str, subject_id: str) -> bool:
        """True if any of the subject's records has a correction, withdrawal,
        recertification or dispute (then only :meth:`effective` tells how its records count)."""
        return (subject_kind, subject_id) in self._changed

    def subjects(self) -> list[SubjectKey]:
        """Every ``(subject_kind, subject_id)`` with at least one record, sorted."""
        return sorted(self._rows)

    def rows(self) -> Iterator[RecordRow]:
        """Every row as filed, in ledger order."""
        return iter(sorted(r for rows in self._rows.values() for r in rows))

    def snapshot(self) -> dict[SubjectKey, tuple[RecordRow, ...]]:
        """The rows as filed, as plain values, for comparing two indexes."""
        return {key: tuple(rows) for key, rows in self._rows.items()}

    def lifecycle_snapshot(self) -> dict[int, tuple[Any, ...]]:
        """Every record's lifecycle as plain values, for comparing two indexes."""
        return {
            position: (
                tuple((at, tuple(sorted(ch.items()))) for at, ch in life.corrections),
                tuple(life.presence),
                tuple(
                    (d.id, d.opened_us, tuple(d.evidence_us), d.decided_us, d.outcome)
                    for d in life.disputes
                ),
            )
            for position, life in sorted(self._life.items())
        }

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())


class _SharedIndex:
    """A record index attached to one ledger object, and the lock that serialises its
    catching up."""

    def __init__(self, ledger: Ledger) -> None:
        self.index = RecordIndex()
        self.lock = threading.Lock()


def ledger_index(ledger: Ledger) -> RecordIndex:
    """The record index attached to ``ledger`` (this object), caught up with it: built on
    first use, then only entries appended since the last call are read. Library calls that
    take a ledger share it instead of rebuilding an index from the whole ledger each time."""
    shared = ledger.projection("record_index", _SharedIndex)
    with shared.lock:
        shared.index.catch_up(ledger)
    return shared.index


def subject_index(
    ledger: Ledger, subject_kind: str, subject_id: str, holidays: frozenset[date] = frozenset()
) -> RecordIndex | None:
    """A record index of one subject's records and their lifecycle, read through the
    per-subject index (only that subject's entries); it answers every question about that
    subject exactly as :func:`ledger_index` does. None if the store's per-subject index is
    not complete (read the whole ledger then).

    Raises:
        StorageError: if the store fails or an entry is malformed.
    """
    found = subject_entries(ledger, [(subject_kind, subject_id)], with_global=False)
    if found is None:
        return None
    size, entries = found
    index = RecordIndex(holidays)
    index.apply(entries)
    index.ledger, index.next_position = ledger, size
    return index
