"""Benchmark of ``DecisionService.decide`` in process, at a million subjects.

Builds a seeded SQLite ledger in a temporary directory with one record per subject (5 % of
people are dishonest judgment debtors, 10 % have a civic award and are red-listed, a share of
organisations are on the abnormal operations list), builds the in-memory projection, then
times single decisions for random subjects and services. Each timed call includes building the
decision, its ``DecisionMade`` entry and handing it to the group-commit audit writer (which
appends in a background thread). In the same run it times a bare ``dict.get`` the same way,
as the floor. Then it measures the audit writer's sustained throughput (decisions submitted
as fast as possible until durable) and checks that every decision reached the ledger.

Target (issue 4): median under 0.2 ms including the audit entry, at 1 million subjects::

    .venv/bin/python benchmarks/bench_decide.py                       # 1 M subjects (~1-2 min)
    .venv/bin/python benchmarks/bench_decide.py --subjects 50000      # quick
    .venv/bin/python benchmarks/bench_decide.py --gc-freeze           # as a server would run
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.catalogue import default_catalogue, make_resident_id, make_uscc
from socialcredit.consequences import DecisionService
from socialcredit.demo._filers import reference_of, source_of
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger, create_key_file
from socialcredit.storage._sqlite import SQLiteStore

SERVICES = [
    "air_travel",
    "high_speed_rail_first_class",
    "luxury_hotel",
    "deposit_waiver",
    "government_procurement",
    "public_bidding",
    "inspection_frequency",
    "company_officer_appointment",
]
PERSON_KINDS = [("debtor_refuses_to_perform", 5), ("civic_award", 10), ("fare_evasion", 30),
                ("volunteering", 30), ("loan_default", 25)]  # fmt: skip
ORG_KINDS = [("annual_report_not_filed", 10), ("administrative_penalty_serious", 3),
             ("civic_award", 10), ("administrative_penalty_minor", 77)]  # fmt: skip
START_US = 1_735_689_600_000_000  # 2025-01-01: the ledger clock while filing
AT = datetime(2026, 1, 15, tzinfo=UTC)


def _person(i: int) -> str:
    return make_resident_id("110101", date(1950, 1, 1) + timedelta(days=i // 1000), i % 1000)


def _rows(subjects: int, seed: int) -> Iterator[tuple[int, dict[str, str]]]:
    rng = random.Random(seed)
    catalogue = default_catalogue()
    organisations = subjects // 20
    for i in range(subjects):
        org = i < organisations
        kinds = ORG_KINDS if org else PERSON_KINDS
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        row = {
            "subject_id": make_uscc("110000", i) if org else _person(i - organisations),
            "subject_kind": "organisation" if org else "person",
            "kind": kind,
            "occurred_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00Z",
            "source": source_of(catalogue.kind(kind)).name,
            "evidence": reference_of(catalogue.kind(kind), 2024, 1 + i % 999_999),
        }
        if catalogue.kind(kind).amount is not None:
            row["amount"] = "10"
        yield i, row


def build(directory: Path, subjects: int, seed: int) -> Ledger:
    clock = [START_US]
    ledger = Ledger.create(
        SQLiteStore(directory / "bench.db"), create_key_file(directory / "k.key"), "bench",
        lambda: clock[0],
    )  # fmt: skip
    started = time.perf_counter()
    summary = ingest_rows(ledger, default_catalogue(), _rows(subjects, seed), batch_size=20_000)
    print(f"ingested {summary.accepted:,} records in {time.perf_counter() - started:.1f} s")
    return ledger


def _percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] / 1000


def time_decisions(
    service: DecisionService, subjects: list[tuple[str, str]], n: int, seed: int
) -> list[int]:
    rng = random.Random(seed)
    picks = [(rng.choice(subjects), rng.choice(SERVICES)) for _ in range(n)]
    clock, decide, out = time.perf_counter_ns, service.decide, []
    for (kind, sid), svc in picks:
        t0 = clock()
        decide(kind, sid, svc, AT)
        out.append(clock() - t0)
    return out


def time_baseline(subjects: list[tuple[str, str]], n: int, seed: int) -> list[int]:
    table = {key: i for i, key in enumerate(subjects)}
    rng = random.Random(seed)
    picks = [rng.choice(subjects) for _ in range(n)]
    clock, get, out = time.perf_counter_ns, table.get, []
    for key in picks:
        t0 = clock()
        get(key)
        out.append(clock() - t0)
    return out


def writer_throughput(service: DecisionService, subjects: list[tuple[str, str]], n: int) -> float:
    service.flush()
    started = time.perf_counter()
    for i in range(n):
        kind, sid = subjects[i % len(subjects)]
        service.decide(kind, sid, "air_travel", AT)
    service.flush()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--throughput", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after building the projection, as a long-running server would, so "
        "the collector stops rescanning the million long-lived rows",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = build(Path(tmp), args.subjects, args.seed)
        started = time.perf_counter()
        service = DecisionService(ledger)
        subjects = service._index.subjects()
        listed = sum(1 for found in service._listings.values() if found)
        print(f"projection of {len(subjects):,} subjects ({listed:,} with listings) built in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        size_before = ledger.size()
        gc.collect()
        if args.gc_freeze:
            gc.freeze()
            print(f"gc.freeze(): {gc.get_freeze_count():,} objects moved out of collection")
        time_decisions(service, subjects, 2_000, args.seed + 1)  # warm up
        decide_ns = time_decisions(service, subjects, args.decisions, args.seed)
        base_ns = time_baseline(subjects, args.decisions, args.seed)
        median, baseline = statistics.median(decide_ns) / 1000, statistics.median(base_ns) / 1000
        print(f"decide (with audit entry), {args.decisions:,} calls: median {median:.1f} us, "
              f"p99 {_percentile(decide_ns, 0.99):.1f} us")  # fmt: skip
        base_p99 = _percentile(base_ns, 0.99)
        print(f"bare dict lookup baseline, same run:   median {baseline:.2f} us, "
              f"p99 {base_p99:.2f} us; decide/baseline = {median / baseline:.0f}x")  # fmt: skip
        print(f"target median < 200 us: {'met' if median < 200 else 'NOT met'}")
        rate = writer_throughput(service, subjects, args.throughput)
        print(f"audit writer sustained: {rate:,.0f} decisions/s decided and made durable "
              f"({service.writer.batches:,} batches so far)")  # fmt: skip
        service.close()
        written = ledger.size() - size_before
        expected = 2_000 + args.decisions + args.throughput
        print(f"DecisionMade entries written: {written:,} of {expected:,} decisions "
              f"({'all' if written == expected else 'MISSING'})")  # fmt: skip


if __name__ == "__main__":
    main()
