"""Compiled loops (numba) for the hot parts of the lab's step, each equal to its NumPy form.

Each kernel does in one pass over the agents what the NumPy code it replaces did in a dozen
(gathers, masks, temporary arrays), in the same ``float32`` operations in the same order, so
results are bit for bit those of the NumPy form (``tests/simulation/test_sim_kernels.py``
holds each to it):

* :func:`learn` — the decay and the counts of :meth:`.decisions.Perception.learn`, and
  :func:`estimates` — the perceived detection, deterrence and expression risk from them;
* :func:`trust_beliefs` — the outcomes and belief updates of :func:`.decisions.trust_game`;
* :func:`neighbours` — a random neighbour of every agent (:func:`._sparse.random_neighbours`);
* :func:`fermi_gap`, :func:`fermi_adopt` — synchronous Fermi imitation around NumPy's
  ``tanh`` (:func:`.imitation.fermi_synchronous`; ``tanh`` itself stays NumPy's, whose
  float32 results a compiled ``tanh`` need not reproduce to the last bit);
* :func:`prisoners_dilemma` — the prisoner's dilemma payoffs
  (:func:`.games.prisoners_dilemma_payoffs`): one pass counting cooperating neighbours;
* :func:`public_goods` — the public goods payoffs (:func:`.games.public_goods_payoffs`):
  its two SciPy sparse products and seven whole-array operations become two passes over the
  CSR arrays, the cooperators counted exactly in integers from the ``int8`` codes (packed
  eight to a byte), the shares summed in float32 in the order SciPy sums them.

Index arrays (CSR offsets, partners) reach the compiled loops as unsigned views
(:func:`unsigned`, through thin wrappers where callers pass signed ones): numba checks every
signed index for a negative value to wrap around, which made the gathers up to twice as slow.
The perception counts add table increments instead of branching on random flags (about five
times faster at a million agents).

Numba compiles them on first use and caches them next to the module.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "estimates",
    "fermi_adopt",
    "fermi_gap",
    "learn",
    "neighbours",
    "pack",
    "prisoners_dilemma",
    "public_goods",
    "trust_beliefs",
    "unsigned",
]

_jit = numba.njit(cache=True, nogil=True)
_F = np.float32


def _increments() -> np.ndarray:
    """Row ``flags`` of the table: what an agent with those flags adds to each of the six
    counts (1 or 0), so that counting is arithmetic instead of data-dependent branches."""
    table = np.zeros((16, 6), dtype=np.float32)
    for flag in range(16):
        violated, sanctioned = bool(flag & 1), bool(flag & 2)
        expressed, punished = bool(flag & 4), bool(flag & 8)
        table[flag] = (
            violated,
            violated and sanctioned,
            not violated,
            sanctioned and not violated,
            expressed,
            expressed and punished,
        )
    return table


_SEEN = _increments()


def learn(counts, forget, partner, flags):
    """Decay the six count rows of ``counts`` by ``forget``, then add what each agent saw of
    itself and then of its partner (in place). ``flags`` packs each agent's step: bit 0
    violated, 1 sanctioned, 2 expressed, 3 punished for speech (one random read per
    partner instead of four). Rows: violations, violations sanctioned, no violation,
    sanctions without a violation, expressions, expressions punished.

    Each count becomes ``(count * forget + own) + partner's``, the increments 1 or 0 from
    :data:`_SEEN`: adding 0 leaves a (non-negative) count unchanged, so this equals the
    masked adds bit for bit, without a branch the random flags would mispredict."""
    _learn(counts, forget, unsigned(partner), flags, _SEEN)


@_jit
def _learn(counts, forget, partner, flags, seen):  # pragma: no cover
    for i in range(partner.size):
        own, other = flags[i], flags[partner[i]]
        for k in range(6):
            counts[k, i] = (counts[k, i] * forget + seen[own, k]) + seen[other, k]


def pack(violated, sanctioned, expressed, punished):
    """The ``flags`` of :func:`learn` from four boolean arrays."""
    flags = np.asarray(violated, dtype=np.uint8).copy()
    for bit, mask in ((1, sanctioned), (2, expressed), (3, punished)):
        flags |= np.asarray(mask, dtype=np.uint8) << np.uint8(bit)
    return flags


@_jit
def neighbours(indptr, indices, uniform):  # pragma: no cover
    """For every agent (each with a neighbour), the neighbour picked by its ``[0, 1)`` draw:
    offset ``min(int(u * degree), degree - 1)``, the product in float64 as NumPy forms it
    from a float32 draw and an int32 degree."""
    n = uniform.size
    out = np.empty(n, dtype=indices.dtype)
    for i in range(n):
        start = indptr[i]
        degree = indptr[i + 1] - start
        offset = min(int(np.float64(uniform[i]) * np.float64(degree)), degree - 1)
        out[i] = indices[start + offset]
    return out


def trust_beliefs(
    neighbours, strangers, partner, stranger, betrays, memory, invested_n, invested_s, betrayed
):
    """One step of the trust game's beliefs, in place; returns investments kept.

    Copies the beliefs as invested (``invested_n``, ``invested_s``), marks the trustees who
    kept an investment made in them (``betrayed``: betrays and was chosen), then moves each
    belief toward the outcome: ``b * (1 - memory)``, plus ``memory`` when honoured. An
    agent that is its own partner (no neighbour) is never betrayed by it.
    """
    return _trust_beliefs(
        neighbours,
        strangers,
        unsigned(partner),
        unsigned(stranger),
        betrays,
        memory,
        invested_n,
        invested_s,
        betrayed,
    )


@_jit
def _trust_beliefs(
    neighbours, strangers, partner, stranger, betrays, memory, invested_n, invested_s, betrayed
):  # pragma: no cover
    n = partner.size
    keep = _F(1.0) - memory
    kept = 0
    for i in range(n):
        j, s = partner[i], stranger[i]
        invested_n[i] = neighbours[i]
        invested_s[i] = strangers[i]
        betrayed[j] = betrays[j]
        betrayed[s] = betrays[s]
        kept_n = betrays[j] and j != i
        kept_s = betrays[s]
        kept += kept_n + kept_s
        b = neighbours[i] * keep
        neighbours[i] = b if kept_n else b + memory
        b = strangers[i] * keep
        strangers[i] = b if kept_s else b + memory
    return kept


def fermi_gap(payoff, y, scale):
    """``(payoff[y] - payoff) * scale`` in the payoffs' type (the argument of Fermi's tanh)."""
    return _fermi_gap(payoff, unsigned(y), scale)


@_jit
def _fermi_gap(payoff, y, scale):  # pragma: no cover
    out = np.empty(y.size, dtype=payoff.dtype)
    for i in range(y.size):
        out[i] = (payoff[y[i]] - payoff[i]) * scale
    return out


def fermi_adopt(strategy, y, half, uniform):
    """Each agent takes ``strategy[y]`` when its draw is below ``(half + 1) * 0.5`` (the Fermi
    probability from ``half = tanh(gap)``), else keeps its own."""
    return _fermi_adopt(strategy, unsigned(y), half, uniform)


@_jit
def _fermi_adopt(strategy, y, half, uniform):  # pragma: no cover
    out = np.empty_like(strategy)
    for i in range(strategy.size):
        p = (half[i] + _F(1.0)) * _F(0.5)
        out[i] = strategy[y[i]] if uniform[i] < p else strategy[i]
    return out


@_jit
def estimates(counts, a, zero, strength):  # pragma: no cover
    """From :func:`learn`'s rows: detection ``(vh + a) / (vt + strength)``, deterrence
    ``max(detection - (ih + zero) / (it + strength), 0)`` and expression risk ``(eh + a) /
    (et + strength)``, each in float32 as NumPy evaluates them."""
    n = counts.shape[1]
    detection = np.empty(n, dtype=np.float32)
    deterrence = np.empty(n, dtype=np.float32)
    expression = np.empty(n, dtype=np.float32)
    for i in range(n):
        d = (counts[1, i] + a) / (counts[0, i] + strength)
        net = d - (counts[3, i] + zero) / (counts[2, i] + strength)
        detection[i] = d
        deterrence[i] = net if net > _F(0.0) else _F(0.0)
        expression[i] = (counts[5, i] + a) / (counts[4, i] + strength)
    return detection, deterrence, expression


def unsigned(array: np.ndarray) -> np.ndarray:
    """``array`` of non-negative ``int32``/``int64`` offsets viewed as unsigned (no copy), so
    the kernels index with it without numba's check for negative indices."""
    if array.dtype == np.int32:
        return array.view(np.uint32)
    if array.dtype == np.int64:
        return array.view(np.uint64)
    return array


