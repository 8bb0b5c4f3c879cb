"""The embedded default store: one SQLite file in WAL mode, durable at every commit.

``synchronous=FULL`` makes a commit durable once it returns (the WAL is fsynced), which is what
lets the ledger acknowledge an append only when it is safe. Writers serialise on
``BEGIN IMMEDIATE``; readers never block them (WAL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import ConfigurationError, LedgerOverloadedError, StorageError
from ._checkpointer import WalCheckpointer
from ._port import (
    LedgerStore,
    LogState,
    StoredCheckpoint,
    StoredSnapshot,
    WriteTransaction,
    schema_mismatch,
)

__all__ = ["SQLiteStore"]

LATEST_VERSION = 5
"""Schema versions: 1, the first; 2 changes no table in SQLite (partitioning the log is a
PostgreSQL matter: a single file has no partitions) and is recorded so that both stores count
versions alike and ``migrate`` means the same on both; 3 adds the per-subject position index
(``subject_positions``), empty and marked as covering no entry until it is built
(:func:`socialcredit.ledger._subject_index.build_subject_index`); 4 adds ``subject_runs``: the
bulk path of that index, one array of internal subject ids per run of appended records, cheap
to write and merged into ``subject_positions`` later (:meth:`SQLiteStore.compact_subject_index`);
5 adds the projections' snapshots (``snapshots``, ``snapshot_parts``)."""
_CHUNK = 500  # parameters per IN (...) query, well under SQLite's limit
_ROWS_PAGE = 10_000  # index rows per read query

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE log_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    last_recorded_at_us INTEGER NOT NULL
);
INSERT INTO log_state VALUES (1, 0, 0);
CREATE TABLE bundles (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE tiles (
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hashes BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE checkpoints (
    size INTEGER PRIMARY KEY, root BLOB NOT NULL, time_us INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE idempotency (key TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE subjects (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, external_id TEXT NOT NULL,
    UNIQUE (kind, external_id)
);
"""


_T = TypeVar("_T")


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _stream(
    conn: sqlite3.Connection, doing: str, sql: str, params: tuple[object, ...] = ()
) -> Iterator[Any]:
    """The rows of one query, streamed; a driver error (a value that cannot be decoded, say)
    leaves as :class:`StorageError` naming what was being read."""
    try:
        yield from conn.execute(sql, params)
    except sqlite3.Error as exc:
        raise StorageError(f"reading {doing} failed: {exc}") from exc


def _checkpoint_at_most(conn: sqlite3.Connection, size: int) -> StoredCheckpoint | None:
    row = conn.execute(
        "SELECT size, root, time_us, signature FROM checkpoints WHERE size <= ? "
        "ORDER BY size DESC LIMIT 1",
        (size,),
    ).fetchone()
    return None if row is None else StoredCheckpoint(*row)


_KEYS_BY_POSITION = "SELECT key, position FROM idempotency ORDER BY position, key"
_SUBJECT_POSITIONS_V3 = (
    "CREATE TABLE subject_positions (kind TEXT NOT NULL, external_id TEXT NOT NULL, "
    "position INTEGER NOT NULL, PRIMARY KEY (kind, external_id, position)) WITHOUT ROWID"
)
# ids: little-endian int32 internal subject ids of the entries first, first + 1, ...
_SUBJECT_RUNS_V4 = "CREATE TABLE subject_runs (first INTEGER PRIMARY KEY, ids BLOB NOT NULL)"
_RUN_ID = "<i4"
_SNAPSHOTS_V5 = (
    "CREATE TABLE snapshots (name TEXT NOT NULL, size INTEGER NOT NULL, root BLOB NOT NULL, "
    "format TEXT NOT NULL, digest BLOB NOT NULL, parts INTEGER NOT NULL, "
    "written_us INTEGER NOT NULL, signature BLOB NOT NULL, PRIMARY KEY (name, size))",
    "CREATE TABLE snapshot_parts (name TEXT NOT NULL, size INTEGER NOT NULL, "
    "part INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (name, size, part))",
)
_INDEXED = "subject_index_size"  # meta key: the index holds every entry below this position
_SUBJECTS_FROM = "SELECT id, kind, external_id FROM subjects WHERE id >= ? ORDER BY id"


class _SQLiteWrite(WriteTransaction):
    """A write transaction; bundles and tiles are buffered and written in one call each.

    Few, large calls into SQLite matter on the ingest path: each call releases and retakes the
    GIL, and a thread validating the next batch holds it for up to the switch interval.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        row = conn.execute("SELECT size, last_recorded_at_us FROM log_state").fetchone()
        self._state = LogState(row[0], row[1])
        self._bundles: dict[int, bytes] = {}
        self._tiles: dict[tuple[int, int], bytes] = {}

    def state(self) -> LogState:
        return self._state

    def read_bundle(self, index: int) -> bytes | None:
        if index in self._bundles:
            return self._bundles[index]
        row = self._conn.execute("SELECT data FROM bundles WHERE idx = ?", (index,)).fetchone()
        return None if row is None else bytes(row[0])

    def read_tile(self, level: int, index: int) -> bytes | None:
        buffered = self._tiles.get((level, index))
        return buffered if buffered is not None else _read_tile(self._conn, level, index)

    def put_bundle(self, index: int, data: bytes) -> None:
        self._bundles[index] = data

    def put_tile(self, level: int, index: int, hashes: bytes) -> None:
        self._tiles[(level, index)] = hashes

    def flush(self) -> None:
        """Write the buffered bundles and tiles (called once, before commit)."""
        self._conn.executemany(
            "INSERT OR REPLACE INTO bundles VALUES (?, ?)", self._bundles.items()
        )
        self._conn.executemany(
            "INSERT OR REPLACE INTO tiles VALUES (?, ?, ?)",
            [(level, index, hashes) for (level, index), hashes in self._tiles.items()],
        )

    def put_idempotency_keys(self, rows: Sequence[tuple[str, int]]) -> None:
        self._conn.executemany("INSERT INTO idempotency VALUES (?, ?)", rows)

    def claim_idempotency_keys(self, rows: Sequence[tuple[str, int]]) -> bool:
        conn = self._conn
        conn.execute("SAVEPOINT claim")
        before = conn.total_changes
        conn.executemany("INSERT OR IGNORE INTO idempotency VALUES (?, ?)", rows)
        claimed = conn.total_changes - before == len(rows)
        if not claimed:
            conn.execute("ROLLBACK TO claim")
        conn.execute("RELEASE claim")
        return claimed

    def put_subjects(self, rows: Sequence[tuple[int, str, str]]) -> None:
        self._conn.executemany("INSERT INTO subjects VALUES (?, ?, ?)", rows)

    def put_subject_positions(
        self, rows: Sequence[tuple[str, str, int]], *, new: bool = True
    ) -> None:
        # In key order, each B-tree page is visited once per batch instead of once per row.
        self._conn.executemany(
            "INSERT OR IGNORE INTO subject_positions VALUES (?, ?, ?)", sorted(rows)
        )

    def put_subject_run(
        self, first: int, subjects: Sequence[tuple[str, str]], ids: Sequence[int]
    ) -> None:
        run = np.asarray(ids, dtype=np.int64)
        if len(run) and int(run.max()) > np.iinfo(np.int32).max:  # beyond the array's width
            super().put_subject_run(first, subjects, ids)
            return
        self._conn.execute(
            "INSERT INTO subject_runs VALUES (?, ?)", (first, run.astype(_RUN_ID).tobytes())
        )

    def put_snapshot_part(self, name: str, size: int, part: int, data: bytes) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO snapshot_parts VALUES (?, ?, ?, ?)", (name, size, part, data)
        )

    def put_snapshot(self, header: StoredSnapshot) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            tuple(getattr(header, f) for f in header.__slots__),
        )

    def delete_snapshots(self, name: str, keep: int) -> None:
        for table in ("snapshots", "snapshot_parts"):
            self._conn.execute(f"DELETE FROM {table} WHERE name = ? AND size != ?", (name, keep))

    def clear_subject_runs(self) -> None:
        self._conn.execute("DELETE FROM subject_runs")

    def subject_index_size(self) -> int:
        return _indexed_size(self._conn)

    def set_subject_index_size(self, size: int) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_INDEXED, str(size)))

    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?)",
            (checkpoint.size, checkpoint.root, checkpoint.time_us, checkpoint.signature),
        )

    def set_state(self, state: LogState) -> None:
        self._conn.execute(
            "UPDATE log_state SET size = ?, last_recorded_at_us = ?",
            (state.size, state.last_recorded_at_us),
        )

    def find_idempotency_keys(self, keys: Sequence[str]) -> dict[str, int]:
        return _find_keys(self._conn, keys)

    def find_subjects(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return _find_subjects(self._conn, keys)

    def subject_count(self) -> int:
        row = self._conn.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM subjects").fetchone()
        return int(row[0])

    def checkpoint_at_most(self, size: int) -> StoredCheckpoint | None:
        return _checkpoint_at_most(self._conn, size)

    def checkpoint_count(self, below: int) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM checkpoints WHERE size < ?", (below,))
        return int(row.fetchone()[0])

    def idempotency_keys_by_position(self) -> Iterator[tuple[str, int]]:
        return _stream(self._conn, "idempotency keys", _KEYS_BY_POSITION)

    def subjects(self) -> Iterator[tuple[int, str, str]]:
        return _stream(self._conn, "subjects", _SUBJECTS_FROM, (0,))


def _subject_keys(conn: sqlite3.Connection, ids: Any) -> dict[int, tuple[str, str]]:
    """``(kind, external_id)`` of each internal subject id in ``ids``.

    Raises:
        StorageError: if an id is not a known subject (the runs and subjects disagree).
    """
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(ids.tolist()):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, kind, external_id FROM subjects WHERE id IN ({marks})"
        found.update((i, (k, e)) for i, k, e in conn.execute(sql, tuple(chunk)))
    if len(found) != len(ids):
        raise StorageError("a subject run names an unknown subject; run `socialcredit verify`")
    return found


def _indexed_size(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_INDEXED,)).fetchone()
    return 0 if row is None else int(row[0])


