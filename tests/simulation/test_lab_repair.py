"""Restoration on application in the lab: listed agents decide to apply, and every decision
equals the engine's on a real ledger (issue 16).

The differential test replays a small run's applications through the engine's own functions
(:func:`socialcredit.consequences.request_restoration`,
:func:`socialcredit.rights._repair.apply_for_repair` and ``decide_repair``) on a real SQLite
``Ledger`` holding the applicants' records, filed at the lab's times, and requires the same
outcome, the same unmet conditions, and at the end the same listings (status, notice, start,
end and why it ended) as the lab's tracker.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialcredit.catalogue import Catalogue
from socialcredit.consequences import membership_at, request_restoration, subject_consequences
from socialcredit.demo._filers import source_of
from socialcredit.errors import ValidationError
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger, create_key_file
from socialcredit.policy import PolicyBundle, default_bundle, load_bundle_from_files, publish
from socialcredit.records import RecordRow
from socialcredit.rights import _repair as engine_repair
from socialcredit.scoring._engine import evaluate
from socialcredit.simulation import shipped_scenarios, with_overrides
from socialcredit.simulation._lab import build
from socialcredit.simulation._repair import Application, Applications
from socialcredit.simulation._scenario import ORIGIN_US
from socialcredit.simulation._whole_bundle_data import whole_bundle_data
from socialcredit.storage._sqlite import SQLiteStore
from socialcredit.timeutil import DAY_US, format_time
from tests.conftest import Clock
from tests.records_factory import organisation, person
from tests.test_policy_cases import edit_files

# credit repair reachable while listed: no early restoration on the serious-enterprise list, a
# short publicity period and no training, so that grants happen within a short run
EASY_REPAIR = [
    {
        "file": "listings.yaml",
        "delete": "lists[id=seriously_illegal_enterprises].restoration.on_application_after",
    },
    {"file": "repair.yaml", "set": "min_publicity_days", "value": {"general": 90, "serious": 60}},
    {"file": "repair.yaml", "set": "training_for", "value": []},
]
CITING = {"administrative_penalty_serious", engine_repair.PERFORMED, engine_repair.COMMITMENT}
REFERENCE = {
    "court": "(2025)京0105执{}号",
    "market_regulator": "京市监罚〔2025〕{}号",
    "training_provider": "PX-2025-{:06d}",
}
# the replay runs 4 × 364 days before the lab's time: ingestion refuses records in the future
SHIFT = -4 * 364 * DAY_US
OVERRIDES = {
    "agents": 800,
    "step_days": 14,
    "steps": 80,
    "institution.organisations": 0.3,
    "institution.due_process.disputes": False,  # every withdrawal here is a granted repair
}


def run(
    tmp_path: Path,
    edits: list[dict[str, Any]] | None,
    retry: int | None = None,
    overrides: dict[str, Any] | None = None,
) -> Any:
    """A small whole-bundle run (under the default bundle edited by ``edits``; agents apply
    again after ``retry`` steps instead of the data file's; ``overrides`` of the scenario
    beyond :data:`OVERRIDES`)."""
    overrides = {**OVERRIDES, **(overrides or {})}
    if edits is not None:
        folder = tmp_path / "bundle"
        folder.mkdir()
        for name, data in edit_files(edits).items():
            (folder / name).write_bytes(data)
        overrides["bundle"] = str(folder)
    sim, inst = build(with_overrides(shipped_scenarios()["whole_bundle"], overrides), 1)
    if retry is not None:
        inst.whole.applications.retry = retry
    for _ in range(int(overrides["steps"])):
        sim.step()
    return inst


def subject_of(whole: Any, agent: int) -> tuple[str, str]:
    """The agent as an engine subject: a valid person or organisation identifier."""
    if whole.organisation[agent]:
        return "organisation", organisation(agent + 1)
    return "person", person(agent + 1)


class Replay:
    """The applicants' records and applications replayed on a real ledger."""

    def __init__(self, tmp_path: Path, bundle: PolicyBundle, files: dict[str, bytes] | None):
        self.clock = Clock(ORIGIN_US + SHIFT - DAY_US)
        signer = create_key_file(tmp_path / "replay.key")
        self.ledger = Ledger.create(SQLiteStore(tmp_path / "replay.db"), signer, "t/r", self.clock)
        if files is not None:
            publish(self.ledger, load_bundle_from_files(files))
        self.catalogue: Catalogue = bundle.catalogue
        self.position: dict[tuple[int, int], int] = {}  # (agent, lab position) -> ledger's

    def file(self, whole: Any, now: int, rows: list[tuple[int, Any]]) -> None:
        """File the lab's rows (agent, row) recorded at ``now``, in order."""
        self.clock.now_us = now + SHIFT
        batch = []
        for agent, row in rows:
            kind, subject_id = subject_of(whole, agent)
            item: dict[str, Any] = {
                "subject_kind": kind,
                "subject_id": subject_id,
                "kind": row.kind,
                "occurred_at": format_time(row.occurred_at_us + SHIFT),
                "source": source_of(self.catalogue.kind(row.kind)).name,
            }
            spec = self.catalogue.kind(row.kind).evidence
            if row.kind in CITING:  # one decision number: every fact concerns the penalty
                item["evidence"] = f"京市监罚〔2025〕{agent + 1}号"
            elif spec is not None and spec.required:  # the source's own kind of reference
                authority = source_of(self.catalogue.kind(row.kind)).authority
                item["evidence"] = REFERENCE[authority].format(agent + 1)
            if row.amount:
                item["amount"] = row.amount
            batch.append((len(batch) + 1, item))
        first = self.ledger.size()
        summary = ingest_rows(self.ledger, self.catalogue, batch)
        assert summary.accepted == len(batch), summary.refusal_reasons
        for offset, (agent, row) in enumerate(rows):
            self.position[agent, row.position] = first + offset

    def apply(self, whole: Any, app: Application) -> tuple[bool, tuple[str, ...]]:
        """The engine's outcome of the lab's application: granted, and the unmet conditions."""
        kind, subject_id = subject_of(whole, app.agent)
        now = ORIGIN_US + app.step * whole.step_us + SHIFT
        self.clock.now_us = now
        if app.route == "restoration":
            at = datetime.fromtimestamp(now / 1e6, UTC)
            try:
                request_restoration(self.ledger, kind, subject_id, app.list_id, "paid", at)
            except ValidationError as refused:
                [problem] = refused.problems
                assert "may be applied for from" in problem.reason, problem
                return False, ("wait",)
            return True, ()
        position = self.position[app.agent, app.record]
        repair_id = engine_repair.apply_for_repair(self.ledger, position, "paid", self.catalogue)
        state = engine_repair.repair_state(self.ledger, repair_id)
        unmet = tuple(c.name for c in state.conditions if not c.met)
        outcome = "refused" if unmet else "granted"
        engine_repair.decide_repair(
            self.ledger, repair_id, outcome, "officer:lab", "checked", self.catalogue
        )
        return not unmet, unmet


