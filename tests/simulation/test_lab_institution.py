"""The institution: real kinds and the real policy's scoring, mechanics and safeguards."""

from __future__ import annotations

import numpy as np
import pytest

from socialcredit.policy import default_bundle
from socialcredit.records import RecordRow
from socialcredit.scoring import KindTable, compiled_bundle
from socialcredit.scoring._engine import evaluate as engine_evaluate
from socialcredit.scoring._vectorised import evaluate
from socialcredit.simulation import Scenario, shipped_scenarios, with_overrides
from socialcredit.simulation._lab import build, run_scenario
from socialcredit.simulation._mechanics import NOT_LAWFUL
from socialcredit.simulation._observation import Conduct, act_catalogue, act_codes, observe
from socialcredit.timeutil import from_us

SMALL = {
    "agents": 300,
    "steps": 30,
    "metrics_every": 5,
    "network": {"kind": "small_world", "k": 6, "p": 0.1},
}


def small(name: str, **overrides: object) -> Scenario:
    return with_overrides(shipped_scenarios()[name], {**SMALL, **overrides})


def last(table: dict[str, np.ndarray], name: str, n: int = 10) -> float:
    return float(np.nanmean(table[name][-n:]))


def test_acts_map_to_real_catalogue_kinds_and_carry_no_points() -> None:
    bundle = default_bundle()
    for act, entry in act_catalogue().items():
        assert entry["kind"] in bundle.catalogue.kinds, act
        assert "points" not in entry
    codes = act_codes(KindTable.of(compiled_bundle(bundle)))
    assert set(codes) == {"obligation_default", "free_riding", "civic_act", "fake_rating"}


def test_refused_mechanics_are_not_catalogue_kinds() -> None:
    kinds = default_bundle().catalogue.kinds
    assert not set(NOT_LAWFUL) & set(kinds)


def test_a_run_is_determined_by_scenario_and_seed() -> None:
    scenario = small("article")
    a, b = run_scenario(scenario, 3), run_scenario(scenario, 3)
    other = run_scenario(scenario, 4)
    for name in ("cooperation", "score_mean", "fear", "reports"):
        assert np.array_equal(a[name], b[name], equal_nan=True), name
    assert not np.array_equal(a["score_mean"], other["score_mean"])


def test_running_scores_are_the_real_engine_over_the_filed_records() -> None:
    sim, institution = build(small("lawful_core"), 1)
    for _ in range(25):
        sim.step()
    running, table = institution.lawful, institution.table
    subject, kind, raw, occurred = running.live_records()
    # the mapped kinds are fixed-point except volunteering (1 point per hour): amount = raw
    amount = np.where(table.per_unit[kind] != 0, raw, 0)
    batch = evaluate(table, subject, kind, amount, occurred, running.n, running.as_of_us())
    assert np.array_equal(batch.totals, running.totals())
    # and agent by agent, the per-subject engine on the same records gives the same grade
    as_of = from_us(running.as_of_us())
    for agent in range(0, running.n, 15):
        mine = np.flatnonzero(subject == agent)
        rows = tuple(
            RecordRow(
                int(i),
                "person",
                str(agent),
                table.kinds[kind[i]],
                int(occurred[i]),
                int(occurred[i]),
                int(amount[i]),
            )
            for i in mine
        )
        result = engine_evaluate(table.policy, rows, ("person", str(agent)), as_of, as_of)
        assert result.total == int(running.totals()[agent])
        assert result.grade == table.policy.grades[int(batch.grades[agent])].grade


def test_no_system_records_nothing_and_perceived_detection_is_unlearned() -> None:
    table = run_scenario(small("no_system"), 0)
    # nobody is ever recorded: the perceived detection falls from the prior (0.1) as
    # violations are seen going unrecorded
    assert table["fear"][0] < 0.1 and table["fear"][-1] < table["fear"][0]
    assert np.all(table["self_censorship"] == 0)
    assert np.all(np.isnan(table["score_mean"]))
    assert np.all(np.isnan(table["false_positive_rate"]))


def test_perfect_observation_makes_no_false_records() -> None:
    scenario = small("lawful_core", **{"institution.coverage": 1.0, "institution.label_error": 0.0})
    table = run_scenario(scenario, 0)
    assert np.nansum(table["false_discovery_rate"]) == 0
    assert np.nansum(table["false_positive_rate"]) == 0


