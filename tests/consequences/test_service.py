"""DecisionService and its audit writer on a real ledger: audit, replay, push back, threads,
incremental catch-up, the legal representative's score, restoration and hardship refusals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from socialcredit.consequences import (
    CompiledConsequences,
    DecisionService,
    make_decision,
    memberships_of_list,
    request_restoration,
    subject_consequences,
)
from socialcredit.errors import LedgerError, LedgerOverloadedError, ValidationError
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.policy import default_bundle
from socialcredit.scoring import score
from socialcredit.timeutil import to_us

from .helpers import play, subject

FEB = datetime(2026, 2, 1, tzinfo=UTC)
DEBTOR = [{"kind": "debtor_obstructs_enforcement", "occurred": "2026-01-01", "at": "2026-01-02"}]


def test_every_decision_is_audited_and_replays(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    who = subject("person:1")
    with DecisionService(ledger) as service:
        decisions = [service.decide(*who, s, FEB) for s in ("air_travel", "deposit_waiver")]
    audited = [e for e in ledger.entries() if e.type == "DecisionMade"]
    # the decision, attributed: who asked (no one named here) and why (the service decision)
    assert [e.data for e in audited] == [
        d.to_json() | {"requested_by": None, "purpose": f"service_decision:{d.service}"}
        for d in decisions
    ]
    # replay: the recorded revision's bundle and the memberships at `at` give the same data
    compiled = CompiledConsequences(default_bundle())
    assert audited[0].data["digest"] == compiled.bundle.digest
    view = subject_consequences(ledger, *who, FEB)
    again = make_decision(compiled, who, "air_travel", to_us(FEB), view.memberships)
    assert again.to_json() | {k: audited[0].data[k] for k in ("requested_by", "purpose")} == (
        audited[0].data
    )
    assert [e.position for e in view.decisions] == [e.position for e in audited]


def test_unknown_service_is_refused_and_not_audited(make_ledger: Callable[..., Ledger]) -> None:
    ledger = make_ledger()
    with DecisionService(ledger) as service, pytest.raises(ValidationError) as caught:
        service.decide(*subject("person:1"), "teleportation", FEB)
    assert caught.value.problems[0].field == "service"
    assert not [e for e in ledger.entries() if e.type == "DecisionMade"]


def test_the_audit_queue_pushes_back_when_full_and_loses_nothing(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    service = DecisionService(ledger, max_queue=5, interval=60.0, batch_size=1000)
    with service.lock:  # hold the writer off: the queue fills up
        for _ in range(5):
            service.decide(*subject("person:1"), "air_travel", FEB)
        with pytest.raises(LedgerOverloadedError):
            service.decide(*subject("person:1"), "air_travel", FEB)
    service.close()
    assert sum(e.type == "DecisionMade" for e in ledger.entries()) == 5
    with pytest.raises(LedgerError):
        service.decide(*subject("person:1"), "air_travel", FEB)


def test_decisions_from_many_threads_are_all_written(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    service = DecisionService(ledger, batch_size=50)
    outcomes: list[str] = []

    def work() -> None:
        for _ in range(200):
            outcomes.append(service.decide(*subject("person:1"), "air_travel", FEB).outcome.value)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    service.close()
    assert outcomes == ["deny"] * 800
    assert sum(e.type == "DecisionMade" for e in ledger.entries()) == 800
    assert len(subject_consequences(ledger, *subject("person:1"), FEB).decisions) == 800


def test_the_service_catches_up_with_new_records(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    with DecisionService(ledger) as service:
        assert service.decide(*subject("person:1"), "air_travel", FEB).outcome.value == "allow"
        play(ledger, clock, DEBTOR, "person:1")
        assert service.decide(*subject("person:1"), "air_travel", FEB).outcome.value == "deny"
        # and the projection equals one rebuilt from scratch
        fresh = DecisionService(ledger)
        assert fresh._listings == service._listings
        fresh.close()


def test_a_past_question_uses_only_what_was_known_then(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    late = [{"kind": "debtor_obstructs_enforcement", "occurred": "2026-01-01", "at": "2026-06-01"}]
    play(ledger, clock, late, "person:1")
    with DecisionService(ledger) as service:
        assert service.decide(*subject("person:1"), "air_travel", FEB).outcome.value == "allow"
        later = datetime(2026, 7, 1, tzinfo=UTC)
        assert service.decide(*subject("person:1"), "air_travel", later).outcome.value == "deny"


def test_the_representative_is_never_scored_for_the_organisation(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    events = [
        {"representative": "person:7", "of": "organisation:1", "at": "2025-06-01"},
        {"kind": "debtor_refuses_to_perform", "occurred": "2026-01-01", "at": "2026-01-02",
         "subject": "organisation:1"},
    ]  # fmt: skip
    play(ledger, clock, events, "organisation:1")
    assert score(ledger, *subject("person:7"), as_of=FEB).total == 1000
    assert subject_consequences(ledger, *subject("person:7"), FEB).memberships == ()


def test_public_list_masks_identifiers(make_ledger: Callable[..., Ledger], clock: Any) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    rows = memberships_of_list(ledger, "dishonest_judgment_debtors", FEB)
    assert len(rows) == 1
    assert subject("person:1")[1] not in str(rows[0].to_json())
    assert "*" in rows[0].masked_id


def test_restoration_refusals_name_the_field(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    who = subject("person:1")
    size = ledger.size()
    with pytest.raises(ValidationError, match="no early restoration"):
        request_restoration(ledger, *who, "dishonest_judgment_debtors", "paid", FEB)
    with pytest.raises(ValidationError, match="is not on"):
        request_restoration(ledger, *who, "seriously_illegal_enterprises", "x", FEB)
    with pytest.raises(ValidationError) as caught:
        request_restoration(ledger, *who, "no_such_list", "x", FEB)
    assert caught.value.problems[0].field == "list"
    assert ledger.size() == size  # nothing half-written


def test_writer_errors_surface_on_flush(make_ledger: Callable[..., Ledger]) -> None:
    ledger = make_ledger()
    service = DecisionService(ledger)
    service.writer.submit(PendingEntry("no such type", {}))  # malformed: refused
    with pytest.raises(LedgerError, match="audit writer failed"):
        service.flush()
    with pytest.raises(LedgerError):
        service.close()


def test_a_dispute_left_undecided_past_its_deadline_lifts_the_listing(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    play(ledger, clock, DEBTOR, "person:1")
    who = subject("person:1")
    clock.now_us = to_us(datetime(2026, 1, 5, tzinfo=UTC))
    opened = {
        "dispute": "d-1",
        "target": 0,
        "target_type": "RecordFiled",
        "subject": {"kind": who[0], "id": who[1]},
        "grounds": "not my case",
    }
    ledger.append([PendingEntry("DisputeOpened", opened, subject=who)])
    with DecisionService(ledger) as service:
        jan = datetime(2026, 1, 20, tzinfo=UTC)
        assert service.decide(*who, "air_travel", jan).outcome.value == "deny"
        # 30 days without a decision: the record is suspended from scoring and lists
        march = datetime(2026, 3, 1, tzinfo=UTC)
        assert service.decide(*who, "air_travel", march).outcome.value == "allow"
