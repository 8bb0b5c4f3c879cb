"""The contract every store must pass. A backend's test module subclasses ``StoreContract``
and provides the ``store`` fixture (an empty, uninitialised store)."""

from __future__ import annotations

import pytest

from socialcredit.errors import ConfigurationError
from socialcredit.storage import LedgerStore, LogState, StoredCheckpoint


class _Boom(Exception):
    pass


class StoreContract:
    """Behaviour shared by every ``LedgerStore``."""

    @pytest.fixture
    def ready(self, store: LedgerStore) -> LedgerStore:
        store.initialise({"origin": "test/contract", "public_key": "k"})
        return store

    def test_initialise_writes_meta_once(self, store: LedgerStore) -> None:
        assert not store.is_initialised()
        store.initialise({"origin": "o", "public_key": "k"})
        assert store.is_initialised()
        assert store.meta()["origin"] == "o"
        with pytest.raises(ConfigurationError):
            store.initialise({"origin": "again", "public_key": "k"})

    def test_uninitialised_store_refuses_reads(self, store: LedgerStore) -> None:
        with pytest.raises(ConfigurationError, match="init"):
            store.state()

    def test_state_starts_empty_and_is_set_atomically(self, ready: LedgerStore) -> None:
        assert ready.state() == LogState(0, 0)
        with ready.write() as txn:
            txn.put_bundle(0, b"bundle")
            txn.set_state(LogState(1, 42))
        assert ready.state() == LogState(1, 42)

    def test_failed_write_leaves_nothing(self, ready: LedgerStore) -> None:
        with pytest.raises(_Boom), ready.write() as txn:
            txn.put_bundle(0, b"x")
            txn.put_tile(0, 0, b"y" * 32)
            txn.put_idempotency_keys([("k", 0)])
            txn.put_subjects([(0, "person", "p")])
            txn.set_state(LogState(1, 1))
            raise _Boom
        assert ready.state() == LogState(0, 0)
        assert list(ready.read_bundles(0, 10)) == []
        assert ready.read_tile(0, 0) is None
        assert ready.find_idempotency_keys(["k"]) == {}
        assert list(ready.subjects()) == []

    def test_bundles_and_tiles_are_replaced_and_read_in_order(self, ready: LedgerStore) -> None:
        with ready.write() as txn:
            for i in (2, 0, 1):
                txn.put_bundle(i, bytes([i]))
                txn.put_tile(1, i, bytes([i]) * 32)
            txn.put_bundle(1, b"replaced")
        assert [i for i, _ in ready.read_bundles(0, 10)] == [0, 1, 2]
        assert dict(ready.read_bundles(1, 2)) == {1: b"replaced"}
        assert [i for i, _ in ready.read_tiles(1, 1, 3)] == [1, 2]
        assert ready.read_tile(1, 2) == bytes([2]) * 32
        assert ready.read_tile(0, 2) is None

    def test_transaction_sees_its_own_writes(self, ready: LedgerStore) -> None:
        with ready.write() as txn:
            txn.put_bundle(5, b"b")
            txn.put_tile(0, 5, b"t")
            assert txn.read_bundle(5) == b"b"
            assert txn.read_tile(0, 5) == b"t"
            txn.put_idempotency_keys([("a", 3)])
            assert txn.find_idempotency_keys(["a", "b"]) == {"a": 3}

    def test_idempotency_keys_and_subjects(self, ready: LedgerStore) -> None:
        keys = [(f"key-{i}", i) for i in range(1200)]  # more than one IN (...) chunk
        with ready.write() as txn:
            txn.put_idempotency_keys(keys)
            txn.put_subjects([(0, "person", "a"), (1, "organisation", "a")])
            assert txn.subject_count() == 2
        found = ready.find_idempotency_keys([k for k, _ in keys] + ["missing"])
        assert found == dict(keys)
        assert ready.find_subjects([("person", "a"), ("organisation", "a"), ("person", "b")]) == {
            ("person", "a"): 0,
            ("organisation", "a"): 1,
        }
        assert list(ready.subjects(1)) == [(1, "organisation", "a")]

    def test_checkpoints_ordered_and_latest(self, ready: LedgerStore) -> None:
        assert ready.latest_checkpoint() is None
        with ready.write() as txn:
            for size in (5, 1, 3):
                txn.put_checkpoint(StoredCheckpoint(size, b"r" * 32, size, b"s" * 64))
        assert [c.size for c in ready.checkpoints()] == [1, 3, 5]
        assert [c.size for c in ready.checkpoints(2)] == [3, 5]
        latest = ready.latest_checkpoint()
        assert latest is not None and latest.size == 5

    def test_claim_idempotency_keys_is_all_or_nothing(self, ready: LedgerStore) -> None:
        with ready.write() as txn:
            assert txn.claim_idempotency_keys([("a", 0), ("b", 1)])
            assert not txn.claim_idempotency_keys([("c", 2), ("a", 3)])
            assert txn.find_idempotency_keys(["a", "b", "c"]) == {"a": 0, "b": 1}
            assert txn.claim_idempotency_keys([("c", 2)])
        assert ready.find_idempotency_keys(["a", "b", "c"]) == {"a": 0, "b": 1, "c": 2}

    def test_new_store_is_at_the_latest_schema_and_migrate_is_idempotent(
        self, ready: LedgerStore
    ) -> None:
        version = ready.schema_version()
        assert version >= 2
        assert ready.meta()["schema_version"] == str(version)
        assert ready.migrate() == []
        assert ready.migrate() == []
        assert ready.state() == LogState(0, 0)

    def test_idempotency_keys_are_listed_by_key(self, ready: LedgerStore) -> None:
        keys = [(f"k{i:05d}", i) for i in range(12_000)]  # more than one page
        with ready.write() as txn:
            txn.put_idempotency_keys(keys[::-1])
        assert list(ready.idempotency_keys()) == keys

    def test_checkpoint_lookups_in_a_transaction(self, ready: LedgerStore) -> None:
        with ready.write() as txn:
            assert txn.checkpoint_at_most(10) is None and txn.checkpoint_count(10) == 0
            for size in (5, 1, 3):
                txn.put_checkpoint(StoredCheckpoint(size, b"r" * 32, size, b"s" * 64 + b"chain"))
            found = txn.checkpoint_at_most(4)
            assert found is not None and found.size == 3
            same = txn.checkpoint_at_most(5)
            assert same is not None and bytes(same.signature) == b"s" * 64 + b"chain"
            assert txn.checkpoint_at_most(0) is None
            assert [txn.checkpoint_count(b) for b in (0, 1, 2, 5, 6)] == [0, 0, 1, 2, 3]

    def test_index_rows_are_streamed_by_position_and_by_id(self, ready: LedgerStore) -> None:
        keys = [(f"k{i:05d}", (i * 7919) % 12_000) for i in range(12_000)]  # positions shuffled
        keys.append(("a-second-key", 5))
        with ready.write() as txn:
            txn.put_idempotency_keys(keys)
            txn.put_subjects([(1, "person", "b"), (0, "person", "a")])
            by_position = sorted(keys, key=lambda row: (row[1], row[0]))
            assert list(txn.idempotency_keys_by_position()) == by_position
            assert list(txn.subjects()) == [(0, "person", "a"), (1, "person", "b")]
        assert list(ready.idempotency_keys_by_position()) == by_position

    def test_subject_positions_are_found_by_subject_below_a_size(self, ready: LedgerStore) -> None:
        assert ready.subject_index_state() == (0, 0)
        rows = [("person", "a", 0), ("person", "b", 1), ("person", "a", 700), ("@type", "P", 2)]
        with ready.write() as txn:
            txn.put_subject_positions(rows)
            txn.put_subject_positions([("person", "a", 0), ("person", "a", 3)], new=False)
            for index in (0, 2):
                txn.put_bundle(index, bytes([index]))
            txn.set_state(LogState(701, 1))
            txn.set_subject_index_size(701)
            assert txn.subject_index_size() == 701
        assert ready.subject_index_state() == (701, 701)
        assert ready.subject_positions([("person", "a")], 701) == [0, 3, 700]
        assert ready.subject_positions([("person", "a"), ("@type", "P")], 700) == [0, 2, 3]
        assert ready.subject_positions([("person", "z")], 701) == []
        assert list(ready.read_bundles_at([2, 0, 1, 2])) == [(0, b"\x00"), (2, b"\x02")]

    def test_subject_runs_answer_like_rows_before_and_after_compaction(
        self, ready: LedgerStore
    ) -> None:
        a, b, c = ("person", "a"), ("person", "b"), ("organisation", "c")
        with ready.write() as txn:
            txn.put_subjects([(0, *a), (1, *b), (2, *c)])
            txn.put_subject_positions([(*a, 0), ("@type", "P", 1)])
            txn.put_subject_run(2, [b, a, a, c], [1, 0, 0, 2])
            txn.put_subject_run(6, [c, b], [2, 1])
            txn.set_state(LogState(8, 1))
            txn.set_subject_index_size(8)
        expected = {a: [0, 3, 4], b: [2, 7], c: [5, 6]}

        def answers() -> dict[tuple[str, str], list[int]]:
            return {key: ready.subject_positions([key], 8) for key in expected}

        assert answers() == expected
        every = sorted(
            [(*a, 0), ("@type", "P", 1), (*b, 2), (*a, 3), (*a, 4), (*c, 5), (*c, 6), (*b, 7)]
        )
        assert sorted(ready.subject_index_rows()) == every
        assert ready.subject_positions([a, c], 6) == [0, 3, 4, 5]
        assert ready.subject_positions([b, ("@type", "P")], 3) == [1, 2]
        while ready.compact_subject_index(limit=1):  # one run at a time
            assert answers() == expected
        assert answers() == expected
        assert sorted(ready.subject_index_rows()) == every
        assert ready.compact_subject_index() == 0
