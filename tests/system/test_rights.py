"""The rights use cases of the application object, called directly on a real small ledger:
disputes and appeals end to end, the report and export, a subject's own page, the record
lifecycle a source controls. Each read of a person's file is logged before it happens with
the caller's account and purpose; a subject may act only on their own file, and nothing is
logged or written when they are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import (
    DisputeRefusedError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from socialcredit.reports import subject_report
from socialcredit.rights import FILE_READ
from socialcredit.settings import Settings
from socialcredit.system import System
from tests.conftest import Clock
from tests.rights.helpers import ALICE, BOB, at, file_record, set_time

OFFICER = Principal(Role.OFFICER, "li", account="officer:li")
SECOND = Principal(Role.APPEAL_OFFICER, "wang", account="officer:wang")
ME = Principal(Role.SUBJECT, "alice", subject=ALICE, account="user:alice")


@pytest.fixture
def system(tmp_path: Path, clock: Clock) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'rights.db'}")
    with System.create(settings, "test/rights") as opened:
        opened.ledger.clock = clock
        set_time(clock, at(2026, 1, 5, 9))
        yield opened


def _reads(system: System) -> list[dict[str, Any]]:
    return [dict(e.data) for e in system.ledger.entries() if e.type == FILE_READ]


def test_a_dispute_goes_from_the_subject_to_two_officers(system: System, clock: Clock) -> None:
    mine = file_record(system.ledger, ALICE)
    dispute = system.open_dispute(ME, mine, "I repaid it")
    assert system.dispute_queue(OFFICER, purpose="dispute_handling")[0].dispute.id == dispute
    system.acknowledge_dispute(OFFICER, dispute)
    system.add_evidence(ME, dispute, "the bank's receipt")
    system.decide_dispute(OFFICER, dispute, "corrected", "partly repaid", {"amount": 100})
    appeal = system.appeal_dispute(ME, dispute, "it was all repaid")
    with pytest.raises(DisputeRefusedError):  # not the officer who decided
        system.decide_dispute_appeal(
            Principal(Role.APPEAL_OFFICER, "li", account="officer:li"), dispute, "deleted", "x"
        )
    system.decide_dispute_appeal(SECOND, dispute, "deleted", "unverifiable")
    found = system.dispute(ME, dispute)
    assert found.state == "appeal-decided" and found.appeal is not None
    assert found.appeal.id == appeal and found.decided_by == "officer:li"
    assert [d.id for d in system.disputes(OFFICER, ALICE)] == [dispute]


def test_a_subject_may_not_touch_anothers_file_and_nothing_is_written(system: System) -> None:
    theirs = file_record(system.ledger, BOB)
    dispute = system.open_dispute(OFFICER, theirs, "a mistake")
    size = system.ledger.size()
    refused = [
        lambda: system.open_dispute(ME, theirs, "not mine"),
        lambda: system.dispute(ME, dispute),
        lambda: system.add_evidence(ME, dispute, "x"),
        lambda: system.appeal_dispute(ME, dispute, "x"),
        lambda: system.report(ME, BOB),
        lambda: system.export_file(ME, BOB),
        lambda: system.reads(ME, BOB),
        lambda: system.disputes(ME, BOB),
        lambda: system.attach_statement(ME, BOB, theirs, "x"),
        lambda: system.attach_statement(ME, ALICE, theirs, "x"),
    ]
    for call in refused:
        with pytest.raises(PermissionDeniedError):
            call()
    # On their own pages the same refusals read as "not in your file".
    with pytest.raises(NotFoundError):
        system.dispute_own_record(ME, theirs, "not mine")
    with pytest.raises(NotFoundError):
        system.state_on_own_record(ME, theirs, "not mine")
    with pytest.raises(NotFoundError):
        system.appeal_own_dispute(ME, dispute, "not mine")
    with pytest.raises(NotFoundError):
        system.own_proof(ME, theirs)
    assert system.ledger.size() == size  # nothing logged, nothing written


def test_the_report_is_the_librarys_and_its_read_is_logged(system: System) -> None:
    file_record(system.ledger, ALICE)
    found = system.report(OFFICER, ALICE, purpose="court_enforcement")
    assert found["read"] == {"reader": "officer:li", "purpose": "court_enforcement"}
    (read,) = _reads(system)
    assert read["reader"] == "officer:li" and read["purpose"] == "court_enforcement"
    again = subject_report(system.ledger, *ALICE, None, "officer:li", "court_enforcement")
    assert [r["position"] for r in found["records"]] == [r["position"] for r in again["records"]]
    mine = system.export_file(ME, ALICE, purpose="marketing_is_ignored_for_a_subject")
    assert mine["read"]["purpose"] == "subject_access"
    assert [r.purpose for r in system.reads(ME, ALICE)][-1] == "subject_access"
    with pytest.raises(ValidationError):
        system.report(OFFICER, ALICE, purpose="marketing")
    redacted = system.report(OFFICER, ALICE, purpose="audit_without_personal_data")
    assert redacted.get("redacted") is True


def test_a_subjects_own_page_is_one_logged_read(system: System) -> None:
    mine = file_record(system.ledger, ALICE)
    file_record(system.ledger, BOB)
    system.dispute_own_record(ME, mine, "not mine")
    system.state_on_own_record(ME, mine, "I was abroad")
    page = system.own_file(ME, at(2026, 1, 6))  # before the dispute is overdue
    assert [c.position for c in page.explanation.result.contributions] == [mine]
    assert [d.target for d in page.disputes] == [mine] and list(page.statements) == [mine]
    assert len(page.history) == 37 and page.statuses[mine].state == "disputed"
    assert page.reads[-1].purpose == "subject_access" and page.reads[-1].reader == "user:alice"
    assert "memberships" in page.consequences
    assert system.own_proof(ME, mine)["index"] == mine


def test_a_queue_is_a_logged_listing_unless_it_shows_no_personal_data(system: System) -> None:
    for subject in (ALICE, BOB, ALICE):
        system.open_dispute(OFFICER, file_record(system.ledger, subject), "a mistake")
    system.dispute_queue(OFFICER, logged=False)
    assert _reads(system) == []
    items = system.dispute_queue(OFFICER, purpose="dispute_handling")
    assert len(items) == 3
    reads = _reads(system)
    assert sorted(r["subject"]["id"] for r in reads) == sorted([ALICE[1], BOB[1]])
    assert {r["what"] for r in reads} == {"listing"}


def test_only_the_filing_source_may_change_its_record(system: System) -> None:
    position = file_record(system.ledger, ALICE)
    source = str(system.ledger.entry(position).data["source"])
    kind = str(system.ledger.entry(position).data["kind"])
    own = Principal(Role.SOURCE, source, allowed_kinds=frozenset({kind}), account="key:1")
    other = Principal(Role.SOURCE, "someone:else", allowed_kinds=frozenset({kind}), account="k2")
    unallowed = Principal(Role.SOURCE, source, account="key:3")
    for who in (other, unallowed):
        with pytest.raises(PermissionDeniedError):
            system.withdraw_record(who, position, "a mistake")
    system.correct_record(own, position, {"amount": 10}, "typo")
    system.withdraw_record(own, position, "under review")
    recertified = system.recertify_record(own, position, "checked again")
    assert system.ledger.entry(recertified).data["by"] == source
