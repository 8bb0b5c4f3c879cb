"""A synthetic city of credit obligations whose outcomes follow a known data-generating process.

The learned scorecard (:mod:`socialcredit.scorecard`) can only be checked against a truth, so
this generator writes one down. Seeded, column-wise (a million subjects in seconds):

1. **Subjects.** Residents and organisations (``organisation_share``), each with an age band
   and a district (for the fairness report only: never a feature, never in the outcome) and a
   latent propensity ``lam ~ Gamma(0.6, 1)``.
2. **History.** Each subject's own records of the kinds in :data:`HISTORY_KINDS` arrive as a
   Poisson process at ``rate * lam`` per year (positive kinds at ``rate / (0.5 + lam)``) over
   :data:`HISTORY_START` .. :data:`HISTORY_END`, each filed 0-30 days after it occurred.
   Kinds the scorecard may not use (transport, civic) are drawn too, as distractors.
3. **Obligations.** About one per subject, originated uniformly in
   :data:`ORIGINATION_START` .. :data:`ORIGINATION_END`.
4. **Outcomes (the DGP).** With ``c_k`` the number of the subject's records of kind ``k``
   known at origination (``recorded_at <= t``) and active then (``occurred_at <= t <
   occurred_at + expiry_k``, the kind's tier expiry in ``policy``: what a binned rule counts),
   ``P(bad) = sigmoid(INTERCEPT + sum_k WEIGHT_k * log1p(c_k))``. A bad outcome is 90 days
   past due (40 %) or a default (60 %). Nothing else enters: so the Bayes-optimal score on
   these features is the true probability, and :attr:`CreditCity.true_probability` gives it.
   The creditor reports the outcome at the end of the 12-month performance period.

Nothing here writes a ledger; :func:`credit_city_rows` gives ingestible rows of a small city.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from socialcredit.catalogue import Catalogue, make_resident_id, make_uscc
from socialcredit.demo._filers import reference_of, source_of
from socialcredit.policy import ScoringPolicy
from socialcredit.timeutil import DAY_US, to_us

__all__ = [
    "HISTORY_KINDS",
    "OUTCOME_KINDS",
    "PERFORMANCE_DAYS",
    "CreditCity",
    "credit_city",
    "credit_city_rows",
]

US_PER_DAY = DAY_US
PERFORMANCE_DAYS = 365
HISTORY_START = datetime(2019, 1, 1, tzinfo=UTC)
HISTORY_END = datetime(2026, 1, 1, tzinfo=UTC)
ORIGINATION_START = datetime(2021, 1, 1, tzinfo=UTC)
ORIGINATION_END = datetime(2025, 1, 1, tzinfo=UTC)
#: Outcome codes, as record kinds (0 good; 1 and 2 bad).
OUTCOME_KINDS = ("obligation_repaid_on_time", "obligation_90_days_past_due", "obligation_defaulted")
INTERCEPT = -3.4
#: kind: (records per year at lam = 1, weight in the outcome, person, organisation).
HISTORY_KINDS: dict[str, tuple[float, float, bool, bool]] = {
    "loan_default": (0.25, 1.6, True, True),
    "credit_card_default": (0.35, 1.2, True, False),
    "tax_arrears": (0.12, 1.0, True, True),
    "debtor_refuses_to_perform": (0.05, 1.8, True, True),
    "administrative_penalty_minor": (0.30, 0.6, True, True),
    "a_grade_taxpayer": (0.6, -1.2, False, True),
    "fare_evasion": (0.5, 0.0, True, False),
    "volunteering": (0.4, 0.0, True, False),
}
_AGE_BANDS = np.array(["18-29", "30-44", "45-59", "60+"], dtype=object)
_DISTRICTS = np.array(["110101", "110102", "110105", "110106", "110107", "110108"], dtype=object)


@dataclass(frozen=True, eq=False)
class CreditCity:
    """Subjects, their records and their obligations, as arrays (dense subject numbers).

    Attributes:
        seed: the seed it was drawn with.
        organisation: per subject, whether it is an organisation.
        age_band, region: per subject, the fairness groups (organisations: age band "").
        kinds: the record kind ids; ``kind`` indexes them.
        subject, kind, occurred_us, recorded_us, amount: one entry per record.
        obligor, originated_us, outcome, reported_us, principal: one entry per obligation
            (``outcome`` indexes :data:`OUTCOME_KINDS`).
        true_probability: per obligation, P(bad) under the DGP.
    """

    seed: int
    organisation: np.ndarray
    age_band: np.ndarray
    region: np.ndarray
    kinds: tuple[str, ...]
    subject: np.ndarray
    kind: np.ndarray
    occurred_us: np.ndarray
    recorded_us: np.ndarray
    amount: np.ndarray
    obligor: np.ndarray
    originated_us: np.ndarray
    outcome: np.ndarray
    reported_us: np.ndarray
    principal: np.ndarray
    true_probability: np.ndarray

    @property
    def size(self) -> int:
        """Number of subjects."""
        return int(self.organisation.size)

    @property
    def bad(self) -> np.ndarray:
        """Per obligation, whether its outcome was bad (90 days past due or default)."""
        return self.outcome > 0


def credit_city(
    subjects: int, *, policy: ScoringPolicy, catalogue: Catalogue, seed: int = 7,
    organisation_share: float = 0.05,
) -> CreditCity:  # fmt: skip
    """Draw a city of ``subjects`` (see the module docstring for the process).

    Args:
        subjects: number of subjects (> 0).
        policy, catalogue: the scoring policy whose tiers say how long each kind counts.
        seed: the random seed (everything is reproducible from it).
        organisation_share: the share of subjects that are organisations.

    Raises:
        ValueError: if ``subjects`` < 1, the share is outside [0, 1], or a kind of
            :data:`HISTORY_KINDS` is missing from ``catalogue`` or carries no tier.
    """
    if subjects < 1 or not 0 <= organisation_share <= 1:
        raise ValueError("subjects must be >= 1 and organisation_share within [0, 1]")
    expiry = _expiries(policy, catalogue)
    rng = np.random.default_rng(seed)
    organisation = rng.random(subjects) < organisation_share
    lam = rng.gamma(0.6, 1.0, subjects)
    age_band = np.where(organisation, "", _AGE_BANDS[rng.integers(0, 4, subjects)])
    region = _DISTRICTS[rng.integers(0, _DISTRICTS.size, subjects)]
    history = _history(rng, organisation, lam)
    obligor, originated = _obligations(rng, subjects)
    counts = _known_active_counts(history, expiry, obligor, originated)
    weights = np.array([HISTORY_KINDS[k][1] for k in HISTORY_KINDS])
    logit = INTERCEPT + np.log1p(counts) @ weights
    probability = 1.0 / (1.0 + np.exp(-logit))
    bad = rng.random(obligor.size) < probability
    outcome = np.where(bad, np.where(rng.random(obligor.size) < 0.4, 1, 2), 0).astype(np.int8)
    reported = (
        originated + PERFORMANCE_DAYS * US_PER_DAY + rng.integers(0, 15, obligor.size) * US_PER_DAY
    )
    principal = (rng.lognormal(10.0, 1.0, obligor.size)).astype(np.int64)
    return CreditCity(
        seed, organisation, age_band, region, tuple(HISTORY_KINDS), *history,
        obligor, originated, outcome, reported, principal, probability,
    )  # fmt: skip


def _expiries(policy: ScoringPolicy, catalogue: Catalogue) -> np.ndarray:
    out = []
    for kind in HISTORY_KINDS:
        record_kind = catalogue.kinds.get(kind)
        tier = None if record_kind is None else policy.tier(record_kind.gravity)
        if tier is None:
            raise ValueError(f"history kind {kind!r} is not a scored kind of the catalogue")
        out.append(tier.expiry_days * US_PER_DAY)
    return np.array(out, dtype=np.int64)


def _history(
    rng: np.random.Generator, organisation: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(subject, kind, occurred_us, recorded_us, amount)`` of every record, by subject."""
    start, end = to_us(HISTORY_START), to_us(HISTORY_END)
    years = (end - start) / (365 * US_PER_DAY)
    parts = []
    for code, (rate, weight, person, org) in enumerate(HISTORY_KINDS.values()):
        allowed = np.where(organisation, org, person)
        mean = rate * years * (lam if weight >= 0 else 1.0 / (0.5 + lam))
        n = rng.poisson(np.where(allowed, mean, 0.0))
        who = np.repeat(np.arange(lam.size), n)
        parts.append((who, np.full(who.size, code, np.int64)))
    subject = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([p[1] for p in parts])
    occurred = rng.integers(start, end, subject.size)
    recorded = occurred + rng.integers(0, 31, subject.size) * US_PER_DAY
    amount = rng.integers(1_000, 200_000, subject.size)
    order = np.lexsort((occurred, subject))
    return subject[order], kind[order], occurred[order], recorded[order], amount[order]


