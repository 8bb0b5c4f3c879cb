"""Undirected social networks for the simulator, stored as compressed sparse rows.

A :class:`Network` wraps the ``indptr``/``indices`` arrays of a symmetric CSR adjacency with
no self-loops and no repeated edges; row ``i`` lists the neighbours of agent ``i`` in increasing
order. Indices are ``int32`` (a million agents with ten million edges fit in 80 MB of indices),
and the float32 adjacency used for neighbour sums shares those arrays instead of copying them.

Generators (every one takes an explicit ``numpy.random.Generator`` and is reproducible by it):

* :func:`square_lattice` — periodic square lattice, von Neumann (4) or Moore (8) neighbourhood;
* :func:`small_world` — Watts–Strogatz ring with rewiring;
* :func:`scale_free` — Barabási–Albert preferential attachment (see :mod:`._scalefree`);
* :func:`stochastic_blocks` — stochastic block (community) model, sampled sparsely.

:func:`rewire` (in :mod:`.rewiring`) cuts a set of ties and reconnects to random strangers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp

from socialcredit.simulation._edges import edge_keys, redraw_targets
from socialcredit.simulation._scalefree import scale_free_edges
from socialcredit.simulation._validate import check_fraction, check_positive_int

__all__ = [
    "Network",
    "scale_free",
    "small_world",
    "square_lattice",
    "stochastic_blocks",
]

Neighbourhood = Literal["von_neumann", "moore"]

_OFFSETS: dict[str, tuple[tuple[int, int], ...]] = {
    "von_neumann": ((-1, 0), (0, -1), (0, 1), (1, 0)),
    "moore": ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)),
}


@dataclass(frozen=True, eq=False)
class Network:
    """An undirected simple graph on agents ``0 … n-1`` in CSR form.

    Build one with :meth:`from_edges` or a generator; the constructor trusts its arrays to be
    canonical (symmetric, sorted rows, no self-loops or repeats) and does not check them.

    Attributes:
        indptr: ``int32``/``int64`` array of length ``n + 1``; row ``i`` is
            ``indices[indptr[i]:indptr[i + 1]]``.
        indices: ``int32`` neighbour ids, sorted within each row; every edge appears twice.
    """

    indptr: np.ndarray
    indices: np.ndarray

    @classmethod
    def from_edges(cls, n: int, u: np.ndarray, v: np.ndarray) -> Network:
        """Build a network from an undirected edge list; repeated edges are merged.

        Args:
            n: number of agents.
            u, v: endpoints of each edge (equal length, any integer dtype, any order).

        Raises:
            ValueError: if ``n`` is negative, lengths differ, an endpoint is out of range
                or an edge is a self-loop.
        """
        u = np.asarray(u)
        v = np.asarray(v)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if u.shape != v.shape or u.ndim != 1:
            raise ValueError("u and v must be one-dimensional arrays of equal length")
        if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
            raise ValueError(f"edge endpoints must lie in [0, {n})")
        if np.any(u == v):
            raise ValueError("self-loops are not allowed")
        return _from_edges(n, u, v)

    @property
    def n(self) -> int:
        """Number of agents."""
        return int(self.indptr.size - 1)

    @property
    def num_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.indices.size // 2)

    @cached_property
    def degree(self) -> np.ndarray:
        """Degree of every agent (``int32``, read-only)."""
        deg = np.diff(self.indptr).astype(np.int32)
        deg.flags.writeable = False
        return deg

    @cached_property
    def degree_float(self) -> np.ndarray:
        """Degree as ``float32``: mixing ``int32`` into float32 arithmetic would give float64."""
        deg = self.degree.astype(np.float32)
        deg.flags.writeable = False
        return deg

    @cached_property
    def regular_degree(self) -> int:
        """The common degree if every agent has the same one (lattices, rings), else 0."""
        deg = self.degree
        return int(deg[0]) if deg.size and np.all(deg == deg[0]) else 0

    @cached_property
    def adjacency(self) -> sp.csr_matrix:
        """The symmetric adjacency as a ``float32`` CSR matrix sharing this network's arrays.

        float32 data matches the float32 state vectors, so ``adjacency @ x`` never converts
        the (large) matrix; neighbour counts stay exact up to 2**24.
        """
        data = np.ones(self.indices.size, dtype=np.float32)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n), copy=False)

    @cached_property
    def row_of_entry(self) -> np.ndarray:
        """For every stored entry, the agent whose row it is in (``int32``)."""
        return np.repeat(np.arange(self.n, dtype=np.int32), self.degree)

    def neighbours(self, i: int) -> np.ndarray:
        """Neighbours of agent ``i`` in increasing order (a read-only view).

        Raises:
            IndexError: if ``i`` is not an agent of this network.
        """
        if not 0 <= i < self.n:
            raise IndexError(f"agent {i} is not in a network of {self.n} agents")
        row = self.indices[self.indptr[i] : self.indptr[i + 1]]
        row.flags.writeable = False
        return row

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Each undirected edge once, as ``(u, v)`` arrays with ``u < v``, sorted by ``(u, v)``."""
        keep = self.row_of_entry < self.indices
        return self.row_of_entry[keep], self.indices[keep]

    def neighbour_sum(self, x: np.ndarray) -> np.ndarray:
        """``sum(x[j] for j in neighbours(i))`` for every ``i``: one sparse product, in float32.

        ``x`` is converted to float32 first; a float64 vector would make SciPy convert the
        whole (large) matrix on every call.
        """
        return np.asarray(self.adjacency @ np.asarray(x, dtype=np.float32))


