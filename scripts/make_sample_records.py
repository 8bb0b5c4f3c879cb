"""Rebuild ``socialcredit/demo/sample_records.csv``, the demo's shipped sample (seeded).

About 200 records over 40 residents and 10 organisations, drawn from the default catalogue,
plus a handful of rows the engine must refuse — a kind outside the catalogue, a record about a
minor, a time without a time zone, a fractional amount, a bad check character — so the demo
shows refusals next to accepted records.

    .venv/bin/python scripts/make_sample_records.py
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from socialcredit.catalogue import (  # noqa: E402
    RECORD_FIELDS,
    default_catalogue,
    make_resident_id,
    make_uscc,
)

FIELDS = list(RECORD_FIELDS)
SOURCES = {
    "judicial": "court:beijing-dongcheng",
    "finance": "bank:example-commercial",
    "tax": "tax-bureau:beijing",
    "market_regulation": "amr:beijing",
    "transport": "railway:beijing",
    "civic": "civil-affairs:dongcheng",
    "environment": "eco-env:beijing",
    "labour": "hrss:beijing",
}


def main() -> None:
    rng = random.Random(2026)
    catalogue = default_catalogue()
    people = [
        make_resident_id(
            "110101",
            date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            i,
        )
        for i in range(40)
    ]
    orgs = [make_uscc("110101", 1000 + i) for i in range(10)]
    rows = []
    for i in range(200):
        subject_kind = "organisation" if rng.random() < 0.3 else "person"
        kinds = [k for k in catalogue if subject_kind in k.subject_kinds]
        kind = rng.choice(kinds)
        row = {
            "subject_id": rng.choice(orgs if subject_kind == "organisation" else people),
            "subject_kind": subject_kind,
            "kind": kind.id,
            "occurred_at": f"202{3 + rng.randrange(3)}-{1 + rng.randrange(12):02d}-"
            f"{1 + rng.randrange(28):02d}T{rng.randrange(24):02d}:00:00+08:00",
            "source": SOURCES.get(kind.context, "agency:beijing"),
            "evidence": f"case-{2025_0000 + i}",
            "idempotency_key": f"sample-{i}",
        }
        if kind.amount is not None and (kind.amount.required or rng.random() < 0.5):
            row["amount"] = str(rng.choice([200, 500, 2000, 8000, 50_000]))
        if kind.evidence is None:
            del row["evidence"]
        rows.append(row)
    minor = make_resident_id("110101", date(2012, 6, 1), 7)
    bad = [
        {**rows[0], "kind": "church_attendance", "idempotency_key": "bad-1"},
        {
            **rows[1],
            "subject_id": minor,
            "subject_kind": "person",
            "kind": "fare_evasion",
            "amount": "",
            "idempotency_key": "bad-2",
        },
        {**rows[2], "occurred_at": "2025-02-30T10:00:00", "idempotency_key": "bad-3"},
        {
            **rows[3],
            "subject_id": people[0][:-1] + ("0" if people[0][-1] != "0" else "1"),
            "subject_kind": "person",
            "idempotency_key": "bad-4",
        },
        {
            **rows[4],
            "kind": "loan_default",
            "amount": "1200.50",
            "subject_kind": "person",
            "subject_id": people[1],
            "idempotency_key": "bad-5",
        },
    ]
    for offset, row in zip((17, 55, 93, 131, 170), bad, strict=True):
        rows.insert(offset, row)
    target = ROOT / "socialcredit" / "demo" / "sample_records.csv"
    with target.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {target}")


if __name__ == "__main__":
    main()
