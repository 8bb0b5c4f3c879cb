"""Tokens, rating, reply, dispute and the ratee view, through a real SQLite ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from socialcredit.errors import RatingRefusedError
from socialcredit.ledger import Ledger
from socialcredit.ratings import (
    Ratee,
    RatingParams,
    dispute,
    issue_token,
    load_state,
    rate,
    ratee_view,
    rating_aggregate,
    reply,
)
from socialcredit.rights import decide

from ..conftest import Clock
from ..records_factory import organisation, person

SHOP = organisation(7)
HOSPITAL = organisation(8)
DOCTOR = person(500)
STARS = {"integrity": 4, "professionalism": 5, "service": 3}
DAY = 86_400
# The raters of these small ledgers each rate one shop, which caps their weight (a lone rater
# weighs at most lone_weight: tests/ratings/test_attacks.py); here evidence counts in full.
UNCAPPED = RatingParams(lone_weight=1.0)


def fields(error: RatingRefusedError) -> list[str]:
    return [p.field for p in error.problems]


def now(clock: Clock) -> datetime:
    return datetime.fromtimestamp(clock.now_us / 1e6, UTC)


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()


def test_token_then_rating_is_counted_and_view_masks_the_rater(
    ledger: Ledger, clock: Clock
) -> None:
    issued = issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    position = rate(ledger, issued.token, person(1), SHOP, STARS, "quick and honest")
    raw = ledger.entry_bytes(issued.position).decode()
    assert issued.token.split(".")[1] not in raw  # only the hash of the secret is stored
    view = ratee_view(ledger, SHOP, now(clock))
    assert [r.position for r in view.ratings] == [position]
    shown = view.ratings[0]
    assert shown.status == "counted" and shown.text == "quick and honest"
    assert shown.rater != person(1) and shown.rater.startswith(person(1)[:4]) and "*" in shown.rater
    assert view.aggregate.count == 1 and view.aggregate.low_evidence
    assert 3.0 < view.aggregate.score < 4.0  # one 4-star rating shrunk toward the prior of 3


def test_token_is_single_use_and_bound_to_rater_and_ratee(ledger: Ledger) -> None:
    issued = issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    with pytest.raises(RatingRefusedError) as wrong:
        rate(ledger, issued.token, person(2), organisation(9), STARS)
    assert fields(wrong.value) == ["rater", "ratee"]
    size = ledger.size()
    rate(ledger, issued.token, person(1), SHOP, STARS)
    with pytest.raises(RatingRefusedError) as again:
        rate(ledger, issued.token, person(1), SHOP, STARS)
    assert "already used" in again.value.problems[0].reason
    assert ledger.size() == size + 1  # the refusals wrote nothing


def test_unknown_forged_and_expired_tokens_are_refused(ledger: Ledger, clock: Clock) -> None:
    issued = issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    with pytest.raises(RatingRefusedError, match="unknown token"):
        rate(ledger, "rt_0000000000000000.secret", person(1), SHOP, STARS)
    with pytest.raises(RatingRefusedError, match="wrong secret"):
        rate(ledger, issued.token_id + ".guess", person(1), SHOP, STARS)
    with pytest.raises(RatingRefusedError, match="expected <token id>"):
        rate(ledger, "nonsense", person(1), SHOP, STARS)
    clock.advance(31 * DAY)
    with pytest.raises(RatingRefusedError, match="expired"):
        rate(ledger, issued.token, person(1), SHOP, STARS)


def test_one_token_per_interaction(ledger: Ledger) -> None:
    issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    with pytest.raises(RatingRefusedError) as twice:
        issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    assert fields(twice.value) == ["interaction"]


def test_bad_stars_and_text_name_every_field(ledger: Ledger) -> None:
    issued = issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    with pytest.raises(RatingRefusedError) as bad:
        rate(ledger, issued.token, person(1), SHOP, {"integrity": 6, "speed": 3, "service": 2})
    assert sorted(fields(bad.value)) == ["stars.integrity", "stars.professionalism", "stars.speed"]
    with pytest.raises(RatingRefusedError) as long:
        rate(ledger, issued.token, person(1), SHOP, STARS, "x" * 501)
    assert fields(long.value) == ["text"]


def test_private_persons_are_never_ratees(ledger: Ledger, clock: Clock) -> None:
    with pytest.raises(RatingRefusedError) as private:
        issue_token(ledger, DOCTOR, person(1), DOCTOR, "visit-1")
    assert fields(private.value) == ["ratee.role"]
    assert "never as a private person" in private.value.problems[0].reason
    with pytest.raises(RatingRefusedError) as role:
        issue_token(ledger, f"{DOCTOR}:neighbour", person(1), f"{DOCTOR}:neighbour", "visit-1")
    assert fields(role.value) == ["ratee.role"]
    with pytest.raises(RatingRefusedError) as own:
        issue_token(ledger, f"{DOCTOR}:doctor", DOCTOR, f"{DOCTOR}:doctor", "visit-1")
    assert fields(own.value) == ["rater"]
    with pytest.raises(RatingRefusedError) as employer:  # only the ratee invites its raters
        issue_token(ledger, HOSPITAL, person(1), f"{DOCTOR}:doctor", "visit-1")
    assert fields(employer.value) == ["issuer"]
    issued = issue_token(ledger, f"{DOCTOR}:doctor", person(1), f"{DOCTOR}:doctor", "visit-1")
    rate(ledger, issued.token, person(1), f"{DOCTOR}:doctor", STARS)
    later = now(clock) + timedelta(seconds=1)
    assert rating_aggregate(ledger, "person", DOCTOR, later).count == 1
    assert rating_aggregate(ledger, "professional", f"{DOCTOR}:doctor", later).count == 1
    assert rating_aggregate(ledger, "person", DOCTOR, later, role="teacher").count == 0


def test_one_counted_rating_per_rater_and_ratee_per_period(ledger: Ledger, clock: Clock) -> None:
    positions = []
    for i in range(3):
        issued = issue_token(ledger, SHOP, person(1), SHOP, f"order-{i}")
        positions.append(rate(ledger, issued.token, person(1), SHOP, STARS))
        clock.advance(DAY)
    view = ratee_view(ledger, SHOP, now(clock))
    assert [r.status for r in view.ratings] == ["counted", "repeat", "repeat"]
    assert view.aggregate.count == 1


def test_reply_once_by_the_ratee(ledger: Ledger, clock: Clock) -> None:
    issued = issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    position = rate(ledger, issued.token, person(1), SHOP, STARS)
    with pytest.raises(RatingRefusedError) as other:
        reply(ledger, position, organisation(9), "not ours")
    assert fields(other.value) == ["ratee"]
    reply(ledger, position, SHOP, "thank you")
    with pytest.raises(RatingRefusedError, match="already replied"):
        reply(ledger, position, SHOP, "again")
    assert ratee_view(ledger, SHOP, now(clock)).ratings[0].reply == "thank you"


def test_dispute_goes_through_the_rights_machinery(ledger: Ledger, clock: Clock) -> None:
    issued = issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    position = rate(ledger, issued.token, person(1), SHOP, STARS)
    with pytest.raises(RatingRefusedError) as missing:
        dispute(ledger, position + 100, SHOP, "never happened")
    assert fields(missing.value) == ["rating"]
    with pytest.raises(RatingRefusedError) as other:
        dispute(ledger, position, organisation(9), "never happened")
    assert fields(other.value) == ["ratee"]
    dispute_id = dispute(ledger, position, SHOP, "the order was cancelled by the customer")
    view = ratee_view(ledger, SHOP, now(clock))
    assert view.ratings[0].disputed and view.aggregate.count == 1
    clock.advance(DAY)
    decide(ledger, dispute_id, "deleted", "officer-7", "no delivery took place")
    view = ratee_view(ledger, SHOP, now(clock))
    assert view.ratings == [] and view.aggregate.count == 0


def test_simultaneous_reveal_seals_until_both_are_in_or_window_ends(
    ledger: Ledger, clock: Clock
) -> None:
    lawyer, accountant = person(11), person(12)
    a = issue_token(
        ledger, f"{accountant}:accountant", lawyer, f"{accountant}:accountant", "engagement-1"
    )
    b = issue_token(ledger, f"{lawyer}:lawyer", accountant, f"{lawyer}:lawyer", "engagement-1")
    rate(ledger, a.token, lawyer, f"{accountant}:accountant", STARS)
    view = ratee_view(ledger, f"{accountant}:accountant", now(clock))
    assert view.ratings == [] and view.sealed == 1
    clock.advance(DAY)
    rate(ledger, b.token, accountant, f"{lawyer}:lawyer", STARS)
    assert len(ratee_view(ledger, f"{accountant}:accountant", now(clock)).ratings) == 1
    assert len(ratee_view(ledger, f"{lawyer}:lawyer", now(clock)).ratings) == 1


def test_one_sided_mutual_rating_is_revealed_when_the_window_ends(
    ledger: Ledger, clock: Clock
) -> None:
    lawyer, accountant = person(11), person(12)
    a = issue_token(
        ledger, f"{accountant}:accountant", lawyer, f"{accountant}:accountant", "engagement-1"
    )
    issue_token(ledger, f"{lawyer}:lawyer", accountant, f"{lawyer}:lawyer", "engagement-1")
    rate(ledger, a.token, lawyer, f"{accountant}:accountant", STARS)
    clock.advance(13 * DAY)
    assert ratee_view(ledger, f"{accountant}:accountant", now(clock)).sealed == 1
    clock.advance(2 * DAY)
    assert len(ratee_view(ledger, f"{accountant}:accountant", now(clock)).ratings) == 1


def test_rating_aggregate_is_a_pure_function_of_the_ledger_and_time(
    ledger: Ledger, clock: Clock
) -> None:
    before = now(clock) - timedelta(seconds=1)
    for i in range(12):
        issued = issue_token(ledger, SHOP, person(i), SHOP, f"order-{i}")
        rate(ledger, issued.token, person(i), SHOP, {d: 5 for d in STARS})
        clock.advance(3600)
    later = now(clock)
    first = rating_aggregate(ledger, "organisation", SHOP, later, params=UNCAPPED)
    again = rating_aggregate(load_state(ledger), "organisation", SHOP, later, params=UNCAPPED)
    assert first == again
    assert first.count == 12 and not first.low_evidence and first.low > 3.5
    assert set(first.per_dimension) == {"integrity", "professionalism", "service"}
    empty = rating_aggregate(ledger, "organisation", SHOP, before)
    assert empty.count == 0 and empty.low_evidence and empty.score == pytest.approx(3.0)
    unknown = rating_aggregate(ledger, "organisation", organisation(99), later)
    assert unknown.count == 0 and unknown.low_evidence
    never = rating_aggregate(ledger, "person", DOCTOR, later)
    assert never.count == 0 and never.low_evidence
    with pytest.raises(RatingRefusedError):
        rating_aggregate(ledger, "household", SHOP, later)
    with pytest.raises(RatingRefusedError):
        rating_aggregate(ledger, "organisation", SHOP, datetime(2026, 1, 1))


def test_ratee_parse_round_trips_and_masks() -> None:
    doctor = Ratee.parse(f"{DOCTOR}:doctor")
    assert doctor == Ratee.from_data(doctor.as_data())
    assert doctor.key.endswith(":doctor") and DOCTOR not in doctor.masked()
    assert Ratee.parse(SHOP).kind == "organisation"


def test_sham_tokens_to_own_fake_accounts_are_shown_but_not_counted(
    ledger: Ledger, clock: Clock
) -> None:
    low = {"integrity": 2, "professionalism": 2, "service": 2}
    for i in range(30):  # ordinary customers over two months
        issued = issue_token(ledger, SHOP, person(i), SHOP, f"order-{i}")
        rate(ledger, issued.token, person(i), SHOP, low)
        clock.advance(2 * DAY)
    for i in range(100, 120):  # the shop's own fake accounts, in one afternoon
        issued = issue_token(ledger, SHOP, person(i), SHOP, f"sham-{i}")
        rate(ledger, issued.token, person(i), SHOP, {d: 5 for d in STARS})
        clock.advance(600)
    view = ratee_view(ledger, SHOP, now(clock), UNCAPPED)
    statuses = [r.status for r in view.ratings]
    assert statuses == ["counted"] * 30 + ["burst"] * 20
    assert view.aggregate.count == 30 and view.aggregate.score < 2.2


def test_the_caught_up_ratings_state_equals_a_rebuild_at_every_step(
    ledger: Ledger, clock: Clock
) -> None:
    """``load_state`` catches its ledger-attached projection up with each append; at every
    step it equals the state rebuilt from scratch through a fresh ledger object, and a past
    ``known_at`` is still answered from the entries recorded by then."""
    lawyer, accountant = person(11), person(12)

    def rebuilt() -> object:
        return load_state(Ledger(ledger.store))

    steps: list[Callable[[], object]] = [
        lambda: issue_token(
            ledger, f"{accountant}:accountant", lawyer, f"{accountant}:accountant", "e-1"
        ),
        lambda: issue_token(ledger, f"{lawyer}:lawyer", accountant, f"{lawyer}:lawyer", "e-1"),
    ]
    for step in steps:
        step()
        clock.advance(DAY)
        assert load_state(ledger) == rebuilt()
    first_at = now(clock)
    issued = issue_token(ledger, SHOP, person(1), SHOP, "order-1")
    position = rate(ledger, issued.token, person(1), SHOP, STARS)
    assert load_state(ledger) == rebuilt()
    clock.advance(DAY)
    reply(ledger, position, SHOP, "thank you")
    dispute_id = dispute(ledger, position, SHOP, "the order was cancelled")
    assert load_state(ledger) == rebuilt()
    clock.advance(DAY)
    decide(ledger, dispute_id, "deleted", "officer-7", "no delivery took place")
    current = load_state(ledger)
    assert current == rebuilt() and current.ratings[position].deleted
    past = load_state(ledger, int(first_at.timestamp() * 1_000_000) - 1)
    assert position not in past.ratings and len(past.tokens) == 2
