"""Every entry the system writes is a typed, registered event that encodes to the same bytes.

The demo ledger and a walk through the writers of every package (records and rights, credit
repair, consequences, ratings, notices, agencies, policy) must give entries each of which the
registry reads into its event class, whose ``to_data()`` equals the entry's data and whose
entry encodes to exactly the stored canonical bytes (the ledger format does not change). The
walk together with the demo writes every registered type but the one no code writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import socialcredit.agencies.events
import socialcredit.consequences.events
import socialcredit.notices.events
import socialcredit.policy.events
import socialcredit.ratings.events
import socialcredit.records.events
import socialcredit.rights.events  # noqa: F401  (each module registers its classes)
from socialcredit.catalogue import default_catalogue
from socialcredit.consequences import DecisionService
from socialcredit.demo import run_demo
from socialcredit.events import EVENTS
from socialcredit.ledger import Ledger, decode_entry, encode_entry, entry_of
from socialcredit.notices import queue_notices
from socialcredit.notices._model import delivered_entry, failed_entry, outbox
from socialcredit.policy import record_assessment
from socialcredit.ratings import dispute as dispute_rating
from socialcredit.ratings import issue_token, rate, record_interaction, reply
from socialcredit.rights import _disputes as d
from socialcredit.rights import _repair as r
from socialcredit.rights import attach_statement, log_read
from socialcredit.timeutil import to_us
from tests.consequences.helpers import moment, play, subject
from tests.memoranda.test_lifecycle import _step, _world
from tests.records_factory import organisation, person
from tests.repair.helpers import file, file_facts, on_day, penalty_evidence
from tests.rights.helpers import ALICE, at, file_record, set_time

SHOP, TAX = organisation(7), "tax_authority:e-invoice-platform"
STARS = {"integrity": 4, "professionalism": 5, "service": 3}
#: Read by the ratings projection but written by no code (disputes go through rights).
NEVER_WRITTEN = frozenset({"RatingDisputed"})
_AT = len(b'{"at":"')


def typed_types(ledger: Ledger) -> set[str]:
    """Check every entry of ``ledger`` against its event class; the types found."""
    found = set()
    for position, raw in ledger.raw_entries():
        entry = decode_entry(position, raw)
        event = EVENTS.read_entry(entry)
        assert (entry.type, entry.version) == (event.TYPE, event.VERSION), position
        assert event.to_data() == entry.data, (position, entry.type)
        recorded_at = raw[_AT : raw.index(b'"', _AT)].decode()
        assert encode_entry(entry_of(event), recorded_at) == raw, (position, entry.type)
        found.add(entry.type)
    return found


# -- the writers, package by package --------------------------------------------------------


def records_and_rights(ledger: Ledger, clock: Any, tmp_path: Path) -> None:
    """A dispute's whole life with its effects, a source's own corrections, a statement,
    a read, and the notice of a recertification queued, delivered and failed."""
    first, second = file_record(ledger), file_record(ledger, occurred_at="2025-11-01T00:00:00Z")
    set_time(clock, at(2026, 3, 2, 10))
    dispute = d.open_dispute(ledger, first, "Not my loan.")
    d.acknowledge(ledger, dispute, "officer:li")
    d.add_evidence(ledger, dispute, "Bank statement of March.", "subject")
    d.decide(ledger, dispute, "corrected", "officer:li", "Amount wrong.", {"amount": 4_000})
    d.appeal(ledger, dispute, "It is not my loan at all.")
    d.decide_appeal(ledger, dispute, "deleted", "officer:wang", "Signature forged.")
    d.recertify(ledger, first, "bank:example", "Original contract found.")
    d.correct_record(ledger, second, {"occurred_at": "2025-11-02T00:00:00Z"}, "bank:x", "Typo.")
    d.withdraw_record(ledger, second, "bank:example", "Filed in error.")
    attach_statement(ledger, ALICE, first, "I contest this record.")
    log_read(ledger, ALICE, "bank:example", "credit_decision_with_consent")
    queue_notices(ledger)
    notice = next(iter(outbox(ledger).notices.values())).notice
    ledger.append([failed_entry(notice, 1, 451, "try later", transient=True, final=False)])
    ledger.append([delivered_entry(notice, 2, "<m1@example>")])


def credit_repair(ledger: Ledger, clock: Any, tmp_path: Path) -> None:
    """A repair refused, appealed and granted on appeal (its effect withdraws the record),
    and a second application granted at once."""
    kind = "administrative_penalty_general"
    on_day(clock, 0)
    penalty, other = file(ledger, kind, penalty_evidence(kind)), file(ledger, kind, None)
    on_day(clock, 10)
    file_facts(ledger, ["performed"])
    on_day(clock, 100)
    catalogue = default_catalogue()
    repair_id = r.apply_for_repair(ledger, penalty, "paid", catalogue)
    r.decide_repair(ledger, repair_id, "refused", "officer:li", "no commitment", catalogue)
    r.appeal_repair(ledger, repair_id, "I have now signed a commitment")
    file_facts(ledger, ["commitment"])
    r.decide_appeal(ledger, repair_id, "granted", "officer:wang", "commitment made", catalogue)
    granted = r.apply_for_repair(ledger, other, "paid", catalogue)
    r.decide_repair(ledger, granted, "granted", "officer:li", "all met", catalogue)


def consequences(ledger: Ledger, clock: Any, tmp_path: Path) -> None:
    """Listing, restoration on application, hardship begun and ended, a legal
    representative, and audited decisions."""
    play(ledger, clock, [
        {"kind": "administrative_penalty_serious", "occurred": "2026-01-01", "at": "2026-01-02",
         "subject": "organisation:1"},
        {"representative": "person:7", "of": "organisation:1", "at": "2026-01-03"},
        {"kind": "debtor_obstructs_enforcement", "occurred": "2026-01-01", "at": "2026-01-04"},
        {"hardship": "record", "at": "2026-02-01"},
        {"hardship": "end", "at": "2026-04-01"},
        {"restore": "seriously_illegal_enterprises", "at": "2027-03-01",
         "subject": "organisation:1"},
    ], "person:1")  # fmt: skip
    with DecisionService(ledger) as service:
        service.decide(*subject("person:1"), "air_travel", moment("2026-05-01"))
        service.decide(*subject("organisation:1"), "government_procurement", moment("2026-03-01"))
        service.decide(
            *subject("person:1"), "air_travel", moment("2026-05-02"), requester="bank:example"
        )
        service.flush()


def ratings(ledger: Ledger, clock: Any, tmp_path: Path) -> None:
    """An interaction recorded by a tax authority, a token issued on it, the rating, the
    shop's reply and its dispute of the rating."""
    position = record_interaction(ledger, TAX, person(1), SHOP, "INV-2026-0001")
    issued = issue_token(ledger, f"record:{position}", person(1), SHOP, "INV-2026-0001", source=TAX)
    rating = rate(ledger, issued.token, person(1), SHOP, STARS, "Slow delivery.")
    reply(ledger, rating, SHOP, "We are sorry.")
    dispute_rating(ledger, rating, SHOP, "The buyer never received a late parcel.")


