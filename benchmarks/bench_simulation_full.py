"""Benchmark: the FULL simulator step on a million agents, and against the Mesa twin.

A full step is: the game, the agents' other acts (obligations, trust-game returns, civic acts,
expression — each decided against its expected sanction), the trust game,
observation (coverage, labelling errors) as records of real catalogue kinds, scoring by the
real default policy bundle through ``socialcredit.scoring._vectorised`` (running sums with the
expiry ring buffer), due process (disputes of false records, restoration, expiry),
consequences (grades → payoff per tie), learning (perceived detection, arbitrary sanctions,
expression risk), the step's measures, and adaptation (Fermi imitation plus deliberation).

Part 1 (``--agents``, default 1,000,000 on a Barabási–Albert network with m = 10, i.e.
9,999,945 undirected edges): ``--steps`` full steps of ``--scenario`` (default
``lawful_core``; ``article`` turns every mechanic on, ostracism rewiring included) with
``--game`` (public goods, r = 14 as in ``bench_simulation_step.py``: two compiled passes over
the CSR arrays per step; or the prisoner's dilemma, b = 1.2: one).
Reports the run time, median step, agent-steps/s, edges/s, peak RSS and the load average
before and after each part. Target: 100 steps under 20 s, under 4 GiB.

Part 2 (``--mesa-agents``, default 10,000; small world k = 4, p = 0.1; ``--mesa-steps``
20): the engine's FULL step of ``lawful_core`` (whatever ``--scenario`` says; public goods
r = 5.5 and Fermi K = 0.5 as overrides) against its full Mesa twin
``tests/simulation/mesa_twin_full.py`` — the same scenario, every stage it switches on
written agent by agent (expression is drawn by the engine only), validated statistically
against the engine in ``tests/simulation/test_sim_mesa_twin_full.py`` — on the identical
graph. Full twin, full engine, game-only twin, game-only engine alternate ``--repeats`` times
in one process; medians of the run times (setup excluded) are reported. Target: >= 50x for
the full pair. The engine also computes measures the twin does not (Gini, civic share,
grade mobility, false-positive rate, and the heavy measures every ``metrics_every`` steps),
so the full ratio errs on the conservative side. A secondary, clearly labelled line keeps
the old game-only pair (``mesa_twin.py``: public goods + Fermi imitation, against the
engine with no institution), as ``bench_simulation_vs_mesa.py`` measures it.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_simulation_full.py [--agents N] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "simulation")]

import numpy as np  # noqa: E402
from mesa_twin import PublicGoodsModel, neighbour_lists  # noqa: E402
from mesa_twin_full import LawfulCoreModel  # noqa: E402

from socialcredit.simulation import (  # noqa: E402  # noqa: E402
    Fermi,
    Network,
    PublicGoods,
    Scenario,
    Simulation,
    SimulationConfig,
    assortativity,
    component_count,
    gini,
    shipped_scenarios,
    small_world,
    with_overrides,
)
from socialcredit.simulation._lab import build  # noqa: E402


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def million(args: argparse.Namespace) -> dict[str, Any]:
    """Part 1: the full step at scale."""
    game: dict[str, Any] = {"kind": args.game}
    game.update({"r": 14.0} if args.game == "public_goods" else {"temptation": 1.2})
    scenario = with_overrides(
        shipped_scenarios()[args.scenario],
        {
            "agents": args.agents,
            "network": {"kind": "scale_free", "m": args.m},
            "game": game,
            "update": {"kind": "fermi", "noise": 0.5},
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
    """Part 2: the engine's full step against the full Mesa twin, same scenario, same graph.

    Runs alternate — full twin, full engine, game-only twin, game-only engine — ``repeats``
    times in this process; medians of the run times (setup excluded) are reported.
    """
    network = small_world(args.mesa_agents, 4, 0.1, np.random.default_rng(args.seed))
    _ = network.adjacency, network.degree_float
    scenario = with_overrides(
        shipped_scenarios()[TWINNED],
        {
            "agents": args.mesa_agents,
            "network": {"kind": "small_world", "k": 4, "p": 0.1},
            "game": {"kind": "public_goods", "r": 5.5},
            "update": {"kind": "fermi", "noise": 0.5},
        },
    )
    neighbours = neighbour_lists(network)
    times: dict[str, list[float]] = {key: [] for key in _PAIR_KEYS}
    finals: dict[str, list[float]] = {"twin": [], "engine": []}
    for repeat in range(args.repeats):
        seed = args.seed + repeat
        twin = LawfulCoreModel(scenario, neighbours, seed=seed)
        run, table = _timed(partial(twin.run, args.mesa_steps))
        times["twin_full"].append(run)
        finals["twin"].append(table["score_mean"][-1])
        del twin
        sim, institution = _engine_on(network, scenario, seed)
        times["engine_full"].append(_timed(partial(_steps, sim, args.mesa_steps))[0])
        finals["engine"].append(institution.history[-1]["score_mean"])
        pgg = PublicGoodsModel(neighbours, r=5.5, noise=0.5, seed=seed)
        times["twin_game"].append(_timed(partial(pgg.run, args.mesa_steps))[0])
        config = SimulationConfig(network=network, game=PublicGoods(5.5), update=Fermi(0.5))
        plain = Simulation(config, seed)
        times["engine_game"].append(_timed(partial(plain.run, args.mesa_steps))[0])
    med = {key: statistics.median(values) for key, values in times.items()}
    full = med["twin_full"] / med["engine_full"]
    return {
        "network": f"small world n={network.n} k=4 p=0.1 ({network.num_edges} edges)",
        "scenario": f"{TWINNED}, public goods r=5.5, Fermi K=0.5",
        "steps": args.mesa_steps,
        "repeats (alternating)": args.repeats,
        "FULL: mesa twin (mesa_twin_full) median_run_s": round(med["twin_full"], 3),
        "FULL: engine median_run_s": round(med["engine_full"], 4),
        "FULL: speedup (same scenario)": round(full, 1),
        "FULL: target >= 50x met": full >= 50,
        "FULL: final score_mean twin / engine (medians)": (
            f"{statistics.median(finals['twin']):.1f} / {statistics.median(finals['engine']):.1f}"
        ),
        "game only (secondary): mesa twin PGG median_run_s": round(med["twin_game"], 3),
        "game only (secondary): engine median_run_s": round(med["engine_game"], 4),
        "game only (secondary): speedup": round(med["twin_game"] / med["engine_game"], 1),
    }


TWINNED = "lawful_core"  # the scenario mesa_twin_full.py models
_PAIR_KEYS = ("twin_full", "engine_full", "twin_game", "engine_game")


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``function()`` and its result; garbage from earlier runs (the twin
    leaves hundreds of thousands of objects) is collected first, outside the timing, for
    every run on either side."""
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def _with_load(part: Callable[[argparse.Namespace], dict[str, Any]], args: Any) -> dict[str, Any]:
    """``part(args)`` with the machine's 1-minute load average before and after it (the
    figures are only comparable at a similar load: the machine is shared)."""
    before = os.getloadavg()[0]
    values = part(args)
    values["load_average_1min (before / after)"] = f"{before:.2f} / {os.getloadavg()[0]:.2f}"
    return values


def _steps(sim: Any, steps: int) -> None:
    for _ in range(steps):
        sim.step()


def _engine_on(network: Network, scenario: Scenario, seed: int) -> tuple[Simulation, Any]:
    sim, institution = build(scenario, seed)
    # run on the twin's exact graph (same n): replace the network built from the scenario
    sim.network = network
    return sim, institution


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
    report: dict[str, Any] = {"versus_mesa": _with_load(versus_mesa, args)}
    if not args.skip_million:
        report["full_step"] = _with_load(million, args)
    if args.json:
        print(json.dumps(report))
        return
    for part, values in report.items():
        print(part)
        for key, value in values.items():
            print(f"  {key:50s} {value}")


if __name__ == "__main__":
    main()
