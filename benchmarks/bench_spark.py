"""Batch scoring on Spark ``local[2]`` against DuckDB, on the same 10 million record rows.

Writes seeded synthetic record rows (the Parquet ``records/`` layout of an export: the
:class:`~socialcredit.records.RecordRow` columns) to the system temp dir, then scores
every subject with the same compiled policy (the default bundle with linear decay for the
minor and positive tiers, so every step of the definition runs):

* **DuckDB**: :func:`batch_scores_table` reading the Parquet file itself;
* **Spark local[2]**: :func:`spark_scores` over :func:`read_parquet_records`.

Both return every subject's total and grade as an Arrow table sorted by subject (no Python
object per subject), checked equal before any timing counts. Spark's
start-up (JVM and session) is timed and reported separately; each engine then runs
``--repeat`` times (default 5) and the medians and their ratio are printed.

    .venv/bin/python benchmarks/bench_spark.py [--rows 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.catalogue import default_catalogue
from socialcredit.policy._scoring import check_scoring
from socialcredit.scoring import CompiledPolicy, compile_policy
from socialcredit.scoring._batch import batch_scores_table
from socialcredit.scoring._spark import read_parquet_records, spark_scores, spark_session
from socialcredit.timeutil import to_us

START = datetime(2023, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
DAY_US = 86_400_000_000
_T = TypeVar("_T")
_DEFAULT = resources.files("socialcredit").joinpath("policy/default")


def policy() -> CompiledPolicy:
    """The shipped scoring rules with linear decay on the minor and positive tiers."""
    catalogue = default_catalogue()
    doc = yaml.safe_load(_DEFAULT.joinpath("scoring.yaml").read_text(encoding="utf-8"))
    doc["tiers"].update(
        minor={"expiry": "3m", "decay": "linear"}, positive={"expiry": "1y", "decay": "linear"}
    )
    checked, problems = check_scoring(doc, catalogue)
    assert checked is not None, problems
    return compile_policy(checked, catalogue)


def synthetic_records(rows: int, seed: int = 20261127) -> pa.Table:
    """``rows`` seeded record rows over ``rows // 20`` subjects and every catalogue kind."""
    rng = np.random.default_rng(seed)
    subjects = max(1, rows // 20)
    subject = rng.integers(0, subjects, rows)
    kinds = sorted(default_catalogue().kinds)
    occurred = to_us(START) + rng.integers(0, 4 * 365 * DAY_US, rows)
    amount = rng.integers(0, 61, rows)
    ids = pc.binary_join_element_wise(pa.scalar("P"), pc.cast(pa.array(subject), pa.string()), "")
    return pa.table(
        {
            "position": pa.array(np.arange(rows, dtype=np.int64)),
            "subject_kind": pa.array(np.where(subject % 10 == 0, "organisation", "person")),
            "subject_id": ids,
            "kind": pa.array(np.array(kinds)[rng.integers(0, len(kinds), rows)]),
            "occurred_at_us": pa.array(occurred),
            "recorded_at_us": pa.array(occurred + rng.integers(0, 60 * DAY_US, rows)),
            "amount": pa.array(amount, mask=rng.random(rows) < 0.5),
        }
    )


def timed(run: Callable[[], _T]) -> tuple[float, _T]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compiled = policy()
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        path = str(Path(tmp) / "records.parquet")
        made, table = timed(lambda: synthetic_records(args.rows))
        pq.write_table(table, path, row_group_size=1_000_000)
        del table
        size = Path(path).stat().st_size
        print(
            f"{args.rows:,} record rows written to Parquet in {made:.1f} s: "
            f"{size / 1e6:.0f} MB, {size / args.rows:.1f} bytes per record"
        )

        def duck() -> pa.Table:
            return batch_scores_table(path, compiled, as_of=AS_OF)

        startup, spark = timed(lambda: spark_session("local[2]", driver_memory="3g"))
        print(f"Spark local[2] start-up (JVM + session), excluded below: {startup:.2f} s")

        def on_spark() -> pa.Table:
            frame = read_parquet_records(spark, path)
            return spark_scores(spark, frame, compiled, as_of=AS_OF)

        first_duck, expected = timed(duck)
        first_spark, got = timed(on_spark)
        if got.to_pylist() != expected.to_pylist():
            raise SystemExit("Spark and DuckDB disagree; no timing counts")
        print(
            f"identical results: {expected.num_rows:,} subjects scored by both "
            f"(first runs: DuckDB {first_duck:.2f} s, Spark {first_spark:.2f} s)"
        )
        duck_times = [timed(duck)[0] for _ in range(args.repeat)]
        spark_times = [timed(on_spark)[0] for _ in range(args.repeat)]
        spark.stop()
    d, s = statistics.median(duck_times), statistics.median(spark_times)
    print(f"DuckDB batch:   median {d:.2f} s of {args.repeat} ({args.rows / d / 1e6:.1f} M rows/s)")
    print(f"Spark local[2]: median {s:.2f} s of {args.repeat} ({args.rows / s / 1e6:.1f} M rows/s)")
    print(f"Spark / DuckDB: {s / d:.2f}x (target <= 3.5x)")


if __name__ == "__main__":
    main()
