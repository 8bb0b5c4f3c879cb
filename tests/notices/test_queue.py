"""Queueing notices into the ledger's outbox: one per trigger, whatever happens; never about a
minor or on a prohibited ground; a subject sees their own."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from socialcredit.catalogue import make_resident_id
from socialcredit.ledger import Ledger, build_subject_index, verify_ledger
from socialcredit.notices import _sources as sources_module
from socialcredit.notices import notices_of, outbox, queue_notices, read_notices
from socialcredit.notices._model import QUEUED
from socialcredit.notices._sources import candidate
from socialcredit.rights import open_dispute, reads_of
from socialcredit.storage._sqlite import SQLiteStore
from tests.notices.conftest import file_ground
from tests.rights.helpers import ALICE, at, set_time


def _kinds(ledger: Ledger) -> list[str]:
    return sorted(s.notice.kind for s in outbox(ledger).notices.values())


def test_each_source_queues_its_notice_once(story: Ledger) -> None:
    first = queue_notices(story)
    assert len(first.queued) == 4 and first.skipped == []
    assert _kinds(story) == [
        "adverse_decision", "dispute_deadlines", "listing_noticed", "record_recertified"
    ]  # fmt: skip
    size = story.size()
    second = queue_notices(story)
    assert second.queued == [] and second.already == 4
    assert story.size() == size  # nothing written the second time


def test_the_content_is_language_neutral_and_names_the_trigger(story: Ledger) -> None:
    queue_notices(story)
    by_kind = {s.notice.kind: s.notice for s in outbox(story).notices.values()}
    decision = by_kind["adverse_decision"]
    assert story.entry(decision.trigger or -1).type == "DecisionMade"
    assert decision.content["service"] == "air_travel"
    assert decision.content["reasons"][0]["list"] == "dishonest_judgment_debtors"
    codes = [r["code"] for r in decision.content["recourse"]]
    assert codes[0] == "dispute_record" and codes[-1] == "human_review"
    assert "perform_obligation" in codes
    listing = by_kind["listing_noticed"]
    assert (listing.content["noticed"], listing.content["effective"]) == (
        "2026-01-05",
        "2026-01-15",
    )
    recertified = by_kind["record_recertified"]
    assert story.entry(recertified.trigger or -1).type == "RecordRecertified"
    assert recertified.content["record_kind"] == "loan_default"


def test_an_overdue_dispute_gets_its_own_notice(story: Ledger, clock: Any) -> None:
    position = file_ground(story, ALICE, "debtor_obstructs_enforcement", "2026-01-20", 1)
    open_dispute(story, position, "I did not obstruct anything")
    queue_notices(story)
    assert "dispute_overdue" not in _kinds(story)
    set_time(clock, at(2026, 3, 30))  # the decision deadline has passed
    report = queue_notices(story)
    overdue = [
        s.notice for s in outbox(story).notices.values() if s.notice.kind == "dispute_overdue"
    ]
    assert len(overdue) == 1 and overdue[0].content["suspended"] is True
    assert overdue[0].id in report.queued


def test_queueing_from_two_processes_at_once_queues_each_notice_once(
    story: Ledger, tmp_path: Any
) -> None:
    """Two ledger objects over the same store (two workers), racing: the idempotency key of
    each notice lets exactly one of them write it."""
    assert isinstance(story.store, SQLiteStore)
    path = story.store.path
    others = [Ledger(SQLiteStore(path), story.signer, story.clock) for _ in range(2)]
    reports: list[Any] = []
    barrier = threading.Barrier(len(others))

    def run(ledger: Ledger) -> None:
        barrier.wait()
        reports.append(queue_notices(ledger))

    threads = [threading.Thread(target=run, args=(ledger,)) for ledger in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(r.queued) for r in reports) == 4
    queued = [e for e in story.entries() if e.type == QUEUED]
    assert len(queued) == len({e.data["notice"] for e in queued}) == 4
    for ledger in others:
        ledger.store.close()


def test_nothing_is_written_about_a_minor_or_on_a_prohibited_ground(
    story: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source (here, a stand-in for credit repair's) that names a minor or a prohibited
    ground: each is skipped with its reason, and the rest of the batch is queued."""
    child = ("person", make_resident_id("110101", date(2015, 6, 1), 7))

    def source(ledger: Ledger, read: Any, now_us: int) -> list[Any]:
        return [
            candidate("repair_outcome", "1", child, None, {"outcome": "granted"}),
            candidate("repair_outcome", "2", ALICE, None, {"outcome": "religious_activity"}),
            candidate(
                "repair_outcome", "3", ALICE, None, {"outcome": "granted", "day": "2026-01-25"}
            ),
        ]

    monkeypatch.setattr(sources_module, "_SOURCES", (*sources_module._SOURCES, source))
    report = queue_notices(story)
    reasons = dict(report.skipped)
    assert "minor" in reasons["repair_outcome:1"]
    assert "prohibited ground" in reasons["repair_outcome:2"]
    assert len(report.queued) == 5
    written = b"".join(raw for _, raw in story.raw_entries())
    assert child[1].encode() not in written and b"religious" not in written


def test_a_subject_reads_their_notices_and_the_read_is_logged(story: Ledger) -> None:
    queue_notices(story)
    found = read_notices(story, ALICE, "subject", "subject_access")
    assert len(found) == 4 and all(s.status == "pending" for s in found)
    assert (reads_of(story, ALICE)[-1].purpose, reads_of(story, ALICE)[-1].what) == (
        "subject_access",
        "notices",
    )
    assert notices_of(story, ("person", make_resident_id("110101", date(1970, 1, 1), 3))) == []


def test_notice_entries_are_indexed_under_their_subject_and_verify(story: Ledger) -> None:
    """The per-subject index derived from the entries alone agrees with the one written at
    append time (verify's check), so single-subject reads find every notice."""
    queue_notices(story)
    assert build_subject_index(story) == 0  # complete already
    report = verify_ledger(story.store, story.public_key)
    assert report.ok, report.problems
    assert len(notices_of(story, ALICE)) == 4
