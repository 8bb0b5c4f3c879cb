"""Detection of rating bursts and rating rings, vectorised.

**Bursts.** Each ratee's counted ratings are binned by time (``burst_days`` wide). A bin is a
burst when its count exceeds the ratee's mean count per bin ``m`` by more than
``burst_z * sqrt(m)`` (a Poisson tail) and is at least ``burst_min``. Within a burst, ratings
whose mean stars sit ``burst_deviation`` or more away from the ratee's baseline (its mean
outside bursts) are suspicious: a sudden wave of praise or of one-star ratings, not the
ordinary customers who happen to fall in a busy week.

**Rings.** Raters that rate the same ratees together leave the same *pair* of ratees in many
rated sets. For each rater, the distinct ratees they rated, in index order, give consecutive
pairs; a pair's support is the number of raters giving it. Under independent choice, the
number of raters who rated *both* ratees (adjacent or not, so a bound on the adjacent count)
is about ``E = Q * 2 * n_a * n_b / S**2``, with ``Q`` the number of ratee pairs within all
rated sets, ``n_a`` the raters of ratee a and ``S`` the sum of ``n``. (Adjacent pairs alone
are not uniform: popular ratees adjacent in index order co-occur more often than chance.)
A pair with support at least ``ring_min`` and above ``E + ring_z * sqrt(E)`` is a ring; the
ratings of its two ratees by the raters who gave it are suspicious. A group that rates a
single ratee together is not a ring by this test; it is left to trust (its accounts have no
other interactions) and to burst detection.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["burst_flags", "ring_flags"]

_BUCKET_BITS = 22
_BUCKETS = 1 << _BUCKET_BITS
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: multiply, keep the top bits


def _bucket(key: NDArray[np.int64]) -> NDArray[np.intp]:
    """A hash of each key into ``_BUCKETS`` buckets."""
    mixed = key.view(np.uint64) * _GOLDEN
    mixed >>= np.uint64(64 - _BUCKET_BITS)
    return mixed.astype(np.intp)


def burst_flags(
    ratee: NDArray[np.integer],
    t_us: NDArray[np.int64],
    mean_star: NDArray[np.floating],
    n_ratees: int,
    *,
    bin_days: float,
    z: float,
    minimum: int,
    deviation: float,
) -> NDArray[np.bool_]:
    """Which ratings are suspicious as part of a burst.

    Args:
        ratee: dense ratee index of each (counted) rating.
        t_us: each rating's time, microseconds since the epoch.
        mean_star: each rating's mean stars over the dimensions.
        n_ratees: number of ratees.
        bin_days, z, minimum, deviation: see the module docstring.
    """
    if len(ratee) == 0:
        return np.zeros(0, dtype=bool)
    start = int(t_us.min())
    scaled = np.subtract(t_us, start, dtype=np.float64)
    scaled *= 1.0 / (bin_days * 86_400e6)
    time_bin = scaled.astype(np.int64)
    n_bins = int(time_bin.max()) + 1
    key = np.asarray(ratee, dtype=np.int64) * n_bins
    key += time_bin
    per_ratee = np.bincount(ratee, minlength=n_ratees).astype(np.float64)
    expected = per_ratee / n_bins
    # The smallest count that is a burst, per ratee: above mean + z * sd, and >= minimum.
    threshold = np.maximum(np.floor(expected + z * np.sqrt(expected)) + 1, minimum)
    burst = np.zeros(len(ratee), dtype=bool)
    if n_ratees * n_bins <= 50_000_000:
        counts = np.bincount(key, minlength=n_ratees * n_bins).reshape(n_ratees, n_bins)
        burst_bin = counts >= threshold[:, None]
        # Only the ratings of ratees with a burst are looked at again (a small table lookup
        # finds them): everything below runs on a few thousand ratings, not millions.
        rows = np.flatnonzero(burst_bin.any(axis=1).take(ratee))
        burst[rows] = burst_bin.ravel().take(key[rows])
    else:
        _, inverse, unique_counts = np.unique(key, return_inverse=True, return_counts=True)
        burst = unique_counts[inverse] >= threshold[ratee]
        hit = np.zeros(n_ratees, dtype=bool)
        hit[ratee[burst]] = True
        rows = np.flatnonzero(hit.take(ratee))
    if len(rows) == 0:
        return burst
    sub_ratee, sub_star, sub_burst = ratee[rows], mean_star[rows], burst[rows]
    baseline = _baseline(sub_ratee, sub_star, ~sub_burst, n_ratees, float(mean_star.mean()))
    burst[rows] = sub_burst & (np.abs(sub_star - baseline[sub_ratee]) >= deviation)
    return burst


def _baseline(
    ratee: NDArray[np.integer],
    mean_star: NDArray[np.floating],
    calm: NDArray[np.bool_],
    n_ratees: int,
    overall: float,
) -> NDArray[np.float64]:
    """Each ratee's mean stars outside bursts (``overall`` where it has none)."""
    count = np.bincount(ratee, calm, minlength=n_ratees)
    total = np.bincount(ratee, np.where(calm, mean_star, 0.0), minlength=n_ratees)
    return np.where(count > 0, total / np.maximum(count, 1), overall)


def ring_flags(
    pair_rater: NDArray[np.integer],
    pair_ratee: NDArray[np.integer],
    n_ratees: int,
    *,
    minimum: int,
    z: float,
) -> NDArray[np.bool_]:
    """Which (rater, ratee) interaction pairs belong to a rating ring.

    Args:
        pair_rater, pair_ratee: distinct (rater, ratee) pairs, sorted by rater then ratee.
        n_ratees: number of ratees.
        minimum, z: see the module docstring.
    """
    flagged = np.zeros(len(pair_rater), dtype=bool)
    if len(pair_rater) < 2:
        return flagged
    same = pair_rater[1:] == pair_rater[:-1]
    first = np.flatnonzero(same)  # pair (first[i], first[i] + 1) is one co-rated ratee pair
    if len(first) == 0:
        return flagged
    key = pair_ratee[first].astype(np.int64) * n_ratees + pair_ratee[first + 1]
    # A hashed count bounds every pair's support from above: only pairs whose bucket reaches
    # ``minimum`` can be rings, so the exact count (a sort) runs on a handful of candidates.
    bucket = _bucket(key)
    candidate = np.flatnonzero(np.bincount(bucket, minlength=_BUCKETS)[bucket] >= minimum)
    if len(candidate) == 0:
        return flagged
    _, inverse, support = np.unique(key[candidate], return_inverse=True, return_counts=True)
    a, b = np.divmod(key[candidate], n_ratees)
    n = np.bincount(pair_ratee, minlength=n_ratees).astype(np.float64)
    total = float(n.sum())
    degree = np.bincount(pair_rater).astype(np.float64)
    all_pairs = float((degree * (degree - 1.0)).sum()) / 2.0
    expected = all_pairs * 2.0 * n[a] * n[b] / (total * total)
    count = support[inverse]
    ring = candidate[(count >= minimum) & (count > expected + z * np.sqrt(expected))]
    flagged[first[ring]] = True
    flagged[first[ring] + 1] = True
    return flagged
