"""Network games with vectorised payoffs: every neighbour sum is one pass over the CSR arrays.

Strategies are the ``int8`` codes of :mod:`.population` (``1`` cooperate, ``0`` defect);
payoffs are ``float32`` arrays, one per agent, summed over all the agent's interactions.

* :func:`prisoners_dilemma_payoffs` — each agent plays every neighbour (and, in the Nowak &
  May 1992 form, itself). Nowak–May: ``reward=1, temptation=b, sucker=punishment=0``.
* :func:`public_goods_payoffs` — every agent centres one group made of itself and its
  neighbours and takes part in the groups centred on itself and on each neighbour; on the
  von Neumann lattice these are the five groups of five of the spatial public goods game.
* :func:`trust_game_payoffs` — each agent invests in every neighbour and is trustee to each.

The dataclasses :class:`PrisonersDilemma`, :class:`PublicGoods` and :class:`TrustGame` wrap
them as :class:`Game` objects for the simulation loop; each names its scenario ``kind`` and
hands its parameters to the compiled random sequential update (``kernel_parameters``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from socialcredit.simulation._networks import Network
from socialcredit.simulation._validate import check_fraction, check_positive

__all__ = [
    "Game",
    "PrisonersDilemma",
    "PublicGoods",
    "TrustGame",
    "prisoners_dilemma_payoffs",
    "public_goods_payoffs",
    "trust_game_payoffs",
]


def _cooperation(strategy: np.ndarray) -> np.ndarray:
    return np.asarray(strategy, dtype=np.float32)


def prisoners_dilemma_payoffs(
    network: Network,
    strategy: np.ndarray,
    *,
    temptation: float,
    reward: float = 1.0,
    sucker: float = 0.0,
    punishment: float = 0.0,
    self_interaction: bool = False,
) -> np.ndarray:
    """Total prisoner's-dilemma payoff of every agent against all its neighbours.

    A cooperator earns ``reward`` per cooperating and ``sucker`` per defecting neighbour; a
    defector ``temptation`` and ``punishment``. With ``self_interaction`` each agent also
    plays itself (``reward`` for a cooperator, ``punishment`` for a defector), as in Nowak
    & May (1992), where every site of the Moore lattice plays the nine sites of its block.

    Integer or boolean codes take the compiled pass (:func:`._step_kernels.prisoners_dilemma`,
    equal bit for bit to the NumPy form below, which other inputs still take).
    """
    codes = np.asarray(strategy)
    if codes.dtype.kind in "biu":  # strategy codes: one compiled pass
        from socialcredit.simulation._step_kernels import prisoners_dilemma, unsigned

        values = np.array((temptation, reward, sucker, punishment), dtype=np.float32)
        return np.asarray(
            prisoners_dilemma(
                unsigned(network.indptr),
                unsigned(network.indices),
                codes.astype(np.int8, copy=False),
                network.degree_float,
                values,
                self_interaction,
            )
        )
    c = _cooperation(codes)
    n_coop = network.neighbour_sum(c)
    n_def = network.degree_float - n_coop
    coop = np.float32(reward) * n_coop + np.float32(sucker) * n_def
    defect = np.float32(temptation) * n_coop + np.float32(punishment) * n_def
    if self_interaction:
        coop += np.float32(reward)
        defect += np.float32(punishment)
    return np.where(c > 0, coop, defect)


def public_goods_payoffs(
    network: Network, strategy: np.ndarray, *, r: float, cost: float = 1.0
) -> np.ndarray:
    """Total public-goods payoff of every agent over the groups it belongs to.

    The group centred on ``j`` is ``j`` and its neighbours (size ``G_j = degree_j + 1``).
    In every group a cooperator pays ``cost``; the pot is multiplied by ``r`` and shared
    equally by the ``G_j`` members. Agent ``i`` belongs to its own group and to those of its
    neighbours, so it earns ``sum_j r * cost * N_c(j) / G_j - cost * (degree_i + 1)`` when
    cooperating (without the last term when defecting), ``N_c(j)`` being cooperators in
    group ``j``.

    Integer or boolean codes take the compiled two-pass kernel
    (:func:`._step_kernels.public_goods`, equal bit for bit to the NumPy form below, which
    other inputs, e.g. float contribution levels, still take).
    """
    codes = np.asarray(strategy)
    if codes.dtype.kind in "biu":  # strategy codes: one compiled pass per neighbour sum
        from socialcredit.simulation._step_kernels import public_goods, unsigned

        return np.asarray(
            public_goods(
                unsigned(network.indptr),
                unsigned(network.indices),
                codes.astype(np.int8, copy=False),
                network.degree_float,
                np.float32(r * cost),
                np.float32(cost),
            )
        )
    c = _cooperation(codes)
    group_size = network.degree_float + np.float32(1.0)
    share = (np.float32(r * cost) * (c + network.neighbour_sum(c))) / group_size
    payoff = share + network.neighbour_sum(share)
    payoff -= np.float32(cost) * c * group_size
    return payoff


def trust_game_payoffs(
    network: Network,
    sent: np.ndarray,
    returned: np.ndarray,
    *,
    multiplier: float = 3.0,
    endowment: float = 1.0,
) -> np.ndarray:
    """Net trust-game payoff of every agent, playing investor and trustee with each neighbour.

    As investor, agent ``i`` sends ``sent[i] * endowment`` to each neighbour ``j``, who
    receives it multiplied by ``multiplier`` and returns the share ``returned[j]``. Payoffs
    are gains over keeping the endowment: investor ``s_i e (m q_j - 1)``, trustee
    ``m s_i e (1 - q_j)`` per edge, summed over all edges in both roles.
    """
    s = np.asarray(sent, dtype=np.float32)
    q = np.asarray(returned, dtype=np.float32)
    m, e = np.float32(multiplier), np.float32(endowment)
    as_investor = s * e * (m * network.neighbour_sum(q) - network.degree_float)
    as_trustee = m * e * (np.float32(1.0) - q) * network.neighbour_sum(s)
    return as_investor + as_trustee


class Game(Protocol):
    """A game played on a network by cooperate/defect strategy codes.

    ``interaction_radius`` is the number of hops within which a change of strategy can change
    an agent's payoff (1 for games played with neighbours, 2 for groups of neighbours);
    sequential update rules use it to know which updates are independent.
    """

    @property
    def interaction_radius(self) -> int:
        """Hops within which a strategy change can alter a payoff."""
        ...

    def payoffs(self, network: Network, strategy: np.ndarray) -> np.ndarray:
        """The ``float32`` payoff of every agent for the strategy array."""
        ...


@dataclass(frozen=True, slots=True)
class PrisonersDilemma:
    """The prisoner's dilemma; the defaults with ``self_interaction=True`` are Nowak–May.

    Raises:
        ValueError: if a payoff is not a finite number.
    """

    kind: ClassVar[str] = "prisoners_dilemma"
    temptation: float
    reward: float = 1.0
    sucker: float = 0.0
    punishment: float = 0.0
    self_interaction: bool = False

    def __post_init__(self) -> None:
        for name in ("temptation", "reward", "sucker", "punishment"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")

    @property
    def interaction_radius(self) -> int:
        """Pairwise games: 1 hop."""
        return 1

    def payoffs(self, network: Network, strategy: np.ndarray) -> np.ndarray:
        """See :func:`prisoners_dilemma_payoffs`."""
        return prisoners_dilemma_payoffs(
            network,
            strategy,
            temptation=self.temptation,
            reward=self.reward,
            sucker=self.sucker,
            punishment=self.punishment,
            self_interaction=self.self_interaction,
        )

    def kernel_parameters(self) -> tuple[int, np.ndarray]:
        """The game's code and parameters for the compiled update (:mod:`._mc_kernel`)."""
        own = 1.0 if self.self_interaction else 0.0
        values = (self.temptation, self.reward, self.sucker, self.punishment, own)
        return 0, np.array(values, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class PublicGoods:
    """The spatial public goods game with multiplication factor ``r`` and cost per group.

    Raises:
        ValueError: if ``r`` or ``cost`` is not a finite positive number.
    """

    kind: ClassVar[str] = "public_goods"
    r: float
    cost: float = 1.0

    def __post_init__(self) -> None:
        check_positive("r", self.r)
        check_positive("cost", self.cost)

    @property
    def interaction_radius(self) -> int:
        """Groups of neighbours: a change reaches 2 hops."""
        return 2

    def payoffs(self, network: Network, strategy: np.ndarray) -> np.ndarray:
        """See :func:`public_goods_payoffs`."""
        return public_goods_payoffs(network, strategy, r=self.r, cost=self.cost)

    def kernel_parameters(self) -> tuple[int, np.ndarray]:
        """The game's code and parameters for the compiled update (:mod:`._mc_kernel`)."""
        return 1, np.array((self.r, self.cost), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class TrustGame:
    """The trust game with binary types: cooperators send ``send`` of their endowment and
    return ``give_back`` of what they receive; defectors send nothing and return nothing.

    Raises:
        ValueError: if a share is outside ``[0, 1]`` or ``multiplier`` or ``endowment`` is
            not a finite positive number.
    """

    kind: ClassVar[str] = "trust"
    send: float = 0.5
    give_back: float = 0.5
    multiplier: float = 3.0
    endowment: float = 1.0

    def __post_init__(self) -> None:
        check_fraction("send", self.send)
        check_fraction("give_back", self.give_back)
        check_positive("multiplier", self.multiplier)
        check_positive("endowment", self.endowment)

    @property
    def interaction_radius(self) -> int:
        """Pairwise games: 1 hop."""
        return 1

    def payoffs(self, network: Network, strategy: np.ndarray) -> np.ndarray:
        """See :func:`trust_game_payoffs`."""
        c = _cooperation(strategy)
        return trust_game_payoffs(
            network,
            c * np.float32(self.send),
            c * np.float32(self.give_back),
            multiplier=self.multiplier,
            endowment=self.endowment,
        )

    def kernel_parameters(self) -> tuple[int, np.ndarray]:
        """The game's code and parameters for the compiled update (:mod:`._mc_kernel`)."""
        values = (self.send, self.give_back, self.multiplier, self.endowment)
        return 2, np.array(values, dtype=np.float64)
