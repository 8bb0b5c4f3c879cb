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
The entries come a bundle at a time, and the common bundle — no undecodable entry, no key,
one ledger time — is checked with a few whole-list operations instead of a loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..errors import StorageError
from ..storage.port import LedgerStore, LogState
from ._verify_chain import Base, ChainStep
from .checkpoints import IndexDigest
from .entries import format_time, parse_time

__all__ = ["BundleFacts", "IndexCheck", "bundle_facts", "check_subjects"]

Fail = Callable[[str, str, int | None], None]


@dataclass(slots=True)
class BundleFacts:
    """What the index checks need from a bundle's entries, as parallel lists: each entry's
    ledger time (None if it cannot be decoded) and declared idempotency key, and why the
    entries that cannot be decoded cannot be."""

    times: list[int | None] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def bundle_facts(entries: list[bytes]) -> BundleFacts:
    """Decode each entry just enough for the index checks (runs on the hashing threads)."""
    facts = BundleFacts()
    times, keys = facts.times, facts.keys
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
            if at != last_text:
                last_us, last_text = parse_time(at), at
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError) as exc:
            facts.errors[offset] = f"{type(exc).__name__}: {exc}"
            times.append(None)
            keys.append(None)
            continue
        times.append(last_us)
        keys.append(key)
    return facts


class _KeyRows:
    """The idempotency rows in position order, read one ahead, each row checked for type."""

    def __init__(self, store: LedgerStore, fail: Fail) -> None:
        self._fail = fail
        self._rows: Iterator[tuple[Any, Any]] | None = store.idempotency_keys_by_position()
        self.alive = True  # False once the rows could not be read to the end
        self.head: tuple[int, str] | None = None
        self._last = 0  # the position of the last row read
        self.advance()

    def below(self, stop: int) -> list[tuple[int, str]]:
        """Take every row with a position below ``stop`` (``[position, key]``, in order)."""
        taken = []
        while self.head is not None and self.head[0] < stop:
            taken.append(self.head)
            self.advance()
        return taken

    def advance(self) -> None:
        """Move ``head`` to the next well-typed row (None at the end)."""
        self.head = None
        while self._rows is not None:
            try:
                row = next(self._rows, None)
            except StorageError as exc:
                # Rows come by position: the unreadable one is at or after the last one read.
                self._fail(
                    "idempotency",
                    f"the idempotency rows from position {self._last} on cannot be read: {exc}",
                    self._last,
                )
                self._rows, self.alive = None, False
                return
            if row is None:
                self._rows = None
                return
            key, position = row
            if type(position) is int and type(key) is str:
                self.head, self._last = (position, key), max(position, 0)
                return
            self._fail(
                "idempotency",
                f"an idempotency row is corrupt: key of type {type(key).__name__}, "
                f"position {position!r}",
                position if type(position) is int else None,
            )


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
        self._check_times(base, facts.times)
        self._check_keys(base, facts.keys)

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

    def _check_times(self, base: int, times: list[int | None]) -> None:
        known = [t for t in times if t is not None]
        if not known:
            return
        last = self._last_us
        in_order = (last is None or known[0] >= last) and known == sorted(known)
        if not in_order:
            for offset, at_us in enumerate(times):
                if at_us is not None and last is not None and at_us < last:
                    self._fail(
                        "time",
                        f"entry {base + offset} is recorded at {_time(at_us)}, before the "
                        f"entry before it ({_time(last)})",
                        base + offset,
                    )
                last = at_us if at_us is not None else last
        late = self._late_us
        if late is not None and not self._late_reported and known[-1] > late:
            offset = next(i for i, t in enumerate(times) if t is not None and t > late)
            self._late_reported = True
            self._fail(
                "time",
                f"entry {base + offset} is recorded at {_time(times[offset] or 0)}, in the future",
                base + offset,
            )
        self._last_us = known[-1]

    def _check_keys(self, base: int, declared: list[str | None]) -> None:
        stop = base + len(declared)
        rows = self._keys.below(stop)
        if rows or declared.count(None) != len(declared):
            self._match_keys(base, declared, rows)
        self._digest_rows(rows, stop - 1)

    def _match_keys(
        self, base: int, declared: list[str | None], rows: list[tuple[int, str]]
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
        for offset, carried in enumerate(declared):
            if carried is not None and carried not in pointing.get(base + offset, ()):
                self._key_problem(
                    f"entry {base + offset} carries an idempotency key that no row points at "
                    "(a retry would append it again)",
                    base + offset,
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
        while count < target and rows.take(digest):
            count += 1
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
    """The subject rows by id, each checked for type and density."""

    def __init__(self, store: LedgerStore, fail: Fail) -> None:
        self._fail = fail
        self._rows: Iterator[tuple[Any, ...]] | None = store.subjects()
        self.alive = True
        self._next_id = 0

    def take(self, digest: IndexDigest) -> bool:
        """Add the next row to ``digest``; False at the end (or if unreadable)."""
        row = self._read()
        if row is None:
            return False
        digest.add(row)
        return True

    def drain(self) -> int:
        """Read and check the rest; return how many there were."""
        extra = 0
        while self._read() is not None:
            extra += 1
        return extra

    def _read(self) -> tuple[Any, ...] | None:
        if self._rows is None:
            return None
        try:
            row = next(self._rows, None)
        except StorageError as exc:
            self._fail("subjects", f"the subject rows cannot be read: {exc}", None)
            self._rows, self.alive = None, False
            return None
        if row is None:
            self._rows = None
            return None
        row = tuple(row)
        self._check(row)
        return row

    def _check(self, row: tuple[Any, ...]) -> None:
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
