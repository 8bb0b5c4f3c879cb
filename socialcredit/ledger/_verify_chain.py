"""``verify``'s reading of the signed checkpoints: signatures, the chain, and what it commits.

Every stored checkpoint must be well formed and signed by the pinned key. Chained checkpoints
(see :mod:`socialcredit.ledger._checkpoints`) are numbered 0, 1, 2, ... in size order and name
their predecessor by size and hash, so a checkpoint missing from the store shows as a jump in
the numbers: the report names how many are missing and the last stored checkpoint before the
gap. Each chained checkpoint becomes a :class:`ChainStep` that tells the index checks which
digests it commits to and whether the digests it extends are known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from socialcredit.storage import LedgerStore, StoredCheckpoint

from ..errors import StorageError
from ..timeutil import format_time
from ._checkpoints import ChainLink, SignedCheckpoint

__all__ = ["Base", "ChainStep", "LoadedCheckpoints", "load_checkpoints"]

Fail = Callable[[str, str, int | None], None]
"""``fail(check, message, position)``: how the loader reports a problem."""


class Base(Enum):
    """What a chained checkpoint's index digests extend."""

    ZERO = "zero"  # nothing: the digests cover every row from the start
    PREVIOUS = "previous"  # the digests of the stored checkpoint just before it
    UNKNOWN = "unknown"  # a predecessor that is missing or broken: the digests cannot be checked


@dataclass(frozen=True, slots=True)
class ChainStep:
    """A stored, validly signed, chained checkpoint, as the index checks need it."""

    size: int
    link: ChainLink
    base: Base


@dataclass(slots=True)
class LoadedCheckpoints:
    """The checkpoints to compare with the recomputed roots (stored ones whose signature
    verifies, plus the witness's, also kept apart), and the chain steps by size."""

    signed: list[SignedCheckpoint]
    steps: list[ChainStep]
    witness: SignedCheckpoint | None = None


def load_checkpoints(
    store: LedgerStore,
    origin: str | None,
    key: Ed25519PublicKey,
    witness: SignedCheckpoint | None,
    fail: Fail,
    *,
    late_us: int | None = None,
) -> LoadedCheckpoints:
    """Read, parse and check every stored checkpoint; report every problem through ``fail``.

    Args:
        store: the store to read.
        origin: the ledger's name (None if the store's metadata is unreadable: then no
            signature can be checked, and every checkpoint is reported).
        key: the pinned public key.
        witness: a checkpoint kept or cosigned elsewhere; it joins the root comparisons.
        fail: reports ``(check, message, position)``.
        late_us: checkpoints timed after this are reported (None: no such check).
    """
    rows = _read_rows(store, fail)
    parsed = [_parse(row, origin, key, fail) for row in rows]
    for signed in parsed:
        if signed is not None and late_us is not None and signed.checkpoint.time_us > late_us:
            fail(
                "time",
                f"checkpoint at size {signed.size} is timed "
                f"{format_time(signed.checkpoint.time_us)}, in the future",
                signed.size,
            )
    loaded = LoadedCheckpoints([s for s in parsed if s is not None], _chain(parsed, fail))
    if witness is not None:
        if origin is None or witness.checkpoint.origin != origin or not witness.is_signed_by(key):
            fail("witness", "the witness checkpoint is not signed by this ledger's key", None)
        else:
            loaded.signed.append(witness)
            loaded.witness = witness
    return loaded


def _read_rows(store: LedgerStore, fail: Fail) -> list[StoredCheckpoint]:
    rows: list[StoredCheckpoint] = []
    try:
        rows.extend(store.checkpoints())
    except StorageError as exc:
        after = rows[-1].size if rows else None
        fail("checkpoints", f"checkpoints after size {after} cannot be read: {exc}", None)
    return rows


def _parse(
    row: StoredCheckpoint, origin: str | None, key: Ed25519PublicKey, fail: Fail
) -> SignedCheckpoint | None:
    size = row.size if isinstance(row.size, int) else None
    try:
        signed = SignedCheckpoint.from_stored(origin or "", row)
    except ValueError as exc:
        fail("checkpoints", f"checkpoint at size {row.size!r} is corrupt: {exc}", size)
        return None
    if origin is None or not signed.is_signed_by(key):
        fail(
            "checkpoints",
            f"checkpoint at size {signed.size}: signature does not verify",
            signed.size,
        )
        return None
    return signed


def _chain(parsed: list[SignedCheckpoint | None], fail: Fail) -> list[ChainStep]:
    """Check the numbering and predecessor of every chained checkpoint (``parsed`` holds
    every stored row in size order, None for one that is corrupt or badly signed)."""
    steps: list[ChainStep] = []
    missing = 0  # checkpoints found missing so far: later numbers are shifted by this
    previous: SignedCheckpoint | None = None
    previous_ok = True  # the row before is stored, readable and validly signed
    for index, signed in enumerate(parsed):
        if signed is None:
            previous, previous_ok = None, False
            continue
        link = signed.chain
        if link is None:
            if steps:
                fail(
                    "checkpoints",
                    f"checkpoint at size {signed.size} is not chained, yet follows chained "
                    "checkpoints",
                    signed.size,
                )
            previous, previous_ok = signed, True
            continue
        gap = link.number - (index + missing)
        if gap:
            _report_gap(signed, link, gap, previous, fail)
            missing += gap
        base = _base(signed, link, previous, previous_ok and not gap, bool(steps), fail)
        steps.append(ChainStep(signed.size, link, base))
        previous, previous_ok = signed, True
    return steps


def _report_gap(
    signed: SignedCheckpoint,
    link: ChainLink,
    gap: int,
    previous: SignedCheckpoint | None,
    fail: Fail,
) -> None:
    """Report checkpoints missing before ``signed`` (``gap > 0``) or too many stored."""
    # After a chained predecessor the gap lies between the two; after checkpoints signed
    # before the chain, it may lie anywhere below.
    after = 0 if previous is None or previous.chain is None else previous.size
    if gap > 0:
        fail(
            "checkpoints",
            f"{gap} signed checkpoint(s) after size {after} and before size {signed.size} are "
            f"missing: the checkpoint at size {signed.size} is number {link.number}",
            after,
        )
    else:
        fail(
            "checkpoints",
            f"checkpoint at size {signed.size} is number {link.number}, but more checkpoints "
            "than that are stored below it",
            after,
        )


def _base(
    signed: SignedCheckpoint,
    link: ChainLink,
    previous: SignedCheckpoint | None,
    contiguous: bool,
    after_chained: bool,
    fail: Fail,
) -> Base:
    """Check that ``link`` names ``previous``; return what its digests extend."""
    if not contiguous:
        return Base.UNKNOWN
    if previous is None:
        if link.previous_size is not None:
            fail(
                "checkpoints",
                f"checkpoint at size {signed.size} names a predecessor at size "
                f"{link.previous_size} that is not stored",
                0,
            )
            return Base.UNKNOWN
        return Base.ZERO
    if link.previous_size != previous.size or link.previous_hash != previous.checkpoint.digest():
        fail(
            "checkpoints",
            f"checkpoint at size {signed.size} does not name the stored checkpoint at size "
            f"{previous.size} as its predecessor",
            previous.size,
        )
        return Base.UNKNOWN
    if previous.chain is None:
        return Base.UNKNOWN if after_chained else Base.ZERO
    return Base.PREVIOUS
