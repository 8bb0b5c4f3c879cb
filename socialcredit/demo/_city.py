"""The synthetic city: a seeded population of residents and organisations with three years of
conduct records drawn from the catalogue, filed month by month into the ledger.

Heterogeneity follows the real systems' shape: most residents have no or few records and a
small share accumulates many (a gamma-Poisson mixture); organisations get administrative
penalties by tier, court judgments and annual-report lapses, and a few are exemplary. Records
are filed in monthly batches with the ledger clock at the end of each month, so ledger time
(``recorded_at``) runs behind conduct time (``occurred_at``) as it does in reality, and the city
can be scored bitemporally. Each kind is filed by a source whose authority kind may establish
it, with evidence in that authority kind's reference form (:mod:`.filers`).

Rates are illustrative (REFERENCE.md gives the real systems' structure, not per-capita rates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from ..catalogue import Catalogue, make_resident_id, make_uscc
from ..ingest import ingest_rows
from ..ledger import Ledger
from ..policy import PolicyBundle, publish
from ._filers import reference_of, source_of

__all__ = ["ORGANISATION_KINDS", "PERSON_KINDS", "CitySummary", "build_city"]

# Relative frequency of each kind among a subject's records (illustrative weights).
PERSON_KINDS: dict[str, float] = {
    "fare_evasion": 20,
    "serious_traffic_offence": 4,
    "loan_default": 10,
    "credit_card_default": 10,
    "overdue_debt_settled": 6,
    "tax_arrears": 3,
    "administrative_penalty_minor": 8,
    "administrative_penalty_general": 3,
    "debtor_refuses_to_perform": 2,
    "debtor_breaches_consumption_restriction": 0.5,
    "judgment_performed": 1.5,
    "volunteering": 15,
    "blood_donation": 8,
    "charitable_donation": 6,
    "civic_award": 1,
}
ORGANISATION_KINDS: dict[str, float] = {
    "administrative_penalty_minor": 20,
    "administrative_penalty_general": 10,
    "administrative_penalty_serious": 2,
    "annual_report_not_filed": 8,
    "registered_address_unreachable": 3,
    "product_quality_violation": 4,
    "food_safety_violation": 1,
    "false_advertising": 3,
    "environmental_violation": 3,
    "wage_arrears": 2,
    "social_insurance_arrears": 3,
    "tax_arrears": 4,
    "debtor_refuses_to_perform": 2,
    "judgment_performed": 1.5,
    "a_grade_taxpayer": 6,
    "charitable_donation": 2,
    "civic_award": 1,
}
DISTRICTS = (
    "110101",
    "110102",
    "110105",
    "110106",
    "110107",
    "110108",
    "110109",
    "110111",
    "110112",
    "110113",
    "110114",
    "110115",
    "110116",
    "110117",
)
_AMOUNTS = {"CNY": (200, 200_000), "hours": (1, 40), "ml": (200, 400)}


@dataclass(frozen=True, slots=True)
class CitySummary:
    """What :func:`build_city` made."""

    residents: int
    organisations: int
    records: int
    refused: int
    seconds: float


def build_city(
    ledger: Ledger,
    catalogue: Catalogue,
    *,
    residents: int = 100_000,
    organisations: int = 5_000,
    years: int = 3,
    end: date = date(2026, 11, 1),
    seed: int = 2026,
    policy: PolicyBundle | None = None,
    on_month: Callable[[date, int], None] | None = None,
) -> CitySummary:
    """Generate the city (seeded) and file its records into ``ledger``, month by month.

    The ledger's clock is set to the end of each month while that month's records are filed,
    and ``policy``, if given, is published at the start of the history as the ledger's
    genesis: it takes effect at once, under the operator's default governance (or the
    governance already recorded, whose signatures it then needs). On an empty ledger the
    result — entries, times and root — depends only on the arguments and the ledger's key
    (which the genesis governance names).

    Raises:
        ValueError: if a size is negative or ``years`` is not positive.
        PublicationRefusedError: if ``policy`` is given and the ledger is past its genesis
            (it would need signatures, notice and an assessment); nothing is written.
    """
    if residents < 0 or organisations < 0 or years < 1:
        raise ValueError("residents and organisations must be >= 0 and years >= 1")
    started = datetime.now(UTC)
    rng = np.random.default_rng(seed)
    start = end.replace(year=end.year - years)
    people = city_people(rng, residents, start)
    firms = [make_uscc(DISTRICTS[i % len(DISTRICTS)], 10_000 + i) for i in range(organisations)]
    rows = [
        *city_records(rng, people, "person", PERSON_KINDS, 0.9, catalogue, start, end),
        *city_records(rng, firms, "organisation", ORGANISATION_KINDS, 6.0, catalogue, start, end),
    ]
    rows.sort(key=lambda row: row["occurred_at"])
    filed = refused = 0
    saved_clock = ledger.clock
    try:
        if policy is not None:
            ledger.clock = _clock_at(start)
            publish(ledger, policy)
        for filed_at, batch in _by_filing_month(rows):
            ledger.clock = _clock_at(filed_at)
            summary = ingest_rows(ledger, catalogue, enumerate(batch, filed + refused + 1))
            filed += summary.accepted
            refused += summary.refused
            if on_month is not None:
                on_month(filed_at, filed)
    finally:
        ledger.clock = saved_clock
    seconds = (datetime.now(UTC) - started).total_seconds()
    return CitySummary(residents, organisations, filed, refused, seconds)


def _clock_at(moment: date) -> Callable[[], int]:
    """A ledger clock stopped at ``moment`` (never later than now: ledger time is real)."""
    at = min(datetime.combine(moment, datetime.min.time(), UTC), datetime.now(UTC))
    us = int(at.timestamp()) * 1_000_000
    return lambda: us


def city_people(rng: np.random.Generator, count: int, start: date) -> list[str]:
    """Distinct adult residents' identity numbers (adults throughout the three years)."""
    out: set[str] = set()
    latest_birth = start.replace(year=start.year - 19)
    while len(out) < count:
        need = count - len(out)
        ages = rng.integers(0, 60 * 365, need)
        seqs = rng.integers(0, 1000, need)
        areas = rng.integers(0, len(DISTRICTS), need)
        for age, seq, area in zip(ages, seqs, areas, strict=True):
            birth = latest_birth - timedelta(days=int(age))
            out.add(make_resident_id(DISTRICTS[area], birth, int(seq)))
    return sorted(out)[:count]