@_jit
def public_goods(indptr, indices, strategy, degree, rc, cost):  # pragma: no cover
    """Every agent's public goods payoff from its ``int8`` code (1 contributes), in float32:
    ``share + sum(share[neighbours]) - cost * c * G``, where ``G = degree + 1`` and ``share =
    rc * (c + cooperating neighbours) / G`` (``rc = r * cost``).

    The first pass counts cooperating neighbours in integers (exact, as SciPy's float32 sum
    of ones is below 2**24), reading the codes packed eight to a byte when they are all 0 or
    1 (a table an eighth the size stays in the core's cache), and forms each share; the
    second sums the neighbours' shares in float32 in CSR order, as SciPy's ``csr_matvec``
    does, so the result is NumPy's bit for bit.
    """
    n = strategy.size
    one = _F(1.0)
    bits, binary = _packed(strategy)
    share = np.empty(n, dtype=np.float32)
    for i in range(n):
        count = 0
        if binary:
            for jj in range(indptr[i], indptr[i + 1]):
                j = indices[jj]
                count += (bits[j >> 3] >> (j & 7)) & 1
        else:
            for jj in range(indptr[i], indptr[i + 1]):
                count += strategy[indices[jj]]
        share[i] = (rc * (_F(strategy[i]) + _F(count))) / (degree[i] + one)
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        total = _F(0.0)
        for jj in range(indptr[i], indptr[i + 1]):
            total += share[indices[jj]]
        out[i] = (share[i] + total) - (cost * _F(strategy[i])) * (degree[i] + one)
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _packed(strategy):  # pragma: no cover
    """The codes as bits, eight agents to a byte (agent ``i``: bit ``i & 7`` of byte
    ``i >> 3``), and whether every code was 0 or 1 (else the bits are not to be used)."""
    n = strategy.size
    bits = np.zeros((n + 7) >> 3, dtype=np.uint8)
    binary = True
    for i in range(n):
        code = strategy[i]
        binary &= (code == 0) | (code == 1)
        bits[i >> 3] |= np.uint8(code & 1) << np.uint8(i & 7)
    return bits, binary


@_jit
def prisoners_dilemma(indptr, indices, strategy, degree, values, own):  # pragma: no cover
    """Every agent's prisoner's dilemma payoff from its ``int8`` code (positive cooperates),
    in float32. ``values`` holds temptation, reward, sucker, punishment (float32); with
    ``own`` an agent also plays itself. A cooperator earns ``reward * C + sucker * D``, a
    defector ``temptation * C + punishment * D``, ``C`` the sum of the neighbours' codes
    (exactly, in integers: the cooperating neighbours) and ``D = degree - C``: NumPy's
    operations in its order."""
    temptation, reward, sucker, punishment = values[0], values[1], values[2], values[3]
    n = strategy.size
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        count = 0
        for jj in range(indptr[i], indptr[i + 1]):
            count += strategy[indices[jj]]
        c = _F(count)
        d = degree[i] - c
        if strategy[i] > 0:
            out[i] = reward * c + sucker * d
            if own:
                out[i] += reward
        else:
            out[i] = temptation * c + punishment * d
            if own:
                out[i] += punishment
    return out
