"""Benchmark: the vectorised simulator against its Mesa twin, side by side in one run.

Scenario (the one twinned in ``tests/simulation/mesa_twin.py`` and checked for statistical
agreement in ``tests/simulation/test_sim_mesa_twin.py``): the spatial public goods game
(``r = 5.5``, cost 1) with synchronous Fermi imitation (``K = 0.5``) on a Watts–Strogatz
small world of 10,000 agents (``k = 4``, ``p = 0.1``), half cooperators at the start.

Both implementations run on the identical graph, built once by the project's generator.
Network construction is timed on its own; each implementation's setup (Mesa: neighbour
lists and agent objects; engine: population) is timed separately from its steps. The runs
alternate — Mesa, engine, Mesa, engine, ... — so that both see the same machine conditions,
and the medians over ``--repeats`` runs are reported. The issue's target is a speed-up of at
least 50x at 10,000 agents *on the same scenario as the full simulator step*: that pair
(the full ``lawful_core`` step against ``tests/simulation/mesa_twin_full.py``) is part 2 of
``bench_simulation_full.py``; this script is the game-only comparison.

    .venv/bin/python benchmarks/bench_simulation_vs_mesa.py [--agents N] [--steps S] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# the twin is test code, not part of the package: import it from the tests folder
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "simulation")]

from mesa_twin import PublicGoodsModel, neighbour_lists  # noqa: E402

from socialcredit.simulation import (  # noqa: E402
    Fermi,
    Network,
    PublicGoods,
    Simulation,
    SimulationConfig,
    small_world,
)

TARGET_SPEEDUP = 50.0


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``function()``, and its result."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def build_network(agents: int, k: int, p: float, seed: int) -> Network:
    """The shared small world, with its cached arrays built (they belong to the network)."""
    network = small_world(agents, k, p, np.random.default_rng(seed))
    # the first step would otherwise pay for the CSR matrix and degree arrays
    _ = network.adjacency, network.degree_float
    return network


def run_mesa(network: Network, args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """Set up and run the Mesa twin once; times and final cooperation share."""
    setup, model = timed(
        lambda: PublicGoodsModel(neighbour_lists(network), r=args.r, noise=args.noise, seed=seed)
    )
    run, table = timed(lambda: model.run(args.steps))
    return {"setup": setup, "run": run, "cooperation": float(table["cooperation"][-1])}


def run_engine(network: Network, args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """Set up and run the vectorised engine once; times and final cooperation share."""
    config = SimulationConfig(network=network, game=PublicGoods(args.r), update=Fermi(args.noise))
    setup, sim = timed(lambda: Simulation(config, seed))
    run, table = timed(lambda: sim.run(args.steps))
    return {"setup": setup, "run": run, "cooperation": float(table["cooperation"][-1])}


def summary(runs: list[dict[str, Any]], agents: int, steps: int) -> dict[str, float]:
    """Medians over the runs of one implementation."""
    run = statistics.median(r["run"] for r in runs)
    return {
        "median_setup_s": round(statistics.median(r["setup"] for r in runs), 4),
        "median_run_s": round(run, 4),
        "steps_per_s": round(steps / run, 1),
        "agent_steps_per_s": round(agents * steps / run),
        "final_cooperation (median)": round(statistics.median(r["cooperation"] for r in runs), 4),
    }


def main() -> None:
    """Parse the options, run both implementations alternately and print the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=4, help="small-world ring degree")
    parser.add_argument("--p", type=float, default=0.1, help="small-world rewiring")
    parser.add_argument("--r", type=float, default=5.5, help="public goods multiplication")
    parser.add_argument("--noise", type=float, default=0.5, help="Fermi noise K")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    network_s, network = timed(lambda: build_network(args.agents, args.k, args.p, args.seed))
    mesa_runs, engine_runs = [], []
    for repeat in range(args.repeats):
        mesa_runs.append(run_mesa(network, args, args.seed + repeat))
        engine_runs.append(run_engine(network, args, args.seed + repeat))

    mesa = summary(mesa_runs, network.n, args.steps)
    engine = summary(engine_runs, network.n, args.steps)
    speedup = mesa["median_run_s"] / engine["median_run_s"]
    report = {
        "scenario": f"public goods r={args.r}, synchronous Fermi K={args.noise}",
        "network": f"small world n={network.n} k={args.k} p={args.p}",
        "undirected_edges": network.num_edges,
        "network_build_s (shared, excluded)": round(network_s, 4),
        "steps_per_run": args.steps,
        "repeats": args.repeats,
        "mesa": mesa,
        "engine": engine,
        "speedup (mesa run / engine run)": round(speedup, 1),
        f"target >= {TARGET_SPEEDUP:g}x met": speedup >= TARGET_SPEEDUP,
    }
    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        if isinstance(value, dict):
            print(key)
            for inner, number in value.items():
                print(f"  {inner:32s} {number}")
        else:
            print(f"{key:36s} {value}")


if __name__ == "__main__":
    main()
