"""Network generators: structure, degree distributions, reproducibility, bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import assert_simple_undirected

from socialcredit.simulation import (
    Network,
    scale_free,
    small_world,
    square_lattice,
    stochastic_blocks,
)
from socialcredit.simulation._networks import _triangle_pair


def same(a: Network, b: Network) -> bool:
    return np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)


@pytest.mark.parametrize(("neighbourhood", "k"), [("von_neumann", 4), ("moore", 8)])
def test_lattice_is_regular_torus(neighbourhood: str, k: int) -> None:
    net = square_lattice(7, neighbourhood, rows=5)  # type: ignore[arg-type]
    assert net.n == 35
    assert np.all(net.degree == k)
    assert net.num_edges == 35 * k // 2
    assert_simple_undirected(net)


def test_lattice_wraps_around() -> None:
    von_neumann = square_lattice(5)
    assert von_neumann.neighbours(0).tolist() == [1, 4, 5, 20]
    moore = square_lattice(5, "moore")
    assert moore.neighbours(0).tolist() == [1, 4, 5, 6, 9, 20, 21, 24]


@pytest.mark.parametrize("kwargs", [{"side": 2}, {"side": 5, "rows": 2}])
def test_lattice_refuses_tiny_sides(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=">= 3"):
        square_lattice(**kwargs)


def test_lattice_refuses_unknown_neighbourhood() -> None:
    with pytest.raises(ValueError, match="neighbourhood"):
        square_lattice(5, "hexagonal")  # type: ignore[arg-type]


def test_small_world_without_rewiring_is_a_ring() -> None:
    net = small_world(20, 4, 0.0, np.random.default_rng(1))
    assert np.all(net.degree == 4)
    assert net.neighbours(0).tolist() == [1, 2, 18, 19]


def test_small_world_keeps_edge_count_and_own_edges(rng: np.random.Generator) -> None:
    n, k = 2000, 10
    net = small_world(n, k, 0.3, rng)
    assert net.num_edges == n * k // 2
    # every agent keeps the k/2 edges it started, only their far ends move
    assert net.degree.min() >= k // 2
    assert net.degree.max() > k  # rewired ends pile up somewhere
    assert_simple_undirected(net)


def test_small_world_rewires_the_expected_share(rng: np.random.Generator) -> None:
    n, k, p = 5000, 6, 0.2
    u, v = small_world(n, k, p, rng).edges()
    gap = np.minimum((v - u) % n, (u - v) % n)
    ring_edges = np.count_nonzero(gap <= k // 2)
    moved = 1 - ring_edges / (n * k // 2)
    # a rewired edge lands back on the ring with probability ~k/n: negligible here
    assert moved == pytest.approx(p, abs=0.015)


@pytest.mark.parametrize(
    ("n", "k", "p"), [(10, 3, 0.1), (10, 0, 0.1), (10, 10, 0.1), (10, 4, 1.5), (0, 2, 0.1)]
)
def test_small_world_refuses_bad_parameters(n: int, k: int, p: float) -> None:
    with pytest.raises(ValueError):
        small_world(n, k, p, np.random.default_rng(0))


def test_scale_free_counts_and_minimum_degree(rng: np.random.Generator) -> None:
    n, m = 3000, 4
    net = scale_free(n, m, rng)
    assert net.num_edges == m * (m + 1) // 2 + m * (n - m - 1)
    assert net.degree.min() == m
    assert_simple_undirected(net)


def test_scale_free_degree_tail_follows_the_model() -> None:
    """P(K >= k) = m (m + 1) / (k (k + 1)) for the Barabási–Albert model (Dorogovtsev,
    Mendes & Samukhin 2000); checked on 200,000 agents within 10 % where it has mass."""
    n, m = 200_000, 3
    degree = scale_free(n, m, np.random.default_rng(5)).degree
    for k in (6, 12, 24, 48):
        expected = m * (m + 1) / (k * (k + 1))
        assert np.mean(degree >= k) == pytest.approx(expected, rel=0.1)
    assert degree.max() > 50 * 2 * m  # hubs: far above the mean degree 2m


def test_scale_free_early_agents_become_hubs(rng: np.random.Generator) -> None:
    degree = scale_free(20_000, 2, rng).degree
    assert degree[:100].mean() > 5 * degree[-10_000:].mean()


def test_scale_free_smallest_case() -> None:
    net = scale_free(2, 1, np.random.default_rng(0))
    assert net.edges()[0].tolist() == [0] and net.edges()[1].tolist() == [1]


@pytest.mark.parametrize(("n", "m"), [(5, 0), (3, 3), (2, 5)])
def test_scale_free_refuses_bad_parameters(n: int, m: int) -> None:
    with pytest.raises(ValueError):
        scale_free(n, m, np.random.default_rng(0))


def test_blocks_edge_counts_match_probabilities(rng: np.random.Generator) -> None:
    sizes = [400, 600]
    p = np.array([[0.05, 0.002], [0.002, 0.03]])
    net = stochastic_blocks(sizes, p, rng)
    assert_simple_undirected(net)
    u, v = net.edges()
    block = (np.arange(net.n) >= 400).astype(int)
    pairs = {(0, 0): 400 * 399 / 2, (0, 1): 400 * 600, (1, 1): 600 * 599 / 2}
    for (a, b), count in pairs.items():
        observed = np.count_nonzero((block[u] == a) & (block[v] == b))
        mean = count * p[a, b]
        assert abs(observed - mean) < 5 * np.sqrt(mean), (a, b, observed, mean)


def test_blocks_extremes() -> None:
    net = stochastic_blocks([5, 4], np.array([[1.0, 0.0], [0.0, 1.0]]), np.random.default_rng(0))
    assert net.num_edges == 10 + 6
    assert np.all(net.degree == [4] * 5 + [3] * 4)


def test_blocks_sample_sparsely_at_scale() -> None:
    # 10**12 possible pairs: only works if nothing of size n**2 is ever built
    n = 1_000_000
    p = np.array([[5e-6]])
    net = stochastic_blocks([n], p, np.random.default_rng(3))
    assert net.num_edges == pytest.approx(n * (n - 1) / 2 * 5e-6, rel=0.01)


@pytest.mark.parametrize(
    ("sizes", "p"),
    [
        ([3, 0], [[0.1, 0.1], [0.1, 0.1]]),
        ([3, 3], [[0.1, 0.2], [0.3, 0.1]]),
        ([3, 3], [[0.1, 0.1]]),
        ([3], [[1.5]]),
    ],
)
def test_blocks_refuse_bad_parameters(sizes: list[int], p: list[list[float]]) -> None:
    with pytest.raises(ValueError):
        stochastic_blocks(sizes, np.array(p), np.random.default_rng(0))


def test_triangle_index_inverts_exactly() -> None:
    t = np.concatenate([np.arange(100_000), np.array([499_999_499_999, 10**12 - 7])])
    i, j = _triangle_pair(t)
    assert np.all((i >= 0) & (i < j))
    assert np.array_equal(j * (j - 1) // 2 + i, t)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: small_world(500, 4, 0.2, rng),
        lambda rng: scale_free(500, 3, rng),
        lambda rng: stochastic_blocks([200, 300], np.array([[0.05, 0.01], [0.01, 0.05]]), rng),
    ],
)
def test_generators_are_reproducible_by_seed(make) -> None:  # type: ignore[no-untyped-def]
    a = make(np.random.default_rng(11))
    b = make(np.random.default_rng(11))
    c = make(np.random.default_rng(12))
    assert same(a, b)
    assert not same(a, c)


def test_from_edges_merges_repeats_and_round_trips() -> None:
    net = Network.from_edges(4, np.array([0, 1, 2, 1]), np.array([1, 0, 3, 2]))
    assert net.num_edges == 3
    assert same(Network.from_edges(4, *net.edges()), net)


@pytest.mark.parametrize(
    ("u", "v", "match"),
    [([0], [0], "self-loops"), ([0], [4], r"\[0, 4\)"), ([0, 1], [1], "equal length")],
)
def test_from_edges_refuses_bad_edges(u: list[int], v: list[int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Network.from_edges(4, np.array(u), np.array(v))


def test_neighbours_refuses_unknown_agent_and_is_read_only() -> None:
    net = square_lattice(3)
    with pytest.raises(IndexError):
        net.neighbours(9)
    with pytest.raises(ValueError):
        net.neighbours(0)[0] = 5


def test_isolated_agents_are_allowed() -> None:
    net = Network.from_edges(5, np.array([1]), np.array([3]))
    assert net.degree.tolist() == [0, 1, 0, 1, 0]
    assert net.neighbour_sum(np.ones(5, np.float32)).tolist() == [0, 1, 0, 1, 0]
