"""The credit-repair use cases of the application object, called directly on a real small
ledger: an application decided by one officer and its appeal by another, the queue and the
conditions as logged reads, a subject's own pages, and the refusals of a subject reaching for
someone else's penalty (nothing logged or written then)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import DisputeRefusedError, NotFoundError, PermissionDeniedError
from socialcredit.rights import FILE_READ
from socialcredit.settings import Settings
from socialcredit.system import System, operator
from tests.conftest import Clock
from tests.repair.helpers import ALICE, DECISION, file, file_facts, on_day
from tests.rights.helpers import BOB, file_record

OFFICER = Principal(Role.OFFICER, "li", account="officer:li")
SECOND = Principal(Role.APPEAL_OFFICER, "wang", account="officer:wang")
ME = Principal(Role.SUBJECT, "alice", subject=ALICE, account="user:alice")
HIM = Principal(Role.SUBJECT, "bob", subject=BOB, account="user:bob")


@pytest.fixture
def system(tmp_path: Path, clock: Clock) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'repair.db'}")
    with System.create(settings, "test/repair") as opened:
        opened.ledger.clock = clock
        yield opened


@pytest.fixture
def penalty(system: System, clock: Clock) -> int:
    """Alice's general administrative penalty, performed on day 10; now day 100."""
    on_day(clock, 0)
    position = file(system.ledger, "administrative_penalty_general", None)
    on_day(clock, 10)
    file_facts(system.ledger, ["performed"])
    on_day(clock, 100)
    return position


def _reads(system: System) -> list[dict[str, Any]]:
    return [dict(e.data) for e in system.ledger.entries() if e.type == FILE_READ]


def test_a_refusal_is_appealed_and_granted_by_another_officer(system: System, penalty: int) -> None:
    applied = system.apply_for_repair(ME, penalty, "paid in full")
    assert applied.record == penalty and applied.state == "applied"
    (item,) = system.repair_queue(OFFICER, purpose="dispute_handling")
    assert item.repair.id == applied.id and item.action == "decide"
    position = system.decide_repair(OFFICER, applied.id, "refused", "no commitment")
    state, notice = system.repair_outcome(applied.id, position)
    assert state.state == "refused" and notice
    system.appeal_repair(ME, applied.id, "I have now signed a commitment")
    file_facts(system.ledger, ["commitment"])
    with pytest.raises(DisputeRefusedError):  # the first decider may not decide the appeal
        system.decide_repair_case(operator("officer:li"), applied.id, "granted", "ok")
    system.decide_repair_case(SECOND, applied.id, "granted", "commitment made")
    assert system.repair(ME, applied.id).state == "appeal-granted"


def test_conditions_and_the_queue_are_logged_reads(system: System, penalty: int) -> None:
    met = {c.name: c.met for c in system.repair_conditions(OFFICER, penalty, logged=False)}
    assert met["performed"] and not met["commitment"]
    assert _reads(system) == []
    system.repair_conditions(OFFICER, penalty, purpose="court_enforcement")
    (read,) = _reads(system)
    assert read["purpose"] == "court_enforcement" and read["reader"] == "officer:li"
    applied = system.apply_for_repair(OFFICER, penalty, "paid")
    system.repair_queue(OFFICER, logged=False)
    assert len(_reads(system)) == 1
    system.repair_queue(OFFICER)
    assert _reads(system)[-1]["what"] == "listing"
    system.repair_case(OFFICER, applied.id)
    assert _reads(system)[-1]["purpose"] == "dispute_handling"


def test_a_subject_reaches_only_their_own_penalty(system: System, penalty: int) -> None:
    applied = system.apply_for_repair(OFFICER, penalty, "paid")
    size = system.ledger.size()
    for call in (
        lambda: system.apply_for_repair(HIM, penalty, "mine?"),
        lambda: system.repair_conditions(HIM, penalty),
        lambda: system.repair(HIM, applied.id),
        lambda: system.appeal_repair(HIM, applied.id, "x"),
    ):
        with pytest.raises(PermissionDeniedError):
            call()
    for call in (
        lambda: system.own_repair(HIM, penalty),
        lambda: system.apply_for_own_repair(HIM, penalty, "x"),
        lambda: system.appeal_own_repair(ME, penalty + 1, applied.id, "x"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert system.ledger.size() == size


def test_the_subjects_own_page_shows_conditions_or_the_refusal(
    system: System, penalty: int
) -> None:
    mine = system.own_repair(ME, penalty)
    assert mine.refusal is None and {c.name for c in mine.conditions} >= {"performed"}
    assert mine.repairs == []
    assert _reads(system)[-1]["purpose"] == "subject_access"
    applied = system.apply_for_own_repair(ME, penalty, "paid")
    assert [r.id for r in system.own_repair(ME, penalty).repairs] == [applied.id]
    loan = file_record(system.ledger, ALICE)
    refused = system.own_repair(ME, loan)
    assert refused.conditions == () and isinstance(refused.refusal, DisputeRefusedError)


def test_a_commitment_is_filed_as_a_record(system: System, penalty: int) -> None:
    source = "market_regulator:beijing-amr"
    position = system.file_commitment(ALICE, DECISION, source)
    entry = system.ledger.entry(position)
    assert entry.data["kind"] == "credit_commitment_made" and entry.data["evidence"] == DECISION
