"""``verify``'s checks of what is derived from the entries: idempotency keys, subject ids and
ledger time.

Nothing here trusts the derived tables:

* **idempotency keys** are read in position order and walked beside the entries. An entry
  whose data carries an ``idempotency_key`` must have exactly that key's row pointing at it;
  no entry may have two key rows, and no row may point outside the ledger. Every chained
  checkpoint commits to a digest of the rows below its size, which is recomputed (keys that
  an entry's data does not carry, like ``dispute:D7-1``, are protected by that digest alone);
* **subject ids** must be dense (0, 1, 2, ...) and match, row for row, the count and digest
  that every chained checkpoint signed;
* **ledger time**: every entry's ``at`` is a valid time, never earlier than the entry before
  it (and, when the caller gives the time now, not in the future), and the stored
  last-recorded time equals the last entry's, since the next append stamps it.

Each problem is reported with the first entry position it concerns; for a digest that does
not match, that is the size of the checkpoint it extends (the rows after it were changed).

Nothing is done per entry in Python on the common path, so that ``verify`` keeps pace with
the hashing: the C extension hashes and scans each bundle in one pass (:func:`hash_bundle`),
a bundle whose times are in order is checked from its first and last time, one whose carried
keys equal its key rows with one list comparison, and the key and subject rows are read,
type-checked and digested in large batches. Anything unusual takes the exact per-entry path.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson

from socialcredit.storage import LedgerStore, LogState

from ..errors import StorageError
from ..timeutil import format_time, parse_time
from ._checkpoints import IndexDigest
from ._hashing import NATIVE, bundle_leaf_hashes, subtree_root, unpack_bundle
from ._verify_chain import Base, ChainStep

_Scanned = tuple[int, int, list[tuple[int, str]], bytes]
_verify_bundle: Callable[[bytes], tuple[bytes, int, bytes | None, _Scanned | None]] | None = None
if NATIVE:  # an extension built before verify_bundle existed has none: decode in Python
    from . import _native

    _verify_bundle = getattr(_native, "verify_bundle", None)

__all__ = ["BundleFacts", "IndexCheck", "check_subjects", "hash_bundle"]

Fail = Callable[[str, str, int | None], None]


@dataclass(slots=True)
class BundleFacts:
    """What the index checks need from a bundle's entries.

    Attributes:
        count: how many entries the bundle holds.
        keys: ``(offset, key)`` of each entry whose data carries an idempotency key, in order.
        errors: why each entry that cannot be decoded cannot be, by offset.
        times: each entry's ledger time (None where it cannot be decoded).
        first_us: the first ledger time that could be decoded (None: not one could).
        last_us: the last one.
        ordered: the times that could be decoded never decrease inside the bundle.
    """

    count: int
    keys: list[tuple[int, str]]
    errors: dict[int, str]
    times: Sequence[int | None]
    first_us: int | None
    last_us: int | None
    ordered: bool


def hash_bundle(bundle: bytes) -> tuple[bytes, int, bytes | None, BundleFacts]:
    """A bundle's leaf hashes, their count and root (None if empty), and what the index checks
    need from its entries (runs on the hashing threads).

    The C extension hashes and scans each entry in one pass, without a Python object per
    entry. Its scanner vouches only for what it reads exactly as :mod:`orjson` and
    :func:`~socialcredit.timeutil.parse_time` would (well-formed entries, in time
    order) and hands anything else back, whereupon every entry of the bundle is decoded here.

    Raises:
        ValueError: if the bundle is malformed.
        TypeError: if it is not bytes-like.
    """
    if _verify_bundle is not None:
        leaves, count, root, scanned = _verify_bundle(bundle)
        if scanned is None:
            return leaves, count, root, _decoded_facts(unpack_bundle(bundle))
        first, last, keys, times = scanned
        facts = BundleFacts(count, keys, {}, memoryview(times).cast("q"), first, last, True)
        return leaves, count, root, facts
    leaves, count = bundle_leaf_hashes(bundle)
    root = subtree_root(leaves) if count else None
    return leaves, count, root, _decoded_facts(unpack_bundle(bundle))


def _decoded_facts(entries: list[bytes]) -> BundleFacts:
    """:func:`bundle_facts` by decoding every entry in Python."""
    times: list[int | None] = []
    keys: list[tuple[int, str]] = []
    errors: dict[int, str] = {}
    last_text: object = None
    last_us = 0
    for offset, raw in enumerate(entries):
        try:
            document = orjson.loads(raw)
            data, at = document["data"], document["at"]
            if type(document["type"]) is not str or type(document["v"]) is not int:
                raise TypeError("type must be text and v an integer")
            if type(data) is not dict:
                raise TypeError("data must be an object")
            key = data.get("idempotency_key")
            if key is not None and type(key) is not str:
                raise TypeError("idempotency_key must be text")
            if type(at) is not str:
                raise TypeError("at must be text")
            if at != last_text:
                last_us, last_text = parse_time(at), at
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError) as exc:
            errors[offset] = f"{type(exc).__name__}: {exc}"
            times.append(None)
            continue
        times.append(last_us)
        if key is not None:
            keys.append((offset, key))
    known = [t for t in times if t is not None]
    first, last = (known[0], known[-1]) if known else (None, None)
    return BundleFacts(len(entries), keys, errors, times, first, last, known == sorted(known))


class _KeyRows:
    """The idempotency rows in position order, read in large batches, each checked for type."""

    _BATCH = 1 << 16

    def __init__(self, store: LedgerStore, fail: Fail) -> None:
        self._fail = fail
        self._rows: Iterator[tuple[Any, Any]] | None = store.idempotency_keys_by_position()
        self.alive = True  # False once the rows could not be read to the end
        self._buffer: list[tuple[int, str]] = []  # well-typed rows read ahead: (position, key)
        self._positions: list[int] = []
        self._next = 0  # the first row of the buffer not yet taken
        self._last = 0  # the position of the last row read

    def below(self, stop: int) -> list[tuple[int, str]]:
        """Take every row with a position below ``stop`` (``(position, key)``, in order)."""
        taken: list[tuple[int, str]] = []
        while self._next < len(self._buffer) or self._fill():
            end = bisect_left(self._positions, stop, self._next)
            taken += self._buffer[self._next : end]
            self._next = end
            if end < len(self._buffer):
                break
        return taken

    def _fill(self) -> bool:
        """Read the next batch of rows into the buffer; False at the end."""
        batch: list[tuple[Any, Any]] = []
        while self._rows is not None and not batch:
            try:
                batch.extend(islice(self._rows, self._BATCH))  # keeps the rows before an error
            except StorageError as exc:
                # Rows come by position: the unreadable one is at or after the last one read.
                self._last = self._last_of(batch)
                self._fail(
                    "idempotency",
                    f"the idempotency rows from position {self._last} on cannot be read: {exc}",
                    self._last,
                )
                self._rows, self.alive = None, False
            else:
                if len(batch) < self._BATCH:
                    self._rows = None
            batch = self._typed(batch)
        self._buffer, self._next = batch, 0
        self._positions = [position for position, _ in batch]
        if batch:
            self._last = max(batch[-1][0], 0)
        return bool(batch)

    def _last_of(self, batch: list[tuple[Any, Any]]) -> int:
        typed = self._typed(batch, report=False)
        return max(typed[-1][0], 0) if typed else self._last

    def _typed(self, batch: list[tuple[Any, Any]], *, report: bool = True) -> list[tuple[int, str]]:
        """``(position, key)`` of the rows that hold an integer and a text; the others are
        reported as corrupt."""
        if not batch:
            return []
        keys, positions = zip(*batch, strict=True)
        if set(map(type, positions)) == {int} and set(map(type, keys)) == {str}:
            return list(zip(positions, keys, strict=True))
        typed = []
        for key, position in batch:
            if type(position) is int and type(key) is str:
                typed.append((position, key))
            elif report:
                self._fail(
                    "idempotency",
                    f"an idempotency row is corrupt: key of type {type(key).__name__}, "
                    f"position {position!r}",
                    position if type(position) is int else None,
                )
        return typed


class IndexCheck:
    """The idempotency and time checks, fed the entries in order, bundle by bundle.

    Args:
        store: the store whose idempotency rows are read.
        state: the stored log state (already checked to hold integers).
        steps: the chained checkpoints, by size.
        fail: reports ``(check, message, position)``.
        late_us: an entry timed after this is reported (None: no such check).
    """

    def __init__(
        self,
        store: LedgerStore,
        state: LogState,
        steps: list[ChainStep],
        fail: Fail,
        late_us: int | None = None,
    ) -> None:
        self._state, self._steps, self._fail, self._late_us = state, steps, fail, late_us
        self._keys = _KeyRows(store, fail)
        self._step = 0  # the next chain step to pass
        self._digest = IndexDigest()  # key rows since the last chain step
        self._since = 0  # the size of the last chain step passed
        self._found: list[int] = []  # positions of the key problems found since then
        self._last_us: int | None = None  # the ledger time of the last entry seen
        self._late_reported = False

    def entries(self, base: int, facts: BundleFacts) -> None:
        """Check the entries at positions ``base, base + 1, ...`` (called in order, no gaps)."""
        for offset, error in facts.errors.items():
            position = base + offset
            self._fail("entries", f"entry {position} is not a valid EntryV1: {error}", position)
        self._check_times(base, facts)
        self._check_keys(base, facts)

    def finish(self, checked: int) -> None:
        """Finish after ``checked`` entries; the checks that need every entry run only if the
        walk reached the ledger's size."""
        if checked != self._state.size:
            return
        beyond = self._keys.below(1 << 63)
        self._digest_rows(beyond, checked - 1)
        for position, _ in beyond:
            self._fail(
                "idempotency",
                f"an idempotency row points past the ledger's end ({position})",
                position,
            )
        last = self._last_us if self._last_us is not None else 0
        if self._state.last_recorded_at_us != last:
            self._fail(
                "time",
                f"the stored last-recorded time {_time(self._state.last_recorded_at_us)} is not "
                f"the last entry's {_time(last)}: the next entry would be stamped with it",
                checked,
            )

    def _check_times(self, base: int, facts: BundleFacts) -> None:
        first, last_us = facts.first_us, facts.last_us
        if first is None or last_us is None:
            return
        last = self._last_us
        if not facts.ordered or (last is not None and first < last):
            for offset, at_us in enumerate(facts.times):
                if at_us is not None and last is not None and at_us < last:
                    self._fail(
                        "time",
                        f"entry {base + offset} is recorded at {_time(at_us)}, before the "
                        f"entry before it ({_time(last)})",
                        base + offset,
                    )
                last = at_us if at_us is not None else last
        late = self._late_us
        if late is not None and not self._late_reported and last_us > late:
            times = facts.times
            offset = next(i for i, t in enumerate(times) if t is not None and t > late)
            self._late_reported = True
            self._fail(
                "time",
                f"entry {base + offset} is recorded at {_time(times[offset] or 0)}, in the future",
                base + offset,
            )
        self._last_us = last_us

    def _check_keys(self, base: int, facts: BundleFacts) -> None:
        stop = base + facts.count
        rows = self._keys.below(stop)
        if rows or facts.keys:
            carried = [(base + offset, key) for offset, key in facts.keys]
            # Each carried key with its one row, and no other row: all is well.
            if rows != carried:
                self._match_keys(base, carried, rows)
        self._digest_rows(rows, stop - 1)

    def _match_keys(
        self, base: int, carried: list[tuple[int, str]], rows: list[tuple[int, str]]
    ) -> None:
        """Each entry that carries a key has that key's row; no entry has two rows."""
        pointing: dict[int, list[str]] = {}
        for position, key in rows:
            if position < base:
                self._key_problem(f"an idempotency row points at no entry ({position})", position)
            else:
                pointing.setdefault(position, []).append(key)
        for position, keys in pointing.items():
            if len(keys) > 1:
                self._key_problem(
                    f"{len(keys)} idempotency rows point at entry {position}", position
                )
        if not self._keys.alive:
            return
        for position, key in carried:
            if key not in pointing.get(position, ()):
                self._key_problem(
                    f"entry {position} carries an idempotency key that no row points at "
                    "(a retry would append it again)",
                    position,
                )

    def _digest_rows(self, rows: list[tuple[int, str]], last: int) -> None:
        """Add ``rows`` (by position) to the digests, passing every chain step on the way:
        a step of size ``s`` covers the rows below ``s``. ``last`` is the last position the
        caller has checked entries up to."""
        steps, start = self._steps, 0
        while self._step < len(steps) and steps[self._step].size <= last + 1:
            size = steps[self._step].size
            end = start
            while end < len(rows) and rows[end][0] < size:
                end += 1
            self._digest.add_all(rows[start:end])
            start = end
            self._pass_step(steps[self._step])
        self._digest.add_all(rows[start:])

    def _pass_step(self, step: ChainStep) -> None:
        self._step += 1
        checkable = step.base is not Base.UNKNOWN and self._keys.alive
        if checkable and self._digest.digest() != step.link.keys_digest:
            # Reported where the rows were found wrong, if a row check did (else from the
            # start of the interval the digest covers).
            inside = [p for p in self._found if self._since <= p < step.size]
            found = min(inside, default=self._since)
            self._fail(
                "idempotency",
                f"the idempotency rows of entries {self._since}..{step.size - 1} are not "
                f"those the checkpoint at size {step.size} signed",
                found,
            )
        self._digest = IndexDigest(step.link.keys_digest)
        self._since = step.size
        self._found = [p for p in self._found if p >= step.size]

    def _key_problem(self, message: str, position: int) -> None:
        self._found.append(position)
        self._fail("idempotency", message, position)


