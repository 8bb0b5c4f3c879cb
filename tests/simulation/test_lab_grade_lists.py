"""Grade lists and the hardship freeze in the lab, held equal to the engine's answers step by
step (issue 16).

The lab follows grade lists with vector code (an agent's grade from the running scores, in
the list's grades for the list's notice) and freezes the lists that say so for a step of
hardship. Here the engine's :func:`~socialcredit.consequences._projection.listings` and
:func:`~socialcredit.consequences._projection.membership_at` answer the same questions from
every record the lab filed (as known at the step: a record voided by a restoration or
withdrawn after an upheld dispute no longer counts), with the step's hardship as a hardship
fact, and every agent's lists in effect must be the same at every step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialcredit.consequences import Status, SubjectFacts, listings, membership_at
from socialcredit.records import RecordRow
from socialcredit.simulation import shipped_scenarios, with_overrides
from socialcredit.simulation._lab import build
from socialcredit.simulation._scenario import ORIGIN_US
from tests.test_policy_cases import edit_files

# a black list entered by grade D after a 30-day notice, and the red list after 21 days
LOW_GRADE = {
    "id": "low_grade_watch",
    "name": "Watch list of low-grade subjects",
    "colour": "black",
    "subject_kinds": ["person", "organisation"],
    "context": "judicial",
    "gravity": "general",
    "legal_basis": "spc-dishonest-debtors-2017/art1",
    "notice": "30d",
    "grade": ["D"],
}
GRADE_NOTICES = [
    {"file": "listings.yaml", "append": "lists", "value": LOW_GRADE},
    {"file": "listings.yaml", "set": "lists[id=exemplary_red_list].notice", "value": "21d"},
]


class History:
    """Every record the lab files into its running scores, and the restorations that void an
    agent's negative records, in call order (the engine's records as known at each step)."""

    def __init__(self, inst: Any) -> None:
        self.inst, self.calls = inst, 0
        self.rows: dict[int, list[tuple[int, RecordRow, int]]] = {}  # (call, row, leaves)
        self.voided: dict[int, int] = {}  # agent -> call of its last restoration
        lawful = inst.lawful
        file, restore = lawful.file, lawful.restore

        def filed(subject: Any, kind: Any, amount: Any = None, cause: Any = None,
                  withdraw_after: Any = None) -> None:  # fmt: skip
            self._file(subject, kind, amount, withdraw_after)
            file(subject, kind, amount, cause, withdraw_after)

        def restored(select: Any) -> int:
            self.calls += 1
            for agent in np.flatnonzero(select).tolist():
                self.voided[agent] = self.calls
            return int(restore(select))

        lawful.file, lawful.restore = filed, restored

    def _file(self, subject: Any, kind: Any, amount: Any, withdraw_after: Any) -> None:
        self.calls += 1
        lawful = self.inst.lawful
        table, step = lawful.table, lawful.step
        now = lawful.as_of_us()
        amount = np.zeros(len(kind), np.int64) if amount is None else amount
        after = np.full(len(kind), -1) if withdraw_after is None else withdraw_after
        for s, k, a, w in zip(np.asarray(subject).tolist(), np.asarray(kind).tolist(),
                              np.asarray(amount).tolist(), np.asarray(after).tolist(),
                              strict=True):  # fmt: skip
            if k >= table.neutral or table.kinds[k] not in table.policy.kinds:
                continue  # a kind without points: the score does not see it
            name = table.kinds[k]
            per_unit = int(table.per_unit[k])
            subject_kind = "organisation" if self.inst.whole.organisation[s] else "person"
            row = RecordRow(0, subject_kind, str(s), name, now, now, a if per_unit else None)
            leaves = step + max(w, 1) if w >= 0 else 2**62
            self.rows.setdefault(s, []).append((self.calls, row, leaves))

    def effective(self, agent: int, step: int) -> list[RecordRow]:
        """The agent's records the engine would count at ``step``: not withdrawn by then, and
        not negative and filed before its last restoration."""
        voided = self.voided.get(agent, -1)
        policy = self.inst.table.policy
        out = []
        for call, row, leaves in self.rows.get(agent, []):
            terms = policy.kinds[row.kind]
            negative = terms.points < 0 or terms.per_unit < 0
            if leaves > step and not (negative and call < voided):
                out.append(row)
        return out


def check_step(inst: Any, history: History, step: int) -> set[tuple[str, str]]:
    """Every agent's lists in effect (ground and grade lists, frozen by the step's hardship)
    equal the engine's; returns the (list, status) pairs the engine gave."""
    whole = inst.whole
    tracker, bundle = whole.tracker, whole.bundle
    now = ORIGIN_US + step * inst.lawful.step_us
    in_effect = tracker.in_effect(whole.hardship)
    grade = [i for i, d in enumerate(bundle.lists) if d.grades]
    seen: set[tuple[str, str]] = set()
    for agent in range(inst.n):
        kind = "organisation" if whole.organisation[agent] else "person"
        facts = SubjectFacts(hardship=[(now, True)] if whole.hardship[agent] else [])
        rows = history.effective(agent, step)
        found = list(
            listings(_Only(bundle, grade), tracker.compiled.scoring, rows, facts, kind, now)
        )
        found += tracker.found.get(agent, ())  # ground lists: the engine's own, kept
        want = set()
        for item in found:
            d = bundle.list_definition(item.list_id)
            frozen = facts.hardship_at(now, now) and d.hardship_freezes
            member = membership_at(item, now, frozen)
            if member is not None:
                seen.add((item.list_id, member.status.value))
                if member.status == Status.LISTED:
                    want.add(item.list_id)
        got = {tracker.lists[i] for i in np.flatnonzero(in_effect[agent])}
        assert got == want, (step, agent, got, want)
    return seen


