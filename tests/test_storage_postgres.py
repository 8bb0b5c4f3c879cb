"""The PostgreSQL store against the storage contract, the ledger end to end on it, and
several writer processes appending to one ledger at once.

Everything runs on a throwaway cluster (``tests/pg.py``), one fresh database per test; the
module skips, saying why, only where the PostgreSQL 15 server binaries are absent.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Barrier as BarrierType
from pathlib import Path
from typing import Any

import psycopg
import pytest

from socialcredit.errors import ConfigurationError, LedgerOverloadedError, StorageError
from socialcredit.ledger import (
    Ledger,
    PendingEntry,
    Signer,
    check_consistency_proof,
    check_inclusion_proof,
    consistency_document,
    create_key_file,
    inclusion_document,
    verify_ledger,
)
from socialcredit.storage import LogState, open_store
from socialcredit.storage._postgres import PostgresStore

from . import pg
from .conftest import Clock
from .pg import PgCluster
from .storage_contract import StoreContract

WRITERS, BATCHES, PER_BATCH = 4, 20, 50


@pytest.fixture
def database(pg_cluster: PgCluster) -> str:
    """The URL of a new, empty database."""
    return pg_cluster.create_database()


@pytest.fixture
def open_pg(database: str) -> Iterator[Callable[..., PostgresStore]]:
    """``open_pg(**options)`` opens another store on this test's database; all are closed."""
    opened: list[PostgresStore] = []

    def factory(**options: Any) -> PostgresStore:
        opened.append(PostgresStore(database, **options))
        return opened[-1]

    yield factory
    for store in opened:
        store.close()


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, open_pg: Callable[..., PostgresStore]) -> PostgresStore:
        return open_pg()


def record(n: int, key: str | None = None, subject: str = "s") -> PendingEntry:
    return PendingEntry("RecordFiled", {"n": n}, key, ("person", subject))


def test_open_store_dispatches_postgres_urls(database: str) -> None:
    for url in (database, database.replace("postgresql://", "postgres://", 1)):
        store = open_store(url)
        assert isinstance(store, PostgresStore) and not store.is_initialised()
        store.close()


def test_commits_are_durable(open_pg: Callable[..., PostgresStore]) -> None:
    conn = open_pg()._writer
    for setting in ("fsync", "synchronous_commit"):
        row = conn.execute(f"SHOW {setting}").fetchone()
        assert row is not None and row[0] == "on"


def test_reads_see_only_committed_data(open_pg: Callable[..., PostgresStore]) -> None:
    store = open_pg()
    store.initialise({"origin": "o", "public_key": "k"})
    with store.write() as txn:
        txn.put_bundle(0, b"uncommitted")
        txn.put_idempotency_keys([("k", 0)])
        txn.set_state(LogState(1, 1))
        assert store.state() == LogState(0, 0)
        assert store.find_idempotency_keys(["k"]) == {}
    assert open_pg().state() == LogState(1, 1)


def test_a_second_store_cannot_initialise_the_same_database(
    open_pg: Callable[..., PostgresStore],
) -> None:
    open_pg().initialise({"origin": "first", "public_key": "k"})
    with pytest.raises(ConfigurationError, match="already holds a ledger"):
        open_pg().initialise({"origin": "second", "public_key": "k"})


def test_a_writer_waiting_too_long_is_pushed_back(open_pg: Callable[..., PostgresStore]) -> None:
    first, second = open_pg(), open_pg(lock_timeout_s=0.2)
    first.initialise({"origin": "o", "public_key": "k"})
    with first.write(), pytest.raises(LedgerOverloadedError), second.write():
        pass
    # The pushed-back store is still usable once the lock is free.
    with second.write() as txn:
        txn.set_state(LogState(0, 5))
    assert first.state() == LogState(0, 5)


def test_driver_errors_become_storage_errors(
    open_pg: Callable[..., PostgresStore],
    pg_cluster: PgCluster,
) -> None:
    store = open_pg()
    store.initialise({"origin": "o", "public_key": "k"})
    with pytest.raises(StorageError, match="writing failed"), store.write() as txn:
        txn.put_idempotency_keys([("same", 0), ("same", 1)])
    assert store.state() == LogState(0, 0)  # and the store still works
    with pytest.raises(StorageError, match="connecting") as caught:
        PostgresStore(pg_cluster.url("no_such_database"))
    assert not isinstance(caught.value, psycopg.Error)


def test_password_is_not_repeated_in_messages() -> None:
    with pytest.raises(StorageError) as caught:
        PostgresStore("postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=1")
    assert "s3cret" not in str(caught.value)


