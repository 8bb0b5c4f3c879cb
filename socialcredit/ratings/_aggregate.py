"""Dirichlet (multinomial Beta) reputation with a forgetting factor, vectorised over ratees.

For one ratee and dimension, the evidence ``r_k`` is the (weighted) number of ratings with
``k`` stars; with a prior of total strength ``C`` spread evenly over the five stars, the
posterior is ``Dirichlet(r_k + C/5)``. The reported score is the posterior expectation of the
star value, ``E = sum_k k * alpha_k / alpha_0``, and its spread is exact for a Dirichlet:
``Var = (sum_k k^2 alpha_k / alpha_0 - E^2) / (alpha_0 + 1)``; the credible interval is
``E -/+ z * sd``, clipped to [1, 5]. Older ratings count less: a rating's weight halves every
``half_life_days`` (Josang's forgetting factor as a continuous half-life).

A calibrated rating can hold a fractional star value (see :mod:`.calibration`); it is split
between the two neighbouring star bins so that the evidence keeps its mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from ._model import DIMENSIONS

__all__ = [
    "DirichletSummary",
    "dirichlet_evidence",
    "dirichlet_moments",
    "forgetting",
    "plain_mean",
    "summarise",
    "summarise_moments",
]

_STARS = np.arange(1, 6, dtype=np.float64)
_N_DIM = len(DIMENSIONS)


@dataclass(frozen=True, slots=True)
class DirichletSummary:
    """Per ratee: score, interval and evidence, overall and per dimension.

    Attributes:
        score, low, high: overall expected stars and credible bounds, shape ``(n_ratees,)``.
        dim_score, dim_low, dim_high: the same per dimension, shape ``(n_ratees, 3)``.
        effective: the weighted evidence (after forgetting, trust and sharing).
    """

    score: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    dim_score: NDArray[np.float64]
    dim_low: NDArray[np.float64]
    dim_high: NDArray[np.float64]
    effective: NDArray[np.float64]


def forgetting(t_us: NDArray[np.int64], at_us: int, half_life_days: float) -> NDArray[np.float64]:
    """The weight ``0.5 ** (age / half_life)`` of ratings made at ``t_us``, seen at ``at_us``."""
    weight = np.subtract(at_us, t_us, dtype=np.float64)
    np.maximum(weight, 0.0, out=weight)
    weight *= -1.0 / (half_life_days * 86_400e6)
    return np.exp2(weight, out=weight)


def dirichlet_evidence(
    ratee: NDArray[np.integer],
    stars: NDArray[np.floating],
    weight: NDArray[np.floating],
    n_ratees: int,
) -> NDArray[np.float64]:
    """Weighted star counts, shape ``(n_ratees, 3, 5)``.

    Args:
        ratee: dense ratee index of each rating.
        stars: star values in [1, 5], shape ``(n, 3)``; fractions are split between bins.
        weight: each rating's weight.
        n_ratees: number of ratees (the first axis of the result).
    """
    x = np.clip(stars, 1.0, 5.0) - 1.0
    lower = np.minimum(x.astype(np.int64), 3)
    frac = x - lower
    base = ratee.astype(np.int64)[:, None] * (_N_DIM * 5) + np.arange(_N_DIM) * 5 + lower
    w = np.asarray(weight, dtype=np.float64)[:, None]
    size = n_ratees * _N_DIM * 5
    counts = np.bincount(base.ravel(), (w * (1.0 - frac)).ravel(), minlength=size)
    counts = counts + np.bincount((base + 1).ravel(), (w * frac).ravel(), minlength=size)
    return np.asarray(counts, dtype=np.float64).reshape(n_ratees, _N_DIM, 5)


def dirichlet_moments(
    ratee: NDArray[np.integer],
    columns: NDArray[np.floating],
    weight: NDArray[np.floating],
    n_ratees: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The evidence's total weight and first two star moments per ratee and dimension.

    Exactly what :func:`summarise` needs of :func:`dirichlet_evidence` (a fractional star
    ``lo + f`` split into bins ``lo`` and ``lo + 1`` has moments ``lo + f`` and
    ``lo**2 + f * (2 * lo + 1)``), at a fraction of the cost: seven ``bincount`` passes.

    Args:
        ratee: dense ratee index of each rating (``intp`` is fastest).
        columns: star values in [1, 5] by dimension, shape ``(3, n)``.
        weight: each rating's weight (0 adds nothing).
        n_ratees: number of ratees.

    Returns:
        ``(weight (n_ratees,), sum w*k (n_ratees, 3), sum w*k**2 (n_ratees, 3))``.
    """
    ratee = np.asarray(ratee, dtype=np.intp)
    w = np.asarray(weight, dtype=np.float64)
    total = np.asarray(np.bincount(ratee, w, minlength=n_ratees), dtype=np.float64)
    first_sum = np.empty((n_ratees, _N_DIM))
    second_sum = np.empty((n_ratees, _N_DIM))
    # Three reused buffers instead of a dozen temporaries: at 10 million ratings, fresh
    # temporaries cost more in page faults than the arithmetic.
    x, lower, term = np.empty(len(w)), np.empty(len(w)), np.empty(len(w))
    for k in range(_N_DIM):
        np.maximum(columns[k], 1.0, out=x)
        np.minimum(x, 5.0, out=x)
        np.floor(x, out=lower)
        np.minimum(lower, 4.0, out=lower)
        np.multiply(w, x, out=term)
        first_sum[:, k] = np.bincount(ratee, term, minlength=n_ratees)
        # lower**2 + (x - lower) * (2 * lower + 1) == x * (2 * lower + 1) - lower * (lower + 1)
        np.multiply(lower, 2.0, out=term)
        term += 1.0
        term *= x
        np.add(lower, 1.0, out=x)
        x *= lower
        term -= x
        term *= w
        second_sum[:, k] = np.bincount(ratee, term, minlength=n_ratees)
    return total, first_sum, second_sum