def _from_edges(n: int, u: np.ndarray, v: np.ndarray) -> Network:
    """Symmetrise an edge list into canonical CSR (sorted rows, duplicates merged)."""
    rows = np.concatenate([u, v]).astype(np.int32, copy=False)
    cols = np.concatenate([v, u]).astype(np.int32, copy=False)
    data = np.ones(rows.size, dtype=np.int8)
    csr = sp.coo_matrix((data, (rows, cols)), shape=(n, n)).tocsr()
    csr.sum_duplicates()  # canonical: sorted indices, each edge stored once per direction
    return _from_csr_arrays(csr.indptr, csr.indices)


def _from_csr_arrays(indptr: np.ndarray, indices: np.ndarray) -> Network:
    index_type = np.int32 if indices.size < np.iinfo(np.int32).max else np.int64
    indptr = indptr.astype(index_type, copy=False)
    indices = indices.astype(np.int32, copy=False)
    indptr.flags.writeable = False
    indices.flags.writeable = False
    return Network(indptr=indptr, indices=indices)


def square_lattice(
    side: int, neighbourhood: Neighbourhood = "von_neumann", *, rows: int | None = None
) -> Network:
    """Square lattice with periodic edges (a torus); agent ``r * side + c`` sits at ``(r, c)``.

    Args:
        side: number of columns (and of rows unless ``rows`` is given); at least 3, so that
            the periodic neighbours of a site are distinct.
        neighbourhood: ``"von_neumann"`` (4 neighbours) or ``"moore"`` (8 neighbours).
        rows: number of rows, if different from ``side``.

    Raises:
        ValueError: on a side below 3 or an unknown neighbourhood.
    """
    n_rows = side if rows is None else rows
    if side < 3 or n_rows < 3:
        raise ValueError(f"lattice sides must be >= 3, got {n_rows} x {side}")
    if neighbourhood not in _OFFSETS:
        raise ValueError(f"neighbourhood must be 'von_neumann' or 'moore', got {neighbourhood!r}")
    r, c = np.divmod(np.arange(n_rows * side, dtype=np.int64), side)
    columns = [((r + dr) % n_rows) * side + (c + dc) % side for dr, dc in _OFFSETS[neighbourhood]]
    neighbours = np.sort(np.stack(columns, axis=1), axis=1)
    k = neighbours.shape[1]
    indptr = np.arange(0, n_rows * side * k + 1, k, dtype=np.int64)
    return _from_csr_arrays(indptr, neighbours.ravel())