def replay(tmp_path: Path, inst: Any, files: dict[str, bytes] | None, limit: int = 16) -> int:
    """Replay the applications of up to ``limit`` applicants (every one granted something
    first, then others), each on its own ledger; returns how many applications were
    compared."""
    whole = inst.whole
    log = whole.applications.log
    granted = sorted({a.agent for a in log if a.granted})
    others = sorted({a.agent for a in log} - set(granted))
    compared = 0
    for agent in (granted + others)[:limit]:
        compared += replay_agent(tmp_path / f"agent{agent}", inst, agent, files)
    return compared


def replay_agent(folder: Path, inst: Any, agent: int, files: dict[str, bytes] | None) -> int:
    """Replay one agent's records and applications; returns how many were compared."""
    whole = inst.whole
    tracker = whole.tracker
    events: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for row, _ in tracker._rows.get(agent, []):
        events[row.recorded_at_us].append((agent, row))
    apps: dict[int, list[Application]] = defaultdict(list)
    for app in whole.applications.log:
        if app.agent == agent:
            apps[ORIGIN_US + app.step * whole.step_us].append(app)
    folder.mkdir()
    engine = Replay(folder, whole.bundle, files)
    compared = 0
    try:
        for now in sorted(set(events) | set(apps)):
            if now in events:
                engine.file(whole, now, events[now])
            for app in apps.get(now, []):
                assert engine.apply(whole, app) == (app.granted, app.unmet), app
                compared += 1
        end = ORIGIN_US + (len(inst.history) - 1) * whole.step_us
        ground = {d.id for d in whole.bundle.lists if not d.grades and d.sector_grade is None}
        at = datetime.fromtimestamp((end + SHIFT) / 1e6, UTC)
        found = subject_consequences(engine.ledger, *subject_of(whole, agent), at)
        want = sorted(_key(m, SHIFT) for m in found.memberships if m.list_id in ground)
        mine = [membership_at(item, end, frozen=False) for item in tracker.found.get(agent, ())]
        got = sorted(_key(m) for m in mine if m is not None)
        assert got == want, (agent, got, want)
    finally:
        engine.ledger.store.close()
    return compared


