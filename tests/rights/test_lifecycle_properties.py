"""Properties of the record lifecycle: the per-subject and batch evaluators agree with
corrections, withdrawals, recertifications and disputes present, and an index caught up
piece by piece equals one rebuilt at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.ledger import Entry, Ledger
from socialcredit.records import RecordIndex
from socialcredit.rights import _disputes as d
from socialcredit.scoring import score
from socialcredit.scoring._batch import BatchScore, batch_scores, records_table
from socialcredit.timeutil import format_time, from_us
from tests.rights.helpers import ALICE, BOB, at, file_record, set_time
from tests.test_scoring import DEFAULT

DAY = 86_400_000_000
START = 1_767_225_600_000_000  # 2026-01-01
SUBJECTS = [("person", "p1"), ("person", "p2"), ("organisation", "o1")]
KINDS = ["loan_default", "fare_evasion", "volunteering", "debtor_obstructs_enforcement"]


@st.composite
def histories(draw: st.DrawFn) -> list[Entry]:
    """A plausible ledger history: records filed, then lifecycle events about them."""
    entries: list[Entry] = []
    now = START
    disputes: list[str] = []
    for position in range(draw(st.integers(1, 30))):
        now += draw(st.integers(0, 20 * DAY))
        records = [e.position for e in entries if e.type == "RecordFiled"]
        action = draw(
            st.sampled_from(
                ["file"] * 3 + ["correct", "withdraw", "recertify", "open", "evidence", "decide"]
            )
        )
        if action != "file" and not records:
            action = "file"
        data: dict[str, Any]
        if action == "file":
            kind, sid = draw(st.sampled_from(SUBJECTS))
            data = {
                "subject": {"kind": kind, "id": sid},
                "kind": draw(st.sampled_from(KINDS)),
                "occurred_at": format_time(now - draw(st.integers(0, 400 * DAY))),
                "source": "agency:test",
                "amount": draw(st.integers(0, 50)),
            }
            entries.append(Entry(position, "RecordFiled", 1, now, data))
            continue
        record = draw(st.sampled_from(records))
        if action == "correct":
            changes = draw(
                st.sampled_from(
                    [{"amount": 3}, {"amount": None}, {"occurred_at": format_time(now - 30 * DAY)}]
                )
            )
            entries.append(
                Entry(position, "RecordCorrected", 1, now, {"record": record, "changes": changes})
            )
        elif action in ("withdraw", "recertify"):
            kind = "RecordWithdrawn" if action == "withdraw" else "RecordRecertified"
            entries.append(Entry(position, kind, 1, now, {"record": record, "reason": "r"}))
        elif action == "open":
            disputes.append(f"D{record}-{position}")
            entries.append(
                Entry(
                    position, "DisputeOpened", 1, now, {"dispute": disputes[-1], "target": record}
                )
            )
        elif disputes:
            dispute = draw(st.sampled_from(disputes))
            if action == "evidence":
                entries.append(
                    Entry(position, "DisputeEvidenceAdded", 1, now, {"dispute": dispute})
                )
            else:
                entries.append(
                    Entry(
                        position,
                        "DisputeDecided",
                        1,
                        now,
                        {"dispute": dispute, "outcome": "upheld"},
                    )
                )
    return entries


def times(entries: list[Entry]) -> list[int]:
    last = entries[-1].recorded_at_us if entries else START
    middle = entries[len(entries) // 2].recorded_at_us if entries else START
    return [middle, last + 31 * DAY, last + 90 * DAY]


@settings(max_examples=80, deadline=None)
@given(entries=histories(), cuts=st.lists(st.integers(0, 30), max_size=4))
def test_incremental_equals_rebuild(entries: list[Entry], cuts: list[int]) -> None:
    whole = RecordIndex()
    whole.apply(entries)
    pieces = RecordIndex()
    start = 0
    for cut in sorted(cuts):
        pieces.apply(entries[start:cut])
        start = max(start, cut)
    pieces.apply(entries[start:])
    assert pieces.snapshot() == whole.snapshot()
    assert pieces.lifecycle_snapshot() == whole.lifecycle_snapshot()
    for known in times(entries):
        assert list(pieces.effective_rows(known)) == list(whole.effective_rows(known))
        for row in whole.rows():
            if row.recorded_at_us <= known:
                assert pieces.status(row.position, known) == whole.status(row.position, known)


@settings(max_examples=30, deadline=None)
@given(entries=histories(), as_of_shift=st.integers(-60, 400))
def test_batch_equals_per_subject_with_lifecycle(entries: list[Entry], as_of_shift: int) -> None:
    index = RecordIndex()
    index.apply(entries)
    for known in times(entries):
        as_of = known + as_of_shift * DAY
        rows = list(index.effective_rows(known))
        got = batch_scores(
            records_table(rows), DEFAULT, as_of=from_us(as_of), known_at=from_us(known)
        )
        expected = []
        for kind, sid in index.subjects():
            if not index.effective(kind, sid, known):
                continue
            result = score(
                index, kind, sid, as_of=from_us(as_of), known_at=from_us(known), policy=DEFAULT
            )
            expected.append(BatchScore(kind, sid, result.total, result.grade))
        assert got == expected


def test_catch_up_equals_build_on_a_real_ledger(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    live = RecordIndex.build(ledger)
    first = file_record(ledger)
    second = file_record(ledger, BOB, "fare_evasion", amount=None)
    live.catch_up(ledger)
    set_time(clock, at(2026, 1, 5))
    dispute = d.open_dispute(ledger, first, "Wrong amount.")
    d.correct_record(ledger, second, {"amount": 2}, "agency:test", "Amount was missing.")
    live.catch_up(ledger)
    set_time(clock, at(2026, 3, 1))
    d.decide(ledger, dispute, "deleted", "officer:li", "Not verifiable.")
    live.catch_up(ledger)
    rebuilt = RecordIndex.build(ledger)
    assert live.snapshot() == rebuilt.snapshot()
    assert live.lifecycle_snapshot() == rebuilt.lifecycle_snapshot()
    assert live.lifecycle_changed(*ALICE) and live.lifecycle_changed(*BOB)
    for month in range(1, 5):
        known = int(at(2026, month, 15).timestamp()) * 1_000_000
        assert list(live.effective_rows(known)) == list(rebuilt.effective_rows(known))