def test_ledger_end_to_end(database: str, tmp_path: Path, clock: Clock) -> None:
    store = PostgresStore(database)
    ledger = Ledger.create(store, create_key_file(tmp_path / "l.key"), "test/pg", clock)
    sizes = []
    for size in (3, 300, 1):  # across a bundle boundary
        base = ledger.size()
        ledger.append([record(base + i, f"k{base + i}", f"s{i % 7}") for i in range(size)])
        sizes.append(ledger.size())
    again = ledger.append([record(0, "k0"), record(9, "k-new")])
    assert [(r.position, r.duplicate) for r in again] == [(0, True), (304, False)]
    assert ledger.subject_id("person", "s6") == 6
    assert verify_ledger(store, ledger.public_key).ok
    for position in (0, 255, 256, 304):
        assert check_inclusion_proof(inclusion_document(ledger, position), ledger.public_key).ok
    document = consistency_document(ledger, sizes[0], sizes[-1])
    assert check_consistency_proof(document, ledger.public_key).ok
    reopened = Ledger(PostgresStore(database))
    assert [e.data["n"] for e in reopened.entries(300, 303)] == [300, 301, 302]
    reopened.store.close()
    store.close()


def test_writer_threads_in_one_process_share_a_store(database: str, tmp_path: Path) -> None:
    signer = create_key_file(tmp_path / "l.key")
    ledger = Ledger.create(PostgresStore(database), signer, "test/pg-threads")

    def append(worker: int) -> None:
        for batch in range(5):
            ledger.append([record(i, f"t{worker}-{batch}-{i}") for i in range(20)])

    threads = [threading.Thread(target=append, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ledger.size() == 300
    assert verify_ledger(ledger.store, ledger.public_key).ok
    ledger.store.close()


def _key(worker: int, batch: int, i: int) -> str:
    return f"w{worker}-b{batch}-{i}"


def _writer(url: str, key_path: str, worker: int, start: BarrierType) -> None:
    """One writer process: its own store and ledger, BATCHES appends of PER_BATCH entries."""
    store = PostgresStore(url, lock_timeout_s=60)
    ledger = Ledger(store, Signer.from_key_file(Path(key_path)))
    start.wait(60)  # all writers contend from the first batch on
    for batch in range(BATCHES):
        entries = [
            PendingEntry(
                "RecordFiled",
                {"key": _key(worker, batch, i)},
                _key(worker, batch, i),
                ("person", f"w{worker}-s{i % 10}"),
            )
            for i in range(PER_BATCH)
        ]
        results = ledger.append(entries)
        assert results.appended == PER_BATCH
    store.close()


def test_writer_processes_keep_one_gap_free_order(database: str, tmp_path: Path) -> None:
    key_path = tmp_path / "l.key"
    store = PostgresStore(database)
    ledger = Ledger.create(store, create_key_file(key_path), "test/pg-concurrent")
    # spawn, not fork: a forked child would share this process's open connections.
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS)
    workers = [
        context.Process(target=_writer, args=(database, str(key_path), w, start))
        for w in range(WRITERS)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [p.exitcode for p in workers] == [0] * WRITERS
    total = WRITERS * BATCHES * PER_BATCH
    assert ledger.size() == total
    entries = list(ledger.entries())
    assert [e.position for e in entries] == list(range(total))
    expected = [
        _key(w, b, i) for w in range(WRITERS) for b in range(BATCHES) for i in range(PER_BATCH)
    ]
    # Every key exactly once, each indexed at the position of the entry that carries it.
    indexed = store.find_idempotency_keys(expected)
    assert sorted(indexed.values()) == list(range(total))
    assert {e.data["key"]: e.position for e in entries} == indexed
    # The writers really did interleave (each batch is contiguous, batches alternate).
    turns = [e.data["key"].split("-")[0] for e in entries[::PER_BATCH]]
    assert sum(a != b for a, b in itertools.pairwise(turns)) >= WRITERS
    # Subjects first seen by different writers still get dense, unique ids.
    ids = [internal for internal, _, _ in store.subjects()]
    assert ids == list(range(WRITERS * 10))
    report = verify_ledger(store, ledger.public_key)
    assert report.ok, report
    store.close()


def test_missing_binaries_give_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg, "find_binaries", lambda: None)
    with (
        pytest.raises(pg.ClusterUnavailableError, match="binaries not found"),
        pg.throwaway_cluster(),
    ):
        pass
