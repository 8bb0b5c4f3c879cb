"""The compiled parts of the lab's step equal, bit for bit, the NumPy forms they replace
(written out here as they stood): perception counts, trust-game beliefs, random neighbours,
Fermi imitation, perceived risks and the public goods payoffs."""

from __future__ import annotations

import numpy as np
import pytest

from socialcredit.simulation import (
    Network,
    fermi_probability,
    fermi_synchronous,
    prisoners_dilemma_payoffs,
    public_goods_payoffs,
    scale_free,
    small_world,
)
from socialcredit.simulation._decisions import Perception, trust_game
from socialcredit.simulation._scenario import Behaviour
from socialcredit.simulation._sparse import random_neighbours
from socialcredit.simulation._step_kernels import public_goods, unsigned


def networks() -> list[Network]:
    isolated = Network.from_edges(50, np.array([0, 1, 2]), np.array([1, 2, 3]))
    return [
        small_world(300, 6, 0.2, np.random.default_rng(1)),
        scale_free(300, 3, np.random.default_rng(2)),
        isolated,
    ]


def numpy_learn(counts: np.ndarray, memory: float, partner: np.ndarray, *seen: np.ndarray) -> None:
    violated, sanctioned, expressed, punished = seen
    counts *= np.float32(1 - memory)
    hit, spoke = violated & sanctioned, expressed & punished
    for who in (slice(None), partner):
        for row, mask in enumerate(
            (violated, hit, ~violated, sanctioned & ~violated, expressed, spoke)
        ):
            np.add(counts[row], np.float32(1), out=counts[row], where=mask[who])


@pytest.mark.parametrize(("seed", "index"), [(0, np.int32), (1, np.int64), (2, np.int32)])
def test_perception_learns_as_the_numpy_counts(seed: int, index: type) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    behaviour = Behaviour(memory=float(rng.uniform(0.05, 0.5)))
    perception, reference = Perception(n, behaviour), np.zeros((6, n), dtype=np.float32)
    for _ in range(20):
        partner = rng.integers(0, n, n).astype(index)
        seen = [rng.random(n) < p for p in (0.3, 0.5, 0.2, 0.4)]
        perception.learn(partner, *seen)
        numpy_learn(reference, behaviour.memory, partner, *seen)
    assert np.array_equal(perception._counts, reference)
    assert perception.detection.dtype == np.float32