def summarise(
    evidence: NDArray[np.float64], prior_strength: float, credible: float
) -> DirichletSummary:
    """Posterior expected stars and credible intervals from :func:`dirichlet_evidence`."""
    total = evidence[:, 0, :].sum(axis=1)
    return summarise_moments(
        total, evidence @ _STARS, evidence @ (_STARS**2), prior_strength, credible
    )


def summarise_moments(
    total: NDArray[np.float64],
    first: NDArray[np.float64],
    second: NDArray[np.float64],
    prior_strength: float,
    credible: float,
) -> DirichletSummary:
    """Posterior expected stars and credible intervals from :func:`dirichlet_moments`.

    With the prior ``C/5`` on each star, ``alpha_0 = W + C``, ``E = (S1 + 3C) / alpha_0`` and
    ``E[k^2] = (S2 + 11C) / alpha_0``. The overall score is the mean of the dimensions; its
    half-width is the mean of theirs (dimensions rated by the same people are correlated, so
    this is the cautious bound).
    """
    alpha0 = (total + prior_strength)[:, None]
    mean = (first + 3.0 * prior_strength) / alpha0
    moment2 = (second + 11.0 * prior_strength) / alpha0
    sd = np.sqrt(np.maximum(moment2 - mean**2, 0.0) / (alpha0 + 1.0))
    z = NormalDist().inv_cdf(0.5 + credible / 2.0)
    score, half = mean.mean(axis=1), z * sd.mean(axis=1)
    return DirichletSummary(
        score=score,
        low=np.maximum(score - half, 1.0),
        high=np.minimum(score + half, 5.0),
        dim_score=mean,
        dim_low=np.maximum(mean - z * sd, 1.0),
        dim_high=np.minimum(mean + z * sd, 5.0),
        effective=np.asarray(total, dtype=np.float64),
    )


def plain_mean(
    ratee: NDArray[np.integer], stars: NDArray[np.integer], n_ratees: int
) -> NDArray[np.float64]:
    """The peer: the plain mean of every submitted rating's stars, NaN where none."""
    total = np.bincount(ratee, stars.sum(axis=1, dtype=np.float64), minlength=n_ratees)
    count = np.bincount(ratee, minlength=n_ratees).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / (count * stars.shape[1])
