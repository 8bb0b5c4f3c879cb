"""The ledger: an append-only, Merkle-committed, signed log of typed entries.

Every fact of the system is an entry here; everything else is a projection. An append is
durable when :meth:`Ledger.append` returns, and each append ends with a signed checkpoint of
the new size and root, chained to the one before (its number, size and hash) and committing
to the index rows the append wrote, so tampering with the stored rows is detected by
``verify``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Integral
from typing import NamedTuple, TypeVar, overload

from socialcredit.storage import (
    BUNDLE_SIZE,
    LedgerStore,
    LogState,
    StoredCheckpoint,
    WriteTransaction,
)

from ..errors import ConfigurationError, LedgerError, NotFoundError, StorageError
from ..timeutil import format_time, utc_now_us
from ._checkpoints import (
    ChainLink,
    Checkpoint,
    IndexDigest,
    SignedCheckpoint,
    Signer,
    index_digest,
    public_key_from_text,
    public_key_text,
)
from ._entries import EncodedBatch, Entry, EntryTemplate, PendingEntry, decode_entry, encode_batch
from ._hashing import leaf_hash, unpack_bundle
from ._subject_index import Key, entry_keys
from ._tiles import append_entries, node_reader, root_at

__all__ = ["AppendResult", "AppendResults", "Ledger", "utc_now_us"]

_SUBJECT_CACHE_LIMIT = 1_000_000
#: Positions are SQLite/PostgreSQL 64-bit integers: none at or past this one can exist.
_MAX_POSITION = 2**63 - 1


class AppendResult(NamedTuple):
    """Where an appended entry landed; ``duplicate`` if its idempotency key was seen before."""

    position: int
    duplicate: bool = False


class AppendResults(Sequence[AppendResult]):
    """The results of one append, one per entry, without building an object per entry."""

    def __init__(self, positions: list[int], duplicates: set[int]) -> None:
        self.positions = positions
        self.duplicates = duplicates  # indices of the entries that were not appended again

    @property
    def appended(self) -> int:
        """How many entries were appended (not duplicates)."""
        return len(self.positions) - len(self.duplicates)

    @overload
    def __getitem__(self, index: int) -> AppendResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[AppendResult]: ...

    def __getitem__(self, index: int | slice) -> AppendResult | list[AppendResult]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        return AppendResult(self.positions[index], index in self.duplicates)

    def __len__(self) -> int:
        return len(self.positions)

    def __repr__(self) -> str:
        return f"AppendResults(positions={self.positions!r}, duplicates={self.duplicates!r})"


_P = TypeVar("_P")

KeyRow = tuple[int, str]
"""An idempotency row as the chain digests it: ``(position, key)``."""
SubjectRow = tuple[int, str, str]
"""A subject row: ``(internal_id, kind, external_id)``."""

AppendListener = Callable[[int, Sequence[bytes]], None]
"""Called with the first new position and the new entries' canonical bytes, after commit."""


