"""The PostgreSQL store's schema versions, its migrations, and the range partitions of the log.

Schema versions (``meta.schema_version``):

1. one table each for bundles, tiles, checkpoints, idempotency keys, subjects;
2. **bundles and tiles range-partitioned by index** (``PARTITION BY RANGE (idx)``), one
   partition per ``partition_span`` bundle indexes (default 2^16 bundles = 16.8 M entries,
   a few GB of entries per partition), created on demand by the writer that first needs one;
3. the **per-subject position index** ``subject_positions (kind, external_id, position)``,
   created empty and marked (``meta.subject_index_size = 0``) as covering no entry until it
   is built (:func:`socialcredit.ledger._subject_index.build_subject_index`).

The migration from 1 to 2 copies nothing: each old table is renamed, given a CHECK constraint
on its index range (one scan), and attached as the first partition ``[0, n * span)`` of a new
partitioned table, so the stored bytes — and hence the Merkle root — are untouched. Every
migration runs in one transaction that holds the writers' lock (the ``log_state`` row), and
is skipped when the store is already at or past its version (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from ..errors import ConfigurationError

__all__ = [
    "DEFAULT_PARTITION_SPAN",
    "LATEST_VERSION",
    "SCHEMA_V1",
    "create_schema",
    "ensure_partitions",
    "migrate",
    "schema_version",
]

LATEST_VERSION = 5
SUBJECT_INDEX_SIZE = "subject_index_size"
DEFAULT_PARTITION_SPAN = 1 << 16
PARTITIONED = ("bundles", "tiles")

# Keys are compared for equality only, so the "C" collation gives the same answers as any
# other and keeps the unique indexes cheap under a linguistic database default.
SCHEMA_V1 = """
CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
CREATE TABLE log_state (
    id integer PRIMARY KEY CHECK (id = 1),
    size bigint NOT NULL,
    last_recorded_at_us bigint NOT NULL
);
INSERT INTO log_state VALUES (1, 0, 0);
CREATE TABLE bundles (idx bigint PRIMARY KEY, data bytea NOT NULL);
CREATE TABLE tiles (
    level integer NOT NULL, idx bigint NOT NULL, hashes bytea NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE checkpoints (
    size bigint PRIMARY KEY, root bytea NOT NULL, time_us bigint NOT NULL,
    signature bytea NOT NULL
);
CREATE TABLE idempotency (key text COLLATE "C" PRIMARY KEY, position bigint NOT NULL);
CREATE TABLE subjects (
    id bigint PRIMARY KEY, kind text COLLATE "C" NOT NULL, external_id text COLLATE "C" NOT NULL,
    UNIQUE (kind, external_id)
);
-- Hashes do not compress and entry bundles are rewritten as they fill: compressing them on
-- every write costs more CPU than the disk it saves.
ALTER TABLE bundles ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE tiles ALTER COLUMN hashes SET STORAGE EXTERNAL
"""

_PARENTS = {
    "bundles": "CREATE TABLE bundles (idx bigint NOT NULL, data bytea NOT NULL, "
    "PRIMARY KEY (idx)) PARTITION BY RANGE (idx)",
    "tiles": "CREATE TABLE tiles (level integer NOT NULL, idx bigint NOT NULL, "
    "hashes bytea NOT NULL, PRIMARY KEY (level, idx)) PARTITION BY RANGE (idx)",
}
_BLOB = {"bundles": "data", "tiles": "hashes"}

Conn = psycopg.Connection[Any]


def _execute_script(conn: Conn, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def schema_version(conn: Conn) -> int:
    """The schema version recorded in ``meta`` (1 for stores made before versions counted)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 1


def _set_meta(conn: Conn, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (key, value),
    )


def _partition_name(table: str, first_bundle: int, span: int) -> str:
    return f"{table}_p{first_bundle // span:06d}"


def _create_partition(conn: Conn, table: str, start: int, stop: int, span: int) -> None:
    name = _partition_name(table, start, span)
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} "
        f"FOR VALUES FROM ({start}) TO ({stop})"
    )
    conn.execute(f"ALTER TABLE {name} ALTER COLUMN {_BLOB[table]} SET STORAGE EXTERNAL")


