"""The learned scorecard: accuracy against the true process, fitting time, and scoring cost.

1. **Accuracy and fitting time.** A seeded synthetic city of ``--subjects`` subjects
   (:mod:`socialcredit.demo._credit_outcomes`, default 1,000,000) is drawn; :func:`learn` fits
   the scorecard on the obligations originated before 2023-07-01 and validates it on the later
   ones. Printed: the fit's wall time (target < 120 s: features by the scoring definition,
   optimal binning, constrained regression, validation, fairness, reason codes for everyone),
   the out-of-time AUC of the published rules, and the AUC of the true probabilities of the
   data-generating process on the same obligations (target: within 0.02).
2. **Scoring cost with the learned rules** (the "peer" is the default bundle, same run,
   alternating): the workloads of ``bench_scoring.py`` (explain and score of a subject with
   100 records in a 15,000-resident city, and the live projection's apply + score) and of
   ``bench_batch_scoring.py`` (the DuckDB plan over ``--records`` records), each under the
   default bundle and under the scorecard's revision. Target: ratio <= 1.10.

    .venv/bin/python benchmarks/bench_scorecard.py [--subjects N] [--records N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sklearn.metrics import roc_auc_score

from socialcredit.demo import credit_city
from socialcredit.policy import PolicyBundle, default_bundle
from socialcredit.scorecard import from_city, learn
from socialcredit.scoring import compiled_bundle

AS_OF = datetime(2026, 1, 20, tzinfo=UTC)
SPLIT = datetime(2023, 7, 1, tzinfo=UTC)


def fit(subjects: int) -> PolicyBundle:
    base = default_bundle()
    t0 = time.perf_counter()
    city = credit_city(subjects, policy=base.scoring, catalogue=base.catalogue, seed=2026)
    t1 = time.perf_counter()
    learned = learn(from_city(city), base, as_of=AS_OF, split=SPLIT)
    t2 = time.perf_counter()
    oot = city.originated_us >= int(SPLIT.timestamp()) * 1_000_000
    truth = roc_auc_score(city.bad[oot], city.true_probability[oot])
    ours = learned.report["out_of_time"]["auc"]
    print(f"city: {subjects:,} subjects, {city.subject.size:,} records, "
          f"{city.obligor.size:,} obligations (drawn in {t1 - t0:.1f} s)")  # fmt: skip
    print(f"fit + validation: {t2 - t1:.1f} s (target < 120 s)")
    print(f"out-of-time AUC: learned rules {ours:.4f}, true process {truth:.4f}, "
          f"gap {truth - ours:.4f} (target <= 0.02)")  # fmt: skip
    print(f"PSI train vs current: {learned.report['psi_train_vs_current']}")
    for f in learned.report["features"]:
        print(f"  {f['feature']}: uppers {f['uppers']} points {f['points']}")
    return learned.bundle


def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def per_subject(scorecard: PolicyBundle) -> None:
    """bench_scoring.py's explain/score workloads under both bundles, alternating."""
    import bench_scoring as bs

    from socialcredit.catalogue import default_catalogue
    from socialcredit.demo._city import build_city
    from socialcredit.ingest import ingest_rows
    from socialcredit.ledger import Ledger, create_key_file
    from socialcredit.records import RecordIndex
    from socialcredit.scoring import explain, score
    from socialcredit.storage._sqlite import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.create(
            SQLiteStore(Path(tmp) / "l.db"), create_key_file(Path(tmp) / "k"), "bench/sc"
        )
        catalogue = default_catalogue()
        build_city(ledger, catalogue, residents=15_000, organisations=1_000, seed=1,
                   policy=default_bundle())  # fmt: skip
        ingest_rows(ledger, catalogue, enumerate(bs.subject_rows(100, 0), 1))
        index = RecordIndex.build(ledger)
        policies = {"default": compiled_bundle(default_bundle()),
                    "scorecard": compiled_bundle(scorecard)}  # fmt: skip
        now = datetime.now(UTC)
        found: dict[str, list[float]] = {f"{w} {p}": [] for w in ("explain", "score")
                                         for p in policies}  # fmt: skip
        for round_ in range(10):
            order = list(policies) if round_ % 2 == 0 else list(policies)[::-1]
            for name in order:
                p = policies[name]
                found[f"explain {name}"].append(median_ms(
                    lambda p=p: explain(index, "person", bs.SUBJECT, as_of=bs.AS_OF,
                                        known_at=now, policy=p), 20))  # fmt: skip
                found[f"score {name}"].append(median_ms(
                    lambda p=p: score(index, "person", bs.SUBJECT, as_of=bs.AS_OF,
                                      known_at=now, policy=p), 20))  # fmt: skip
        for work in ("explain", "score"):
            a = statistics.median(found[f"{work} default"])
            b = statistics.median(found[f"{work} scorecard"])
            print(f"{work} (100 records): default {a:.3f} ms, scorecard {b:.3f} ms, "
                  f"ratio {b / a:.3f} (target <= 1.10)")  # fmt: skip
        live_projection(ledger, policies)


