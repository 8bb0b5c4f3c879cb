"""Attack scenarios on a small seeded marketplace, replayed through a driver of the real system.

A scenario is a plan: the honest ratings of a seeded marketplace over ``weeks`` (organisations
of known true quality, raters with habitual bias, each rating arriving through a token issued
by the ratee itself or by a third party against an e-invoice), plus the ratings an attack
adds. :func:`replay` plays a plan, in time order, through a :class:`Driver`: the library
driver :class:`LedgerDriver` here (used by the tests), or the HTTP driver of
``benchmarks/experiment_ratings_api.py`` (real API keys, the ledger's injectable clock). Either
way every token, refusal, rating and score comes from the real code, never a copy of it.

:func:`measure` compares the attacked world with the attack-free one: the target's public score
shift against the plain mean's (over every rating the attacker tried to give), and Spearman's
rank correlation of all organisations' public scores with their true quality.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr

from socialcredit.catalogue import make_resident_id, make_uscc

from ..errors import RatingRefusedError
from ..ledger import Ledger, PendingEntry
from ..timeutil import DAY_US
from ._interactions import record_interaction
from ._service import issue_token, rate, ratee_view

__all__ = [
    "ATTACKS",
    "Driver",
    "LedgerDriver",
    "Outcome",
    "Plan",
    "Planned",
    "World",
    "attack_plan",
    "measure",
    "replay",
    "world",
]

WEEK_US = 7 * DAY_US
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
TAX_SOURCE = "tax_authority:e-invoice-platform"
FARE_SOURCE = "transport_operator:metro"
_DIMS = ("integrity", "professionalism", "service")


@dataclass(frozen=True, slots=True)
class Planned:
    """One rating to give: when, who, whom, the stars and the token's channel.

    Attributes:
        channel: ``verified`` (a third party's e-invoice, then its token), ``self`` (the ratee
            issues the token to its own customer) or ``forged`` (first tries a token against an
            unrelated filed record with a fare-evasion source's key, then buys for real).
        attack: True for the attacker's ratings.
    """

    t_us: int
    rater: str
    ratee: str
    stars: tuple[int, int, int]
    channel: str
    attack: bool = False


@dataclass(frozen=True, slots=True)
class World:
    """The attack-free marketplace: organisations, true quality, the honest plan."""

    orgs: list[str]
    quality: NDArray[np.float64]
    raters: list[str]
    honest: list[Planned]
    end_us: int


@dataclass(frozen=True, slots=True)
class Plan:
    """An attack on a world: its ratings, the organisation it aims at and the direction."""

    name: str
    ratings: list[Planned]
    target: int
    direction: int


@dataclass
class Outcome:
    """What a replay gave: public scores, the statuses of the honest ratings and of the
    attacker's ratings of the target, and how many token requests were refused."""

    scores: NDArray[np.float64]
    honest_status: dict[str, int] = field(default_factory=dict)
    attack_status: dict[str, int] = field(default_factory=dict)
    refused: int = 0


class Driver(Protocol):
    """The system under attack, as a rater, a ratee, a source and the public see it."""

    def set_time(self, t_us: int) -> None:
        """Move the ledger clock to ``t_us`` (never backwards)."""

    def file_unrelated_record(self) -> int:
        """File a fare-evasion record with the fare source's key; its position."""

    def record(self, buyer: str, seller: str, reference: str) -> int:
        """The tax authority's e-invoice naming buyer and seller; its position."""

    def issue(self, issuer: str, rater: str, ratee: str, reference: str, by: str) -> str:
        """A token, issued by ``by`` (``tax``, ``fare`` or ``ratee``); raises on refusal."""

    def rate(self, token: str, rater: str, ratee: str, stars: dict[str, int]) -> int:
        """The rater's rating; its position."""

    def view(self, ratee: str, at_us: int) -> tuple[float, dict[int, str]]:
        """The public score and each shown rating's status by position."""


def world(
    seed: int,
    *,
    n_orgs: int = 21,
    n_raters: int = 400,
    target_ratings: int = 50,
    per_org: int = 50,
    weeks: int = 40,
    verified_share: float = 0.6,
    start_us: int = START_US,
) -> World:
    """A seeded marketplace; organisation 0 is the target of boosts (true quality 2.4).

    Raters arrive over the first half of the period and rate until its end; each organisation
    gets about ``per_org`` honest ratings (the target exactly ``target_ratings``). Stars are
    quality + the rater's habitual bias + noise, rounded per dimension. The period starts at
    ``start_us`` (a ledger's time only moves forward: start after its genesis).
    """
    rng = np.random.default_rng(seed)
    quality = np.clip(rng.normal(3.3, 0.7, n_orgs), 1.2, 4.8)
    quality[0] = 2.4
    orgs = [make_uscc("110105", 1000 + i) for i in range(n_orgs)]
    raters = [_person(i) for i in range(n_raters)]
    bias = rng.normal(0.0, 0.6, n_raters)
    activity = rng.lognormal(0.0, 0.7, n_raters)
    arrive = rng.integers(0, weeks * WEEK_US // 2, n_raters)
    counts = np.maximum(rng.poisson(per_org, n_orgs), 5)
    counts[0] = target_ratings
    end_us = start_us + weeks * WEEK_US
    honest = []
    for org, count in enumerate(counts):
        who = rng.choice(n_raters, int(count), p=activity / activity.sum())
        for r in who:
            t = start_us + int(arrive[r]) + int(rng.integers(0, weeks * WEEK_US - arrive[r]))
            channel = "verified" if rng.random() < verified_share else "self"
            stars = _stars(rng, quality[org] + bias[r])
            honest.append(Planned(t, raters[r], orgs[org], stars, channel))
    honest.sort(key=lambda p: p.t_us)
    return World(orgs, quality, raters, honest, end_us)


def _person(i: int) -> str:
    from datetime import date

    return make_resident_id("110105", date(1960 + i % 40, 1 + i % 12, 1 + i % 28), i % 1000)


def _stars(rng: np.random.Generator, centre: float) -> tuple[int, int, int]:
    drawn = np.clip(np.rint(centre + rng.normal(0.0, 0.8, 3)), 1, 5).astype(int)
    return int(drawn[0]), int(drawn[1]), int(drawn[2])


def _sybils(w: World, n: int, offset: int) -> list[str]:
    return [_person(100_000 + offset + i) for i in range(n)]


def _burst(
    w: World, rng: np.random.Generator, who: list[str], at_us: int, days: float
) -> list[int]:
    return sorted(at_us + int(x) for x in rng.integers(0, int(days * DAY_US), len(who)))


def _boost(w: World, who: list[str], times: list[int], channel: str) -> list[Planned]:
    return [
        Planned(t, r, w.orgs[0], (5, 5, 5), channel, True) for r, t in zip(who, times, strict=True)
    ]


def _at_mean(w: World, rater: str, org: int, t_us: int) -> Planned:
    q = int(np.clip(np.rint(w.quality[org]), 1, 5))
    return Planned(t_us, rater, w.orgs[org], (q, q, q), "verified", True)


def self_issued(w: World, rng: np.random.Generator) -> Plan:
    """7 sybils rate the target 5 stars with tokens the target issued itself, in one day."""
    who = _sybils(w, 7, 0)
    at = w.end_us - 8 * WEEK_US
    return Plan("7 sybils, self-issued", _boost(w, who, _burst(w, rng, who, at, 1), "self"), 0, 1)


def record_issued(w: World, rng: np.random.Generator) -> Plan:
    """7 sybils try tokens against an unrelated record (a fare-evasion key), then buy for real."""
    who = _sybils(w, 7, 0)
    at = w.end_us - 8 * WEEK_US
    ratings = _boost(w, who, _burst(w, rng, who, at, 1), "forged")
    return Plan("7 sybils, record-issued", ratings, 0, 1)


def camouflaged(w: World, rng: np.random.Generator) -> Plan:
    """Record-issued sybils that each also rate 2 honest organisations at their mean."""
    plan = record_issued(w, rng)
    cover = []
    for p in plan.ratings:
        for org in rng.choice(np.arange(1, len(w.orgs)), 2, replace=False):
            cover.append(_at_mean(w, p.rater, int(org), p.t_us - int(rng.integers(1, 5 * DAY_US))))
    return Plan("camouflaged sybils", sorted(plan.ratings + cover, key=_time), 0, 1)


def forty(w: World, rng: np.random.Generator) -> Plan:
    """40 sybils, self-issued tokens, in one day."""
    who = _sybils(w, 40, 0)
    at = w.end_us - 8 * WEEK_US
    return Plan("40 sybils at once", _boost(w, who, _burst(w, rng, who, at, 1), "self"), 0, 1)


def weekly(w: World, rng: np.random.Generator) -> Plan:
    """7 new sybils a week for 12 weeks, each with a real purchase from the target."""
    ratings = []
    for week in range(12):
        who = _sybils(w, 7, 7 * week)
        at = w.end_us - 14 * WEEK_US + week * WEEK_US
        ratings += _boost(w, who, _burst(w, rng, who, at, 7), "verified")
    return Plan("7 a week for 12 weeks", ratings, 0, 1)


def reputation(w: World, rng: np.random.Generator) -> Plan:
    """7 sybils buy from and rate honest organisations at their mean for 3 months, then boost."""
    who = _sybils(w, 7, 0)
    strike = w.end_us - 6 * WEEK_US
    cover = []
    for r in who:
        for org in rng.choice(np.arange(1, len(w.orgs)), 6, replace=False):
            t = strike - 13 * WEEK_US + int(rng.integers(0, 12 * WEEK_US))
            cover.append(_at_mean(w, r, int(org), t))
    ratings = cover + _boost(w, who, _burst(w, rng, who, strike, 3), "verified")
    return Plan("reputation for 3 months, then boost", sorted(ratings, key=_time), 0, 1)


def _rival(w: World) -> int:
    return int(np.argmax(w.quality))


def brigade(w: World, rng: np.random.Generator) -> Plan:
    """30 established honest raters (competitors' staff and friends) 1-star the best rival."""
    early = [p.rater for p in w.honest if p.t_us < w.end_us - 20 * WEEK_US]
    seen = sorted(set(early), key=early.index)
    who = [seen[i] for i in rng.choice(len(seen), min(30, len(seen)), replace=False)]
    rival = w.orgs[_rival(w)]
    times = _burst(w, rng, who, w.end_us - 8 * WEEK_US, 10)
    ratings = [
        Planned(t, r, rival, (1, 1, 1), "verified", True) for r, t in zip(who, times, strict=True)
    ]
    return Plan("competitors brigading", ratings, _rival(w), -1)


def flood(w: World, rng: np.random.Generator) -> Plan:
    """One established rater, 200 one-star ratings of a good organisation over 60 days."""
    good = int(np.argsort(w.quality)[int(0.7 * len(w.quality))])
    rater = w.honest[0].rater
    times = sorted(w.end_us - 10 * WEEK_US + int(x) for x in rng.integers(0, 60 * DAY_US, 200))
    ratings = [Planned(t, rater, w.orgs[good], (1, 1, 1), "verified", True) for t in times]
    return Plan("single rater flooding", ratings, good, -1)


def _time(p: Planned) -> int:
    return p.t_us


#: Every attack, by name: ``attack(world, rng) -> Plan``.
ATTACKS: dict[str, Callable[[World, np.random.Generator], Plan]] = {
    "self_issued": self_issued,
    "record_issued": record_issued,
    "camouflaged": camouflaged,
    "forty": forty,
    "weekly": weekly,
    "reputation": reputation,
    "brigade": brigade,
    "flood": flood,
}


def attack_plan(w: World, name: str, seed: int) -> Plan:
    """The attack called ``name`` (a key of :data:`ATTACKS`) on ``w``, with its own seed.

    Raises:
        KeyError: if there is no such attack.
    """
    return ATTACKS[name](w, np.random.default_rng(seed))


def replay(w: World, attack: Plan | None, driver: Driver) -> Outcome:
    """Play the honest plan and the attack in time order through ``driver``; read every
    organisation's public page at the end of the period.

    Raises:
        RatingRefusedError: if the system refuses an honest rating (it must not).
    """
    extra = attack.ratings if attack is not None else []
    plan = sorted(w.honest + extra, key=_time)
    driver.set_time(plan[0].t_us - DAY_US)
    unrelated = driver.file_unrelated_record()
    kinds: dict[int, bool] = {}
    refused = 0
    for number, p in enumerate(plan):
        driver.set_time(p.t_us)
        if p.channel == "forged":
            refused += _forged(driver, p, unrelated, number)
        kinds[_give(driver, p, f"inv-{number}")] = p.attack
    driver.set_time(w.end_us)
    scores = np.zeros(len(w.orgs))
    outcome = Outcome(scores, refused=refused)
    target = None if attack is None else attack.target
    for i, org in enumerate(w.orgs):
        scores[i], shown = driver.view(org, w.end_us)
        for position, status in shown.items():
            if not kinds.get(position):
                outcome.honest_status[status] = outcome.honest_status.get(status, 0) + 1
            elif i == target:
                outcome.attack_status[status] = outcome.attack_status.get(status, 0) + 1
    return outcome


def _forged(driver: Driver, p: Planned, unrelated: int, number: int) -> int:
    """1 if a token against an unrelated record is refused (it must be), else raise."""
    try:
        driver.issue(f"record:{unrelated}", p.rater, p.ratee, f"forged-{number}", "fare")
    except RatingRefusedError:
        return 1
    raise AssertionError("a token against an unrelated record was issued")


def _give(driver: Driver, p: Planned, reference: str) -> int:
    stars = dict(zip(_DIMS, p.stars, strict=True))
    if p.channel == "self":
        token = driver.issue(p.ratee, p.rater, p.ratee, reference, "ratee")
    else:
        position = driver.record(p.rater, p.ratee, reference)
        token = driver.issue(f"record:{position}", p.rater, p.ratee, reference, "tax")
    return driver.rate(token, p.rater, p.ratee, stars)


def plain_means(w: World, attack: Plan | None) -> NDArray[np.float64]:
    """Each organisation's plain mean over every rating given or attempted."""
    ratings = w.honest + (attack.ratings if attack is not None else [])
    index = {org: i for i, org in enumerate(w.orgs)}
    ratee = np.array([index[p.ratee] for p in ratings])
    stars = np.array([np.mean(p.stars) for p in ratings])
    total = np.bincount(ratee, stars, minlength=len(w.orgs))
    return np.asarray(total / np.bincount(ratee, minlength=len(w.orgs)), dtype=np.float64)


def measure(w: World, attack: Plan, base: Outcome, hit: Outcome) -> dict[str, float]:
    """Shift of the target (system, plain mean), their ratio, and both rank correlations."""
    plain0, plain = plain_means(w, None), plain_means(w, attack)
    e = attack.target
    system_shift = float(hit.scores[e] - base.scores[e])
    plain_shift = float(plain[e] - plain0[e])
    return {
        "shift system": system_shift,
        "shift plain": plain_shift,
        "ratio": abs(system_shift) / abs(plain_shift),
        "rho system": float(spearmanr(hit.scores, w.quality)[0]),
        "rho plain": float(spearmanr(plain, w.quality)[0]),
        "refused": float(hit.refused),
    }


class LedgerDriver:
    """The library as the driver: one ledger, its injectable clock, the service functions."""

    def __init__(self, ledger: Ledger, clock: Callable[[int], None]) -> None:
        """``clock(t_us)`` sets the ledger's clock (the tests' settable clock)."""
        self.ledger, self._set = ledger, clock

    def set_time(self, t_us: int) -> None:
        """Move the ledger clock."""
        self._set(t_us)

    def file_unrelated_record(self) -> int:
        """A fare-evasion record (as a transport operator would file it); its position."""
        data = {"kind": "fare_evasion", "source": FARE_SOURCE}
        return self.ledger.append([PendingEntry("RecordFiled", data)])[0].position

    def record(self, buyer: str, seller: str, reference: str) -> int:
        """The e-invoice, filed by the tax authority's source."""
        return record_interaction(self.ledger, TAX_SOURCE, buyer, seller, reference)

    def issue(self, issuer: str, rater: str, ratee: str, reference: str, by: str) -> str:
        """A token; a source's tokens are checked against the record's filer."""
        source = {"tax": TAX_SOURCE, "fare": FARE_SOURCE}.get(by)
        return issue_token(self.ledger, issuer, rater, ratee, reference, source=source).token

    def rate(self, token: str, rater: str, ratee: str, stars: dict[str, int]) -> int:
        """The rating's position."""
        return rate(self.ledger, token, rater, ratee, stars)

    def view(self, ratee: str, at_us: int) -> tuple[float, dict[int, str]]:
        """Score and statuses from the public view."""
        page = ratee_view(self.ledger, ratee, datetime.fromtimestamp(at_us / 1e6, UTC))
        return page.aggregate.score, {r.position: r.status for r in page.ratings}
