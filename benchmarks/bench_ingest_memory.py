"""Peak resident memory of ``socialcredit ingest`` on a large CSV file (it must stream).

Writes a CSV of ``--rows`` records (default 10,000,000) without holding it in memory, ingests it
with the real command line in a child process, and prints the child's peak RSS and throughput.

    .venv/bin/python benchmarks/bench_ingest_memory.py --rows 10000000
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_ingest import FIELDS, make_rows


def write_file(path: Path, rows: int, subjects: int) -> None:
    chunk = 200_000
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        for start in range(0, rows, chunk):
            block = make_rows(min(chunk, rows - start), subjects, keyed=True, seed=start)
            for i, row in enumerate(block):
                row["idempotency_key"] = f"src-{start + i}"
            writer.writerows(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "records.csv"
        write_file(source, args.rows, args.subjects)
        store = f"sqlite:///{Path(tmp) / 'l.db'}"
        cli = [sys.executable, "-m", "socialcredit", "--store", store]
        subprocess.run([*cli, "init"], check=True, capture_output=True)
        started = time.perf_counter()
        result = subprocess.run(
            [*cli, "ingest", str(source), "--progress", "none"],
            check=True,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(result.stdout.strip())
        print(
            f"file {source.stat().st_size / 2**20:,.0f} MiB, {args.rows:,} rows "
            f"in {elapsed:.1f}s ({args.rows / elapsed:,.0f} rows/s end to end)"
        )
        print(f"peak RSS of the ingest process: {peak_kib / 1024:,.0f} MiB (target < 1024 MiB)")


if __name__ == "__main__":
    main()
