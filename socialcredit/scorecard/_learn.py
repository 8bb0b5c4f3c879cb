"""Fitting, validating and publishing a scorecard in one call: :func:`learn`.

The input is a :class:`CreditData`: subjects' records and obligations with outcomes, as
arrays (from the ledger as known at a date, :func:`socialcredit.scorecard._ledger.credit_data`,
or from the synthetic city, :func:`from_city`). Obligations originated before ``split`` train
the scorecard; those from ``split`` on are the out-of-time sample.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from socialcredit.policy import PolicyBundle
from socialcredit.scorecard._features import Sample, candidate_policy, candidates, count_features
from socialcredit.scorecard._fit import fit_calibration, fit_scorecard
from socialcredit.scorecard._publish import scorecard_bundle
from socialcredit.scorecard._validation import (
    calibration,
    discrimination,
    fairness,
    psi,
    reason_codes,
    rule_points,
)
from socialcredit.scoring import CompiledPolicy, compiled_bundle
from socialcredit.timeutil import from_us, to_us

__all__ = ["CreditData", "Learned", "from_city", "learn"]


@dataclass(frozen=True, eq=False)
class CreditData:
    """Records and obligations as arrays (dense subject numbers ``0 .. n - 1``).

    Attributes:
        kinds: record kind ids (``kind`` indexes them).
        subject, kind, occurred_us, recorded_us: one entry per record, sorted by subject.
        obligor, originated_us, bad: one entry per obligation with a known outcome.
        groups: fairness groupings (``age_band``, ``region``, ``subject_kind``) per subject.
        ids: optional external ``(kind, id)`` per subject, for reason codes.
    """

    kinds: tuple[str, ...]
    subject: np.ndarray
    kind: np.ndarray
    occurred_us: np.ndarray
    recorded_us: np.ndarray
    obligor: np.ndarray
    originated_us: np.ndarray
    bad: np.ndarray
    groups: dict[str, np.ndarray]
    ids: list[tuple[str, str]] | None = field(default=None)

    @property
    def size(self) -> int:
        """Number of subjects."""
        return int(next(iter(self.groups.values())).size)

    def digest(self) -> str:
        """sha256 of the records and outcomes learned from (in this canonical array form)."""
        h = hashlib.sha256()
        for kind in self.kinds:
            h.update(kind.encode() + b"\0")
        for a in (self.subject, self.kind, self.occurred_us, self.recorded_us):
            h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
        for a in (self.obligor, self.originated_us, self.bad):
            h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
        return h.hexdigest()


def from_city(city: Any) -> CreditData:
    """A :class:`~socialcredit.demo._credit_outcomes.CreditCity` as credit data."""
    kind = np.where(city.organisation, "organisation", "person")
    return CreditData(
        city.kinds, city.subject, city.kind, city.occurred_us, city.recorded_us,
        city.obligor, city.originated_us, city.bad,
        {"age_band": city.age_band, "region": city.region, "subject_kind": kind},
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class Learned:
    """What :func:`learn` gives: the bundle revision, the report, and per-subject reasons.

    Attributes:
        bundle: the next revision of the base bundle, with the scorecard's binned rules.
        report: fit, validation and fairness figures (JSON-able).
        reasons: per subject (dense number), the features that cost most points now.
        oot_points: the out-of-time obligations' total points (for benchmarks).
    """

    bundle: PolicyBundle
    report: dict[str, Any]
    reasons: list[list[str]]
    oot_points: np.ndarray


def learn(
    data: CreditData,
    base: PolicyBundle,
    *,
    as_of: datetime,
    split: datetime,
    dimension: str = "finance",
    pdo: float = 20.0,
    approve_share: float = 0.8,
    notice_days: int = 30,
) -> Learned:
    """Learn a scorecard on ``data`` and publish it as the next revision of ``base``.

    Args:
        data: records and obligations as known at ``as_of``.
        base: the bundle in force (its catalogue and tiers define the features).
        as_of: the date of the fit (the "current population" is scored then).
        split: obligations originated before it train, the rest validate out of time.
        dimension: the dimension the scorecard scores (its per-record rules are replaced).
        pdo: points to double the odds.
        approve_share: the share of training obligations approved at the cut-off (fairness).
        notice_days: the revision takes effect this many days (plus one) after ``as_of``.

    Raises:
        ValueError: if either sample is empty or one-sided, or no feature is informative.
    """
    found = candidates(base)
    policy = candidate_policy(base, found, dimension)
    records = (data.subject, data.kind, data.occurred_us, data.recorded_us)
    counts = count_features(policy, records, data.kinds, data.obligor, data.originated_us)
    sample = Sample(counts, data.bad.astype(bool), data.originated_us, data.obligor)
    before = sample.originated_us < to_us(split)
    train, oot = sample.where(before), sample.where(~before)
    if train.bad.size == 0 or oot.bad.size == 0:
        raise ValueError("both the training and the out-of-time samples need obligations")
    features, _ = fit_scorecard(train, found, pdo=pdo)
    rules = [f.rule(dimension) for f in features]
    provenance: dict[str, Any] = {
        "fit": f"as of {as_of:%Y-%m-%d}",
        "training_window": f"{_first(train)} .. {split:%Y-%m-%d}",
        "out_of_time_window": f"{split:%Y-%m-%d} .. {_last(oot)}",
        "data_sha256": data.digest(),
        "pdo": pdo,
    }
    effective = as_of + timedelta(days=notice_days + 1)
    published = compiled_bundle(
        scorecard_bundle(base, rules, dimension=dimension, effective_from=effective,
                         provenance=provenance)
    )  # fmt: skip
    names = [c.feature for c in found]
    now = count_features(policy, records, data.kinds, np.arange(data.size), to_us(as_of))
    current = rule_points(published, now, names)
    oot_points = rule_points(published, oot.counts, names).sum(axis=1)
    report = _report(data, published, names, (train, oot), current, approve_share)
    report = {**provenance, **report, "features": [_feature_json(f) for f in features]}
    bundle = scorecard_bundle(  # the same rules, with the validation figures in the header
        base, rules, dimension=dimension, effective_from=effective,
        provenance={**provenance, **_figures(report)},
    )  # fmt: skip
    report["bundle"] = {"revision": bundle.revision, "digest": bundle.digest}
    reasons = reason_codes(current, [f.feature for f in published.features])
    return Learned(bundle, report, reasons, oot_points)


def _report(
    data: CreditData,
    published: CompiledPolicy,
    names: list[str],
    samples: tuple[Sample, Sample],
    current: np.ndarray,
    approve_share: float,
) -> dict[str, Any]:
    """Discrimination, calibration, stability and fairness of the published rules."""
    train, oot = samples
    train_points = rule_points(published, train.counts, names).sum(axis=1)
    oot_points = rule_points(published, oot.counts, names).sum(axis=1)
    cal = fit_calibration(train_points, train.bad)
    cutoff = float(np.quantile(train_points, 1 - approve_share))
    groups = {k: v[oot.obligor] for k, v in data.groups.items()}
    return {
        "train": discrimination(train.bad, train_points),
        "out_of_time": {
            **discrimination(oot.bad, oot_points),
            "calibration": calibration(oot.bad, cal.probability(oot_points)),
        },
        "psi_train_vs_current": psi(train_points, current.sum(axis=1)),
        "calibration_model": {"intercept": cal.intercept, "slope": cal.slope},
        "approval_cutoff_points": cutoff,
        "fairness_out_of_time": fairness(groups, oot.bad, oot_points >= cutoff),
    }


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    """The validation figures the bundle's header carries."""
    oot = report["out_of_time"]
    return {
        "out_of_time_auc": oot["auc"],
        "out_of_time_gini": oot["gini"],
        "hosmer_lemeshow_p": oot["calibration"]["hosmer_lemeshow_p"],
        "psi_train_vs_current": report["psi_train_vs_current"],
    }


def _first(sample: Sample) -> str:
    return f"{from_us(int(sample.originated_us.min())):%Y-%m-%d}"


def _last(sample: Sample) -> str:
    return f"{from_us(int(sample.originated_us.max())):%Y-%m-%d}"


def _feature_json(f: Any) -> dict[str, Any]:
    return {
        "feature": f.candidate.feature,
        "kind": f.candidate.kind,
        "uppers": list(f.uppers),
        "points": list(f.points),
        "woe": [round(float(w), 4) for w in f.woe],
        "coefficient": round(f.coefficient, 4),
        "information_value": round(f.iv, 4),
    }


def default_split(as_of: datetime, performance_days: int = 365) -> datetime:
    """A split leaving the last 18 months of originations with known outcomes out of time."""
    return (as_of - timedelta(days=performance_days + 540)).astimezone(UTC)
