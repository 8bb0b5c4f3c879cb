"""Whole-ledger export and import: SQLite -> PostgreSQL -> Parquet -> SQLite (and the other way
round, from a PostgreSQL ledger), root unchanged.

Each hop carries the entries, subjects, idempotency keys and signed checkpoints; each target
is checked by ``verify`` (and the Parquet export by the recomputed root), so a tampered
export is caught on import. PostgreSQL hops run on the throwaway cluster (``tests/pg.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from socialcredit.catalogue import default_catalogue
from socialcredit.cli import cli
from socialcredit.errors import ConfigurationError, StorageError
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger, PendingEntry, verify_ledger
from socialcredit.policy import default_bundle
from socialcredit.records import record_rows
from socialcredit.rights import correct_record, withdraw_record
from socialcredit.scoring import compiled_bundle, rescore
from socialcredit.scoring._batch import batch_scores, records_table
from socialcredit.storage import LedgerStore
from socialcredit.timeutil import from_us
from socialcredit.transfer import transfer

from .backends import Stores
from .pg import PgCluster
from .records_factory import valid_rows

pytestmark = pytest.mark.both_backends


@pytest.fixture
def source(make_ledger: Callable[..., Ledger]) -> Ledger:
    """A ledger of 1,200 records in several appends, plus an entry of another type."""
    ledger = make_ledger("source")
    rows = valid_rows(1_200, seed=3)
    ingest_rows(ledger, default_catalogue(), enumerate(rows, 1), batch_size=500)
    ledger.append([PendingEntry("StatementAttached", {"text": "mine"}, "st-1", None)])
    return ledger


def snapshot(store: LedgerStore) -> dict[str, object]:
    """Everything a transfer must carry, as plain values."""
    ledger = Ledger(store)
    return {
        "meta": {k: v for k, v in store.meta().items() if k in ("origin", "public_key")},
        "state": store.state(),
        "entries": list(ledger.raw_entries()),
        "subjects": list(store.subjects()),
        "keys": list(store.idempotency_keys()),
        "checkpoints": [
            (c.size, bytes(c.root), c.time_us, bytes(c.signature)) for c in store.checkpoints()
        ],
    }


def test_round_trip_through_every_kind_of_store(
    source: Ledger, stores: Stores, tmp_path: Path, pg_cluster: PgCluster
) -> None:
    expected = snapshot(source.store)
    root = source.latest_checkpoint().root
    # The other backend's store, then Parquet, then back to a store of the source's backend.
    postgres = stores.backend == "sqlite"
    others = Stores(
        "postgres" if postgres else "sqlite", tmp_path, pg_cluster if postgres else None
    )
    other, back = others.url("export"), stores.url("back")
    parquet = tmp_path / "ledger.parquet"
    try:
        hops = ((source.store.url, other), (other, str(parquet)), (str(parquet), back))
        for hop_from, hop_to in hops:
            report = transfer(hop_from, hop_to)
            assert report.ok, report.problems
            assert report.root == root.hex()
            assert report.entries == expected["state"].size  # type: ignore[attr-defined]
        assert report.verified and report.checkpoints == len(expected["checkpoints"])  # type: ignore[arg-type]
        for url in (other, back):
            store = others.open(url)
            assert snapshot(store) == expected
            assert verify_ledger(store, source.public_key).ok
    finally:
        others.close()
    # The decoded records are exactly the scoring projection, ready for DuckDB or Spark.
    records = pq.read_table(parquet / "records.parquet")
    assert records.equals(records_table(record_rows(source)))
    assert records.num_rows == 1_200


def test_import_refuses_a_store_that_holds_a_ledger(
    source: Ledger, make_ledger: Callable[..., Ledger], tmp_path: Path
) -> None:
    other = make_ledger("other")
    with pytest.raises(ConfigurationError, match="already holds a ledger"):
        transfer(source.store.url, other.store.url)
    assert other.size() == 0
    (tmp_path / "full.parquet").mkdir()
    (tmp_path / "full.parquet" / "x").write_text("x")
    with pytest.raises(ConfigurationError, match="not empty"):
        transfer(source.store.url, str(tmp_path / "full.parquet"))
    with pytest.raises(ConfigurationError, match="not a ledger export"):
        transfer(str(tmp_path / "missing.parquet"), f"sqlite:///{tmp_path / 'n.db'}")


def test_a_tampered_export_is_caught_on_import(source: Ledger, tmp_path: Path) -> None:
    parquet = tmp_path / "t.parquet"
    assert transfer(source.store.url, str(parquet)).ok
    entries = pq.read_table(parquet / "entries.parquet")
    raw = entries.column("raw").to_pylist()
    raw[10] = raw[10].replace(b'"kind":"', b'"kind":"x', 1)
    tampered = entries.set_column(2, "raw", pa.array(raw, pa.binary()))
    pq.write_table(tampered, parquet / "entries.parquet")
    report = transfer(str(parquet), f"sqlite:///{tmp_path / 't.db'}")
    assert not report.ok
    assert any("differs from the source's signed checkpoint" in p for p in report.problems)
    # nothing that failed its checks is left where a ledger is expected
    assert not [p.name for p in tmp_path.iterdir() if "t.db" in p.name]
    assert any(p.startswith("nothing was written to") for p in report.problems)


def test_a_failed_import_into_postgresql_says_the_target_is_partial(
    source: Ledger, tmp_path: Path, pg_cluster: PgCluster
) -> None:
    parquet = tmp_path / "p.parquet"
    assert transfer(source.store.url, str(parquet)).ok
    entries = pq.read_table(parquet / "entries.parquet")
    pq.write_table(entries.slice(0, 700), parquet / "entries.parquet")
    target = pg_cluster.create_database("partial")
    report = transfer(str(parquet), target)
    assert not report.ok
    assert any("holds a partial ledger: drop it" in p for p in report.problems)


def test_an_interrupted_import_leaves_no_ledger_behind(source: Ledger, tmp_path: Path) -> None:
    parquet = tmp_path / "i.parquet"
    assert transfer(source.store.url, str(parquet)).ok
    entries = pq.read_table(parquet / "entries.parquet")
    # the file ends part-way: the import fails while streaming entries
    pq.write_table(entries.slice(0, 700), parquet / "entries.parquet", row_group_size=100)
    report = transfer(str(parquet), f"sqlite:///{tmp_path / 'i.db'}")
    assert not report.ok and any("700 entries read" in p for p in report.problems)
    assert not (tmp_path / "i.db").exists()
    broken = tmp_path / "i.parquet" / "entries.parquet"
    broken.write_bytes(broken.read_bytes()[:5_000])  # a torn file: reading raises
    with pytest.raises(StorageError):
        transfer(str(parquet), f"sqlite:///{tmp_path / 'i.db'}")
    assert not [p.name for p in tmp_path.iterdir() if "i.db" in p.name]
    assert any("verify:" in p for p in report.problems)


def test_export_and_import_commands(source: Ledger, tmp_path: Path) -> None:
    runner = CliRunner()
    parquet = str(tmp_path / "cli.parquet")
    out = runner.invoke(cli, ["--store", source.store.url, "export", "--to", parquet])
    assert out.exit_code == 0, out.output
    assert "1201 entries (1200 records)" in out.output
    target = f"sqlite:///{tmp_path / 'cli.db'}"
    done = runner.invoke(cli, ["--store", target, "import", "--from", parquet, "--json"])
    assert done.exit_code == 0, done.output
    assert '"verified": true' in done.output
    again = runner.invoke(cli, ["--store", target, "import", "--from", parquet])
    assert again.exit_code == 2 and "already holds a ledger" in again.output


def test_effective_records_of_an_export_give_the_ledgers_scores(
    source: Ledger, tmp_path: Path
) -> None:
    """``effective.parquet`` folds corrections and withdrawals in, so a batch over it scores
    as ``rescore`` does from the ledger; ``records.parquet`` (as filed) does not."""
    rows = list(record_rows(source))
    withdraw_record(source, rows[0].position, "source:court", "filed in error")
    correct_record(
        source, rows[1].position, {"occurred_at": "2015-01-01T00:00:00Z"}, "source:court", "date"
    )
    export = tmp_path / "fixed.parquet"
    assert transfer(source.store.url, str(export)).ok
    when = from_us(source.store.state().last_recorded_at_us)
    policy = compiled_bundle(default_bundle())
    expected = rescore(source, as_of=when).scores
    assert batch_scores(str(export / "effective.parquet"), policy, as_of=when) == expected
    effective = pq.read_table(export / "effective.parquet")
    assert effective.num_rows == len(rows) - 1
    assert rows[0].position not in effective.column("position").to_pylist()
    as_filed = batch_scores(str(export / "records.parquet"), policy, as_of=when)
    assert as_filed != expected  # the withdrawn and the corrected record still count there