def small_world(n: int, k: int, p: float, rng: np.random.Generator) -> Network:
    """Watts–Strogatz small world: a ring where each agent links to its ``k`` nearest agents,
    then each edge ``(i, i + j)`` has its far end moved, with probability ``p``, to an agent
    drawn uniformly among those that would make neither a self-loop nor a repeated edge.

    Rewiring is done for all chosen edges at once, redrawing only the conflicts; the edge count
    stays exactly ``n * k / 2``, as in the sequential algorithm.

    Raises:
        ValueError: if ``k`` is odd or not in ``[2, n - 1)``, or ``p`` is outside ``[0, 1]``.
    """
    check_positive_int("n", n)
    if k % 2 or not 2 <= k < n - 1:
        raise ValueError(f"k must be even and 2 <= k < n - 1, got k={k} for n={n}")
    check_fraction("p", p)
    u = np.repeat(np.arange(n, dtype=np.int64), k // 2)
    v = (u + np.tile(np.arange(1, k // 2 + 1), n)) % n
    moved = np.flatnonzero(rng.random(u.size) < p)
    fixed = np.ones(u.size, dtype=bool)
    fixed[moved] = False
    taken = np.sort(edge_keys(u[fixed], v[fixed], n))
    new_v = redraw_targets(u[moved], taken, n, rng)
    v = v.copy()
    v[moved] = new_v
    return _from_edges(n, u, v)


def scale_free(n: int, m: int, rng: np.random.Generator) -> Network:
    """Barabási–Albert scale-free network: a clique of ``m + 1`` agents, then every new agent
    links to ``m`` distinct earlier agents chosen with probability proportional to degree.

    Has exactly ``m (m + 1) / 2 + m (n - m - 1)`` edges and minimum degree ``m``; the degree
    distribution has the ``k**-3`` tail of the model. A million agents with ``m = 5`` take
    about two seconds.

    Raises:
        ValueError: if ``m < 1`` or ``n <= m``.
    """
    check_positive_int("m", m)
    if n <= m:
        raise ValueError(f"n must exceed m, got n={n}, m={m}")
    u, v = scale_free_edges(n, m, rng)
    return _from_edges(n, u, v)


def stochastic_blocks(
    sizes: list[int] | np.ndarray, probabilities: np.ndarray, rng: np.random.Generator
) -> Network:
    """Stochastic block model: agents in consecutive blocks; each pair in blocks ``(a, b)`` is
    linked independently with probability ``probabilities[a, b]``.

    The number of edges of each block pair is drawn from its binomial distribution and that
    many distinct pairs are then sampled, so memory is proportional to the edges, never ``n**2``.

    Raises:
        ValueError: if a size is not positive, or ``probabilities`` is not a symmetric
            ``len(sizes)`` square matrix of values in ``[0, 1]``.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    k = sizes.size
    if k == 0 or np.any(sizes <= 0):
        raise ValueError("sizes must be a non-empty list of positive block sizes")
    if probabilities.shape != (k, k) or not np.allclose(probabilities, probabilities.T):
        raise ValueError(f"probabilities must be a symmetric {k}x{k} matrix")
    if np.any(probabilities < 0) or np.any(probabilities > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    parts = [
        _block_pair_edges(starts, sizes, a, b, probabilities[a, b], rng)
        for a in range(k)
        for b in range(a, k)
    ]
    u = np.concatenate([p[0] for p in parts])
    v = np.concatenate([p[1] for p in parts])
    return _from_edges(int(starts[-1]), u, v)


def _block_pair_edges(
    starts: np.ndarray, sizes: np.ndarray, a: int, b: int, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    pairs = int(sizes[a] * (sizes[a] - 1) // 2) if a == b else int(sizes[a] * sizes[b])
    count = int(rng.binomial(pairs, p)) if pairs else 0
    picked = rng.choice(pairs, size=count, replace=False) if count else np.empty(0, np.int64)
    if a == b:
        i, j = _triangle_pair(picked.astype(np.int64))
    else:
        i, j = np.divmod(picked.astype(np.int64), sizes[b])
    return starts[a] + i, starts[b] + j


def _triangle_pair(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert ``t = j (j - 1) / 2 + i`` with ``0 <= i < j``: the t-th pair of a block."""
    j = np.floor((1 + np.sqrt(1 + 8 * t.astype(np.float64))) / 2).astype(np.int64)
    # float rounding can be one off near perfect squares; correct it exactly in integers
    j -= j * (j - 1) // 2 > t
    j += (j + 1) * j // 2 <= t
    return t - j * (j - 1) // 2, j
