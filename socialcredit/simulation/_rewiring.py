"""Cutting ties and rewiring them: the network side of ostracism.

When an agent cuts its tie to another (because of that agent's score, say), the tie is removed
and, if asked, the agent who cut it forms a new tie to a random stranger: someone who is not
itself, not the agent it cut off and not already its neighbour. The total number of edges is
then unchanged, as in the coevolutionary models where a cut link is rewired rather than lost.
"""

from __future__ import annotations

import numpy as np

from socialcredit.simulation._edges import edge_keys, isin_sorted, redraw_targets
from socialcredit.simulation._networks import Network, _from_csr_arrays

__all__ = ["rewire"]


def rewire(
    network: Network, remove: np.ndarray, rng: np.random.Generator, *, reconnect: bool = True
) -> Network:
    """A new network without the edges in ``remove``, optionally with each cut tie rewired.

    Args:
        network: the current network (left unchanged).
        remove: ``(k, 2)`` integer array; row ``(u, v)`` is the tie ``u``—``v``, cut by ``u``.
        rng: source of the random new neighbours.
        reconnect: if true, each ``u`` gets one new tie per tie it cut, to an agent drawn
            uniformly among those that are not ``u``, not a neighbour of ``u`` before the cut
            (so not ``v``) and not already chosen for ``u`` in this call.

    Raises:
        ValueError: if ``remove`` is not a ``(k, 2)`` array, names an edge that does not exist
            or names the same edge twice, or if some ``u`` would need more new neighbours than
            there are agents it is not yet tied to.
    """
    remove = np.asarray(remove)
    if remove.ndim != 2 or remove.shape[1] != 2 or not np.issubdtype(remove.dtype, np.integer):
        raise ValueError("remove must be a (k, 2) integer array of edges")
    n = network.n
    u_all, v_all = network.edges()
    existing = edge_keys(u_all, v_all, n)  # sorted, since edges() is sorted by (u, v)
    if remove.size and (remove.min() < 0 or remove.max() >= n):
        raise ValueError(f"remove names an agent outside [0, {n})")
    cut_u, cut_v = remove[:, 0].astype(np.int64), remove[:, 1].astype(np.int64)
    cut = edge_keys(cut_u, cut_v, n)
    if not isin_sorted(cut, existing).all():
        raise ValueError("remove names an edge that is not in the network")
    if np.unique(cut).size != cut.size:
        raise ValueError("remove names the same edge more than once")
    new_u = new_v = np.zeros(0, dtype=np.int64)
    if reconnect and cut.size:
        _check_room(network, cut_u)
        new_u, new_v = cut_u, redraw_targets(cut_u, existing, n, rng)
    return _edited(network, (cut_u, cut_v), (new_u, new_v))


def _edited(
    network: Network,
    removed: tuple[np.ndarray, np.ndarray],
    added: tuple[np.ndarray, np.ndarray],
) -> Network:
    """``network`` without the ``removed`` edges (each present once) and with the ``added``
    ones (absent, possibly twice), built from its canonical CSR in a few linear passes —
    no re-sort of the whole edge list. The result is the canonical CSR of the new edge set.
    """
    n = network.n
    keys = network.row_of_entry.astype(np.int64) * n + network.indices  # ascending
    (ru, rv), (au, av) = removed, added
    keep = np.ones(keys.size, dtype=bool)
    keep[np.searchsorted(keys, np.concatenate([ru * n + rv, rv * n + ru]))] = False
    new_keys = np.unique(np.concatenate([au * n + av, av * n + au]))
    at = np.searchsorted(keys[keep], new_keys)
    indices = np.insert(network.indices[keep], at, (new_keys % n).astype(network.indices.dtype))
    degree = network.degree.astype(np.int64)
    degree -= np.bincount(np.concatenate([ru, rv]), minlength=n)
    degree += np.bincount(new_keys // n, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    return _from_csr_arrays(indptr, indices)


def _check_room(network: Network, sources: np.ndarray) -> None:
    needed = np.bincount(sources, minlength=network.n)
    # an agent's old degree counts the cut ties too: those partners are excluded as well
    if np.any(needed > network.n - 1 - network.degree):
        raise ValueError("an agent would need more new neighbours than it has strangers left")
