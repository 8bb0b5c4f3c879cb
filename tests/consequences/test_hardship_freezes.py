"""Hardship in decisions and in a subject's consequences: which restrictions it freezes, since
when (issue 22, point 7), and the unmasked read of a list (point 3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from socialcredit.consequences import (
    CompiledConsequences,
    DecisionService,
    SubjectFacts,
    identified_members_of_list,
    make_decision,
    subject_consequences,
)
from socialcredit.errors import ValidationError
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle
from socialcredit.timeutil import to_us

from .helpers import play, subject

FEB = datetime(2026, 2, 1, tzinfo=UTC)
DEBTOR = [{"kind": "debtor_refuses_to_perform", "occurred": "2026-01-01", "at": "2026-01-02"}]
HARDSHIP = {"hardship": "record", "at": "2026-01-20"}
SINCE = to_us(datetime(2026, 1, 20, tzinfo=UTC))


def test_a_decision_names_the_restrictions_hardship_freezes_and_replays(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, [*DEBTOR, HARDSHIP], "person:1")
    who = subject("person:1")
    with DecisionService(ledger) as service:
        decision = service.decide(*who, "air_travel", FEB, requester="airline:ca")
    assert decision.outcome.value == "allow" and not decision.reasons
    (frozen,) = decision.frozen
    assert (frozen.measure, frozen.list_id, frozen.since_us) == (
        "no_air_travel",
        "dishonest_judgment_debtors",
        SINCE,
    )
    assert frozen.text.endswith("is frozen while hardship is recorded (since 2026-01-20)")
    (audited,) = [e for e in ledger.entries() if e.type == "DecisionMade"]
    asked = {"requested_by": "airline:ca", "purpose": "service_decision:air_travel"}
    assert audited.data == decision.to_json() | asked
    view = subject_consequences(ledger, *who, FEB)
    again = make_decision(
        CompiledConsequences(default_bundle()), who, "air_travel", to_us(FEB),
        view.memberships, hardship_since_us=view.hardship_since_us,
    )  # fmt: skip
    assert again.to_json() | asked == audited.data


def test_a_decision_without_hardship_freezes_nothing(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    with DecisionService(ledger) as service:
        decision = service.decide(*subject("person:1"), "air_travel", FEB)
    assert decision.outcome.value == "deny" and decision.frozen == ()


def test_consequences_carry_the_lists_terms_and_the_hardship(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, [*DEBTOR, HARDSHIP], "person:1")
    found = subject_consequences(ledger, *subject("person:1"), FEB).to_json()
    (member,) = found["memberships"]
    assert member["status"] == "frozen"
    assert member["list_name"] == "List of dishonest judgment debtors"
    assert {"id": "no_air_travel", "name": "No air tickets", "effect": "restriction"} in member[
        "measures"
    ]
    assert found["hardship"]["since"] == "2026-01-20T00:00:00Z"
    frozen = {f["measure"] for f in found["hardship"]["frozen"]}
    assert frozen == {m["id"] for m in member["measures"] if m["effect"] == "restriction"}


def test_hardship_since_is_the_start_of_the_open_period() -> None:
    facts = SubjectFacts(hardship=[(10, True), (20, True), (30, False), (40, True)])
    assert [facts.hardship_since(t, 100) for t in (5, 15, 25, 35, 45)] == [None, 10, 10, None, 40]
    assert facts.hardship_since(45, 35) is None  # not known yet
    assert [facts.hardship_at(t, 100) for t in (5, 25, 35, 45)] == [False, True, False, True]


def test_an_unmasked_list_read_logs_one_file_read_per_subject_first(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    play(ledger, clock, DEBTOR, "person:2")
    size = ledger.size()
    rows = identified_members_of_list(
        ledger, "dishonest_judgment_debtors", "court:bj", "court_enforcement", FEB
    )
    assert {r.subject_id for r in rows} == {subject("person:1")[1], subject("person:2")[1]}
    assert [r.read_position for r in rows] == [size, size + 1]
    logged = list(ledger.entries(size, ledger.size()))
    assert [(e.type, e.data["subject"]["id"], e.data["what"]) for e in logged] == [
        ("FileRead", r.subject_id, "listing") for r in rows
    ]


@pytest.mark.parametrize(
    ("reader", "purpose", "field"),
    [
        ("court:bj", "marketing", "purpose"),
        ("court:bj", "audit_without_personal_data", "purpose"),
        ("not a code", "court_enforcement", "reader"),
    ],
)
def test_an_unmasked_list_read_is_refused_without_a_fitting_purpose(
    make_ledger: Callable[..., Ledger], clock: Any, reader: str, purpose: str, field: str
) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    size = ledger.size()
    with pytest.raises(ValidationError) as caught:
        identified_members_of_list(ledger, "dishonest_judgment_debtors", reader, purpose, FEB)
    assert caught.value.problems[0].field == field
    assert ledger.size() == size
