"""Measures of a simulated society: pure functions of arrays (and a network's arrays).

None of them modifies its inputs; each returns a Python ``float``/``int``, so results can be
stored in the per-step table directly.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import connected_components

from socialcredit.simulation._networks import Network
from socialcredit.simulation._population import COOPERATE

__all__ = [
    "assortativity",
    "component_count",
    "cooperation_share",
    "degree_ratio",
    "gini",
    "mean",
]


def cooperation_share(strategy: np.ndarray) -> float:
    """Share of agents playing :data:`~socialcredit.simulation._population.COOPERATE`.

    Raises:
        ValueError: if ``strategy`` is empty.
    """
    if strategy.size == 0:
        raise ValueError("cooperation share of an empty population is undefined")
    return float(np.count_nonzero(strategy == COOPERATE) / strategy.size)


def mean(values: np.ndarray) -> float:
    """Arithmetic mean, accumulated in float64 whatever the dtype of ``values``.

    Raises:
        ValueError: if ``values`` is empty.
    """
    if values.size == 0:
        raise ValueError("mean of an empty array is undefined")
    return float(np.mean(values, dtype=np.float64))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 for equality, ``1 - 1/n`` at the extreme.

    Uses the sorted-rank form ``sum((2i - n - 1) x_(i)) / (n sum(x))``; 0 when all are zero.

    Raises:
        ValueError: if ``values`` is empty or has a negative entry (the coefficient is
            not defined for incomes that can be negative).
    """
    if values.size == 0:
        raise ValueError("Gini of an empty array is undefined")
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if x[0] < 0:
        raise ValueError("Gini is only defined for non-negative values")
    total = x.sum()
    if total == 0:
        return 0.0
    n = x.size
    ranks = np.arange(1 - n, n, 2, dtype=np.float64)  # 2i - n - 1 for i = 1 … n
    return float(ranks @ x / (n * total))


def degree_ratio(network: Network, group: np.ndarray) -> float:
    """Mean degree of the agents in ``group`` over the mean degree of all the others.

    Below 1 means the group (low-score agents, say) has fewer ties: a measure of isolation.

    Raises:
        ValueError: if ``group`` is not a boolean mask of length ``n``, if either side is
            empty, or if the others have no ties at all.
    """
    group = np.asarray(group)
    if group.dtype != np.bool_ or group.shape != (network.n,):
        raise ValueError(f"group must be a boolean mask of length {network.n}")
    if group.all() or not group.any():
        raise ValueError("degree ratio needs agents both inside and outside the group")
    others = network.degree[~group].mean()
    if others == 0:
        raise ValueError("agents outside the group have no ties")
    return float(network.degree[group].mean() / others)


def assortativity(network: Network, attribute: np.ndarray) -> float:
    """Newman's scalar assortativity: the Pearson correlation of ``attribute`` at the two
    ends of an edge, over all edges (both directions). +1: ties join like with like.

    Computed from sums, with one sparse product: ``sum over edges x_i x_j = x . (A x)``.

    Raises:
        ValueError: if ``attribute`` has the wrong length, the network has no edges, or the
            attribute does not vary over edge ends (the correlation is then undefined).
    """
    x = np.asarray(attribute, dtype=np.float64)
    if x.shape != (network.n,):
        raise ValueError(f"attribute must have one value per agent ({network.n})")
    ends = float(network.indices.size)
    if ends == 0:
        raise ValueError("assortativity of a network without edges is undefined")
    deg = network.degree.astype(np.float64)
    mean_end = float(deg @ x) / ends
    var_end = float(deg @ (x * x)) / ends - mean_end**2
    if var_end <= 1e-12 * max(1.0, mean_end**2):
        raise ValueError("attribute is constant over edge ends; assortativity is undefined")
    neighbour_sum = network.adjacency.astype(np.float64) @ x
    covariance = float(x @ neighbour_sum) / ends - mean_end**2
    return covariance / var_end


def component_count(network: Network) -> int:
    """Number of connected components (an isolated agent is a component of its own)."""
    count, _ = connected_components(network.adjacency, directed=False)
    return int(count)
