"""Batch scoring at scale: the DuckDB evaluator vs a hand-written DuckDB query, same data.

Writes N synthetic record rows for M subjects to Parquet (system temp dir; default 100 million
records for 1 million subjects, heavy-tailed: most subjects have few records), then scores
every subject with

* **ours**: :func:`socialcredit.scoring._batch.batch_scores_table`, the scoring definition's
  relational plan compiled from the default policy (:func:`~socialcredit.scoring._batch.
  relational_plan`), with exact integer types chosen per kind;
* **peer**: the query a DuckDB user would write by hand for the same policy — rules inlined as
  ``CASE`` constants, no joins (generated from the same compiled policy so it cannot drift).

Each run happens in its own process (so peak memory is per engine: ``ru_maxrss`` from
``wait4``), both with the same DuckDB settings (threads, memory limit). Results are checked
identical (both directions of ``EXCEPT``) before any timing counts. Medians over repeats.

    .venv/bin/python benchmarks/bench_batch_scoring.py [--records N] [--subjects M]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.policy import default_bundle
from socialcredit.scoring import CompiledPolicy, compile_policy
from socialcredit.timeutil import DAY_US, to_us

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
CHUNK = 5_000_000
NEUTRAL_KINDS = ("court_judgment_performed", "address_changed")


def write_records(path: Path, records: int, subjects: int, policy: CompiledPolicy) -> None:
    """``records`` seeded rows in Parquet row groups of :data:`CHUNK`."""
    rng = np.random.default_rng(2026)
    kinds = sorted(policy.kinds) + list(NEUTRAL_KINDS)
    kind_dictionary = pa.array(kinds)
    ids = pa.array([f"P{i:09d}" for i in range(subjects)])
    # Heavy tail: a Zipf-like weight per subject (most have few records, a few have many).
    weights = 1.0 / np.arange(1, subjects + 1) ** 0.6
    weights /= weights.sum()
    cumulative = np.cumsum(weights)
    as_of_us = to_us(AS_OF)
    schema = pa.schema(
        [
            ("position", pa.int64()),
            ("subject_kind", pa.string()),
            ("subject_id", pa.dictionary(pa.int32(), pa.string())),
            ("kind", pa.dictionary(pa.int32(), pa.string())),
            ("occurred_at_us", pa.int64()),
            ("recorded_at_us", pa.int64()),
            ("amount", pa.int64()),
        ]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, records, CHUNK):
            n = min(CHUNK, records - start)
            subject = np.searchsorted(cumulative, rng.random(n)).clip(0, subjects - 1)
            kind = rng.integers(0, len(kinds), n)
            occurred = as_of_us - rng.integers(0, 3 * 365 * DAY_US, n)
            recorded = occurred + rng.integers(0, 90 * DAY_US, n)
            amount = rng.integers(1, 50_000, n)
            batch = pa.record_batch(
                [
                    pa.array(np.arange(start, start + n, dtype=np.int64)),
                    pa.array(np.full(n, "person", dtype=object), pa.string()),
                    pa.DictionaryArray.from_arrays(pa.array(subject.astype(np.int32)), ids),
                    pa.DictionaryArray.from_arrays(
                        pa.array(kind.astype(np.int32)), kind_dictionary
                    ),
                    pa.array(occurred),
                    pa.array(recorded),
                    pa.array(amount),
                ],
                schema=schema,
            )
            writer.write_batch(batch)


def plain_policy() -> CompiledPolicy:
    """The default policy's total and grade (steps 1-6), without its sector grade schemes:
    the hand-written peer computes the total and the grade; what the schemes add is measured
    by ``bench_sector_grades.py``."""
    bundle = default_bundle()
    return compile_policy(bundle.scoring, bundle.catalogue, bundle.revision)


def hand_written_query(policy: CompiledPolicy, source: str) -> str:
    """The same scores as one hand-style query: constants inlined per kind, no joins."""

    def case(expression: str) -> str:
        arms = " ".join(
            f"WHEN '{k}' THEN {expression.format(t=t)}" for k, t in policy.kinds.items()
        )
        return f"CASE kind {arms} END"

    raw = (
        case("{t.points}")
        if all(t.per_unit == 0 for t in policy.kinds.values())
        else case(
            "CASE WHEN {t.per_unit} = 0 THEN {t.points} ELSE sign({t.per_unit}) * "
            "least(abs({t.per_unit}) * least(coalesce(amount, 0), {t.cap}), {t.cap}) END"
        )
    )
    expiry = case("{t.expiry_us}")
    linear = [k for k, t in policy.kinds.items() if t.linear]
    points = (
        "raw"
        if not linear
        else (
            "CASE WHEN kind IN (" + ", ".join(f"'{k}'" for k in linear) + ") THEN "
            "sign(raw) * ((abs(raw) * (occurred_at_us + expiry_us - $as_of)) // expiry_us) "
            "ELSE raw END"
        )
    )
    bands = " ".join(f"WHEN total >= {b.min} THEN '{b.grade}'" for b in policy.grades)
    return f"""
    WITH known AS (
        SELECT subject_kind, subject_id, kind, occurred_at_us, amount, {expiry} AS expiry_us
        FROM read_parquet('{source}') WHERE recorded_at_us <= $as_of
    ), scored AS (
        SELECT subject_kind, subject_id, kind, occurred_at_us, expiry_us,
               CASE WHEN occurred_at_us <= $as_of AND $as_of < occurred_at_us + expiry_us
                    THEN CAST({raw} AS HUGEINT) ELSE 0 END AS raw
        FROM known
    ), totals AS (
        SELECT subject_kind, subject_id,
               CAST(greatest({policy.low}, least({policy.high},
                    {policy.base} + coalesce(sum({points}), 0))) AS BIGINT) AS total
        FROM scored GROUP BY subject_kind, subject_id
    )
    SELECT subject_kind, subject_id, total, CASE {bands} END AS grade
    FROM totals ORDER BY subject_kind, subject_id
    """


def child(engine: str, source: str, out: str, threads: int, memory: str) -> None:
    """One scoring run in this (child) process; prints its wall time in seconds."""
    import duckdb

    from socialcredit.scoring._batch import batch_scores_table

    policy = plain_policy()
    con = duckdb.connect(config={"threads": threads, "memory_limit": memory})
    start = time.perf_counter()
    if engine == "ours":
        table = batch_scores_table(source, policy, as_of=AS_OF, connection=con)
    else:
        table = con.sql(hand_written_query(policy, source), params={"as_of": to_us(AS_OF)})
        table = table.to_arrow_table()
    elapsed = time.perf_counter() - start
    pq.write_table(table, out)
    print(f"{elapsed:.6f}")


def run_child(engine: str, source: Path, out: Path, threads: int, memory: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child run."""
    args = [
        sys.executable,
        __file__,
        "--child",
        engine,
        str(source),
        str(out),
        str(threads),
        memory,
    ]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{engine} run failed with status {process.returncode}")
    return float(output.strip().splitlines()[-1]), usage.ru_maxrss * 1024


