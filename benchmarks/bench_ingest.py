"""Durable batched ingest with the hash chain vs a plain SQLite ``executemany``, same run.

Both sides take the same rows, commit every 10,000 rows with ``journal_mode=WAL`` and
``synchronous=FULL``, and write to a fresh database:

* **plain**: ``executemany`` of the raw fields into an equivalent table (one column per field,
  and a unique index on ``idempotency_key`` in the keyed variant);
* **socialcredit**: catalogue validation, canonical encoding, leaf hashing, Merkle tiles,
  subject ids, idempotency index and a signed checkpoint per batch.

Two settings: **file** — both read the same CSV file (plain with ``csv.reader``; ours with
``ingest_file``, which reads and checks in a second process while the first appends), which is
what ``socialcredit ingest`` does; and **memory** — both take rows already in memory (dicts of
strings), ours with ``ingest_rows`` in one process.

Prints the median of ``--repeat`` runs for each side and their ratio, and the machine's load
average after the runs (the figures mean little on a busy machine).

    .venv/bin/python benchmarks/bench_ingest.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.catalogue import RECORD_FIELDS, default_catalogue, make_resident_id, make_uscc
from socialcredit.demo._filers import reference_of, source_of
from socialcredit.ingest import ingest_file, ingest_rows
from socialcredit.ledger import Ledger, create_key_file
from socialcredit.storage._sqlite import SQLiteStore

FIELDS = list(RECORD_FIELDS)
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
            "source": source_of(kind).name,
        }
        if kind.amount is not None:
            row["amount"] = str(100 + rng.randrange(100_000))
        if kind.evidence is not None:
            row["evidence"] = reference_of(kind, 2025, 1 + i % 999_999)
        if keyed:
            row["idempotency_key"] = f"src-{i}"
        rows.append(row)
    return rows


def plain(rows: Iterable[tuple[Any, ...]], directory: Path, keyed: bool) -> float:
    """Plain executemany of row tuples in FIELDS order; the clock includes producing them."""
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
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        conn.execute("BEGIN")
        conn.executemany(sql, batch)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def csv_tuples(path: Path) -> Iterator[tuple[Any, ...]]:
    """The rows of a CSV file as tuples in FIELDS order, empty values as NULL."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for values in reader:
            yield tuple(v or None for v in values)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def ours(source: list[dict[str, Any]] | Path, directory: Path, expected: int) -> float:
    signer = create_key_file(directory / "ledger.key")
    ledger = Ledger.create(SQLiteStore(directory / "ledger.db"), signer, "bench/ingest")
    started = time.perf_counter()
    if isinstance(source, Path):
        summary = ingest_file(
            ledger,
            default_catalogue(),
            source,
            batch_size=BATCH,
            rejects_path=directory / "rejects.jsonl",
        )
    else:
        summary = ingest_rows(ledger, default_catalogue(), enumerate(source, 1), batch_size=BATCH)
    elapsed = time.perf_counter() - started
    assert summary.accepted == expected, summary.refusal_reasons
    ledger.store.close()
    return elapsed


def run(label: str, repeat: int, n: int, plain_side: Any, ours_side: Any) -> None:
    times: dict[str, list[float]] = {"plain": [], "ours": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            times["plain"].append(plain_side(Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            times["ours"].append(ours_side(Path(tmp)))
    p, o = statistics.median(times["plain"]), statistics.median(times["ours"])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{label}: {n:,} rows, median of {repeat} (load average {load})")
    print(f"  plain SQLite executemany  {n / p:>12,.0f} rows/s")
    print(f"  socialcredit ingest       {n / o:>12,.0f} rows/s")
    print(f"  ratio ours / plain        {p / o:>12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.rows
    for keyed in (False, True):
        rows = make_rows(n, args.subjects, keyed)
        keys = "with" if keyed else "without"
        with tempfile.TemporaryDirectory() as data:
            source = write_csv(Path(data) / "records.csv", rows)
            run(
                f"file, {keys} idempotency keys",
                args.repeat,
                n,
                lambda d, s=source, k=keyed: plain(csv_tuples(s), d, k),
                lambda d, s=source: ours(s, d, n),
            )
        run(
            f"memory, {keys} idempotency keys",
            args.repeat,
            n,
            lambda d, r=rows, k=keyed: plain((tuple(x.get(f) for f in FIELDS) for x in r), d, k),
            lambda d, r=rows: ours(r, d, n),
        )


if __name__ == "__main__":
    main()
