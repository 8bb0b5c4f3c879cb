"""The vectorised engine against its Mesa twin (``mesa_twin.py``): same rules, same statistics.

Scenario: spatial public goods game (``r = 5.5``, cost 1) with synchronous Fermi imitation
(``K = 0.5``) on Watts–Strogatz small worlds (900 agents, ``k = 4``, ``p = 0.1``), half
cooperators at the start. The small world rather than a lattice because its degrees vary,
so the group sizes ``G_j = degree_j + 1`` — the subtle part of the payoff — are exercised.

Why these parameters: at ``r = 5.5`` the run is still genuinely mixed after 30 steps (about
40 % cooperators, seed-to-seed s.d. about 0.065), and steeply dependent on ``r`` (about 25 %
at ``r = 5.0``, nearly none below 4), so the statistic is sensitive to the rules instead of
being pinned at 0 or 1. The measured statistic of a run is the mean over its last 10 steps.

Agreement criterion: with ``SEEDS`` independent runs of each implementation, the difference
of the means must stay below ``Z_LIMIT = 4`` combined standard errors
``sqrt(s1²/n1 + s2²/n2)``. Under the null (same rules) that is a Welch ``|t| > 4`` with
about 38 degrees of freedom, a chance of ~3e-4; and the negative control shows that the
criterion has teeth: the twin at ``r = 5.0`` sits about 11 standard errors away.

Random streams differ between the implementations, so only statistics are compared. Each
seed ``i`` builds one graph, with the project's generator, and both implementations run on
that identical graph. Everything is seeded: the outcome is the same on every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from mesa_twin import PublicGoodsModel, neighbour_lists

from socialcredit.simulation import (
    Fermi,
    Network,
    PublicGoods,
    Simulation,
    SimulationConfig,
    fermi_synchronous,
    public_goods_payoffs,
    small_world,
)

N_AGENTS = 900
DEGREE = 4
REWIRING = 0.1
R = 5.5
NOISE = 0.5
STEPS = 30
LATE = 10
SEEDS = 20
Z_LIMIT = 4.0
GRAPH_ENTROPY = 20240601
TWIN_SEED_OFFSET = 10_000  # twin seeds never coincide with the engine's, as a reminder


@dataclass(frozen=True)
class Sample:
    """Per-run late-window means of one implementation over all seeds."""

    cooperation: np.ndarray
    mean_payoff: np.ndarray


def graph(i: int, n: int = N_AGENTS) -> Network:
    """The ``i``-th small world, built by the project's own generator."""
    rng = np.random.default_rng(np.random.SeedSequence([GRAPH_ENTROPY, i]))
    return small_world(n, DEGREE, REWIRING, rng)


def engine_sample(r: float = R) -> Sample:
    """Run the vectorised engine once per seed on graph ``i``."""
    coop, pay = [], []
    for i in range(SEEDS):
        config = SimulationConfig(network=graph(i), game=PublicGoods(r), update=Fermi(NOISE))
        table = Simulation(config, i).run(STEPS)
        coop.append(table["cooperation"][-LATE:].mean())
        pay.append(table["mean_payoff"][-LATE:].mean())
    return Sample(np.array(coop), np.array(pay))


def twin_sample(r: float = R) -> Sample:
    """Run the Mesa twin once per seed on the same graph ``i``."""
    coop, pay = [], []
    for i in range(SEEDS):
        model = PublicGoodsModel(
            neighbour_lists(graph(i)), r=r, noise=NOISE, seed=TWIN_SEED_OFFSET + i
        )
        table = model.run(STEPS)
        coop.append(table["cooperation"][-LATE:].mean())
        pay.append(table["mean_payoff"][-LATE:].mean())
    return Sample(np.array(coop), np.array(pay))


def z_score(a: np.ndarray, b: np.ndarray) -> float:
    """Difference of means in units of its combined (Welch) standard error."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float((a.mean() - b.mean()) / se)


@pytest.fixture(scope="module")
def engine() -> Sample:
    """The engine's sample, shared by the agreement test and the negative control."""
    return engine_sample()


def test_twin_payoffs_equal_the_engine_payoffs_exactly() -> None:
    # the payoff definition is deterministic, so it is compared value by value
    network = graph(99, n=300)
    strategy = (np.random.default_rng(5).random(network.n) < 0.5).astype(np.int8)
    model = PublicGoodsModel(neighbour_lists(network), r=R, seed=0)
    model.set_strategies(strategy)
    model.play()
    expected = public_goods_payoffs(network, strategy, r=R)
    # float32 in the engine against float64 here: payoffs are O(10), so 1e-4 is generous
    np.testing.assert_allclose(model.payoffs(), expected, rtol=0, atol=1e-4)
    np.testing.assert_array_equal(model.strategies(), strategy)


FLIP_NOISE = 2.0  # payoff gaps are O(1-4) here, so K = 2 leaves most probabilities in (0, 1)
FLIP_REPEATS = 200


