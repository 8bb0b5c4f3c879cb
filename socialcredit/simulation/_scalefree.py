"""Barabási–Albert edge sampling without a Python loop over agents.

The sequential algorithm keeps a list with one slot per edge end, so a uniform pick from the
list is a pick proportional to degree (Batagelj & Brandes, Phys. Rev. E 71, 036113, 2005).
Edge ``e`` owns slots ``2e`` (its new agent, known in advance) and ``2e + 1`` (its target).
Each new edge draws a slot among those of the edges that existed when its agent arrived, and
its target is whatever agent that slot holds.

The edges are resolved in chronological blocks of doubling size. Within a block, a draw that
lands in an earlier block is one array lookup; a draw that lands on a target slot of the same
block inherits that slot's value, so those are resolved together by following the pointers
(each hop continues with probability about 1/2, so chains are short). Repeated targets of one
agent are redrawn until its ``m`` targets are distinct; this only re-resolves the block.
"""

from __future__ import annotations

import numpy as np

_FIRST_BLOCK_AGENTS = 1024
_MAX_REDRAW_ROUNDS = 1000


def scale_free_edges(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Edges ``(u, v)`` of a Barabási–Albert graph grown from a clique of ``m + 1`` agents.

    Raises:
        RuntimeError: if repeated targets persist after many redraws (it would take almost
            every earlier agent being a target already; the generator needs ``n > m``).
    """
    seed_u, seed_v = np.triu_indices(m + 1, k=1)
    e0 = seed_u.size
    source = np.concatenate([seed_u, np.repeat(np.arange(m + 1, n, dtype=np.int64), m)])
    slots = np.empty(2 * source.size, dtype=np.int64)
    slots[0::2] = source
    slots[1 : 2 * e0 : 2] = seed_v
    start = e0
    while start < source.size:
        agents = max(_FIRST_BLOCK_AGENTS, (start - e0) // m)  # doubling blocks of whole agents
        stop = min(source.size, start + agents * m)
        slots[2 * start + 1 : 2 * stop : 2] = _block_targets(slots, start, stop, e0, m, rng)
        start = stop
    return source, slots[1::2]


def _block_targets(
    slots: np.ndarray, start: int, stop: int, e0: int, m: int, rng: np.random.Generator
) -> np.ndarray:
    """Targets of new edges ``start … stop - 1`` (whole agents), distinct for each agent."""
    # every edge of an agent may draw any slot of the edges made before that agent arrived
    first_edge = e0 + (np.arange(start, stop, dtype=np.int64) - e0) // m * m
    pointer = rng.integers(0, 2 * first_edge)
    target = _resolve(slots, pointer, start)
    for _ in range(_MAX_REDRAW_ROUNDS):
        repeated = _repeated_targets(target, m)
        if repeated.size == 0:
            return target
        pointer[repeated] = rng.integers(0, 2 * first_edge[repeated])
        target = _resolve(slots, pointer, start)
    raise RuntimeError("could not draw distinct preferential-attachment targets")


def _resolve(slots: np.ndarray, pointer: np.ndarray, start: int) -> np.ndarray:
    """The agent in slot ``pointer[i]`` for each edge ``start + i`` of a block."""
    out = np.empty(pointer.size, dtype=np.int64)
    todo = np.arange(pointer.size)
    slot = pointer
    while todo.size:
        pending = (slot >= 2 * start) & (slot % 2 == 1)  # a target slot of this same block
        out[todo[~pending]] = slots[slot[~pending]]
        todo = todo[pending]
        slot = pointer[slot[pending] // 2 - start]
    return out


def _repeated_targets(target: np.ndarray, m: int) -> np.ndarray:
    """Positions of targets that repeat an earlier target of the same new agent."""
    rows = target.reshape(-1, m)
    order = np.argsort(rows, axis=1, kind="stable")
    ranked = np.take_along_axis(rows, order, axis=1)
    dup = np.zeros(rows.shape, dtype=bool)
    np.put_along_axis(dup, order[:, 1:], ranked[:, 1:] == ranked[:, :-1], axis=1)
    return np.flatnonzero(dup)
