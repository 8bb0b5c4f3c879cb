"""Scenarios: the shipped ones load, every bad key or value is named, overrides are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcredit.errors import ScenarioError
from socialcredit.simulation._scenario import (
    load_scenario,
    parse_scenario,
    shipped_scenarios,
    with_overrides,
)

REQUIRED = {
    "no_system",
    "lawful_core",
    "article",
    "contagion_only",
    "ostracism_only",
    "informants_only",
    "expression_only",
    "manipulation_only",
    "manipulation_no_ledger",
}


def test_every_required_scenario_is_shipped_and_valid() -> None:
    shipped = shipped_scenarios()
    assert set(shipped) >= REQUIRED
    assert shipped["no_system"].institution is None
    article = shipped["article"].institution
    assert article is not None
    mech = article.mechanics
    assert all(
        m.enabled
        for m in (
            mech.contagion,
            mech.ostracism,
            mech.informants,
            mech.expression,
            mech.manipulation,
        )
    )
    core = shipped["lawful_core"].institution
    assert core is not None and core.policy == "default"
    assert not any(
        m.enabled
        for m in (core.mechanics.contagion, core.mechanics.informants, core.mechanics.expression)
    )


def test_each_mechanic_alone_differs_from_the_core_in_that_mechanic_only() -> None:
    shipped = shipped_scenarios()
    core = shipped["lawful_core"].institution
    for name, mechanic in [
        ("contagion_only", "contagion"),
        ("ostracism_only", "ostracism"),
        ("informants_only", "informants"),
        ("expression_only", "expression"),
        ("manipulation_only", "manipulation"),
    ]:
        inst = shipped[name].institution
        assert inst is not None and core is not None
        assert getattr(inst.mechanics, mechanic).enabled
        assert inst.due_process == core.due_process and inst.coverage == core.coverage


def test_every_problem_is_named_by_its_key_path() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(
            {
                "agents": "many",
                "colour": "red",
                "institution": {"coverage": 1.5, "mechanics": {"informants": {"enabled": "yes"}}},
            }
        )
    fields = {p.field for p in caught.value.problems}
    assert {"agents", "colour", "institution.mechanics.informants.enabled"} <= fields
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"institution": {"coverage": 1.5}})
    assert [p.field for p in caught.value.problems] == ["institution.coverage"]


def test_bad_choices_and_counts_are_refused() -> None:
    with pytest.raises(ScenarioError, match="network"):
        parse_scenario({"network": {"kind": "torus"}})
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"steps": 0})
    assert caught.value.problems[0].field == "steps"
    with pytest.raises(ScenarioError, match="square"):
        parse_scenario({"agents": 1000, "network": {"kind": "lattice"}})
    assert parse_scenario({"agents": 900, "network": {"kind": "lattice"}}).agents == 900


def test_overrides_are_checked_and_leave_the_original_alone() -> None:
    core = shipped_scenarios()["lawful_core"]
    changed = with_overrides(core, {"institution.coverage": 0.9, "game.r": 8})
    assert changed.institution is not None and changed.institution.coverage == 0.9
    assert changed.game.r == 8.0
    assert core.institution is not None and core.institution.coverage == 0.5
    with pytest.raises(ScenarioError) as caught:
        with_overrides(core, {"institution.nope": 1})
    assert caught.value.problems[0].field == "institution.nope"


def test_a_mapping_override_updates_only_the_keys_it_names() -> None:
    core = shipped_scenarios()["lawful_core"]
    assert core.institution is not None
    changed = with_overrides(core, {"institution": {"coverage": 0.9, "due_process": {}}})
    assert changed.institution is not None and changed.institution.coverage == 0.9
    assert changed.institution.label_error == core.institution.label_error
    assert changed.institution.due_process == core.institution.due_process
    assert with_overrides(core, {"game": {"r": 7}}).game.cost == core.game.cost
    with pytest.raises(ScenarioError) as caught:
        with_overrides(core, {"institution": {"nope": 1}})
    assert caught.value.problems[0].field == "institution.nope"


def test_load_from_file_and_by_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nagents: 100\ninstitution: {coverage: 0.3}\n")
    mine = load_scenario(path)
    assert mine.name == "mine" and mine.institution is not None
    assert load_scenario("article").name == "article"
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("agents: [1,\n")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "bad.yaml")
