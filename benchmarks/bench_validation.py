"""Throughput of record validation: 200,000 typical CSV-style records, median of 3 runs.

Rows are read with ``csv.DictReader`` in chunks of 1,000, as an ingest would read them, and only
the validation of each chunk is timed, in CPU time of this process, so that other work on the
machine counts against it as little as possible.

Typical means: text values; subjects drawn from a pool of 20,000 persons and 5,000 organisations
(subjects repeat, as they do in real feeds); a distinct second-resolution timestamp per record;
each kind from a source whose authority kind may file it, with a reference of that kind's form
as evidence (checked against its pattern); an empty string for absent options. The memos are
cleared before every run, so each run starts cold. The last line times the ingest's own check
of the same rows (read as a CSV file by Arrow, checked by the column kernels and encoded to
canonical JSON).

    .venv/bin/python benchmarks/bench_validation.py
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.catalogue import default_catalogue, make_resident_id, make_uscc
from socialcredit.catalogue._identifiers import organisation_facts, person_facts
from socialcredit.catalogue._timestamps import parse_timestamp
from socialcredit.demo._filers import reference_of, source_of

N = 200_000
CATALOGUE = default_catalogue()
PERSON_KINDS = [
    ("loan_default", True),
    ("credit_card_default", True),
    ("fare_evasion", False),
    ("volunteering", True),
    ("tax_arrears", True),
    ("blood_donation", False),
]
ORG_KINDS = [
    ("wage_arrears", False),
    ("annual_report_not_filed", False),
    ("administrative_penalty_general", True),
    ("tax_arrears", True),
]


def make_records(n: int, seed: int = 7) -> list[dict[str, str]]:
    """Typical CSV rows: dicts of strings, '' for absent values."""
    rng = random.Random(seed)
    areas = ["110105", "310104", "440305", "510107", "371002"]
    persons = [
        make_resident_id(
            rng.choice(areas),
            date(1950, 1, 1) + timedelta(days=rng.randrange(18_000)),
            rng.randrange(1000),
        )
        for _ in range(20_000)
    ]
    orgs = [make_uscc(rng.choice(areas), i) for i in range(5_000)]
    start = datetime(2023, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        if rng.random() < 0.8:
            subject, subject_kind, (kind, has_amount) = (
                rng.choice(persons),
                "person",
                rng.choice(PERSON_KINDS),
            )
        else:
            subject, subject_kind, (kind, has_amount) = (
                rng.choice(orgs),
                "organisation",
                rng.choice(ORG_KINDS),
            )
        when = start + timedelta(seconds=rng.randrange(700 * 86_400))
        rows.append(
            {
                "subject_id": subject,
                "subject_kind": subject_kind,
                "kind": kind,
                "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source": source_of(CATALOGUE.kind(kind)).name,
                "amount": str(rng.randrange(1, 50_000)) if has_amount else "",
                "evidence": reference_of(CATALOGUE.kind(kind), when.year, 1 + i % 999_999),
                "idempotency_key": f"feed-{i % 7}-{i}",
            }
        )
    return rows


def to_csv(rows: list[dict[str, str]]) -> str:
    """The rows as CSV text with a header line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run(text: str, validate: Callable[..., object], now: datetime) -> tuple[float, float]:
    """CPU seconds spent validating, and in total, reading ``text`` in chunks of 1,000 rows."""
    for memo in (person_facts, organisation_facts, parse_timestamp):
        memo.clear()  # every run starts cold
    reader = csv.DictReader(io.StringIO(text))
    clock = time.process_time
    validating = 0.0
    began = clock()
    while chunk := list(itertools.islice(reader, 1_000)):
        start = clock()
        for row in chunk:
            validate(row, now=now)
        validating += clock() - start
    return validating, clock() - began


def main() -> None:
    catalogue = default_catalogue()
    text = to_csv(make_records(N))
    now = datetime(2025, 1, 1, tzinfo=UTC)
    validation, end_to_end = [], []
    for _ in range(3):
        validating, total = run(text, catalogue.validate, now)
        validation.append(N / validating)
        end_to_end.append(N / total)
    rate = statistics.median(validation)
    runs = ", ".join(f"{r:,.0f}" for r in validation)
    print(f"validation: median {rate:,.0f} records/s ({1e6 / rate:.2f} µs/record) over {N:,} rows,")
    print(f"  3 cold runs: {runs}")
    print(f"csv.DictReader + validation: median {statistics.median(end_to_end):,.0f} records/s")
    print(f"the same 1,000 rows 200 times over (all caches warm): {warm(text, now):,.0f} records/s")
    rates = [N / seconds for seconds in (run_columns(text) for _ in range(3))]
    rate = statistics.median(rates)
    print(
        f"ingest check of Arrow chunks (validate_arrays, 10,000 rows each, canonical JSON out): "
        f"median {rate:,.0f} records/s ({1e6 / rate:.2f} µs/record)"
    )


def run_columns(text: str) -> float:
    """CPU seconds the ingest check (Arrow column kernels, encoding included) spends on ``text``
    read as a CSV file in chunks of 10,000 rows; reading is not counted."""
    from socialcredit.ingest import read_chunks
    from socialcredit.ingest._checking import check_chunk

    catalogue = default_catalogue()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "records.csv"
        path.write_text(text)
        spent = 0.0
        for chunk in read_chunks(path, None, 10_000):
            start = time.process_time()
            checked = check_chunk(catalogue, chunk)
            spent += time.process_time() - start
            assert not checked.refused, checked.refused[:1]
    return spent


def warm(text: str, now: datetime) -> float:
    """Records/s validating 1,000 rows again and again: the floor the cold runs approach."""
    rows = list(itertools.islice(csv.DictReader(io.StringIO(text)), 1_000))
    validate = default_catalogue().validate
    rates = []
    for _ in range(3):
        began = time.process_time()
        for _ in range(200):
            for row in rows:
                validate(row, now=now)
        rates.append(200_000 / (time.process_time() - began))
    return statistics.median(rates)


if __name__ == "__main__":
    main()
