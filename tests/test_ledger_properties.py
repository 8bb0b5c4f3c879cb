"""Hypothesis properties of the ledger: proofs from any history verify; any byte change is seen."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcredit.ledger import (
    Ledger,
    PendingEntry,
    check_consistency_proof,
    check_inclusion_proof,
    consistency_document,
    create_key_file,
    inclusion_document,
    verify_ledger,
)
from socialcredit.ledger.hashing import pack_bundle, unpack_bundle
from socialcredit.storage.sqlite import SQLiteStore


def new_ledger(directory: Path) -> Ledger:
    signer = create_key_file(directory / "k.key")
    return Ledger.create(SQLiteStore(directory / "l.db"), signer, "test/properties")


@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.integers(1, 300), min_size=1, max_size=6), data=st.data())
def test_any_history_yields_proofs_that_verify(batches: list[int], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = new_ledger(Path(tmp))
        sizes = [0]
        for batch in batches:
            ledger.append([PendingEntry("RecordFiled", {"i": i}) for i in range(batch)])
            sizes.append(ledger.size())
        size = sizes[-1]
        for position in data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=5)):
            assert check_inclusion_proof(inclusion_document(ledger, position), ledger.public_key).ok
        old = data.draw(st.sampled_from(sizes))
        new = data.draw(st.sampled_from([s for s in sizes if s >= old]))
        document = consistency_document(ledger, old, new)
        assert check_consistency_proof(document, ledger.public_key).ok
        ledger.store.close()


@pytest.fixture(scope="module")
def big_ledger() -> Iterator[Ledger]:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = new_ledger(Path(tmp))
        for batch in (300, 200, 100):
            ledger.append(
                [PendingEntry("RecordFiled", {"i": i, "t": "x" * (i % 7)}) for i in range(batch)]
            )
        yield ledger
        ledger.store.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(0, 599), offset=st.integers(0, 10_000), delta=st.integers(1, 255))
def test_any_single_byte_change_to_an_entry_is_detected(
    big_ledger: Ledger, position: int, offset: int, delta: int
) -> None:
    db = sqlite3.connect(big_ledger.store.path, isolation_level=None)  # type: ignore[attr-defined]
    index, slot = divmod(position, 256)
    original = db.execute("SELECT data FROM bundles WHERE idx = ?", (index,)).fetchone()[0]
    entries = unpack_bundle(original)
    target = bytearray(entries[slot])
    target[offset % len(target)] = (target[offset % len(target)] + delta) % 256
    entries[slot] = bytes(target)
    db.execute("UPDATE bundles SET data = ? WHERE idx = ?", (pack_bundle(entries), index))
    try:
        report = verify_ledger(big_ledger.store, big_ledger.public_key)
        assert not report.ok
        assert report.first_bad_position == position
    finally:
        db.execute("UPDATE bundles SET data = ? WHERE idx = ?", (original, index))
        db.close()
    assert verify_ledger(big_ledger.store, big_ledger.public_key).ok