def numpy_trust(
    x_n: np.ndarray, x_s: np.ndarray, partner: np.ndarray, betrays: np.ndarray, memory: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    n, m = partner.size, np.float32(memory)
    rng = np.random.default_rng(99)
    stranger = rng.integers(0, n, n)
    kept_n, kept_s = betrays[partner] & (partner != np.arange(n)), betrays[stranger]
    chosen = np.zeros(n, dtype=bool)
    chosen[partner] = True
    chosen[stranger] = True
    invested = (x_n.copy(), x_s.copy())
    honoured = 1.0 - float(np.count_nonzero(kept_n) + np.count_nonzero(kept_s)) / (2 * n)
    for belief, kept in ((x_n, kept_n), (x_s, kept_s)):
        belief *= np.float32(1) - m
        np.add(belief, m, out=belief, where=~kept)
    return invested[0], invested[1], betrays & chosen, honoured, stranger


def test_trust_game_moves_beliefs_as_the_numpy_form() -> None:
    rng = np.random.default_rng(5)
    n = 400
    perception = Perception(n, Behaviour(memory=0.3))
    x_n, x_s = perception.trust_neighbours.copy(), perception.trust_strangers.copy()
    for _ in range(15):
        partner = rng.integers(0, n, n).astype(np.int32)
        partner[:7] = np.arange(7)  # agents without a neighbour meet themselves
        betrays = rng.random(n) < 0.3
        got = trust_game(perception, partner, betrays, np.random.default_rng(99))
        inv_n, inv_s, betrayed, honoured, stranger = numpy_trust(x_n, x_s, partner, betrays, 0.3)
        assert np.array_equal(got.stranger, stranger)
        assert np.array_equal(got.invested_neighbour, inv_n)
        assert np.array_equal(got.invested_stranger, inv_s)
        assert np.array_equal(got.betrayed, betrayed) and got.honoured == honoured
        assert np.array_equal(perception.trust_neighbours, x_n)
        assert np.array_equal(perception.trust_strangers, x_s)


@pytest.mark.parametrize("seed", [0, 1])
def test_random_neighbours_pick_as_the_numpy_form(seed: int) -> None:
    network = scale_free(2000, 3, np.random.default_rng(seed))
    uniform = np.random.default_rng(seed + 10).random(network.n, dtype=np.float32)
    uniform[:3] = np.nextafter(np.float32(1), np.float32(0))  # the largest draw below 1
    deg, starts = network.degree, network.indptr[:-1]
    offset = np.minimum((uniform * deg).astype(starts.dtype), deg - 1)
    expected = network.indices[starts + offset]
    assert np.array_equal(random_neighbours(network, None, uniform), expected)
    some = np.arange(0, network.n, 3)
    assert np.array_equal(random_neighbours(network, some, uniform[some]), expected[some])


@pytest.mark.parametrize("noise", [0.1, 0.5, 2.0])
def test_fermi_imitation_adopts_as_the_numpy_form(noise: float) -> None:
    network = small_world(3000, 6, 0.1, np.random.default_rng(4))
    strategy = (np.random.default_rng(5).random(network.n) < 0.5).astype(np.int8)
    payoff = (np.random.default_rng(6).normal(0, 5, network.n)).astype(np.float32)
    payoff[:10] = [1e6, -1e6, 0, 0, 3, 3, 1e-7, -1e-7, 50, -50]  # saturation and ties
    got = fermi_synchronous(network, strategy, payoff, noise, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    y = random_neighbours(network, None, rng.random(network.n, dtype=np.float32))
    p = fermi_probability(payoff, payoff[y], noise)
    adopt = rng.random(p.size, dtype=np.float32) < p
    assert np.array_equal(got, np.where(adopt, strategy[y], strategy))


def test_estimates_equal_the_numpy_formulas() -> None:
    rng = np.random.default_rng(11)
    n = 1000
    behaviour = Behaviour(memory=0.3, prior_detection=0.15, prior_strength=3.5)
    perception = Perception(n, behaviour)
    for _ in range(6):
        partner = rng.integers(0, n, n).astype(np.int32)
        perception.learn(partner, *(rng.random(n) < p for p in (0.4, 0.3, 0.2, 0.5)))
    vt, vh, it, ih, et, eh = perception._counts
    a, s = np.float32(0.15 * 3.5), np.float32(3.5)
    detection = (vh + a) / (vt + s)
    arbitrary = (ih + np.float32(0.0)) / (it + s)
    assert np.array_equal(perception.detection, detection)
    assert np.array_equal(perception.deterrence, np.maximum(detection - arbitrary, np.float32(0)))
    assert np.array_equal(perception.expression_risk, (eh + a) / (et + s))
    assert not perception.detection.flags.writeable
    before = perception.detection
    perception.learn(np.arange(n), *(np.ones(n, dtype=bool) for _ in range(4)))
    assert not np.array_equal(perception.detection, before)  # recomputed after learning


def scipy_public_goods(network: Network, strategy: np.ndarray, r: float, cost: float) -> np.ndarray:
    c = np.asarray(strategy, dtype=np.float32)
    group_size = network.degree_float + np.float32(1.0)
    share = (np.float32(r * cost) * (c + network.adjacency @ c)) / group_size
    payoff = share + network.adjacency @ share
    payoff -= np.float32(cost) * c * group_size
    return payoff


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_public_goods_payoffs_equal_the_scipy_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hub = Network.from_edges(400, np.zeros(399, dtype=np.int32), np.arange(1, 400))
    for network in [*networks(), hub]:
        for share in (0.0, 0.5, 0.93, 1.0):
            strategy = (rng.random(network.n) < share).astype(np.int8)
            r, cost = float(rng.uniform(1.1, 20.0)), float(rng.uniform(0.1, 3.0))
            got = public_goods_payoffs(network, strategy, r=r, cost=cost)
            assert got.dtype == np.float32
            assert np.array_equal(got, scipy_public_goods(network, strategy, r, cost))
            as_bool = public_goods_payoffs(network, strategy.astype(bool), r=r, cost=cost)
            assert np.array_equal(as_bool, got)
        codes = rng.integers(0, 3, network.n).astype(np.int8)  # not only 0/1: not packed
        got = public_goods_payoffs(network, codes, r=4.0, cost=1.0)
        assert np.array_equal(got, scipy_public_goods(network, codes, 4.0, 1.0))


def test_public_goods_kernel_reads_signed_or_unsigned_offsets() -> None:
    network = scale_free(500, 4, np.random.default_rng(3))
    strategy = (np.random.default_rng(4).random(network.n) < 0.4).astype(np.int8)
    args = (strategy, network.degree_float, np.float32(5.0), np.float32(1.0))
    signed = public_goods(network.indptr, network.indices, *args)
    assert unsigned(network.indices).dtype == np.uint32
    assert np.array_equal(
        signed, public_goods(unsigned(network.indptr), unsigned(network.indices), *args)
    )
    assert unsigned(network.indices.astype(np.int64)).dtype == np.uint64


def scipy_prisoners_dilemma(
    network: Network, strategy: np.ndarray, values: tuple[float, ...], own: bool
) -> np.ndarray:
    t, r, s, p = (np.float32(v) for v in values)
    c = np.asarray(strategy, dtype=np.float32)
    n_coop = network.adjacency @ c
    n_def = network.degree_float - n_coop
    coop, defect = r * n_coop + s * n_def, t * n_coop + p * n_def
    if own:
        coop += r
        defect += p
    return np.where(c > 0, coop, defect)


@pytest.mark.parametrize("own", [False, True])
def test_prisoners_dilemma_payoffs_equal_the_scipy_form(own: bool) -> None:
    rng = np.random.default_rng(8)
    for network in networks():
        for share in (0.0, 0.3, 1.0):
            strategy = (rng.random(network.n) < share).astype(np.int8)
            values = tuple(float(v) for v in rng.uniform(-2.0, 3.0, 4))
            t, r, s, p = values
            got = prisoners_dilemma_payoffs(
                network,
                strategy,
                temptation=t,
                reward=r,
                sucker=s,
                punishment=p,
                self_interaction=own,
            )
            assert got.dtype == np.float32
            assert np.array_equal(got, scipy_prisoners_dilemma(network, strategy, values, own))