def flip_probabilities(network: Network, strategy: np.ndarray, payoff: np.ndarray) -> np.ndarray:
    """Exact chance that each agent switches in one synchronous Fermi update (plain loops).

    Agent ``x`` picks each neighbour ``y`` with probability ``1 / degree_x`` and then
    switches only if ``y`` plays the other strategy, with the Fermi probability.
    """
    q = np.zeros(network.n)
    for x in range(network.n):
        ys = network.neighbours(x)
        fermi = 1.0 / (1.0 + np.exp((payoff[x] - payoff[ys]) / FLIP_NOISE))
        q[x] = np.mean((strategy[ys] != strategy[x]) * fermi)
    return q


def chi_square_z(switches: np.ndarray, q: np.ndarray, repeats: int) -> float:
    """Standardised chi-square of per-agent switch counts against their exact probabilities.

    Only agents with ``0.02 < q < 0.98`` enter: in the far tails a binomial count is too
    skewed for its chi-square term to be well behaved. Under the rule, the sum over ``m``
    agents has mean ``m`` and s.d. ``sqrt(2 m)``, so the result is roughly standard normal.
    """
    mid = (q > 0.02) & (q < 0.98)
    expected, variance = repeats * q[mid], repeats * q[mid] * (1 - q[mid])
    statistic = float(((switches[mid] - expected) ** 2 / variance).sum())
    m = int(mid.sum())
    return (statistic - m) / math.sqrt(2 * m)


def twin_switches(network: Network, strategy: np.ndarray, noise: float, repeats: int) -> np.ndarray:
    """How often each agent switched over ``repeats`` one-step twin runs from ``strategy``."""
    neighbours = neighbour_lists(network)
    switches = np.zeros(network.n)
    for seed in range(repeats):
        model = PublicGoodsModel(neighbours, r=R, noise=noise, seed=seed)
        model.set_strategies(strategy)
        model.step()
        switches += model.strategies() != strategy
    return switches


def test_one_synchronous_update_switches_each_agent_with_the_rule_probability() -> None:
    # For fixed strategies and payoffs, one update switches agent x with a known probability
    # q_x; the per-agent switch counts of both implementations must fit those probabilities.
    # A plain count of all switches would not do: it barely moves when K changes.
    network = graph(98, n=400)
    strategy = (np.random.default_rng(6).random(network.n) < 0.5).astype(np.int8)
    payoff = public_goods_payoffs(network, strategy, r=R).astype(np.float64)
    q = flip_probabilities(network, strategy, payoff)

    rng = np.random.default_rng(7)
    engine = np.zeros(network.n)
    for _ in range(FLIP_REPEATS):
        engine += fermi_synchronous(network, strategy, payoff, FLIP_NOISE, rng) != strategy
    twin = twin_switches(network, strategy, FLIP_NOISE, FLIP_REPEATS)

    for switches in (engine, twin):
        assert not switches[q == 0].any()  # no different neighbour: never switches
        assert abs(chi_square_z(switches, q, FLIP_REPEATS)) < Z_LIMIT
    # negative control: the same twin with K = 1.5 instead of 2 must be caught
    wrong = twin_switches(network, strategy, 1.5, FLIP_REPEATS)
    assert chi_square_z(wrong, q, FLIP_REPEATS) > Z_LIMIT


def test_same_seed_replays_the_twin_and_another_seed_does_not() -> None:
    neighbours = neighbour_lists(graph(97, n=200))
    runs = [PublicGoodsModel(neighbours, r=R, seed=s).run(5) for s in (3, 3, 4)]
    np.testing.assert_array_equal(runs[0]["cooperation"], runs[1]["cooperation"])
    np.testing.assert_array_equal(runs[0]["mean_payoff"], runs[1]["mean_payoff"])
    assert not np.array_equal(runs[0]["mean_payoff"], runs[2]["mean_payoff"])


def test_engine_and_mesa_twin_agree_within_sampling_error(engine: Sample) -> None:
    twin = twin_sample()
    # the regime is genuinely mixed, otherwise agreement would prove nothing
    for sample in (engine, twin):
        assert 0.2 < sample.cooperation.mean() < 0.8
        assert sample.cooperation.std(ddof=1) > 0
    assert abs(z_score(engine.cooperation, twin.cooperation)) < Z_LIMIT
    assert abs(z_score(engine.mean_payoff, twin.mean_payoff)) < Z_LIMIT


def test_negative_control_a_twin_with_another_r_is_detected(engine: Sample) -> None:
    # r = 5.0 instead of 5.5: a modest change of rules the comparison must not miss
    other = twin_sample(r=5.0)
    assert z_score(engine.cooperation, other.cooperation) > Z_LIMIT
    assert z_score(engine.mean_payoff, other.mean_payoff) > Z_LIMIT
