"""A granted credit repair withdraws one record from the lab's running scores and binned
counts (issue 16): after any sequence of filings, restorations, disputes and withdrawals, in
any order within a step, the lab's totals equal the engine's ``evaluate`` on the records still
live — every record filed, less those withdrawn, disputed out or voided by a restoration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.policy import default_bundle, load_bundle
from socialcredit.records import RecordRow
from socialcredit.scoring import (
    CompiledPolicy,
    KindTable,
    RunningScores,
    compiled_bundle,
    raw_points,
)
from socialcredit.scoring._engine import evaluate
from socialcredit.simulation._binned import BinnedCounts, per_record_table
from socialcredit.timeutil import DAY_US
from tests.simulation.test_lab_whole_bundle import binned_scoring, write_bundle

ORIGIN = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
DEFAULT = compiled_bundle(default_bundle())


@dataclass
class Filed:
    """One record as the reference keeps it."""

    subject: int
    kind: str
    amount: int
    step: int
    seq: int
    disputed_at: int | None = None  # step from which an upheld dispute takes it out
    withdrawn_at: int | None = None  # step from which a withdrawal takes it out

    def live(self, step: int) -> bool:
        return all(out is None or step < out for out in (self.disputed_at, self.withdrawn_at))


class Reference:
    """Every record ever filed and what happened to it, scored by the engine's ``evaluate``."""

    def __init__(self, policy: CompiledPolicy, n: int, step_us: int) -> None:
        self.policy, self.n, self.step_us = policy, n, step_us
        self.records: list[Filed] = []
        self.restored = [0] * n
        self.clock = 0

    def negative(self, r: Filed) -> bool:
        if r.kind in self.policy.kinds:
            return self.points(r) < 0
        return any(r.kind in f.expiry_us and min(f.points) < 0 for f in self.policy.features)

    def binned(self, r: Filed) -> bool:
        return any(r.kind in f.expiry_us for f in self.policy.features)

    def points(self, r: Filed) -> int:
        terms = self.policy.kinds.get(r.kind)
        return 0 if terms is None else raw_points(terms, r.amount)

    def counts(self, r: Filed) -> bool:
        """Whether the record counts in the score at all."""
        return self.points(r) != 0 or self.binned(r)

    def key(self, r: Filed) -> tuple[int, str, int, int, int]:
        """What tells records apart in the lab's structures: agent, kind, step, points and
        the step it leaves at (expiry, or an upheld dispute before it)."""
        terms = self.policy.kinds.get(r.kind)
        expiry = [f.expiry_us[r.kind] for f in self.policy.features if r.kind in f.expiry_us]
        expiry = [terms.expiry_us] if terms is not None else expiry or [0]
        until = r.step - (-expiry[0] // self.step_us)
        leaves = until if r.disputed_at is None else min(until, r.disputed_at)
        return r.subject, r.kind, r.step, self.points(r), leaves

    def active(self, r: Filed, step: int) -> bool:
        """Whether the record has not expired by ``step`` (step 2 of the definition)."""
        terms = self.policy.kinds.get(r.kind)
        expiry = [f.expiry_us[r.kind] for f in self.policy.features if r.kind in f.expiry_us]
        expiry += [] if terms is None else [terms.expiry_us]
        return any((step - r.step) * self.step_us < e for e in expiry)

    def voided(self, r: Filed) -> bool:
        return self.negative(r) and r.seq <= self.restored[r.subject]

    def rows(self, step: int) -> list[list[RecordRow]]:
        out: list[list[RecordRow]] = [[] for _ in range(self.n)]
        for i, r in enumerate(self.records):
            if r.live(step) and not self.voided(r):
                at = ORIGIN + r.step * self.step_us
                out[r.subject].append(RecordRow(i, "person", str(r.subject), r.kind, at, at,
                                                r.amount))  # fmt: skip
        return out

    def totals(self, step: int) -> tuple[np.ndarray, list[tuple[int, ...]]]:
        at = datetime.fromtimestamp((ORIGIN + step * self.step_us) / 1e6, UTC)
        totals, counts = [], []
        for s, rows in enumerate(self.rows(step)):
            result = evaluate(self.policy, tuple(rows), ("person", str(s)), at, at)
            totals.append(result.total)
            counts.append(tuple(f.count for f in result.features))
        return np.array(totals, dtype=np.int64), counts


def drive(
    policy: CompiledPolicy, seed: int, steps: int = 30, n: int = 6, step_days: int = 30
) -> int:
    """Run random filings, restorations (before and after the step's filings), disputes and
    withdrawals through the lab's structures and the reference, comparing every step;
    returns how many withdrawals took points out."""
    rng = np.random.default_rng(seed)
    step_us = step_days * DAY_US
    table = KindTable.of(policy)
    filed_table = per_record_table(table) if policy.features else table
    running = RunningScores(filed_table, n, step_us, ORIGIN)
    binned = BinnedCounts(table, n, step_us) if policy.features else None
    ref = Reference(policy, n, step_us)
    names = [k for k in table.kinds[: table.neutral] if k]
    took = 0
    for step in range(steps):

        def restore() -> None:
            select = rng.random(n) < 0.4
            running.restore(select)
            if binned is not None:
                binned.restore(select)
            ref.clock += 1
            for s in np.flatnonzero(select).tolist():
                ref.restored[s] = ref.clock

        if rng.random() < 0.2:
            restore()
        k = int(rng.integers(0, 8))
        subject = rng.integers(0, n, k)
        kind = rng.choice(names, k) if k else np.array([], dtype=str)
        amount = rng.integers(0, 40, k)
        after = rng.integers(-8, 6, k)
        codes = table.encode([str(x) for x in kind])
        running.file(subject, np.minimum(codes, filed_table.neutral), amount,
                     withdraw_after=after)  # fmt: skip
        if binned is not None:
            binned.file(subject, codes, after)
        ref.clock += 1
        for s, name, a, w in zip(subject.tolist(), kind.tolist(), amount.tolist(),
                                 after.tolist(), strict=True):  # fmt: skip
            disputed = None if w < 0 else step + max(w, 1)
            ref.records.append(Filed(s, str(name), a, step, ref.clock, disputed))
        if rng.random() < 0.2:
            restore()
        took += withdraw_some(rng, ref, running, binned, table, filed_table, step)
        want, counts = ref.totals(step + 1)
        running.advance()
        if binned is not None:
            binned.advance()
        points = running.points() + (0 if binned is None else binned.points())
        got = np.clip(policy.base + points, policy.low, policy.high)
        assert np.array_equal(got, want), step
        if binned is not None:
            assert [tuple(c) for c in binned.counts.tolist()] == counts, step
    return took


def withdraw_some(
    rng: np.random.Generator,
    ref: Reference,
    running: RunningScores,
    binned: BinnedCounts | None,
    table: KindTable,
    filed_table: KindTable,
    step: int,
) -> int:
    """Withdraw a few records now — live ones, and some already gone (which must change
    nothing unless a live twin is left: records of one agent, kind and step with the same
    points are interchangeable); returns how many withdrawals took points out."""
    took = 0
    for i in rng.permutation(len(ref.records))[:3].tolist():
        r = ref.records[i]
        twins = [x for x in ref.records if ref.key(x) == ref.key(r) and x.live(step)]
        twins = [x for x in twins if ref.active(x, step) and not ref.voided(x)]
        code = table.code(r.kind)
        there = min(code, filed_table.neutral)
        done = running.withdraw(r.subject, there, r.step, r.amount, r.disputed_at)
        if binned is not None:
            done |= binned.withdraw(r.subject, code, r.step, r.disputed_at)
        assert done == (bool(twins) and ref.counts(r)), r
        if done:
            twins[0].withdrawn_at = step  # out from now on, as the engine's withdrawal is
            took += 1
    return took


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), step_days=st.sampled_from([7, 30, 120]))
def test_withdrawals_leave_the_running_scores_as_the_engine_scores(
    seed: int, step_days: int
) -> None:
    drive(DEFAULT, seed, step_days=step_days)


