"""The storage port: what the ledger needs from a backing store, and nothing more.

The ledger (``socialcredit.ledger``) decides *what* to write — entry bundles, Merkle tiles,
checkpoints, index rows — and a store only persists it, atomically, in a write transaction
that also serialises writers (one global order). Layout, after Trillian Tessera:

* **bundles** — entries ``[256 k, 256 k + 256)`` packed into bundle ``k`` (the last one may be
  partial and is rewritten as it fills);
* **tiles** — tile ``(level, k)`` holds the hashes of the perfect subtrees of height
  ``8 * level`` with indices ``[256 k, 256 k + 256)``; level-0 tiles are the leaf hashes;
* **checkpoints** — signed (size, root, time) commitments; a chained checkpoint's chain lines
  (see ``socialcredit.ledger._checkpoints``) are kept after its 64-byte signature;
* **idempotency** and **subjects** — indexes that are projections of the entries and are
  written in the same transaction as the entries they index (chained checkpoints commit to
  digests of both, which ``verify`` recomputes from these rows);
* **subject positions** — ``(kind, external_id, position)``: every entry under each subject
  it concerns (and the few global entries, such as policies, under ``("@type", type)``),
  written in the same transaction as the entries, so single-subject reads touch only that
  subject. ``subject_index_size`` says below which position the index is complete (a store
  migrated from before it, or imported, is complete only once the index has been built).

Every backend passes the contract tests in ``tests/storage_contract.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from ..errors import ConfigurationError

__all__ = [
    "BUNDLE_SIZE",
    "LedgerStore",
    "LogState",
    "StoredCheckpoint",
    "StoredSnapshot",
    "WriteTransaction",
    "schema_mismatch",
]

BUNDLE_SIZE = 256
"""Entries per bundle and hashes per tile (a tile spans 8 tree levels)."""


@dataclass(frozen=True, slots=True)
class LogState:
    """The durable size of the log and the ledger time of its last entry."""

    size: int
    last_recorded_at_us: int


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint as stored: size, root, time and Ed25519 signature (followed, for a
    chained checkpoint, by its chain lines in ASCII)."""

    size: int
    root: bytes
    time_us: int
    signature: bytes


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """The header of a projection's snapshot as stored (its bytes are in parts, see
    :meth:`LedgerStore.read_snapshot_parts`): the projection's ``name``, the ledger ``size``
    and Merkle ``root`` it reflects, the ``format`` of its bytes, their ``digest`` (SHA-256)
    and number of ``parts``, when it was written, and the ledger key's ``signature``."""

    name: str
    size: int
    root: bytes
    format: str
    digest: bytes
    parts: int
    written_us: int
    signature: bytes