def check_subjects(store: LedgerStore, steps: list[ChainStep], size: int, fail: Fail) -> None:
    """Check the subject rows: dense ids, and the count and digest of every chain step.

    ``size`` is the ledger's size: rows beyond the last step's count are reported only when
    that step covers the whole ledger (otherwise they belong to unsigned entries, which are
    reported as such).
    """
    rows = _SubjectRows(store, fail)
    digest, since, count = IndexDigest(), 0, 0
    for step in steps:
        target = step.link.subjects
        if target < count:
            fail(
                "subjects",
                f"the checkpoint at size {step.size} counts {target} subjects, fewer than the "
                f"{count} of the one before",
                since,
            )
        if count < target:
            count += rows.take(target - count, digest)
        if count < target and rows.alive:
            fail(
                "subjects",
                f"the checkpoint at size {step.size} counts {target} subjects; only {count} "
                "rows are stored",
                since,
            )
        checkable = step.base is not Base.UNKNOWN and rows.alive
        if checkable and digest.digest() != step.link.subjects_digest:
            fail(
                "subjects",
                f"the subject rows registered by entries {since}..{step.size - 1} are not those "
                f"the checkpoint at size {step.size} signed",
                since,
            )
        digest, since, count = IndexDigest(step.link.subjects_digest), step.size, target
    extra = rows.drain()
    if extra and steps and steps[-1].size == size:
        fail(
            "subjects",
            f"{extra} subject rows beyond the {count} that the latest checkpoint signed",
            size,
        )