def test_labelling_errors_make_false_records_and_disputes_remove_them() -> None:
    noisy = {"institution.label_error": 0.2}
    table = run_scenario(small("lawful_core", **noisy), 0)
    assert last(table, "fdr_label_error") > 0.05
    assert np.nansum(table["disputes_upheld"]) > 0
    no_disputes = run_scenario(
        small("lawful_core", **noisy, **{"institution.due_process.disputes": False}), 0
    )
    assert np.nansum(no_disputes["disputes_upheld"]) == 0
    live_false = []
    for disputes in (True, False):
        scenario = small("lawful_core", **noisy, **{"institution.due_process.disputes": disputes})
        sim, institution = build(scenario, 0)
        for _ in range(20):
            sim.step()
        live_false.append(int(np.count_nonzero(institution.lawful.live_causes() == 1)))
    assert live_false[0] < live_false[1] / 2  # disputes clear most false records


def test_hardship_defaults_are_not_recorded_when_frozen() -> None:
    n = 1000
    everyone = np.ones(n, dtype=bool)
    nobody = np.zeros(n, dtype=bool)
    conduct = Conduct(everyone, everyone, everyone, nobody, nobody, nobody, nobody, nobody, nobody)
    codes = act_codes(KindTable.of(compiled_bundle(default_bundle())))
    rng = np.random.default_rng(0)
    frozen = observe(conduct, codes, 1.0, 0.0, True, rng)
    assert sum(part[0].size for part in frozen) == 0
    recorded = observe(conduct, codes, 1.0, 0.0, False, rng)
    assert recorded[0][0].size == n


def test_expression_surveillance_brings_self_censorship() -> None:
    watched = run_scenario(small("expression_only"), 0)
    free = run_scenario(small("lawful_core"), 0)
    assert np.all(free["self_censorship"] == 0)
    assert last(watched, "self_censorship") > 0.02
    assert last(watched, "speech_sanctioned") > 0
    # speech penalties assert conduct that happened: they are not false records
    assert np.nansum(watched["false_positive_rate"]) <= np.nansum(free["false_positive_rate"]) * 1.5


@pytest.mark.parametrize(("false_rate", "expect"), [(0.0, 1.0), (1.0, None)])
def test_informant_precision_follows_the_false_report_rate(
    false_rate: float, expect: float | None
) -> None:
    scenario = small(
        "informants_only",
        **{
            "institution.mechanics.informants.false_rate": false_rate,
            "institution.mechanics.informants.share": 0.3,
        },
    )
    table = run_scenario(scenario, 0)
    assert np.nansum(table["reports"]) > 0
    precision = last(table, "report_precision", 30)
    if expect is not None:
        assert precision == expect
    else:
        assert precision < 0.9


def test_the_ledger_curbs_manipulation() -> None:
    base = {
        "institution.mechanics.manipulation.insider_share": 0.3,
        "institution.mechanics.manipulation.tamper_rate": 0.02,
    }
    with_ledger = run_scenario(small("manipulation_only", **base), 0)
    without = run_scenario(small("manipulation_no_ledger", **base), 0)
    assert last(without, "manipulation_success", 30) > last(with_ledger, "manipulation_success", 30)
    assert np.nansum(with_ledger["fdr_tampering"]) < np.nansum(without["fdr_tampering"])
    assert np.nansum(without["fdr_tampering"]) > 0


def test_ostracism_rewires_ties_and_keeps_their_number() -> None:
    sim, _ = build(small("ostracism_only"), 0)
    edges = sim.network.num_edges
    before = sim.network.indices.copy()
    for _ in range(20):
        sim.step()
    assert sim.network.num_edges == edges
    assert not np.array_equal(before, sim.network.indices)


def test_contagion_penalises_neighbours_of_low_score_agents() -> None:
    table = run_scenario(small("contagion_only"), 0)
    assert last(table, "not_own_conduct") > 0
    # association penalties are not counted as false records of conduct
    assert last(table, "false_positive_rate") < 0.1
    core = run_scenario(small("lawful_core"), 0)
    assert last(table, "score_mean") < last(core, "score_mean")


def test_best_neighbour_imitation_can_be_chosen_and_is_deterministic_given_the_seed() -> None:
    scenario = small("lawful_core", **{"update": {"kind": "best_neighbour"}})
    a, b = run_scenario(scenario, 2), run_scenario(scenario, 2)
    assert np.array_equal(a["cooperation"], b["cooperation"])
    fermi = run_scenario(small("lawful_core"), 2)
    assert not np.array_equal(a["cooperation"], fermi["cooperation"])