def test_withdrawals_take_points_out(tmp_path: Path) -> None:
    """Over many seeds withdrawals do take points out (the comparison is not vacuous), under
    the default policy and under a learned scorecard's binned rules."""
    assert sum(drive(DEFAULT, seed) for seed in range(5)) > 20
    folder = write_bundle(tmp_path / "scorecard", binned_scoring())
    policy = compiled_bundle(load_bundle(folder))
    assert policy.features
    assert sum(drive(policy, seed) for seed in range(5)) > 20


def test_a_withdrawn_record_is_not_retired_again() -> None:
    table = KindTable.of(DEFAULT)
    running = RunningScores(table, 2, 30 * DAY_US, ORIGIN)
    code = table.code("fare_evasion")
    running.file(np.array([0, 0]), np.array([code, code]))
    one = int(running.points()[0]) // 2
    assert one < 0
    assert running.withdraw(0, code, 0)
    assert int(running.points()[0]) == one
    running.restore(np.array([True, False]))
    assert not running.withdraw(0, code, 0)  # voided by the restoration
    while running._ring:
        running.advance()
    assert running.points().tolist() == [0, 0]
    assert not running.withdraw(1, code, 0)


@pytest.mark.parametrize("kind", ["judgment_performed", "no_such_kind"])
def test_a_kind_without_points_has_nothing_to_withdraw(kind: str) -> None:
    table = KindTable.of(DEFAULT)
    running = RunningScores(table, 1, DAY_US, ORIGIN)
    running.file(np.array([0]), np.array([table.code(kind)]))
    assert not running.withdraw(0, table.code(kind), 0)
