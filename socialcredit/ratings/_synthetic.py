"""A seeded synthetic marketplace with known true quality, and four manipulation attacks.

Used by the attack experiment (``benchmarks/experiment_ratings.py``), the 10-million-rating
benchmark and the tests. Every rating here stands for one with a valid token: the attacks are
the ones that get past token checks (cheap real purchases, or tokens a ratee issues to its own
fake accounts), which is exactly what the aggregate has to withstand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ._batch import RatingArrays

__all__ = ["ATTACKS", "Attack", "Market", "attack", "marketplace"]

from ..timeutil import DAY_US as _DAY_US

START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


@dataclass(frozen=True, slots=True)
class Market:
    """A marketplace: its ratings, each ratee's true quality, and the time to aggregate at."""

    ratings: RatingArrays
    quality: NDArray[np.float64]
    rater_bias: NDArray[np.float64]
    at_us: int
    days: int


@dataclass(frozen=True, slots=True)
class Attack:
    """One attack applied to a market: the market after it, and the ratee it aims at."""

    name: str
    market: Market
    target: int
    direction: int  # +1 boosting, -1 smearing


def marketplace(
    *,
    seed: int = 0,
    n_ratees: int = 2_000,
    n_raters: int = 50_000,
    interactions: int = 300_000,
    rate_share: float = 0.6,
    days: int = 365,
    seed_share: float = 0.02,
) -> Market:
    """A seeded market: lognormal popularity and activity, harsh and lenient raters.

    True quality is on the star scale (about 1.5-4.8). A rating's stars are the ratee's
    quality plus the rater's habitual bias plus noise, rounded to 1-5 on each dimension.
    A share ``seed_share`` of raters are pre-trusted seeds (long-standing verified accounts).
    """
    rng = np.random.default_rng(seed)
    quality = np.clip(rng.normal(3.3, 0.7, n_ratees), 1.2, 4.8)
    popularity = rng.lognormal(0.0, 1.0, n_ratees)
    activity = rng.lognormal(0.0, 0.7, n_raters)
    bias = rng.normal(0.0, 0.6, n_raters)
    n = rng.binomial(interactions, rate_share)
    ratee = rng.choice(n_ratees, n, p=popularity / popularity.sum()).astype(np.int32)
    rater = rng.choice(n_raters, n, p=activity / activity.sum()).astype(np.int32)
    t_us = np.sort(START_US + rng.integers(0, days * _DAY_US, n, dtype=np.int64))
    stars = _stars(rng, quality[ratee] + bias[rater])
    seeds = rng.random(n_raters) < seed_share
    data = RatingArrays(rater, ratee, stars, t_us, n_raters, n_ratees, seeds=seeds)
    return Market(data, quality, bias, START_US + days * _DAY_US, days)


def _stars(rng: np.random.Generator, centre: NDArray[np.float64]) -> NDArray[np.int8]:
    noise = rng.normal(0.0, 0.8, (len(centre), 3))
    return np.clip(np.rint(centre[:, None] + noise), 1, 5).astype(np.int8)


def _add(
    market: Market,
    rater: NDArray[np.integer],
    ratee: NDArray[np.integer],
    stars: int,
    t_us: NDArray[np.int64],
    new_raters: int = 0,
) -> Market:
    """The market with extra ratings of fixed stars (new raters are appended, never seeds)."""
    d = market.ratings
    all_t = np.concatenate([d.t_us, t_us])
    order = np.argsort(all_t, kind="stable")
    seeds = None if d.seeds is None else np.concatenate([d.seeds, np.zeros(new_raters, bool)])
    data = replace(
        d,
        rater=np.concatenate([d.rater, rater.astype(np.int32)])[order],
        ratee=np.concatenate([d.ratee, ratee.astype(np.int32)])[order],
        stars=np.concatenate([d.stars, np.full((len(rater), 3), stars, np.int8)])[order],
        t_us=all_t[order],
        n_raters=d.n_raters + new_raters,
        seeds=seeds,
    )
    return replace(market, ratings=data)


def _window(rng: np.random.Generator, market: Market, n: int, days: int) -> NDArray[np.int64]:
    """``n`` times within ``days`` days, ending a week before the aggregation time."""
    end = market.at_us - 7 * _DAY_US
    return np.sort(end - rng.integers(0, days * _DAY_US, n, dtype=np.int64))


def _pick(market: Market, quantile: float) -> int:
    """A ratee of about the given quality quantile among those with 60-200 ratings."""
    counts = np.bincount(market.ratings.ratee, minlength=market.ratings.n_ratees)
    eligible = np.flatnonzero((counts >= 60) & (counts <= 200))
    q = market.quality[eligible]
    return int(eligible[np.argmin(np.abs(q - np.quantile(q, quantile)))])


def ring(market: Market, rng: np.random.Generator, size: int = 60) -> Attack:
    """A ring of fake accounts boosting one ratee (and two accomplices, to look ordinary)."""
    target = _pick(market, 0.3)
    accomplices = rng.choice(np.setdiff1d(np.arange(market.ratings.n_ratees), [target]), 2)
    fakes = market.ratings.n_raters + np.arange(size)
    rater = np.repeat(fakes, 3)
    ratee = np.tile(np.concatenate([[target], accomplices]), size)
    moved = _add(market, rater, ratee, 5, _window(rng, market, 3 * size, 21), size)
    return Attack("ring of fake accounts", moved, target, +1)


def sham(market: Market, rng: np.random.Generator, size: int = 80) -> Attack:
    """A ratee issuing tokens for sham interactions to its own fake accounts."""
    target = _pick(market, 0.3)
    fakes = market.ratings.n_raters + np.arange(size)
    moved = _add(market, fakes, np.full(size, target), 5, _window(rng, market, size, 14), size)
    return Attack("sham interactions", moved, target, +1)


def brigade(market: Market, rng: np.random.Generator, size: int = 150) -> Attack:
    """Competitors' staff and friends (real accounts with history) brigading a good rival."""
    target = _pick(market, 0.8)
    raters = rng.choice(market.ratings.n_raters, size, replace=False)
    moved = _add(market, raters, np.full(size, target), 1, _window(rng, market, size, 10))
    return Attack("competitors brigading", moved, target, -1)


def flood(market: Market, rng: np.random.Generator, size: int = 200) -> Attack:
    """One rater with many real (cheap) interactions flooding a ratee with one-star ratings."""
    target = _pick(market, 0.7)
    rater = np.full(size, int(rng.integers(market.ratings.n_raters)))
    moved = _add(market, rater, np.full(size, target), 1, _window(rng, market, size, 60))
    return Attack("single rater flooding", moved, target, -1)


ATTACKS = {"ring": ring, "sham": sham, "brigade": brigade, "flood": flood}


def attack(market: Market, name: str, seed: int = 1) -> Attack:
    """Apply the attack called ``name`` (a key of :data:`ATTACKS`) with its own seed.

    Raises:
        KeyError: if there is no such attack.
    """
    return ATTACKS[name](market, np.random.default_rng(seed))
