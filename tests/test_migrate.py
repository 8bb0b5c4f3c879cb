"""Schema migrations: stores refuse an old or unknown schema, ``migrate`` brings them up to
date without changing the root, and PostgreSQL's log becomes range-partitioned.

The version-1 stores are made the way version 1 made them (its schema script), then filled
through the ledger so that entries, tiles and checkpoints are real.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.errors import ConfigurationError
from socialcredit.ledger import Ledger, PendingEntry, create_key_file, verify_ledger
from socialcredit.storage import _pg_schema, open_store, sqlite_path
from socialcredit.storage._postgres import PostgresStore
from socialcredit.storage._sqlite import SQLiteStore

from .backends import Stores
from .conftest import Clock
from .pg import PgCluster

# The two version-1 stores are each backend's own schema history, so those two tests are one
# per backend; the rest run on both.
pytestmark = pytest.mark.both_backends

SPAN = 2  # bundles per partition: a few hundred entries cross several partitions


def records(start: int, count: int) -> list[PendingEntry]:
    return [
        PendingEntry("RecordFiled", {"n": i}, f"k{i}", ("person", f"s{i % 13}"))
        for i in range(start, start + count)
    ]


@pytest.fixture
def database(pg_cluster: PgCluster) -> str:
    return pg_cluster.create_database("migrate")


def partitions(url: str, table: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY 1",
            (table,),
        ).fetchall()
    return [name for (name,) in rows]


def downgrade_postgres_to_v1(url: str) -> None:
    """Replace the schema with version 1's, as a store made by the first release."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        with conn.transaction():
            for statement in _pg_schema.SCHEMA_V1.split(";"):
                if statement.strip():
                    conn.execute(statement)


def downgrade_sqlite_to_v1(path: Path) -> None:
    """Remove what versions after 1 added, as a store made by the first release."""
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.execute("DELETE FROM meta WHERE key = 'subject_index_size'")
        conn.execute("DROP TABLE subject_positions")
        conn.execute("DROP TABLE subject_runs")
        conn.execute("DROP TABLE snapshots")
        conn.execute("DROP TABLE snapshot_parts")


def test_postgres_v1_store_is_refused_then_migrated_without_changing_the_root(
    database: str, tmp_path: Path, clock: Clock
) -> None:
    # A version-2 ledger written across several partitions, then rebuilt as version 1 with
    # the very same rows, stands for a store written by the first release.
    store = PostgresStore(database, partition_span=SPAN)
    ledger = Ledger.create(store, create_key_file(tmp_path / "l.key"), "test/mig", clock)
    ledger.append(records(0, 700))
    root, size = ledger.latest_checkpoint().root, ledger.size()
    assert partitions(database, "bundles") == ["bundles_p000000", "bundles_p000001"]
    rows = _dump(database)
    store.close()
    downgrade_postgres_to_v1(database)
    _restore(database, rows, version="1")

    old = PostgresStore(database, partition_span=SPAN)
    with pytest.raises(ConfigurationError, match="socialcredit migrate"):
        Ledger(old)
    assert old.migrate() == [2, 3, 4, 5]
    assert old.migrate() == []
    assert partitions(database, "bundles") == ["bundles_p000000"]  # the old table, attached
    migrated = Ledger(old, ledger.signer, clock)
    assert migrated.latest_checkpoint().root == root and migrated.size() == size
    assert verify_ledger(old, migrated.public_key).ok
    # New entries land in partitions created on demand, and everything still verifies.
    migrated.append(records(700, 600))
    # The attached table spans bundles [0, 4) (700 entries rounded up to whole spans).
    assert partitions(database, "bundles") == ["bundles_p000000", "bundles_p000002"]
    assert partitions(database, "tiles") == ["tiles_p000000", "tiles_p000002"]
    assert verify_ledger(old, migrated.public_key).ok
    assert [e.data["n"] for e in migrated.entries(698, 702)] == [698, 699, 700, 701]
    old.close()


def _dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    tables = ("meta", "log_state", "bundles", "tiles", "checkpoints", "idempotency", "subjects")
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}


def _restore(url: str, rows: dict[str, list[tuple[object, ...]]], version: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM log_state")
        for table, values in rows.items():
            if table == "meta":
                values = [(k, version if k == "schema_version" else v) for k, v in values]
                values = [
                    (k, v) for k, v in values if k not in ("partition_span", "partitions_end")
                ]
            if values:
                marks = ", ".join(["%s"] * len(values[0]))
                conn.cursor().executemany(f"INSERT INTO {table} VALUES ({marks})", values)


def test_a_newer_schema_is_refused_by_store_and_migrate(stores: Stores) -> None:
    url = stores.url()
    store = open_store(url)
    store.initialise({"origin": "o", "public_key": "k"})
    store.close()
    stores.sql(url, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    newer = stores.open(url)
    for attempt in (newer.state, newer.migrate):
        with pytest.raises(ConfigurationError, match="newer than this socialcredit"):
            attempt()


def test_sqlite_v1_store_is_refused_until_migrated(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "old.db"
    ledger = Ledger.create(SQLiteStore(path), create_key_file(tmp_path / "k.key"), "t/s", clock)
    ledger.append(records(0, 300))
    root = ledger.latest_checkpoint().root
    ledger.store.close()
    downgrade_sqlite_to_v1(path)
    old = SQLiteStore(path)
    with pytest.raises(ConfigurationError, match="socialcredit migrate"):
        old.state()
    assert old.schema_version() == 1
    assert old.migrate() == [2, 3, 4, 5] and old.migrate() == []
    assert Ledger(old).latest_checkpoint().root == root
    old.close()


def test_migrate_command(stores: Stores, tmp_path: Path, clock: Clock) -> None:
    url, key = stores.url("cli"), tmp_path / "k.key"
    Ledger.create(open_store(url), create_key_file(key), "t/c", clock).store.close()
    path = sqlite_path(url)
    if path is not None:
        downgrade_sqlite_to_v1(path)
    else:
        rows = _dump(url)
        downgrade_postgres_to_v1(url)
        _restore(url, rows, version="1")
    runner = CliRunner()
    given = ["--store", url, "--key-file", str(key)]
    first = runner.invoke(cli, [*given, "migrate"])
    assert first.exit_code == 0, first.output
    assert "1 -> 2" in first.output and "2 -> 3" in first.output and "4 -> 5" in first.output
    again = runner.invoke(cli, [*given, "migrate"])
    assert again.exit_code == 0 and "already at schema version 5" in again.output


def test_migrate_needs_no_signing_key(stores: Stores, tmp_path: Path, clock: Clock) -> None:
    """Migrating writes no entry, so it asks for no key: not even a server store's, which has
    no key file to derive from its URL."""
    url, key = stores.url("keyless"), tmp_path / "k.key"
    Ledger.create(open_store(url), create_key_file(key), "t/c", clock).store.close()
    key.unlink()
    result = CliRunner().invoke(cli, ["--store", url, "migrate"], env={"SOCIALCREDIT_KEY_FILE": ""})
    assert result.exit_code == 0, result.output
    assert "already at schema version 5" in result.output
