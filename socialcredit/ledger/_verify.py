"""``verify``: recompute every hash from the stored entries and check every signed checkpoint.

Nothing derived is trusted. The leaf hashes are recomputed from the entry bundles and compared
with the stored leaf tiles (so an edited, deleted, inserted or reordered entry is reported at
its exact position); the Merkle root is recomputed from those leaves and compared with every
signed checkpoint (so a rewrite of both entries and tiles is caught at the first checkpoint it
breaks); the upper tiles are recomputed and compared; and the checkpoints' Ed25519 signatures
are checked against the pinned public key.

The checkpoints form a chain (each numbered and naming the one before it), so a checkpoint
deleted from the store is reported with the last one still there
(:mod:`socialcredit.ledger._verify_chain`); and the tables derived from the entries — the
idempotency keys, the dense subject ids, the last-recorded time — are checked against the
entries and against the digests the chained checkpoints signed
(:mod:`socialcredit.ledger._verify_index`).

A value of the wrong type anywhere in the store (a bundle that is not bytes, text that is not
UTF-8, a NULL, a non-JSON entry) is reported like any other problem: ``verify`` never raises
for what it reads. An optional witness checkpoint — one kept by the auditor, or the latest
one an independent witness cosigned — catches truncation and rewritten history even when the
attacker also rewrote or removed the later checkpoints.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from socialcredit.storage import BUNDLE_SIZE, LedgerStore, LogState

from ..errors import SocialCreditError, StorageError
from ._checkpoints import SignedCheckpoint
from ._hashing import subtree_root
from ._merkle import CompactRange
from ._verify_chain import LoadedCheckpoints, load_checkpoints
from ._verify_index import BundleFacts, IndexCheck, check_subjects, hash_bundle

__all__ = ["CHECKS", "Failure", "VerifyReport", "verify_ledger"]

_HASH = 32
_KEPT_PER_CHECK = 100  # problems listed per check; the rest are counted
CLOCK_SKEW_US = 10 * 60 * 1_000_000
"""How far ahead of the verifier's clock a ledger time may be before it counts as future."""

CHECKS = (
    "store",
    "state",
    "entries",
    "tiles",
    "checkpoints",
    "witness",
    "idempotency",
    "subjects",
    "time",
)
"""What a :class:`Failure` can be about."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One problem: which check found it, the first entry position it concerns (None when
    it concerns no entry), and a message for people."""

    check: str
    message: str
    position: int | None = None


@dataclass(slots=True)
class VerifyReport:
    """What ``verify`` found. ``ok`` only if there are no problems at all."""

    size: int = 0
    entries_checked: int = 0
    checkpoints_checked: int = 0
    root: bytes | None = None
    first_bad_position: int | None = None
    problems: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    _counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every hash, tile, checkpoint and derived table checked out."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON-able values (every adapter shows this one form)."""
        return {
            "ok": self.ok,
            "size": self.size,
            "entries_checked": self.entries_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "root": self.root.hex() if self.root else None,
            "first_bad_position": self.first_bad_position,
            "problems": list(self.problems),
            "failures": [asdict(failure) for failure in self.failures],
            "seconds": round(self.seconds, 3),
        }

    def fail(self, message: str, position: int | None = None, *, check: str = "entries") -> None:
        """Record a problem; keep the smallest bad position seen. Past 100 problems of one
        check, the rest are only counted (one line says so)."""
        if position is not None and (
            self.first_bad_position is None or position < self.first_bad_position
        ):
            self.first_bad_position = position
        seen = self._counts[check] = self._counts.get(check, 0) + 1
        if seen <= _KEPT_PER_CHECK:
            self.problems.append(message)
            self.failures.append(Failure(check, message, position))
        elif seen == _KEPT_PER_CHECK + 1:
            self.problems.append(f"... and more {check} problems (not listed)")

    def first(self, check: str) -> Failure | None:
        """The failure of ``check`` with the smallest position (None positions last)."""
        found = [f for f in self.failures if f.check == check]
        return min(found, key=lambda f: (f.position is None, f.position or 0), default=None)

    def reporter(self) -> Callable[[str, str, int | None], None]:
        """``fail(check, message, position)``, the form the check modules report through."""

        def fail(check: str, message: str, position: int | None) -> None:
            self.fail(message, position, check=check)

        return fail


