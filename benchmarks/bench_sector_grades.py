"""What sector grades cost: each evaluator with the shipped schemes vs the same policy without.

The peer is the same evaluator on the same records under the same scoring policy compiled
without ``sector_grades.yaml`` (total and grade only), so the ratio is the price of step 7:

* **DuckDB** (:func:`~socialcredit.scoring._batch.batch_scores_table`): N seeded records over M
  subjects, Arrow in memory;
* **NumPy** (:func:`~socialcredit.scoring._vectorised.evaluate`): the same records as arrays;
* **engine** (:func:`~socialcredit.scoring._engine.evaluate`): one subject with 100 records.

Medians over repeats; the grades of the two DuckDB runs' totals are checked identical first.

    .venv/bin/python benchmarks/bench_sector_grades.py [--records N] [--subjects M]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.policy import default_bundle
from socialcredit.records import RecordRow
from socialcredit.scoring import CompiledPolicy, KindTable, compile_policy, compiled_bundle
from socialcredit.scoring._batch import RECORDS_SCHEMA, batch_scores_table
from socialcredit.scoring._engine import evaluate
from socialcredit.scoring._vectorised import evaluate as vector_evaluate
from socialcredit.timeutil import DAY_US, to_us

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def policies() -> tuple[CompiledPolicy, CompiledPolicy]:
    """The default policy with its sector schemes, and the same without them."""
    bundle = default_bundle()
    return compiled_bundle(bundle), compile_policy(bundle.scoring, bundle.catalogue, 1)


def records(n: int, subjects: int, policy: CompiledPolicy) -> pa.Table:
    rng = np.random.default_rng(2026)
    kinds = np.array([*sorted(policy.kinds), "judgment_performed"])
    now = to_us(AS_OF)
    occurred = now - rng.integers(0, 4 * 365 * DAY_US, n)
    subject = rng.integers(0, subjects, n)
    return pa.table(
        {
            "position": np.arange(n, dtype=np.int64),
            "subject_kind": pa.array(["organisation"] * n),
            "subject_id": pa.array([f"O{i:08d}" for i in subject]),
            "kind": pa.array(kinds[rng.integers(0, len(kinds), n)]),
            "occurred_at_us": occurred,
            "recorded_at_us": occurred + rng.integers(0, 30 * DAY_US, n),
            "amount": rng.integers(0, 40, n),
        },
        schema=RECORDS_SCHEMA,
    )


def median_s(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--subjects", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with_s, without = policies()
    table = records(args.records, args.subjects, with_s)
    a = batch_scores_table(table, with_s, as_of=AS_OF)
    b = batch_scores_table(table, without, as_of=AS_OF)
    assert a.select(["subject_id", "total", "grade"]).equals(
        b.select(["subject_id", "total", "grade"])
    )
    print(f"load average before: {os.getloadavg()}")
    print(f"{args.records:,} records, {args.subjects:,} subjects, medians of {args.repeats}")
    duck = [
        median_s(lambda p=p: batch_scores_table(table, p, as_of=AS_OF), args.repeats)
        for p in (with_s, without)
    ]
    _, sid = np.unique(
        table.column("subject_id").to_numpy(zero_copy_only=False), return_inverse=True
    )
    kinds = table.column("kind").to_pylist()
    occurred = table.column("occurred_at_us").to_numpy()
    recorded = table.column("recorded_at_us").to_numpy()
    amount = table.column("amount").to_numpy()
    numpy = []
    for p in (with_s, without):
        kt = KindTable.of(p)
        codes = kt.encode(kinds)

        def run(kt: KindTable = kt, codes: np.ndarray = codes) -> object:
            return vector_evaluate(
                kt, sid, codes, amount, occurred, int(sid.max()) + 1, to_us(AS_OF),
                recorded_us=recorded, known_at_us=to_us(AS_OF),
            )  # fmt: skip

        numpy.append(median_s(run, args.repeats))
    rows = tuple(
        RecordRow(i, "organisation", "O1", k, int(o), int(r), int(m))
        for i, (k, o, r, m) in enumerate(zip(kinds[:100], occurred, recorded, amount, strict=False))
    )
    engine = [
        median_s(
            lambda p=p: [
                evaluate(p, rows, ("organisation", "O1"), AS_OF, AS_OF) for _ in range(100)
            ],
            args.repeats,
        )
        / 100
        for p in (with_s, without)
    ]
    for name, (ours, peer), unit in (
        ("DuckDB batch", duck, "s"),
        ("NumPy batch", numpy, "s"),
        ("engine, 100 records", [e * 1000 for e in engine], "ms"),
    ):
        print(f"{name:22s} with schemes {ours:8.3f} {unit}, without {peer:8.3f} {unit}, "
              f"ratio {ours / peer:.2f}")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
