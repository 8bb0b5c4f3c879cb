"""Edge-list helpers shared by the generators and by rewiring."""

from __future__ import annotations

import numpy as np

_MAX_REDRAW_ROUNDS = 10_000


def edge_keys(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """One int64 per undirected edge, independent of endpoint order."""
    return np.minimum(u, v).astype(np.int64) * n + np.maximum(u, v)


def redraw_targets(
    sources: np.ndarray, taken: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Uniform targets for ``sources`` avoiding self-loops, the sorted edge keys ``taken``
    and each other (two new edges between the same pair).

    Only conflicting draws are redrawn, so the loop usually runs a handful of times.

    Raises:
        RuntimeError: if conflicts persist for many rounds, which means some source has
            (almost) no admissible target left.
    """
    targets = rng.integers(0, n, sources.size)
    for _ in range(_MAX_REDRAW_ROUNDS):
        keys = edge_keys(sources, targets, n)
        clash = (sources == targets) | isin_sorted(keys, taken)
        order = np.argsort(keys, kind="stable")
        repeat = np.zeros(keys.size, dtype=bool)
        repeat[order[1:]] = keys[order[1:]] == keys[order[:-1]]  # later copies of a new edge
        pending = np.flatnonzero(clash | repeat)
        if pending.size == 0:
            return targets
        targets[pending] = rng.integers(0, n, pending.size)
    raise RuntimeError("could not find admissible new neighbours; is the graph nearly complete?")


def isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``values[i] in sorted_keys`` for every ``i``, by binary search."""
    if sorted_keys.size == 0:
        return np.zeros(values.size, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, values), sorted_keys.size - 1)
    return np.asarray(sorted_keys[pos] == values)
