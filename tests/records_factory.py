"""Valid (and deliberately invalid) input rows built from the default catalogue.

Each kind is filed by a source whose authority kind may establish it, with evidence in that
authority kind's reference form (the demo's filers, :mod:`socialcredit.demo._filers`).
"""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path
from typing import Any

from socialcredit.catalogue import RECORD_FIELDS, default_catalogue, make_resident_id, make_uscc
from socialcredit.demo._filers import reference_of, source_of

FIELDS = list(RECORD_FIELDS)


def person(i: int) -> str:
    return make_resident_id("110101", date(1960 + i % 40, 1 + i % 12, 1 + i % 28), i % 1000)


def organisation(i: int) -> str:
    return make_uscc("110000", i)


def valid_rows(n: int, *, seed: int = 0, keys: str | None = "row") -> list[dict[str, Any]]:
    """``n`` valid records over a few hundred subjects, with idempotency keys ``{keys}-{i}``."""
    rng = random.Random(seed)
    kinds = list(default_catalogue())
    rows = []
    for i in range(n):
        kind = rng.choice(kinds)
        subject_kind = rng.choice([s.value for s in kind.subject_kinds])
        number = rng.randrange(300)
        row: dict[str, Any] = {
            "subject_id": person(number) if subject_kind == "person" else organisation(number),
            "subject_kind": subject_kind,
            "kind": kind.id,
            "occurred_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:30:00Z",
            "source": source_of(kind).name,
        }
        if kind.amount is not None:
            row["amount"] = str(100 + rng.randrange(100_000))
        if kind.evidence is not None:
            row["evidence"] = reference_of(kind, 2025, 1 + i % 999_999)
        if keys is not None:
            row["idempotency_key"] = f"{keys}-{i}"
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path