def live_projection(ledger: Any, policies: dict[str, Any]) -> None:
    """bench_scoring.py's live projection: apply one appended record + score the subject,
    for a projection under each bundle (both follow the same appends)."""
    import bench_scoring as bs

    from socialcredit.catalogue import default_catalogue
    from socialcredit.ingest import ingest_rows
    from socialcredit.scoring._projection import LiveScores

    lives = {name: LiveScores.follow(ledger, p) for name, p in policies.items()}
    spent: dict[str, list[float]] = {name: [] for name in lives}
    timers = {}
    for name, live in lives.items():
        ledger.remove_listener(live.on_append)

        def timed(first: int, encoded: Any, live: Any = live, name: str = name) -> None:
            t = time.perf_counter()
            live.on_append(first, encoded)
            spent[name].append(time.perf_counter() - t)

        timers[name] = timed
        ledger.add_listener(timed)
    try:
        totals: dict[str, list[float]] = {name: [] for name in lives}
        for i in range(200):
            order = list(lives) if i % 2 == 0 else list(lives)[::-1]
            for name in order:  # who applies first alternates too
                ledger.remove_listener(timers[name])
                ledger.add_listener(timers[name])
            ingest_rows(ledger, default_catalogue(), [(1, bs.subject_rows(1, 300 + i)[0])])
            for name in order:
                t0 = time.perf_counter()
                lives[name].score("person", bs.SUBJECT)
                totals[name].append(spent[name][-1] + time.perf_counter() - t0)
        a = statistics.median(totals["default"]) * 1e3
        b = statistics.median(totals["scorecard"]) * 1e3
        print(f"live projection apply + score: default {a:.4f} ms, scorecard {b:.4f} ms, "
              f"ratio {b / a:.3f} (target <= 1.10)")  # fmt: skip
    finally:
        for timed in timers.values():
            ledger.remove_listener(timed)


def batch(scorecard: PolicyBundle, records: int, subjects: int) -> None:
    """bench_batch_scoring.py's DuckDB plan under both bundles, alternating."""
    import bench_batch_scoring as bb
    import duckdb

    from socialcredit.scoring._batch import batch_scores_table

    default = compiled_bundle(default_bundle())
    learned = compiled_bundle(scorecard)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "records.parquet"
        bb.write_records(source, records, subjects, default)
        times: dict[str, list[float]] = {"default": [], "scorecard": []}
        cpu: dict[str, list[float]] = {"default": [], "scorecard": []}
        con = duckdb.connect(config={"threads": 2, "memory_limit": "3GB"})
        for round_ in range(6):
            for name in ("default", "scorecard") if round_ % 2 == 0 else ("scorecard", "default"):
                policy = default if name == "default" else learned
                t0, c0 = time.perf_counter(), time.process_time()
                batch_scores_table(str(source), policy, as_of=bb.AS_OF, connection=con)
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
        for label, found in (("wall", times), ("CPU (all threads)", cpu)):
            a, b = statistics.median(found["default"]), statistics.median(found["scorecard"])
            print(f"DuckDB batch ({records:,} records, {subjects:,} subjects), {label}: "
                  f"default {a:.2f} s, scorecard {b:.2f} s, "
                  f"ratio {b / a:.3f} (target <= 1.10)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=20_000_000)
    parser.add_argument("--batch-subjects", type=int, default=1_000_000)
    args = parser.parse_args()
    scorecard = fit(args.subjects)
    per_subject(scorecard)
    batch(scorecard, args.records, args.batch_subjects)


if __name__ == "__main__":
    main()
