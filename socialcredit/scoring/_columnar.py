"""A record index in columns: the whole ledger's records without a Python object per record.

:class:`ColumnarRecords` answers every question of :class:`~socialcredit.records.
RecordIndex` (it is one), but holds the rows as flat typed arrays — position, kind code,
occurred and recorded times, amount, subject slot and the previous row of the same subject —
about 42 bytes a record instead of the ~400 of a row tuple in a dict of lists. A subject's
rows are found by following its chain from its latest row, so reading one subject costs its
own rows only. Subjects get dense slots from :class:`SubjectKeys`: their keys live in one
sorted NumPy byte-string array (plus a small dict of the keys added since the last merge), not
in a dict of tuples. Records with a lifecycle (corrections, withdrawals, disputes) keep the
base class's per-record objects: they are few.

Both pickle compactly (the arrays as bytes), which is what the consequence view's snapshot
stores (:mod:`socialcredit.consequences._snapshot`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import numpy as np

from socialcredit.ledger import Entry
from socialcredit.records import (
    LIFECYCLE_ENTRY_TYPES,
    RECORD_FILED,
    RecordIndex,
    RecordRow,
)
from socialcredit.timeutil import parse_time

__all__ = ["ColumnarRecords", "SubjectKeys"]

Key = tuple[str, str]
_SEP = "\x1f"  # between kind and id in a stored key (never inside either)
_NO_AMOUNT = -(2**63)  # the amount column's None
_MERGE_EVERY = 50_000  # keys kept in the dict before they are merged into the sorted array


def _encode(key: Key) -> bytes:
    return f"{key[0]}{_SEP}{key[1]}".encode()


def _decode(raw: bytes) -> Key:
    kind, _, ident = raw.decode().partition(_SEP)
    return kind, ident


class SubjectKeys:
    """Dense slots ``0, 1, …`` for subject keys, in the order they were first seen.

    The keys are stored as one sorted NumPy byte-string array with each key's slot beside it,
    and the keys added since the last merge in a dict; lookups try the dict, then a binary
    search. Merging inserts the new keys into the sorted array in one vectorised pass.
    """

    def __init__(self) -> None:
        self._sorted = np.empty(0, dtype="S1")
        self._slots = np.empty(0, dtype=np.int32)  # slot of each sorted key
        self._where = np.empty(0, dtype=np.int32)  # sorted index of each merged slot
        self._new: dict[bytes, int] = {}
        self._new_keys: list[bytes] = []  # the keys of slots merged + 0, 1, ...
        self._found: dict[bytes, int] = {}  # merged keys looked up by the last prefetch

    def __len__(self) -> int:
        return len(self._slots) + len(self._new_keys)

    def find(self, key: Key) -> int:
        """The key's slot, or -1 if it has none."""
        raw = _encode(key)
        found = self._new.get(raw)
        if found is None:
            found = self._found.get(raw)
        if found is not None:
            return found
        if len(raw) > self._sorted.dtype.itemsize or not len(self._sorted):
            return -1
        at = int(np.searchsorted(self._sorted, raw))
        if at < len(self._sorted) and self._sorted[at] == raw:
            return int(self._slots[at])
        return -1

    def prefetch(self, keys: Iterable[Key]) -> None:
        """Look ``keys`` up in one vectorised search, so that :meth:`find` and :meth:`slot`
        answer them from a dict until the next prefetch (a batch of entries concerns the
        same subjects many times)."""
        self._found = {}
        raws = [raw for raw in map(_encode, set(keys)) if raw not in self._new]
        if not raws or not len(self._sorted):
            return
        width = self._sorted.dtype.itemsize
        raws = [raw for raw in raws if len(raw) <= width]
        needles = np.array(raws, dtype=f"S{width}")
        at = np.searchsorted(self._sorted, needles)
        inside = at < len(self._sorted)
        hit = np.zeros(len(raws), dtype=bool)
        hit[inside] = self._sorted[at[inside]] == needles[inside]
        slots = self._slots[at[hit]].tolist()
        self._found = dict(zip((raws[i] for i in np.flatnonzero(hit)), slots, strict=True))

    def slot(self, key: Key) -> int:
        """The key's slot, given a new one if it has none."""
        found = self.find(key)
        if found >= 0:
            return found
        slot = len(self)
        raw = _encode(key)
        self._new[raw] = slot
        self._new_keys.append(raw)
        if len(self._new_keys) >= _MERGE_EVERY:
            self.merge()
        return slot

    def key(self, slot: int) -> Key:
        """The key of ``slot``.

        Raises:
            IndexError: if no key has that slot.
        """
        merged = len(self._slots)
        if slot >= merged:
            return _decode(self._new_keys[slot - merged])
        if slot < 0:
            raise IndexError(slot)
        return _decode(bytes(self._sorted[self._where[slot]]))

    def slots(self) -> Iterator[tuple[int, Key]]:
        """Every ``(slot, key)``, in slot order."""
        return enumerate(self.all_keys())

    def all_keys(self) -> list[Key]:
        """Every key, in slot order (decoded in one pass)."""
        merged = self._sorted[self._where].tolist()
        return [_decode(raw) for raw in (*merged, *self._new_keys)]

    def merge(self) -> None:
        """Move the keys added since the last merge into the sorted array."""
        if not self._new_keys:
            return
        start = len(self._slots)
        added = np.array(self._new_keys)
        slots = np.arange(start, start + len(added), dtype=np.int32)
        order = np.argsort(added, kind="stable")
        added, slots = added[order], slots[order]
        width = max(self._sorted.dtype.itemsize, added.dtype.itemsize)
        current = self._sorted.astype(f"S{width}", copy=False)
        at = np.searchsorted(current, added.astype(f"S{width}"))
        self._sorted = np.insert(current, at, added)
        self._slots = np.insert(self._slots, at, slots)
        where = np.empty(len(self._slots), dtype=np.int32)
        where[self._slots] = np.arange(len(self._slots), dtype=np.int32)
        self._where = where
        self._new, self._new_keys = {}, []

    def __getstate__(self) -> dict[str, Any]:
        self.merge()
        return {"sorted": self._sorted, "slots": self._slots}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._sorted, self._slots = state["sorted"], state["slots"]
        self._where = np.empty(len(self._slots), dtype=np.int32)
        self._where[self._slots] = np.arange(len(self._slots), dtype=np.int32)
        self._new, self._new_keys, self._found = {}, [], {}


