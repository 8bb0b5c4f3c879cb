"""Hypothesis properties of the ledger: proofs from any history verify; any byte change is seen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
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
from socialcredit.ledger._hashing import pack_bundle, unpack_bundle

from .backends import Stores, examples

pytestmark = pytest.mark.both_backends


def new_ledger(stores: Stores, directory: Path, name: str) -> Ledger:
    signer = create_key_file(directory / f"{name}.key")
    return Ledger.create(stores.open(stores.url(name)), signer, "test/properties")


def test_any_history_yields_proofs_that_verify(
    backend: str, stores: Stores, tmp_path: Path
) -> None:
    made = iter(range(10**6))

    @examples(backend, 25)
    @given(batches=st.lists(st.integers(1, 300), min_size=1, max_size=6), data=st.data())
    def history(batches: list[int], data: st.DataObject) -> None:
        ledger = new_ledger(stores, tmp_path, f"history{next(made)}")
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

    history()


@pytest.fixture(scope="module")
def big_ledger(module_stores: Stores, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger = new_ledger(module_stores, tmp_path_factory.mktemp("big"), "big")
    for batch in (300, 200, 100):
        ledger.append(
            [PendingEntry("RecordFiled", {"i": i, "t": "x" * (i % 7)}) for i in range(batch)]
        )
    yield ledger
    ledger.store.close()


def test_any_single_byte_change_to_an_entry_is_detected(
    backend: str, big_ledger: Ledger, module_stores: Stores
) -> None:
    @examples(backend, 60)
    @given(position=st.integers(0, 599), offset=st.integers(0, 10_000), delta=st.integers(1, 255))
    def change(position: int, offset: int, delta: int) -> None:
        index, slot = divmod(position, 256)
        select = "SELECT data FROM bundles WHERE idx = ?"
        original = bytes(module_stores.sql(big_ledger.store, select, (index,))[0][0])
        entries = unpack_bundle(original)
        target = bytearray(entries[slot])
        target[offset % len(target)] = (target[offset % len(target)] + delta) % 256
        entries[slot] = bytes(target)
        update = "UPDATE bundles SET data = ? WHERE idx = ?"
        module_stores.sql(big_ledger.store, update, (pack_bundle(entries), index))
        try:
            report = verify_ledger(big_ledger.store, big_ledger.public_key)
            assert not report.ok
            assert report.first_bad_position == position
        finally:
            module_stores.sql(big_ledger.store, update, (original, index))
        assert verify_ledger(big_ledger.store, big_ledger.public_key).ok

    change()
