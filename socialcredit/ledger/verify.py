"""``verify``: recompute every hash from the stored entries and check every signed checkpoint.

Nothing derived is trusted. The leaf hashes are recomputed from the entry bundles and compared
with the stored leaf tiles (so an edited, deleted, inserted or reordered entry is reported at
its exact position); the Merkle root is recomputed from those leaves and compared with every
signed checkpoint (so a rewrite of both entries and tiles is caught at the first checkpoint it
breaks); the upper tiles are recomputed and compared; and the checkpoints' Ed25519 signatures
are checked against the pinned public key. An optional witness checkpoint — one the auditor
kept from earlier — catches truncation and rewritten history even when the attacker also
removed the later checkpoints.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..storage.port import BUNDLE_SIZE, LedgerStore
from .checkpoints import Checkpoint, SignedCheckpoint
from .hashing import bundle_leaf_hashes, subtree_root
from .merkle import CompactRange

__all__ = ["VerifyReport", "verify_ledger"]

_HASH = 32


@dataclass(slots=True)
class VerifyReport:
    """What ``verify`` found. ``ok`` only if there are no problems at all."""

    size: int = 0
    entries_checked: int = 0
    checkpoints_checked: int = 0
    root: bytes | None = None
    first_bad_position: int | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every hash, tile and checkpoint checked out."""
        return not self.problems

    def fail(self, message: str, position: int | None = None) -> None:
        """Record a problem; keep the smallest bad position seen."""
        self.problems.append(message)
        if position is not None and (
            self.first_bad_position is None or position < self.first_bad_position
        ):
            self.first_bad_position = position


class _Checkpoints:
    """The signed checkpoints to test, in size order, each compared when the root gets there."""

    def __init__(self, items: list[SignedCheckpoint], report: VerifyReport) -> None:
        self._items = sorted(items, key=lambda c: c.size)
        self._next = 0
        self._last_good = 0
        self._report = report

    def next_size(self) -> int | None:
        return self._items[self._next].size if self._next < len(self._items) else None

    def check(self, root: bytes) -> None:
        checkpoint = self._items[self._next]
        self._next += 1
        self._report.checkpoints_checked += 1
        if checkpoint.root == root:
            self._last_good = checkpoint.size
            return
        self._report.fail(
            f"checkpoint at size {checkpoint.size} does not match the recomputed root: entries "
            f"after position {self._last_good} were rewritten",
            self._last_good,
        )

    def beyond(self, size: int) -> list[SignedCheckpoint]:
        return [c for c in self._items[self._next :] if c.size > size]