class WriteTransaction(ABC):
    """One atomic write; everything put here becomes durable together or not at all."""

    @abstractmethod
    def state(self) -> LogState:
        """The log state as of the start of this transaction (after taking the write lock)."""

    @abstractmethod
    def read_bundle(self, index: int) -> bytes | None:
        """Bundle ``index`` as this transaction sees it, or None."""

    @abstractmethod
    def read_tile(self, level: int, index: int) -> bytes | None:
        """Tile ``(level, index)`` as this transaction sees it, or None."""

    @abstractmethod
    def put_bundle(self, index: int, data: bytes) -> None:
        """Insert or replace bundle ``index``."""

    @abstractmethod
    def put_tile(self, level: int, index: int, hashes: bytes) -> None:
        """Insert or replace tile ``(level, index)``."""

    @abstractmethod
    def put_idempotency_keys(self, rows: Sequence[tuple[str, int]]) -> None:
        """Record ``(key, position)`` pairs; keys are new (checked under the same lock)."""

    @abstractmethod
    def claim_idempotency_keys(self, rows: Sequence[tuple[str, int]]) -> bool:
        """Record all ``(key, position)`` pairs if none of the keys is known yet; else none.

        Returns True if the keys were recorded (the common case, one index write per key),
        False — having written nothing — if any key was already there.
        """

    @abstractmethod
    def put_subjects(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Record new subjects as ``(internal_id, kind, external_id)``."""

    @abstractmethod
    def put_subject_positions(
        self, rows: Sequence[tuple[str, str, int]], *, new: bool = True
    ) -> None:
        """Record ``(kind, external_id, position)`` rows of the per-subject index.

        ``new``: the caller guarantees none of the rows is stored yet (the rows of entries
        being appended: the fast bulk path); otherwise a row already there is left as it is.
        """

    def put_subject_run(
        self, first: int, subjects: Sequence[tuple[str, str]], ids: Sequence[int]
    ) -> None:
        """Index entries ``first``, ``first + 1``, ... each under its one subject, given both
        as ``(kind, external_id)`` and as the internal id :meth:`put_subjects` recorded.

        The bulk path of the per-subject index (a run of records, one subject each). A store
        may keep the run in a cheaper form than rows (SQLite: one array of internal ids per
        run, merged into the rows by :meth:`LedgerStore.compact_subject_index`); the default
        writes the rows.
        """
        del ids
        self.put_subject_positions([(k, e, first + n) for n, (k, e) in enumerate(subjects)])

    @abstractmethod
    def put_snapshot_part(self, name: str, size: int, part: int, data: bytes) -> None:
        """Store part ``part`` of the bytes of the snapshot ``(name, size)`` (replacing one
        already there); the snapshot exists for readers only once its header is put."""

    @abstractmethod
    def put_snapshot(self, header: StoredSnapshot) -> None:
        """Store the header of a snapshot whose parts are all stored (replacing one of the
        same name and size)."""

    @abstractmethod
    def delete_snapshots(self, name: str, keep: int) -> None:
        """Remove every snapshot of ``name`` (headers and parts) except that of size
        ``keep``, and parts left without a header by an interrupted writer."""

    @abstractmethod
    def clear_subject_runs(self) -> None:
        """Remove every bulk run (the caller has just written rows for all their entries)."""

    @abstractmethod
    def subject_index_size(self) -> int:
        """The position below which the per-subject index is complete."""

    @abstractmethod
    def set_subject_index_size(self, size: int) -> None:
        """Record that the per-subject index holds every entry below ``size``."""

    @abstractmethod
    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Record a signed checkpoint."""

    @abstractmethod
    def set_state(self, state: LogState) -> None:
        """Set the new log state; the entries up to ``state.size`` must have been put."""

    @abstractmethod
    def find_idempotency_keys(self, keys: Sequence[str]) -> dict[str, int]:
        """The positions of those ``keys`` already recorded (under the write lock)."""

    @abstractmethod
    def find_subjects(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Internal ids of those ``(kind, external_id)`` already known (under the lock)."""

    @abstractmethod
    def subject_count(self) -> int:
        """How many subjects are known (the next internal id)."""

    @abstractmethod
    def checkpoint_at_most(self, size: int) -> StoredCheckpoint | None:
        """The stored checkpoint with the largest size ``<= size``, or None."""

    @abstractmethod
    def checkpoint_count(self, below: int) -> int:
        """How many checkpoints are stored with a size ``< below``."""

    @abstractmethod
    def idempotency_keys_by_position(self) -> Iterator[tuple[str, int]]:
        """Every ``(key, position)`` as this transaction sees it, by position then key,
        streamed (bounded memory)."""

    @abstractmethod
    def subjects(self) -> Iterator[tuple[int, str, str]]:
        """Every ``(internal_id, kind, external_id)`` as this transaction sees it, by id,
        streamed."""


class LedgerStore(ABC):
    """A durable home for one ledger. Reads see only committed data.

    A read that meets a value the store cannot decode (corruption) raises
    :class:`~socialcredit.errors.StorageError`, never a driver error.
    """

    url: str

    @abstractmethod
    def initialise(self, meta: dict[str, str]) -> None:
        """Create the schema in an empty store and write ``meta``.

        Raises:
            ConfigurationError: if the store already holds a ledger.
        """

    @abstractmethod
    def is_initialised(self) -> bool:
        """True if the store holds a ledger."""

    @abstractmethod
    def schema_version(self) -> int:
        """The version of the schema the store holds (stores from before versions: 1).

        Raises:
            ConfigurationError: if the store holds no ledger.
        """

    @abstractmethod
    def migrate(self) -> list[int]:
        """Apply the pending schema migrations in order, each atomically and holding the
        writers' lock; return the versions applied (empty if the schema is current).

        Idempotent: running it again applies nothing. Migrations never change the entries,
        so the Merkle root is the same before and after.

        Raises:
            ConfigurationError: if the store holds no ledger, or its schema is newer than
                this code knows.
            StorageError: if the store fails (the failed migration leaves nothing behind).
        """

    @abstractmethod
    def meta(self) -> dict[str, str]:
        """The ledger's metadata (origin, public key, schema version, ...)."""

    @abstractmethod
    def state(self) -> LogState:
        """The committed log state."""

    @abstractmethod
    def write(self) -> AbstractContextManager[WriteTransaction]:
        """Begin a write transaction holding the store's single writer lock.

        Commits on normal exit, rolls back on an exception.

        Raises:
            LedgerOverloadedError: if the lock cannot be taken in time (push back).
            StorageError: if the store fails.
        """

    @abstractmethod
    def read_bundles(self, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
        """Stored bundles with ``start <= index < stop``, in index order, as stored."""

    @abstractmethod
    def read_tiles(self, level: int, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
        """Stored tiles of ``level`` with ``start <= index < stop``, in index order."""

    @abstractmethod
    def read_tile(self, level: int, index: int) -> bytes | None:
        """One tile, or None if absent."""

    @abstractmethod
    def checkpoints(self, min_size: int = 0) -> Iterator[StoredCheckpoint]:
        """Stored checkpoints with ``size >= min_size``, by increasing size."""

    @abstractmethod
    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint with the largest size, or None."""

    @abstractmethod
    def find_idempotency_keys(self, keys: Sequence[str]) -> dict[str, int]:
        """The positions of those ``keys`` already recorded."""

    @abstractmethod
    def subject_index_state(self) -> tuple[int, int]:
        """``(log size, size below which the per-subject index is complete)``, read together
        (one consistent snapshot)."""

    @abstractmethod
    def subject_positions(self, keys: Sequence[tuple[str, str]], below: int) -> list[int]:
        """The sorted, distinct positions ``< below`` indexed under any of ``keys``
        (``(kind, external_id)`` pairs).

        Raises:
            StorageError: if the store fails.
        """

    @abstractmethod
    def snapshots(self, name: str) -> list[StoredSnapshot]:
        """The headers of the stored snapshots of projection ``name``, largest size first."""

    @abstractmethod
    def read_snapshot_parts(self, name: str, size: int) -> Iterator[tuple[int, bytes]]:
        """``(part, data)`` of the snapshot ``(name, size)``, in part order (a missing part
        is simply absent: the caller checks the count)."""

    @abstractmethod
    def subject_index_rows(self) -> Iterator[tuple[str, str, int]]:
        """Every ``(kind, external_id, position)`` the per-subject index holds, rows and runs,
        streamed (bounded memory), in no particular order.

        Raises:
            StorageError: if the store fails, or a run names an unknown subject.
        """

    def compact_subject_index(self, limit: int = 1_000_000) -> int:
        """Merge up to about ``limit`` entries' worth of runs kept by
        :meth:`WriteTransaction.put_subject_run` into the index rows, in one write
        transaction; returns how many entries were merged (0: nothing left). The answers of
        :meth:`subject_positions` are the same before and after. The default keeps no runs.

        Raises:
            StorageError: if the store fails (nothing is merged then).
            LedgerOverloadedError: if the writers' lock cannot be taken.
        """
        del limit
        return 0

    @abstractmethod
    def read_bundles_at(self, indices: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        """The stored bundles among ``indices``, in index order (absent ones are skipped)."""

    @abstractmethod
    def subjects(self, start: int = 0) -> Iterator[tuple[int, str, str]]:
        """Known subjects ``(internal_id, kind, external_id)`` from ``start`` on, by id."""

    @abstractmethod
    def find_subjects(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Internal ids of those ``(kind, external_id)`` already known."""

    @abstractmethod
    def idempotency_keys(self) -> Iterator[tuple[str, int]]:
        """Every recorded ``(key, position)``, by key, read in pages (bounded memory)."""

    @abstractmethod
    def idempotency_keys_by_position(self) -> Iterator[tuple[str, int]]:
        """Every recorded ``(key, position)``, by position then key, streamed from one
        sorted read (bounded memory): how ``verify`` walks the keys beside the entries.

        Raises:
            StorageError: if the store fails or a row cannot be read.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the store's resources."""


def schema_mismatch(url: str, found: int, latest: int) -> ConfigurationError:
    """The error for a store whose schema version is not the one this code reads."""
    if found < latest:
        return ConfigurationError(
            f"{url} has schema version {found} and this socialcredit reads version {latest}: "
            "run `socialcredit migrate`"
        )
    return ConfigurationError(
        f"{url} has schema version {found}, newer than this socialcredit knows ({latest}); "
        "upgrade socialcredit"
    )
