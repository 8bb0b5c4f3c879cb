"""The vectorised scoring form equals the per-subject engine, record for record.

Hypothesis draws random records — ruled and neutral kinds, missing and huge amounts, times
around expiry boundaries, late filings — and random policies (fixed and per-unit rules,
linear decay), and checks :func:`socialcredit.scoring._vectorised.evaluate` against
:func:`socialcredit.scoring._engine.evaluate` subject by subject; then the incremental
:class:`RunningScores` against the batch form over a simulated run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import Gravity
from socialcredit.policy import GradeBand, default_bundle
from socialcredit.records import RecordRow
from socialcredit.scoring import (
    CompiledPolicy,
    KindTable,
    KindTerms,
    RunningScores,
    compiled_bundle,
)
from socialcredit.scoring._engine import evaluate
from socialcredit.scoring._vectorised import evaluate as vector_evaluate
from socialcredit.timeutil import DAY_US, from_us

DEFAULT = compiled_bundle(default_bundle())
ORIGIN = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
SPAN = 4 * 365 * DAY_US


@st.composite
def policies(draw: st.DrawFn) -> CompiledPolicy:
    """A random compiled policy: a few kinds, fixed or per-unit, some fading linearly."""
    kinds = {}
    for i in range(draw(st.integers(1, 5))):
        per_unit = draw(st.sampled_from([0, 0, 1, 3, -2, -7]))
        terms = KindTerms(
            kind=f"k{i}",
            dimension=draw(st.sampled_from(["finance", "civic", "other"])),
            gravity=Gravity.GENERAL,
            points=0 if per_unit else draw(st.integers(-200, 200)),
            per_unit=per_unit,
            cap=draw(st.integers(1, 500)) if per_unit else 0,
            expiry_us=draw(st.integers(1, 800)) * DAY_US + draw(st.integers(0, 10**6)),
            linear=draw(st.booleans()),
        )
        kinds[terms.kind] = terms
    grades = (GradeBand("A", 1000, 2000), GradeBand("B", 900, 999), GradeBand("C", 0, 899))
    return CompiledPolicy(1000, 0, 2000, ("finance", "civic"), MappingProxyType(kinds), grades)


def rows_for(policy: CompiledPolicy, draw: Callable[..., Any]) -> list[RecordRow]:
    names = [*sorted(policy.kinds), "neutral_kind", "unknown_kind"]
    times = st.integers(ORIGIN - SPAN, ORIGIN + SPAN)
    amount = st.one_of(st.none(), st.integers(0, 10**6), st.integers(0, 30))
    n = draw(st.integers(0, 40))
    return [
        RecordRow(
            position=i,
            subject_kind="person",
            subject_id=f"s{draw(st.integers(0, 5))}",
            kind=draw(st.sampled_from(names)),
            occurred_at_us=draw(times),
            recorded_at_us=draw(times),
            amount=draw(amount),
        )
        for i in range(n)
    ]


def check_equal(policy: CompiledPolicy, rows: list[RecordRow], as_of: int, known: int) -> None:
    table = KindTable.of(policy)
    subjects = sorted({r.subject_id for r in rows} | {"s_none"})
    dense = {s: i for i, s in enumerate(subjects)}
    got = vector_evaluate(
        table,
        np.array([dense[r.subject_id] for r in rows], dtype=np.int64),
        table.encode([r.kind for r in rows]),
        np.array([r.amount or 0 for r in rows], dtype=np.int64),
        np.array([r.occurred_at_us for r in rows], dtype=np.int64),
        len(subjects),
        as_of,
        recorded_us=np.array([r.recorded_at_us for r in rows], dtype=np.int64),
        known_at_us=known,
    )
    for subject, i in dense.items():
        mine = tuple(r for r in rows if r.subject_id == subject)
        want = evaluate(policy, mine, ("person", subject), from_us(as_of), from_us(known))
        assert int(got.totals[i]) == want.total, subject
        assert policy.grades[int(got.grades[i])].grade == want.grade, subject
        dims = dict(zip(table.dimensions, (int(x) for x in got.dimensions[i]), strict=True))
        assert {k: v for k, v in dims.items() if v or k in want.dimensions} == want.dimensions


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_vectorised_equals_engine_on_random_policies_and_records(data: st.DataObject) -> None:
    policy = data.draw(policies())
    rows = rows_for(policy, data.draw)
    as_of = data.draw(st.integers(ORIGIN - SPAN, ORIGIN + SPAN))
    known = data.draw(st.integers(ORIGIN - SPAN, ORIGIN + SPAN))
    check_equal(policy, rows, as_of, known)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_vectorised_equals_engine_on_the_default_policy(data: st.DataObject) -> None:
    rows = rows_for(DEFAULT, data.draw)
    # an as_of exactly at some record's expiry hits the half-open boundary
    boundary = [
        r.occurred_at_us + DEFAULT.kinds[r.kind].expiry_us for r in rows if r.kind in DEFAULT.kinds
    ]
    as_of = data.draw(st.sampled_from(boundary) if boundary else st.just(ORIGIN))
    check_equal(DEFAULT, rows, as_of, ORIGIN + SPAN)


@settings(max_examples=40, deadline=None)
@given(policy=policies(), seed=st.integers(0, 2**32 - 1), step_days=st.integers(1, 60))
def test_running_scores_equal_batch_evaluation_every_step(
    policy: CompiledPolicy, seed: int, step_days: int
) -> None:
    rng = np.random.default_rng(seed)
    table, n = KindTable.of(policy), 7
    running = RunningScores(table, n, step_days * DAY_US, ORIGIN)
    for _ in range(25):
        # a restoration before the step's filings (as the lab's deletions by a compromised
        # official do) must void only the records filed before it, and one after them all
        if rng.random() < 0.15:
            running.restore(rng.random(n) < 0.5)
        k = int(rng.integers(0, 6))
        running.file(
            rng.integers(0, n, k),
            rng.integers(0, table.neutral + 1, k),
            rng.integers(0, 40, k),
            withdraw_after=rng.integers(-5, 8, k),
        )
        if rng.random() < 0.15:
            running.restore(rng.random(n) < 0.5)
        subject, kind, raw, occurred = running.live_records()
        # live records re-evaluated from scratch: per-unit amounts are already in ``raw``,
        # so evaluate them as fixed-point records through a table of the same expiries
        now = running.as_of_us()
        want = _batch_from_raw(table, subject, kind, raw, occurred, n, now)
        assert np.array_equal(running.totals(), want)
        running.advance()


def _batch_from_raw(
    table: KindTable,
    subject: np.ndarray,
    kind: np.ndarray,
    raw: np.ndarray,
    occurred: np.ndarray,
    n: int,
    now: int,
) -> np.ndarray:
    total = np.zeros(n, dtype=np.int64)
    for s, k, r, o in zip(subject, kind, raw, occurred, strict=True):
        terms = table.policy.kinds[table.kinds[k]]
        if not (o <= now < o + terms.expiry_us):
            continue
        if terms.linear:
            r = int(np.sign(r)) * ((abs(int(r)) * (o + terms.expiry_us - now)) // terms.expiry_us)
        total[s] += r
    return np.clip(table.policy.base + total, table.policy.low, table.policy.high)


def test_neutral_and_unknown_kinds_share_the_zero_row() -> None:
    table = KindTable.of(DEFAULT)
    assert table.code("no_such_kind") == table.neutral == len(DEFAULT.kinds)
    assert table.code("loan_default") == table.kinds.index("loan_default")


def test_mismatched_arrays_are_refused() -> None:
    table = KindTable.of(DEFAULT)
    one = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="same length"):
        vector_evaluate(table, one, np.zeros(2, np.int64), one, one, 1, ORIGIN)
    with pytest.raises(ValueError, match="subject ids"):
        vector_evaluate(table, one + 3, one, one, one, 1, ORIGIN)
