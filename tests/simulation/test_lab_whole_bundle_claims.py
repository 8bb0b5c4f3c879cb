"""The whole bundle's claims in the lab report: the derived arm without list→measure links,
the findings with their intervals on both seed sets and their sensitivity verdict, and the
verdict logic on constructed estimates."""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.policy import default_bundle, load_bundle
from socialcredit.simulation import DERIVED, lab_scenario, lab_scenario_names, shipped_scenarios
from socialcredit.simulation._lab_metrics import METRIC_NAMES
from socialcredit.simulation._report import (
    CLAIMS,
    Estimate,
    Finding,
    findings,
    range_text,
    verdict,
)
from socialcredit.simulation._schema import as_data
from socialcredit.simulation._sensitivity import (
    Design,
    FindingSensitivity,
    Sensitivity,
    load_ranges,
)

WHOLE = [c for c in CLAIMS if c[1] == "whole_bundle"]
DEFAULT_BUNDLE = Path(str(resources.files("socialcredit") / "policy" / "default"))


def test_the_unlinked_arm_is_the_same_scenario_and_bundle_without_links() -> None:
    base, unlinked = shipped_scenarios()["whole_bundle"], lab_scenario("whole_bundle_unlinked")
    assert "whole_bundle_unlinked" in lab_scenario_names()
    assert DERIVED["whole_bundle_unlinked"][0] == "whole_bundle"
    help_text = CliRunner().invoke(cli, ["simulate", "--help"]).stdout
    assert "whole_bundle_unlinked" in help_text
    assert unlinked.name == "whole_bundle_unlinked" and unlinked.bundle is not None
    mine, theirs = as_data(unlinked), as_data(base)
    for key in ("name", "description", "bundle"):
        mine.pop(key), theirs.pop(key)
    assert mine == theirs  # every setting of the society and the institution is the same
    linked, copy = default_bundle(), load_bundle(unlinked.bundle)
    assert linked.measures.links and not copy.measures.links
    assert [d.id for d in copy.lists] == [d.id for d in linked.lists]
    assert [m.id for m in copy.measures.measures] == [m.id for m in linked.measures.measures]
    for name, data in linked.files.items():
        if name not in ("measures.yaml", "manifest.yaml"):
            assert copy.files[name] == data, name
    assert copy.manifest.signature is None and copy.digest != linked.digest
    # built again, the same folder: derived from the bundle, not kept by hand
    assert lab_scenario("whole_bundle_unlinked").bundle == unlinked.bundle


def test_the_unlinked_arm_follows_the_bundle_it_is_given(tmp_path: Path) -> None:
    bundle = tmp_path / "proposed"
    shutil.copytree(DEFAULT_BUNDLE, bundle)
    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text())
    manifest["description"] = "A proposed revision"
    (bundle / "manifest.yaml").write_text(yaml.safe_dump(manifest))
    unlinked = lab_scenario("whole_bundle_unlinked", bundle)
    assert unlinked.bundle != lab_scenario("whole_bundle_unlinked").bundle
    copy = load_bundle(str(unlinked.bundle))
    assert copy.manifest.description.startswith("A proposed revision")
    assert not copy.measures.links


def test_an_altered_copy_of_the_unlinked_bundle_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = Path(str(lab_scenario("whole_bundle_unlinked").bundle))
    assert folder.parent == tmp_path / "socialcredit-lab-bundles"
    good = load_bundle(folder).digest
    scoring = folder / "scoring.yaml"
    scoring.write_bytes(scoring.read_bytes() + b"# altered\n")
    assert Path(str(lab_scenario("whole_bundle_unlinked").bundle)) == folder
    assert load_bundle(folder).digest == good
    assert not list(folder.parent.glob(".partial-*"))


def constant_table(values: dict[str, list[float]], steps: int = 4) -> dict[str, np.ndarray]:
    """One constant value per (scenario, seed) over every step, for every measure."""
    rows = [
        (s, seed, step, v)
        for s, vs in values.items()
        for seed, v in enumerate(vs)
        for step in range(steps)
    ]
    table = {
        "scenario": np.array([r[0] for r in rows], dtype=object),
        "seed": np.array([r[1] for r in rows]),
        "step": np.array([r[2] for r in rows]),
    }
    for name in METRIC_NAMES:
        table[name] = np.array([r[3] for r in rows], dtype=np.float64)
    return table


def test_the_whole_bundle_rows_compare_the_arms_by_seed() -> None:
    assert {c[3] for c in WHOLE if c[2] == "whole_bundle_unlinked"} == {
        "compliance",
        "trust",
        "cooperation",
        "welfare",
    }
    assert {c[3] for c in WHOLE if c[2] == "lawful_core"} == {
        "false_positive_rate",
        "false_discovery_rate",
        "not_own_conduct",
    }
    table = constant_table(
        {
            "whole_bundle": [0.5, 0.6, 0.7, 0.5, 0.6, 0.7],
            "whole_bundle_unlinked": [0.4, 0.5, 0.6, 0.4, 0.5, 0.6],
            "lawful_core": [0.5, 0.6, 0.7, 0.5, 0.6, 0.7],
        }
    )
    found = {(f.baseline, f.measure): f for f in findings(table) if f.scenario == "whole_bundle"}
    assert len(found) == len(WHOLE)
    measures = found[("whole_bundle_unlinked", "compliance")]
    assert measures.halves == ("0-2", "3-5") and measures.robustness.startswith("holds")
    assert measures.first is not None and np.isclose(measures.first.low, 0.1)
    same = found[("lawful_core", "not_own_conduct")]
    assert same.robustness == "no difference on any seed"


