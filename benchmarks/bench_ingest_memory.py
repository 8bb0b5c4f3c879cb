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
        process = subprocess.Popen(
            [*cli, "ingest", str(source), "--progress", "none"], stdout=subprocess.PIPE, text=True
        )
        peak_tree_kib = 0
        while process.poll() is None:
            peak_tree_kib = max(peak_tree_kib, tree_rss_kib(process.pid))
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        assert process.returncode == 0 and process.stdout is not None
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(process.stdout.read().strip())
        print(
            f"file {source.stat().st_size / 2**20:,.0f} MiB, {args.rows:,} rows "
            f"in {elapsed:.1f}s ({args.rows / elapsed:,.0f} rows/s end to end)"
        )
        print(f"peak RSS of the largest process: {peak_kib / 1024:,.0f} MiB")
        print(
            f"peak RSS of the ingest and its reader processes together: "
            f"{peak_tree_kib / 1024:,.0f} MiB (target < 1024 MiB; sampled every 0.2 s)"
        )


def tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0").strip())
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree = {root}
    changed = True
    while changed:
        grown = {pid for pid, parent in parents.items() if parent in tree} | tree
        changed, tree = grown != tree, grown
    return sum(rss.get(pid, 0) for pid in tree)


if __name__ == "__main__":
    main()
