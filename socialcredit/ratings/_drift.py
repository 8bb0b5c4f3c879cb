"""Slow and camouflaged attacks: a CUSUM change-point test on each ratee's suspect stream.

Burst detection (:mod:`.detection`) sees a wave in one week; an attacker who sends seven fake
ratings a week, or whose fake accounts also rate honest organisations to look ordinary, stays
under it. What every such attack has in common is a *sustained* pull on one ratee by raters
the system cannot vouch for. So each ratee's ratings by **suspect raters** -- new (their first
rating less than ``new_days`` ago when they rated), thinly connected (every rating of one
ratee, or all within a short window) or of low trust -- form a stream, and a two-sided
cumulative-sum test (Page's CUSUM) watches it week by week:

``S+ = max(0, S+ + sum(z_i - k))`` and ``S- = max(0, S- + sum(-z_i - k))`` over the stream's
ratings in each week, where ``z_i`` is how far the rating sits from the ratee's baseline (the
mean of its ratings by established raters: neither thinly connected nor of low trust) in units
of the spread of ratings around their ratees' baselines, and ``k`` the allowance. Honest
newcomers rate around the baseline, so their increments drift down by ``k`` and the sums stay
near zero; a group of accounts linked by rating one ratee far from its baseline -- whether at
once, week after week, or between camouflage ratings of other organisations (which sit at those
ratees' baselines and move nothing) -- pushes the sum past ``h``. A run of weeks in which the
sum stays above zero and passes ``h`` is an alarm from its change point (the run's first week)
to its end; the suspect ratings in it that pull in the alarm's direction by ``deviation`` stars
or more are suspicious. They stay visible with their status and do not count.

Weeks with no suspect rating add nothing, so the test runs over occupied (ratee, week) cells
only, vectorised with the Lindley form ``S_n = C_n - min(0, min_{j<=n} C_j)`` of the cumulative
sums ``C`` within each ratee.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["cusum", "shift_flags", "suspect_raters"]

_DAY_US = 86_400e6
_DENSE_CELLS = 50_000_000
_SHRINK = 5.0


def suspect_raters(
    rater: NDArray[np.intp],
    pair_rater: NDArray[np.intp],
    t_us: NDArray[np.int64],
    n_raters: int,
    short_days: float,
) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Which raters are thinly connected, and each rater's first rating time.

    A rater is thinly connected when every rating is of one ratee, or all lie within
    ``short_days`` of each other (an account that appeared only in a short window).

    Args:
        rater: each rating's rater, sorted (rows grouped by rater).
        pair_rater: the rater of each distinct (rater, ratee) pair.
        t_us: each rating's time.
        n_raters: size of the rater index space.
        short_days: the short window.

    Returns:
        ``(thin (n_raters,), first_us (n_raters,))``; raters without ratings are not thin.
    """
    thin = np.zeros(n_raters, dtype=bool)
    first = np.zeros(n_raters, dtype=np.int64)
    if len(rater) == 0:
        return thin, first
    starts = np.flatnonzero(np.r_[True, rater[1:] != rater[:-1]])
    who = rater[starts]
    first[who] = np.minimum.reduceat(t_us, starts)
    span = np.maximum.reduceat(t_us, starts) - first[who]
    thin[who] = span < short_days * _DAY_US
    thin |= np.bincount(pair_rater, minlength=n_raters) == 1
    return thin, first


def cusum(group: NDArray[np.intp], increment: NDArray[np.float64]) -> NDArray[np.float64]:
    """``S_n = max(0, S_{n-1} + x_n)`` restarted at 0 for each group, vectorised.

    Args:
        group: each step's group, non-decreasing (steps in order within a group).
        increment: each step's ``x_n``.
    """
    if len(group) == 0:
        return np.zeros(0)
    new = np.r_[True, group[1:] != group[:-1]]
    total = np.cumsum(increment)
    start = np.flatnonzero(new)
    rank = np.cumsum(new) - 1
    within = total - np.repeat(total[start] - increment[start], np.diff(np.r_[start, len(group)]))
    # Separate the groups by a step larger than any sum, so one running minimum serves all.
    step = 2.0 * float(np.abs(within).max()) + 1.0
    running = np.minimum.accumulate(within - rank * step) + rank * step
    return within - np.minimum(running, 0.0)


def _alarmed(sums: NDArray[np.float64], group: NDArray[np.intp], h: float) -> NDArray[np.bool_]:
    """Cells in a run of positive sums (within a group) whose maximum exceeds ``h``."""
    positive = np.flatnonzero(sums > 0.0)
    marked = np.zeros(len(sums), dtype=bool)
    if len(positive) == 0:
        return marked
    apart = (np.diff(positive) != 1) | (group[positive[1:]] != group[positive[:-1]])
    starts = np.flatnonzero(np.r_[True, apart])
    peak = np.maximum.reduceat(sums[positive], starts)
    lengths = np.diff(np.r_[starts, len(positive)])
    marked[positive[np.repeat(peak > h, lengths)]] = True
    return marked


