"""Rating assessments: public opinion reaches the score only as records the policy rules on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from socialcredit.ledger import Ledger
from socialcredit.ratings import RatingParams, issue_token, rate, rating_aggregate
from socialcredit.ratings._assessment import ABOVE, BELOW, assess, assessment_of
from socialcredit.records import ledger_index
from socialcredit.scoring import score

from ..conftest import Clock
from ..records_factory import organisation, person

SHOP = organisation(7)
DAY = 86_400
# Each rater here rates the shop once, which caps their weight (lone raters weigh at most
# lone_weight: tests/ratings/test_attacks.py); the policy path is tested with full weights.
UNCAPPED = RatingParams(lone_weight=1.0)


def now(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now_us / 1e6, UTC)


def rate_shop(ledger: Ledger, clock: Clock, raters: range, stars: int) -> None:
    """One verified rating of the shop from each rater, a day apart (no burst)."""
    for i in raters:
        issued = issue_token(ledger, SHOP, person(i), SHOP, f"order-{i}")
        given = {"integrity": stars, "professionalism": stars, "service": stars}
        rate(ledger, issued.token, person(i), SHOP, given)
        clock.advance(DAY)


def assessments(ledger: Ledger, clock: Clock) -> list[tuple[str, int | None]]:
    rows = ledger_index(ledger).effective(*("organisation", SHOP), clock.now_us)
    return [(r.kind, r.amount) for r in rows if r.kind in (ABOVE, BELOW)]


def test_assessment_of_an_interval() -> None:
    assert assessment_of(3.46, 4.2, low_evidence=False) == (ABOVE, 4)
    assert assessment_of(1.5, 2.71, low_evidence=False) == (BELOW, 2)
    assert assessment_of(2.9, 3.3, low_evidence=False) is None  # straddles neutral
    assert assessment_of(3.46, 4.2, low_evidence=True) is None  # too little evidence
    assert assessment_of(3.05, 4.0, low_evidence=False) is None  # under a tenth of a star


def test_good_then_bad_ratings_reach_the_score_through_the_policy(
    make_ledger: Callable[..., Ledger], clock: Clock
) -> None:
    ledger = make_ledger()
    rate_shop(ledger, clock, range(1, 21), stars=5)
    aggregate = rating_aggregate(ledger, "organisation", SHOP, now(clock), params=UNCAPPED)
    assert not aggregate.low_evidence and aggregate.low > 3
    first = assess(ledger, params=UNCAPPED)
    assert (first.filed, first.withdrawn) == (1, 0)
    [(kind, tenths)] = assessments(ledger, clock)
    assert kind == ABOVE and tenths == int(10 * (aggregate.low - 3))
    points = score(ledger, "organisation", SHOP, as_of=now(clock)).dimensions["public_rating"]
    assert points == min(tenths, 20)  # the default rule: a point per tenth, capped at 20
    size = ledger.size()
    assert (
        assess(ledger, params=UNCAPPED).unchanged == 1 and ledger.size() == size
    )  # nothing new to say
    clock.advance(DAY)
    rate_shop(ledger, clock, range(100, 180), stars=1)
    second = assess(ledger, params=UNCAPPED)
    assert (second.filed, second.withdrawn) == (1, 1)
    [(kind, tenths)] = assessments(ledger, clock)  # the old assessment no longer counts
    assert kind == BELOW and tenths > 0
    result = score(ledger, "organisation", SHOP, as_of=now(clock))
    assert result.dimensions["public_rating"] == -min(tenths, 20)
    assert result.total == 1000 - min(tenths, 20)
