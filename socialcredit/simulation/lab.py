"""Running scenarios: one seed, many seeds, results as Arrow tables and Parquet files.

:func:`build` turns a :class:`~.scenario.Scenario` and a seed into a :class:`~.engine.Simulation`
with a :class:`~.institution.PolicyInstitution` hook and deliberation about sanctions
(:class:`~.institution.Deliberation`);
:func:`run_scenario` runs it and returns one row per step (the measures of
:mod:`.lab_metrics`, plus ``scenario``, ``seed`` and ``step``); :func:`run_seeds` stacks
several seeds. A run is fully determined by ``(scenario, seed)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from socialcredit.simulation.config import SimulationConfig
from socialcredit.simulation.engine import Simulation
from socialcredit.simulation.institution import Deliberation, PolicyInstitution
from socialcredit.simulation.lab_metrics import METRIC_NAMES
from socialcredit.simulation.scenario import Scenario

__all__ = [
    "Progress",
    "Summary",
    "build",
    "run_scenario",
    "run_seeds",
    "summarise",
    "write_parquet",
]

Progress = Callable[[int], None]
"""Called after each step with the number of steps just done (1)."""


def build(scenario: Scenario, seed: int) -> tuple[Simulation, PolicyInstitution]:
    """The simulation of ``scenario`` with ``seed`` and its institution hook.

    Raises:
        ValueError: if the seed is negative or the network cannot be built as asked.
    """
    spec = scenario.institution
    if spec is not None and scenario.bundle is not None:
        spec = dataclasses.replace(spec, policy=scenario.bundle)
    # the institution needs n before the network exists: every generator keeps n agents
    institution = PolicyInstitution(
        spec,
        scenario.behaviour,
        scenario.agents,
        scenario.step_days,
        metrics_every=scenario.metrics_every,
    )
    update = Deliberation(scenario.update, institution, scenario.behaviour.reasoning)
    config = SimulationConfig(
        network=scenario.network.spec(scenario.agents),
        game=scenario.game,
        update=update,
        initial=scenario.initial,
        traits=scenario.traits,
        heterogeneous_imitation=scenario.heterogeneous_imitation,
        metrics=(),
    )
    return Simulation(config, seed, [institution]), institution


def run_scenario(
    scenario: Scenario, seed: int, *, steps: int | None = None, progress: Progress | None = None
) -> dict[str, np.ndarray]:
    """Run ``scenario`` once; one array per column, one row per step.

    The last step always computes the heavy measures as well.

    Raises:
        ValueError: as :func:`build`.
    """
    steps = scenario.steps if steps is None else steps
    sim, institution = build(scenario, seed)
    for index in range(steps):
        if index == steps - 1:
            institution.metrics_every = 1  # heavy measures at the end of every run
        sim.step()
        if progress is not None:
            progress(1)
    rows = institution.history
    table: dict[str, Any] = {
        "scenario": np.array([scenario.name] * len(rows), dtype=object),
        "seed": np.full(len(rows), seed, dtype=np.int64),
        "step": np.array([int(r["step"]) for r in rows], dtype=np.int64),
    }
    for name in METRIC_NAMES:
        table[name] = np.array([r[name] for r in rows], dtype=np.float64)
    return table


def run_seeds(
    scenario: Scenario,
    seeds: Iterable[int],
    *,
    steps: int | None = None,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """:func:`run_scenario` for each seed, stacked (rows of seed after seed)."""
    tables = [run_scenario(scenario, s, steps=steps, progress=progress) for s in seeds]
    return concat(tables)


@dataclass(frozen=True, slots=True)
class Summary:
    """One measure of a batch of runs over the steps ``first`` to ``last`` (inclusive).

    Attributes:
        mean: mean over seeds of each run's mean over the window.
        seed_low, seed_high: the lowest and highest run mean.
        step_low, step_high: the lowest and highest value at any step of any run.
        step_sd: the mean over runs of the standard deviation over the window's steps
            (0 for a frozen run; fluctuation shows as a positive value).
    """

    measure: str
    seeds: int
    first: int
    last: int
    mean: float
    seed_low: float
    seed_high: float
    step_low: float
    step_high: float
    step_sd: float

    def line(self) -> str:
        """The summary as one line of text."""
        return (
            f"{self.measure} over steps {self.first}-{self.last}, {self.seeds} seeds: "
            f"mean {self.mean:.4f} (runs {self.seed_low:.4f}-{self.seed_high:.4f}; "
            f"steps {self.step_low:.4f}-{self.step_high:.4f}, sd over steps {self.step_sd:.4f})"
        )


def summarise(
    table: dict[str, np.ndarray],
    scenario: Scenario,
    *,
    steps: int | None = None,
    measure: str = "cooperation",
) -> Summary:
    """``measure`` of :func:`run_seeds`'s ``table`` over the scenario's summary window.

    The window starts at ``scenario.summary_from(steps)`` (its ``burn_in``) and runs to the
    last step.

    Raises:
        ValueError: if the table has no row in the window.
    """
    first = scenario.summary_from(steps)
    inside = table["step"] >= first
    if not inside.any():
        raise ValueError(f"no step from {first} on in the results")
    runs = [table[measure][inside & (table["seed"] == s)] for s in np.unique(table["seed"])]
    means = np.array([r.mean() for r in runs])
    values = np.concatenate(runs)
    return Summary(
        measure=measure,
        seeds=len(runs),
        first=first,
        last=int(table["step"][inside].max()),
        mean=float(means.mean()),
        seed_low=float(means.min()),
        seed_high=float(means.max()),
        step_low=float(values.min()),
        step_high=float(values.max()),
        step_sd=float(np.mean([r.std() for r in runs])),
    )


def concat(tables: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack tables with the same columns."""
    if not tables:
        return {}
    return {name: np.concatenate([t[name] for t in tables]) for name in tables[0]}


def write_parquet(table: dict[str, np.ndarray], path: Path) -> Path:
    """Write ``table`` to ``path`` (Parquet; parent folders made); returns the path.

    The file is written next to its destination and moved into place, so a failed write
    never leaves half a file behind.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {k: (v.astype(str) if v.dtype == object else v) for k, v in table.items()}
    partial = path.with_name(path.name + ".partial")
    pq.write_table(pa.table(columns), partial)
    partial.replace(path)
    return path
