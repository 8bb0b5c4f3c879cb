"""Global sensitivity analysis of the findings: SALib Morris and Sobol on synthetic findings
whose answer is known, the verdict logic, the ranges file, and a tiny real run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.errors import ScenarioError
from socialcredit.simulation import shipped_scenarios
from socialcredit.simulation._report import CLAIMS, Estimate, findings, load_results, verdict
from socialcredit.simulation._sensitivity import (
    Design,
    FindingSensitivity,
    Ranges,
    Sensitivity,
    load_ranges,
    read_sensitivity,
    run_sensitivity,
    screen,
    write_sensitivity,
)

RANGES = load_ranges()
KEYS = list(RANGES.parameters)
SYNTHETIC = Design(seeds=1, seed=7, trajectories=12, levels=4, top=1, sobol_max=2, sobol_samples=64)
POSITIVE = Estimate(0.1, 0.05, 0.15, 10)
NEGATIVE = Estimate(-0.1, -0.15, -0.05, 10)
UNCLEAR = Estimate(0.01, -0.05, 0.07, 10)


def unit(points: np.ndarray, keys: Sequence[str], key: str) -> np.ndarray:
    """The column of ``key`` scaled to [0, 1] over its plausible range."""
    low, high = RANGES.parameters[key].range
    return (points[:, list(keys).index(key)] - low) / (high - low)


def synthetic(points: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """Three findings: one whose sign flips halfway through legitimacy's range, one that
    is always positive and grows with memory, one that no parameter touches."""
    n = points.shape[0]
    legit = unit(points, keys, "behaviour.legitimacy") if "behaviour.legitimacy" in keys else 0.5
    memory = unit(points, keys, "behaviour.memory") if "behaviour.memory" in keys else 0.3
    flips = np.broadcast_to(legit - 0.5, (n,)) + 0.01
    holds = 1.0 + 0.5 * np.broadcast_to(memory, (n,))
    return np.column_stack([flips, holds, np.full(n, 0.2)])


def analyse() -> Sensitivity:
    points, diffs, morris, sobol = screen(synthetic, RANGES, SYNTHETIC)
    names = ("flips", "holds", "flat")
    return Sensitivity(
        "synthetic",
        SYNTHETIC,
        {k: list(p.range) for k, p in RANGES.parameters.items()},
        points.tolist(),
        [
            FindingSensitivity(name, name, "base", "m", morris[i], sobol[i], diffs[:, i].tolist())
            for i, name in enumerate(names)
        ],
    )


def test_a_finding_whose_sign_flips_with_a_parameter_depends_on_it() -> None:
    result = analyse()
    flips = result.findings[0]
    assert flips.drivers(1) == ["behaviour.legitimacy"]
    assert 0.3 < flips.share(1) < 0.7  # positive on only part of the range
    assert verdict(POSITIVE, POSITIVE, result, flips) == "depends on behaviour.legitimacy"
    # Sobol: legitimacy carries (nearly) all the variance, first order and total
    s1, _, st, _ = flips.sobol["behaviour.legitimacy"]
    assert s1 > 0.8 and st > 0.8


def test_a_finding_that_keeps_its_sign_across_the_range_holds() -> None:
    result = analyse()
    holds, flat = result.findings[1], result.findings[2]
    assert holds.drivers(1) == ["behaviour.memory"]
    assert holds.morris["behaviour.legitimacy"][0] == 0.0
    assert holds.share(1) == 1.0
    assert verdict(POSITIVE, POSITIVE, result, holds) == "holds"
    assert flat.drivers() == [] and verdict(POSITIVE, POSITIVE, result, flat) == "holds"
    # the same finding whose seeds say "lower" does not hold across the range
    assert verdict(NEGATIVE, NEGATIVE, result, holds).startswith("depends on ")


def test_seed_sets_come_before_the_range() -> None:
    result = analyse()
    holds = result.findings[1]
    assert verdict(POSITIVE, UNCLEAR, result, holds) == "depends on the seeds"
    assert verdict(POSITIVE, NEGATIVE, result, holds) == "depends on the seeds"
    assert verdict(UNCLEAR, UNCLEAR, result, holds) == "no clear sign"
    assert verdict(POSITIVE, POSITIVE, None, None) == (
        "holds on both seed sets (range not analysed)"
    )


def test_sobol_goes_to_the_top_parameters_of_each_finding() -> None:
    result = analyse()
    assert set(result.findings[0].sobol) == {"behaviour.memory", "behaviour.legitimacy"}
    # the Sobol points set only those two; the others keep their defaults
    sobol_points = np.array(result.points[-64 * 4 :])
    other = KEYS.index("behaviour.voice_value")
    assert np.all(sobol_points[:, other] == 10.0)


def test_shipped_ranges_contain_the_defaults_and_give_reasons() -> None:
    assert len(KEYS) >= 10
    assert all(p.reason.strip() for p in RANGES.parameters.values())
    assert {"docs", "tiny"} <= set(RANGES.designs)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("parameters: {behaviour.memory: {range: [0.5, 0.1], reason: x}}", "behaviour.memory"),
        ("parameters: {behaviour.memory: {range: [0.3, 0.9], reason: x}}", "must contain"),
        ("parameters: {behaviour.nope: {range: [0, 1], reason: x}}", "behaviour.nope"),
        ("parameters: {behaviour.memory: {range: [0, 1], why: x}}", "why: unknown key"),
        ("designs: {d: {levels: 3}}", "designs.d.levels"),
        ("designs: {d: {agreement: 2}}", "designs.d.agreement"),
    ],
)
def test_a_bad_ranges_file_is_refused_naming_the_field(
    tmp_path: Path, text: str, field: str
) -> None:
    path = tmp_path / "ranges.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_ranges(path)
    assert field in " ".join(str(p) for p in caught.value.problems)


def test_a_tiny_real_analysis_runs_the_scenarios_and_round_trips(tmp_path: Path) -> None:
    shipped = shipped_scenarios()
    scenarios = {n: shipped[n] for n in ("lawful_core", "no_system")}
    claims = [c for c in CLAIMS if c[1:3] == ("lawful_core", "no_system")]
    small = Ranges(
        RANGES.parameters,
        {
            "t": Design(
                agents=64, steps=4, seeds=1, trajectories=1, top=1, sobol_max=1, sobol_samples=2
            )
        },
    )
    result = run_sensitivity(scenarios, claims, small, "t", workers=1)
    points = (len(KEYS) + 1) + 2 * 3  # one Morris trajectory, then N (D + 2) Sobol points
    assert len(result.points) == points
    assert [(f.scenario, f.measure) for f in result.findings] == [(c[1], c[3]) for c in claims]
    assert all(len(f.differences) == points for f in result.findings)
    back = read_sensitivity(write_sensitivity(result, tmp_path / "s.json"))
    assert json.dumps(asdict(back)) == json.dumps(asdict(result))  # NaN-safe equality
    with pytest.raises(ScenarioError):
        run_sensitivity(scenarios, claims, small, "nope", workers=1)


def test_lab_report_sensitivity_flag_keeps_the_analysis(tmp_path: Path) -> None:
    res = tmp_path / "res"
    runner = CliRunner()
    for name in ("no_system", "lawful_core"):
        args = ["simulate", name, "--seeds", "2", "--steps", "4", "--out", str(res)]
        assert runner.invoke(cli, [*args, "--no-progress"]).exit_code == 0
    out = runner.invoke(
        cli,
        ["lab", "report", str(res), "--sensitivity", "tiny", "--workers", "1", "--no-progress"],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.stdout
    assert "plausible range" in out.stdout and "sign kept at" in out.stdout
    kept = json.loads((res / "sensitivity.json").read_text())
    assert kept["design"] == "tiny" and kept["findings"]
    # a later report without the flag uses the kept analysis
    found = findings(load_results(res), read_sensitivity(res / "sensitivity.json"))
    assert found and all(f.sensitivity is not None for f in found)
    again = runner.invoke(cli, ["lab", "report", str(res)], catch_exceptions=False)
    assert "sign kept at" in again.stdout


def test_an_unknown_design_is_refused_naming_it(tmp_path: Path) -> None:
    res = tmp_path / "res"
    runner = CliRunner()
    for name in ("no_system", "lawful_core"):
        args = ["simulate", name, "--seeds", "1", "--steps", "2", "--out", str(res)]
        assert runner.invoke(cli, [*args, "--no-progress"]).exit_code == 0
    out = runner.invoke(cli, ["lab", "report", str(res), "--sensitivity", "huge"])
    assert out.exit_code == 2
    assert "design" in out.output and "huge" in out.output
    assert not (res / "sensitivity.json").exists()
