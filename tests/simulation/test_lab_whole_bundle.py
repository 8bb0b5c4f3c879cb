"""The whole bundle in the lab: every kind mapped or listed, any bundle directory, binned
rules scored as the engine scores them, lists by the engine's rules, measures as payoffs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from socialcredit.catalogue import registry
from socialcredit.cli import cli
from socialcredit.consequences import Status, SubjectFacts, listings, membership_at
from socialcredit.errors import ScenarioError
from socialcredit.policy import default_bundle, file_hash
from socialcredit.records import RecordRow
from socialcredit.scoring._engine import evaluate
from socialcredit.simulation import load_scenario, shipped_scenarios, small_world, with_overrides
from socialcredit.simulation._lab import build, run_scenario
from socialcredit.simulation._scenario import ORIGIN_US
from socialcredit.simulation._whole_bundle import CHANNELS, MeasureEffects
from socialcredit.simulation._whole_bundle_data import (
    ACTS,
    mapped_kinds,
    unmapped_kinds,
    whole_bundle_data,
)
from tests.memoranda.test_grade_triggered import BUNDLE_EDITS
from tests.test_policy_cases import edit_files

BINNED = [
    {
        "feature": "debt_defaults",
        "kinds": ["loan_default", "credit_card_default"],
        "dimension": "finance",
        "bins": [{"upto": 0, "points": 0}, {"upto": 1, "points": -25}, {"points": -60}],
    },
    {
        "feature": "fare_evasions",
        "kinds": ["fare_evasion"],
        "dimension": "transport",
        "bins": [{"upto": 0, "points": 0}, {"upto": 2, "points": -5}, {"points": -40}],
    },
]


def write_bundle(folder: Path, scoring: dict[str, Any] | None = None) -> Path:
    """The default bundle in ``folder``, with ``scoring`` as its scoring file (rehashed)."""
    folder.mkdir()
    files = dict(default_bundle().files)
    if scoring is not None:
        files["scoring.yaml"] = yaml.safe_dump(scoring, sort_keys=False).encode()
    manifest = yaml.safe_load(files["manifest.yaml"])
    manifest.pop("signature", None)
    manifest["files"] = {name: file_hash(files[name]) for name in manifest["files"]}
    files["manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def binned_scoring() -> dict[str, Any]:
    doc = yaml.safe_load(default_bundle().files["scoring.yaml"])
    doc["rules"] = [r for r in doc["rules"] if r["kind"] not in ("loan_default", "fare_evasion")]
    doc["binned"] = BINNED
    return doc


# -- the mapping -----------------------------------------------------------------------------


def test_every_kind_of_the_default_bundle_is_mapped_or_listed() -> None:
    assert unmapped_kinds(default_bundle()) == []
    kinds = {k.id for k in default_bundle().catalogue}
    listed = whole_bundle_data()["not_simulated"]
    assert mapped_kinds() <= kinds, mapped_kinds() - kinds  # no typo in the data file
    assert set(listed) <= kinds and not set(listed) & mapped_kinds()
    assert all(isinstance(why, str) and len(why) > 20 for why in listed.values())


def test_a_kind_neither_mapped_nor_listed_is_reported(tmp_path: Path) -> None:
    catalogue = yaml.safe_load(default_bundle().files["catalogue.yaml"])
    extra = dict(next(k for k in catalogue["kinds"] if k["id"] == "loan_default"))
    extra |= {"id": "mortgage_default", "name": "Mortgage default"}
    catalogue["kinds"].append(extra)
    folder = write_bundle(tmp_path / "b")
    (folder / "catalogue.yaml").write_text(yaml.safe_dump(catalogue, sort_keys=False))
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text())
    manifest["files"]["catalogue.yaml"] = file_hash((folder / "catalogue.yaml").read_bytes())
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    from socialcredit.policy import load_bundle

    assert unmapped_kinds(load_bundle(folder)) == ["mortgage_default"]
    with pytest.raises(ScenarioError) as caught:
        with_overrides(shipped_scenarios()["whole_bundle"], {"bundle": str(folder)})
    [problem] = caught.value.problems
    assert problem.field == "institution.acts" and "mortgage_default" in problem.reason
    core = with_overrides(shipped_scenarios()["lawful_core"], {"bundle": str(folder)})
    assert core.policy == str(folder)  # the core acts need no mapping of the new kind


def test_probabilities_and_measure_types_are_complete() -> None:
    data = whole_bundle_data()
    assert set(data["acts"]) == set(ACTS)
    for act, by_subject in data["acts"].items():
        for subject, kinds in by_subject.items():
            total = sum(v["p"] if isinstance(v, dict) else v for v in kinds.values())
            assert 0 < total <= 1 + 1e-9, (act, subject, total)
    listing = {"black_listing", "red_listing"}
    assert set(data["measures"]) == set(registry().measure_types) - listing
    assert all(set(effect) <= set(CHANNELS) for effect in data["measures"].values())


# -- any bundle directory --------------------------------------------------------------------


def test_a_scenario_takes_a_bundle_directory_relative_to_its_file(tmp_path: Path) -> None:
    write_bundle(tmp_path / "proposed")
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nagents: 100\nsteps: 2\nbundle: proposed\ninstitution: {}\n")
    scenario = load_scenario(path)
    assert scenario.policy == str(tmp_path / "proposed")
    assert run_scenario(scenario, 0)["score_mean"].size == 2


def test_a_bad_bundle_is_refused_with_its_path(tmp_path: Path) -> None:
    doc = yaml.safe_load(default_bundle().files["scoring.yaml"])
    doc["rules"][0]["kind"] = "no_such_kind"
    folder = write_bundle(tmp_path / "bad", doc)
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nbundle: bad\ninstitution: {}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    problems = [(p.field, p.reason) for p in caught.value.problems]
    assert problems and all(field == "bundle" for field, _ in problems)
    assert any(str(folder) in r and "scoring.yaml:rules[0].kind" in r for _, r in problems)
    path.write_text("name: s\nbundel: bad\n")
    with pytest.raises(ScenarioError, match="not a valid scenario") as caught:
        load_scenario(path)
    assert [p.field for p in caught.value.problems] == ["bundel"]


def test_simulate_takes_a_bundle(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b")
    out = tmp_path / "res"
    args = ["simulate", "whole_bundle", "--bundle", str(folder), "--seeds", "1", "--steps", "2"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert (out / "whole_bundle.parquet").exists()
    result = CliRunner().invoke(cli, [*args[:2], "--bundle", str(tmp_path / "none")])
    assert result.exit_code != 0 and str(tmp_path / "none") in result.output


# -- binned rules ----------------------------------------------------------------------------


def engine_totals(inst: Any) -> tuple[dict[int, int], dict[int, tuple[int, ...]]]:
    """Every agent's total and binned counts by the per-subject engine on the lab's records."""
    filed, full, step_us = inst._filed, inst.table, inst.lawful.step_us
    rows: dict[int, list[RecordRow]] = {}
    subject, kind, raw, occurred = inst.lawful.live_records()
    for s, k, r, t in zip(
        subject.tolist(), kind.tolist(), raw.tolist(), occurred.tolist(), strict=True
    ):
        per_unit = int(filed.per_unit[k])
        amount = abs(r) // abs(per_unit) if per_unit else None
        row = RecordRow(0, "person", str(s), filed.kinds[k], t, t, amount)
        rows.setdefault(s, []).append(row)
    subject, kind, step = inst.binned.live_records()
    for s, k, f in zip(subject.tolist(), kind.tolist(), step.tolist(), strict=True):
        name = full.kinds[k]
        if name not in full.policy.kinds:  # counted only: the lawful sums do not hold it
            t = ORIGIN_US + f * step_us
            rows.setdefault(s, []).append(RecordRow(0, "person", str(s), name, t, t, 0))
    at = datetime.fromtimestamp(inst.lawful.as_of_us() / 1e6, UTC)
    totals, counts = {}, {}
    for s in range(inst.n):
        result = evaluate(full.policy, tuple(rows.get(s, ())), ("person", str(s)), at, at)
        totals[s] = result.total
        counts[s] = tuple(f.count for f in result.features)
    return totals, counts


def test_binned_rules_score_as_the_engine_scores_them(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "scorecard", binned_scoring())
    scenario = with_overrides(
        shipped_scenarios()["lawful_core"],
        {"agents": 300, "bundle": str(folder), "institution.label_error": 0.2},
    )
    sim, inst = build(scenario, 3)
    assert inst.binned is not None
    for _ in range(30):
        sim.step()
    totals, counts = engine_totals(inst)
    assert np.array_equal(inst.totals(), np.array([totals[s] for s in range(inst.n)]))
    assert np.array_equal(inst.binned.counts, np.array([counts[s] for s in range(inst.n)]))
    assert (inst.binned.counts[:, 0] >= 2).any() and (inst.binned.counts[:, 1] >= 3).any()
    assert len(set(inst.totals().tolist())) > 5  # the comparison covers many scores


def test_binned_rules_deter_like_per_record_rules(tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "scorecard", binned_scoring())
    scenario = with_overrides(shipped_scenarios()["lawful_core"], {"bundle": str(folder)})
    _, inst = build(scenario, 0)
    assert inst._default_points == -25 and inst._ride_points == -5  # the first bin's points


# -- lists and measures ----------------------------------------------------------------------


def test_listings_follow_the_engines_rules_step_by_step() -> None:
    scenario = with_overrides(shipped_scenarios()["whole_bundle"], {"agents": 600})
    sim, inst = build(scenario, 2)
    tracker, seen_status = None, set()
    for _ in range(24):
        sim.step()
        tracker = inst.whole.tracker
        now = ORIGIN_US + (sim.step_index - 1) * inst.lawful.step_us
        step = sim.step_index - 1
        for agent, rows in tracker._rows.items():
            effective = [row for row, until in rows if until > step]
            kind = "organisation" if tracker.organisation[agent] else "person"
            found = listings(tracker.bundle, tracker.compiled.scoring, effective, SubjectFacts(),
                             kind, now)  # fmt: skip
            expected = set()
            for item in found:
                if tracker.bundle.list_definition(item.list_id).grades:
                    continue
                member = membership_at(item, now, frozen=False)
                if member is not None:
                    seen_status.add(member.status)
                    if member.status == Status.LISTED:
                        expected.add(item.list_id)
            ground = [i for i, d in enumerate(tracker.bundle.lists) if not d.grades]
            got = {tracker.lists[i] for i in ground if tracker.listed[agent, i]}
            assert got == expected, (agent, got, expected)
    assert tracker is not None and tracker.listed.any(axis=0).sum() >= 2
    assert {Status.NOTICED, Status.LISTED, Status.RESTORED} <= seen_status


def test_hardship_freezes_only_the_lists_that_say_so() -> None:
    scenario = with_overrides(shipped_scenarios()["whole_bundle"], {"agents": 400})
    sim, inst = build(scenario, 1)
    for _ in range(12):
        sim.step()
    tracker = inst.whole.tracker
    everyone = np.ones(inst.n, dtype=bool)
    frozen = tracker.in_effect(everyone)
    for i, d in enumerate(tracker.bundle.lists):
        assert (
            not frozen[:, i].any()
            if d.hardship_freezes
            else np.array_equal(frozen[:, i], tracker.listed[:, i])
        )


def test_measures_change_payoffs_in_their_context() -> None:
    bundle = default_bundle()
    effects = MeasureEffects(bundle, public_income=2.0)
    rng = np.random.default_rng(0)
    network = small_world(400, 10, 0.1, rng)
    payoff = np.full(400, 10.0, dtype=np.float32)
    organisation = np.arange(400) % 2 == 1
    listed = np.zeros((400, len(bundle.lists)), dtype=bool)
    debtors = [d.id for d in bundle.lists].index("dishonest_judgment_debtors")
    listed[:, debtors] = True
    change = effects.payoff(network, payoff, organisation, listed)
    from socialcredit.simulation._whole_bundle import distant_share

    far = distant_share(network)
    assert (far == 0).any() and (far > 0).any()
    persons = ~organisation
    # a person loses only on ties that need travel (and its own consumption)
    local = persons & (far == 0)
    assert np.allclose(change[local], change[local][0]) and change[local][0] < 0
    assert (change[persons & (far > 0)] < change[local][0]).all()
    # an organisation also loses a share of its public income (procurement, bids, subsidies)
    firms = organisation & (far == 0)
    per_tie = (change[firms] - change[local][0]) / network.degree_float[firms]
    assert (per_tie < 0).all() and np.allclose(per_tie, per_tie[0], atol=1e-5)
    assert np.isclose(per_tie[0], 2.0 * effects.coefficients[debtors, 2])  # income 2 per tie
    # nobody listed: nothing changes
    none = effects.payoff(network, payoff, organisation, np.zeros_like(listed))
    assert not none.any()


def test_whole_bundle_runs_are_reproducible() -> None:
    scenario = with_overrides(shipped_scenarios()["whole_bundle"], {"agents": 300, "steps": 8})
    a, b = run_scenario(scenario, 4), run_scenario(scenario, 4)
    assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a if k != "scenario")


def test_agents_weigh_the_listings_a_record_could_bring() -> None:
    scenario = with_overrides(shipped_scenarios()["whole_bundle"], {"agents": 400})
    sim, inst = build(scenario, 5)
    for _ in range(6):
        sim.step()
    judge, whole = inst.judge, inst.whole
    assert judge is not None and judge.default_listing is not None
    who = np.arange(inst.n)
    with_lists = judge.expected(who, judge.default_points, listing=judge.default_listing)
    without = judge.expected(who, judge.default_points)
    assert (with_lists >= without).all() and (with_lists > without).any()
    payoff, horizon = np.full(inst.n, 10.0, dtype=np.float32), inst.behaviour.horizon
    whole.tracker.listed[:] = False
    default, ride = whole.listing_losses(sim.network, payoff, horizon)
    assert (default > 0).all() and (ride > 0).any()
    # nothing to fear from a list the agent is already on
    whole.tracker.listed[:] = True
    default, ride = whole.listing_losses(sim.network, payoff, horizon)
    assert not default.any() and not ride.any()


def test_sector_grades_follow_the_engines_definition_step_by_step() -> None:
    """Every organisation's grade in each sector scheme equals the engine's ``evaluate`` of its
    effective records at every step, although the tracker grades an agent again only when its
    records change or a grade moment comes; persons are not graded (the shipped schemes
    grade organisations)."""
    # 45-day steps: 30 steps cross trigger windows (1 year) and expiries (3 years)
    shipped = shipped_scenarios()["whole_bundle"]
    sim, inst = build(with_overrides(shipped, {"agents": 600, "step_days": 45}), 3)
    seen: set[tuple[str, str]] = set()
    for _ in range(30):
        sim.step()
        sectors = inst.whole.sectors
        step = sim.step_index - 1
        at = datetime.fromtimestamp((ORIGIN_US + step * inst.lawful.step_us) / 1e6, UTC)
        for agent in range(inst.n):
            if not sectors.organisation[agent]:
                assert (sectors.codes[agent] == -1).all()
                continue
            rows = tuple(row for row, until, _ in sectors._rows.get(agent, []) if until > step)
            want = evaluate(sectors.policy, rows, ("organisation", str(agent)), at, at)
            got = {
                s.id: s.grades[int(sectors.codes[agent, j])] for j, s in enumerate(sectors.schemes)
            }
            assert got == want.sector_grades, (agent, step)
            seen |= set(got.items())
    taxpayer = {grade for scheme, grade in seen if scheme == "taxpayer_credit"}
    assert {"M", "D"} <= taxpayer and len(taxpayer) >= 3, taxpayer
    shares = inst.whole.sectors.shares()["taxpayer_credit"]
    assert shares.sum() == pytest.approx(1.0)
    measured = run_scenario(with_overrides(shipped, {"agents": 300, "steps": 20}), 0)
    worst = measured["sector_worst_share"]
    assert np.isfinite(worst).all() and worst.min() >= 0 and worst.max() <= 1
    plain = run_scenario(with_overrides(shipped_scenarios()["lawful_core"], {"steps": 3}), 0)
    assert np.isnan(plain["sector_worst_share"]).all()  # no whole bundle: not measured


def test_a_list_entered_by_a_sector_grade_holds_the_agents_graded_so(tmp_path: Path) -> None:
    """A bundle's list entered by the tax D grade (no notice) holds, at every step, exactly
    the organisations the sector tracker grades D."""
    folder = tmp_path / "tax_d"
    folder.mkdir()
    for name, data in edit_files(BUNDLE_EDITS).items():
        (folder / name).write_bytes(data)
    shipped = shipped_scenarios()["whole_bundle"]
    overrides = {"agents": 600, "step_days": 45, "bundle": str(folder)}
    sim, inst = build(with_overrides(shipped, overrides), 3)
    listed_ever = 0
    for _ in range(30):
        sim.step()
        tracker, sectors = inst.whole.tracker, inst.whole.sectors
        column = tracker.lists.index("tax_grade_d")
        scheme = [s.id for s in sectors.schemes].index("taxpayer_credit")
        graded_d = sectors.codes[:, scheme] == sectors.schemes[scheme].grades.index("D")
        assert np.array_equal(tracker.listed[:, column], graded_d)
        listed_ever += int(graded_d.sum())
    assert listed_ever > 0
