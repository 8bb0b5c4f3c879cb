"""The scale-out store: one PostgreSQL database per ledger, shared by many writer processes.

Writers serialise on the single ``log_state`` row (``SELECT ... FOR UPDATE`` at the start of
every write), so any number of processes appending to one database keep one gap-free order;
a writer that waits longer than ``lock_timeout_s`` gets :class:`LedgerOverloadedError` (push
back). Commits use the server's default ``synchronous_commit = on``: a commit is durable once
it returns. Reads run on a second, autocommit connection, so they see only committed data
even while this store's own write transaction is open.

Bulk puts take one round trip per table whatever the batch size: index rows (idempotency
keys, subjects) go in by COPY, and bundles and tiles, which replace earlier versions, by one
``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE`` with binary parameters. Every
driver error leaves this module as :class:`StorageError` (or, for a lock wait that timed out,
:class:`LedgerOverloadedError`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors

from ..errors import ConfigurationError, LedgerOverloadedError, StorageError
from . import _pg_schema as schema
from ._port import (
    LedgerStore,
    LogState,
    StoredCheckpoint,
    StoredSnapshot,
    WriteTransaction,
    schema_mismatch,
)

__all__ = ["PostgresStore"]

_PAGE = 64  # bundles per read query: bounded memory when a reader walks the whole log
_ROWS_PAGE = 10_000  # index rows (subjects, idempotency keys) per read query

# Any number of processes may race to initialise one empty database; this lock (held to the
# end of the initialising transaction) lets exactly one of them create the schema.
_INIT_LOCK = 0x5C1ED6E2

_R = TypeVar("_R")


def _redacted(url: str) -> str:
    """``url`` without its password, for messages and ``PostgresStore.url``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class _PostgresWrite(WriteTransaction):
    """A write transaction; bundles and tiles are buffered and written in one statement each.

    Opening it takes the writer lock (the ``log_state`` row), so everything read through it
    is as of the moment this writer got its turn.
    """

    def __init__(self, conn: psycopg.Connection[Any], partitions_end: int) -> None:
        self._conn = conn
        self.partitions_end = partitions_end
        row = conn.execute(
            "SELECT size, last_recorded_at_us FROM log_state WHERE id = 1 FOR UPDATE"
        ).fetchone()
        assert row is not None  # initialise() always writes the single row
        self._state = LogState(row[0], row[1])
        self._bundles: dict[int, bytes] = {}
        self._tiles: dict[tuple[int, int], bytes] = {}

    def state(self) -> LogState:
        return self._state

    def read_bundle(self, index: int) -> bytes | None:
        if index in self._bundles:
            return self._bundles[index]
        return _one(self._conn, "SELECT data FROM bundles WHERE idx = %s", (index,))

    def read_tile(self, level: int, index: int) -> bytes | None:
        buffered = self._tiles.get((level, index))
        return buffered if buffered is not None else _read_tile(self._conn, level, index)

    def put_bundle(self, index: int, data: bytes) -> None:
        self._bundles[index] = data

    def put_tile(self, level: int, index: int, hashes: bytes) -> None:
        self._tiles[(level, index)] = hashes

    def flush(self) -> None:
        """Write the buffered bundles and tiles (called once, before commit), creating the
        range partitions they need first."""
        highest = max([*self._bundles, *(index for _, index in self._tiles)], default=-1)
        self.partitions_end = schema.ensure_partitions(self._conn, highest, self.partitions_end)
        if self._bundles:
            self._conn.execute(
                "INSERT INTO bundles SELECT * FROM unnest(%b::bigint[], %b::bytea[]) "
                "ON CONFLICT (idx) DO UPDATE SET data = EXCLUDED.data",
                (list(self._bundles), list(self._bundles.values())),
            )
        if self._tiles:
            self._conn.execute(
                "INSERT INTO tiles SELECT * FROM unnest(%b::integer[], %b::bigint[], %b::bytea[])"
                " ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes",
                (
                    [level for level, _ in self._tiles],
                    [index for _, index in self._tiles],
                    list(self._tiles.values()),
                ),
            )

    def put_idempotency_keys(self, rows: Sequence[tuple[str, int]]) -> None:
        _copy(self._conn, "idempotency (key, position)", rows)

    def claim_idempotency_keys(self, rows: Sequence[tuple[str, int]]) -> bool:
        # New keys are the rule: COPY them all in a savepoint, and on a duplicate roll back
        # to it (an error outside a savepoint would abort the whole transaction).
        try:
            with self._conn.transaction():
                _copy(self._conn, "idempotency (key, position)", rows)
        except pg_errors.UniqueViolation:
            return False
        return True

    def put_subjects(self, rows: Sequence[tuple[int, str, str]]) -> None:
        _copy(self._conn, "subjects (id, kind, external_id)", rows)

    def put_subject_positions(
        self, rows: Sequence[tuple[str, str, int]], *, new: bool = True
    ) -> None:
        if new:
            _copy(self._conn, "subject_positions (kind, external_id, position)", rows)
        elif rows:
            self._conn.execute(
                "INSERT INTO subject_positions SELECT * FROM "
                "unnest(%s::text[], %s::text[], %s::bigint[]) ON CONFLICT DO NOTHING",
                _columns(rows, 3),
            )

    def put_snapshot_part(self, name: str, size: int, part: int, data: bytes) -> None:
        self._conn.execute(
            "INSERT INTO snapshot_parts VALUES (%s, %s, %s, %s) ON CONFLICT (name, size, part) "
            "DO UPDATE SET data = EXCLUDED.data",
            (name, size, part, data),
        )

    def put_snapshot(self, header: StoredSnapshot) -> None:
        self._conn.execute(
            "DELETE FROM snapshots WHERE name = %s AND size = %s", (header.name, header.size)
        )
        self._conn.execute(
            "INSERT INTO snapshots VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            tuple(getattr(header, f) for f in header.__slots__),
        )

    def delete_snapshots(self, name: str, keep: int) -> None:
        for table in ("snapshots", "snapshot_parts"):
            self._conn.execute(f"DELETE FROM {table} WHERE name = %s AND size != %s", (name, keep))

    def clear_subject_runs(self) -> None:
        """PostgreSQL keeps no runs (its ``COPY`` writes the rows directly)."""

    def subject_index_size(self) -> int:
        found = _one(
            self._conn, "SELECT value FROM meta WHERE key = %s", (schema.SUBJECT_INDEX_SIZE,)
        )
        return 0 if found is None else int(found)

    def set_subject_index_size(self, size: int) -> None:
        self._conn.execute(
            "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = %s",
            (schema.SUBJECT_INDEX_SIZE, str(size), str(size)),
        )

    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        self._conn.execute(
            "INSERT INTO checkpoints VALUES (%s, %s, %s, %s) ON CONFLICT (size) DO UPDATE SET "
            "root = EXCLUDED.root, time_us = EXCLUDED.time_us, signature = EXCLUDED.signature",
            (checkpoint.size, checkpoint.root, checkpoint.time_us, checkpoint.signature),
        )

    def set_state(self, state: LogState) -> None:
        self._conn.execute(
            "UPDATE log_state SET size = %s, last_recorded_at_us = %s WHERE id = 1",
            (state.size, state.last_recorded_at_us),
        )

    def find_idempotency_keys(self, keys: Sequence[str]) -> dict[str, int]:
        return _find_keys(self._conn, keys)

    def find_subjects(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return _find_subjects(self._conn, keys)

    def subject_count(self) -> int:
        row = self._conn.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM subjects").fetchone()
        assert row is not None
        return int(row[0])

    def checkpoint_at_most(self, size: int) -> StoredCheckpoint | None:
        row = self._conn.execute(
            "SELECT size, root, time_us, signature FROM checkpoints WHERE size <= %s "
            "ORDER BY size DESC LIMIT 1",
            (size,),
        ).fetchone()
        return None if row is None else StoredCheckpoint(*row)

    def checkpoint_count(self, below: int) -> int:
        return int(_one(self._conn, "SELECT COUNT(*) FROM checkpoints WHERE size < %s", (below,)))

    def idempotency_keys_by_position(self) -> Iterator[tuple[str, int]]:
        return _server_rows(self._conn, _KEYS_BY_POSITION, hold=False)

    def subjects(self) -> Iterator[tuple[int, str, str]]:
        return _server_rows(self._conn, _SUBJECTS_BY_ID, hold=False)


_KEYS_BY_POSITION = "SELECT key, position FROM idempotency ORDER BY position, key"
_SUBJECTS_BY_ID = "SELECT id, kind, external_id FROM subjects ORDER BY id"
_cursor_names = itertools.count()


def _server_rows(conn: psycopg.Connection[Any], sql: str, *, hold: bool) -> Iterator[Any]:
    """The rows of one sorted query through a server-side cursor, fetched a page at a time
    (bounded memory on both sides). ``hold``: the connection is in autocommit mode, so the
    cursor must outlive the statement's own transaction (``WITH HOLD``)."""
    name = f"socialcredit_rows_{next(_cursor_names)}"
    with conn.cursor(name=name, withhold=hold) as cursor:
        cursor.itersize = _ROWS_PAGE
        cursor.execute(sql)
        yield from cursor


def _copy(conn: psycopg.Connection[Any], target: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``target`` (``table (columns)``) with COPY, the fastest bulk path."""
    if rows:
        with conn.cursor().copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists, the shape ``unnest`` takes."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def _one(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> Any:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def _read_tile(conn: psycopg.Connection[Any], level: int, index: int) -> bytes | None:
    return _one(conn, "SELECT hashes FROM tiles WHERE level = %s AND idx = %s", (level, index))


def _find_keys(conn: psycopg.Connection[Any], keys: Sequence[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT key, position FROM idempotency WHERE key = ANY(%s::text[])", (list(keys),)
    ).fetchall()
    return dict(rows)


def _find_subjects(
    conn: psycopg.Connection[Any], keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT s.kind, s.external_id, s.id FROM subjects s "
        "JOIN unnest(%s::text[], %s::text[]) AS k (kind, external_id) USING (kind, external_id)",
        _columns(keys, 2),
    ).fetchall()
    return {(kind, external_id): internal for kind, external_id, internal in rows}


@contextmanager
def _driver_errors(doing: str, url: str) -> Iterator[None]:
    """Turn a driver error into :class:`StorageError` naming what failed and where."""
    try:
        yield
    except pg_errors.LockNotAvailable as exc:
        raise LedgerOverloadedError("the ledger is busy; retry later", 1.0) from exc
    except psycopg.Error as exc:
        detail = str(exc).strip() or type(exc).__name__
        raise StorageError(f"{doing} failed on {url}: {detail}") from exc


class PostgresStore(LedgerStore):
    """A ledger in one PostgreSQL database (``postgresql://user@host:port/db``).

    Args:
        url: a libpq connection URL (``postgresql://`` or ``postgres://``).
        lock_timeout_s: how long a writer waits for its turn before pushing back.
        partition_span: bundle indexes per range partition, used when the schema is created
            or migrated (afterwards the store's recorded span applies).

    Raises:
        StorageError: if the database cannot be reached.
    """

    def __init__(
        self,
        url: str,
        *,
        lock_timeout_s: float = 10.0,
        partition_span: int = schema.DEFAULT_PARTITION_SPAN,
    ) -> None:
        self.url = _redacted(url)
        self._initialised = False
        self._current = False  # the schema version has been checked
        self._partition_span = partition_span
        self._partitions_end = 0  # bundle indexes below this have a partition (cached)
        self._lock_timeout_s = lock_timeout_s
        # Threads of one process share the write connection: they take turns here first,
        # then queue for the row lock with the other processes.
        self._write_lock = threading.Lock()
        with _driver_errors("connecting", self.url):
            # Two connections: reads never see this store's own uncommitted writes.
            self._reader = psycopg.connect(url, autocommit=True)
            try:
                self._writer = psycopg.connect(url, autocommit=True)
            except BaseException:
                self._reader.close()
                raise
        with _driver_errors("configuring the connection", self.url):
            try:
                self._writer.execute(f"SET lock_timeout = {max(1, int(lock_timeout_s * 1000))}")
            except BaseException:
                self.close()
                raise

    def _read(self, doing: str, run: Callable[[psycopg.Connection[Any]], _R]) -> _R:
        with _driver_errors(doing, self.url):
            return run(self._reader)

    def _fetch(self, doing: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with _driver_errors(doing, self.url):
            return self._reader.execute(sql, params).fetchall()

    def initialise(self, meta: dict[str, str]) -> None:
        with _driver_errors("initialising", self.url), self._writer.transaction():
            self._writer.execute("SELECT pg_advisory_xact_lock(%s)", (_INIT_LOCK,))
            if _has_ledger(self._writer):
                raise ConfigurationError(f"{self.url} already holds a ledger")
            schema.create_schema(self._writer, self._partition_span)
            rows = {k: v for k, v in meta.items() if k != "schema_version"}
            self._writer.cursor().executemany("INSERT INTO meta VALUES (%s, %s)", rows.items())
        self._initialised = self._current = True

    def is_initialised(self) -> bool:
        # Once a ledger is there it stays: only the negative answer needs asking again.
        if not self._initialised:
            self._initialised = self._read("checking the schema", _has_ledger)
        return self._initialised

    def _require_initialised(self) -> None:
        if not self.is_initialised():
            raise ConfigurationError(f"{self.url} holds no ledger; run `socialcredit init` first")
        if not self._current:
            found = self.schema_version()
            if found != schema.LATEST_VERSION:
                raise schema_mismatch(self.url, found, schema.LATEST_VERSION)
            self._current = True

    def schema_version(self) -> int:
        if not self.is_initialised():
            raise ConfigurationError(f"{self.url} holds no ledger; run `socialcredit init` first")
        return self._read("reading the schema version", schema.schema_version)

    def migrate(self) -> list[int]:
        if not self.is_initialised():
            raise ConfigurationError(f"{self.url} holds no ledger; run `socialcredit init` first")
        with self._write_lock, _driver_errors("migrating", self.url), self._writer.transaction():
            self._writer.execute("SELECT 1 FROM log_state WHERE id = 1 FOR UPDATE")
            applied = schema.migrate(self._writer, self._partition_span)
        self._current = False
        self._partitions_end = 0
        return applied

    def meta(self) -> dict[str, str]:
        self._require_initialised()
        return dict(self._fetch("reading meta", "SELECT key, value FROM meta"))

    def state(self) -> LogState:
        self._require_initialised()
        rows = self._fetch(
            "reading the log state", "SELECT size, last_recorded_at_us FROM log_state"
        )
        return LogState(*rows[0])

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        self._require_initialised()
        if not self._write_lock.acquire(timeout=self._lock_timeout_s):
            raise LedgerOverloadedError("the ledger is busy; retry later", 1.0)
        try:
            with _driver_errors("writing", self.url), self._writer.transaction():
                txn = _PostgresWrite(self._writer, self._partitions_end)
                yield txn
                txn.flush()
            # Only a committed transaction's partitions are known to exist.
            self._partitions_end = txn.partitions_end
        finally:
            self._write_lock.release()

    def _pages(
        self, what: str, sql: str, head: tuple[Any, ...], start: int, stop: int, page: int
    ) -> Iterator[tuple[int, bytes]]:
        """Rows ``(idx, blob)`` with ``start <= idx < stop``, fetched ``page`` rows a query.

        No cursor stays open between yields, so a slow consumer pins nothing on the server.
        """
        while start < stop:
            rows = self._fetch(f"reading {what}", sql, (*head, start, stop, page))
            yield from rows
            if len(rows) < page:
                return
            start = rows[-1][0] + 1

    def read_bundles(self, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
        sql = "SELECT idx, data FROM bundles WHERE idx >= %s AND idx < %s ORDER BY idx LIMIT %s"
        return self._pages("bundles", sql, (), start, stop, _PAGE)

    def read_tiles(self, level: int, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
        sql = (
            "SELECT idx, hashes FROM tiles WHERE level = %s AND idx >= %s AND idx < %s "
            "ORDER BY idx LIMIT %s"
        )
        return self._pages("tiles", sql, (level,), start, stop, _PAGE * 4)

    def read_tile(self, level: int, index: int) -> bytes | None:
        return self._read("reading a tile", lambda c: _read_tile(c, level, index))

    def checkpoints(self, min_size: int = 0) -> Iterator[StoredCheckpoint]:
        # Paged like bundles: a ledger of many small appends has many checkpoints, and the
        # usual caller (the checkpoint for one size) reads only the first.
        while True:
            rows = self._fetch(
                "reading checkpoints",
                "SELECT size, root, time_us, signature FROM checkpoints WHERE size >= %s "
                "ORDER BY size LIMIT %s",
                (min_size, _PAGE),
            )
            for row in rows:
                yield StoredCheckpoint(*row)
            if len(rows) < _PAGE:
                return
            min_size = rows[-1][0] + 1

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        rows = self._fetch(
            "reading the latest checkpoint",
            "SELECT size, root, time_us, signature FROM checkpoints ORDER BY size DESC LIMIT 1",
        )
        return StoredCheckpoint(*rows[0]) if rows else None

    def find_idempotency_keys(self, keys: Sequence[str]) -> dict[str, int]:
        return self._read("finding idempotency keys", lambda c: _find_keys(c, keys))

    def subjects(self, start: int = 0) -> Iterator[tuple[int, str, str]]:
        while True:
            rows = self._fetch(
                "reading subjects",
                "SELECT id, kind, external_id FROM subjects WHERE id >= %s ORDER BY id LIMIT %s",
                (start, _ROWS_PAGE),
            )
            yield from rows
            if len(rows) < _ROWS_PAGE:
                return
            start = rows[-1][0] + 1

    def idempotency_keys(self) -> Iterator[tuple[str, int]]:
        after: str | None = None
        while True:
            rows = self._fetch(
                "reading idempotency keys",
                "SELECT key, position FROM idempotency WHERE %s::text IS NULL OR key > %s "
                "ORDER BY key LIMIT %s",
                (after, after, _ROWS_PAGE),
            )
            yield from rows
            if len(rows) < _ROWS_PAGE:
                return
            after = rows[-1][0]

    def idempotency_keys_by_position(self) -> Iterator[tuple[str, int]]:
        with _driver_errors("reading idempotency keys", self.url):
            yield from _server_rows(self._reader, _KEYS_BY_POSITION, hold=True)

    def find_subjects(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return self._read("finding subjects", lambda c: _find_subjects(c, keys))

    def subject_index_state(self) -> tuple[int, int]:
        self._require_initialised()
        rows = self._fetch(
            "reading the subject index state",
            "SELECT size, (SELECT value FROM meta WHERE key = %s) FROM log_state",
            (schema.SUBJECT_INDEX_SIZE,),
        )
        return int(rows[0][0]), int(rows[0][1] or 0)

    def subject_positions(self, keys: Sequence[tuple[str, str]], below: int) -> list[int]:
        if not keys:
            return []
        kinds, ids = _columns(list(dict.fromkeys(keys)), 2)
        rows = self._fetch(
            "reading subject positions",
            "SELECT DISTINCT p.position FROM subject_positions p "
            "JOIN unnest(%s::text[], %s::text[]) AS k (kind, external_id) "
            "USING (kind, external_id) WHERE p.position < %s ORDER BY 1",
            (kinds, ids, below),
        )
        return [int(position) for (position,) in rows]

    def snapshots(self, name: str) -> list[StoredSnapshot]:
        self._require_initialised()
        rows = self._fetch(
            "reading snapshots",
            "SELECT * FROM snapshots WHERE name = %s ORDER BY size DESC",
            (name,),
        )
        return [
            StoredSnapshot(n, s, bytes(r), f, bytes(d), p, w, bytes(g))
            for n, s, r, f, d, p, w, g in rows
        ]

    def read_snapshot_parts(self, name: str, size: int) -> Iterator[tuple[int, bytes]]:
        sql = (
            "SELECT part, data FROM snapshot_parts WHERE name = %s AND size = %s AND part >= %s "
            "ORDER BY part LIMIT 1"
        )
        part = 0
        while rows := self._fetch("reading a snapshot", sql, (name, size, part)):
            found, data = rows[0]
            yield found, bytes(data)
            part = found + 1

    def subject_index_rows(self) -> Iterator[tuple[str, str, int]]:
        self._require_initialised()
        sql = (
            "SELECT kind, external_id, position FROM subject_positions "
            "WHERE (kind, external_id, position) > (%s, %s, %s) "
            "ORDER BY kind, external_id, position LIMIT %s"
        )
        after: tuple[str, str, int] = ("", "", -1)
        while rows := self._fetch("reading subject positions", sql, (*after, _PAGE * 4)):
            yield from ((str(k), str(e), int(p)) for k, e, p in rows)
            after = rows[-1]

    def read_bundles_at(self, indices: Sequence[int]) -> Iterator[tuple[int, bytes]]:
        wanted = sorted(set(indices))
        for start in range(0, len(wanted), _PAGE):
            yield from self._fetch(
                "reading bundles",
                "SELECT idx, data FROM bundles WHERE idx = ANY(%s::bigint[]) ORDER BY idx",
                (wanted[start : start + _PAGE],),
            )

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


def _has_ledger(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT to_regclass('log_state') IS NOT NULL").fetchone()
    return bool(row and row[0])
