"""Learning a points scorecard: optimal binning, weight of evidence, a constrained logistic
regression, and points scaled by points to double the odds.

1. **Binning.** Each candidate count is binned by :class:`optbinning.OptimalBinning` with a
   monotonic event-rate trend in the direction of its kind's gravity (more negative records
   never lower the bad rate; more positive ones never raise it). A count with one bin carries
   no information and is dropped.
2. **Weight of evidence** per bin, ``ln((bad_b + 0.5)/(B + 0.5) / ((good_b + 0.5)/(G + 0.5)))``.
3. **Logistic regression** of the outcome on the WoE columns with every coefficient bounded
   at ``>= 0`` (L-BFGS-B), so points keep each bin's monotone order. Obligations with the same
   bins are fitted as one weighted row (exact; it makes a million rows a few thousand).
4. **Points.** With ``factor = pdo / ln 2``, a bin earns ``-factor * beta * woe``, shifted so a
   count of 0 earns 0 (a constant per feature: ranks are unchanged) and rounded to integers.
   Rounding keeps the monotone order.
5. **Calibration.** A one-variable logistic fit of the outcome on the integer total points on
   the training sample maps points to a probability of a bad outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from socialcredit.policy import Bin, BinnedRule
from socialcredit.scorecard._features import Candidate, Sample

__all__ = [
    "Calibration",
    "FittedFeature",
    "fit_bins",
    "fit_calibration",
    "fit_scorecard",
    "total_points",
]

_SMOOTH = 0.5


@dataclass(frozen=True, slots=True)
class FittedFeature:
    """One feature of the learned scorecard.

    Attributes:
        candidate: the count it bins.
        uppers: the inclusive upper bounds of every bin but the open last one.
        woe: the weight of evidence of each bin (log odds of bad against good).
        coefficient: its logistic-regression coefficient (>= 0).
        points: each bin's integer points (the first is 0).
        iv: its information value on the training sample.
    """

    candidate: Candidate
    uppers: tuple[int, ...]
    woe: tuple[float, ...]
    coefficient: float
    points: tuple[int, ...]
    iv: float

    def rule(self, dimension: str) -> BinnedRule:
        """The feature as a binned rule of ``dimension``."""
        bins = [Bin(u, p) for u, p in zip(self.uppers, self.points, strict=False)]
        bins.append(Bin(None, self.points[-1]))
        c = self.candidate
        return BinnedRule(c.feature, (c.kind,), dimension, tuple(bins))


@dataclass(frozen=True, slots=True)
class Calibration:
    """``P(bad) = 1 / (1 + exp(-(intercept + slope * points)))`` for a subject's total points
    from the scorecard's rules (their sum, before base and bounds)."""

    intercept: float
    slope: float

    def probability(self, points: np.ndarray) -> np.ndarray:
        """The probability of a bad outcome at each total of points."""
        return 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * points)))


def fit_bins(x: np.ndarray, bad: np.ndarray, negative: bool, min_share: float) -> tuple[int, ...]:
    """Optimal monotone bins of the counts ``x``: the inclusive upper bounds of every bin but
    the last (empty when one bin is all there is)."""
    from optbinning import OptimalBinning  # heavy import: only when fitting

    binning = OptimalBinning(
        dtype="numerical",
        monotonic_trend="ascending" if negative else "descending",
        min_bin_size=min_share,
        max_n_prebins=20,
    )
    binning.fit(x.astype(float), bad.astype(int))
    uppers = sorted({math.ceil(s) - 1 for s in binning.splits if math.ceil(s) - 1 >= 0})
    return tuple(u for u in uppers if u < int(x.max(initial=0)))


def _bin_index(x: np.ndarray, uppers: tuple[int, ...]) -> np.ndarray:
    return np.searchsorted(np.asarray(uppers, dtype=np.int64), x, side="left")


def _woe(index: np.ndarray, bad: np.ndarray, n_bins: int) -> tuple[np.ndarray, float]:
    bads = np.bincount(index, weights=bad, minlength=n_bins)
    goods = np.bincount(index, weights=~bad, minlength=n_bins)
    share_bad = (bads + _SMOOTH) / (bads.sum() + _SMOOTH)
    share_good = (goods + _SMOOTH) / (goods.sum() + _SMOOTH)
    woe = np.log(share_bad / share_good)
    return woe, float(np.sum((share_bad - share_good) * woe))


