"""The lab's CLI: simulate writes Parquet, sweep runs points in processes, report is offline."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.simulation import load_results


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "name: tiny\nagents: 200\nsteps: 6\nseeds: 2\nmetrics_every: 3\n"
        "network: {kind: small_world, k: 4, p: 0.1}\n"
        "institution: {coverage: 0.6, mechanics: {informants: {enabled: true}}}\n"
    )
    return path


def test_simulate_writes_one_row_per_seed_and_step(tmp_path: Path, scenario: Path) -> None:
    code, out, _ = invoke(
        "simulate", str(scenario), "--out", str(tmp_path / "res"), "--no-progress"
    )
    assert code == 0, out
    table = pq.read_table(tmp_path / "res" / "tiny.parquet").to_pydict()
    assert len(table["step"]) == 12 and set(table["seed"]) == {0, 1}
    assert {"cooperation", "fear", "report_precision", "false_positive_rate"} <= set(table)


def test_sweep_runs_every_point_with_its_own_column(tmp_path: Path, scenario: Path) -> None:
    out_file = tmp_path / "sweep.parquet"
    code, out, _ = invoke(
        "sweep",
        str(scenario),
        "--vary",
        "institution.coverage=0.2,0.9",
        "--seeds",
        "1",
        "--workers",
        "2",
        "--out",
        str(out_file),
        "--no-progress",
    )
    assert code == 0, out
    table = pq.read_table(out_file).to_pydict()
    assert sorted(set(table["institution.coverage"])) == ["0.2", "0.9"]
    assert len(table["step"]) == 12
    assert sorted(set(table["seed"])) == [0, 1]  # each point its own seed
    code, out, _ = invoke(
        "sweep",
        str(scenario),
        "--vary",
        "game.r=8,9",
        "--seeds",
        "1",
        "--common-seeds",
        "--out",
        str(out_file),
        "--no-progress",
    )
    assert code == 0, out
    assert set(pq.read_table(out_file).to_pydict()["seed"]) == {0}


def test_report_is_self_contained_html_with_findings(tmp_path: Path, scenario: Path) -> None:
    res = tmp_path / "res"
    for name in ("no_system", "lawful_core"):
        code, out, _ = invoke(
            "simulate", name, "--seeds", "2", "--steps", "4", "--out", str(res), "--no-progress"
        )
        assert code == 0, out
    code, out, _ = invoke(
        "sweep",
        "lawful_core",
        "--vary",
        "game.r=8,9",
        "--seeds",
        "1",
        "--steps",
        "3",
        "--out",
        str(res / "sweep-lawful_core.parquet"),
        "--no-progress",
    )
    assert code == 0, out
    code, out, _ = invoke("lab", "report", str(res), "--markdown", str(tmp_path / "f.md"))
    assert code == 0, out
    page = (res / "report.html").read_text()
    assert "<svg" in page and "<script" not in page and "http" not in page
    assert "lawful_core vs no_system" in page
    assert "| claim |" in (tmp_path / "f.md").read_text()
    # the sweep table is not mixed into the comparison: 2 scenarios x 2 seeds x 4 steps
    assert load_results(res)["step"].size == 16


def test_bad_input_exits_2_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("institution: {coverage: 2}\n")
    code, _, err = invoke("simulate", str(bad), "--out", str(tmp_path / "res"))
    assert code == 2 and "institution.coverage" in err
    assert not (tmp_path / "res").exists()
    code, _, err = invoke("sweep", "lawful_core", "--vary", "game.nope=1,2")
    assert code == 2 and "game.nope" in err
    code, _, err = invoke("lab", "report", str(tmp_path))
    assert code == 2 and "no *.parquet" in err
