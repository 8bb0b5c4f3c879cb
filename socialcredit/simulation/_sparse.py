"""Row-wise reductions over a network's CSR arrays, shared by the update rules."""

from __future__ import annotations

import numpy as np

from socialcredit.simulation._networks import Network


def segment_reduce(
    network: Network, values: np.ndarray, ufunc: np.ufunc, empty: float | int
) -> np.ndarray:
    """``ufunc``-reduce ``values`` (one per stored entry) over each agent's row.

    Agents without neighbours get ``empty``. When every agent has the same degree (lattices)
    the rows are reshaped and reduced column by column, several times faster than ``reduceat``.
    ``reduceat`` needs every offset to be a valid position, and returns the element at an
    empty row's offset, so the values are padded with ``empty`` and empty rows overwritten.
    """
    k = network.regular_degree
    if k:
        columns = values.reshape(network.n, k)
        out = columns[:, 0].copy()
        for j in range(1, k):  # k is small; numpy's reduce along a short axis is slow
            ufunc(out, columns[:, j], out=out)
        return out
    padded = np.empty(values.size + 1, dtype=values.dtype)
    padded[:-1] = values
    padded[-1] = empty
    out = ufunc.reduceat(padded, network.indptr[:-1])
    out[network.degree == 0] = empty
    return np.asarray(out)


def random_neighbours(
    network: Network, agents: np.ndarray | None, uniform: np.ndarray
) -> np.ndarray:
    """For each agent (all when ``None``; each must have a neighbour), the neighbour picked
    by ``uniform``, one ``[0, 1)`` draw per agent.

    The product of a draw with the degree can round up to the degree itself, so the offset is
    clipped to the last neighbour.
    """
    if agents is None and uniform.dtype == np.float32:  # every agent: one compiled pass
        from socialcredit.simulation._step_kernels import neighbours

        return np.asarray(neighbours(network.indptr, network.indices, uniform))
    deg = network.degree if agents is None else network.degree[agents]
    starts = network.indptr[:-1] if agents is None else network.indptr[agents]
    offset = np.minimum((uniform * deg).astype(starts.dtype), deg - 1)
    return np.asarray(network.indices[starts + offset])


def ball_min(network: Network, values: np.ndarray, radius: int) -> np.ndarray:
    """Minimum of integer ``values`` over each agent's ball of ``radius`` hops, itself included."""
    out = values
    empty = np.iinfo(values.dtype).max
    for _ in range(radius):
        nearest = segment_reduce(network, out[network.indices], np.minimum, empty)
        out = np.minimum(out, nearest)
    return out