def identical(first: Path, second: Path) -> bool:
    import duckdb

    con = duckdb.connect()
    a, b = f"read_parquet('{first}')", f"read_parquet('{second}')"
    differ = con.sql(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})")
    other = con.sql(f"SELECT count(*) FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a})")
    [(rows,)] = con.sql(f"SELECT count(*) FROM {a}").fetchall()
    print(f"  subjects scored: {rows:,}")
    return differ.fetchall() == [(0,)] and other.fetchall() == [(0,)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000_000)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args()
    policy = plain_policy()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "records.parquet"
        start = time.perf_counter()
        write_records(source, args.records, args.subjects, policy)
        size = source.stat().st_size
        print(
            f"{args.records:,} records for {args.subjects:,} subjects written in "
            f"{time.perf_counter() - start:.1f} s ({size / 2**30:.2f} GiB Parquet)"
        )
        outs = {e: Path(tmp) / f"{e}.parquet" for e in ("ours", "peer")}
        times: dict[str, list[float]] = {"ours": [], "peer": []}
        peaks: dict[str, int] = {"ours": 0, "peer": 0}
        for repeat in range(args.repeats):
            for engine in ("ours", "peer") if repeat % 2 == 0 else ("peer", "ours"):
                seconds, peak = run_child(
                    engine, source, outs[engine], args.threads, args.memory_limit
                )
                times[engine].append(seconds)
                peaks[engine] = max(peaks[engine], peak)
                print(
                    f"  run {repeat + 1} {engine}: {seconds:.2f} s, peak RSS {peak / 2**30:.2f} GiB"
                )
            if repeat == 0 and not identical(outs["ours"], outs["peer"]):
                raise SystemExit("results differ: timings do not count")
        ours, peer = statistics.median(times["ours"]), statistics.median(times["peer"])
        print(f"ours (plan compiled from the policy)           : median {ours:.2f} s")
        print(f"peer (hand-written DuckDB SQL, inlined rules):    median {peer:.2f} s")
        print(f"ratio ours / peer: {ours / peer:.2f} (target <= 1.5)")
        print(
            f"peak RSS: ours {peaks['ours'] / 2**30:.2f} GiB, peer {peaks['peer'] / 2**30:.2f} GiB "
            "(target < 4 GiB)"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    else:
        main()