class _SubjectRows:
    """The subject rows by id, read in large batches, each checked for type and density."""

    _BATCH = 1 << 16

    def __init__(self, store: LedgerStore, fail: Fail) -> None:
        self._fail = fail
        self._rows: Iterator[tuple[Any, ...]] | None = store.subjects()
        self.alive = True
        self._next_id = 0
        self._buffer: list[tuple[Any, ...]] = []  # rows read ahead (already checked)
        self._next = 0  # the first row of the buffer not yet taken

    def take(self, wanted: int, digest: IndexDigest) -> int:
        """Add up to ``wanted`` rows to ``digest``; return how many there were."""
        taken = 0
        while taken < wanted and (self._next < len(self._buffer) or self._fill()):
            end = min(len(self._buffer), self._next + wanted - taken)
            digest.add_all(self._buffer[self._next : end])
            taken += end - self._next
            self._next = end
        return taken

    def drain(self) -> int:
        """Read and check the rest; return how many there were."""
        extra = len(self._buffer) - self._next
        while self._fill():
            extra += len(self._buffer)
        self._next = len(self._buffer)
        return extra

    def _fill(self) -> bool:
        """Read and check the next batch of rows; False at the end (or if unreadable)."""
        if self._rows is None:
            return False
        batch: list[tuple[Any, ...]] = []
        try:
            batch.extend(map(tuple, islice(self._rows, self._BATCH)))
        except StorageError as exc:
            self._fail("subjects", f"the subject rows cannot be read: {exc}", None)
            self._rows, self.alive = None, False
        if len(batch) < self._BATCH:
            self._rows = None
        self._check(batch)
        self._buffer, self._next = batch, 0
        return bool(batch)

    def _check(self, batch: list[tuple[Any, ...]]) -> None:
        if not batch:
            return
        ids, kinds, externals = zip(*batch, strict=True)
        start = self._next_id
        if (
            set(map(type, ids)) == {int}
            and set(map(type, kinds)) | set(map(type, externals)) == {str}
            and ids == tuple(range(start, start + len(ids)))
        ):
            self._next_id = start + len(ids)
            return
        for row in batch:
            self._check_row(row)

    def _check_row(self, row: tuple[Any, ...]) -> None:
        internal, kind, external = row
        if type(internal) is not int or type(kind) is not str or type(external) is not str:
            names = ", ".join(type(value).__name__ for value in row)
            self._fail("subjects", f"subject row {internal!r} is corrupt: ({names})", None)
        elif internal != self._next_id:
            self._fail(
                "subjects",
                f"subject ids are not dense: id {internal} follows id {self._next_id - 1}",
                None,
            )
        self._next_id = internal + 1 if type(internal) is int else self._next_id + 1


def _time(us: int) -> str:
    try:
        return format_time(us)
    except (OverflowError, ValueError, OSError):
        return f"{us} µs"
