"""Report statistics: per-seed reduction, intervals (Student t; bootstrap for measures in
[0, 1]; none below three seeds), paired differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from socialcredit.simulation import gini, run_scenario, shipped_scenarios, with_overrides
from socialcredit.simulation._lab_metrics import METRIC_NAMES, _histogram_gini
from socialcredit.simulation._report import (
    MIN_SEEDS,
    UNIT_MEASURES,
    findings,
    findings_markdown,
    render_html,
    summarise,
)


def synthetic(values: dict[str, list[float]], steps: int = 8) -> dict[str, np.ndarray]:
    """One constant value per (scenario, seed) over all steps, for every measure."""
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


def test_unbounded_measures_keep_the_student_t_interval_over_seeds() -> None:
    table = synthetic({"lawful_core": [1.0, 2.0, 3.0], "no_system": [0.0, 0.5, 1.0]})
    assert "score_mean" not in UNIT_MEASURES and "welfare" not in UNIT_MEASURES
    estimate = summarise(table)["lawful_core"]["score_mean"]
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert estimate.mean == 2.0 and estimate.n == 3
    assert math.isclose(estimate.low, 2.0 - half) and math.isclose(estimate.high, 2.0 + half)


def test_differences_are_paired_by_seed_and_give_a_verdict() -> None:
    # a constant paired difference of exactly 1: zero-width interval, clearly higher
    table = synthetic({"lawful_core": [1.0, 5.0, 3.0], "no_system": [0.0, 4.0, 2.0]})
    first = next(f for f in findings(table) if f.measure == "cooperation")
    assert first.difference.mean == 1.0 and first.difference.low == 1.0
    assert first.verdict == "higher"
    same = synthetic({"lawful_core": [1.0, 2.0, 3.0], "no_system": [1.5, 1.5, 3.0]})
    assert next(f for f in findings(same) if f.measure == "cooperation").verdict == (
        "no clear change"
    )


def test_histogram_gini_equals_the_sorted_form() -> None:
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 2001, 5000)
    assert math.isclose(_histogram_gini(scores), gini(scores), rel_tol=1e-9)
    assert _histogram_gini(np.zeros(4, dtype=np.int64)) == 0.0


def test_html_has_a_chart_per_measure_and_no_external_resource() -> None:
    page = render_html(synthetic({"lawful_core": [1.0, 2.0], "no_system": [0.0, 1.0]}))
    assert page.count("<svg") >= 5
    assert "<script" not in page and "http" not in page and "src=" not in page


# Seed values of a share far apart: a t interval over them leaves [0, 1] on both sides.
SPREAD = [0.02, 0.9, 0.05, 0.97, 0.3]


def test_share_intervals_stay_in_the_unit_interval_and_contain_the_mean() -> None:
    table = synthetic({"lawful_core": SPREAD, "no_system": [0.0, 0.0, 0.0, 0.0, 1.0]})
    summary = summarise(table)
    for scenario, by_measure in summary.items():
        for measure in UNIT_MEASURES:
            e = by_measure[measure]
            assert e.n == 5
            assert 0.0 <= e.low <= e.mean <= e.high <= 1.0, (scenario, measure, e)
    # wide, as the seeds are: a t interval here would be [-0.14, 1.04]
    e = summary["lawful_core"]["cooperation"]
    assert e.low < 0.2 and e.high > 0.8
    # the same results give the same report
    assert summarise(table) == summary


def test_share_intervals_of_constant_seeds_are_the_constant() -> None:
    e = summarise(synthetic({"lawful_core": [0.1] * 4}))["lawful_core"]["fear"]
    assert e.low <= e.mean <= e.high and math.isclose(e.low, 0.1) and math.isclose(e.high, 0.1)


@pytest.mark.parametrize("name", ["article", "manipulation_no_ledger"])
def test_unit_measures_are_lab_measures_and_lie_in_the_unit_interval(name: str) -> None:
    assert UNIT_MEASURES.issubset(METRIC_NAMES)
    scenario = with_overrides(
        shipped_scenarios()[name],
        {"agents": 200, "steps": 12, "metrics_every": 3, "network": {"kind": "small_world"}},
    )
    table = run_scenario(scenario, 1)
    for measure in UNIT_MEASURES:
        values = table[measure][~np.isnan(table[measure])]
        assert ((values >= 0) & (values <= 1)).all(), measure
    assert {"cooperation", "compliance", "low_share", "false_positive_rate"} <= UNIT_MEASURES
    assert not {"score_mean", "welfare", "reports", "low_degree_ratio", "components"} & (
        UNIT_MEASURES
    )
    assert "score_assortativity" not in UNIT_MEASURES  # in [-1, 1]


def test_two_seeds_give_no_interval_and_say_why() -> None:
    assert MIN_SEEDS == 3
    table = synthetic({"lawful_core": [0.05, 0.45], "no_system": [0.1, 0.2]})
    e = summarise(table)["lawful_core"]["cooperation"]
    assert e.n == 2 and math.isclose(e.mean, 0.25)
    assert math.isnan(e.low) and math.isnan(e.high) and e.text() == "0.250"
    found = findings(table)
    assert {f.verdict for f in found} == {"too few seeds"}
    markdown = findings_markdown(found)
    assert "[" not in markdown  # no interval printed
    assert "too few seeds for an interval" in markdown
    page = render_html(table)
    assert "too few seeds for an interval" in page
    assert "0.250 [" not in page


def test_three_seeds_are_enough_and_the_note_is_gone() -> None:
    table = synthetic({"lawful_core": [0.05, 0.45, 0.3], "no_system": [0.1, 0.2, 0.3]})
    assert "too few seeds" not in findings_markdown(findings(table))
    assert "too few seeds" not in render_html(table)
