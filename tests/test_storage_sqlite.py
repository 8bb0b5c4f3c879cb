"""The SQLite store against the storage contract, plus what is SQLite-specific."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.errors import ConfigurationError
from socialcredit.storage import open_store, sqlite_path
from socialcredit.storage._sqlite import SQLiteStore

from .storage_contract import StoreContract


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SQLiteStore]:
        store = SQLiteStore(tmp_path / "contract.db")
        yield store
        store.close()


def test_store_is_durable_wal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///rel/x.db", Path("rel/x.db")), ("sqlite:////abs/x.db", Path("/abs/x.db"))],
)
def test_sqlite_urls(url: str, path: Path) -> None:
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "mysql://h/db", "nonsense"])
def test_bad_store_urls_are_refused_with_the_url(url: str) -> None:
    with pytest.raises(ConfigurationError, match="store URL"):
        open_store(url)


def test_a_server_store_checkpoints_its_wal_in_the_background(tmp_path: Path) -> None:
    """No commit checkpoints (wal_autocheckpoint is 0); the checkpointer's own connection
    does, so the WAL is copied into the database while writes go on."""
    import sqlite3
    import time

    from socialcredit.storage import LogState

    store = SQLiteStore(tmp_path / "w.db")
    store.initialise({"origin": "test/wal"})
    store.checkpoint_in_background(interval=0.01)
    assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    for n in range(200):
        with store.write() as txn:
            txn.put_bundle(n, bytes(4096))
            txn.set_state(LogState(n + 1, n))
    deadline = time.monotonic() + 10
    while store._checkpointer is not None and store._checkpointer.checkpoints < 3:
        assert time.monotonic() < deadline, "no checkpoint ran"
        time.sleep(0.01)
    store.close()
    with sqlite3.connect(tmp_path / "w.db") as conn:
        busy, pages, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and done == pages  # the last checkpoint copied every frame
        assert conn.execute("SELECT size FROM log_state").fetchone() == (200,)
