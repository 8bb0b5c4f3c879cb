"""Rebuild ``socialcredit/demo/sample_records.csv``, the demo's shipped sample.

About 200 records over 40 residents and 10 organisations, each filed by a source whose authority
kind may establish it, with evidence in that authority kind's reference form
(``socialcredit/demo/_filers.py``), plus a handful of rows the engine must refuse — a kind
outside the catalogue, a record about a minor, a time without a time zone, a fractional amount,
a bad check character, and the smuggling attempts: a prohibited ground in prose evidence from a
source that is no authority (``church:st-mary``: ``religion catholic; location 39.9,116.4``),
prose evidence from a court, a mobile number as evidence, a transport operator filing a court
enforcement, a court case number filed as a fare invoice — so the demo shows refusals next to
accepted records.

The output is a function of the seed alone: with the default seed a run rewrites the committed
file byte for byte (``tests/test_sample_records.py``). Records are drawn from the fixed list
:data:`SAMPLE_KINDS`, not from whatever the catalogue holds today, so kinds added to the catalogue
later do not change the sample.

    .venv/bin/python scripts/make_sample_records.py [--out PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from socialcredit.catalogue import (  # noqa: E402
    RECORD_FIELDS,
    RecordKind,
    default_catalogue,
    make_resident_id,
    make_uscc,
)
from socialcredit.demo._filers import reference_of, source_of  # noqa: E402

DEFAULT_OUT = ROOT / "socialcredit" / "demo" / "sample_records.csv"
DEFAULT_SEED = 2026
FIELDS = list(RECORD_FIELDS)
# Where the refused rows go among the 200 drawn ones (each offset counts the rows before it).
REFUSED_AT = (9, 17, 36, 55, 74, 93, 112, 131, 150, 170)
# The kinds the sample draws from, in this order: the default catalogue as it was when the sample
# was first made. Drawing from the live catalogue instead made every added kind reshuffle the file.
SAMPLE_KINDS = (
    "debtor_refuses_to_perform",
    "debtor_obstructs_enforcement",
    "debtor_evades_enforcement",
    "debtor_breaches_asset_reporting",
    "debtor_breaches_consumption_restriction",
    "debtor_refuses_enforcement_settlement",
    "judgment_performed",
    "inability_to_pay_declared",
    "loan_default",
    "credit_card_default",
    "overdue_debt_settled",
    "tax_arrears",
    "tax_evasion",
    "false_vat_invoices",
    "a_grade_taxpayer",
    "administrative_penalty_minor",
    "administrative_penalty_general",
    "administrative_penalty_serious",
    "annual_report_not_filed",
    "registered_address_unreachable",
    "product_quality_violation",
    "food_safety_violation",
    "false_advertising",
    "environmental_violation",
    "wage_arrears",
    "social_insurance_arrears",
    "fare_evasion",
    "serious_traffic_offence",
    "volunteering",
    "blood_donation",
    "charitable_donation",
    "civic_award",
)


def build_rows(seed: int) -> list[dict[str, str]]:
    """The sample's rows, accepted and refused, in file order; the same seed gives the same rows.

    Raises:
        NotFoundError: if a kind of :data:`SAMPLE_KINDS` is no longer in the default catalogue.
    """
    rng = random.Random(seed)
    catalogue = default_catalogue()
    pool = [catalogue.kind(kind_id) for kind_id in SAMPLE_KINDS]
    people = [
        make_resident_id(
            "110101",
            date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            i,
        )
        for i in range(40)
    ]
    orgs = [make_uscc("110101", 1000 + i) for i in range(10)]
    rows = [_draw_row(rng, i, pool, people, orgs) for i in range(200)]
    for offset, row in zip(REFUSED_AT, _refused_rows(rows, people), strict=True):
        rows.insert(offset, row)
    return rows


def _draw_row(
    rng: random.Random, i: int, pool: list[RecordKind], people: list[str], orgs: list[str]
) -> dict[str, str]:
    subject_kind = "organisation" if rng.random() < 0.3 else "person"
    kind = rng.choice([k for k in pool if subject_kind in k.subject_kinds])
    subject_id = rng.choice(orgs if subject_kind == "organisation" else people)
    occurred_at = (
        f"202{3 + rng.randrange(3)}-{1 + rng.randrange(12):02d}-"
        f"{1 + rng.randrange(28):02d}T{rng.randrange(24):02d}:00:00+08:00"
    )
    row = {
        "subject_id": subject_id,
        "subject_kind": subject_kind,
        "kind": kind.id,
        "occurred_at": occurred_at,
        "source": source_of(kind).name,
        "evidence": reference_of(kind, int(occurred_at[:4]), 1 + i),
        "idempotency_key": f"sample-{i}",
    }
    if kind.amount is not None and (kind.amount.required or rng.random() < 0.5):
        row["amount"] = str(rng.choice([200, 500, 2000, 8000, 50_000]))
    if kind.evidence is None:
        del row["evidence"]
    return row


def _refused_rows(rows: list[dict[str, str]], people: list[str]) -> list[dict[str, str]]:
    """Ten rows the engine must refuse, each a copy of an accepted row with something wrong."""
    minor = make_resident_id("110101", date(2012, 6, 1), 7)
    return [
        *_first_refused(rows, people, minor),
        *_smuggling(rows, people),
    ]


def _first_refused(
    rows: list[dict[str, str]], people: list[str], minor: str
) -> list[dict[str, str]]:
    """A kind outside the catalogue, a minor, a time without a zone, a bad check character,
    a fractional amount."""
    return [
        {**rows[0], "kind": "church_attendance", "idempotency_key": "bad-1"},
        {
            **rows[1],
            "subject_id": minor,
            "subject_kind": "person",
            "kind": "fare_evasion",
            "source": "transport_operator:beijing-railway",
            "amount": "",
            "evidence": "",
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
            "source": "creditor_under_contract:example-commercial-bank",
            "amount": "1200.50",
            "evidence": "",
            "subject_kind": "person",
            "subject_id": people[1],
            "idempotency_key": "bad-5",
        },
    ]


def _smuggling(rows: list[dict[str, str]], people: list[str]) -> list[dict[str, str]]:
    """Free text and borrowed authority: what a record's evidence and source may not carry."""
    person = {"subject_kind": "person", "subject_id": people[2], "amount": ""}
    fare = {**person, "kind": "fare_evasion", "source": "transport_operator:beijing-railway"}
    return [
        {
            **rows[5],
            **person,
            "kind": "debtor_refuses_to_perform",
            "source": "church:st-mary",
            "evidence": "religion catholic; location 39.9,116.4",
            "idempotency_key": "bad-6",
        },
        {
            **rows[6],
            **person,
            "kind": "debtor_refuses_to_perform",
            "source": "court:beijing-dongcheng",
            "evidence": "refuses to pay; seen at the mosque on Fridays",
            "idempotency_key": "bad-7",
        },
        {
            **rows[7],
            **person,
            "kind": "loan_default",
            "source": "creditor_under_contract:example-commercial-bank",
            "amount": "5000",
            "evidence": "13812345678",
            "idempotency_key": "bad-8",
        },
        {
            **rows[8],
            **fare,
            "kind": "debtor_refuses_to_perform",
            "evidence": "E202400012345",
            "idempotency_key": "bad-9",
        },
        {**rows[9], **fare, "evidence": "(2024)京0105执1234号", "idempotency_key": "bad-10"},
    ]


def write_rows(rows: list[dict[str, str]], target: Path) -> None:
    """Write ``rows`` as CSV with the catalogue's record fields as header (``\\r\\n`` line ends)."""
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, build the sample and write it; returns the exit status."""
    parser = argparse.ArgumentParser(
        description="Rebuild the demo's sample records CSV (deterministic for a given seed)."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="where to write the CSV (default: the committed %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="random seed; the default reproduces the committed file (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    rows = build_rows(args.seed)
    write_rows(rows, args.out)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
