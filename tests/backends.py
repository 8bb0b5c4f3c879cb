"""Run a ledger-level test on SQLite and on PostgreSQL.

A module opts in with ``pytestmark = pytest.mark.both_backends``: each of its tests that uses
the ``backend`` fixture — directly, or through ``make_ledger`` or ``stores`` — runs twice, with
ids ``[sqlite]`` and ``[postgres]`` (SQLite's first). A test that is SQLite by nature (a file's
bytes, WAL, SQLite's dynamic typing) carries ``@pytest.mark.sqlite_only``, with a comment saying
why, and runs once as ``[sqlite]``. Every other test gets ``backend == "sqlite"``.

PostgreSQL runs on one throwaway cluster for the session (:mod:`tests.pg`), a fresh database
per store, left to go with the cluster (``DROP DATABASE`` forces a checkpoint of the whole
cluster: seconds per test on a loaded machine); those tests skip, saying why, where the
PostgreSQL 15 server binaries are absent. Hypothesis tests on PostgreSQL draw fewer examples
(:func:`examples`), so the PostgreSQL half stays cheap.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings

from socialcredit.storage import LedgerStore, open_store, sqlite_path

from .pg import PgCluster

__all__ = ["BACKENDS", "Stores", "backend", "examples", "module_stores", "stores"]

BACKENDS = ("sqlite", "postgres")
# Hypothesis examples per property test on PostgreSQL: each example creates its own database
# and pays a round trip per statement, so the PostgreSQL half samples, SQLite's explores.
POSTGRES_EXAMPLES = 8


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: run each test using `backend` on SQLite and on PostgreSQL"
    )
    config.addinivalue_line(
        "markers", "sqlite_only: in a both_backends module, a test that is SQLite by nature"
    )


def _parametrized(metafunc: pytest.Metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if name in (names.split(",") if isinstance(names, str) else names):
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``backend`` over both stores in modules marked ``both_backends``."""
    if "backend" not in metafunc.fixturenames or _parametrized(metafunc, "backend"):
        return
    if metafunc.definition.get_closest_marker("both_backends") is None:
        return
    sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
    names = ["sqlite"] if sqlite_only else list(BACKENDS)
    metafunc.parametrize("backend", names, indirect=True, ids=names)


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``: the store a test runs on (module scope, so that a module's
    shared ledgers are built once per backend)."""
    return str(getattr(request, "param", "sqlite"))


def examples(backend: str, sqlite: int, **options: Any) -> settings:
    """Hypothesis settings drawing ``sqlite`` examples on SQLite, at most
    :data:`POSTGRES_EXAMPLES` on PostgreSQL."""
    count = sqlite if backend == "sqlite" else min(sqlite, POSTGRES_EXAMPLES)
    return settings(max_examples=count, deadline=None, **options)


class Stores:
    """New empty stores on one backend, plain SQL on them behind the store's back, and the
    attacker's move of putting one store's contents in place of another's."""

    def __init__(self, backend: str, directory: Path, cluster: PgCluster | None) -> None:
        self.backend = backend
        self.directory = directory
        self._cluster = cluster
        self._opened: list[LedgerStore] = []

    def url(self, name: str = "ledger") -> str:
        """The URL of a new, empty store (SQLite: ``<tmp>/<name>.db``; PostgreSQL: a new
        database)."""
        if self._cluster is None:
            return f"sqlite:///{self.directory / name}.db"
        return self._cluster.create_database(name.replace("-", "_")[:40])

    def open(self, url: str) -> LedgerStore:
        """:func:`open_store`, closed when the test ends."""
        self._opened.append(open_store(url))
        return self._opened[-1]

    def sql(self, where: LedgerStore | str, statement: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement on a store's database in its own connection, with ``?``
        placeholders (so no literal ``?``, nor ``%`` on PostgreSQL, in a statement with
        parameters); returns the rows of a query, else the row count. Driver errors pass
        through."""
        url = where if isinstance(where, str) else str(where.url)  # type: ignore[attr-defined]
        path = sqlite_path(url)
        if path is not None:
            with closing(sqlite3.connect(path, isolation_level=None)) as db:
                cursor = db.execute(statement, params)
                return cursor.fetchall() if cursor.description else cursor.rowcount
        query = statement.replace("?", "%s") if params else statement
        with psycopg.connect(url, autocommit=True) as conn:
            pg_cursor = conn.execute(query, params or None)
            return pg_cursor.fetchall() if pg_cursor.description else pg_cursor.rowcount

    def replace(self, target: str, source: str) -> None:
        """Put the (closed) store at ``source`` where the (closed) store at ``target`` was."""
        path = sqlite_path(target)
        if path is not None:
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            os.replace(str(sqlite_path(source)), path)
            return
        assert self._cluster is not None
        old, new = _database(target), _database(source)
        # Renames, not DROP DATABASE: a drop forces a checkpoint of the whole cluster.
        with psycopg.connect(self._cluster.url(), autocommit=True) as conn:
            _rename(conn, old, f"{old}_replaced")
            _rename(conn, new, old)

    def close(self) -> None:
        """Close the stores :meth:`open` opened."""
        for store in self._opened:
            store.close()
        self._opened.clear()


def _database(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _rename(conn: psycopg.Connection[Any], old: str, new: str) -> None:
    """Rename a database once the sessions of its closed stores have ended (they end just
    after the client closes, so a rename can briefly find the database in use)."""
    for _ in range(250):
        try:
            conn.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
            return
        except psycopg.errors.ObjectInUse:
            time.sleep(0.02)
    conn.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')  # raises, saying who is in it


def _stores(backend: str, directory: Path, request: pytest.FixtureRequest) -> Iterator[Stores]:
    cluster = request.getfixturevalue("pg_cluster") if backend == "postgres" else None
    made = Stores(backend, directory, cluster)
    yield made
    made.close()


@pytest.fixture
def stores(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stores]:
    """This test's :class:`Stores` on its backend; the stores it opened are closed after it."""
    yield from _stores(backend, tmp_path, request)


@pytest.fixture(scope="module")
def module_stores(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Stores]:
    """:class:`Stores` for a module's shared ledgers, on the module's current backend."""
    yield from _stores(backend, tmp_path_factory.mktemp("stores"), request)
