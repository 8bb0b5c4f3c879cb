"""``verify`` finds every edit, deletion, insertion and reordering, at the first bad position."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from socialcredit.ledger import Ledger, PendingEntry, verify_ledger
from socialcredit.ledger.hashing import leaf_hashes, pack_bundle, unpack_bundle
from socialcredit.ledger.verify import VerifyReport

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


def check(ledger: Ledger) -> VerifyReport:
    return verify_ledger(ledger.store, ledger.public_key)


def bundle(db: sqlite3.Connection, idx: int) -> list[bytes]:
    return unpack_bundle(db.execute("SELECT data FROM bundles WHERE idx = ?", (idx,)).fetchone()[0])


def put_bundle(db: sqlite3.Connection, idx: int, entries: list[bytes], tile: bool = False) -> None:
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


def test_edited_entry(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = raw_db(ledger)
    entries = bundle(db, 1)
    entries[44] = entries[44].replace(b'"n":300', b'"n":301')
    put_bundle(db, 1, entries)
    report = check(ledger)
    assert not report.ok and report.first_bad_position == 256 + 44


def test_deleted_entry(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = raw_db(ledger)
    entries = bundle(db, 2)
    del entries[10]
    put_bundle(db, 2, entries)
    assert check(ledger).first_bad_position == 512 + 10


def test_inserted_entry(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = raw_db(ledger)
    entries = bundle(db, 3)
    entries.insert(5, entries[4])
    put_bundle(db, 3, entries)
    assert check(ledger).first_bad_position == 768 + 5


def test_reordered_entries(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = raw_db(ledger)
    entries = bundle(db, 0)
    entries[7], entries[9] = entries[9], entries[7]
    put_bundle(db, 0, entries)
    assert check(ledger).first_bad_position == 7


def test_deleted_and_swapped_bundle_rows(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = raw_db(ledger)
    db.execute("DELETE FROM bundles WHERE idx = 2")
    assert check(ledger).first_bad_position == 512
    ledger2 = filled(make_ledger, (600,), "second")
    db2 = raw_db(ledger2)
    db2.execute("UPDATE bundles SET idx = -1 WHERE idx = 0")
    db2.execute("UPDATE bundles SET idx = 0 WHERE idx = 1")
    db2.execute("UPDATE bundles SET idx = 1 WHERE idx = -1")
    assert check(ledger2).first_bad_position == 0


def test_rewrite_of_entries_and_tiles_is_caught_by_checkpoints(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)  # checkpoints at 0, 500, 800, 837
    db = raw_db(ledger)
    entries = bundle(db, 2)  # entries 512..767, inside the second batch (500..799)
    entries[100] = entries[100].replace(b'"n":612', b'"n":999')
    put_bundle(db, 2, entries, tile=True)
    db.execute("DELETE FROM tiles WHERE level > 0")
    report = check(ledger)
    assert not report.ok
    assert report.first_bad_position == 500  # after the last checkpoint that still holds


def test_appended_rows_without_checkpoint_and_truncation(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = raw_db(ledger)
    db.execute("UPDATE log_state SET size = 700")
    report = check(ledger)
    assert not report.ok and report.first_bad_position is not None
    assert report.first_bad_position <= 700


def test_forged_checkpoint_signature(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    db = raw_db(ledger)
    db.execute("UPDATE checkpoints SET signature = zeroblob(64) WHERE size = 800")
    report = check(ledger)
    assert not report.ok and any("signature" in p for p in report.problems)


def test_witness_catches_truncated_history(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    witness = ledger.latest_checkpoint()
    db = raw_db(ledger)
    put_bundle(db, 3, bundle(db, 3)[:32])
    db.execute("DELETE FROM checkpoints WHERE size > 800")
    db.execute("UPDATE tiles SET hashes = substr(hashes, 1, 32 * 32) WHERE level = 0 AND idx = 3")
    db.execute("UPDATE log_state SET size = 800")
    assert check(ledger).ok  # nothing in the store itself betrays a clean truncation
    report = verify_ledger(ledger.store, ledger.public_key, witness=witness)
    assert not report.ok and report.first_bad_position == 800


@pytest.mark.parametrize("level", [1])
def test_corrupted_upper_tile_is_reported(make_ledger: MakeLedger, level: int) -> None:
    ledger = filled(make_ledger)
    raw_db(ledger).execute("UPDATE tiles SET hashes = zeroblob(96) WHERE level = ?", (level,))
    report = check(ledger)
    assert not report.ok and any("tile (1, 0)" in p for p in report.problems)


def test_bundle_turned_into_text_is_reported(make_ledger: MakeLedger) -> None:
    ledger = filled(make_ledger)
    raw_db(ledger).execute("UPDATE bundles SET data = CAST(data AS TEXT) WHERE idx = 1")
    report = check(ledger)
    assert not report.ok and report.first_bad_position == 256