class _Checkpoints:
    """The signed checkpoints to test, in size order, each compared when the root gets there."""

    def __init__(self, loaded: LoadedCheckpoints, report: VerifyReport) -> None:
        self._items = sorted(loaded.signed, key=lambda c: c.size)
        self._witness = loaded.witness
        self._next = 0
        self._good: list[int] = [0]  # sizes of the checkpoints that held, in order
        self._report = report
        latest = max((c.size for c in self._items if c is not self._witness), default=-1)
        if latest < report.size:
            report.fail(
                f"entries from position {max(latest, 0)} on are not covered by a signed checkpoint",
                max(latest, 0),
                check="checkpoints",
            )

    def next_size(self) -> int | None:
        return self._items[self._next].size if self._next < len(self._items) else None

    def check(self, root: bytes) -> None:
        checkpoint = self._items[self._next]
        self._next += 1
        self._report.checkpoints_checked += 1
        if checkpoint.root == root:
            self._good.append(checkpoint.size)
            return
        # Reported from the last checkpoint below it that held (another checkpoint of the
        # same size may have held: a fork signed with the log's key).
        held = max(size for size in self._good if size < checkpoint.size or size == 0)
        whose = "the witness's checkpoint" if checkpoint is self._witness else "checkpoint"
        check = "witness" if checkpoint is self._witness else "checkpoints"
        self._report.fail(
            f"{whose} at size {checkpoint.size} does not match the recomputed root: entries "
            f"after position {held} were rewritten",
            held,
            check=check,
        )

    def beyond(self, size: int) -> list[SignedCheckpoint]:
        return [c for c in self._items[self._next :] if c.size > size]


def verify_ledger(
    store: LedgerStore,
    public_key: Ed25519PublicKey,
    *,
    witness: SignedCheckpoint | None = None,
    progress: Callable[[int], None] | None = None,
    now_us: int | None = None,
) -> VerifyReport:
    """Verify the whole ledger in ``store``; never raises for what it reads, reports it.

    Args:
        store: the store to check.
        public_key: the pinned key every checkpoint must be signed with.
        witness: a checkpoint kept from earlier, or the latest one a witness cosigned; the
            ledger must still contain it (same size, same root).
        progress: called with the number of entries checked so far.
        now_us: the verifier's clock; entries and checkpoints timed more than
            :data:`CLOCK_SKEW_US` after it are reported (None: no such check).
    """
    started = time.perf_counter()
    report = VerifyReport()
    try:
        _verify(store, public_key, witness, progress, now_us, report)
    except SocialCreditError as exc:
        report.fail(f"the store could not be read to the end: {exc}", check="store")
    except Exception as exc:  # a hostile store yields a report, never a crash
        report.fail(
            f"verify stopped at a corrupt value: {type(exc).__name__}: {exc}", check="store"
        )
    report.seconds = time.perf_counter() - started
    return report


def _verify(
    store: LedgerStore,
    public_key: Ed25519PublicKey,
    witness: SignedCheckpoint | None,
    progress: Callable[[int], None] | None,
    now_us: int | None,
    report: VerifyReport,
) -> None:
    state = _state(store, report)
    if state is None:
        return
    fail = report.reporter()
    late_us = None if now_us is None else now_us + CLOCK_SKEW_US
    origin = _origin(store, report)
    loaded = load_checkpoints(store, origin, public_key, witness, fail, late_us=late_us)
    checkpoints = _Checkpoints(loaded, report)
    index = IndexCheck(store, state, loaded.steps, fail, late_us)
    compact, level0_roots = _check_entries(store, report, checkpoints, index, progress)
    index.finish(report.entries_checked if compact is not None else -1)
    check_subjects(store, loaded.steps, state.size, fail)
    if compact is not None:
        report.root = compact.root()
        for late in checkpoints.beyond(report.size):
            whose = "the witness's checkpoint" if late is loaded.witness else "checkpoint"
            report.fail(
                f"{whose} at size {late.size} is beyond the stored size {report.size}: "
                "entries were removed",
                report.size,
                check="witness" if late is loaded.witness else "checkpoints",
            )
        _check_upper_tiles(store, level0_roots, report)