def _constrained_logit(x: np.ndarray, bads: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Weighted logistic regression ``[intercept, betas]`` with every beta >= 0."""
    design = np.column_stack([np.ones(len(x)), x])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ w
        # -log-likelihood of bads out of totals at logit z, and its gradient
        value = np.sum(totals * np.logaddexp(0.0, z) - bads * z)
        grad = design.T @ (totals / (1.0 + np.exp(-z)) - bads)
        return float(value), grad

    start = np.zeros(design.shape[1])
    start[0] = math.log((bads.sum() + 0.5) / (totals.sum() - bads.sum() + 0.5))
    bounds = [(None, None)] + [(0.0, None)] * x.shape[1]
    return np.asarray(minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds).x)


def fit_scorecard(
    train: Sample, found: list[Candidate], *, pdo: float = 20.0, min_share: float = 0.005
) -> tuple[list[FittedFeature], Calibration]:
    """Learn the scorecard on ``train`` (columns of ``train.counts`` as ``found``).

    Args:
        train: the training obligations.
        found: the candidate features.
        pdo: points to double the odds.
        min_share: the smallest share of obligations a bin may hold.

    Raises:
        ValueError: if the sample has no bad or no good outcome, or ``pdo`` is not positive.
    """
    bad = train.bad.astype(bool)
    if not bad.any() or bad.all():
        raise ValueError("the training sample needs both good and bad outcomes")
    if pdo <= 0:
        raise ValueError(f"pdo must be positive, got {pdo}")
    kept, indexes, woes = [], [], []
    for j, candidate in enumerate(found):
        x = train.counts[:, j]
        uppers = fit_bins(x, bad, candidate.negative, min_share) if x.any() else ()
        if not uppers:
            continue
        index = _bin_index(x, uppers)
        woe, iv = _woe(index, bad, len(uppers) + 1)
        kept.append((candidate, uppers, woe, iv))
        indexes.append(index)
        woes.append(woe)
    if not kept:
        raise ValueError("no candidate feature separates good from bad outcomes")
    betas = _fit_betas(np.column_stack(indexes), woes, bad)
    factor = pdo / math.log(2.0)
    features = []
    for (candidate, uppers, woe, iv), beta in zip(kept, betas, strict=True):
        raw = -factor * beta * (woe - woe[0])
        points = _monotone(np.rint(raw).astype(int), candidate.negative)
        features.append(FittedFeature(candidate, uppers, tuple(woe), float(beta), points, iv))
    features = [f for f in features if any(f.points)]
    return features, fit_calibration(total_points(features, train.counts, found), bad)


def _fit_betas(index: np.ndarray, woes: list[np.ndarray], bad: np.ndarray) -> np.ndarray:
    """Coefficients of the WoE columns, fitted on the distinct bin patterns."""
    radix = np.array([w.size for w in woes], dtype=np.int64)
    key = np.zeros(len(index), dtype=np.int64)
    for j, r in enumerate(radix):
        key = key * r + index[:, j]
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    totals = np.bincount(inverse, minlength=unique.size).astype(float)
    bads = np.bincount(inverse, weights=bad, minlength=unique.size)
    x = np.column_stack([w[index[first, j]] for j, w in enumerate(woes)])
    return _constrained_logit(x, bads, totals)[1:]


def _monotone(points: np.ndarray, negative: bool) -> tuple[int, ...]:
    """Points held to their trend (a guard against ties broken by rounding)."""
    points = np.minimum.accumulate(points) if negative else np.maximum.accumulate(points)
    points = np.minimum(points, 0) if negative else np.maximum(points, 0)
    return tuple(int(p) for p in points)


def total_points(
    features: list[FittedFeature], counts: np.ndarray, found: list[Candidate]
) -> np.ndarray:
    """Each row's total points from ``features`` (counts' columns as ``found``)."""
    column = {c.feature: j for j, c in enumerate(found)}
    out = np.zeros(len(counts), dtype=np.int64)
    for f in features:
        index = _bin_index(counts[:, column[f.candidate.feature]], f.uppers)
        out += np.asarray(f.points, dtype=np.int64)[index]
    return out


def fit_calibration(points: np.ndarray, bad: np.ndarray) -> Calibration:
    """The calibration of integer total ``points`` to the probability of a bad outcome."""
    values, inverse = np.unique(points, return_inverse=True)
    totals = np.bincount(inverse).astype(float)
    bads = np.bincount(inverse, weights=bad)
    design = values.astype(float)[:, None]
    w = _unbounded_logit(design, bads, totals)
    return Calibration(float(w[0]), float(w[1]))


def _unbounded_logit(x: np.ndarray, bads: np.ndarray, totals: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(x)), x])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = design @ w
        value = np.sum(totals * np.logaddexp(0.0, z) - bads * z)
        return float(value), design.T @ (totals / (1.0 + np.exp(-z)) - bads)

    return np.asarray(minimize(loss, np.zeros(2), jac=True, method="L-BFGS-B").x)