def agencies(ledger: Ledger, clock: Any, tmp_path: Path) -> None:
    """Agencies registered, a memorandum concluded, a key rotated, the memorandum ended."""
    keys = _world(ledger, clock, tmp_path)
    clock.now_us = to_us(moment("2026-02-01"))
    court = "court:supreme-peoples-court"
    _step(ledger, keys, tmp_path, {"rotate": {"agency": court, "signed_by": "old"}})
    clock.now_us = to_us(moment("2026-03-01"))
    _step(ledger, keys, tmp_path, {"end": {"by": court, "reason": "superseded"}})


def policy(ledger: Ledger, clock: Any, tmp_path: Path) -> None:
    """An impact assessment (publication and governance are in the demo ledger)."""
    record_assessment(ledger, "ab" * 32, 2, {"newly_restricted": {"air_travel": 3}}, None)
    record_assessment(ledger, "cd" * 32, 3, {"newly_restricted": {}}, "ab" * 32)


WRITERS: tuple[Callable[[Ledger, Any, Path], None], ...] = (
    records_and_rights,
    credit_repair,
    consequences,
    ratings,
    agencies,
    policy,
)


@pytest.fixture(scope="module")
def demo_types(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The types in a small demo ledger, each entry checked."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = run_demo(folder, lambda _: None, residents=300, organisations=20, seed=7)
    return typed_types(result.ledger)


def test_every_entry_of_the_demo_ledger_is_its_event(demo_types: set[str]) -> None:
    assert {"GovernanceRecorded", "PolicyPublished", "RecordFiled"} <= demo_types


def test_the_writers_and_the_demo_write_every_registered_type(
    demo_types: set[str], make_ledger: Callable[..., Ledger], clock: Any, tmp_path: Path
) -> None:
    written = set(demo_types)
    for n, writer in enumerate(WRITERS):
        ledger, folder = make_ledger(f"walk{n}"), tmp_path / writer.__name__
        folder.mkdir()
        clock.now_us = to_us(moment("2026-01-01"))
        writer(ledger, clock, folder)
        found = typed_types(ledger)
        assert found, writer.__name__
        written |= found
    assert written == EVENTS.types() - NEVER_WRITTEN
