"""Game payoffs: vectorised results against plain loops and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import random_graph

from socialcredit.simulation import (
    Network,
    PrisonersDilemma,
    PublicGoods,
    TrustGame,
    prisoners_dilemma_payoffs,
    public_goods_payoffs,
    square_lattice,
    trust_game_payoffs,
)


def loop_pd(net: Network, s: np.ndarray, t: float, r: float, su: float, p: float, own: bool):  # type: ignore[no-untyped-def]
    table = {(1, 1): r, (1, 0): su, (0, 1): t, (0, 0): p}
    out = np.zeros(net.n)
    for i in range(net.n):
        partners = [*net.neighbours(i), *([i] if own else [])]
        out[i] = sum(table[(s[i], s[j])] for j in partners)
    return out


def loop_pgg(net: Network, s: np.ndarray, r: float, cost: float) -> np.ndarray:
    out = np.zeros(net.n)
    for centre in range(net.n):
        group = [centre, *net.neighbours(centre)]
        pot = r * cost * sum(s[g] for g in group) / len(group)
        for member in group:
            out[member] += pot - cost * s[member]
    return out


@pytest.mark.parametrize("own", [False, True])
def test_prisoners_dilemma_matches_loop(rng: np.random.Generator, own: bool) -> None:
    net = random_graph(60, 0.1, rng)
    s = rng.integers(0, 2, 60).astype(np.int8)
    got = prisoners_dilemma_payoffs(
        net, s, temptation=1.7, reward=1.1, sucker=-0.3, punishment=0.2, self_interaction=own
    )
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, loop_pd(net, s, 1.7, 1.1, -0.3, 0.2, own), rtol=1e-6)


def test_nowak_may_single_defector() -> None:
    net = square_lattice(7, "moore")
    s = np.ones(49, np.int8)
    s[24] = 0
    payoff = PrisonersDilemma(1.85, self_interaction=True).payoffs(net, s)
    assert payoff[24] == pytest.approx(8 * 1.85)  # exploits all eight neighbours
    assert payoff[23] == 8  # seven cooperating neighbours and itself
    assert payoff[0] == 9


def test_public_goods_matches_loop(rng: np.random.Generator) -> None:
    net = random_graph(50, 0.12, rng)
    s = rng.integers(0, 2, 50).astype(np.int8)
    got = public_goods_payoffs(net, s, r=3.3, cost=0.7)
    np.testing.assert_allclose(got, loop_pgg(net, s, 3.3, 0.7), rtol=1e-5, atol=1e-5)


def test_public_goods_on_the_lattice_by_hand() -> None:
    r = 4.0
    net = square_lattice(6)
    s = np.ones(36, np.int8)
    assert np.allclose(PublicGoods(r).payoffs(net, s), 5 * (r - 1))
    s[14] = 0
    payoff = PublicGoods(r).payoffs(net, s)
    assert payoff[14] == pytest.approx(5 * r * 4 / 5)  # five groups, four cooperators each
    # a neighbour shares two groups with the defector, three groups are full
    assert payoff[13] == pytest.approx(2 * (r * 4 / 5 - 1) + 3 * (r - 1))


def test_trust_game_matches_loop(rng: np.random.Generator) -> None:
    net = random_graph(40, 0.15, rng)
    sent, back = rng.random(40), rng.random(40)
    m, e = 3.0, 2.0
    expected = np.zeros(40)
    for i in range(40):
        for j in net.neighbours(i):  # i invests in j
            expected[i] += sent[i] * e * (m * back[j] - 1)
            expected[j] += m * sent[i] * e * (1 - back[j])
    got = trust_game_payoffs(net, sent, back, multiplier=m, endowment=e)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_trust_game_types() -> None:
    net = square_lattice(3)
    game = TrustGame(send=1.0, give_back=0.5, multiplier=3.0)
    all_coop = game.payoffs(net, np.ones(9, np.int8))
    assert np.allclose(all_coop, 4 * (3 * 0.5 - 1) + 4 * 3 * 0.5)  # both roles, 4 partners
    assert np.allclose(game.payoffs(net, np.zeros(9, np.int8)), 0)


@pytest.mark.parametrize(
    "game", [PrisonersDilemma(1.5, self_interaction=True), PublicGoods(3.0), TrustGame()]
)
def test_payoffs_are_float32(game) -> None:  # type: ignore[no-untyped-def]
    # float64 anywhere would make every sparse product convert the whole matrix
    net = square_lattice(4)
    assert game.payoffs(net, np.ones(16, np.int8)).dtype == np.float32


def test_interaction_radii() -> None:
    assert PrisonersDilemma(1.5).interaction_radius == 1
    assert TrustGame().interaction_radius == 1
    assert PublicGoods(3.0).interaction_radius == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: PrisonersDilemma(float("nan")),
        lambda: PublicGoods(0.0),
        lambda: PublicGoods(3.0, cost=-1.0),
        lambda: TrustGame(send=1.5),
        lambda: TrustGame(multiplier=0.0),
    ],
)
def test_games_refuse_bad_parameters(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        make()
