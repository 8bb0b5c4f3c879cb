"""Report statistics: per-seed reduction, Student-t intervals, paired differences."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from socialcredit.simulation.lab_metrics import METRIC_NAMES, _histogram_gini
from socialcredit.simulation.metrics import gini
from socialcredit.simulation.report import findings, render_html, summarise


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


def test_interval_is_the_student_t_interval_over_seeds() -> None:
    table = synthetic({"lawful_core": [1.0, 2.0, 3.0], "no_system": [0.0, 0.5, 1.0]})
    estimate = summarise(table)["lawful_core"]["cooperation"]
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
