"""The live projection: equal to the per-subject engine at every step, and to a rebuild."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from socialcredit.catalogue import default_catalogue
from socialcredit.errors import IntegrityError
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.policy import default_bundle, publish
from socialcredit.records import RecordIndex
from socialcredit.scoring import score
from socialcredit.scoring._batch import batch_scores
from socialcredit.scoring._engine import resolve_policy
from socialcredit.scoring._projection import LiveScores
from socialcredit.timeutil import from_us
from tests.records_factory import valid_rows
from tests.test_governance import publish_governed
from tests.test_scoring import loan_default_doubled

DAY_S = 86_400


def engine_snapshot(ledger: Ledger, subjects: list[tuple[str, str]], at_us: int) -> dict:
    """Scores replayed from scratch (a fresh index of the whole ledger) by the per-subject
    engine, checked equal to the DuckDB batch over the same effective records."""
    at = from_us(at_us)
    index = RecordIndex.build(ledger)
    replayed = {
        key: (found.total, found.grade)
        for key in subjects
        for found in [score(index, *key, as_of=at, known_at=at)]
    }
    policy = resolve_policy(ledger, at, at)
    batch = batch_scores(list(index.effective_rows(at_us)), policy, as_of=at, known_at=at)
    in_batch = {(b.subject_kind, b.subject_id): (b.total, b.grade) for b in batch}
    assert in_batch or not subjects
    assert {k: v for k, v in replayed.items() if k in in_batch} == in_batch
    return replayed


def test_follows_appends_and_equals_the_engine(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    publish(ledger, default_bundle())  # the genesis
    live = LiveScores.follow(ledger)
    rows = valid_rows(600, seed=11)
    for batch in range(6):
        chunk = rows[batch * 100 : (batch + 1) * 100]
        summary = ingest_rows(ledger, default_catalogue(), enumerate(chunk, batch * 100 + 1))
        assert not summary.refusal_reasons
        if batch == 3:  # a new policy published mid-way, in force 31 days later
            effective = from_us(clock.now_us + 31 * DAY_S * 1_000_000)
            bundle = loan_default_doubled(2, effective.strftime("%Y-%m-%dT%H:%M:%SZ"))
            publish_governed(ledger, bundle)
        clock.advance(60 * DAY_S)
        now = clock.now_us
        assert live.snapshot(now) == engine_snapshot(ledger, live.subjects(), now)
    assert live.next_position == ledger.size()


def test_a_new_record_is_visible_at_once(make_ledger: Callable[..., Ledger], clock: Any) -> None:
    ledger = make_ledger()
    live = LiveScores.follow(ledger)
    who = valid_rows(1, seed=2)[0]
    before = live.score(who["subject_kind"], who["subject_id"]).total
    row = dict(who, kind="loan_default", amount="10", occurred_at="2025-12-01T00:00:00Z")
    row |= {"source": "creditor_under_contract:example-commercial-bank", "evidence": ""}
    ingest_rows(ledger, default_catalogue(), [(1, row)])
    after = live.score(who["subject_kind"], who["subject_id"])
    assert after.total == before - 30  # the default loan_default rule
    assert after.dimensions["finance"] == -30


def test_save_load_and_catch_up_equal_a_rebuild(
    make_ledger: Callable[..., Ledger], clock: Any, tmp_path: Path
) -> None:
    ledger = make_ledger()
    rows = valid_rows(400, seed=5)
    ingest_rows(ledger, default_catalogue(), enumerate(rows[:250], 1))
    clock.advance(30 * DAY_S)
    saved = LiveScores.follow(ledger)
    saved.score("person", "nobody")  # moves the projection's floor to now
    saved.save(tmp_path / "live.db")
    saved.close()
    clock.advance(30 * DAY_S)
    ingest_rows(ledger, default_catalogue(), enumerate(rows[250:], 251))
    clock.advance(30 * DAY_S)
    loaded = LiveScores.load(tmp_path / "live.db", ledger)
    rebuilt = LiveScores.follow(ledger)
    now = clock.now_us
    assert loaded.subjects() == rebuilt.subjects()
    assert loaded.snapshot(now) == rebuilt.snapshot(now)
    assert loaded.snapshot(now) == engine_snapshot(ledger, rebuilt.subjects(), now)


def test_load_refuses_a_file_of_another_ledger(
    make_ledger: Callable[..., Ledger], tmp_path: Path
) -> None:
    first, second = make_ledger("first"), make_ledger("second")
    ingest_rows(first, default_catalogue(), enumerate(valid_rows(20, seed=1), 1))
    ingest_rows(second, default_catalogue(), enumerate(valid_rows(20, seed=2), 1))
    LiveScores.follow(first).save(tmp_path / "live.db")
    with pytest.raises(IntegrityError):
        LiveScores.load(tmp_path / "live.db", second)


def test_lifecycle_entries_take_the_exact_path(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    live = LiveScores.follow(ledger)
    rows = valid_rows(50, seed=4)
    results = ingest_rows(ledger, default_catalogue(), enumerate(rows, 1))
    assert results.accepted == 50
    target = next(e for e in ledger.entries() if e.type == "RecordFiled")
    subject = (target.data["subject"]["kind"], target.data["subject"]["id"])
    clock.advance(DAY_S)
    data = {"record": target.position, "reason": "filed in error", "by": "officer:1"}
    data |= {"recertification_required": False}
    ledger.append([PendingEntry("RecordWithdrawn", data)])
    clock.advance(DAY_S)
    now = clock.now_us
    assert live.snapshot(now) == engine_snapshot(ledger, live.subjects(), now)
    assert subject in live.subjects()


def test_the_present_only(make_ledger: Callable[..., Ledger], clock: Any) -> None:
    live = LiveScores.follow(make_ledger())
    live.score("person", "x", clock.now_us)
    with pytest.raises(ValueError, match="present"):
        live.score("person", "x", clock.now_us - 1)
    assert from_us(clock.now_us) == datetime(2026, 1, 1, tzinfo=UTC)