def _key(member: Any, shift: int = 0) -> tuple[Any, ...]:
    """A membership's terms, its times moved back by ``shift``."""
    until = None if member.until_us is None else member.until_us - shift
    return (member.list_id, member.status.value, member.noticed_us - shift,
            member.from_us - shift, until, member.ended_by)  # fmt: skip


@pytest.mark.slow
def test_early_restoration_is_decided_as_the_engine_decides(tmp_path: Path) -> None:
    """Default bundle: applications for early restoration from the serious-enterprise list
    (granted after a year, refused before) and for credit repair (refused: conditions).
    Agents apply every step while it is worth it, so the first grant probes the boundary."""
    inst = run(tmp_path, None, retry=1)
    log = inst.whole.applications.log
    routes = {(a.route, a.granted) for a in log}
    assert {("restoration", True), ("restoration", False), ("repair", False)} <= routes
    assert replay(tmp_path, inst, None) > 50


@pytest.mark.slow
def test_credit_repair_is_decided_as_the_engine_decides(tmp_path: Path) -> None:
    """A bundle where repair is reachable while listed: grants withdraw the penalty, and the
    listing it grounds disappears from the lab's lists as from the engine's."""
    inst = run(tmp_path, EASY_REPAIR)
    log = inst.whole.applications.log
    assert any(a.route == "repair" and a.granted for a in log)
    assert {a.unmet for a in log if not a.granted} >= {("performed", "commitment")}
    assert replay(tmp_path, inst, edit_files(EASY_REPAIR)) > 50
    repaired_points_are_withdrawn(inst)


