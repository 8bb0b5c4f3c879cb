"""Load-time checks of lists and measures (``tests/cases/consequences/policy/*.yaml``), and
rule-by-rule diffs of list and measure changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.policy import (
    Action,
    Area,
    PolicyError,
    default_bundle,
    diff,
    load_bundle_from_files,
)

from ..test_policy_cases import assert_problems, edit_files

CASES_DIR = Path(__file__).parent.parent / "cases" / "consequences" / "policy"


def _cases() -> list[Any]:
    return [
        pytest.param(case, id=f"{path.stem}: {case['name']}")
        for path in sorted(CASES_DIR.glob("*.yaml"))
        for case in yaml.safe_load(path.read_text())["cases"]
    ]


@pytest.mark.parametrize("case", _cases())
def test_policy_check_case(case: dict[str, Any]) -> None:
    files = edit_files(case["edits"])
    with pytest.raises(PolicyError) as caught:
        load_bundle_from_files(files)
    assert_problems(caught.value.problems, [(p["field"], p["reason"]) for p in case["problems"]])


def test_default_bundle_has_the_four_lists_and_every_service() -> None:
    bundle = default_bundle()
    assert [d.id for d in bundle.lists] == [
        "dishonest_judgment_debtors",
        "abnormal_operations",
        "seriously_illegal_enterprises",
        "exemplary_red_list",
    ]
    services = {s.id for s in bundle.measures.services}
    assert {
        "air_travel",
        "high_speed_rail_first_class",
        "luxury_hotel",
        "subsidy_application",
    } <= services
    linked = {link.measure for link in bundle.measures.links}
    assert linked == {m.id for m in bundle.measures.measures}  # no measure left without a trigger


def test_a_bundle_without_lists_and_measures_still_loads() -> None:
    files = edit_files([{"remove_file": "listings.yaml"}, {"remove_file": "measures.yaml"}])
    manifest = yaml.safe_load(files["manifest.yaml"])
    del manifest["files"]["listings.yaml"], manifest["files"]["measures.yaml"]
    files["manifest.yaml"] = yaml.safe_dump(manifest).encode()
    bundle = load_bundle_from_files(files)
    assert bundle.lists == () and bundle.measures.links == ()


def test_diff_reports_list_and_measure_changes_item_by_item() -> None:
    old = default_bundle()
    files = edit_files(
        [
            {"file": "manifest.yaml", "set": "revision", "value": 2},
            {"file": "listings.yaml", "set": "lists[0].notice", "value": "20d"},
            {
                "file": "measures.yaml",
                "set": "measures[id=no_air_travel].gravity",
                "value": "minor",
            },
            {"file": "measures.yaml", "delete": "links[19]"},
            {"file": "measures.yaml", "set": "services.air_travel.name", "value": "Flights"},
        ]
    )
    changes = diff(old, load_bundle_from_files(files))
    described = {c.describe() for c in changes}
    assert "list dishonest_judgment_debtors: notice 10d -> 20d" in described
    assert "measure no_air_travel: gravity general -> minor" in described
    assert "service air_travel: name Air travel -> Flights" in described
    removed = [c for c in changes if c.area == Area.LINK and c.action == Action.REMOVED]
    assert [c.key for c in removed] == ["exemplary_red_list->fewer_inspections"]
