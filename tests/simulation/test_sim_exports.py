"""The public surface of the simulator is curated: everything in __all__ exists, nothing more."""

from __future__ import annotations

import socialcredit.simulation as simulation


def test_all_names_exist_and_are_sorted_by_kind() -> None:
    for name in simulation.__all__:
        assert hasattr(simulation, name), name
    assert len(set(simulation.__all__)) == len(simulation.__all__)


def test_every_public_attribute_is_exported() -> None:
    modules = {
        "config",
        "engine",
        "games",
        "imitation",
        "metrics",
        "networks",
        "population",
        "scenario",
        "institution",
        "lab",
        "lab_metrics",
        "mechanics",
        "decisions",
        "observation",
        "report",
        "sensitivity",
        "impact",
        "initial",  # the impact assessment's module, loaded by `policy assess`
        "whole_bundle",  # the whole bundle's lists and measures, used by the institution
        "sector_grades",  # the whole bundle's sector grades, used by whole_bundle
    }
    public = {
        name
        for name in vars(simulation)
        if not name.startswith("_") and name not in modules | {"rewiring", "annotations"}
    }
    assert public == set(simulation.__all__)
