"""Single-subject commands on ledgers 10x apart: whole-process wall time and peak RSS.

Builds demo-city ledgers (``socialcredit.demo._city.build_city``: the real ingest path, seeded,
with a published policy) of about 0.1M and 1M entries — and 10M with ``--sizes 0.1,1,10`` if
there is time (the build runs at the ingest rate, roughly 100k records/s here) — then runs
each of ``score``, ``explain``, ``decide`` and ``report`` about one person (and ``decide``
about an organisation asking for an unknown service, which must be refused before anything is
read) as a fresh ``python -m socialcredit`` process, ``--repeat`` times, and prints the median
wall time, the CPU time (user + system), the peak resident set (``wait4``'s ``ru_maxrss``)
and the growth factor per 10x.

    .venv/bin/python benchmarks/bench_scale.py --sizes 0.1,1 --repeat 3

The import floor (``--help``) is measured alongside: it is what no ledger-size work can beat.
Ledgers are cached in ``--dir`` (default: a directory under the system's temporary one) and
reused when their size matches.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENTRIES_PER_RESIDENT = 1.25  # the demo city files about this many entries per resident


def build(path: Path, millions: float) -> tuple[int, float]:
    """Build (or reuse) the city ledger of about ``millions`` M entries; (size, seconds).

    The build runs in a child process: this one stays small, because a child's peak RSS as
    ``wait4`` reports it starts from its parent's at the fork.
    """
    started = time.perf_counter()
    if not path.exists():
        build = [sys.executable, __file__, "--build", str(path), str(millions)]
        subprocess.run(build, check=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    # A ledger cached by an older checkout is brought to this code's schema (idempotent).
    migrate = [sys.executable, "-m", "socialcredit", "--store", f"sqlite:///{path}", "migrate"]
    subprocess.run(migrate, check=True, cwd=ROOT, capture_output=True)
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT size FROM log_state").fetchone()[0]), seconds


def build_here(path: Path, millions: float) -> None:
    """The build itself (``--build``): the demo city, through the real ingest path."""
    sys.path.insert(0, str(ROOT))
    from socialcredit.catalogue import default_catalogue
    from socialcredit.demo._city import build_city
    from socialcredit.ledger import Ledger, create_key_file
    from socialcredit.policy import default_bundle
    from socialcredit.storage._sqlite import SQLiteStore

    residents = int(millions * 1_000_000 / ENTRIES_PER_RESIDENT)
    ledger = Ledger.create(SQLiteStore(path), create_key_file(Path(f"{path}.key")), "bench/scale")
    build_city(
        ledger,
        default_catalogue(),
        residents=residents,
        organisations=max(1, residents // 20),
        years=3,
        end=date(2026, 11, 1),
        seed=2026,
        policy=default_bundle(),
    )
    ledger.store.close()


def subjects(path: Path) -> tuple[str, str]:
    """A person and an organisation of the ledger (the first registered of each)."""
    with sqlite3.connect(path) as conn:
        found = dict(
            conn.execute(
                "SELECT kind, external_id FROM subjects WHERE id IN "
                "(SELECT MIN(id) FROM subjects GROUP BY kind)"
            ).fetchall()
        )
    return found["person"], found["organisation"]


def run(args: list[str], path: Path) -> tuple[float, int, int, float]:
    """One whole process: (wall seconds, peak RSS in KiB, exit status, CPU seconds)."""
    command = [sys.executable, "-m", "socialcredit", "--store", f"sqlite:///{path}", *args]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, process.returncode, usage.ru_utime + usage.ru_stime


def commands(person: str, organisation: str) -> dict[str, list[str]]:
    """The measured command lines (``--help`` is the import floor)."""
    return {
        "--help": ["--help"],
        "score": ["score", person, "--purpose", "subject_access"],
        "explain": ["explain", person, "--purpose", "subject_access"],
        "decide": ["decide", person, "air_travel", "--reader", "officer:bench"],
        "report": ["report", person, "--purpose", "subject_access"],
        "decide ORG teleport": ["decide", organisation, "teleport", "--reader", "officer:b"],
    }


Measured = tuple[float, int, int, float]


def measure(path: Path, repeat: int) -> dict[str, Measured]:
    """Median wall, max peak RSS, the last exit status and the median CPU time (user +
    system: less sensitive than wall to a busy machine) of each command on ``path``."""
    person, organisation = subjects(path)
    out = {}
    for name, args in commands(person, organisation).items():
        runs = [run(args, path) for _ in range(repeat)]
        out[name] = (
            statistics.median(r[0] for r in runs),
            max(r[1] for r in runs),
            runs[-1][2],
            statistics.median(r[3] for r in runs),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0.1,1", help="ledger sizes in millions of entries")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "bench_scale")
    parser.add_argument("--build", nargs=2, metavar=("PATH", "MILLIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build_here(Path(args.build[0]), float(args.build[1]))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    results: list[tuple[int, dict[str, Measured]]] = []
    for millions in (float(s) for s in args.sizes.split(",")):
        path = args.dir / f"city-{millions:g}M.db"
        existed = path.exists()
        size, seconds = build(path, millions)
        built = "reused" if existed else f"built in {seconds:.0f} s"
        print(f"ledger {path.name}: {size:,} entries ({built})", flush=True)
        found = measure(path, args.repeat)
        print(f"  (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
        for name, (wall, rss, status, cpu) in found.items():
            print(
                f"  {name:22s} {wall:6.2f} s wall  {cpu:6.2f} s CPU  {rss / 1024:6.0f} MiB"
                f"  exit {status}",
                flush=True,
            )
        results.append((size, found))
    for (small, before), (large, after) in pairwise(results):
        print(f"growth {small:,} -> {large:,} entries ({large / small:.1f}x):")
        for name in before:
            wall, cpu = after[name][0] / before[name][0], after[name][3] / before[name][3]
            print(f"  {name:22s} x{wall:.2f} wall  x{cpu:.2f} CPU")


if __name__ == "__main__":
    main()
