"""Dispute states over time, the officers' queue, appeals, and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from socialcredit.errors import NotFoundError, ValidationError
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.rights import _disputes as d
from socialcredit.timeutil import to_us
from tests.rights.helpers import ALICE, BOB, at, file_record, set_time


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger], clock: Any) -> Ledger:
    made = make_ledger()
    file_record(made)  # position 0, Alice
    file_record(made, BOB, "fare_evasion", amount=None)  # position 1, Bob
    return made


def state(ledger: Ledger, dispute: str, *when: int) -> str:
    return d.dispute_state(ledger, dispute, to_us(at(*when))).state


def test_states_over_time(ledger: Ledger, clock: Any) -> None:
    set_time(clock, at(2026, 3, 2, 10))  # Monday: acknowledge by 9 March, decide by 1 April
    dispute = d.open_dispute(ledger, 0, "Not my loan.")
    assert dispute == "D0-1"
    assert state(ledger, dispute, 2026, 3, 9, 23) == "open"
    assert state(ledger, dispute, 2026, 3, 10) == "overdue-ack"
    set_time(clock, at(2026, 3, 11))
    d.acknowledge(ledger, dispute, "officer:li")
    assert state(ledger, dispute, 2026, 3, 10) == "overdue-ack"  # as it stood then
    assert state(ledger, dispute, 2026, 3, 12) == "acknowledged"
    assert state(ledger, dispute, 2026, 4, 2) == "overdue-decision"
    set_time(clock, at(2026, 3, 20))
    d.decide(ledger, dispute, "upheld", "officer:li", "Contract signed by the subject.")
    assert state(ledger, dispute, 2026, 4, 2) == "decided"
    set_time(clock, at(2026, 3, 25))
    appeal = d.appeal(ledger, dispute, "The signature is forged.")
    assert (appeal, state(ledger, dispute, 2026, 3, 26)) == ("AD0-1", "appealed")
    set_time(clock, at(2026, 4, 1))
    d.decide_appeal(ledger, dispute, "confirmed", "officer:wang", "Handwriting expert's report.")
    found = d.dispute_state(ledger, dispute)
    assert d.disputes_of(ledger, subject=ALICE) == [found]
    assert d.disputes_of(ledger, subject=BOB) == []
    assert found.state == "appeal-decided"
    assert found.appeal is not None and found.appeal.decided_by == "officer:wang"
    assert found.to_json()["appeal"]["outcome"] == "confirmed"
    with pytest.raises(NotFoundError):
        d.dispute_state(ledger, dispute, to_us(at(2026, 3, 1)))  # not opened yet then


def test_appeal_rules(ledger: Ledger, clock: Any) -> None:
    set_time(clock, at(2026, 3, 2))
    dispute = d.open_dispute(ledger, 0, "Paid.")
    with pytest.raises(d.DisputeRefusedError, match="not decided yet"):
        d.appeal(ledger, dispute, "Too early.")
    d.decide(ledger, dispute, "upheld", "officer:li", "No proof of payment.")
    with pytest.raises(d.DisputeRefusedError, match="no open appeal"):
        d.decide_appeal(ledger, dispute, "confirmed", "officer:wang", "Nothing to decide.")
    d.appeal(ledger, dispute, "Here is the receipt.")
    with pytest.raises(d.DisputeRefusedError, match="already appealed"):
        d.appeal(ledger, dispute, "Once more.")
    size = ledger.size()
    with pytest.raises(d.DisputeRefusedError) as same:
        d.decide_appeal(ledger, dispute, "deleted", "officer:li", "I was wrong.")
    assert (
        same.value.problems[0].field == "by" and "another officer" in same.value.problems[0].reason
    )
    assert ledger.size() == size  # nothing half-written
    d.decide_appeal(ledger, dispute, "corrected", "officer:wang", "Partly paid.", {"amount": 100})
    assert [e.type for e in ledger.entries(size)] == ["AppealDecided", "RecordCorrected"]
    assert ledger.entry(size + 1).data["appeal"] == "AD0-1"
    with pytest.raises(d.DisputeRefusedError, match="no open appeal"):
        d.decide_appeal(ledger, dispute, "deleted", "officer:zhao", "Third go.")


def test_refusals(ledger: Ledger, clock: Any) -> None:
    with pytest.raises(NotFoundError):
        d.open_dispute(ledger, 99, "No such entry.")
    ledger.append(
        [
            PendingEntry(
                "FileRead",
                {
                    "subject": {"kind": "person", "id": ALICE[1]},
                    "reader": "x",
                    "purpose": "subject_access",
                    "what": "file",
                },
            )
        ]
    )
    with pytest.raises(d.DisputeRefusedError, match="not a record or rating"):
        d.open_dispute(ledger, 2, "A read is not a record.")
    with pytest.raises(ValidationError) as empty:
        d.open_dispute(ledger, 0, "   ")
    assert empty.value.problems[0].field == "grounds"
    with pytest.raises(ValidationError, match="another person"):
        d.open_dispute(ledger, 0, f"It was {BOB[1]} who borrowed.")
    dispute = d.open_dispute(ledger, 0, "Paid.")
    with pytest.raises(d.DisputeRefusedError, match="already open"):
        d.open_dispute(ledger, 0, "Paid, again.")
    with pytest.raises(ValidationError, match="outcome"):
        d.decide(ledger, dispute, "maybe", "officer:li", "Unsure.")
    with pytest.raises(ValidationError) as bad_change:
        d.decide(ledger, dispute, "corrected", "officer:li", "Fix.", {"kind": "fare_evasion"})
    assert bad_change.value.problems[0].field == "changes.kind"
    with pytest.raises(ValidationError, match="must change something"):
        d.decide(ledger, dispute, "corrected", "officer:li", "Fix.", {})
    d.acknowledge(ledger, dispute, "officer:li")
    with pytest.raises(d.DisputeRefusedError, match="already acknowledged"):
        d.acknowledge(ledger, dispute, "officer:li")
    with pytest.raises(ValidationError, match="short code"):
        d.decide(ledger, dispute, "upheld", "Officer Li Wei", "Spaces are not a code.")
    d.decide(ledger, dispute, "upheld", "officer:li", "Verified.")
    with pytest.raises(d.DisputeRefusedError, match="already decided"):
        d.decide(ledger, dispute, "deleted", "officer:li", "Changed my mind.")
    with pytest.raises(d.DisputeRefusedError, match="already decided"):
        d.add_evidence(ledger, dispute, "Late evidence.", "subject")
    with pytest.raises(d.DisputeRefusedError, match="not withdrawn"):
        d.recertify(ledger, 0, "agency:test", "It is fine.")
    assert d.open_dispute(ledger, 0, "New grounds after the decision.") == "D0-2"


def test_queue_most_urgent_first(ledger: Ledger, clock: Any) -> None:
    set_time(clock, at(2026, 3, 2))
    late = d.open_dispute(ledger, 0, "First.")
    set_time(clock, at(2026, 3, 20))
    fresh = d.open_dispute(ledger, 1, "Second.")
    d.acknowledge(ledger, late, "officer:li")
    items = d.queue(ledger, to_us(at(2026, 3, 21)))
    assert [(i.dispute.id, i.action, i.overdue) for i in items] == [
        (fresh, "acknowledge", False),  # due 27 March
        (late, "decide", False),  # due 1 April
    ]
    items = d.queue(ledger, to_us(at(2026, 4, 2)))
    assert [(i.dispute.id, i.action, i.overdue) for i in items] == [
        (fresh, "acknowledge", True),
        (late, "decide", True),
    ]
    set_time(clock, at(2026, 4, 3))
    d.decide(ledger, late, "upheld", "officer:li", "Fine.")
    assert [i.dispute.id for i in d.queue(ledger)] == [fresh]


def test_a_rating_can_be_disputed(ledger: Ledger, clock: Any) -> None:
    firm = ("organisation", "91110000100000000X")
    ledger.append(
        [
            PendingEntry(
                "RatingGiven", {"ratee": {"kind": firm[0], "id": firm[1]}, "stars": 1}, None, firm
            )
        ]
    )
    dispute = d.open_dispute(ledger, 2, "We never served this rater.")
    found = d.dispute_state(ledger, dispute)
    assert (found.target_type, found.subject) == ("RatingGiven", firm)
    with pytest.raises(d.DisputeRefusedError, match="rating cannot be corrected"):
        d.decide(ledger, dispute, "corrected", "officer:li", "x", {"amount": 1})
    size = ledger.size()
    d.decide(ledger, dispute, "deleted", "officer:li", "No verified interaction.")
    assert [e.type for e in ledger.entries(size)] == ["DisputeDecided"]
    with pytest.raises(d.DisputeRefusedError, match="not a record"):
        d.recertify(ledger, 2, "agency:test", "Ratings are not records.")


def test_public_surface_and_error_shape(ledger: Ledger) -> None:
    import socialcredit.rights as rights

    assert not hasattr(rights, "__getattr__")  # plain imports, no lazy-loading workaround
    for name in rights.__all__:
        assert getattr(rights, name) is not None, name
    d.open_dispute(ledger, 0, "Paid.")
    with pytest.raises(d.DisputeRefusedError) as refused:
        d.open_dispute(ledger, 0, "Paid twice.")
    shape = refused.value.as_dict()
    assert shape["code"] == "dispute_refused"
    assert shape["details"]["problems"][0]["field"] == "target"


def test_a_racing_second_decision_appends_nothing(ledger: Ledger) -> None:
    dispute = d.open_dispute(ledger, 0, "Paid.")
    d.decide(ledger, dispute, "deleted", "officer:li", "Unverifiable.")
    size = ledger.size()
    # what a second officer's process would append after passing its checks concurrently
    racing = [
        PendingEntry(
            "DisputeDecided", {"dispute": dispute, "outcome": "corrected"}, f"decide:{dispute}"
        ),
        PendingEntry(
            "RecordCorrected", {"record": 0, "changes": {"amount": 1}}, f"decide-effect:{dispute}"
        ),
    ]
    results = ledger.append(racing)
    assert results.appended == 0 and ledger.size() == size
