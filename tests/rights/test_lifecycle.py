"""The deadline machinery end to end: suspension on the right business day, late decisions,
corrections in one batch, and no way back for an unverifiable record but recertification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from socialcredit.errors import NotFoundError
from socialcredit.ledger import Ledger
from socialcredit.records import RecordIndex
from socialcredit.reports import build_report
from socialcredit.rights import _disputes as d
from socialcredit.scoring import rescore, score
from socialcredit.timeutil import to_us
from tests.rights.helpers import ALICE, at, file_record, set_time

US = timedelta(microseconds=1)


def total(ledger: Ledger, when: datetime, known: datetime | None = None) -> int:
    return score(ledger, *ALICE, as_of=when, known_at=known or when).total


def batch_total(ledger: Ledger, when: datetime) -> int | None:
    found = [s.total for s in rescore(ledger, as_of=when).scores if s.subject_id == ALICE[1]]
    return found[0] if found else None


@pytest.fixture
def disputed(make_ledger: Callable[..., Ledger], clock: Any) -> tuple[Ledger, int, str]:
    """A loan default filed on 1 Feb 2026, disputed on Monday 2 March 2026 (decide by 1 April)."""
    ledger = make_ledger()
    set_time(clock, at(2026, 2, 1))
    position = file_record(ledger)
    set_time(clock, at(2026, 3, 2, 10))
    return ledger, position, d.open_dispute(ledger, position, "I repaid this loan in full.")


def test_undecided_dispute_suspends_the_record_on_the_right_day(
    disputed: tuple[Ledger, int, str], clock: Any
) -> None:
    ledger, position, dispute = disputed
    last_day, first_suspended = at(2026, 4, 1, 23, 59, 59), at(2026, 4, 2)
    with_record = total(ledger, last_day)
    assert with_record == 970  # loan_default: -30 finance
    assert total(ledger, first_suspended) == 1000
    index = RecordIndex.build(ledger)
    assert index.status(position, to_us(last_day)).state == "disputed"
    suspended = index.status(position, to_us(first_suspended))
    assert (suspended.state, suspended.dispute) == ("suspended", dispute)
    assert suspended.since_us == to_us(first_suspended)
    assert batch_total(ledger, last_day) == 970
    assert batch_total(ledger, first_suspended) is None  # no effective record: not scored
    assert d.dispute_state(ledger, dispute, to_us(first_suspended)).state == "overdue-decision"
    # a late decision: the record counts again from then on, the past stays as it was
    set_time(clock, at(2026, 4, 10, 12))
    d.decide(ledger, dispute, "upheld", "officer:li", "The lender's ledger shows no repayment.")
    assert total(ledger, at(2026, 4, 10, 11)) == 1000
    assert total(ledger, at(2026, 4, 10, 12)) == 970
    assert total(ledger, at(2026, 4, 5)) == 1000  # as known on 5 April: replayable forever
    assert total(ledger, at(2026, 4, 5), known=at(2026, 4, 20)) == 970  # as known later
    assert RecordIndex.build(ledger).status(position, to_us(at(2026, 4, 11))).state == "active"


def test_deadline_on_a_weekend_moves_to_monday(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    position = file_record(ledger)
    set_time(clock, at(2026, 1, 2, 15))  # Friday; day 30 is Sunday 1 Feb
    d.open_dispute(ledger, position, "Not my loan.")
    index = RecordIndex.build(ledger)
    assert index.status(position, to_us(at(2026, 2, 1, 12))).state == "disputed"
    assert index.status(position, to_us(at(2026, 2, 3) - US)).state == "disputed"
    assert index.status(position, to_us(at(2026, 2, 3))).state == "suspended"  # Tuesday 00:00


def test_new_evidence_extends_the_deadline_to_45_days(
    disputed: tuple[Ledger, int, str], clock: Any
) -> None:
    ledger, position, dispute = disputed
    set_time(clock, at(2026, 3, 20))
    d.add_evidence(ledger, dispute, "Bank statement of 3 January showing the repayment.", "subject")
    index = RecordIndex.build(ledger)
    assert index.status(position, to_us(at(2026, 4, 2))).state == "disputed"
    assert index.status(position, to_us(at(2026, 4, 16, 23))).state == "disputed"
    assert index.status(position, to_us(at(2026, 4, 17))).state == "suspended"
    assert d.dispute_state(ledger, dispute).deadlines.decide_by.isoformat() == "2026-04-16"


def test_corrected_outcome_is_one_atomic_batch(
    disputed: tuple[Ledger, int, str], clock: Any
) -> None:
    ledger, position, dispute = disputed
    set_time(clock, at(2026, 3, 10))
    size = ledger.size()
    decided = d.decide(
        ledger,
        dispute,
        "corrected",
        "officer:li",
        "Wrong date.",
        {"occurred_at": "2025-01-15T00:00:00Z"},
    )
    assert ledger.size() == size + 2 and decided == size
    pair = list(ledger.entries(size))
    assert [e.type for e in pair] == ["DisputeDecided", "RecordCorrected"]
    assert pair[0].recorded_at_us == pair[1].recorded_at_us
    assert ledger.latest_checkpoint().size == size + 2  # one append, one checkpoint
    index = RecordIndex.build(ledger)
    [row] = index.effective(*ALICE, to_us(at(2026, 3, 11)))
    assert row.occurred_at_us == to_us(at(2025, 1, 15))
    assert row.position == position and row.recorded_at_us == to_us(at(2026, 2, 1))
    assert index.status(position, to_us(at(2026, 3, 11))).state == "corrected"
    [before] = index.effective(*ALICE, to_us(at(2026, 3, 9)))
    assert before.occurred_at_us == to_us(at(2025, 12, 1))
    assert total(ledger, at(2026, 3, 11)) == 1000  # one year after 15 Jan 2025: expired


def test_unverifiable_record_comes_back_only_by_recertification(
    disputed: tuple[Ledger, int, str], clock: Any
) -> None:
    ledger, position, dispute = disputed
    set_time(clock, at(2026, 3, 20))
    d.decide(ledger, dispute, "deleted", "officer:li", "The source could not verify it.")
    withdrawn = ledger.entry(ledger.size() - 1)
    assert withdrawn.type == "RecordWithdrawn" and withdrawn.data["recertification_required"]
    assert total(ledger, at(2026, 3, 21)) == 1000
    # nothing else brings it back: not a correction, not a new dispute, not an appeal outcome
    set_time(clock, at(2026, 3, 25))
    with pytest.raises(d.DisputeRefusedError, match="withdrawn"):
        d.correct_record(ledger, position, {"amount": 10}, "agency:test", "Try again.")
    with pytest.raises(d.DisputeRefusedError, match="withdrawn"):
        d.open_dispute(ledger, position, "Again.")
    d.appeal(ledger, dispute, "The source should be heard.")
    with pytest.raises(d.DisputeRefusedError, match="recertify it first"):
        d.decide_appeal(ledger, dispute, "corrected", "officer:wang", "x", {"amount": 1})
    assert total(ledger, at(2026, 6, 1)) == 1000
    assert RecordIndex.build(ledger).status(position, to_us(at(2026, 6, 1))).state == "withdrawn"
    # recertification, with a notice to the subject in the same entry
    set_time(clock, at(2026, 6, 2))
    where = d.recertify(ledger, position, "agency:test", "Signed loan contract no. 42.")
    notice = ledger.entry(where).data["notice"]
    assert notice["to"] == {"kind": ALICE[0], "id": ALICE[1]}
    assert f"Record {position}" in notice["text"] and "recertified" in notice["text"]
    assert total(ledger, at(2026, 6, 3)) == 970
    assert total(ledger, at(2026, 6, 1)) == 1000
    report = build_report(ledger, *ALICE)
    assert [n["record"] for n in report["notices"]] == [position]
    with pytest.raises(d.DisputeRefusedError, match="not withdrawn"):
        d.recertify(ledger, position, "agency:test", "Again.")


def test_source_withdrawal_and_correction(make_ledger: Callable[..., Ledger], clock: Any) -> None:
    ledger = make_ledger()
    position = file_record(ledger, amount=5_000)
    set_time(clock, at(2026, 1, 5))
    d.correct_record(ledger, position, {"amount": 50}, "agency:test", "Typo in the amount.")
    index = RecordIndex.build(ledger)
    assert index.effective(*ALICE, to_us(at(2026, 1, 6)))[0].amount == 50
    assert index.record(position).amount == 5_000  # type: ignore[union-attr]
    assert index.lifecycle_changed(*ALICE)
    set_time(clock, at(2026, 1, 7))
    d.withdraw_record(ledger, position, "agency:test", "Filed against the wrong person.")
    index.catch_up(ledger)
    assert index.effective(*ALICE, to_us(at(2026, 1, 8))) == ()
    assert index.effective(*ALICE, to_us(at(2026, 1, 6)))[0].amount == 50
    with pytest.raises(d.DisputeRefusedError, match="already withdrawn"):
        d.withdraw_record(ledger, position, "agency:test", "Twice.")
    with pytest.raises(KeyError):
        index.status(position, to_us(at(2025, 1, 1)))  # not yet recorded then
    with pytest.raises(NotFoundError):
        d.correct_record(ledger, 999, {"amount": 1}, "agency:test", "No such record.")