def _read_tile(conn: sqlite3.Connection, level: int, index: int) -> bytes | None:
    row = conn.execute(
        "SELECT hashes FROM tiles WHERE level = ? AND idx = ?", (level, index)
    ).fetchone()
    return None if row is None else bytes(row[0])


def _find_keys(conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT key, position FROM idempotency WHERE key IN ({marks})"
        found.update(conn.execute(sql, tuple(chunk)).fetchall())
    return found


def _find_subjects(
    conn: sqlite3.Connection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, external_id in keys:
        by_kind.setdefault(kind, []).append(external_id)
    for kind, ids in by_kind.items():
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            sql = (
                f"SELECT external_id, id FROM subjects WHERE kind = ? AND external_id IN ({marks})"
            )
            for external_id, internal in conn.execute(sql, (kind, *chunk)):
                found[(kind, external_id)] = internal
    return found


class SQLiteStore(LedgerStore):
    """A ledger in one SQLite file (``sqlite:///relative.db`` or ``sqlite:////abs/path.db``)."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._current = False  # the schema version has been checked
        self._checkpointer: WalCheckpointer | None = None
        try:
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s
            )
            self._configure()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite store {self.path}: {exc}") from exc

    def _configure(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA page_size = 16384")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA wal_autocheckpoint = 4000")

    def initialise(self, meta: dict[str, str]) -> None:
        if self.is_initialised():
            raise ConfigurationError(f"{self.url} already holds a ledger")
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            rows = {**meta, "schema_version": "1"}
            self._conn.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
            self._migrate()
        self._current = True

    def schema_version(self) -> int:
        if not self.is_initialised():
            raise ConfigurationError(f"{self.url} holds no ledger; run `socialcredit init` first")
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 1

    def migrate(self) -> list[int]:
        if not self.is_initialised():
            raise ConfigurationError(f"{self.url} holds no ledger; run `socialcredit init` first")
        with self._transaction():
            applied = self._migrate()
        self._current = False
        return applied

    def _migrate(self) -> list[int]:
        """Apply the pending migrations inside the caller's write transaction."""
        version = self.schema_version()
        if version > LATEST_VERSION:
            raise schema_mismatch(self.url, version, LATEST_VERSION)
        applied = list(range(version + 1, LATEST_VERSION + 1))
        if 3 in applied:  # version 2 changes no table here (see LATEST_VERSION)
            self._conn.execute(_SUBJECT_POSITIONS_V3)
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, '0')", (_INDEXED,))
        if 4 in applied:
            self._conn.execute(_SUBJECT_RUNS_V4)
        if 5 in applied:
            for statement in _SNAPSHOTS_V5:
                self._conn.execute(statement)
        if applied:
            self._conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(applied[-1]),)
            )
        return applied

    def is_initialised(self) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_state'"
        ).fetchone()
        return row is not None

    def meta(self) -> dict[str, str]:
        self._require_initialised()
        return dict(_stream(self._conn, "meta", "SELECT key, value FROM meta"))

    def state(self) -> LogState:
        self._require_initialised()
        rows = list(
            _stream(self._conn, "the log state", "SELECT size, last_recorded_at_us FROM log_state")
        )
        if len(rows) != 1:
            raise StorageError(f"{self.url}: the log state has {len(rows)} rows, not 1")
        return LogState(rows[0][0], rows[0][1])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LedgerOverloadedError("the ledger is busy; retry later", 1.0) from exc
            raise StorageError(f"cannot begin a write on {self.url}: {exc}") from exc
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._conn.execute("ROLLBACK")
            raise StorageError(f"commit failed on {self.url}: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        self._require_initialised()
        with self._transaction():
            try:
                txn = _SQLiteWrite(self._conn)
                yield txn
                txn.flush()
            except sqlite3.Error as exc:
                raise StorageError(f"write failed on {self.url}: {exc}") from exc

    def read_bundles(self, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
        return _stream(
            self._conn,
            "bundles",
            "SELECT idx, data FROM bundles WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, stop),
        )

    def read_tiles(self, level: int, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
        return _stream(
            self._conn,
            "tiles",
            "SELECT idx, hashes FROM tiles WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (level, start, stop),
        )

    def read_tile(self, level: int, index: int) -> bytes | None:
        return _read_tile(self._conn, level, index)

    def checkpoints(self, min_size: int = 0) -> Iterator[StoredCheckpoint]:
        sql = "SELECT size, root, time_us, signature FROM checkpoints WHERE size >= ? ORDER BY size"
        for row in _stream(self._conn, "checkpoints", sql, (min_size,)):
            yield StoredCheckpoint(*row)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        sql = "SELECT size, root, time_us, signature FROM checkpoints ORDER BY size DESC LIMIT 1"
        rows = list(_stream(self._conn, "the latest checkpoint", sql))
        return StoredCheckpoint(*rows[0]) if rows else None

    def find_idempotency_keys(self, keys: Sequence[str]) -> dict[str, int]:
        return _find_keys(self._conn, keys)

    def subject_index_state(self) -> tuple[int, int]:
        self._require_initialised()
        # One statement: one consistent snapshot of both.
        sql = "SELECT size, (SELECT value FROM meta WHERE key = ?) FROM log_state"
        rows = list(_stream(self._conn, "the subject index state", sql, (_INDEXED,)))
        return int(rows[0][0]), int(rows[0][1] or 0)

    def subject_positions(self, keys: Sequence[tuple[str, str]], below: int) -> list[int]:
        found: set[int] = set()
        sql = (
            "SELECT position FROM subject_positions "
            "WHERE kind = ? AND external_id = ? AND position < ?"
        )
        distinct = list(dict.fromkeys(keys))
        with self._snapshot():  # the rows and the runs as one state (compaction moves them)
            for kind, external_id in distinct:
                rows = _stream(self._conn, "subject positions", sql, (kind, external_id, below))
                found.update(position for (position,) in rows)
            ids = list(_find_subjects(self._conn, distinct).values())
            if ids:
                found.update(self._run_positions(ids, below))
        return sorted(found)

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the file (a read transaction, unless one is open)."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def _run_positions(self, ids: Sequence[int], below: int) -> Iterator[int]:
        """The positions ``< below`` that the unmerged runs index under any of ``ids``."""
        wanted = np.asarray(ids, dtype=_RUN_ID)
        sql = "SELECT first, ids FROM subject_runs WHERE first < ? ORDER BY first"
        for first, blob in _stream(self._conn, "subject runs", sql, (below,)):
            run = np.frombuffer(blob, dtype=_RUN_ID)[: below - first]
            hits = np.flatnonzero(run == wanted[0]) if len(wanted) == 1 else None
            if hits is None:
                hits = np.flatnonzero(np.isin(run, wanted))
            yield from (first + hits).tolist()

    def snapshots(self, name: str) -> list[StoredSnapshot]:
        self._require_initialised()
        sql = "SELECT * FROM snapshots WHERE name = ? ORDER BY size DESC"
        return [StoredSnapshot(*row) for row in _stream(self._conn, "snapshots", sql, (name,))]

    def read_snapshot_parts(self, name: str, size: int) -> Iterator[tuple[int, bytes]]:
        sql = "SELECT part, data FROM snapshot_parts WHERE name = ? AND size = ? ORDER BY part"
        return _stream(self._conn, "a snapshot", sql, (name, size))

    def subject_index_rows(self) -> Iterator[tuple[str, str, int]]:
        self._require_initialised()
        with self._snapshot():
            yield from _stream(self._conn, "subject positions", "SELECT * FROM subject_positions")
            runs = "SELECT first, ids FROM subject_runs ORDER BY first"
            for first, blob in _stream(self._conn, "subject runs", runs):
                ids = np.frombuffer(blob, dtype=_RUN_ID)
                keys = _subject_keys(self._conn, np.unique(ids))
                for offset, code in enumerate(ids.tolist()):
                    yield (*keys[code], first + offset)

    def compact_subject_index(self, limit: int = 1_000_000) -> int:
        self._require_initialised()
        with self._transaction():
            conn = self._conn
            runs = conn.execute("SELECT first, ids FROM subject_runs ORDER BY first").fetchall()
            taken, merged = [], 0
            for first, blob in runs:
                if merged and merged + len(blob) // 4 > limit:
                    break
                taken.append((first, np.frombuffer(blob, dtype=_RUN_ID)))
                merged += len(blob) // 4
            if not taken:
                return 0
            subjects = np.concatenate([run for _, run in taken])
            keys = _subject_keys(conn, np.unique(subjects))
            positions = (p for first, run in taken for p in range(first, first + len(run)))
            rows = sorted((*keys[s], p) for s, p in zip(subjects.tolist(), positions, strict=True))
            conn.executemany("INSERT OR IGNORE INTO subject_positions VALUES (?, ?, ?)", rows)
            conn.executemany("DELETE FROM subject_runs WHERE first = ?", [(f,) for f, _ in taken])
        return merged

    def read_bundles_at(self, indices: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        wanted = sorted(set(indices))
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT idx, data FROM bundles WHERE idx IN ({marks}) ORDER BY idx"
            yield from _stream(self._conn, "bundles", sql, tuple(chunk))

    def subjects(self, start: int = 0) -> Iterator[tuple[int, str, str]]:
        return _stream(self._conn, "subjects", _SUBJECTS_FROM, (start,))

    def find_subjects(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return _find_subjects(self._conn, keys)

    def _require_initialised(self) -> None:
        if not self.is_initialised():
            raise ConfigurationError(f"{self.url} holds no ledger; run `socialcredit init` first")
        if not self._current:
            found = self.schema_version()
            if found != LATEST_VERSION:
                raise schema_mismatch(self.url, found, LATEST_VERSION)
            self._current = True

    def idempotency_keys_by_position(self) -> Iterator[tuple[str, int]]:
        # One sorted read: SQLite's sorter spills to temporary files, so memory stays bounded.
        return _stream(self._conn, "idempotency keys", _KEYS_BY_POSITION)

    def idempotency_keys(self) -> Iterator[tuple[str, int]]:
        rows = self._conn.execute(
            "SELECT key, position FROM idempotency ORDER BY key LIMIT ?", (_ROWS_PAGE,)
        ).fetchall()
        while rows:
            yield from rows
            if len(rows) < _ROWS_PAGE:
                return
            rows = self._conn.execute(
                "SELECT key, position FROM idempotency WHERE key > ? ORDER BY key LIMIT ?",
                (rows[-1][0], _ROWS_PAGE),
            ).fetchall()

    def checkpoint_in_background(self, interval: float = 0.5) -> None:
        """Stop checkpointing the WAL inside this connection's commits, and checkpoint it
        from a thread of its own every ``interval`` seconds instead (a server's store: no
        request waits for a checkpoint). Stopped by :meth:`close`."""
        if self._checkpointer is None:
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = WalCheckpointer(self.path, interval)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._conn.close()
