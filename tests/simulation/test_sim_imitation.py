"""Update rules: against plain loops, by hand, and statistically."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from sim_helpers import random_graph

from socialcredit.simulation import (
    Network,
    PrisonersDilemma,
    PublicGoods,
    best_neighbour,
    fermi_monte_carlo,
    fermi_probability,
    fermi_synchronous,
    square_lattice,
)


def loop_best_neighbour(net: Network, s: np.ndarray, payoff: np.ndarray) -> np.ndarray:
    out = s.copy()
    for i in range(net.n):
        block = [i, *net.neighbours(i)]
        top = max(payoff[j] for j in block)
        winners = {int(s[j]) for j in block if payoff[j] == top}
        if int(s[i]) not in winners:
            out[i] = min(winners)
    return out


@pytest.mark.parametrize("n_strategies", [2, 3])
def test_best_neighbour_matches_loop(rng: np.random.Generator, n_strategies: int) -> None:
    net = random_graph(120, 0.05, rng)
    s = rng.integers(0, n_strategies, 120).astype(np.int8)
    payoff = rng.integers(0, 4, 120).astype(np.float32)  # coarse, so ties are common
    got = best_neighbour(net, s, payoff, n_strategies=n_strategies)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, loop_best_neighbour(net, s, payoff))


def test_best_neighbour_grows_a_single_defector_into_a_block() -> None:
    net = square_lattice(9, "moore")
    s = np.ones(81, np.int8)
    s[40] = 0  # the centre, (4, 4)
    game = PrisonersDilemma(1.85, self_interaction=True)
    s = best_neighbour(net, s, game.payoffs(net, s))
    defectors = np.argwhere(s.reshape(9, 9) == 0)
    assert defectors.min(axis=0).tolist() == [3, 3] and defectors.max(axis=0).tolist() == [5, 5]
    assert len(defectors) == 9


def test_best_neighbour_refuses_unknown_codes() -> None:
    net = square_lattice(3)
    with pytest.raises(ValueError, match="strategy codes"):
        best_neighbour(net, np.full(9, 2, np.int8), np.zeros(9))


def test_fermi_probability() -> None:
    assert fermi_probability(np.array([1.0]), np.array([1.0]), 0.5)[0] == 0.5
    p = fermi_probability(np.array([0.0, 1e6]), np.array([1e6, 0.0]), 0.1)  # no overflow
    assert p.tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="noise"):
        fermi_probability(np.zeros(1), np.zeros(1), 0.0)


def checkerboard(side: int) -> np.ndarray:
    return (np.indices((side, side)).sum(axis=0).ravel() % 2).astype(np.int8)


def test_fermi_synchronous_adopts_at_the_fermi_rate() -> None:
    side, noise = 100, 1.0
    net = square_lattice(side)  # on a checkerboard every neighbour plays the other strategy
    s = checkerboard(side)
    payoff = s.astype(np.float32)  # strategy 1 earns 1, strategy 0 earns 0
    new = fermi_synchronous(net, s, payoff, noise, np.random.default_rng(4))
    for code, rate in ((0, expit(1.0)), (1, expit(-1.0))):
        players = s == code
        switched = np.mean(new[players] != code)
        assert abs(switched - rate) < 4 * np.sqrt(rate * (1 - rate) / players.sum())


def test_fermi_synchronous_fraction_and_susceptibility() -> None:
    net = square_lattice(50)
    s = checkerboard(50)
    payoff = np.where(s == 1, 100.0, 0.0)  # strategy 0 copies whenever asked
    rng = np.random.default_rng(0)
    none = fermi_synchronous(net, s, payoff, 0.5, rng, fraction=0.0)
    assert np.array_equal(none, s)
    immune = fermi_synchronous(net, s, payoff, 0.5, rng, susceptibility=np.zeros(2500))
    assert np.array_equal(immune, s)
    some = fermi_synchronous(net, s, payoff, 0.5, rng, fraction=0.3)
    assert np.mean(some[s == 0] == 1) == pytest.approx(0.3, abs=0.05)
    assert np.array_equal(some[s == 1], s[s == 1])


def test_fermi_synchronous_leaves_isolated_agents_and_input_alone() -> None:
    net = Network.from_edges(4, np.array([0]), np.array([1]))
    s = np.array([0, 1, 0, 1], np.int8)
    before = s.copy()
    new = fermi_synchronous(net, s, np.array([0.0, 50.0, 0.0, 0.0]), 0.1, np.random.default_rng(1))
    assert new.tolist() == [1, 1, 0, 1]
    assert np.array_equal(s, before)


def loop_monte_carlo(  # type: ignore[no-untyped-def]
    net: Network, s: np.ndarray, payoff_of, noise: float, rng: np.random.Generator, steps: int
) -> np.ndarray:
    """Random sequential updating one elementary step at a time, drawing like the real one."""
    s = s.copy()
    for _ in range(steps):
        who, pick, accept = rng.integers(0, net.n, net.n), rng.random(net.n), rng.random(net.n)
        for k in range(net.n):
            x = who[k]
            deg = net.degree[x]
            if deg == 0:
                continue
            y = net.neighbours(x)[min(int(pick[k] * deg), deg - 1)]
            payoff = payoff_of(s)
            if accept[k] < expit((payoff[y] - payoff[x]) / noise):
                s[x] = s[y]
    return s


@pytest.mark.parametrize(
    ("net", "game"),
    [
        (square_lattice(12), PublicGoods(4.2)),
        (square_lattice(10, "moore"), PrisonersDilemma(1.3, self_interaction=True)),
        (random_graph(150, 0.03, np.random.default_rng(8)), PublicGoods(3.5)),
    ],
)
def test_monte_carlo_equals_one_by_one_updating(net: Network, game) -> None:  # type: ignore[no-untyped-def]
    s = np.random.default_rng(2).integers(0, 2, net.n).astype(np.int8)

    def payoff_of(strategy: np.ndarray) -> np.ndarray:
        return game.payoffs(net, strategy)

    radius = game.interaction_radius
    fast = fermi_monte_carlo(
        net, s, payoff_of, 0.5, np.random.default_rng(3), radius=radius, steps=3
    )
    slow = loop_monte_carlo(net, s, payoff_of, 0.5, np.random.default_rng(3), steps=3)
    np.testing.assert_array_equal(fast, slow)
    assert not np.array_equal(fast, s)


def test_monte_carlo_with_too_small_a_radius_is_not_sequential() -> None:
    """The radius matters: treating groups as pairwise breaks the equivalence (guards the test)."""
    net, game = square_lattice(12), PublicGoods(4.2)
    s = np.random.default_rng(2).integers(0, 2, net.n).astype(np.int8)

    def payoff_of(strategy: np.ndarray) -> np.ndarray:
        return game.payoffs(net, strategy)

    wrong = fermi_monte_carlo(net, s, payoff_of, 0.5, np.random.default_rng(3), radius=1, steps=3)
    slow = loop_monte_carlo(net, s, payoff_of, 0.5, np.random.default_rng(3), steps=3)
    assert not np.array_equal(wrong, slow)


@pytest.mark.parametrize("kwargs", [{"radius": 0}, {"radius": 2, "steps": 0}])
def test_monte_carlo_refuses_bad_parameters(kwargs: dict[str, int]) -> None:
    net = square_lattice(3)
    with pytest.raises(ValueError):
        fermi_monte_carlo(
            net, np.zeros(9, np.int8), np.zeros_like, 0.5, np.random.default_rng(0), **kwargs
        )