def verify_ledger(
    store: LedgerStore,
    public_key: Ed25519PublicKey,
    *,
    witness: SignedCheckpoint | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify the whole ledger in ``store``; never raises for tampering, reports it.

    Args:
        store: the store to check.
        public_key: the pinned key every checkpoint must be signed with.
        witness: a checkpoint kept from earlier; the ledger must still contain it.
        progress: called with the number of entries checked so far.
    """
    started = time.perf_counter()
    report = VerifyReport(size=store.state().size)
    origin = store.meta()["origin"]
    checkpoints = _load_checkpoints(store, origin, public_key, witness, report)
    compact, level0_roots = _check_entries(store, report, checkpoints, progress)
    if compact is not None:
        report.root = compact.root()
        for late in checkpoints.beyond(report.size):
            report.fail(
                f"checkpoint at size {late.size} is beyond the stored size {report.size}: "
                "entries were removed",
                report.size,
            )
        _check_upper_tiles(store, level0_roots, report)
    report.seconds = time.perf_counter() - started
    return report


def _load_checkpoints(
    store: LedgerStore,
    origin: str,
    key: Ed25519PublicKey,
    witness: SignedCheckpoint | None,
    report: VerifyReport,
) -> _Checkpoints:
    items = []
    for stored in store.checkpoints():
        signed = SignedCheckpoint(
            Checkpoint(origin, stored.size, bytes(stored.root), stored.time_us),
            bytes(stored.signature),
        )
        if signed.is_signed_by(key):
            items.append(signed)
        else:
            report.fail(f"checkpoint at size {stored.size}: signature does not verify")
    if witness is not None:
        if witness.checkpoint.origin != origin or not witness.is_signed_by(key):
            report.fail("the witness checkpoint is not signed by this ledger's key")
        else:
            items.append(witness)
    latest = max((c.size for c in items), default=-1)
    if latest < report.size:
        report.fail(
            f"entries from position {max(latest, 0)} on are not covered by a signed checkpoint",
            max(latest, 0),
        )
    return _Checkpoints(items, report)


def _check_entries(
    store: LedgerStore,
    report: VerifyReport,
    checkpoints: _Checkpoints,
    progress: Callable[[int], None] | None,
) -> tuple[CompactRange | None, list[bytes]]:
    """Recompute leaves bundle by bundle; return the compact range and complete tile roots."""
    size = report.size
    bundles = -(-size // BUNDLE_SIZE)
    compact = CompactRange()
    roots: list[bytes] = []
    _advance(compact, b"", checkpoints)  # the empty tree's checkpoint
    tiles = _tiles(store, 0)
    for expected, (index, hashed) in enumerate(_hashed_bundles(store)):
        if index != expected or index >= bundles:
            where = "beyond the stored size" if index >= bundles else "out of order"
            report.fail(
                f"bundle {min(index, expected)} is missing or {where}",
                min(index, expected) * BUNDLE_SIZE,
            )
            return None, roots
        count = min(BUNDLE_SIZE, size - index * BUNDLE_SIZE)
        leaves = _bundle_leaves(hashed, index, count, tiles, report)
        if leaves is None:
            return None, roots
        root = hashed[2] if count == BUNDLE_SIZE and not isinstance(hashed, Exception) else None
        _advance(compact, leaves, checkpoints, root)
        if root is not None:
            roots.append(root)
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


Hashed = tuple[bytes, int, bytes | None] | Exception
_GROUP = 32  # bundles per task: large enough that the pool's overhead is noise


def _hashed_bundles(store: LedgerStore) -> Iterator[tuple[int, Hashed]]:
    """Every stored bundle's index and recomputed hashes, in order, hashed on two threads.

    The native hashing releases the GIL, so two threads hash twice as fast; a few groups are
    kept in flight ahead of the consumer.
    """
    rows = store.read_bundles(0, 1 << 62)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify") as pool:
        pending: deque[Future[list[tuple[int, Hashed]]]] = deque()
        while group := list(islice(rows, _GROUP)):
            pending.append(pool.submit(_hash_group, group))
            if len(pending) > 4:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _hash_group(group: list[tuple[int, bytes]]) -> list[tuple[int, Hashed]]:
    return [(index, _hash_bundle(data)) for index, data in group]


def _hash_bundle(data: bytes) -> Hashed:
    """Leaf hashes, count and (for a full bundle) subtree root; the error if malformed."""
    try:
        leaves, found = bundle_leaf_hashes(data)
    except (TypeError, ValueError) as exc:  # TypeError: the row no longer holds a blob
        return exc
    return leaves, found, subtree_root(leaves) if found == BUNDLE_SIZE else None


def _bundle_leaves(
    hashed: Hashed, index: int, count: int, tiles: Iterator[tuple[int, bytes]], report: VerifyReport
) -> bytes | None:
    """The recomputed leaf hashes of one bundle, or None after reporting where it breaks."""
    base = index * BUNDLE_SIZE
    stored = next(tiles, (None, b""))
    stored_leaves = stored[1] if stored[0] == index else b""
    if isinstance(hashed, Exception):
        report.fail(f"bundle {index} is malformed: {hashed}", base)
        return None
    leaves, found, _ = hashed
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
        stored = dict(_tiles(store, level))
        next_nodes = []
        for k in range(0, len(nodes), BUNDLE_SIZE):
            expected = b"".join(nodes[k : k + BUNDLE_SIZE])
            if stored.get(k // BUNDLE_SIZE) != expected:
                report.fail(f"tile ({level}, {k // BUNDLE_SIZE}) does not match the entries")
            if len(expected) == BUNDLE_SIZE * _HASH:
                next_nodes.append(subtree_root(expected))
        nodes, level = next_nodes, level + 1
