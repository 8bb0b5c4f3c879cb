"""The DuckDB batch query equals the per-subject evaluator, exactly, on random records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.records import RecordIndex, RecordRow
from socialcredit.scoring import score
from socialcredit.scoring._batch import BatchScore, batch_scores, records_table
from socialcredit.timeutil import from_us, to_us
from tests.test_scoring import DEFAULT, LINEAR

START = to_us(datetime(2024, 1, 1, tzinfo=UTC))
SPAN = to_us(datetime(2028, 1, 1, tzinfo=UTC)) - START
KINDS = [
    "loan_default",  # general, fixed
    "fare_evasion",  # minor
    "debtor_obstructs_enforcement",  # serious
    "volunteering",  # positive, per unit with cap
    "blood_donation",
    "judgment_performed",  # neutral
    "no_such_kind",  # unknown
]
SUBJECTS = [("person", "p1"), ("person", "p2"), ("organisation", "o1"), ("person", "p3")]
instant = st.integers(START, START + SPAN)


@st.composite
def records(draw: st.DrawFn) -> list[RecordRow]:
    out = []
    for position in range(draw(st.integers(0, 40))):
        subject_kind, subject_id = draw(st.sampled_from(SUBJECTS))
        occurred = draw(instant)
        recorded = occurred + draw(st.integers(0, 400 * 86_400_000_000))
        amount = draw(st.none() | st.integers(0, 60) | st.integers(0, 2**53 - 1))
        kind = draw(st.sampled_from(KINDS))
        out.append(RecordRow(position, subject_kind, subject_id, kind, occurred, recorded, amount))
    return out


def per_subject(
    rows: list[RecordRow], policy_name: str, as_of: int, known: int
) -> list[BatchScore]:
    policy = {"default": DEFAULT, "linear": LINEAR}[policy_name]
    index = RecordIndex.from_rows(rows)
    expected = []
    for kind, subject in index.subjects():
        if not any(r.recorded_at_us <= known for r in index.records(kind, subject)):
            continue
        result = score(
            index, kind, subject, as_of=from_us(as_of), known_at=from_us(known), policy=policy
        )
        expected.append(BatchScore(kind, subject, result.total, result.grade))
    return expected


@settings(max_examples=60, deadline=None)
@given(
    rows=records(),
    policy_name=st.sampled_from(["default", "linear"]),
    as_of=instant,
    lag=st.integers(-400 * 86_400_000_000, 400 * 86_400_000_000),
)
def test_batch_equals_per_subject(
    rows: list[RecordRow], policy_name: str, as_of: int, lag: int
) -> None:
    policy = {"default": DEFAULT, "linear": LINEAR}[policy_name]
    known = as_of + lag
    got = batch_scores(records_table(rows), policy, as_of=from_us(as_of), known_at=from_us(known))
    assert got == per_subject(rows, policy_name, as_of, known)


def test_batch_on_an_empty_table() -> None:
    assert batch_scores([], DEFAULT, as_of=datetime(2025, 1, 1, tzinfo=UTC)) == []


def test_batch_hand_example() -> None:
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    rows = [
        RecordRow(0, "person", "p1", "fare_evasion", to_us(t0), to_us(t0), 1),
        RecordRow(1, "person", "p2", "volunteering", to_us(t0), to_us(t0), 50),
    ]
    at = t0 + timedelta(days=46)
    assert batch_scores(rows, LINEAR, as_of=at) == [
        BatchScore("person", "p1", 996, "A"),  # -10 * 44 / 90 = -4.89 -> -4
        BatchScore("person", "p2", 1000 + 20 * 319 // 365, "A"),  # capped 20, fading
    ]
