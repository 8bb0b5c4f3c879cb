"""Scenario files express what the Python API builds, and refuse any key they do not know.

The Nowak–May tests run the shipped ``nowak_may`` scenario at a small size through the lab
(YAML -> ``lab.build`` -> engine): Moore lattice, self-interaction, synchronous best
neighbour, 10 % defectors at random. Measured at 50 x 50, steps 100-199, seeds 0-2: means
0.310, 0.319, 0.313, per-step standard deviation about 0.03 (it fluctuates). The wrong
kernels land far off: von Neumann without self-interaction (all the old YAML could say)
0.25 and 0.18 on seeds 0 and 1, frozen (standard deviation 0.002); Moore without
self-interaction 0.02-0.03; von Neumann with self-interaction 0.37-0.39. So a band of
+-0.02 around 0.318 tells the right kernel from each wrong one (about 1 s per run).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml

from socialcredit.errors import ScenarioError
from socialcredit.simulation import (
    BestNeighbour,
    Clusters,
    Fermi,
    FermiMonteCarlo,
    PrisonersDilemma,
    PublicGoods,
    RandomShare,
    SingleDefector,
    TrustGame,
)
from socialcredit.simulation._lab import build, run_scenario
from socialcredit.simulation._scenario import (
    GameSpec,
    InitialSpec,
    NetworkParams,
    UpdateSpec,
    parse_scenario,
    shipped_scenarios,
    with_overrides,
)

NOWAK_MAY = 12 * np.log(2) - 8


def problems(data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return {p.field: p.reason for p in caught.value.problems}


def test_unknown_keys_are_refused_with_their_full_path() -> None:
    found = problems(
        {
            "game": {"kind": "prisoners_dilemma", "temptation": 1.9, "selfinteraction": True},
            "update": {"kind": "best_neighbour", "noise": 0.5},
            "initial": {"kind": "clusters", "size": 3},
            "traits": {"ability": {"a": 2, "b": 2, "c": 1}},
        }
    )
    assert found == {
        "game.selfinteraction": "unknown key",
        "update.noise": "unknown key",
        "initial.size": "unknown key",
        "traits.ability.c": "unknown key",
    }


def test_a_key_of_another_kind_is_unknown_and_kinds_are_checked() -> None:
    assert problems({"network": {"kind": "lattice", "k": 4}, "agents": 100}) == {
        "network.k": "unknown key"
    }
    assert "game.kind" in problems({"game": {"kind": "chess"}})
    assert "update.kind" in problems({"update": {"noise": 0.5}})
    assert problems({"game": {"kind": "prisoners_dilemma"}}) == {"game.temptation": "required"}


def test_bad_values_are_named() -> None:
    found = problems(
        {
            "agents": 99,
            "network": {"kind": "lattice", "neighbourhood": "hex"},
            "update": {"kind": "fermi", "noise": -1},
        }
    )
    assert set(found) == {"network", "update"}
    assert "neighbourhood" in found["network"] and "noise" in found["update"]
    assert set(problems({"agents": 99, "network": {"kind": "lattice"}})) == {"agents"}
    blocks = {"kind": "blocks", "sizes": [50, 40], "probabilities": [[0.1, 0.0], [0.0, 0.1]]}
    assert set(problems({"agents": 100, "network": blocks})) == {"network.sizes"}
    assert set(problems({"agents": 100, "initial": {"kind": "single_defector", "agent": 100}}))


EVERY_KIND = [
    {"network": {"kind": "small_world", "k": 6, "p": 0.2}},
    {"network": {"kind": "scale_free", "m": 3}},
    {"network": {"kind": "lattice", "neighbourhood": "moore"}},
    {"network": {"kind": "blocks", "sizes": [60, 40], "probabilities": [[0.1, 0.01], [0.01, 0.2]]}},
    {
        "game": {
            "kind": "prisoners_dilemma",
            "temptation": 1.4,
            "reward": 1.1,
            "sucker": -0.2,
            "punishment": 0.1,
            "self_interaction": True,
        }
    },
    {"game": {"kind": "public_goods", "r": 3.5, "cost": 0.5}},
    {"game": {"kind": "trust", "send": 0.7, "give_back": 0.4, "multiplier": 2.5, "endowment": 2.0}},
    {"update": {"kind": "fermi", "noise": 0.2, "fraction": 0.3}},
    {"update": {"kind": "fermi_monte_carlo", "noise": 0.1, "compiled": False}},
    {"update": {"kind": "best_neighbour"}},
    {"initial": {"kind": "share", "cooperators": 0.9}},
    {"initial": {"kind": "single_defector", "agent": 7}},
    {"initial": {"kind": "clusters", "count": 2, "radius": 1, "strategy": "defect"}},
    {"traits": {"susceptibility": {"a": 3.0, "b": 1.0}}, "heterogeneous_imitation": True},
]


@pytest.mark.parametrize("part", EVERY_KIND)
def test_every_kind_round_trips_through_yaml_and_reaches_the_engine(part: dict) -> None:  # type: ignore[type-arg]
    base = {"agents": 100, "steps": 3, "burn_in": 1, "institution": {"coverage": 0.5}}
    scenario = parse_scenario(yaml.safe_load(yaml.safe_dump({**base, **part})))
    again = with_overrides(scenario, {})  # through plain data and back
    assert again == scenario
    sim, _ = build(scenario, 0)
    assert sim.config.game is scenario.game
    assert sim.config.update.inner is scenario.update  # type: ignore[attr-defined]
    assert sim.config.initial is scenario.initial
    assert sim.config.traits is scenario.traits
    for _ in range(3):
        sim.step()


@pytest.mark.parametrize("spec", [NetworkParams, GameSpec, UpdateSpec, InitialSpec])
def test_every_api_class_of_a_part_is_a_kind_of_it(spec: object) -> None:
    members = set(spec.__args__)  # type: ignore[attr-defined]
    api = {
        GameSpec: {PrisonersDilemma, PublicGoods, TrustGame},
        UpdateSpec: {Fermi, FermiMonteCarlo, BestNeighbour},
        InitialSpec: {RandomShare, SingleDefector, Clusters},
    }
    assert members >= api.get(spec, set())  # type: ignore[call-overload]
    kinds = [m.kind for m in members]
    assert len(set(kinds)) == len(kinds)
    for member in members:  # every field is a YAML key, so nothing the API takes is lost
        assert all(not f.name.startswith("_") for f in dataclasses.fields(member))


def test_changing_the_kind_by_override_replaces_the_old_keys() -> None:
    core = shipped_scenarios()["lawful_core"]
    changed = with_overrides(core, {"game": {"kind": "prisoners_dilemma", "temptation": 1.2}})
    assert changed.game == PrisonersDilemma(1.2)


def test_initial_conditions_on_the_lattice() -> None:
    base = {"agents": 121, "network": {"kind": "lattice", "neighbourhood": "moore"}}
    single = parse_scenario({**base, "initial": {"kind": "single_defector"}})
    sim, _ = build(single, 0)
    assert sim.population.strategy.tolist().count(0) == 1
    assert sim.population.strategy[60] == 0
    block = parse_scenario({**base, "initial": {"kind": "clusters", "radius": 1}})
    sim, _ = build(block, 3)
    cooperators = np.flatnonzero(sim.population.strategy)
    rows, cols = np.divmod(cooperators, 11)
    assert cooperators.size == 9 and np.ptp(rows) in (2, 10) and np.ptp(cols) in (2, 10)


def nowak_may_shares(seed: int, **overrides: object) -> np.ndarray:
    small = {"agents": 2500, "steps": 200, "burn_in": 100, **overrides}
    scenario = with_overrides(shipped_scenarios()["nowak_may"], small)
    return run_scenario(scenario, seed)["cooperation"][scenario.summary_from() :]


def test_shipped_nowak_may_scenario_is_the_published_setup() -> None:
    scenario = shipped_scenarios()["nowak_may"]
    assert scenario.network == NetworkParams.__args__[2]("moore")  # type: ignore[index]
    assert scenario.game == PrisonersDilemma(1.9, self_interaction=True)
    assert scenario.update == BestNeighbour()
    assert scenario.initial == RandomShare(0.9)
    assert scenario.institution is None and scenario.summary_from() == 300


@pytest.mark.parametrize("seed", [0, 1])
def test_nowak_may_from_the_scenario_fluctuates_around_12_ln2_minus_8(seed: int) -> None:
    shares = nowak_may_shares(seed)
    assert shares.mean() == pytest.approx(NOWAK_MAY, abs=0.02)
    assert shares.std() > 0.01  # chaotic: it fluctuates, it does not freeze


@pytest.mark.parametrize(
    "wrong",
    [
        {"network": {"neighbourhood": "von_neumann"}, "game": {"self_interaction": False}},
        {"game": {"self_interaction": False}},
        {"network": {"neighbourhood": "von_neumann"}},
    ],
)
def test_nowak_may_wrong_kernels_are_told_apart(wrong: dict[str, object]) -> None:
    shares = nowak_may_shares(0, **wrong)
    assert abs(shares.mean() - NOWAK_MAY) > 0.03
