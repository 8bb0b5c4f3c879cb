"""Reference helpers for the simulator tests (plain, obviously-correct code)."""

from __future__ import annotations

import numpy as np

from socialcredit.simulation import Network


def assert_simple_undirected(network: Network) -> None:
    """Symmetric, no self-loops, no repeated edges, rows sorted, int32 indices."""
    a = network.adjacency
    assert network.indices.dtype == np.int32
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    for i in range(min(network.n, 2000)):
        row = network.neighbours(i)
        assert np.all(np.diff(row) > 0), f"row {i} is not strictly increasing"
    assert network.degree.sum() == 2 * network.num_edges


def random_graph(n: int, p: float, rng: np.random.Generator) -> Network:
    """A small Erdős–Rényi graph (isolated agents possible)."""
    u, v = np.triu_indices(n, k=1)
    keep = rng.random(u.size) < p
    return Network.from_edges(n, u[keep], v[keep])
