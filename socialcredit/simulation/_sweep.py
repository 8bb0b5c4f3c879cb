"""Parameter sweeps: every point of a grid in its own process, with its own seeds.

``--vary institution.coverage=0.2,0.5,0.9 --vary game.r=8,9`` is the grid of every
combination (6 points). Each (point, seed) run goes to a worker process of a
``ProcessPoolExecutor`` with its own seed: ``base_seed + point * seeds + i`` (every run has
a distinct seed), or, with ``common_seeds``, ``base_seed + i`` for every point (common random
numbers: the same networks and populations at every point, for sharper comparisons). A run
is reproducible on its own from ``(scenario with the point's overrides, seed)``; the seed is
a column of the results, with one column per varied key.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
import yaml

from socialcredit.errors import Problem, ScenarioError
from socialcredit.simulation._lab import concat, run_scenario
from socialcredit.simulation._scenario import Scenario, with_overrides

__all__ = ["parse_vary", "sweep", "sweep_points"]


def parse_vary(items: list[str]) -> dict[str, list[Any]]:
    """``["key=v1,v2", ...]`` as ``{key: [v1, v2]}``, values read as YAML scalars.

    Raises:
        ScenarioError: if an item is not ``key=value[,value...]``.
    """
    out: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise ScenarioError("bad --vary", [Problem(item, "expected key=v1,v2,...")])
        out[key.strip()] = [yaml.safe_load(v) for v in values.split(",")]
    return out


def sweep_points(scenario: Scenario, vary: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the varied values, each checked against the scenario.

    Raises:
        ScenarioError: if a key does not exist or a value is invalid (before any run).
    """
    keys = list(vary)
    points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*vary.values())]
    for point in points:
        with_overrides(scenario, point)
    return points


def _run_point(
    scenario: Scenario, point: dict[str, Any], seed: int, steps: int | None
) -> dict[str, np.ndarray]:
    table = run_scenario(with_overrides(scenario, point), seed, steps=steps)
    rows = table["step"].size
    for key, value in point.items():
        table[key] = np.array([str(value)] * rows, dtype=object)
    return table


def sweep(
    scenario: Scenario,
    vary: dict[str, list[Any]],
    *,
    seeds: int | None = None,
    base_seed: int = 0,
    steps: int | None = None,
    workers: int | None = None,
    common_seeds: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run every point of the grid for ``seeds`` seeds in parallel processes.

    Returns the stacked per-step tables, in (point, seed) order whatever order the
    workers finish in. ``progress`` is called with 1 after each finished run.

    Raises:
        ScenarioError: if a varied key or value is invalid (nothing is run then).
    """
    points = sweep_points(scenario, vary)
    count = scenario.seeds if seeds is None else seeds
    jobs = [
        (p, i, base_seed + s + (0 if common_seeds else i * count))
        for i, p in enumerate(points)
        for s in range(count)
    ]
    results: dict[int, dict[str, np.ndarray]] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(_run_point, scenario, point, seed, steps): n
            for n, (point, _, seed) in enumerate(jobs)
        }
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if progress is not None:
                progress(1)
    return concat([results[n] for n in range(len(jobs))])