def city_records(
    rng: np.random.Generator,
    subjects: list[str],
    subject_kind: str,
    weights: dict[str, float],
    mean: float,
    catalogue: Catalogue,
    start: date,
    end: date,
) -> Iterator[dict[str, Any]]:
    """Each subject's records: a gamma-Poisson count (most few, some many), kinds by weight."""
    kinds = list(weights)
    probabilities = np.array([weights[k] for k in kinds]) / sum(weights.values())
    propensity = rng.gamma(shape=0.35, scale=mean / 0.35, size=len(subjects))
    counts = rng.poisson(propensity)
    span = (end - start).days * 86_400
    for subject, count in zip(subjects, counts, strict=True):
        for kind_index in rng.choice(len(kinds), size=int(count), p=probabilities):
            kind = catalogue.kind(kinds[kind_index])
            when = datetime.combine(start, datetime.min.time(), UTC) + timedelta(
                seconds=int(rng.integers(0, span))
            )
            row: dict[str, Any] = {
                "subject_id": subject,
                "subject_kind": subject_kind,
                "kind": kind.id,
                "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source": source_of(kind).name,
            }
            if kind.amount is not None and (kind.amount.required or rng.random() < 0.5):
                low, high = _AMOUNTS.get(kind.amount.unit or "CNY", (1, 1000))
                row["amount"] = str(int(rng.integers(low, high)))
            if kind.evidence is not None:
                row["evidence"] = reference_of(kind, when.year, int(rng.integers(1, 99_999)))
            yield row


def _by_filing_month(rows: list[dict[str, Any]]) -> Iterator[tuple[date, list[dict[str, Any]]]]:
    """Rows grouped by the month they are filed in: the end of the month they occurred in."""
    batch: list[dict[str, Any]] = []
    month = ""
    for row in rows:
        if row["occurred_at"][:7] != month and batch:
            yield month_end(month), batch
            batch = []
        month = row["occurred_at"][:7]
        batch.append(row)
    if batch:
        yield month_end(month), batch


def month_end(month: str) -> date:
    """The first day of the month after ``month`` (``YYYY-MM``): when that month is filed."""
    year, number = int(month[:4]), int(month[5:7])
    return date(year + number // 12, number % 12 + 1, 1)