def _state(store: LedgerStore, report: VerifyReport) -> LogState | None:
    """The stored log state, if it holds two non-negative integers (else reported)."""
    state = store.state()
    size, last = state.size, state.last_recorded_at_us
    if type(size) is not int or type(last) is not int or size < 0 or last < 0:
        report.fail(
            f"the stored log state is corrupt: size {size!r}, last recorded {last!r}",
            0,
            check="state",
        )
        return None
    report.size = size
    return state


def _origin(store: LedgerStore, report: VerifyReport) -> str | None:
    """The ledger's name, which every signed checkpoint repeats (None if unreadable)."""
    try:
        origin = store.meta().get("origin")
    except StorageError as exc:
        report.fail(f"the ledger's metadata cannot be read: {exc}", check="store")
        return None
    if not isinstance(origin, str):
        report.fail(f"the ledger's origin is missing or corrupt: {origin!r}", check="store")
        return None
    return origin


def _check_entries(
    store: LedgerStore,
    report: VerifyReport,
    checkpoints: _Checkpoints,
    index_check: IndexCheck,
    progress: Callable[[int], None] | None,
) -> tuple[CompactRange | None, list[bytes]]:
    """Recompute leaves bundle by bundle, and hand each bundle's entries to the index checks;
    return the compact range (None if the walk stopped) and the complete tiles' roots."""
    size = report.size
    bundles = -(-size // BUNDLE_SIZE)
    compact = CompactRange()
    roots: list[bytes] = []
    _advance(compact, b"", checkpoints)  # the empty tree's checkpoint
    tiles = _tiles(store, 0)
    for expected, (index, hashed) in enumerate(_hashed_bundles(store)):
        if type(index) is not int or index != expected or index >= bundles:
            where = "out of order" if type(index) is int and index < bundles else "beyond the size"
            report.fail(f"bundle {expected} is missing, or {where}", expected * BUNDLE_SIZE)
            return None, roots
        count = min(BUNDLE_SIZE, size - index * BUNDLE_SIZE)
        leaves = _bundle_leaves(hashed, index, count, tiles, report)
        if leaves is None or isinstance(hashed, Exception):
            return None, roots
        root = hashed[2] if count == BUNDLE_SIZE else None
        _advance(compact, leaves, checkpoints, root)
        if root is not None:
            roots.append(root)
        index_check.entries(index * BUNDLE_SIZE, hashed[3])
        report.entries_checked += count
        if progress is not None:
            progress(report.entries_checked)
    if report.entries_checked != size:
        report.fail(
            f"bundles end at entry {report.entries_checked} of {size}", report.entries_checked
        )
        return None, roots
    return compact, roots


def _tiles(store: LedgerStore, level: int) -> Iterator[tuple[int, bytes]]:
    yield from store.read_tiles(level, 0, 1 << 62)


Hashed = tuple[bytes, int, bytes | None, BundleFacts] | Exception
_GROUP = 4  # bundles per task: a task's data stays in cache; the pool's overhead is noise


def _hashed_bundles(store: LedgerStore) -> Iterator[tuple[int, Hashed]]:
    """Every stored bundle's index and recomputed hashes, in order, hashed on two threads.

    The native pass (hashing, the subtree root and the scan of each entry for the index
    checks, see :func:`~socialcredit.ledger._verify_index.hash_bundle`) releases the GIL, so
    two threads hash twice as fast; a few small groups are kept in flight ahead of the
    consumer, so that each bundle is still in cache when it is hashed and scanned.
    """
    rows = _readable(store.read_bundles(0, 1 << 62))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify") as pool:
        pending: deque[Future[list[tuple[int, Hashed]]]] = deque()
        while group := list(islice(rows, _GROUP)):
            pending.append(pool.submit(_hash_group, group))
            if len(pending) > 4:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _readable(rows: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, bytes | Exception]]:
    """``rows``, ending with ``(next index, the error)`` if the store fails to read one."""
    last = -1
    try:
        for index, data in rows:
            last = index if type(index) is int else last + 1
            yield index, data
    except StorageError as exc:
        yield last + 1, exc


def _hash_group(group: list[tuple[int, bytes | Exception]]) -> list[tuple[int, Hashed]]:
    return [(index, _hash_bundle(data)) for index, data in group]


