"""The batch aggregator: every ratee's rating aggregate at once, from dense arrays.

Steps, each a vectorised pass (one sort of the ratings by rater and ratee, the rest
``bincount`` and sparse products):

1. Only ratings made by ``at`` and not sealed (simultaneous reveal) are considered.
2. **One counted rating per rater and ratee per period**: the first; later ones are kept with
   status ``repeat``. A rater's counted ratings of one ratee share one rating's weight, so
   flooding from one account weighs no more than a single rating.
3. **Trust** (:mod:`.trust`): EigenTrust over the distinct interaction pairs, from the seeds
   (in a second thread, overlapping step 4). Thinly connected raters (every rating of one
   ratee, or all within ``short_days``) are never seeds and weigh at most ``lone_weight``.
4. **Detection** (:mod:`.detection`, :mod:`.drift`): bursts, rings, and sustained shifts of a
   ratee by new or low-trust raters (CUSUM); suspicious ratings are kept with their status
   and excluded from the aggregate.
5. **Calibration** (:mod:`.calibration`) of the remaining ratings, then the **Dirichlet**
   reputation with forgetting (:mod:`.aggregate`).

The result is a pure function of the arrays, the parameters and ``at``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from ._aggregate import DirichletSummary, dirichlet_moments, forgetting, summarise_moments
from ._calibration import calibrate, rater_bias
from ._detection import burst_flags, ring_flags
from ._drift import shift_flags, suspect_raters
from ._model import RatingParams
from ._trust import eigentrust, trust_weights

__all__ = ["BatchResult", "RatingArrays", "Status", "aggregate_batch", "rank_order"]


class Status(IntEnum):
    """What became of one rating in the aggregate."""

    COUNTED = 0
    REPEAT = 1  # a second rating of the same ratee by the same rater in one period
    BURST = 2  # suspicious: part of a burst, far from the ratee's baseline
    RING = 3  # suspicious: co-rated with a rating ring
    SEALED = 4  # simultaneous reveal: not shown until both sides are in or the window ends
    LATER = 5  # made after the time asked for
    SHIFT = 6  # suspicious: part of a sustained shift by new or low-trust raters (CUSUM)


@dataclass(frozen=True, slots=True)
class RatingArrays:
    """Ratings as dense arrays, in ledger (time) order.

    Attributes:
        rater, ratee: dense indices (``int32``) into ``n_raters`` and ``n_ratees``.
        stars: ``int8`` stars 1-5, shape ``(n, 3)`` (integrity, professionalism, service).
        t_us: ledger time of each rating, microseconds since the epoch, non-decreasing.
        sealed: True for ratings not yet revealed (None: none sealed).
        seeds: pre-trusted raters (None: every rater starts with equal trust).
    """

    rater: NDArray[np.int32]
    ratee: NDArray[np.int32]
    stars: NDArray[np.int8]
    t_us: NDArray[np.int64]
    n_raters: int
    n_ratees: int
    sealed: NDArray[np.bool_] | None = None
    seeds: NDArray[np.bool_] | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Every ratee's aggregate, and every rating's status and weight.

    Attributes:
        summary: scores and credible intervals (see :class:`DirichletSummary`).
        count: counted, unsuspicious ratings per ratee.
        low_evidence: ratees whose effective evidence is below ``min_evidence``.
        status: a :class:`Status` per rating.
        weight: each rating's weight in the aggregate (0 unless counted).
        trust: each rater's trust weight in [0, 1].
        bias: each rater's calibration bias in stars.
    """

    summary: DirichletSummary
    count: NDArray[np.int64]
    low_evidence: NDArray[np.bool_]
    status: NDArray[np.int8]
    weight: NDArray[np.float64]
    trust: NDArray[np.float64]
    bias: NDArray[np.float64]