def test_a_granted_repair_takes_the_penalty_out_of_the_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the engine's withdrawal leaves the record out of every evaluator: the lab's scores
    equal ``evaluate`` on its live records, and those hold no repaired penalty.

    In the shipped data a commitment comes only with a clean record, after the lab's
    restoration has voided the agent's negative records, so a repaired penalty has no
    points left to withdraw. Here the lab's restoration is off and an organisation meeting
    an obligation sometimes commits to credit, so the penalties would still count.
    """
    met = whole_bundle_data()["acts"]["obligation_met"]
    assert isinstance(met, dict)
    mapping = {
        **met["organisation"],
        "credit_commitment_made": 0.4,
        "obligation_repaid_on_time": 0.2,
    }
    monkeypatch.setitem(met, "organisation", mapping)
    inst = run(tmp_path, EASY_REPAIR, overrides={"institution.due_process.restoration": False})
    assert repaired_points_are_withdrawn(inst) >= 3


def amount_of(lawful: Any, kind: int, raw: int) -> int | None:
    """The amount a live record of kind code ``kind`` with ``raw`` points was filed with."""
    per_unit = int(lawful.table.per_unit[kind])
    return abs(raw) // abs(per_unit) if per_unit else None


def repaired_points_are_withdrawn(inst: Any) -> int:
    """Check that the lab's scores equal the engine's ``evaluate`` on its live records and
    that no penalty withdrawn by a granted repair is among them while it would otherwise
    still count; returns how many such penalties were checked."""
    whole, lawful = inst.whole, inst.lawful
    subject, kind, raw, occurred = lawful.live_records()
    live: dict[tuple[int, int, int], int] = defaultdict(int)
    for key in zip(subject.tolist(), kind.tolist(), occurred.tolist(), strict=True):
        live[key] += 1
    at = datetime.fromtimestamp(lawful.as_of_us() / 1e6, UTC)
    for agent in {a.agent for a in whole.applications.log if a.granted}:
        rows = [
            RecordRow(0, "person", str(agent), lawful.table.kinds[k], t, t, amount_of(lawful, k, r))
            for s, k, r, t in zip(subject.tolist(), kind.tolist(), raw.tolist(),
                                  occurred.tolist(), strict=True)
            if s == agent
        ]  # fmt: skip
        want = evaluate(lawful.table.policy, tuple(rows), ("person", str(agent)), at, at).total
        assert int(inst.totals()[agent]) == want, agent
    checked = 0
    for app in whole.applications.log:
        if app.route != "repair" or not app.granted:
            continue
        rows = whole.tracker._rows[app.agent]
        penalty = next(row for row, _ in rows if row.position == app.record)
        code = lawful.table.code(penalty.kind)
        filed = (penalty.recorded_at_us - ORIGIN_US) // whole.step_us
        if lawful.step >= filed + lawful.lifetime[code]:
            continue  # it would have expired by now anyway
        twins = sum(
            1 for row, until in rows
            if until > lawful.step and (row.kind, row.recorded_at_us)
            == (penalty.kind, penalty.recorded_at_us)
        )  # fmt: skip
        assert live[app.agent, code, penalty.recorded_at_us] == twins, app
        checked += 1
    return checked


def test_agents_apply_when_the_escape_is_worth_its_cost(tmp_path: Path) -> None:
    """Applying is a decision: free, every listed agent with a route out applies; at a
    prohibitive cost nobody does, and the listings run their course."""
    free = with_overrides(shipped_scenarios()["whole_bundle"], {**OVERRIDES, "steps": 40})
    sim, inst = build(free, 1)
    sim.step()
    apps = inst.whole.applications
    for cost, expect_any in ((0.0, True), (1e12, False)):
        sim, inst = build(free, 1)
        sim.step()
        inst.whole.applications.cost[:] = cost
        for _ in range(39):
            sim.step()
        log = inst.whole.applications.log
        assert bool(log) == expect_any
        if expect_any:  # the cost is paid: never applied twice within retry_steps
            by_agent: dict[int, list[int]] = defaultdict(list)
            for a in log:
                by_agent[a.agent].append(a.step)
            gaps = [np.diff(sorted(set(s))) for s in by_agent.values()]
            assert all((g >= apps.retry).all() for g in gaps)


def test_agents_learn_the_chance_of_a_grant_from_their_outcomes() -> None:
    apps = Applications(default_bundle(), 3, whole_bundle_data()["applications"])
    assert apps.chance(0, "repair") == apps.chance(0, "restoration") == 0.5
    apps.note(Application(0, 0, "repair", "x", 1, False, ("performed",)))
    assert apps.chance(0, "repair") == pytest.approx(1 / 3)
    apps.note(Application(1, 0, "repair", "x", 1, True))
    assert apps.chance(0, "repair") == 0.5 and apps.chance(0, "restoration") == 0.5
    assert apps.chance(1, "repair") == 0.5 and len(apps.log) == 2
