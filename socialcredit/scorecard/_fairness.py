"""Approval and outcome rates by group for any bundle, on the credit city: the fairness part
of the impact assessment (:func:`socialcredit.simulation._impact.assess_bundle`).

The applicants are the obligations of a seeded credit city
(:func:`socialcredit.demo._credit_outcomes.credit_city`) originated in the year after
:data:`SCORED_AT`. Each bundle scores every subject at :data:`SCORED_AT` (records known then)
by the one scoring definition's vectorised evaluator; the score that decides is the
dimension's score when the bundle has it, else the total. The applications whose score
reaches the cut-off (the ``1 - approve_share`` quantile of the applications' scores) are
approved, so each bundle approves the same share and only *who* is approved differs.

Every figure is an integer count: :func:`group_counts` per group, and the gaps derived from
them by the caller (the assessment stores rates as exact decimal strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from socialcredit.demo import CreditCity, credit_city
from socialcredit.policy import PolicyBundle
from socialcredit.scoring import KindTable, compiled_bundle, evaluate_arrays
from socialcredit.timeutil import to_us

__all__ = [
    "GROUPINGS",
    "SCORED_AT",
    "Applications",
    "GroupCount",
    "applications",
    "approved",
    "group_counts",
]

#: When the applicants are scored; their obligations originate in the following year.
SCORED_AT = datetime(2024, 1, 1, tzinfo=UTC)
_YEAR = timedelta(days=365)
#: Groupings of the fairness figures, in report order.
GROUPINGS = ("subject_kind", "age_band", "region")


@dataclass(frozen=True, eq=False)
class Applications:
    """The applications of a credit city: obligations originated in the year after
    :data:`SCORED_AT`, with their outcome and their obligor's groups.

    Attributes:
        city: the credit city.
        obligor: per application, the dense subject number.
        bad: per application, whether the outcome was bad.
        groups: per grouping of :data:`GROUPINGS`, each application's label.
    """

    city: CreditCity
    obligor: np.ndarray
    bad: np.ndarray
    groups: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        """The number of applications."""
        return int(self.obligor.size)


@dataclass(frozen=True, slots=True)
class GroupCount:
    """One group's applications: all, bad outcomes, approved, good outcomes, approved good."""

    n: int
    bad: int
    approved: int
    good: int
    approved_good: int


def applications(
    bundle: PolicyBundle, *, subjects: int, organisation_share: float, seed: int
) -> Applications:
    """The applications of the credit city of ``seed`` (tiers of ``bundle`` set how long
    each kind counts in its data-generating process).

    Raises:
        ValueError: if ``subjects`` < 1, or a kind the city draws is missing from the bundle's
            catalogue or carries no tier there.
    """
    city = credit_city(
        subjects, policy=bundle.scoring, catalogue=bundle.catalogue, seed=seed,
        organisation_share=organisation_share,
    )  # fmt: skip
    start = to_us(SCORED_AT)
    chosen = (city.originated_us >= start) & (city.originated_us < to_us(SCORED_AT + _YEAR))
    obligor = city.obligor[chosen]
    kind = np.where(city.organisation, "organisation", "person").astype(object)
    labels = {"subject_kind": kind, "age_band": city.age_band, "region": city.region}
    groups = {name: labels[name][obligor] for name in GROUPINGS}
    return Applications(city, obligor, city.bad[chosen], groups)


def approved(
    bundle: PolicyBundle, found: Applications, dimension: str, approve_share: float
) -> np.ndarray:
    """Per application, whether ``bundle`` approves it (see the module docstring).

    Raises:
        ValueError: if ``approve_share`` is outside (0, 1].
    """
    if not 0 < approve_share <= 1:
        raise ValueError(f"approve_share must be in (0, 1], got {approve_share}")
    if found.size == 0:
        return np.zeros(0, dtype=bool)
    city = found.city
    table = KindTable.of(compiled_bundle(bundle))
    at = to_us(SCORED_AT)
    scores = evaluate_arrays(
        table, city.subject, table.encode(city.kinds)[city.kind], city.amount, city.occurred_us,
        city.size, at, recorded_us=city.recorded_us, known_at_us=at,
    )  # fmt: skip
    if dimension in table.dimensions:
        score = scores.dimensions[:, table.dimensions.index(dimension)]
    else:
        score = scores.totals
    mine = score[found.obligor]
    cutoff = np.quantile(mine, 1 - approve_share, method="lower")
    return np.asarray(mine >= cutoff)


def group_counts(found: Applications, approved: np.ndarray) -> dict[str, dict[str, GroupCount]]:
    """Per grouping and label (sorted; organisations' empty age band left out), the counts."""
    out: dict[str, dict[str, GroupCount]] = {}
    good = ~found.bad
    for grouping in GROUPINGS:
        labels = found.groups[grouping]
        rows = {}
        for label in sorted({str(v) for v in labels.tolist()} - {""}):
            inside = labels == label
            rows[label] = GroupCount(
                int(inside.sum()), int((inside & found.bad).sum()),
                int((inside & approved).sum()), int((inside & good).sum()),
                int((inside & good & approved).sum()),
            )  # fmt: skip
        out[grouping] = rows
    return out
