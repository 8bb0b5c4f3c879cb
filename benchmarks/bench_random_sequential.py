"""Benchmark: the engine's compiled random sequential Fermi update against a plain numba loop.

The update: one Monte-Carlo step is ``n`` elementary updates; each draws an agent ``x``
uniformly, one of its neighbours ``y`` uniformly, and copies ``y``'s strategy with probability
``1 / (1 + exp((P_x - P_y) / K))`` on the payoffs as left by the updates before it.

Three implementations run side by side on the same lattice, from the same strategies and
the same seed, alternating, ``--repeats`` times each; the medians are compared:

* **engine** — :func:`socialcredit.simulation.fermi_monte_carlo_compiled`, the update the
  simulator runs for ``update: {kind: fermi_monte_carlo}`` (any network, any built-in game,
  payoff modifiers, susceptibility; draws made by NumPy);
* **plain numba** — the same update written here as the simplest numba loop for this game on
  CSR arrays (no game dispatch, no modifiers), with the same NumPy draws: its result must be
  identical to the engine's, which the benchmark checks;
* **vectorised** — the exact vectorised NumPy update :func:`fermi_monte_carlo` (rounds of
  mutually distant agents), for reference; also checked identical.

Default workload: the spatial public goods game (r = 4.5, cost 1, groups of 5 on a 200 x 200
von Neumann lattice, K = 0.5), 20 Monte-Carlo steps from a random 50/50 start;
``--game prisoners_dilemma`` runs Nowak–May's game (b = 1.9, self-interaction) on the Moore
lattice instead. The ratio engine / plain must stay within 2.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_random_sequential.py [--side 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numba
import numpy as np

from socialcredit.simulation import (
    PrisonersDilemma,
    PublicGoods,
    fermi_monte_carlo,
    fermi_monte_carlo_compiled,
    square_lattice,
)


@numba.njit(cache=True)
def _public_goods_loop(indptr, indices, s, who, pick, accept, r, cost, noise):  # type: ignore[no-untyped-def]
    """The update for the public goods game, written out in one function."""
    scale, rc, c = np.float32(0.5 / noise), np.float32(r * cost), np.float32(cost)
    for k in range(who.size):
        x = who[k]
        deg = indptr[x + 1] - indptr[x]
        y = indices[indptr[x] + min(np.int64(pick[k] * deg), deg - 1)]
        px = py = np.float32(0.0)
        for slot in range(2):
            i = x if slot == 0 else np.int64(y)
            total = np.float32(0.0)
            for g in range(-1, indptr[i + 1] - indptr[i]):
                # g = -1: the group centred on i, then those centred on its neighbours
                j = i if g < 0 else indices[indptr[i] + g]
                count = np.float32(s[j])
                for e in range(indptr[j], indptr[j + 1]):
                    count += np.float32(s[indices[e]])
                share = rc * count / np.float32(indptr[j + 1] - indptr[j] + 1)
                total = share if g < 0 else total + share
            total -= c * np.float32(s[i]) * np.float32(indptr[i + 1] - indptr[i] + 1)
            if slot == 0:
                px = total
            else:
                py = total
        if accept[k] < (np.tanh((py - px) * scale) + np.float32(1.0)) * np.float32(0.5):
            s[x] = s[y]


@numba.njit(cache=True)
def _pd_loop(indptr, indices, s, who, pick, accept, b, unused, noise):  # type: ignore[no-untyped-def]
    """The update for Nowak–May's prisoner's dilemma (R = 1, T = b, S = P = 0, self-play)."""
    scale = np.float32(0.5 / noise)
    for k in range(who.size):
        x = who[k]
        deg = indptr[x + 1] - indptr[x]
        y = indices[indptr[x] + min(np.int64(pick[k] * deg), deg - 1)]
        px = py = np.float32(0.0)
        for slot in range(2):
            i = x if slot == 0 else np.int64(y)
            coop = np.float32(0.0)
            for e in range(indptr[i], indptr[i + 1]):
                coop += np.float32(s[indices[e]])
            value = coop + np.float32(1.0) if s[i] else np.float32(b) * coop
            if slot == 0:
                px = value
            else:
                py = value
        if accept[k] < (np.tanh((py - px) * scale) + np.float32(1.0)) * np.float32(0.5):
            s[x] = s[y]


PLAIN = {"public_goods": _public_goods_loop, "prisoners_dilemma": _pd_loop}


def plain(net, strategy, params, noise, seed, steps, game):  # type: ignore[no-untyped-def]
    """The plain loop, drawing exactly as the engine does (NumPy, per Monte-Carlo step)."""
    rng, s = np.random.default_rng(seed), strategy.copy()
    for _ in range(steps):
        who, pick, accept = rng.integers(0, net.n, net.n), rng.random(net.n), rng.random(net.n)
        PLAIN[game](net.indptr, net.indices, s, who, pick, accept, *params, noise)
    return s


def timed(run: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=200)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--game", choices=sorted(PLAIN), default="public_goods")
    parser.add_argument("--skip-vectorised", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if args.game == "public_goods":
        net, game, params = square_lattice(args.side), PublicGoods(4.5), (4.5, 1.0)
    else:
        game = PrisonersDilemma(1.9, self_interaction=True)
        net, params = square_lattice(args.side, "moore"), (1.9, 0.0)
    start = np.random.default_rng(1).integers(0, 2, net.n).astype(np.int8)
    noise, seed, steps = 0.5, 7, args.steps

    def engine() -> np.ndarray:
        rng = np.random.default_rng(seed)
        return fermi_monte_carlo_compiled(net, start, game, noise, rng, steps=steps)

    def reference() -> np.ndarray:
        return plain(net, start, params, noise, seed, steps, args.game)

    def vectorised() -> np.ndarray:
        rng = np.random.default_rng(seed)
        payoff_of = lambda s: game.payoffs(net, s)  # noqa: E731
        radius = game.interaction_radius
        return fermi_monte_carlo(net, start, payoff_of, noise, rng, radius=radius, steps=steps)

    engine(), reference()  # compile (or load numba's cache) outside the timings
    times: dict[str, list[float]] = {"engine": [], "plain": [], "vectorised": []}
    results = {}
    for _ in range(args.repeats):
        for name, run in (("engine", engine), ("plain", reference)):
            seconds, results[name] = timed(run)
            times[name].append(seconds)
    if not args.skip_vectorised:
        seconds, results["vectorised"] = timed(vectorised)
        times["vectorised"].append(seconds)
    same = {name: bool(np.array_equal(out, results["engine"])) for name, out in results.items()}
    medians = {name: statistics.median(t) for name, t in times.items() if t}
    updates = net.n * steps
    report = {
        "game": args.game,
        "agents": net.n,
        "monte_carlo_steps": steps,
        "repeats": args.repeats,
        "median_seconds": medians,
        "ns_per_update": {k: v / updates * 1e9 for k, v in medians.items()},
        "engine_over_plain": medians["engine"] / medians["plain"],
        "identical_to_engine": same,
        "cooperators_after": float(results["engine"].mean()),
    }
    if "vectorised" in medians:
        report["vectorised_over_engine"] = medians["vectorised"] / medians["engine"]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.game}: {net.n} agents, {steps} Monte-Carlo steps, {args.repeats} repeats")
    for name, seconds in medians.items():
        per = report["ns_per_update"][name]  # type: ignore[index]
        print(f"  {name:<11} median {seconds:8.4f} s  {per:7.1f} ns/update  same: {same[name]}")
    print(f"  engine / plain numba: {report['engine_over_plain']:.2f} (target <= 2)")
    if "vectorised_over_engine" in report:
        print(f"  vectorised / engine:  {report['vectorised_over_engine']:.1f}")


if __name__ == "__main__":
    main()
