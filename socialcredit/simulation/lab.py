"""Running scenarios: one seed, many seeds, results as Arrow tables and Parquet files.

:func:`build` turns a :class:`~.scenario.Scenario` and a seed into a :class:`~.engine.Simulation`
with a :class:`~.institution.PolicyInstitution` hook and expected-sanction reasoning;
:func:`run_scenario` runs it and returns one row per step (the measures of
:mod:`.lab_metrics`, plus ``scenario``, ``seed`` and ``step``); :func:`run_seeds` stacks
several seeds. A run is fully determined by ``(scenario, seed)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from socialcredit.simulation.config import (
    LatticeSpec,
    NetworkSpec,
    ScaleFreeSpec,
    SimulationConfig,
    SmallWorldSpec,
)
from socialcredit.simulation.engine import Simulation
from socialcredit.simulation.games import Game, PrisonersDilemma, PublicGoods, TrustGame
from socialcredit.simulation.imitation import BestNeighbour, Fermi, UpdateRule
from socialcredit.simulation.institution import PolicyInstitution, SanctionAware
from socialcredit.simulation.lab_metrics import METRIC_NAMES
from socialcredit.simulation.scenario import Scenario

__all__ = ["Progress", "build", "run_scenario", "run_seeds", "write_parquet"]

Progress = Callable[[int], None]
"""Called after each step with the number of steps just done (1)."""


def _network(scenario: Scenario) -> NetworkSpec:
    params, n = scenario.network, scenario.agents
    if params.kind == "small_world":
        return SmallWorldSpec(n, params.k, params.p)
    if params.kind == "scale_free":
        return ScaleFreeSpec(n, params.m)
    side = math.isqrt(n)
    if side * side != n:
        raise ValueError(f"a lattice needs a square number of agents, got {n}")
    return LatticeSpec(side)


def _game(scenario: Scenario) -> Game:
    spec = scenario.game
    if spec.kind == "public_goods":
        return PublicGoods(spec.r)
    if spec.kind == "prisoners_dilemma":
        return PrisonersDilemma(spec.temptation)
    return TrustGame()


def build(scenario: Scenario, seed: int) -> tuple[Simulation, PolicyInstitution]:
    """The simulation of ``scenario`` with ``seed`` and its institution hook.

    Raises:
        ValueError: if the seed is negative or the network cannot be built as asked.
    """
    # the institution needs n before the network exists: every generator keeps n agents
    institution = PolicyInstitution(
        scenario.institution,
        scenario.behaviour,
        scenario.agents,
        scenario.step_days,
        metrics_every=scenario.metrics_every,
    )
    inner: UpdateRule = (
        Fermi(scenario.game.noise) if scenario.game.update == "fermi" else BestNeighbour()
    )
    update = SanctionAware(inner, institution, scenario.behaviour.reasoning)
    config = SimulationConfig(
        network=_network(scenario),
        game=_game(scenario),
        update=update,
        cooperators=scenario.cooperators,
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
