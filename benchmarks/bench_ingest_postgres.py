"""Durable ingest into the SQLite store vs the PostgreSQL store, same rows, same run.

Both sides run the whole ingest path (``ingest_rows``: catalogue validation, canonical
encoding, leaf hashing, Merkle tiles, subject ids, idempotency index, a signed checkpoint per
batch of 10,000) on the rows of ``benchmarks/bench_ingest.py``'s ``make_rows``, already in
memory, into a fresh ledger each time:

* **SQLite** — a file in WAL mode with ``synchronous=FULL``;
* **PostgreSQL** — a fresh database on a throwaway local cluster started by this script
  (``tests/pg.py``: ``initdb`` + ``pg_ctl``, ``fsync=on``, ``synchronous_commit=on``).

Prints the median of ``--repeat`` runs for each, and PostgreSQL's share of SQLite's rate;
then, from the last PostgreSQL run, the on-disk bytes per entry of each table (range
partitions included) and the speed and file sizes of a whole-ledger export to Parquet.
Targets: PostgreSQL at least 50,000 records/s and within 3x of SQLite.

    .venv/bin/python benchmarks/bench_ingest_postgres.py --rows 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import psycopg  # noqa: E402
from bench_ingest import BATCH, make_rows  # noqa: E402

from socialcredit.catalogue import default_catalogue  # noqa: E402
from socialcredit.ingest import ingest_rows  # noqa: E402
from socialcredit.ledger import Ledger, create_key_file  # noqa: E402
from socialcredit.storage import LedgerStore  # noqa: E402
from socialcredit.storage._postgres import PostgresStore  # noqa: E402
from socialcredit.storage._sqlite import SQLiteStore  # noqa: E402
from socialcredit.transfer import transfer  # noqa: E402
from tests.pg import ClusterUnavailableError, PgCluster, throwaway_cluster  # noqa: E402


def ingest(
    store: LedgerStore,
    rows: list[dict[str, Any]],
    directory: Path,
    measure: Callable[[], None] | None = None,
) -> float:
    """Seconds to ingest ``rows`` into a new ledger in ``store`` (every row must be accepted);
    ``measure`` runs after the ingest, before the store is closed."""
    signer = create_key_file(directory / "ledger.key")
    ledger = Ledger.create(store, signer, "bench/ingest-postgres")
    started = time.perf_counter()
    summary = ingest_rows(ledger, default_catalogue(), enumerate(rows, 1), batch_size=BATCH)
    elapsed = time.perf_counter() - started
    assert summary.accepted == len(rows), summary.refusal_reasons
    assert ledger.size() == len(rows)
    if measure is not None:
        measure()
    store.close()
    return elapsed


def sqlite_side(rows: list[dict[str, Any]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return ingest(SQLiteStore(Path(tmp) / "ledger.db"), rows, Path(tmp))


# On-disk bytes of each table, summed over its range partitions (schema version 2).
_SIZES = """
SELECT t.name, coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)
       + pg_total_relation_size(t.name::regclass)
FROM unnest(ARRAY['bundles', 'tiles', 'checkpoints', 'idempotency', 'subjects']) AS t (name)
LEFT JOIN pg_inherits i ON i.inhparent = t.name::regclass
GROUP BY t.name ORDER BY t.name
"""


def postgres_side(
    cluster: PgCluster, sizes: dict[str, int]
) -> Callable[[list[dict[str, Any]]], float]:
    """Ingest into a fresh database; ``sizes`` gets the table sizes of the last run."""

    def run(rows: list[dict[str, Any]]) -> float:
        url = cluster.create_database("bench")

        def measure() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")  # settle the free-space and visibility maps
                sizes.update(dict(conn.execute(_SIZES).fetchall()))
                row = conn.execute("SELECT count(*) FROM subjects").fetchone()
                sizes["subject_count"] = int(row[0]) if row else 0
            export = Path(tmp) / "export.parquet"
            started = time.perf_counter()
            report = transfer(url, str(export))
            assert report.ok, report.problems
            sizes["export_s"] = int((time.perf_counter() - started) * 1000)
            for name in ("entries", "records"):
                sizes[f"{name}.parquet"] = (export / f"{name}.parquet").stat().st_size

        with tempfile.TemporaryDirectory() as tmp:
            return ingest(PostgresStore(url), rows, Path(tmp), measure)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-keys", action="store_true", help="rows without idempotency keys")
    args = parser.parse_args()
    rows = make_rows(args.rows, args.subjects, keyed=not args.no_keys)
    try:
        with throwaway_cluster() as cluster:
            sizes: dict[str, int] = {}
            sides = {"SQLite": sqlite_side, "PostgreSQL": postgres_side(cluster, sizes)}
            times: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(args.repeat):  # alternate, so drift hits both sides alike
                for name, side in sides.items():
                    times[name].append(side(rows))
    except ClusterUnavailableError as exc:
        sys.exit(f"cannot start a throwaway PostgreSQL cluster: {exc}")
    rate = {name: args.rows / statistics.median(t) for name, t in times.items()}
    keys = "without" if args.no_keys else "with"
    print(f"ingest, memory, {keys} idempotency keys: {args.rows:,} rows, median of {args.repeat}")
    for name, value in rate.items():
        print(f"  {name:<12} {value:>12,.0f} rows/s")
    print(f"  ratio SQLite / PostgreSQL {rate['SQLite'] / rate['PostgreSQL']:>6.2f}x")
    subjects = sizes.pop("subject_count")
    export_ms = sizes.pop("export_s")
    files = {name: sizes.pop(name) for name in ("entries.parquet", "records.parquet")}
    print("PostgreSQL on-disk bytes per entry (tables with indexes and TOAST):")
    for table, size in sizes.items():
        print(f"  {table:<12} {size / args.rows:>8.1f}")
    print(f"  {'total':<12} {sum(sizes.values()) / args.rows:>8.1f}")
    print(f"  subjects: {sizes['subjects'] / subjects:.1f} bytes per subject ({subjects:,})")
    rate_export = args.rows / export_ms * 1000
    print(f"export PostgreSQL -> Parquet (root checked): {rate_export:,.0f} entries/s")
    for name, size in files.items():
        print(f"  {name:<16} {size / args.rows:>6.1f} bytes per entry")


if __name__ == "__main__":
    main()