POSITIVE = Estimate(0.03, 0.02, 0.04, 10)
NEGATIVE = Estimate(-0.03, -0.04, -0.02, 10)
UNCLEAR = Estimate(0.01, -0.01, 0.03, 10)
ZERO = Estimate(0.0, 0.0, 0.0, 10)
KEYS = ["behaviour.horizon", "behaviour.memory"]
RANGES = {"behaviour.horizon": [2.0, 26.0], "behaviour.memory": [0.05, 0.5]}
HORIZONS = np.linspace(2.0, 26.0, 20)


def constructed(differences: list[float]) -> tuple[Sensitivity, FindingSensitivity]:
    """An analysis of one finding at 20 points along horizon's range (memory fixed), with
    the given differences; horizon is its only driver."""
    points = [[h, 0.2] for h in HORIZONS]
    finding = FindingSensitivity(
        "c",
        "whole_bundle",
        "whole_bundle_unlinked",
        "compliance",
        {"behaviour.horizon": [0.02, 0.0, 0.01], "behaviour.memory": [0.0, 0.0, 0.0]},
        {},
        differences,
    )
    return Sensitivity("made", Design(agreement=0.95), RANGES, points, [finding]), finding


# (first seed set, second seed set, differences along horizon's range) -> verdict
VERDICTS = [
    (POSITIVE, POSITIVE, [0.03] * 20, "holds"),
    (NEGATIVE, NEGATIVE, [-0.03] * 20, "holds"),
    (POSITIVE, NEGATIVE, [0.03] * 20, "depends on the seeds"),
    (POSITIVE, UNCLEAR, [0.03] * 20, "depends on the seeds"),
    (UNCLEAR, UNCLEAR, [0.03] * 20, "no clear sign"),
    (ZERO, ZERO, [0.0] * 20, "no difference on any seed"),
    # the sign flips in the upper third of horizon's range
    (POSITIVE, POSITIVE, [0.03] * 14 + [-0.01] * 6, "depends on behaviour.horizon"),
    # one point of twenty out of sign: 95 % kept, within the agreement
    (POSITIVE, POSITIVE, [0.03] * 19 + [-0.01], "holds"),
    # positive on both seed sets, negative over the range: the range decides
    (POSITIVE, POSITIVE, [-0.03] * 20, "depends on behaviour.horizon"),
]


@pytest.mark.parametrize(("first", "second", "differences", "expected"), VERDICTS)
def test_the_verdict_names_what_the_sign_depends_on(
    first: Estimate, second: Estimate, differences: list[float], expected: str
) -> None:
    analysis, finding = constructed(differences)
    assert verdict(first, second, analysis, finding) == expected


def test_the_range_says_so_when_no_point_has_a_difference() -> None:
    _, zero = constructed([0.0] * 20)
    row = ("c", "whole_bundle", "lawful_core", "not_own_conduct", ZERO, ZERO, ZERO)
    assert range_text(Finding(*row)) == "not analysed"
    assert range_text(Finding(*row, sensitivity=zero)) == "difference 0 at all 20 points"
    _, kept = constructed([0.03] * 19 + [-0.01])
    positive = Finding("c", "s", "b", "m", POSITIVE, POSITIVE, POSITIVE, sensitivity=kept)
    assert range_text(positive).startswith("sign kept at 95 % of 20 points; horizon")


def _small_ranges(tmp_path: Path) -> Path:
    """The shipped parameters with a design small enough for a test."""
    shipped = resources.files("socialcredit.simulation") / "sensitivity.yaml"
    data = yaml.safe_load(shipped.read_text())
    data["designs"] = {
        "t": {
            "agents": 64,
            "steps": 4,
            "seeds": 1,
            "trajectories": 1,
            "top": 1,
            "sobol_max": 1,
            "sobol_samples": 2,
        }
    }
    path = tmp_path / "ranges.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.slow
def test_lab_report_gives_the_whole_bundle_findings_with_intervals_and_verdicts(
    tmp_path: Path,
) -> None:
    res = tmp_path / "res"
    runner = CliRunner()
    args = ["simulate", "whole_bundle", "whole_bundle_unlinked", "lawful_core"]
    out = runner.invoke(
        cli, [*args, "--seeds", "6", "--steps", "4", "--out", str(res), "--no-progress"]
    )
    assert out.exit_code == 0, out.output
    assert (res / "whole_bundle_unlinked.parquet").exists()
    report = ["lab", "report", str(res), "--workers", "1", "--no-progress"]
    ranges = ["--ranges", str(_small_ranges(tmp_path)), "--sensitivity", "t"]
    out = runner.invoke(cli, [*report, *ranges, "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout[out.stdout.index("[") :])
    whole = [r for r in rows if r["scenario"] == "whole_bundle"]
    assert [(r["baseline"], r["measure"]) for r in whole] == [(c[2], c[3]) for c in WHOLE]
    for row in whole:
        assert row["difference"]["seeds"] == 6
        assert [s["seed_set"] for s in row["seed_sets"]] == ["0-2", "3-5"]
        for part in (row["difference"], *row["seed_sets"]):
            assert part["low"] is not None and part["low"] <= part["mean"] <= part["high"]
        # one Morris trajectory over every parameter, then N (D + 2) Sobol points
        assert row["sensitivity"]["points"] == len(load_ranges().parameters) + 1 + 2 * 3
        assert row["robustness"] in {
            "holds",
            "no clear sign",
            "depends on the seeds",
            "no difference on any seed",
        } or row["robustness"].startswith("depends on behaviour.")
    text = runner.invoke(cli, ["lab", "report", str(res)], catch_exceptions=False).stdout
    assert "whole_bundle vs whole_bundle_unlinked" in text and "sign kept at" in text
