"""Durable batched ingest with the hash chain vs a plain SQLite ``executemany``, same run.

Both sides take the same rows (dicts of strings, as a CSV reader yields them), commit every
10,000 rows with ``journal_mode=WAL`` and ``synchronous=FULL``, and write to a fresh file:

* **plain**: ``executemany`` of the raw fields into an equivalent table (one column per field,
  and a unique index on ``idempotency_key`` in the keyed variant);
* **socialcredit**: catalogue validation, canonical encoding, leaf hashing, Merkle tiles,
  subject ids, idempotency index and a signed checkpoint per batch.

Prints the median of ``--repeat`` runs for each side and their ratio.

    .venv/bin/python benchmarks/bench_ingest.py --rows 1000000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.catalogue import default_catalogue
from socialcredit.catalogue.identifiers import make_resident_id, make_uscc
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger, create_key_file
from socialcredit.storage.sqlite import SQLiteStore

FIELDS = (
    "subject_id",
    "subject_kind",
    "kind",
    "occurred_at",
    "source",
    "amount",
    "evidence",
    "idempotency_key",
)
BATCH = 10_000


def make_rows(n: int, subjects: int, keyed: bool, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` realistic rows over ``subjects`` persons and organisations (10 % organisations)."""
    rng = random.Random(seed)
    catalogue = default_catalogue()
    people = [k for k in catalogue if "person" in k.subject_kinds]
    orgs = [k for k in catalogue if "organisation" in k.subject_kinds]
    rows = []
    for i in range(n):
        number = rng.randrange(subjects)
        is_org = number % 10 == 0
        kind = rng.choice(orgs if is_org else people)
        subject = (
            make_uscc("110000", number)
            if is_org
            else make_resident_id(
                "110101", date(1950 + number % 50, 1 + number % 12, 1 + number % 28), number % 1000
            )
        )
        row = {
            "subject_id": subject,
            "subject_kind": "organisation" if is_org else "person",
            "kind": kind.id,
            "occurred_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "source": "agency:market-regulation",
        }
        if kind.amount is not None:
            row["amount"] = str(100 + rng.randrange(100_000))
        if kind.evidence is not None:
            row["evidence"] = f"(2025)-enf-{i}"
        if keyed:
            row["idempotency_key"] = f"src-{i}"
        rows.append(row)
    return rows


def plain(rows: list[dict[str, Any]], directory: Path, keyed: bool) -> float:
    conn = sqlite3.connect(directory / "plain.db", isolation_level=None)
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    columns = ", ".join(f"{f} TEXT" for f in FIELDS)
    conn.execute(f"CREATE TABLE records (seq INTEGER PRIMARY KEY, {columns})")
    if keyed:
        conn.execute("CREATE UNIQUE INDEX records_key ON records (idempotency_key)")
    sql = f"INSERT INTO records ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})"
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        conn.execute("BEGIN")
        conn.executemany(
            sql, [tuple(r.get(f) for f in FIELDS) for r in rows[start : start + BATCH]]
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def ours(rows: list[dict[str, Any]], directory: Path) -> float:
    signer = create_key_file(directory / "ledger.key")
    ledger = Ledger.create(SQLiteStore(directory / "ledger.db"), signer, "bench/ingest")
    started = time.perf_counter()
    summary = ingest_rows(ledger, default_catalogue(), enumerate(rows, 1), batch_size=BATCH)
    elapsed = time.perf_counter() - started
    assert summary.accepted == len(rows), summary.refusal_reasons
    ledger.store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for keyed in (False, True):
        rows = make_rows(args.rows, args.subjects, keyed)
        times: dict[str, list[float]] = {"plain": [], "ours": []}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
                times["plain"].append(plain(rows, Path(tmp), keyed))
            with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
                times["ours"].append(ours(rows, Path(tmp)))
        p, o = statistics.median(times["plain"]), statistics.median(times["ours"])
        label = "with idempotency keys" if keyed else "without idempotency keys"
        print(f"{label}: {args.rows:,} rows, median of {args.repeat}")
        print(f"  plain SQLite executemany  {args.rows / p:>12,.0f} rows/s")
        print(f"  socialcredit ingest       {args.rows / o:>12,.0f} rows/s")
        print(f"  ratio ours / plain        {p / o:>12.2f}")


if __name__ == "__main__":
    main()
