"""Benchmark: one simulator step (game + imitation) on a million agents.

Default workload: a Barabási–Albert network of 1,000,000 agents with m = 10, i.e. 9,999,945
undirected edges (19,999,890 stored CSR entries, mean degree 20); the spatial public goods
game (groups = agent + neighbours, two compiled passes over the CSR arrays per step; r = 14,
about 2/3 of the mean group size 21, so that both strategies survive the run) and synchronous
Fermi imitation (K = 0.5). ``--m 5`` gives the 5,000,000-edge variant.

Reports, for ``--steps`` steps repeated ``--repeats`` times: median seconds per step and per
run, agent-steps/s, edges/s (undirected edges per second of step time), the game and the
imitation timed separately, network build time, and peak RSS (``getrusage``). The target for
the eventual full step (with observation, scoring and consequences) is 100 steps under 20 s
and under 4 GiB at this size.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_simulation_step.py [--agents N] [--m M] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

import numpy as np

from socialcredit.simulation import (
    Fermi,
    PrisonersDilemma,
    PublicGoods,
    ScaleFreeSpec,
    Simulation,
    SimulationConfig,
    TrustGame,
    UpdateContext,
)

GAMES = {
    "public_goods": lambda: PublicGoods(14.0),
    "prisoners_dilemma": lambda: PrisonersDilemma(1.2),
    "trust": lambda: TrustGame(),
}


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def timed(function, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1_000_000)
    parser.add_argument("--m", type=int, default=10, help="Barabási–Albert edges per new agent")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--game", choices=sorted(GAMES), default="public_goods")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    config = SimulationConfig(
        network=ScaleFreeSpec(args.agents, args.m), game=GAMES[args.game](), update=Fermi(0.5)
    )
    start = time.perf_counter()
    sim = Simulation(config, args.seed)
    setup = time.perf_counter() - start
    net, n = sim.network, sim.network.n
    sim.step()  # warm-up: builds the cached adjacency and degree arrays

    step_times: list[float] = []
    run_times: list[float] = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            t0 = time.perf_counter()
            sim.step()
            step_times.append(time.perf_counter() - t0)
        run_times.append(time.perf_counter() - start)

    strategy = sim.population.strategy
    payoff = config.game.payoffs(net, strategy)
    context = UpdateContext(lambda s: config.game.payoffs(net, s), config.game.interaction_radius)
    game_times = timed(lambda: config.game.payoffs(net, strategy), 10)
    update_times = timed(lambda: config.update(net, strategy, payoff, sim.rng, context), 10)

    step = statistics.median(step_times)
    report = {
        "agents": n,
        "undirected_edges": net.num_edges,
        "game": args.game,
        "update": "fermi_synchronous",
        "setup_s (network + population)": round(setup, 2),
        "steps_per_run": args.steps,
        "median_run_s": round(statistics.median(run_times), 2),
        "median_step_ms": round(step * 1e3, 1),
        "p90_step_ms": round(np.percentile(step_times, 90) * 1e3, 1),
        "median_game_ms": round(statistics.median(game_times) * 1e3, 1),
        "median_imitation_ms": round(statistics.median(update_times) * 1e3, 1),
        "agent_steps_per_s": round(n / step),
        "edges_per_s": round(net.num_edges / step),
        "peak_rss_gib": round(peak_rss_gib(), 2),
        "final_cooperation": round(float(np.mean(strategy == 1)), 4),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:34s} {value}")


if __name__ == "__main__":
    main()