def aggregate_batch(data: RatingArrays, params: RatingParams, at_us: int) -> BatchResult:
    """Aggregate every ratee as of ``at_us`` (see the module docstring for the steps)."""
    live = data.t_us <= at_us
    if data.sealed is not None:
        live &= ~data.sealed
    index = np.flatnonzero(live)
    # Work in (rater, ratee, time) order throughout; only status and weight go back.
    order = index[_pair_order(data.rater[index], data.ratee[index], data.n_ratees)]
    rater = data.rater[order].astype(np.intp)
    ratee = data.ratee[order].astype(np.intp)
    t_us = data.t_us[order]
    counted, share, pair_start, pair_of = _periods(rater, ratee, t_us, params.period_us)
    pair_rater, pair_ratee = rater[pair_start], ratee[pair_start]
    # EigenTrust (sparse products, which release the GIL) runs on the second core while
    # detection runs here; the result is the same as in sequence.
    thin, first_us = suspect_raters(rater, pair_rater, t_us, data.n_raters, params.short_days)
    with ThreadPoolExecutor(max_workers=1) as pool:
        trusting = pool.submit(_trust, pair_rater, pair_ratee, thin, data, params)
        ring = ring_flags(
            pair_rater, pair_ratee, data.n_ratees, minimum=params.ring_min, z=params.ring_z
        )[pair_of]
        columns = _columns(data.stars, order)
        mean_star = columns.mean(axis=0)
        burst = _bursts(ratee, t_us, mean_star, counted, data.n_ratees, params)
        trust = trusting.result()
    local = np.where(counted, Status.COUNTED, Status.REPEAT).astype(np.int8)
    local[burst] = Status.BURST
    local[counted & ring] = Status.RING
    weak = (thin | (trust < params.low_trust))[rater]
    new = (t_us - first_us[rater]) < int(params.new_days * 86_400e6)
    shifted = _shifts(ratee, t_us, mean_star, new | weak, ~weak, local, data.n_ratees, params)
    local[shifted] = Status.SHIFT
    included = local == Status.COUNTED
    weight = forgetting(t_us, at_us, params.half_life_days)
    weight *= share
    weight *= trust[rater]
    weight[~included] = 0.0
    bias = rater_bias(
        rater, ratee, mean_star, weight, data.n_raters, data.n_ratees, params.calibration_shrink
    )
    # Excluded ratings have weight 0 and add nothing: no need to gather the included ones.
    total, first, second = dirichlet_moments(
        ratee, calibrate(columns, bias[rater], in_place=True), weight, data.n_ratees
    )
    summary = summarise_moments(total, first, second, params.prior_strength, params.credible)
    status = np.full(len(data.rater), Status.LATER, dtype=np.int8)
    if data.sealed is not None:
        status[(data.t_us <= at_us) & data.sealed] = Status.SEALED
    status[order] = local
    full_weight = np.zeros(len(data.rater))
    full_weight[order] = weight
    return BatchResult(
        summary=summary,
        count=np.bincount(ratee[included], minlength=data.n_ratees),
        low_evidence=summary.effective < params.min_evidence,
        status=status,
        weight=full_weight,
        trust=trust,
        bias=bias,
    )


def _pair_order(
    rater: NDArray[np.int32], ratee: NDArray[np.int32], n_ratees: int
) -> NDArray[np.intp]:
    """The permutation sorting ratings by (rater, ratee), keeping time order within a pair.

    The row number is packed below the pair key so that an unstable (vectorised) sort of one
    int64 array does the work of a stable argsort, when the product fits in 63 bits.
    """
    n = len(rater)
    key = rater.astype(np.int64) * n_ratees + ratee
    if n == 0 or (int(key.max()) + 1) * n >= 2**62:
        return np.argsort(key, kind="stable")
    key *= n
    key += np.arange(n, dtype=np.int64)
    key.sort()
    return np.asarray(key % n, dtype=np.intp)


def _columns(stars: NDArray[np.int8], order: NDArray[np.intp]) -> NDArray[np.float64]:
    """``stars[order]`` as float64, one contiguous row per dimension (gathered per column:
    gathering 3-byte rows is several times slower)."""
    by_dimension = np.ascontiguousarray(stars.T)
    columns = np.empty((stars.shape[1], len(order)))
    for k in range(stars.shape[1]):
        columns[k] = by_dimension[k].take(order)
    return columns