class ColumnarRecords(RecordIndex):
    """A :class:`RecordIndex` whose rows are columns (see the module docstring); besides the
    records it keeps, per subject slot, a ledger time its owner may set (:meth:`touch`)."""

    def __init__(self, holidays: frozenset[date] = frozenset()) -> None:
        super().__init__(holidays)
        self.subject_keys = SubjectKeys()
        self._position = array("q")
        self._occurred = array("q")
        self._recorded = array("q")
        self._amount = array("q")
        self._kind = array("H")
        self._subject = array("i")
        self._prev = array("i")  # previous row of the same subject, -1 for its first
        self._kinds: list[str] = []
        self._kind_codes: dict[str, int] = {}
        self._head = array("i")  # per slot: the subject's latest row, -1 if it has none
        self._touched = array("q")  # per slot: the owner's ledger time (see touch)
        self._memo: tuple[Key | None, int] = (None, -1)  # the last key given a slot

    def __getstate__(self) -> dict[str, Any]:
        """The columns and lifecycle, without the ledger (a connection is not state)."""
        return {**self.__dict__, "ledger": None}

    # -- building --------------------------------------------------------------------------

    def _slot(self, key: Key) -> int:
        if key == self._memo[0]:  # a record's subject is touched right after it is added
            return self._memo[1]
        slot = self.subject_keys.slot(key)
        self._memo = (key, slot)
        while len(self._head) <= slot:
            self._head.append(-1)
            self._touched.append(0)
        return slot

    def _append(self, row: RecordRow) -> None:
        if row.position < self.next_position:
            raise ValueError(f"row at {row.position} is before {self.next_position}")
        slot = self._slot((row.subject_kind, row.subject_id))
        code = self._kind_codes.get(row.kind)
        if code is None:
            code = self._kind_codes[row.kind] = len(self._kinds)
            self._kinds.append(row.kind)
        self._prev.append(self._head[slot])
        self._head[slot] = len(self._position)
        self._position.append(row.position)
        self._occurred.append(row.occurred_at_us)
        self._recorded.append(row.recorded_at_us)
        self._amount.append(_NO_AMOUNT if row.amount is None else row.amount)
        self._kind.append(code)
        self._subject.append(slot)
        self.next_position = row.position + 1

    def add(self, rows: Iterable[RecordRow]) -> int:
        added = 0
        for row in rows:
            self._append(row)
            added += 1
        return added

    def apply(self, entries: Iterable[Entry]) -> int:
        entries = list(entries)
        self.subject_keys.prefetch(
            (str(e.data["subject"]["kind"]), str(e.data["subject"]["id"]))
            for e in entries
            if e.type == RECORD_FILED
        )
        added = 0
        for entry in entries:
            if entry.position < self.next_position:
                raise ValueError(f"entry at {entry.position} is before {self.next_position}")
            if entry.type == RECORD_FILED:
                data = entry.data
                subject, amount = data["subject"], data.get("amount")
                row = RecordRow(
                    entry.position, str(subject["kind"]), str(subject["id"]), str(data["kind"]),
                    parse_time(data["occurred_at"]), entry.recorded_at_us,
                    None if amount is None else int(amount),
                )  # fmt: skip
                self._append(row)
                added += 1
            elif entry.type in LIFECYCLE_ENTRY_TYPES:
                self._apply_lifecycle(entry)
            self.next_position = entry.position + 1
        return added

    def touch(self, key: Key, at_us: int) -> None:
        """Set the subject's owner time to ``at_us`` (the consequence view: the ledger time of
        the latest fact about the subject)."""
        self._touched[self._slot(key)] = at_us

    def touched(self, key: Key) -> int:
        """The subject's owner time (0 if never set)."""
        slot = self.subject_keys.find(key)
        return 0 if slot < 0 else self._touched[slot]

    # -- reading ---------------------------------------------------------------------------

    def _row(self, i: int) -> RecordRow:
        kind, ident = self.subject_keys.key(self._subject[i])
        amount = self._amount[i]
        return RecordRow(
            self._position[i], kind, ident, self._kinds[self._kind[i]], self._occurred[i],
            self._recorded[i], None if amount == _NO_AMOUNT else amount,
        )  # fmt: skip

    def _subject_rows(self, key: Key) -> list[RecordRow]:
        slot = self.subject_keys.find(key)
        return [] if slot < 0 else self._slot_rows(slot, key)

    def _slot_rows(self, slot: int, key: Key) -> list[RecordRow]:
        chain = []
        i = self._head[slot]
        while i >= 0:
            chain.append(i)
            i = self._prev[i]
        kind, ident = key
        kinds, positions, occurred = self._kinds, self._position, self._occurred
        recorded, amounts, codes = self._recorded, self._amount, self._kind
        out = []
        for i in reversed(chain):
            amount = amounts[i]
            row = RecordRow(
                positions[i], kind, ident, kinds[codes[i]], occurred[i], recorded[i],
                None if amount == _NO_AMOUNT else amount,
            )  # fmt: skip
            out.append(row)
        return out

    def records(self, subject_kind: str, subject_id: str) -> tuple[RecordRow, ...]:
        return tuple(self._subject_rows((subject_kind, subject_id)))

    def record(self, position: int) -> RecordRow | None:
        i = bisect_left(self._position, position)
        if i < len(self._position) and self._position[i] == position:
            return self._row(i)
        return None

    def effective(
        self, subject_kind: str, subject_id: str, known_at_us: int
    ) -> tuple[RecordRow, ...]:
        rows = self._subject_rows((subject_kind, subject_id))
        return tuple(self._effective(rows, known_at_us))

    def effective_by_subject(self, known_at_us: int) -> Iterator[tuple[Key, tuple[RecordRow, ...]]]:
        head = self._head
        for slot, key in enumerate(self.subject_keys.all_keys()):
            if head[slot] >= 0:
                yield key, tuple(self._effective(self._slot_rows(slot, key), known_at_us))

    def effective_rows(self, known_at_us: int) -> Iterator[RecordRow]:
        for key in self._keys_with_rows():
            yield from self._effective(self._subject_rows(key), known_at_us)

    def _keys_with_rows(self) -> Iterator[Key]:
        head = self._head
        for slot, key in self.subject_keys.slots():
            if head[slot] >= 0:
                yield key

    def subjects(self) -> list[Key]:
        return sorted(self._keys_with_rows())

    def rows(self) -> Iterator[RecordRow]:
        return (self._row(i) for i in range(len(self._position)))

    def snapshot(self) -> dict[Key, tuple[RecordRow, ...]]:
        return {key: self.records(*key) for key in self._keys_with_rows()}

    def __len__(self) -> int:
        return len(self._position)