class Ledger:
    """The ledger over a store. Reading needs no key; appending needs the signer.

    Args:
        store: the backing store (already initialised; see :meth:`create`).
        signer: signs a checkpoint after every append; None opens the ledger read-only.
        clock: ledger time in microseconds since the epoch (injectable for tests).
    """

    def __init__(
        self,
        store: LedgerStore,
        signer: Signer | None = None,
        clock: Callable[[], int] = utc_now_us,
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock
        meta = store.meta()
        self.origin = meta["origin"]
        self.public_key = public_key_from_text(meta["public_key"])
        if signer is not None and public_key_text(signer.public_key) != meta["public_key"]:
            raise ConfigurationError("the signing key does not match this ledger's public key")
        self._subjects: dict[tuple[str, str], int] = {}
        self._listeners: list[AppendListener] = []
        self._projections: dict[str, object] = {}
        # Appends through this object are serialised (threads share one store handle), and
        # listeners see the batches in ledger order.
        self._write_lock = threading.RLock()

    @classmethod
    def create(
        cls,
        store: LedgerStore,
        signer: Signer,
        origin: str,
        clock: Callable[[], int] = utc_now_us,
    ) -> Ledger:
        """Initialise an empty ledger named ``origin`` in ``store``, signed by ``signer``.

        Raises:
            ConfigurationError: if the store already holds a ledger.
        """
        store.initialise(
            {
                "origin": origin,
                "public_key": public_key_text(signer.public_key),
                "created_at": format_time(clock()),
            }
        )
        ledger = cls(store, signer, clock)
        with store.write() as txn:
            ledger._sign_checkpoint(txn, LogState(0, 0), clock(), _fresh_link(txn, origin, 0))
        return ledger

    # -- writing ---------------------------------------------------------------------------

    def append(self, entries: Sequence[PendingEntry], *, checked: bool = False) -> AppendResults:
        """Append ``entries`` atomically, in order; durable and checkpointed on return.

        An entry whose idempotency key is already in the ledger (or earlier in the same call)
        is not appended again: its result carries the original position and ``duplicate``.

        Args:
            entries: the entries to append.
            checked: the caller guarantees every entry's data is canonical (skips the walk).

        Raises:
            LedgerError: if the ledger was opened without a signing key.
            ValidationError: if an entry cannot be encoded; nothing is written.
            LedgerOverloadedError: if the store pushes back; nothing is written.
        """

        def encode(keep: list[int] | None, at: str) -> list[bytes]:
            fresh = entries if keep is None else [entries[i] for i in keep]
            return encode_batch(fresh, at, checked=checked)

        keys = [entry.idempotency_key for entry in entries]
        index_keys = [entry_keys(e.type, e.data, e.subject) for e in entries]
        return self._append(keys, [entry.subject for entry in entries], encode, index_keys)

    def append_encoded(self, batch: EncodedBatch) -> AppendResults:
        """Append entries of one type whose data is already canonical JSON (the ingest path).

        Same guarantees as :meth:`append`, without an object per entry.

        Raises:
            As :meth:`append`.
        """
        template = EntryTemplate(batch.type, batch.version)
        data = batch.data_json

        def encode(keep: list[int] | None, at: str) -> list[bytes]:
            return template.encode(data if keep is None else [data[i] for i in keep], at)

        index_keys = None
        if any(s is None for s in batch.subjects) or batch.type not in _PLAIN_TYPES:
            index_keys = [entry_keys(batch.type, None, s) for s in batch.subjects]
        return self._append(batch.idempotency_keys, batch.subjects, encode, index_keys)

    def _append(
        self,
        keys: Sequence[str | None],
        subjects: Sequence[tuple[str, str] | None],
        encode: Callable[[list[int] | None, str], list[bytes]],
        index_keys: Sequence[list[Key]] | None = None,
    ) -> AppendResults:
        """The one write path: deduplicate, encode at ledger time, store, index, checkpoint.

        ``index_keys``: each entry's keys in the per-subject index (None: its subject)."""
        if self.signer is None:
            raise LedgerError("the ledger is open read-only (no signing key)")
        with self._write_lock:
            return self._append_locked(keys, subjects, encode, index_keys)

    def _append_locked(
        self,
        keys: Sequence[str | None],
        subjects: Sequence[tuple[str, str] | None],
        encode: Callable[[list[int] | None, str], list[bytes]],
        index_keys: Sequence[list[Key]] | None,
    ) -> AppendResults:
        with self.store.write() as txn:
            state = txn.state()
            results, keep, new_keys, key_rows = self._deduplicate(txn, state.size, keys)
            appended = len(keys) if keep is None else len(keep)
            if not appended:
                return results
            previous = _previous_link(txn, self.origin, state.size)
            recorded_us = max(self.clock(), state.last_recorded_at_us)
            encoded = encode(keep, format_time(recorded_us))
            subject_rows = self._register_subjects(
                txn, subjects if keep is None else [subjects[i] for i in keep]
            )
            append_entries(txn, state.size, encoded)
            _index_positions(txn, state.size, subjects, index_keys, keep, self._subjects)
            if new_keys:
                txn.put_idempotency_keys(list(new_keys.items()))
            new_state = LogState(state.size + appended, recorded_us)
            txn.set_state(new_state)
            link = (
                _fresh_link(txn, self.origin, new_state.size)
                if previous is None
                else _next_link(previous, key_rows, subject_rows)
            )
            self._sign_checkpoint(txn, new_state, recorded_us, link)
        for listener in self._listeners:
            listener(state.size, encoded)
        return results

    def add_listener(self, listener: AppendListener) -> None:
        """Call ``listener(first_position, encoded_entries)`` after every append that commits
        through this object (projections kept current in process without re-reading).

        Listeners run in the appending thread, after the commit; an exception propagates to
        the appender but the entries are already durable.
        """
        self._listeners.append(listener)

    def projection(self, name: str, build: Callable[[Ledger], _P]) -> _P:
        """The in-memory projection ``name`` attached to this ledger object, built with
        ``build(self)`` on first use and kept for the object's lifetime, so that one-off
        library calls share one projection instead of rebuilding it from the whole ledger.
        The projection is responsible for catching up with later appends."""
        found = self._projections.get(name)
        if found is None:
            found = self._projections[name] = build(self)
        return found  # type: ignore[return-value]

    def has_projection(self, name: str) -> bool:
        """True if the projection ``name`` has been built on this object."""
        return name in self._projections

    def remove_listener(self, listener: AppendListener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _deduplicate(
        self, txn: WriteTransaction, size: int, keys: Sequence[str | None]
    ) -> tuple[AppendResults, list[int] | None, dict[str, int], list[KeyRow]]:
        """Positions for every entry, the indices to append (None: all), the keys still to
        record, and every key row this append records, by position."""
        given = [key for key in keys if key is not None]
        every = AppendResults(list(range(size, size + len(keys))), set())
        if not given:
            return every, None, {}, []
        if len(set(given)) == len(given):
            # Optimistic: new keys are the rule, so claim them all at once; only a batch that
            # holds a retry pays for the lookups below.
            claims = [(k, p) for k, p in zip(keys, every.positions, strict=True) if k is not None]
            if txn.claim_idempotency_keys(claims):
                return every, None, {}, [(p, k) for k, p in claims]
        seen = txn.find_idempotency_keys(given)
        positions: list[int] = []
        duplicates: set[int] = set()
        keep: list[int] = []
        new_keys: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key is not None and key in seen:
                positions.append(seen[key])
                duplicates.add(index)
                continue
            position = size + len(keep)
            if key is not None:
                seen[key] = new_keys[key] = position
            keep.append(index)
            positions.append(position)
        rows = [(p, k) for k, p in new_keys.items()]
        return AppendResults(positions, duplicates), keep, new_keys, rows

    def _register_subjects(
        self, txn: WriteTransaction, subjects: Sequence[tuple[str, str] | None]
    ) -> list[SubjectRow]:
        """Give each subject first seen in ``subjects`` the next dense internal id; return
        the rows recorded. Every subject of ``subjects`` is in ``self._subjects`` after."""
        known = self._subjects
        if len(known) > _SUBJECT_CACHE_LIMIT:
            known.clear()
        distinct = dict.fromkeys(subjects)
        new = distinct.keys() - known.keys()  # set arithmetic in C: most batches stop here
        new.discard(None)
        if not new:
            return []
        unknown = [s for s in distinct if s is not None and s in new]  # first-seen order: ids
        found = txn.find_subjects(unknown)
        self._subjects.update(found)
        next_id = txn.subject_count()
        rows = []
        for subject in unknown:
            if subject is not None and subject not in found:
                rows.append((next_id, subject[0], subject[1]))
                self._subjects[subject] = next_id
                next_id += 1
        if rows:
            txn.put_subjects(rows)
        return rows

    def _sign_checkpoint(
        self, txn: WriteTransaction, state: LogState, time_us: int, link: ChainLink
    ) -> None:
        assert self.signer is not None
        root = root_at(txn, state.size)
        signed = self.signer.sign(Checkpoint(self.origin, state.size, root, time_us, link))
        txn.put_checkpoint(signed.stored())

    # -- reading ---------------------------------------------------------------------------

    def size(self) -> int:
        """The number of durable entries."""
        return self.store.state().size

    def raw_entries(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(position, canonical bytes)`` of entries ``start <= position < stop``, in order.

        Raises:
            StorageError: if a stored bundle is missing or malformed.
        """
        stop = self.size() if stop is None else min(stop, self.size())
        expected = start // BUNDLE_SIZE
        for index, data in self.store.read_bundles(expected, -(-stop // BUNDLE_SIZE)):
            if index != expected:
                raise LedgerError(f"bundle {expected} is missing; run `socialcredit verify`")
            base = index * BUNDLE_SIZE
            for offset, raw in enumerate(unpack_bundle(data)):
                if start <= base + offset < stop:
                    yield base + offset, raw
            expected += 1

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[Entry]:
        """Decoded entries ``start <= position < stop``, in order."""
        for position, raw in self.raw_entries(start, stop):
            yield decode_entry(position, raw)

    def entry_bytes(self, position: int) -> bytes:
        """The canonical bytes of the entry at ``position``.

        Raises:
            NotFoundError: if there is no such entry (any position outside the ledger,
                however large or negative).
            TypeError: if ``position`` is not an integer (a bool is not a position).
        """
        if isinstance(position, bool) or not isinstance(position, Integral):
            raise TypeError(f"a position is an int, not {type(position).__name__}")
        position = int(position)
        if 0 <= position < _MAX_POSITION:  # beyond it no store could hold an entry
            for _, raw in self.raw_entries(position, position + 1):
                return raw
        raise NotFoundError(f"no entry at position {position} (ledger size {self.size()})")

    def entry(self, position: int) -> Entry:
        """The decoded entry at ``position``. Raises NotFoundError if there is none."""
        return decode_entry(position, self.entry_bytes(position))

    def subject_id(self, kind: str, external_id: str) -> int | None:
        """The dense internal id of a subject, or None if the ledger has never seen it."""
        return self.store.find_subjects([(kind, external_id)]).get((kind, external_id))

    # -- checkpoints and proofs ------------------------------------------------------------

    def latest_checkpoint(self) -> SignedCheckpoint:
        """The latest signed checkpoint.

        Raises:
            LedgerError: if the store holds none (it always should).
        """
        stored = self.store.latest_checkpoint()
        if stored is None:
            raise LedgerError("the ledger has no checkpoint; run `socialcredit verify`")
        return self._signed(stored)

    def checkpoint_at(self, size: int) -> SignedCheckpoint:
        """The stored checkpoint for exactly ``size`` entries. Raises NotFoundError if none."""
        for stored in self.store.checkpoints(size):
            if stored.size == size:
                return self._signed(stored)
            break
        raise NotFoundError(f"no checkpoint for size {size}")

    def checkpoint(self) -> SignedCheckpoint:
        """Sign a fresh checkpoint of the current size and root, and return it.

        Raises:
            LedgerError: if the ledger was opened without a signing key.
        """
        if self.signer is None:
            raise LedgerError("the ledger is open read-only (no signing key)")
        with self._write_lock, self.store.write() as txn:
            state = txn.state()
            link = _fresh_link(txn, self.origin, state.size)
            self._sign_checkpoint(txn, state, max(self.clock(), state.last_recorded_at_us), link)
        return self.latest_checkpoint()

    def _signed(self, stored: StoredCheckpoint) -> SignedCheckpoint:
        return _parse_stored(self.origin, stored)

    def node_reader(self, size: int) -> Callable[[int, int], bytes]:
        """``get_node(height, index)`` over the stored tiles of the tree of ``size``."""
        return node_reader(self.store, size)

    def leaf_hash(self, position: int) -> bytes:
        """The RFC 6962 leaf hash of the entry at ``position``."""
        return leaf_hash(self.entry_bytes(position))


# -- the checkpoint chain --------------------------------------------------------------------


# -- the per-subject position index ---------------------------------------------------------

# Types whose index keys are exactly their subject (no global key, no representative).
_PLAIN_TYPES = frozenset({"RecordFiled"})


def _index_positions(
    txn: WriteTransaction,
    first: int,
    subjects: Sequence[tuple[str, str] | None],
    index_keys: Sequence[list[Key]] | None,
    keep: list[int] | None,
    subject_ids: Mapping[tuple[str, str], int],
) -> None:
    """Write the per-subject index rows of the entries appended from position ``first``
    (``keep``: the indices appended, None for all), and move the index's complete size
    along if it was complete before.

    ``index_keys`` None: each entry is indexed under its subject alone, which is never None
    (the bulk path: one run of internal ids from ``subject_ids``)."""
    chosen = range(len(subjects)) if keep is None else keep
    if index_keys is None:
        run = [s for i in chosen if (s := subjects[i]) is not None]
        txn.put_subject_run(first, run, list(map(subject_ids.__getitem__, run)))
    else:
        rows = [(k[0], k[1], first + n) for n, i in enumerate(chosen) for k in index_keys[i]]
        txn.put_subject_positions(rows)
    if txn.subject_index_size() == first:
        txn.set_subject_index_size(first + len(chosen))


def _parse_stored(origin: str, stored: StoredCheckpoint) -> SignedCheckpoint:
    try:
        return SignedCheckpoint.from_stored(origin, stored)
    except ValueError as exc:
        raise StorageError(
            f"the checkpoint at size {stored.size} is corrupt ({exc}); run `socialcredit verify`"
        ) from exc


def _previous_link(txn: WriteTransaction, origin: str, size: int) -> SignedCheckpoint | None:
    """The checkpoint of ``size`` that an append extends, if it is chained; None if it was
    signed before checkpoints were chained (the next link is then computed afresh).

    Raises:
        LedgerError: if there is no checkpoint of ``size``: the latest checkpoint was removed,
            and chaining past the gap would hide it.
    """
    stored = txn.checkpoint_at_most(size)
    if stored is None or stored.size != size:
        raise LedgerError(
            f"the checkpoint of the ledger's size {size} is missing; "
            "nothing is appended until `socialcredit verify` has been run"
        )
    signed = _parse_stored(origin, stored)
    return signed if signed.chain is not None else None


def _next_link(
    previous: SignedCheckpoint, key_rows: Sequence[KeyRow], subject_rows: Sequence[SubjectRow]
) -> ChainLink:
    """The link of the checkpoint after ``previous`` (chained), for an append that recorded
    ``key_rows`` and ``subject_rows``."""
    link = previous.chain
    assert link is not None
    keys, subjects = IndexDigest(link.keys_digest), IndexDigest(link.subjects_digest)
    keys.add_all(key_rows)
    subjects.add_all(subject_rows)
    return ChainLink(
        number=link.number + 1,
        previous_size=previous.size,
        previous_hash=previous.checkpoint.digest(),
        keys_digest=keys.digest(),
        subjects=link.subjects + len(subject_rows),
        subjects_digest=subjects.digest(),
    )


def _fresh_link(txn: WriteTransaction, origin: str, size: int) -> ChainLink:
    """The link of a checkpoint of the current ``size`` signed afresh.

    It keeps the link of the checkpoint it replaces if that one is chained. Otherwise (a new
    ledger, or the first chained checkpoint of a ledger from before the chain) it is numbered
    after every stored smaller checkpoint, linked to the largest, and digests the whole index
    tables, read once.
    """
    same = txn.checkpoint_at_most(size)
    if same is not None and same.size == size:
        chain = _parse_stored(origin, same).chain
        if chain is not None:
            return chain
    before = txn.checkpoint_at_most(size - 1) if size else None
    previous = None if before is None else _parse_stored(origin, before)
    subjects = IndexDigest()
    count = 0
    for row in txn.subjects():
        subjects.add(row)
        count += 1
    return ChainLink(
        number=txn.checkpoint_count(size),
        previous_size=None if previous is None else previous.size,
        previous_hash=None if previous is None else previous.checkpoint.digest(),
        keys_digest=index_digest(None, ((p, k) for k, p in txn.idempotency_keys_by_position())),
        subjects=count,
        subjects_digest=subjects.digest(),
    )