def _obligations(rng: np.random.Generator, subjects: int) -> tuple[np.ndarray, np.ndarray]:
    n = rng.poisson(1.0, subjects)
    obligor = np.repeat(np.arange(subjects), n)
    originated = rng.integers(to_us(ORIGINATION_START), to_us(ORIGINATION_END), obligor.size)
    order = np.lexsort((originated, obligor))
    return obligor[order], originated[order]


def _known_active_counts(
    history: tuple[np.ndarray, ...], expiry: np.ndarray, obligor: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """Per obligation and history kind, the obligor's records known and active at ``at``."""
    subject, kind, occurred, recorded, _ = history
    pair_obligation, pair_record = pair_records(subject, obligor)
    t = at[pair_obligation]
    k = kind[pair_record]
    live = (recorded[pair_record] <= t) & (occurred[pair_record] <= t)
    live &= t < occurred[pair_record] + expiry[k]
    cell = pair_obligation[live] * expiry.size + k[live]
    return np.bincount(cell, minlength=obligor.size * expiry.size).reshape(-1, expiry.size)


def pair_records(record_subject: np.ndarray, obligor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (obligation, record) pair of the same subject, as two index arrays.

    ``record_subject`` must be sorted (records grouped by subject).
    """
    first = np.searchsorted(record_subject, obligor, side="left")
    last = np.searchsorted(record_subject, obligor, side="right")
    lengths = last - first
    pair_obligation = np.repeat(np.arange(obligor.size), lengths)
    offsets = np.arange(pair_obligation.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pair_obligation, np.repeat(first, lengths) + offsets


def _born(i: int) -> date:
    return date(1960 + i % 40, 1 + i % 12, 1 + i % 28)


def _iso(us: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def credit_city_rows(city: CreditCity, catalogue: Catalogue) -> Iterator[dict[str, Any]]:
    """The city's records and outcomes as ingestible rows (the demo city's row form, each
    filed by the demo source of its kind with a reference), in ``occurred_at`` order; for
    small cities (an identity number is made per subject).

    Raises:
        KeyError: if ``catalogue`` lacks a kind of the city.
    """
    ids = [
        make_uscc(str(city.region[i]), 10_000 + i) if city.organisation[i]
        else make_resident_id(str(city.region[i]), _born(i), i % 1000)
        for i in range(city.size)
    ]  # fmt: skip
    rows = [
        (int(city.occurred_us[i]), int(city.subject[i]), city.kinds[k], int(city.amount[i]))
        for i, k in enumerate(city.kind.tolist())
    ]  # fmt: skip
    rows += [
        (int(city.originated_us[j]) + PERFORMANCE_DAYS * US_PER_DAY, int(city.obligor[j]),
         OUTCOME_KINDS[city.outcome[j]], int(city.principal[j]))
        for j in range(city.obligor.size)
    ]  # fmt: skip
    for n, (occurred, s, kind_id, amount) in enumerate(sorted(rows)):
        kind = catalogue.kind(kind_id)
        row: dict[str, Any] = {
            "subject_id": ids[s],
            "subject_kind": "organisation" if city.organisation[s] else "person",
            "kind": kind_id,
            "occurred_at": _iso(occurred),
            "source": source_of(kind).name,
        }
        if kind.amount is not None:
            row["amount"] = str(amount)
        if kind.evidence is not None:
            year = int(row["occurred_at"][:4])
            row["evidence"] = reference_of(kind, year, 1 + n % 99_998)
        yield row
