"""Metrics: known values and brute-force references."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import random_graph

from socialcredit.simulation import (
    Network,
    assortativity,
    component_count,
    cooperation_share,
    degree_ratio,
    gini,
    mean,
    square_lattice,
)


def test_cooperation_share_and_mean() -> None:
    assert cooperation_share(np.array([1, 0, 1, 1], np.int8)) == 0.75
    assert mean(np.array([1, 2], np.float32)) == 1.5
    with pytest.raises(ValueError):
        cooperation_share(np.array([], np.int8))
    with pytest.raises(ValueError):
        mean(np.array([]))


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1, 1, 1], 0.0), ([0, 0, 1], 2 / 3), ([0, 0, 0], 0.0), ([1, 2, 3, 4], 0.25)],
)
def test_gini_known_values(values: list[float], expected: float) -> None:
    assert gini(np.array(values, dtype=float)) == pytest.approx(expected)


def test_gini_matches_mean_absolute_difference(rng: np.random.Generator) -> None:
    x = rng.exponential(size=300)
    reference = np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean())
    assert gini(x) == pytest.approx(reference)


def test_gini_refuses_negative_values() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        gini(np.array([1.0, -0.5]))


def test_degree_ratio_on_a_star() -> None:
    star = Network.from_edges(5, np.zeros(4, int), np.arange(1, 5))
    hub = np.array([True, False, False, False, False])
    assert degree_ratio(star, hub) == 4.0
    with pytest.raises(ValueError):
        degree_ratio(star, np.zeros(5, bool))
    with pytest.raises(ValueError):
        degree_ratio(star, np.zeros(5, int))


def test_assortativity_matches_edge_end_correlation(rng: np.random.Generator) -> None:
    net = random_graph(80, 0.08, rng)
    x = rng.random(80)
    rows = np.repeat(np.arange(80), net.degree)
    reference = np.corrcoef(x[rows], x[net.indices])[0, 1]
    assert assortativity(net, x) == pytest.approx(reference)


def test_assortativity_extremes() -> None:
    two_cliques = Network.from_edges(
        6, np.array([0, 0, 1, 3, 3, 4, 2]), np.array([1, 2, 2, 4, 5, 5, 3])
    )
    group = np.array([0, 0, 0, 1, 1, 1])
    assert assortativity(two_cliques, group) > 0.5
    checkerboard = np.indices((4, 4)).sum(axis=0).ravel() % 2
    assert assortativity(square_lattice(4), checkerboard) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="constant"):
        assortativity(square_lattice(4), np.ones(16))


def test_component_count() -> None:
    net = Network.from_edges(6, np.array([0, 1, 3]), np.array([1, 2, 4]))
    assert component_count(net) == 3  # {0,1,2}, {3,4}, {5}
    assert component_count(square_lattice(5)) == 1