class _Only:
    """The part of a bundle :func:`listings` reads, with only the lists at ``columns``."""

    def __init__(self, bundle: Any, columns: list[int]) -> None:
        self.lists = tuple(bundle.lists[i] for i in columns)


def run_checked(
    overrides: dict[str, Any], seed: int, steps: int
) -> tuple[Any, set[tuple[str, str]], int]:
    """Run a whole-bundle scenario, checking every step; returns the institution, the
    statuses seen and how many agent-steps were frozen."""
    sim, inst = build(with_overrides(shipped_scenarios()["whole_bundle"], overrides), seed)
    history = History(inst)
    seen: set[tuple[str, str]] = set()
    frozen = 0
    for _ in range(steps):
        sim.step()
        seen |= check_step(inst, history, sim.step_index - 1)
        whole = inst.whole
        frozen += int(
            (whole.tracker.listed & whole.tracker.freezes & whole.hardship[:, None]).sum()
        )
    return inst, seen, frozen


@pytest.mark.slow
def test_grade_lists_follow_the_engine_step_by_step(tmp_path: Path) -> None:
    """A red list entered by AAA after 21 days and a black list entered by D after 30 days,
    under disputes, expiry and restoration, 7-day steps."""
    folder = tmp_path / "grades"
    folder.mkdir()
    for name, data in edit_files(GRADE_NOTICES).items():
        (folder / name).write_bytes(data)
    overrides = {"agents": 500, "bundle": str(folder), "step_days": 5}
    _, seen, _ = run_checked(overrides, 3, 90)
    for list_id in ("exemplary_red_list", "low_grade_watch"):
        assert {(list_id, "noticed"), (list_id, "listed"), (list_id, "expired")} <= seen


def test_the_hardship_freeze_follows_the_engine_step_by_step() -> None:
    """The default bundle: the debtor list freezes for a step of hardship (a hardship fact
    at the step), the others do not."""
    _, seen, frozen = run_checked({"agents": 400}, 1, 24)
    assert frozen > 0 and ("dishonest_judgment_debtors", "frozen") in seen
