"""The SQLite store against the storage contract, plus what is SQLite-specific."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.errors import ConfigurationError
from socialcredit.storage import open_store, sqlite_path
from socialcredit.storage.sqlite import SQLiteStore

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
