"""The random sequential Fermi update as one compiled loop (numba), for the built-in games.

:func:`monte_carlo_step` runs one Monte-Carlo step — ``n`` elementary updates, in order — on
draws made by NumPy beforehand, exactly as :func:`.imitation.fermi_monte_carlo` draws them.
Each update recomputes only the two payoffs it compares, from the agents' neighbourhoods, in
the ``float32`` arithmetic and summation order of the vectorised games (:mod:`.games`), so
the result is the vectorised exact update's (tests hold the two equal) at a plain loop's cost.

A game reaches the kernel as a code (:data:`PD`, :data:`PG`, :data:`TRUST`) and a ``float64``
parameter vector (``Game.kernel_parameters``). This module imports numba, so
:mod:`.imitation` imports it only when the compiled update is first used.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["PD", "PG", "TRUST", "monte_carlo_step"]

PD, PG, TRUST = 0, 1, 2
"""Game codes: prisoner's dilemma, public goods, trust game."""

_jit = numba.njit(cache=True, nogil=True)
# the helpers are inlined into the loop at numba's level: as separate functions, passing
# the arrays on every call cost about half of the loop's time
_inline = numba.njit(cache=True, nogil=True, inline="always")
_F = np.float32


@_inline
def _cooperating_neighbours(indptr, indices, s, i):
    total = _F(0.0)
    for e in range(indptr[i], indptr[i + 1]):
        total += _F(s[indices[e]])
    return total


@_inline
def _pd(indptr, indices, s, i, par):
    # par: temptation, reward, sucker, punishment, self_interaction (as prisoners_dilemma_payoffs)
    n_coop = _cooperating_neighbours(indptr, indices, s, i)
    n_def = _F(indptr[i + 1] - indptr[i]) - n_coop
    if s[i] > 0:
        value = _F(par[1]) * n_coop + _F(par[2]) * n_def
        return value + _F(par[1]) if par[4] > 0 else value
    value = _F(par[0]) * n_coop + _F(par[3]) * n_def
    return value + _F(par[3]) if par[4] > 0 else value


@_inline
def _pg_share(indptr, indices, s, j, rc):
    group = _F(indptr[j + 1] - indptr[j]) + _F(1.0)
    return (rc * (_F(s[j]) + _cooperating_neighbours(indptr, indices, s, j))) / group


@_inline
def _pg(indptr, indices, s, i, par):
    # par: r, cost (as public_goods_payoffs: own share + sum of the neighbours' shares)
    rc = _F(par[0] * par[1])
    around = _F(0.0)
    for e in range(indptr[i], indptr[i + 1]):
        around += _pg_share(indptr, indices, s, indices[e], rc)
    value = _pg_share(indptr, indices, s, i, rc) + around
    group = _F(indptr[i + 1] - indptr[i]) + _F(1.0)
    return value - _F(par[1]) * _F(s[i]) * group


@_inline
def _trust(indptr, indices, s, i, par):
    # par: send, give_back, multiplier, endowment (as TrustGame.payoffs)
    send, back, m, e = _F(par[0]), _F(par[1]), _F(par[2]), _F(par[3])
    sum_q, sum_s = _F(0.0), _F(0.0)
    for k in range(indptr[i], indptr[i + 1]):
        c = _F(s[indices[k]])
        sum_q += c * back
        sum_s += c * send
    own = _F(s[i])
    degree = _F(indptr[i + 1] - indptr[i])
    as_investor = own * send * e * (m * sum_q - degree)
    as_trustee = m * e * (_F(1.0) - own * back) * sum_s
    return as_investor + as_trustee


@_inline
def _payoff(indptr, indices, s, i, code, par, modifier):
    if code == 0:
        value = _pd(indptr, indices, s, i, par)
    elif code == 1:
        value = _pg(indptr, indices, s, i, par)
    else:
        value = _trust(indptr, indices, s, i, par)
    return value + modifier[i] if modifier.size else value


@_jit
def _loop(indptr, indices, s, who, pick, accept, code, par, scale, modifier, suscept):
    for k in range(who.size):
        x = who[k]
        degree = indptr[x + 1] - indptr[x]
        if degree == 0:
            continue  # isolated agents cannot imitate
        y = indices[indptr[x] + min(np.int64(pick[k] * degree), degree - 1)]
        px = _payoff(indptr, indices, s, x, code, par, modifier)
        py = _payoff(indptr, indices, s, y, code, par, modifier)
        p = (np.tanh((py - px) * scale) + _F(1.0)) * _F(0.5)
        if suscept.size:
            p = p * suscept[x]
        if accept[k] < p:
            s[x] = s[y]


def monte_carlo_step(
    network_arrays: tuple[np.ndarray, np.ndarray],
    strategy: np.ndarray,
    draws: tuple[np.ndarray, np.ndarray, np.ndarray],
    game: tuple[int, np.ndarray],
    noise: float,
    modifier: np.ndarray | None = None,
    susceptibility: np.ndarray | None = None,
) -> None:
    """Apply the elementary Fermi updates of ``draws`` to ``strategy`` in place, in order.

    Args:
        network_arrays: the network's CSR ``(indptr, indices)``.
        strategy: ``int8`` strategy codes (1 cooperate, 0 defect), modified in place.
        draws: ``(who, pick, accept)``: the agent updated, the ``[0, 1)`` draw choosing its
            neighbour, and the ``[0, 1)`` draw compared with the adoption probability.
        game: ``(code, parameters)`` of the game.
        noise: Fermi noise ``K > 0``.
        modifier: a fixed payoff added to each agent's game payoff, or ``None``.
        susceptibility: a factor on each agent's adoption probability, or ``None``.
    """
    indptr, indices = network_arrays
    who, pick, accept = draws
    empty = np.zeros(0, dtype=np.float32)
    _loop(
        indptr,
        indices,
        strategy,
        who,
        pick,
        accept,
        game[0],
        np.asarray(game[1], dtype=np.float64),
        np.float32(0.5 / noise),
        empty if modifier is None else np.asarray(modifier, dtype=np.float32),
        empty if susceptibility is None else np.asarray(susceptibility, dtype=np.float32),
    )