def _hash_bundle(data: bytes | Exception) -> Hashed:
    """Leaf hashes, count, (for a full bundle) subtree root and the entries' facts for the
    index checks; the error if the bundle is unreadable or malformed."""
    if isinstance(data, Exception):
        return data
    try:
        leaves, found, root, facts = hash_bundle(data)
    except (TypeError, ValueError) as exc:  # TypeError: the row no longer holds a blob
        return exc
    return leaves, found, root if found == BUNDLE_SIZE else None, facts


def _bundle_leaves(
    hashed: Hashed, index: int, count: int, tiles: Iterator[tuple[int, bytes]], report: VerifyReport
) -> bytes | None:
    """The recomputed leaf hashes of one bundle, or None after reporting where it breaks."""
    base = index * BUNDLE_SIZE
    if isinstance(hashed, Exception):
        report.fail(f"bundle {index} is unreadable or malformed: {hashed}", base)
        return None
    stored_leaves = _stored_leaves(tiles, index, report)
    if stored_leaves is None:
        return None
    leaves, found, _, _ = hashed
    for j in range(0 if leaves == stored_leaves else min(found, count)):
        if leaves[j * _HASH : (j + 1) * _HASH] != stored_leaves[j * _HASH : (j + 1) * _HASH]:
            report.fail(f"entry {base + j} does not match its recorded leaf hash", base + j)
            return None
    if found != count or len(stored_leaves) != count * _HASH:
        report.fail(
            f"bundle {index} holds {found} entries and its tile {len(stored_leaves) // _HASH} "
            f"leaf hashes; {count} expected",
            base + min(found, count, len(stored_leaves) // _HASH),
        )
        return None
    return leaves


def _stored_leaves(
    tiles: Iterator[tuple[int, bytes]], index: int, report: VerifyReport
) -> bytes | None:
    """The stored leaf tile of bundle ``index`` (empty if absent); None after reporting a
    tile that cannot be read or does not hold bytes."""
    try:
        stored = next(tiles, (None, b""))
    except StorageError as exc:
        report.fail(f"tile (0, {index}) cannot be read: {exc}", index * BUNDLE_SIZE, check="tiles")
        return None
    if stored[0] != index:
        return b""
    if not isinstance(stored[1], bytes | bytearray | memoryview):
        kind = type(stored[1]).__name__
        report.fail(
            f"tile (0, {index}) holds {kind}, not bytes", index * BUNDLE_SIZE, check="tiles"
        )
        return None
    return bytes(stored[1])


def _advance(
    compact: CompactRange, leaves: bytes, checkpoints: _Checkpoints, root: bytes | None = None
) -> None:
    """Extend ``compact`` by ``leaves``, checking each checkpoint whose size is reached.

    ``root``, when given, is the root of a whole bundle of leaves; it is reused rather than
    hashed again when no checkpoint falls inside the bundle.
    """
    done = 0
    total = len(leaves) // _HASH
    target = checkpoints.next_size()
    if root is not None and (target is None or target >= compact.size + total):
        compact.push_subtree(total.bit_length() - 1, root)
        while checkpoints.next_size() == compact.size:
            checkpoints.check(compact.root())
        return
    while True:
        target = checkpoints.next_size()
        if target is None or target > compact.size + total - done:
            break
        take = target - compact.size
        if take:
            compact.extend(leaves[done * _HASH : (done + take) * _HASH])
        done += take
        checkpoints.check(compact.root())
    if done < total:
        compact.extend(leaves[done * _HASH :])


def _check_upper_tiles(store: LedgerStore, nodes: list[bytes], report: VerifyReport) -> None:
    """Recompute tiles of level 1 and up from the complete level-0 tiles and compare."""
    level = 1
    while nodes:
        try:
            stored = dict(_tiles(store, level))
        except StorageError as exc:
            report.fail(f"the tiles of level {level} cannot be read: {exc}", check="tiles")
            return
        next_nodes = []
        for k in range(0, len(nodes), BUNDLE_SIZE):
            expected = b"".join(nodes[k : k + BUNDLE_SIZE])
            if stored.get(k // BUNDLE_SIZE) != expected:
                report.fail(
                    f"tile ({level}, {k // BUNDLE_SIZE}) does not match the entries", check="tiles"
                )
            if len(expected) == BUNDLE_SIZE * _HASH:
                next_nodes.append(subtree_root(expected))
        nodes, level = next_nodes, level + 1
