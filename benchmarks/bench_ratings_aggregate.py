"""Aggregating 10 million ratings: this system's full batch vs the plain mean, same run.

Builds a seeded synthetic marketplace with 10,000,000 ratings (100,000 ratees, 1,000,000
raters, one year), then times, as medians of ``--repeat`` runs in one process:

* **plain mean**: the peer, one ``bincount`` per ratee (what most sites show);
* **system**: :func:`socialcredit.ratings.aggregate_batch`: one counted rating per period,
  EigenTrust from the seeds (scipy.sparse power iteration), burst and ring detection, the
  CUSUM test for sustained shifts by new or low-trust raters,
  calibration, Dirichlet with forgetting and credible intervals, for every ratee.

Target: system under 10 s on 2 cores. NumPy/SciPy only; BLAS threads as the machine allows.

    .venv/bin/python benchmarks/bench_ratings_aggregate.py [--ratings 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.ratings import RatingParams, Status, aggregate_batch
from socialcredit.ratings._aggregate import plain_mean
from socialcredit.ratings._synthetic import marketplace


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, list[float]]:
    """Median wall time, median process CPU time, and every wall time."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus), walls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    market = marketplace(
        seed=7,
        n_ratees=max(args.ratings // 100, 10),
        n_raters=max(args.ratings // 10, 10),
        interactions=args.ratings,
        rate_share=1.0,
    )
    d = market.ratings
    print(
        f"{len(d.rater):,} ratings, {d.n_ratees:,} ratees, {d.n_raters:,} raters "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )
    params = RatingParams()
    plain, plain_cpu, plain_all = timed(
        lambda: plain_mean(d.ratee, d.stars, d.n_ratees), args.repeat
    )
    system, system_cpu, system_all = timed(
        lambda: aggregate_batch(d, params, market.at_us), args.repeat
    )
    result = aggregate_batch(d, params, market.at_us)
    print(
        f"plain mean : median {plain:6.2f} s wall, {plain_cpu:6.2f} s CPU; "
        f"runs {[round(t, 2) for t in plain_all]}"
    )
    print(
        f"system     : median {system:6.2f} s wall, {system_cpu:6.2f} s CPU; "
        f"runs {[round(t, 2) for t in system_all]}"
    )
    print(
        f"ratio system / plain mean (wall): {system / plain:.1f}x; "
        f"target < 10 s wall: {'met' if system < 10 else 'NOT met'}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    statuses = dict(
        zip(
            [status.name.lower() for status in Status],
            [int(c) for c in np.bincount(result.status, minlength=len(Status))],
            strict=True,
        )
    )
    print(f"statuses: {statuses}; low-evidence ratees: {int(result.low_evidence.sum()):,}")


if __name__ == "__main__":
    main()
