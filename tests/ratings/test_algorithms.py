"""The vectorised algorithms: Dirichlet, forgetting, calibration, trust, detection, ranking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from socialcredit.ratings import RatingArrays, RatingParams, Status, aggregate_batch, rank_order
from socialcredit.ratings._aggregate import (
    dirichlet_evidence,
    dirichlet_moments,
    forgetting,
    plain_mean,
    summarise,
    summarise_moments,
)
from socialcredit.ratings._calibration import rater_bias
from socialcredit.ratings._detection import burst_flags, ring_flags
from socialcredit.ratings._synthetic import ATTACKS, attack, marketplace
from socialcredit.ratings._trust import eigentrust, trust_weights

DAY_US = 86_400_000_000
T0 = 1_767_225_600_000_000


def test_dirichlet_mean_and_spread_match_sampling() -> None:
    evidence = np.array([[[1.0, 0.0, 2.0, 5.0, 3.0]] * 3])
    summary = summarise(evidence, prior_strength=5.0, credible=0.9)
    alpha = evidence[0, 0] + 1.0
    draws = np.random.default_rng(0).dirichlet(alpha, 200_000) @ np.arange(1, 6)
    assert summary.dim_score[0, 0] == pytest.approx(draws.mean(), abs=0.005)
    half = summary.dim_high[0, 0] - summary.dim_score[0, 0]
    assert half == pytest.approx(1.645 * draws.std(), rel=0.02)
    assert summary.effective[0] == pytest.approx(11.0)


def test_fractional_stars_keep_their_mean_and_weight() -> None:
    stars = np.array([[2.25, 5.0, 1.0]])
    evidence = dirichlet_evidence(np.array([0]), stars, np.array([2.0]), 1)
    assert evidence.sum(axis=2)[0] == pytest.approx([2.0, 2.0, 2.0])
    means = (evidence[0] @ np.arange(1, 6)) / 2.0
    assert means == pytest.approx([2.25, 5.0, 1.0])


def test_moments_give_the_same_summary_as_the_star_bins() -> None:
    rng = np.random.default_rng(9)
    ratee, stars, weight = rng.integers(0, 7, 500), rng.uniform(1, 5, (500, 3)), rng.random(500)
    by_bins = summarise(dirichlet_evidence(ratee, stars, weight, 7), 2.0, 0.9)
    moments = dirichlet_moments(ratee, np.ascontiguousarray(stars.T), weight, 7)
    by_moments = summarise_moments(*moments, 2.0, 0.9)
    for name in ("score", "low", "high", "dim_score", "dim_low", "dim_high", "effective"):
        assert getattr(by_moments, name) == pytest.approx(getattr(by_bins, name)), name


def test_forgetting_halves_at_the_half_life() -> None:
    t = np.array([T0, T0 - 365 * DAY_US, T0 - 730 * DAY_US])
    assert forgetting(t, T0, 365.0) == pytest.approx([1.0, 0.5, 0.25])


def test_plain_mean_is_the_peer() -> None:
    stars = np.array([[1, 1, 1], [5, 5, 5], [3, 3, 3]], dtype=np.int8)
    mean = plain_mean(np.array([0, 0, 1]), stars, 3)
    assert mean[:2] == pytest.approx([3.0, 3.0]) and np.isnan(mean[2])


def test_a_habitually_harsh_rater_is_discounted() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    rater, ratee = rng.integers(0, 100, n), rng.integers(0, 50, n)
    stars = np.full((n, 3), 4)
    stars[rater == 0] = 2  # rater 0 always gives two stars less
    bias = rater_bias(rater, ratee, stars.mean(axis=1), np.ones(n), 100, 50, shrink=3.0)
    count = int((rater == 0).sum())
    assert bias[0] == pytest.approx(-2.0 * count / (count + 3), abs=0.1)
    assert np.abs(bias[1:]).max() < 0.1


def test_accounts_that_only_touch_one_ratee_get_little_trust() -> None:
    rng = np.random.default_rng(2)
    real_rater = rng.integers(0, 500, 3000)
    real_ratee = rng.integers(0, 40, 3000)
    fakes = np.arange(500, 530)
    rater = np.concatenate([real_rater, fakes])
    ratee = np.concatenate([real_ratee, np.zeros(30, dtype=np.int64)])
    seeds = np.zeros(530, dtype=bool)
    seeds[:10] = True
    trust = eigentrust(rater, ratee, 530, 40, seeds)
    assert trust.sum() == pytest.approx(1.0)
    weights = trust_weights(trust, np.bincount(rater, minlength=530) > 0)
    assert weights[fakes].max() < 0.3 and np.median(weights[:500]) == pytest.approx(1.0)


def test_a_burst_far_from_the_baseline_is_flagged_and_calm_ratings_are_not() -> None:
    rng = np.random.default_rng(3)
    t = T0 + rng.integers(0, 365 * DAY_US, 300)
    star = np.clip(rng.normal(4.0, 0.5, 300), 1, 5)
    burst_t = T0 + 200 * DAY_US + rng.integers(0, 3 * DAY_US, 40)
    flags = burst_flags(
        np.zeros(340, dtype=np.int64),
        np.concatenate([t, burst_t]),
        np.concatenate([star, np.ones(40)]),
        1,
        bin_days=7,
        z=4,
        minimum=8,
        deviation=1.5,
    )
    assert flags[300:].all() and flags[:300].sum() <= 3
    # Many ratees x bins take the sort-based path: the same answer.
    wide = burst_flags(
        np.zeros(340, dtype=np.int64),
        np.concatenate([t, burst_t]),
        np.concatenate([star, np.ones(40)]),
        1_000_000,
        bin_days=7,
        z=4,
        minimum=8,
        deviation=1.5,
    )
    assert (wide == flags).all()


def test_a_ring_co_rating_the_same_ratees_is_flagged() -> None:
    rng = np.random.default_rng(4)
    rater = rng.integers(0, 2000, 8000)
    ratee = rng.integers(0, 200, 8000)
    ring_raters = np.repeat(np.arange(2000, 2015), 3)
    ring_ratees = np.tile([5, 17, 42], 15)
    pairs = np.unique(
        np.concatenate([rater, ring_raters]) * 200 + np.concatenate([ratee, ring_ratees])
    )
    flags = ring_flags(pairs // 200, pairs % 200, 200, minimum=8, z=5.0)
    in_ring = pairs // 200 >= 2000
    assert flags[in_ring].all() and flags[~in_ring].sum() <= 5


def test_low_evidence_never_ranks_above_well_evidenced() -> None:
    rater = np.arange(48, dtype=np.int32)
    ratee = np.array([0] * 8 + [1] * 40, dtype=np.int32)
    stars = np.array([[5, 5, 5]] * 8 + [[4, 4, 4]] * 40, dtype=np.int8)
    t = T0 + np.arange(48, dtype=np.int64) * DAY_US
    # Every rater here rated once: uncap lone raters, so that evidence is counted in ratings.
    params = RatingParams(lone_weight=1.0)
    result = aggregate_batch(RatingArrays(rater, ratee, stars, t, 48, 2), params, t[-1])
    assert result.low_evidence.tolist() == [True, False]
    assert result.summary.score[0] > result.summary.score[1]  # noise looks better ...
    assert rank_order(result).tolist() == [1, 0]  # ... but does not rank higher


def test_flooding_counts_once_per_period_and_weighs_one_rating() -> None:
    rater = np.array([0] * 10 + [1], dtype=np.int32)
    stars = np.array([[1, 1, 1]] * 10 + [[5, 5, 5]], dtype=np.int8)
    t = T0 + np.array([0, 1, 2, 3, 4, 40, 41, 42, 43, 44, 5], dtype=np.int64) * DAY_US
    order = np.argsort(t, kind="stable")
    data = RatingArrays(rater[order], np.zeros(11, np.int32), stars[order], t[order], 2, 1)
    result = aggregate_batch(data, RatingParams(half_life_days=1e9), int(t.max()))
    statuses = result.status[np.argsort(order)]
    assert (statuses[[0, 5, 10]] == Status.COUNTED).all()
    assert (statuses[[1, 2, 3, 4, 6, 7, 8, 9]] == Status.REPEAT).all()
    weights = result.weight[np.argsort(order)]
    assert weights[[0, 5]].sum() == pytest.approx(weights[10])


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_move_the_system_less_than_a_third_of_the_plain_mean(name: str) -> None:
    market = marketplace(seed=5, n_ratees=300, n_raters=8_000, interactions=50_000)
    params = RatingParams()
    before = aggregate_batch(market.ratings, params, market.at_us).summary.score
    hit = attack(market, name, seed=6)
    d, d0 = hit.market.ratings, market.ratings
    plain0 = plain_mean(d0.ratee, d0.stars, d0.n_ratees)
    plain = plain_mean(d.ratee, d.stars, d.n_ratees)
    after = aggregate_batch(d, params, market.at_us).summary.score
    e = hit.target
    assert abs(after[e] - before[e]) < abs(plain[e] - plain0[e]) / 3
    assert np.sign(plain[e] - plain0[e]) == hit.direction
    filled = np.where(np.isnan(plain), np.nanmean(plain), plain)
    assert spearmanr(after, market.quality)[0] >= spearmanr(filled, market.quality)[0]