def _cell_keys(
    ratee: NDArray[np.intp], t_us: NDArray[np.int64], bin_days: float
) -> tuple[NDArray[np.int64], int]:
    """Each rating's (ratee, week) cell key ``ratee * n_weeks + week``, and ``n_weeks``."""
    week = np.subtract(t_us, int(t_us.min()), dtype=np.int64)
    week //= int(bin_days * _DAY_US)
    n_weeks = int(week.max()) + 1
    week += ratee.astype(np.int64) * n_weeks
    return week, n_weeks


def _cell_sums(
    key: NDArray[np.int64], stream: NDArray[np.bool_], mean_star: NDArray[np.float64], size: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Occupied cells (sorted keys) with their count and sum of stars over the stream."""
    if size <= _DENSE_CELLS:
        dense = np.bincount(key, stream, minlength=size)
        cells = np.flatnonzero(dense).astype(np.int64)
        total = np.bincount(key, np.where(stream, mean_star, 0.0), minlength=size)[cells]
        return cells, np.asarray(dense[cells], np.float64), np.asarray(total, np.float64)
    found, inverse = np.unique(key[stream], return_inverse=True)
    count = np.bincount(inverse, minlength=len(found))
    total = np.bincount(inverse, mean_star[stream], minlength=len(found))
    return found.astype(np.int64), count.astype(np.float64), np.asarray(total, np.float64)


def shift_flags(
    ratee: NDArray[np.intp],
    t_us: NDArray[np.int64],
    mean_star: NDArray[np.float64],
    suspect: NDArray[np.bool_],
    trusted: NDArray[np.bool_],
    considered: NDArray[np.bool_],
    n_ratees: int,
    *,
    bin_days: float,
    k: float,
    h: float,
    deviation: float,
) -> NDArray[np.bool_]:
    """Which ratings are suspicious as part of a sustained shift by suspect raters.

    The test runs on per-cell sums (``sum(z) = (sum(stars) - n * baseline) / spread``); only
    the ratings of ratees with an alarm are looked at one by one.

    Args:
        ratee: dense ratee index of each rating.
        t_us: each rating's time.
        mean_star: each rating's mean stars.
        suspect: whether each rating is by a suspect rater (see the module docstring).
        trusted: whether each rating is by an established rater (neither thinly connected
            nor of low trust, however new): the ratee's baseline is their mean.
        considered: the ratings the test looks at (counted, not already suspicious); only
            these can be flagged or make a baseline.
        n_ratees: number of ratees.
        bin_days, k, h, deviation: the week, the allowance and threshold (in spreads), and
            how far from the baseline a flagged rating pulls (in stars).
    """
    flagged = np.zeros(len(ratee), dtype=bool)
    stream = suspect & considered
    if not stream.any():
        return flagged
    established = trusted & considered
    baseline = _baseline(ratee, mean_star, established, considered, n_ratees)
    spread = _spread(ratee, mean_star, baseline, established)
    key, n_weeks = _cell_keys(ratee, t_us, bin_days)
    cells, count, total = _cell_sums(key, stream, mean_star, n_ratees * n_weeks)
    group = cells // n_weeks
    z_sum = (total - count * baseline[group]) / spread
    up = _alarmed(cusum(group, z_sum - k * count), group, h)
    down = _alarmed(cusum(group, -z_sum - k * count), group, h)
    if not (up.any() or down.any()):
        return flagged
    hit = np.zeros(n_ratees, dtype=bool)
    hit[group[up | down]] = True
    rows = np.flatnonzero(hit.take(ratee) & stream)
    where = np.searchsorted(cells, key[rows])
    pull = mean_star[rows] - baseline[ratee[rows]]
    flagged[rows] = (up[where] & (pull >= deviation)) | (down[where] & (pull <= -deviation))
    return flagged


def _baseline(
    ratee: NDArray[np.intp],
    mean_star: NDArray[np.float64],
    trusted: NDArray[np.bool_],
    considered: NDArray[np.bool_],
    n_ratees: int,
) -> NDArray[np.float64]:
    """Each ratee's mean stars by established raters, shrunk toward its mean by all
    raters considered with the weight of ``_SHRINK`` ratings (a few trusted raters alone would
    make a noisy baseline, and honest newcomers would then seem to pull away from it)."""
    count = np.bincount(ratee, trusted, minlength=n_ratees)
    total = np.bincount(ratee, np.where(trusted, mean_star, 0.0), minlength=n_ratees)
    everyone = np.bincount(ratee, considered, minlength=n_ratees)
    overall_sum = np.bincount(ratee, np.where(considered, mean_star, 0.0), minlength=n_ratees)
    overall = overall_sum / np.maximum(everyone, 1)
    return (total + _SHRINK * overall) / (count + _SHRINK)


def _spread(
    ratee: NDArray[np.intp],
    mean_star: NDArray[np.float64],
    baseline: NDArray[np.float64],
    established: NDArray[np.bool_],
) -> float:
    """The spread (root mean square) of established raters' ratings around their ratees'
    baselines, from an evenly spaced sample of at most about 200,000 ratings; at least half a
    star."""
    step = max(1, len(ratee) // 200_000)
    keep = established[::step]
    if keep.sum() < 30:
        keep = np.ones_like(keep)
    residual = mean_star[::step][keep] - baseline[ratee[::step][keep]]
    return max(float(np.sqrt(np.mean(residual**2))), 0.5)