def _bursts(
    ratee: NDArray[np.intp],
    t_us: NDArray[np.int64],
    mean_star: NDArray[np.float64],
    counted: NDArray[np.bool_],
    n_ratees: int,
    params: RatingParams,
) -> NDArray[np.bool_]:
    """Counted ratings that are suspicious as part of a burst."""
    if counted.all():  # the usual case: no gathers
        subset = (ratee, t_us, mean_star)
    else:
        subset = (ratee[counted], t_us[counted], mean_star[counted])
    burst = np.zeros(len(ratee), dtype=bool)
    burst[counted] = burst_flags(
        *subset,
        n_ratees,
        bin_days=params.burst_days,
        z=params.burst_z,
        minimum=params.burst_min,
        deviation=params.burst_deviation,
    )
    return burst


def _periods(
    rater: NDArray[np.intp], ratee: NDArray[np.intp], t_us: NDArray[np.int64], period_us: int
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    """On ratings sorted by (rater, ratee, time): the first per period, the share of each
    counted rating in its pair's one-rating weight, each pair's first row, each row's pair."""
    n = len(rater)
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return np.zeros(0, dtype=bool), np.zeros(0), empty, empty
    period = t_us // period_us
    new_pair = np.empty(n, dtype=bool)
    new_pair[0] = True
    np.not_equal(rater[1:], rater[:-1], out=new_pair[1:])
    new_pair[1:] |= ratee[1:] != ratee[:-1]
    counted = new_pair.copy()
    counted[1:] |= period[1:] != period[:-1]
    pair_of = np.cumsum(new_pair) - 1
    per_pair = np.bincount(pair_of, counted)
    share = np.where(counted, 1.0 / per_pair[pair_of], 0.0)
    return counted, share, np.flatnonzero(new_pair), pair_of


def _trust(
    pair_rater: NDArray[np.intp],
    pair_ratee: NDArray[np.intp],
    thin: NDArray[np.bool_],
    data: RatingArrays,
    params: RatingParams,
) -> NDArray[np.float64]:
    """Trust weight per rater from EigenTrust over the distinct interaction pairs.

    Thinly connected raters (every rating of one ratee, or all in a short window) are never
    seeds and weigh at most ``lone_weight``, however many verified tokens they hold."""
    seeds = None if data.seeds is None else data.seeds & ~thin
    trust = eigentrust(
        pair_rater,
        pair_ratee,
        data.n_raters,
        data.n_ratees,
        seeds,
        restart=params.trust_restart,
        iterations=params.trust_iterations,
    )
    active = np.bincount(pair_rater, minlength=data.n_raters) > 0
    weight = trust_weights(trust, active, params.trust_floor)
    np.minimum(weight, params.lone_weight, out=weight, where=thin)
    return weight


def _shifts(
    ratee: NDArray[np.intp],
    t_us: NDArray[np.int64],
    mean_star: NDArray[np.float64],
    suspect: NDArray[np.bool_],
    trusted: NDArray[np.bool_],
    local: NDArray[np.int8],
    n_ratees: int,
    params: RatingParams,
) -> NDArray[np.bool_]:
    """Counted ratings that are suspicious as part of a sustained shift by suspect raters
    (new when they rated, thinly connected, or of low trust; see :mod:`.drift`)."""
    return shift_flags(
        ratee,
        t_us,
        mean_star,
        suspect,
        trusted,
        local == Status.COUNTED,
        n_ratees,
        bin_days=params.burst_days,
        k=params.shift_k,
        h=params.shift_h,
        deviation=params.shift_deviation,
    )


def rank_order(result: BatchResult) -> NDArray[np.intp]:
    """Ratees best first: well-evidenced ones by the lower credible bound, then low-evidence
    ones (so noise in a handful of ratings never ranks a ratee above a well-evidenced one)."""
    return np.lexsort((-result.summary.low, result.low_evidence))
