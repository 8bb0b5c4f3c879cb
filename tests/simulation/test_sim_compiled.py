"""The compiled random sequential update: the vectorised exact update's result, from a seed.

:func:`fermi_monte_carlo_compiled` draws like :func:`fermi_monte_carlo` and recomputes the
two payoffs of each elementary update locally in the games' float32 arithmetic, so the two
must return the same strategies — for every built-in game, with an institution's payoff
modifier and per-agent susceptibility, on lattices and irregular graphs (isolated agents
included). The one-by-one loop of ``test_sim_imitation`` already pins the vectorised one.
"""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import random_graph

from socialcredit.simulation import (
    FermiMonteCarlo,
    LatticeSpec,
    Network,
    PrisonersDilemma,
    PublicGoods,
    Simulation,
    SimulationConfig,
    TrustGame,
    fermi_monte_carlo,
    fermi_monte_carlo_compiled,
    small_world,
    square_lattice,
)
from socialcredit.simulation._mc_kernel import PD, PG, TRUST

CASES = [
    (square_lattice(12), PublicGoods(4.2)),
    (square_lattice(10, "moore"), PrisonersDilemma(1.3, self_interaction=True)),
    (square_lattice(9, "moore"), PrisonersDilemma(1.6, 0.9, -0.2, 0.1)),
    (random_graph(150, 0.03, np.random.default_rng(8)), PublicGoods(3.5, cost=0.7)),
    (small_world(200, 6, 0.1, np.random.default_rng(1)), TrustGame(0.6, 0.3, 2.5, 1.5)),
]


@pytest.mark.parametrize("extras", [False, True])
@pytest.mark.parametrize(("net", "game"), CASES)
def test_compiled_equals_the_vectorised_exact_update(net: Network, game, extras: bool) -> None:  # type: ignore[no-untyped-def]
    s = np.random.default_rng(2).integers(0, 2, net.n).astype(np.int8)
    modifier = np.random.default_rng(5).normal(size=net.n).astype(np.float32) if extras else None
    sus = np.random.default_rng(6).random(net.n).astype(np.float32) if extras else None

    def payoff_of(strategy: np.ndarray) -> np.ndarray:
        base = game.payoffs(net, strategy)
        return base if modifier is None else base + modifier

    radius = game.interaction_radius
    exact = fermi_monte_carlo(
        net, s, payoff_of, 0.5, np.random.default_rng(3), radius=radius, steps=5, susceptibility=sus
    )
    compiled = fermi_monte_carlo_compiled(
        net, s, game, 0.5, np.random.default_rng(3), steps=5, modifier=modifier, susceptibility=sus
    )
    np.testing.assert_array_equal(compiled, exact)
    assert not np.array_equal(compiled, s)


def test_kernel_codes_match_the_games() -> None:
    assert PrisonersDilemma(1.5).kernel_parameters()[0] == PD
    assert PublicGoods(4.0).kernel_parameters()[0] == PG
    assert TrustGame().kernel_parameters()[0] == TRUST


def run(compiled: bool, seed: int) -> np.ndarray:
    config = SimulationConfig(
        network=LatticeSpec(20),
        game=PublicGoods(4.5),
        update=FermiMonteCarlo(0.5, compiled=compiled),
        metrics=("cooperation",),
    )
    return Simulation(config, seed).run(15)["cooperation"]


def test_the_rule_runs_compiled_and_is_reproducible_from_its_seed() -> None:
    np.testing.assert_array_equal(run(True, 4), run(False, 4))
    np.testing.assert_array_equal(run(True, 4), run(True, 4))
    assert not np.array_equal(run(True, 4), run(True, 5))


def test_a_game_without_kernel_is_refused() -> None:
    class Custom:
        interaction_radius = 1

        def payoffs(self, network: Network, strategy: np.ndarray) -> np.ndarray:
            return np.zeros(network.n, np.float32)

    with pytest.raises(ValueError, match="no compiled kernel"):
        fermi_monte_carlo_compiled(
            square_lattice(3), np.zeros(9, np.int8), Custom(), 0.5, np.random.default_rng(0)
        )
