"""Cutting ties and rewiring them to strangers."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import assert_simple_undirected

from socialcredit.simulation import Network, rewire, small_world, square_lattice


def test_rewire_cuts_and_reconnects(rng: np.random.Generator) -> None:
    net = small_world(300, 6, 0.1, rng)
    u, v = net.edges()
    pick = rng.choice(u.size, 40, replace=False)
    remove = np.stack([v[pick], u[pick]], axis=1)  # the cutter may be either end
    new = rewire(net, remove, np.random.default_rng(1))
    assert_simple_undirected(new)
    assert new.num_edges == net.num_edges
    for cutter, cut_off in remove:
        assert cut_off not in new.neighbours(cutter)
    # the cutters keep their degree; the cut-off lose one tie each (unless chosen again)
    changed = new.degree - net.degree
    np.testing.assert_array_less(-1 - np.bincount(remove[:, 1], minlength=300), changed + 1)
    assert np.all(new.degree[remove[:, 0]] >= net.degree[remove[:, 0]] - 1)


def test_rewire_without_reconnecting_only_removes() -> None:
    net = square_lattice(4)
    new = rewire(net, np.array([[0, 1], [5, 6]]), np.random.default_rng(0), reconnect=False)
    assert new.num_edges == net.num_edges - 2
    assert 1 not in new.neighbours(0) and 0 not in new.neighbours(1)


def test_rewire_is_reproducible() -> None:
    net = square_lattice(10)
    remove = np.array([[0, 1], [22, 23], [50, 60]])
    a = rewire(net, remove, np.random.default_rng(3))
    b = rewire(net, remove, np.random.default_rng(3))
    assert np.array_equal(a.indices, b.indices)


@pytest.mark.parametrize(
    ("remove", "match"),
    [
        (np.array([[0, 2]]), "not in the network"),
        (np.array([[0, 1], [1, 0]]), "more than once"),
        (np.array([[0, 99]]), "outside"),
        (np.array([0, 1]), r"\(k, 2\)"),
    ],
)
def test_rewire_refuses_bad_edge_sets(remove: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        rewire(square_lattice(4), remove, np.random.default_rng(0))


def test_rewire_refuses_when_no_stranger_is_left() -> None:
    from socialcredit.simulation import Network

    u, v = np.triu_indices(4, k=1)
    complete = Network.from_edges(4, u, v)
    with pytest.raises(ValueError, match="strangers"):
        rewire(complete, np.array([[0, 1]]), np.random.default_rng(0))


def test_rewire_equals_the_network_built_from_the_new_edge_set(
    rng: np.random.Generator,
) -> None:
    """The edited CSR is exactly the canonical network of (old - cut) + new edges."""
    net = small_world(500, 8, 0.2, rng)
    u, v = net.edges()
    pick = rng.choice(u.size, 120, replace=False)
    remove = np.stack([u[pick], v[pick]], axis=1)
    new = rewire(net, remove, np.random.default_rng(7))
    old_set = set(zip(u.tolist(), v.tolist(), strict=True))
    new_set = set(zip(*(a.tolist() for a in new.edges()), strict=True))
    cut = {(int(a), int(b)) for a, b in remove}
    added = new_set - old_set
    assert len(added) == len(cut) and new_set == (old_set - cut) | added
    expected = Network.from_edges(500, *(np.array(sorted(new_set)).T))
    assert np.array_equal(new.indptr, expected.indptr)
    assert np.array_equal(new.indices, expected.indices)
    assert new.indices.dtype == expected.indices.dtype
