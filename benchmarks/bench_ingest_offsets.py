"""Whole-process ingest of a CSV whose timestamps carry ``Z`` or a numeric offset (``+08:00``)
vs a plain SQLite ``executemany`` of the same rows, same run.

The same instants are written twice, once as ``...Z`` and once in Beijing time with ``+08:00``
(the shipped sample's form), one distinct second per row. Each side runs as its own process and
is timed from start to exit, start-up and imports included:

* **plain**: a Python process that reads the CSV with ``csv.reader`` and ``executemany``\\s the
  raw fields into an equivalent table, committing every 10,000 rows (``journal_mode=WAL``,
  ``synchronous=FULL``, as :mod:`bench_ingest` does); it imports nothing of socialcredit;
* **socialcredit**: ``python -m socialcredit ingest FILE`` into a freshly initialised ledger
  (initialisation not timed): validation, canonical encoding, hashing, tiles and checkpoints.

Prints, per form, the median of ``--repeat`` runs of each side (runs interleaved, forms taking
turns) as rows/s, the ratio ours / plain of those medians and the median of the ratios of each
adjacent pair of runs, the median CPU seconds of each side (children included: ours uses a
reader process), and the machine's load average (wall-clock figures mean little on a busy
machine).

    .venv/bin/python benchmarks/bench_ingest_offsets.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import NamedTuple

FORMS = {"Z": timedelta(0), "+08:00": timedelta(hours=8)}
BATCH = 10_000
START = datetime(2024, 1, 1, tzinfo=UTC)


def plain_process(path: Path, database: Path, keyed: bool) -> None:
    """The plain side's whole work (run in a child): CSV rows into SQLite by executemany."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA page_size = 16384")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        fields = next(reader)
        columns = ", ".join(f"{f} TEXT" for f in fields)
        conn.execute(f"CREATE TABLE records (seq INTEGER PRIMARY KEY, {columns})")
        if keyed:
            conn.execute("CREATE UNIQUE INDEX records_key ON records (idempotency_key)")
        sql = f"INSERT INTO records ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})"
        rows = (tuple(v or None for v in values) for values in reader)
        while batch := list(islice(rows, BATCH)):
            conn.execute("BEGIN")
            conn.executemany(sql, batch)
            conn.execute("COMMIT")
    conn.close()


def write_files(directory: Path, rows: int, subjects: int, keyed: bool) -> dict[str, Path]:
    """One CSV per form in FORMS: the same rows and instants, written with that offset."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_ingest import FIELDS, make_rows

    records = make_rows(rows, subjects, keyed)
    instants = [START + timedelta(seconds=7 * i) for i in range(rows)]
    paths: dict[str, Path] = {}
    for form, offset in FORMS.items():
        for record, instant in zip(records, instants, strict=True):
            local = instant + offset
            record["occurred_at"] = f"{local:%Y-%m-%dT%H:%M:%S}{form}"
        paths[form] = directory / f"records{len(paths)}.csv"
        with paths[form].open("w", newline="") as handle:
            writer = csv.DictWriter(handle, FIELDS)
            writer.writeheader()
            writer.writerows(records)
    return paths


class Run(NamedTuple):
    """One child process: wall seconds from start to exit, and CPU seconds (its children's
    too), which a busy machine inflates less."""

    wall: float
    cpu: float


def timed(command: list[str]) -> tuple[Run, str]:
    """Run a child process to its end; its times and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Run(wall, cpu), done.stdout


def run_plain(path: Path, directory: Path, keyed: bool) -> Run:
    flags = ["--keyed"] if keyed else []
    command = [sys.executable, __file__, "--plain", str(path), str(directory / "plain.db")]
    return timed([*command, *flags])[0]


def run_ours(path: Path, directory: Path, rows: int) -> Run:
    cli = [sys.executable, "-m", "socialcredit", "--store", f"sqlite:///{directory / 'l.db'}"]
    subprocess.run([*cli, "init"], check=True, capture_output=True)
    run, out = timed([*cli, "ingest", str(path), "--progress", "none"])
    if f"accepted {rows}," not in out:
        raise AssertionError(f"not every row was accepted: {out}")
    return run


def measure(
    paths: dict[str, Path], rows: int, repeat: int, keyed: bool
) -> dict[str, list[tuple[Run, Run]]]:
    """``repeat`` pairs of runs (plain, ours) per form, one right after the other, the forms
    taking turns, so that a change in the machine's load falls on all of them alike."""
    pairs: dict[str, list[tuple[Run, Run]]] = {form: [] for form in paths}
    for _ in range(repeat):
        for form, path in paths.items():
            with tempfile.TemporaryDirectory() as tmp:
                plain = run_plain(path, Path(tmp), keyed)
            with tempfile.TemporaryDirectory() as tmp:
                pairs[form].append((plain, run_ours(path, Path(tmp), rows)))
    return pairs


def report(form: str, rows: int, pairs: list[tuple[Run, Run]]) -> None:
    """One line per form: medians of rows/s (wall), the ratio of the medians, the median of
    the ratios of each pair (robust to load that changes between pairs), and CPU seconds."""
    plain = statistics.median(p.wall for p, _ in pairs)
    ours = statistics.median(o.wall for _, o in pairs)
    paired = statistics.median(p.wall / o.wall for p, o in pairs)
    cpu_plain = statistics.median(p.cpu for p, _ in pairs)
    cpu_ours = statistics.median(o.cpu for _, o in pairs)
    print(
        f"  {form:<8}{rows / plain:>12,.0f}{rows / ours:>12,.0f}{plain / ours:>9.2f}"
        f"{paired:>9.2f}{cpu_plain:>11.1f}{cpu_ours:>10.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keyed", action="store_true", help="with idempotency keys")
    parser.add_argument("--plain", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain:
        source, database = args.plain
        plain_process(source, database, args.keyed)
        return
    n = args.rows
    with tempfile.TemporaryDirectory() as data:
        paths = write_files(Path(data), n, args.subjects, args.keyed)
        results = measure(paths, n, args.repeat, args.keyed)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    keys = "with" if args.keyed else "without"
    print(f"{n:,} rows, {keys} idempotency keys, whole process, median of {args.repeat}")
    print(f"(load average {load}; ratios are ours / plain by wall time)")
    print(
        f"  {'stamps':<8}{'plain r/s':>12}{'ours r/s':>12}{'ratio':>9}{'paired':>9}"
        f"{'plain cpu':>11}{'ours cpu':>10}"
    )
    for form, pairs in results.items():
        report(form, n, pairs)


if __name__ == "__main__":
    main()
