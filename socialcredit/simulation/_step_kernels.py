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
  float32 results a compiled ``tanh`` need not reproduce to the last bit).

(The public goods payoffs stay two SciPy sparse products: a numba loop of the same sums in
the same order took twice their time at 1M agents.)

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
    "trust_beliefs",
]

_jit = numba.njit(cache=True, nogil=True)
_F = np.float32


@_jit
def learn(counts, forget, partner, flags):  # pragma: no cover
    """Decay the six count rows of ``counts`` by ``forget``, then add what each agent saw of
    itself and then of its partner (in place). ``flags`` packs each agent's step: bit 0
    violated, 1 sanctioned, 2 expressed, 3 punished for speech (one random read per
    partner instead of four). Rows: violations, violations sanctioned, no violation,
    sanctions without a violation, expressions, expressions punished."""
    n = partner.size
    for i in range(n):
        for k in range(6):
            counts[k, i] *= forget
        _see(counts, i, flags[i])
        _see(counts, i, flags[partner[i]])


@numba.njit(cache=True, nogil=True, inline="always")
def _see(counts, i, flag):  # pragma: no cover
    one = _F(1.0)
    if flag & 1:
        counts[0, i] += one
        if flag & 2:
            counts[1, i] += one
    else:
        counts[2, i] += one
        if flag & 2:
            counts[3, i] += one
    if flag & 4:
        counts[4, i] += one
        if flag & 8:
            counts[5, i] += one


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


@_jit
def trust_beliefs(
    neighbours, strangers, partner, stranger, betrays, memory, invested_n, invested_s, betrayed
):  # pragma: no cover
    """One step of the trust game's beliefs, in place; returns investments kept.

    Copies the beliefs as invested (``invested_n``, ``invested_s``), marks the trustees who
    kept an investment made in them (``betrayed``: betrays and was chosen), then moves each
    belief toward the outcome: ``b * (1 - memory)``, plus ``memory`` when honoured. An
    agent that is its own partner (no neighbour) is never betrayed by it.
    """
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


@_jit
def fermi_gap(payoff, y, scale):  # pragma: no cover
    """``(payoff[y] - payoff) * scale`` in the payoffs' type (the argument of Fermi's tanh)."""
    out = np.empty(y.size, dtype=payoff.dtype)
    for i in range(y.size):
        out[i] = (payoff[y[i]] - payoff[i]) * scale
    return out


@_jit
def fermi_adopt(strategy, y, half, uniform):  # pragma: no cover
    """Each agent takes ``strategy[y]`` when its draw is below ``(half + 1) * 0.5`` (the Fermi
    probability from ``half = tanh(gap)``), else keeps its own."""
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
