"""The ledger: appends, idempotency, subjects, ledger time, checkpoints and proofs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialcredit.errors import ConfigurationError, LedgerError, NotFoundError, ValidationError
from socialcredit.ledger import (
    Ledger,
    PendingEntry,
    Signer,
    check_consistency_proof,
    check_inclusion_proof,
    consistency_document,
    create_key_file,
    inclusion_document,
    leaf_hash,
    root_from_leaf_hashes,
)

from .conftest import Clock

pytestmark = pytest.mark.both_backends

MakeLedger = Callable[..., Ledger]


def record(n: int, key: str | None = None, subject: str = "s") -> PendingEntry:
    return PendingEntry("RecordFiled", {"n": n}, key, ("person", subject))


def test_append_assigns_positions_and_round_trips(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    results = ledger.append([record(i) for i in range(3)])
    assert [r.position for r in results] == [0, 1, 2]
    assert ledger.size() == 3
    entry = ledger.entry(1)
    assert (entry.type, entry.version, entry.data) == ("RecordFiled", 1, {"n": 1})
    assert [e.data["n"] for e in ledger.entries(1)] == [1, 2]


@pytest.mark.parametrize("batches", [[1] * 5, [255, 1, 1], [256, 256], [257], [300, 600, 13]])
def test_root_matches_rfc6962_over_bundle_boundaries(
    make_ledger: MakeLedger, batches: list[int]
) -> None:
    ledger = make_ledger()
    n = 0
    for size in batches:
        ledger.append([record(n + i) for i in range(size)])
        n += size
        leaves = [leaf_hash(raw) for _, raw in ledger.raw_entries()]
        assert ledger.latest_checkpoint().root == root_from_leaf_hashes(leaves)
        assert ledger.latest_checkpoint().size == n


def test_ledger_time_is_monotonic(make_ledger: MakeLedger, clock: Clock) -> None:
    ledger = make_ledger()
    ledger.append([record(0)])
    first = ledger.entry(0).recorded_at_us
    clock.advance(-3600)  # a clock stepping back must not reorder ledger time
    ledger.append([record(1)])
    assert ledger.entry(1).recorded_at_us == first
    clock.advance(7200)
    ledger.append([record(2)])
    assert ledger.entry(2).recorded_at_us == first + 3_600_000_000


def test_idempotent_appends_return_the_original_position(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    ledger.append([record(0, "a"), record(1, "b")])
    again = ledger.append([record(9, "b"), record(2, "c"), record(3, "c")])
    assert [(r.position, r.duplicate) for r in again] == [(1, True), (2, False), (2, True)]
    assert ledger.size() == 3
    only_dupes = ledger.append([record(0, "a")])
    assert only_dupes[0].duplicate and ledger.size() == 3


def test_subjects_get_dense_ids_in_order_of_first_appearance(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    ledger.append([record(0, subject="x"), record(1, subject="y"), record(2, subject="x")])
    ledger.append([record(3, subject="z")])
    assert [ledger.subject_id("person", s) for s in "xyz"] == [0, 1, 2]
    assert ledger.subject_id("organisation", "x") is None


def test_bad_entry_data_writes_nothing(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    with pytest.raises(ValidationError, match="float"):
        ledger.append([record(0), PendingEntry("RecordFiled", {"amount": 1.5})])
    with pytest.raises(ValidationError, match="must be a CamelCase name"):
        ledger.append([PendingEntry("no such thing", {})])
    with pytest.raises(ValidationError, match="must be between 1"):
        ledger.append([PendingEntry("RecordFiled", {}, version=0)])
    assert ledger.size() == 0


def test_read_only_and_wrong_key(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    reader = Ledger(ledger.store)
    with pytest.raises(LedgerError, match="read-only"):
        reader.append([record(0)])
    other = create_key_file(tmp_path / "other.key")
    with pytest.raises(ConfigurationError, match="does not match"):
        Ledger(ledger.store, other)
    assert isinstance(Signer.from_key_file(tmp_path / "ledger.key"), Signer)


def test_missing_entry_is_not_found(make_ledger: MakeLedger) -> None:
    with pytest.raises(NotFoundError):
        make_ledger().entry(0)


def test_inclusion_and_consistency_documents_verify(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    sizes = []
    for batch in (3, 300, 1, 40):
        ledger.append([record(i) for i in range(batch)])
        sizes.append(ledger.size())
    for position in (0, 2, 3, 257, 303, 343):
        document = inclusion_document(ledger, position)
        assert check_inclusion_proof(document, ledger.public_key).ok
    old = inclusion_document(ledger, 1, size=sizes[0])
    assert old["checkpoint"]["size"] == 3 and check_inclusion_proof(old, ledger.public_key).ok
    for a in sizes:
        document = consistency_document(ledger, a)
        assert check_consistency_proof(document, ledger.public_key).ok


def test_tampered_proofs_fail(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    ledger.append([record(i) for i in range(10)])
    document = inclusion_document(ledger, 4)
    wrong_index = {**document, "index": 5}
    assert not check_inclusion_proof(wrong_index, ledger.public_key).ok
    other_key = create_key_file(tmp_path / "k2").public_key
    assert not check_inclusion_proof(document, other_key).ok
    consistency = consistency_document(ledger, 0)
    forged = {**consistency, "new": {**consistency["new"], "size": 11}}
    assert not check_consistency_proof(forged, ledger.public_key).ok
    with pytest.raises(ValidationError):
        check_inclusion_proof({**document, "hashes": ["zz"]}, ledger.public_key)


def test_proof_for_unknown_size_or_position(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    ledger.append([record(0)])
    with pytest.raises(NotFoundError):
        inclusion_document(ledger, 5)
    with pytest.raises(NotFoundError):
        inclusion_document(ledger, 0, size=7)


def test_pre_encoded_data_gives_the_same_canonical_bytes() -> None:
    import orjson

    from socialcredit.ledger import encode_entry

    data = {"b": [1, "é\n"], "a": {"z": None, "y": True}}
    plain = PendingEntry("RecordFiled", data)
    fast = PendingEntry(
        "RecordFiled", {}, data_json=orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    )
    assert encode_entry(fast, "2026-01-01T00:00:00Z") == encode_entry(plain, "2026-01-01T00:00:00Z")


def test_append_encoded_matches_append(make_ledger: MakeLedger) -> None:
    import orjson

    from socialcredit.ledger import EncodedBatch

    one, two = make_ledger("one"), make_ledger("two")
    data = [{"n": i} for i in range(5)]
    keys = ["a", None, "b", "a", None]
    subjects = [("person", "x"), None, ("person", "y"), ("person", "x"), ("organisation", "z")]
    first = one.append(
        [PendingEntry("RecordFiled", d, k, s) for d, k, s in zip(data, keys, subjects, strict=True)]
    )
    blobs = [orjson.dumps(d, option=orjson.OPT_SORT_KEYS) for d in data]
    second = two.append_encoded(EncodedBatch("RecordFiled", blobs, keys, subjects))
    assert list(first) == list(second)
    assert [(r.position, r.duplicate) for r in second][3] == (0, True)
    assert [raw for _, raw in one.raw_entries()] == [raw for _, raw in two.raw_entries()]
    assert two.subject_id("organisation", "z") == 2
    with pytest.raises(ValidationError):
        two.append_encoded(EncodedBatch("no such type", blobs, keys, subjects))