def _to_v2(conn: Conn, span: int) -> None:
    """Attach each unpartitioned table as the first partition of a partitioned one."""
    row = conn.execute(
        "SELECT greatest((SELECT max(idx) FROM bundles), (SELECT max(idx) FROM tiles))"
    ).fetchone()
    highest = -1 if row is None or row[0] is None else int(row[0])
    end = max(1, -(-(highest + 1) // span)) * span
    for table in PARTITIONED:
        first = _partition_name(table, 0, span)
        conn.execute(f"ALTER TABLE {table} RENAME TO {first}")
        # The CHECK lets ATTACH skip its own validation scan; it is dropped afterwards.
        conn.execute(
            f"ALTER TABLE {first} ADD CONSTRAINT {first}_range CHECK (idx >= 0 AND idx < {end})"
        )
        conn.execute(_PARENTS[table])
        conn.execute(f"ALTER TABLE {table} ATTACH PARTITION {first} FOR VALUES FROM (0) TO ({end})")
        conn.execute(f"ALTER TABLE {first} DROP CONSTRAINT {first}_range")
    _set_meta(conn, "partition_span", str(span))
    _set_meta(conn, "partitions_end", str(end))


def _to_v3(conn: Conn, span: int) -> None:
    """Add the per-subject position index, empty and covering nothing yet."""
    conn.execute(
        'CREATE TABLE subject_positions (kind text COLLATE "C" NOT NULL, '
        'external_id text COLLATE "C" NOT NULL, position bigint NOT NULL, '
        "PRIMARY KEY (kind, external_id, position))"
    )
    _set_meta(conn, SUBJECT_INDEX_SIZE, "0")


def _to_v4(conn: Conn, span: int) -> None:
    """Version 4 adds SQLite's compact runs of the per-subject index; PostgreSQL writes the
    index rows directly (``COPY``), so no table changes here. Recorded so that both stores
    count versions alike."""
    del conn, span


def _to_v5(conn: Conn, span: int) -> None:
    """Add the projections' snapshots: a header per snapshot, its bytes in parts."""
    del span
    conn.execute(
        'CREATE TABLE snapshots (name text COLLATE "C" NOT NULL, size bigint NOT NULL, '
        "root bytea NOT NULL, format text NOT NULL, digest bytea NOT NULL, "
        "parts integer NOT NULL, written_us bigint NOT NULL, signature bytea NOT NULL, "
        "PRIMARY KEY (name, size))"
    )
    conn.execute(
        'CREATE TABLE snapshot_parts (name text COLLATE "C" NOT NULL, size bigint NOT NULL, '
        "part integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (name, size, part))"
    )


_MIGRATIONS: dict[int, Callable[[Conn, int], None]] = {
    2: _to_v2,
    3: _to_v3,
    4: _to_v4,
    5: _to_v5,
}


def migrate(conn: Conn, span: int = DEFAULT_PARTITION_SPAN) -> list[int]:
    """Bring the schema to :data:`LATEST_VERSION`, inside the caller's transaction, which
    must hold the writers' lock. Returns the versions applied (empty if already current).

    Raises:
        ConfigurationError: if the store's schema is newer than this code knows.
    """
    version = schema_version(conn)
    if version > LATEST_VERSION:
        raise ConfigurationError(
            f"the store's schema is version {version}, newer than this socialcredit knows "
            f"({LATEST_VERSION}); upgrade socialcredit"
        )
    applied = []
    for target in range(version + 1, LATEST_VERSION + 1):
        _MIGRATIONS[target](conn, span)
        _set_meta(conn, "schema_version", str(target))
        applied.append(target)
    return applied


def create_schema(conn: Conn, span: int) -> None:
    """Create the latest schema in an empty database (version 1, then every migration)."""
    _execute_script(conn, SCHEMA_V1)
    migrate(conn, span)


def ensure_partitions(conn: Conn, highest_index: int, known_end: int) -> int:
    """Create the bundle and tile partitions needed to hold index ``highest_index``.

    ``known_end`` is the caller's cached end of the partitioned range; only when the index is
    beyond it is ``meta`` read (under the writers' lock) and partitions created. Returns the
    new end.
    """
    if highest_index < known_end:
        return known_end
    meta = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('partition_span', 'partitions_end')"
        ).fetchall()
    )
    span, end = int(meta["partition_span"]), int(meta["partitions_end"])
    while highest_index >= end:
        for table in PARTITIONED:
            _create_partition(conn, table, end, end + span, span)
        end += span
    _set_meta(conn, "partitions_end", str(end))
    return end
