"""``verify`` finds every edit, deletion, insertion and reordering, at the first bad position;
and every tampering of the corpus in ``tests/cases/tampering`` (derived tables, deleted
checkpoints, values of the wrong type), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.errors import LedgerError
from socialcredit.ledger import (
    Checkpoint,
    Ledger,
    PendingEntry,
    SignedCheckpoint,
    VerifyReport,
    check_inclusion_proof,
    create_key_file,
    inclusion_document,
    utc_now_us,
    verify_ledger,
)
from socialcredit.ledger._hashing import leaf_hashes, pack_bundle, unpack_bundle
from socialcredit.storage import LedgerStore

from .backends import Stores

pytestmark = pytest.mark.both_backends

MakeLedger = Callable[..., Ledger]


def filled(
    make_ledger: MakeLedger, batches: tuple[int, ...] = (500, 300, 37), name: str = "ledger"
) -> Ledger:
    ledger = make_ledger(name)
    n = 0
    for size in batches:
        ledger.append([PendingEntry("RecordFiled", {"n": n + i}) for i in range(size)])
        n += size
    return ledger


def raw_db(ledger: Ledger) -> sqlite3.Connection:
    return sqlite3.connect(ledger.store.path, isolation_level=None)  # type: ignore[attr-defined]


class Raw:
    """Plain SQL on a ledger's store, behind the ledger's back (``?`` placeholders)."""

    def __init__(self, stores: Stores, ledger: Ledger) -> None:
        self.stores, self.store = stores, ledger.store

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        return self.stores.sql(self.store, statement, params)


def check(ledger: Ledger) -> VerifyReport:
    return verify_ledger(ledger.store, ledger.public_key)


def bundle(db: Raw, idx: int) -> list[bytes]:
    return unpack_bundle(bytes(db.execute("SELECT data FROM bundles WHERE idx = ?", (idx,))[0][0]))


def put_bundle(db: Raw, idx: int, entries: list[bytes], tile: bool = False) -> None:
    db.execute("UPDATE bundles SET data = ? WHERE idx = ?", (pack_bundle(entries), idx))
    if tile:
        db.execute(
            "UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = ?", (leaf_hashes(entries), idx)
        )


def test_untouched_ledger_verifies(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    report = check(ledger)
    assert report.ok, report.problems
    assert report.entries_checked == 837 and report.checkpoints_checked == 4
    assert report.root == ledger.latest_checkpoint().root


def test_empty_ledger_verifies(make_ledger: MakeLedger) -> None:
    assert check(make_ledger()).ok


def test_edited_entry(stores: Stores, make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = Raw(stores, ledger)
    entries = bundle(db, 1)
    entries[44] = entries[44].replace(b'"n":300', b'"n":301')
    put_bundle(db, 1, entries)
    report = check(ledger)
    assert not report.ok and report.first_bad_position == 256 + 44


def test_deleted_entry(stores: Stores, make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = Raw(stores, ledger)
    entries = bundle(db, 2)
    del entries[10]
    put_bundle(db, 2, entries)
    assert check(ledger).first_bad_position == 512 + 10


def test_inserted_entry(stores: Stores, make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = Raw(stores, ledger)
    entries = bundle(db, 3)
    entries.insert(5, entries[4])
    put_bundle(db, 3, entries)
    assert check(ledger).first_bad_position == 768 + 5


def test_reordered_entries(stores: Stores, make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = Raw(stores, ledger)
    entries = bundle(db, 0)
    entries[7], entries[9] = entries[9], entries[7]
    put_bundle(db, 0, entries)
    assert check(ledger).first_bad_position == 7


def test_deleted_and_swapped_bundle_rows(stores: Stores, make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = Raw(stores, ledger)
    db.execute("DELETE FROM bundles WHERE idx = 2")
    assert check(ledger).first_bad_position == 512
    ledger2 = filled(make_ledger, (600,), "second")
    db2 = Raw(stores, ledger2)
    # 1000, not -1: PostgreSQL's bundle partitions start at index 0.
    db2.execute("UPDATE bundles SET idx = 1000 WHERE idx = 0")
    db2.execute("UPDATE bundles SET idx = 0 WHERE idx = 1")
    db2.execute("UPDATE bundles SET idx = 1 WHERE idx = 1000")
    assert check(ledger2).first_bad_position == 0


def test_rewrite_of_entries_and_tiles_is_caught_by_checkpoints(
    stores: Stores, make_ledger: MakeLedger
) -> None:
    ledger = filled(make_ledger)  # checkpoints at 0, 500, 800, 837
    db = Raw(stores, ledger)
    entries = bundle(db, 2)  # entries 512..767, inside the second batch (500..799)
    entries[100] = entries[100].replace(b'"n":612', b'"n":999')
    put_bundle(db, 2, entries, tile=True)
    db.execute("DELETE FROM tiles WHERE level > 0")
    report = check(ledger)
    assert not report.ok
    assert report.first_bad_position == 500  # after the last checkpoint that still holds


def test_appended_rows_without_checkpoint_and_truncation(
    stores: Stores, make_ledger: MakeLedger
) -> None:
    ledger = filled(make_ledger)
    db = Raw(stores, ledger)
    db.execute("UPDATE log_state SET size = 700")
    report = check(ledger)
    assert not report.ok and report.first_bad_position is not None
    assert report.first_bad_position <= 700


def test_forged_checkpoint_signature(stores: Stores, make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = Raw(stores, ledger)
    db.execute("UPDATE checkpoints SET signature = ? WHERE size = 800", (bytes(64),))
    report = check(ledger)
    assert not report.ok and any("signature" in p for p in report.problems)


def test_witness_catches_truncated_history(stores: Stores, make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    witness = ledger.latest_checkpoint()
    db = Raw(stores, ledger)
    put_bundle(db, 3, bundle(db, 3)[:32])
    db.execute("DELETE FROM checkpoints WHERE size > 800")
    leaves = bytes(db.execute("SELECT hashes FROM tiles WHERE level = 0 AND idx = 3")[0][0])
    db.execute("UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = 3", (leaves[: 32 * 32],))
    db.execute("UPDATE log_state SET size = 800")
    assert check(ledger).ok  # nothing in the store itself betrays a clean truncation
    report = verify_ledger(ledger.store, ledger.public_key, witness=witness)
    assert not report.ok and report.first_bad_position == 800


@pytest.mark.parametrize("level", [1])
def test_corrupted_upper_tile_is_reported(
    stores: Stores, make_ledger: MakeLedger, level: int
) -> None:
    ledger = filled(make_ledger)
    Raw(stores, ledger).execute("UPDATE tiles SET hashes = ? WHERE level = ?", (bytes(96), level))
    report = check(ledger)
    assert not report.ok and any("tile (1, 0)" in p for p in report.problems)


@pytest.mark.sqlite_only  # PostgreSQL's typed columns cannot hold a bundle as text
def test_bundle_turned_into_text_is_reported(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    raw_db(ledger).execute("UPDATE bundles SET data = CAST(data AS TEXT) WHERE idx = 1")
    report = check(ledger)
    assert not report.ok and report.first_bad_position == 256


# -- the tampering corpus: tests/cases/tampering/*.yaml ---------------------------------------

CASES = Path(__file__).parent / "cases" / "tampering"
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


class _Steps:
    """A ledger clock one second per call, that a case may set."""

    def __init__(self) -> None:
        self.now_us = START_US

    def __call__(self) -> int:
        self.now_us += 1_000_000
        return self.now_us


def record(n: int) -> PendingEntry:
    subject = ("person", f"s{n % 50}")
    data = {"n": n, "idempotency_key": f"k{n}", "subject": {"kind": "person", "id": subject[1]}}
    return PendingEntry("RecordFiled", data, f"k{n}", subject)


def standard_ledger(store: LedgerStore, key_path: Path, clock: Callable[[], int]) -> Ledger:
    """601 entries appended 10 at a time (keys k0..k599 carried in the data, subjects s0..s49
    registered by the first 50 entries), then a statement whose key is not in its data;
    a checkpoint per append: sizes 0, 10, ..., 600, 601."""
    ledger = Ledger.create(store, create_key_file(key_path), "test/tampering", clock)
    for start in range(0, 600, 10):
        ledger.append([record(n) for n in range(start, start + 10)])
    ledger.append([PendingEntry("StatementAttached", {"text": "mine"}, "stmt:1")])
    return ledger


def _corpus() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            for backend in case.get("backends", ["sqlite", "postgres"]):
                name = f"{path.stem}: {case['name']} [{backend}]"
                params.append(pytest.param(case, backend, id=name))
    return params


def _then(ledger: Ledger, clock: _Steps, then: dict[str, Any]) -> None:
    """The log goes on, with its real key, after the tampering."""
    if "clock" in then:
        clock.now_us = then["clock"]
    if "append" in then:
        ledger.append([record(n) for n in range(1000, 1000 + then["append"])])
    if "data_json" in then:
        ledger.append([PendingEntry("RecordFiled", {}, data_json=then["data_json"].encode())])


@pytest.mark.parametrize(("case", "backend"), _corpus())
def test_tampering_case(case: dict[str, Any], backend: str, stores: Stores, tmp_path: Path) -> None:
    store = stores.open(stores.url())
    clock = _Steps()
    ledger = standard_ledger(store, tmp_path / "ledger.key", clock)
    assert verify_ledger(store, ledger.public_key).ok
    for statement in case.get(backend, case.get("sql", [])):
        stores.sql(store, statement)
    _then(ledger, clock, case.get("then", {}))
    now = utc_now_us() if case.get("now") else None
    report = verify_ledger(store, ledger.public_key, now_us=now)
    store.close()
    expect = case["expect"]
    assert not report.ok
    found = [
        f
        for f in report.failures
        if f.check == expect["check"]
        and f.position == expect["position"]
        and expect.get("message", "") in f.message
    ]
    assert found, report.failures
    if expect["position"] is not None:
        assert report.first_bad_position == expect["position"], report.failures


def test_the_corpus_covers_every_attack_of_issue_14() -> None:
    attacks = " ".join(
        str(case.get("attack", ""))
        for path in CASES.glob("*.yaml")
        for case in yaml.safe_load(path.read_text())
    )
    for attack in ("re-ingest duplicate", "2100", "36 middle checkpoints", "invalid UTF-8"):
        assert attack in attacks, attack


# -- deleted keys: the issue's story, and the chain ------------------------------------------


def test_deleted_keys_let_a_retry_duplicate_records_and_verify_says_so(
    stores: Stores, tmp_path: Path
) -> None:
    store = stores.open(stores.url())
    ledger = standard_ledger(store, tmp_path / "l.key", _Steps())
    Raw(stores, ledger).execute("DELETE FROM idempotency WHERE position >= 300 AND position < 500")
    report = check(ledger)
    assert report.first("idempotency") is not None
    assert report.first_bad_position == 300
    retried = ledger.append([record(n) for n in range(300, 500)])
    assert retried.appended == 200  # what the check warns of: the retry is not deduplicated
    store.close()


def test_checkpoints_are_numbered_and_name_their_predecessor(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)  # checkpoints at 0, 500, 800, 837
    chain = [Ledger(ledger.store).checkpoint_at(size).chain for size in (0, 500, 800, 837)]
    assert [link.number for link in chain if link] == [0, 1, 2, 3]
    assert [link.previous_size for link in chain if link] == [None, 0, 500, 800]
    latest = ledger.latest_checkpoint()
    assert latest.chain is not None and latest.chain.previous_hash == (
        ledger.checkpoint_at(800).checkpoint.digest()
    )
    assert SignedCheckpoint.from_json(latest.to_json()) == latest
    document = inclusion_document(ledger, 3)
    assert check_inclusion_proof(document, ledger.public_key).ok


def test_a_fresh_signature_of_the_same_size_keeps_the_chain(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    before = ledger.latest_checkpoint()
    ledger.checkpoint()
    again = ledger.latest_checkpoint()
    assert again.chain == before.chain
    ledger.append([PendingEntry("RecordFiled", {"n": -1}, "later")])
    assert check(ledger).ok


def test_append_refuses_while_the_latest_checkpoint_is_missing(
    stores: Stores, make_ledger: MakeLedger
) -> None:
    ledger = filled(make_ledger)
    Raw(stores, ledger).execute("DELETE FROM checkpoints WHERE size = 837")
    with pytest.raises(LedgerError, match="checkpoint of the ledger's size 837 is missing"):
        ledger.append([PendingEntry("RecordFiled", {"n": -1})])


def _unchain(db: Raw, ledger: Ledger) -> None:
    """Re-sign every stored checkpoint as the log did before checkpoints were chained."""
    assert ledger.signer is not None
    for size, root, time_us in db.execute("SELECT size, root, time_us FROM checkpoints"):
        old = ledger.signer.sign(Checkpoint(ledger.origin, size, bytes(root), time_us))
        db.execute("UPDATE checkpoints SET signature = ? WHERE size = ?", (old.signature, size))


def test_a_ledger_from_before_the_chain_verifies_and_chains_on(
    stores: Stores, make_ledger: MakeLedger
) -> None:
    ledger = filled(make_ledger)
    _unchain(Raw(stores, ledger), ledger)
    assert ledger.latest_checkpoint().chain is None
    assert check(ledger).ok
    ledger.append([PendingEntry("RecordFiled", {"n": -1}, "after", ("person", "new"))])
    first = ledger.latest_checkpoint().chain
    assert first is not None and first.number == 4 and first.previous_size == 837
    assert first.subjects == 1
    assert check(ledger).ok
    # A checkpoint from before the chain, deleted now, is counted missing by the chain.
    Raw(stores, ledger).execute("DELETE FROM checkpoints WHERE size = 500")
    report = check(ledger)
    assert report.first("checkpoints") is not None and report.first_bad_position == 0


@pytest.mark.sqlite_only  # SQLite stores any type in any column; PostgreSQL refuses these values
def test_verify_never_raises_whatever_a_cell_holds(make_ledger: MakeLedger) -> None:
    """Seeded: a cell of any table replaced by a value of another type yields a report."""
    rng = random.Random(14)
    values: list[object] = [None, 0, -1, 2**62, 1.5, "", "x" * 40, b"", b"\xff" * 33]
    tables = {  # table: (primary key columns, columns to corrupt)
        "bundles": (("idx",), ("data", "idx")),
        "tiles": (("level", "idx"), ("hashes", "idx", "level")),
        "checkpoints": (("size",), ("root", "time_us", "signature", "size")),
        "idempotency": (("key",), ("key", "position")),
        "subjects": (("id",), ("kind", "external_id", "id")),
        "log_state": (("id",), ("size", "last_recorded_at_us")),
        "meta": (("key",), ("value",)),
    }
    corrupted = 0
    for round_ in range(40):
        ledger = make_ledger(f"fuzz{round_}")
        for start, stop in ((0, 300), (300, 340)):
            ledger.append([record(n) for n in range(start, stop)])
        db = raw_db(ledger)
        table = rng.choice(sorted(tables))
        keys, columns = tables[table]
        row = rng.choice(db.execute(f"SELECT {', '.join(keys)} FROM {table}").fetchall())
        where = " AND ".join(f"{key} = ?" for key in keys)
        try:
            db.execute(
                f"UPDATE {table} SET {rng.choice(columns)} = ? WHERE {where}",
                (rng.choice(values), *row),
            )
        except sqlite3.Error:
            continue  # a constraint refused it (NOT NULL, a duplicate key)
        corrupted += 1
        report = check(ledger)  # must not raise
        assert isinstance(report.ok, bool)
    assert corrupted >= 20
