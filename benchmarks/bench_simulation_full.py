"""Benchmark: the FULL simulator step on a million agents, and against the Mesa twin.

A full step is: the game, the agents' other acts (obligations, civic acts, expression),
observation (coverage, labelling errors) as records of real catalogue kinds, scoring by the
real default policy bundle through ``socialcredit.scoring.vectorised`` (running sums with the
expiry ring buffer), due process (disputes of false records, restoration, expiry),
consequences (grades → payoff per tie), perception (fear, trust), the step's measures, and
adaptation (Fermi imitation plus expected-sanction reasoning).

Part 1 (``--agents``, default 1,000,000 on a Barabási–Albert network with m = 10, i.e.
9,999,945 undirected edges): ``--steps`` full steps of ``--scenario`` (default
``lawful_core``; ``article`` turns every mechanic on, ostracism rewiring included) with
``--game`` (public goods, r = 14 as in ``bench_simulation_step.py``: two sparse products per
step; or the prisoner's dilemma, b = 1.2: one).
Reports the run time, median step, agent-steps/s, edges/s and peak RSS. Target: 100 steps
under 20 s, under 4 GiB.

Part 2 (``--mesa-agents``, default 10,000; small world k = 4, p = 0.1): the Mesa twin of
``tests/simulation/mesa_twin.py`` — which covers the game and Fermi imitation only — against
the engine's FULL step on the same graph, alternating runs in one process. The engine does
strictly more work per step than the twin, so the ratio is conservative. Target: >= 50x.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_simulation_full.py [--agents N] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "simulation")]

import numpy as np  # noqa: E402
from mesa_twin import PublicGoodsModel, neighbour_lists  # noqa: E402

from socialcredit.simulation import (  # noqa: E402
    Network,
    assortativity,
    component_count,
    gini,
    small_world,
)
from socialcredit.simulation.lab import build  # noqa: E402
from socialcredit.simulation.scenario import (  # noqa: E402
    Scenario,
    shipped_scenarios,
    with_overrides,
)


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def million(args: argparse.Namespace) -> dict[str, Any]:
    """Part 1: the full step at scale."""
    game = {"kind": args.game, "r": 14.0, "temptation": 1.2, "noise": 0.5}
    scenario = with_overrides(
        shipped_scenarios()[args.scenario],
        {
            "agents": args.agents,
            "network": {"kind": "scale_free", "m": args.m, "k": 10, "p": 0.1},
            "game": game,
            # heavy measures (components, assortativity, payoff Gini) are taken once at
            # the end of a run and timed separately below, not inside the 100 steps
            "metrics_every": args.steps + 1000,
        },
    )
    start = time.perf_counter()
    sim, institution = build(scenario, args.seed)
    setup = time.perf_counter() - start
    sim.step()  # warm-up: cached adjacency and degree arrays
    times = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        t0 = time.perf_counter()
        sim.step()
        times.append(time.perf_counter() - t0)
    run, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    t0 = time.perf_counter()
    payoff = sim.config.game.payoffs(sim.network, sim.population.strategy)
    heavy = {
        "components": component_count(sim.network),
        "score_assortativity": assortativity(sim.network, institution.totals()),
        "payoff_gini": gini(payoff - payoff.min()),
    }
    heavy_s = time.perf_counter() - t0
    step = statistics.median(times)
    n, edges = sim.network.n, sim.network.num_edges
    last = institution.history[-1]
    return {
        "scenario": args.scenario,
        "game": args.game,
        "agents": n,
        "undirected_edges": edges,
        "setup_s (network + population + policy)": round(setup, 2),
        "steps": args.steps,
        "run_s": round(run, 2),
        "run_cpu_s (process time; wall time suffers when the machine is shared)": round(cpu, 2),
        "median_step_ms": round(step * 1e3, 1),
        "p90_step_ms": round(float(np.percentile(times, 90)) * 1e3, 1),
        "agent_steps_per_s": round(n * args.steps / run),
        "edges_per_s": round(edges * args.steps / run),
        "end_of_run_heavy_measures_s (excluded from run_s)": round(heavy_s, 2),
        "end_of_run_components": heavy["components"],
        "live_records_at_end": institution.lawful.live_count(),
        "peak_rss_gib": round(peak_rss_gib(), 2),
        "target 100 steps < 20 s met (wall)": run * 100 / args.steps < 20.0,
        "target 100 steps < 20 s met (cpu)": cpu * 100 / args.steps < 20.0,
        "final_cooperation": round(last["cooperation"], 4),
        "final_score_mean": round(last["score_mean"], 1),
    }


def versus_mesa(args: argparse.Namespace) -> dict[str, Any]:
    """Part 2: the Mesa twin (game + imitation) against the engine's full step."""
    base = shipped_scenarios()[args.scenario]
    network = small_world(args.mesa_agents, 4, 0.1, np.random.default_rng(args.seed))
    _ = network.adjacency, network.degree_float
    scenario = with_overrides(
        base,
        {
            "agents": args.mesa_agents,
            "game": {"kind": "public_goods", "r": 5.5, "noise": 0.5, "temptation": 1.3},
        },
    )
    mesa_runs, engine_runs = [], []
    for repeat in range(args.repeats):
        model = PublicGoodsModel(
            neighbour_lists(network), r=5.5, noise=0.5, seed=args.seed + repeat
        )
        t0 = time.perf_counter()
        model.run(args.mesa_steps)
        mesa_runs.append(time.perf_counter() - t0)
        sim = _engine_on(network, scenario, args.seed + repeat)
        t0 = time.perf_counter()
        for _ in range(args.mesa_steps):
            sim.step()
        engine_runs.append(time.perf_counter() - t0)
    mesa, engine = statistics.median(mesa_runs), statistics.median(engine_runs)
    return {
        "network": f"small world n={network.n} k=4 p=0.1 ({network.num_edges} edges)",
        "steps": args.mesa_steps,
        "repeats": args.repeats,
        "mesa_twin (game + Fermi imitation) median_run_s": round(mesa, 3),
        f"engine FULL step ({args.scenario}) median_run_s": round(engine, 4),
        "speedup": round(mesa / engine, 1),
        "target >= 50x met": mesa / engine >= 50,
    }


def _engine_on(network: Network, scenario: Scenario, seed: int) -> Any:
    from socialcredit.simulation import engine

    sim, _ = build(scenario, seed)
    # run on the twin's exact graph (same n): replace the network built from the scenario
    sim.network = network
    assert isinstance(sim, engine.Simulation)
    return sim


def main() -> None:
    """Parse options, run both parts, print the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=int, default=1_000_000)
    parser.add_argument("--m", type=int, default=10)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--scenario", default="lawful_core")
    parser.add_argument(
        "--game", choices=("public_goods", "prisoners_dilemma"), default="public_goods"
    )
    parser.add_argument("--mesa-agents", type=int, default=10_000)
    parser.add_argument("--mesa-steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {"versus_mesa": versus_mesa(args)}
    if not args.skip_million:
        report["full_step"] = million(args)
    if args.json:
        print(json.dumps(report))
        return
    for part, values in report.items():
        print(part)
        for key, value in values.items():
            print(f"  {key:44s} {value}")


if __name__ == "__main__":
    main()
