"""Rater trust, EigenTrust-style, over the verified-interaction graph.

The graph is bipartite: a rater and a ratee are linked when a verified interaction (a used
rating token) joins them. Trust flows from a set of pre-trusted seed raters: each rater shares
their trust equally among the ratees they dealt with, each ratee passes what it received
equally to the raters it dealt with, and a fraction ``restart`` of all trust returns to the
seeds at every step (Kamvar, Schlosser & Garcia-Molina 2003, with the seeds as the
pre-trusted peers). The fixed point is found by power iteration on ``scipy.sparse`` matrices.

A fake account that dealt only with the ratee it boosts receives one share of that ratee's
trust; a genuine customer receives a share from every business they dealt with, and seeds
also receive restart mass. A rater's weight is their trust relative to the median rater,
capped at 1: ordinary customers count fully, thinly connected accounts count a little.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["eigentrust", "trust_weights"]


def eigentrust(
    pair_rater: NDArray[np.integer],
    pair_ratee: NDArray[np.integer],
    n_raters: int,
    n_ratees: int,
    seeds: NDArray[np.bool_] | None = None,
    *,
    restart: float = 0.15,
    iterations: int = 50,
    tolerance: float = 1e-7,
) -> NDArray[np.float64]:
    """Trust of every rater (sums to 1 over raters with an interaction).

    Args:
        pair_rater, pair_ratee: the distinct (rater, ratee) interaction pairs.
        n_raters, n_ratees: sizes of the index spaces.
        seeds: pre-trusted raters; None or none set: every rater with an interaction.
        restart: probability of returning to the seeds at each step.
        iterations: at most this many power iterations.
        tolerance: stop when the L1 change is below this.
    """
    graph = _graph(pair_rater, pair_ratee, n_raters, n_ratees)
    back = graph.T  # a CSC view: its products scatter-add, with no transposed copy
    rater_degree = np.diff(graph.indptr).astype(np.float64)
    ratee_degree = np.bincount(graph.indices, minlength=n_ratees).astype(np.float64)
    active = rater_degree > 0
    start = active & seeds if seeds is not None and (active & seeds).any() else active
    prior = start / max(start.sum(), 1)
    inv_rater = np.divide(1.0, rater_degree, out=np.zeros(n_raters), where=rater_degree > 0)
    inv_ratee = np.divide(1.0, ratee_degree, out=np.zeros(n_ratees), where=ratee_degree > 0)
    trust = prior.copy()
    for _ in range(iterations):
        ratee_trust = back @ (trust * inv_rater)
        new = (1.0 - restart) * (graph @ (ratee_trust * inv_ratee)) + restart * prior
        change = float(np.abs(new - trust).sum())
        trust = new
        if change < tolerance:
            break
    return trust


def _graph(
    rater: NDArray[np.integer], ratee: NDArray[np.integer], n_raters: int, n_ratees: int
) -> sparse.csr_matrix:
    """The 0/1 rater x ratee matrix; built directly when the pairs are distinct and sorted."""
    key = rater.astype(np.int64) * n_ratees + ratee
    if len(key) > 1 and not bool((key[1:] > key[:-1]).all()):
        key = np.unique(key)
        rater, ratee = np.divmod(key, n_ratees)
    # 32-bit indices where they fit: half the memory traffic of every product.
    index_type = np.int32 if len(key) < 2**31 - 1 else np.int64
    indptr = np.zeros(n_raters + 1, dtype=index_type)
    np.cumsum(np.bincount(rater, minlength=n_raters), out=indptr[1:])
    ones = np.ones(len(key), dtype=np.float64)
    indices = np.asarray(ratee, dtype=index_type)
    from scipy import sparse  # imported on use: it is slow to import (CLI start-up)

    return sparse.csr_matrix((ones, indices, indptr), shape=(n_raters, n_ratees))


def trust_weights(
    trust: NDArray[np.float64], active: NDArray[np.bool_], floor: float = 0.0
) -> NDArray[np.float64]:
    """Weight per rater: trust over the median trust of active raters, in [floor, 1]."""
    if not active.any():
        return np.ones_like(trust)
    reference = float(np.median(trust[active]))
    if reference <= 0.0:
        return np.ones_like(trust)
    return np.clip(trust / reference, floor, 1.0)
