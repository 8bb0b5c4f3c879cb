"""Agents' decisions under a social credit system, and what they learn about it.

Every choice an agent makes about the system is the same comparison, in the structure of
Epstein's civil-violence model (Epstein 2002, PNAS 99 suppl. 3: an agent acts when its
grievance exceeds its net risk, net risk = risk aversion x perceived arrest probability):

    act  ⇔  value of the act  >  risk aversion × expected sanction

* **Value** is heterogeneous: the temptation to keep money owed is
  ``default_gain * (u - willingness)`` (``u`` uniform each time, so without a system an
  able agent defaults with ``1 - willingness``); the private gain of free riding is the
  game's own payoff difference plus a fixed intrinsic value per agent; the value of voicing
  an opinion is ``voice_value * hardship * (1 - legitimacy)`` (Epstein's grievance).
* **Expected sanction** = perceived detection probability × the loss in measures that the
  bundle's points would bring: ``(per_tie[grade(now)] - per_tie[grade(now + points)]) *
  degree * horizon``, read from the real policy table and the scenario's measures. A
  sanction that does not change the agent's grade costs nothing.
* **Perception** (:class:`Perception`) is learned, not assumed: each agent watches itself
  and the partner it met this step — did the act happen, did a record follow — and keeps
  Beta counts with forgetting. Detection ``p`` is estimated from violations seen; ``q``,
  the rate of sanctions on agents who did nothing, lowers deterrence (complying does not
  avoid an arbitrary sanction); the expression risk is learned from expressions seen.
* **Risk aversion** is uniform on ``[0, 2 * risk_aversion]`` (Epstein: uniform on [0, 1]).

Trust is behaviour in a separate investment game (Berg, Dickhaut & McCabe 1995): each step an
agent invests in the partner it met and in a random stranger the share it believes will be
honoured; the trustee honours unless betraying is worth more than its expected sanction;
beliefs follow the outcomes (:func:`trust_game`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialcredit.scoring import KindTable
from socialcredit.simulation._games import PrisonersDilemma, PublicGoods
from socialcredit.simulation._networks import Network
from socialcredit.simulation._population import COOPERATE
from socialcredit.simulation._scenario import Behaviour

__all__ = [
    "Dispositions",
    "Judge",
    "Perception",
    "Sanctions",
    "TrustOutcome",
    "free_riding_gain",
    "tempted",
    "trust_game",
]


_ESTIMATES = ("detection", "deterrence", "expression_risk")


@dataclass(frozen=True, slots=True)
class Dispositions:
    """Fixed, heterogeneous traits of the agents' decisions (drawn once per run).

    Attributes:
        risk: risk aversion, uniform on ``[0, 2 * behaviour.risk_aversion]``.
        act_value: intrinsic value of free riding, normal ``(0, act_value_sd)``.
        hardship: Epstein's hardship H, uniform on [0, 1] (grievance = H (1 - L)).
    """

    risk: np.ndarray
    act_value: np.ndarray
    hardship: np.ndarray

    @classmethod
    def draw(cls, n: int, behaviour: Behaviour, rng: np.random.Generator) -> Dispositions:
        """Draw the traits of ``n`` agents."""
        risk = rng.random(n, dtype=np.float32) * np.float32(2 * behaviour.risk_aversion)
        value = rng.normal(0.0, behaviour.act_value_sd, n).astype(np.float32)
        return cls(risk, value, rng.random(n, dtype=np.float32))


class Perception:
    """What each agent has learned: detection, arbitrary sanctions, expression risk, trust.

    Counts decay by ``1 - memory`` each step before the step's observations are added.

    Attributes:
        trust_neighbours, trust_strangers: believed chance that a neighbour / a stranger
            honours an investment (the share invested), from the agent's own outcomes.
    """

    def __init__(self, n: int, behaviour: Behaviour) -> None:
        """Start every agent at the prior (trust 0.5)."""
        self.behaviour = behaviour
        # one row per count, so that one compiled pass updates all six (_step_kernels.learn)
        self._counts = np.zeros((6, n), dtype=np.float32)
        self._vt, self._vh, self._it, self._ih, self._et, self._eh = self._counts
        self.trust_neighbours = np.full(n, 0.5, dtype=np.float32)
        self.trust_strangers = np.full(n, 0.5, dtype=np.float32)
        # estimates computed once between two learn() calls (a step reads them several times)
        self._cached: dict[str, np.ndarray] = {}

    def _estimates(self) -> dict[str, np.ndarray]:
        """Detection, deterrence and expression risk, computed together in one compiled pass
        (``(hits + prior * strength) / (trials + strength)`` in float32; arbitrary sanctions
        with a prior of 0) and kept, read-only, until the next :meth:`learn`."""
        if not self._cached:
            from socialcredit.simulation._step_kernels import estimates

            b = self.behaviour
            a = np.float32(b.prior_detection * b.prior_strength)
            zero = np.float32(0.0 * b.prior_strength)
            values = estimates(self._counts, a, zero, np.float32(b.prior_strength))
            for name, value in zip(_ESTIMATES, values, strict=True):
                value.flags.writeable = False
                self._cached[name] = value
        return self._cached

    @property
    def detection(self) -> np.ndarray:
        """Perceived chance that a violation is recorded (read-only)."""
        return self._estimates()["detection"]

    @property
    def deterrence(self) -> np.ndarray:
        """Detection minus the perceived rate of sanctions on agents who did nothing (at
        least 0; read-only)."""
        return self._estimates()["deterrence"]

    @property
    def expression_risk(self) -> np.ndarray:
        """Perceived chance that a voiced opinion is sanctioned (read-only)."""
        return self._estimates()["expression_risk"]

    def learn(
        self,
        partner: np.ndarray,
        violated: np.ndarray,
        sanctioned: np.ndarray,
        expressed: np.ndarray,
        punished_speech: np.ndarray,
    ) -> None:
        """Add what each agent saw of itself and of ``partner`` this step.

        Args:
            partner: the agent each one met (itself when it has no neighbour).
            violated: who violated a rule this step (free riding, default, betrayal).
            sanctioned: who got a negative record this step.
            expressed: who voiced an opinion; ``punished_speech``: who was penalised for it.
        """
        from socialcredit.simulation._step_kernels import learn, pack

        self._cached.clear()
        forget = np.float32(1 - self.behaviour.memory)
        flags = pack(violated, sanctioned, expressed, punished_speech)
        learn(self._counts, forget, np.ascontiguousarray(partner), flags)


@dataclass(frozen=True, slots=True)
class Sanctions:
    """The loss in measures that points would bring, from the real policy table.

    Attributes:
        table: the lawful policy table (grades from its bands).
        per_tie: payoff change per tie of each grade code (the scenario's measures).
        totals: every agent's score now; ``degree``: its ties.
        horizon: steps over which the loss is weighed.
    """

    table: KindTable
    per_tie: np.ndarray
    totals: np.ndarray
    degree: np.ndarray
    horizon: int

    def loss(self, who: np.ndarray, points: np.ndarray | int) -> np.ndarray:
        """Payoff lost by agents ``who`` over the horizon if ``points`` were added now."""
        now = self.totals[who]
        after = now + np.asarray(points, dtype=now.dtype)
        drop = (
            self.per_tie[self.table.grade_codes(now)] - self.per_tie[self.table.grade_codes(after)]
        )
        return drop * self.degree[who] * np.float32(self.horizon)


def free_riding_gain(game: object, network: Network, strategy: np.ndarray) -> np.ndarray:
    """Each agent's payoff gain from defecting rather than cooperating, others fixed.

    Exact for :class:`~.games.PublicGoods` (``cost (G_i) - r cost (1/G_i + sum_j 1/G_j)``)
    and :class:`~.games.PrisonersDilemma`; 0 for other games (only the sanction counts).
    """
    if isinstance(game, PublicGoods):
        size = network.degree_float + np.float32(1)
        inv = np.float32(1) / size
        back = np.float32(game.r * game.cost) * (inv + network.neighbour_sum(inv))
        return np.float32(game.cost) * size - back
    if isinstance(game, PrisonersDilemma):
        coop = network.neighbour_sum(np.asarray(strategy == COOPERATE, dtype=np.float32))
        other = network.degree_float - coop
        gain = np.float32(game.temptation - game.reward) * coop
        gain += np.float32(game.punishment - game.sucker) * other
        if game.self_interaction:
            gain += np.float32(game.punishment - game.reward)
        return gain
    return np.zeros(network.n, dtype=np.float32)


def tempted(
    willingness: np.ndarray, gain: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Who is tempted to keep money owed, and by how much: ``gain * (u - willingness)``.

    Returns the indices (into ``willingness``) with a positive temptation and its value.
    """
    value = (rng.random(willingness.size, dtype=np.float32) - willingness) * np.float32(gain)
    who = np.flatnonzero(value > 0)
    return who, value[who]


@dataclass(frozen=True, slots=True)
class TrustOutcome:
    """One step of the trust game.

    Attributes:
        stranger: the stranger each agent invested in.
        invested_neighbour, invested_stranger: shares invested (the behavioural trust).
        betrayed: trustees who kept an investment made in them this step.
        honoured: share of investments honoured this step.
    """

    stranger: np.ndarray
    invested_neighbour: np.ndarray
    invested_stranger: np.ndarray
    betrayed: np.ndarray
    honoured: float


def trust_game(
    perception: Perception,
    partner: np.ndarray,
    betrays: np.ndarray,
    rng: np.random.Generator,
) -> TrustOutcome:
    """Every agent invests in its partner and a random stranger; beliefs follow outcomes.

    ``betrays`` says which trustees would keep an investment this step (their decision,
    :func:`tempted` against their expected sanction). A trustor learns from each outcome.
    """
    from socialcredit.simulation._step_kernels import trust_beliefs

    n, m = partner.size, np.float32(perception.behaviour.memory)
    stranger = rng.integers(0, n, n)
    invested_n, invested_s = np.empty(n, np.float32), np.empty(n, np.float32)
    betrayed = np.zeros(n, dtype=bool)
    # one compiled pass: copy the beliefs as invested, mark the betrayals, update the beliefs
    kept = trust_beliefs(
        perception.trust_neighbours,
        perception.trust_strangers,
        np.ascontiguousarray(partner),
        stranger,
        np.ascontiguousarray(betrays, dtype=bool),
        m,
        invested_n,
        invested_s,
        betrayed,
    )
    return TrustOutcome(stranger, invested_n, invested_s, betrayed, 1.0 - float(kept) / (2 * n))


@dataclass(frozen=True, slots=True)
class Judge:
    """Each agent's expected sanctions this step (zero without a system).

    Attributes:
        sanctions: the losses the bundle would impose, or ``None`` (no system).
        risk: risk aversion per agent.
        deterrence: perceived detection net of arbitrary sanctions, per agent.
        expression_risk: perceived chance that voicing an opinion is sanctioned.
        hardship: Epstein's hardship per agent (the grievance's scale).
        default_points, expression_points: points a default / a voiced opinion would bring
            (0: not sanctioned).
        default_listing, ride_listing: with the whole bundle, each agent's payoff loss over
            the horizon from the listings a recorded default / free ride could bring (the
            measures of those lists in the agent's context), or ``None``.
    """

    sanctions: Sanctions | None
    risk: np.ndarray
    deterrence: np.ndarray
    expression_risk: np.ndarray
    hardship: np.ndarray
    default_points: int = 0
    expression_points: int = 0
    default_listing: np.ndarray | None = None
    ride_listing: np.ndarray | None = None

    def hardship_value(self, who: np.ndarray, worth: np.float32) -> np.ndarray:
        """Value of voicing an opinion for ``who``: ``worth * hardship`` (grievance)."""
        return self.hardship[who] * worth

    def expected(
        self,
        who: np.ndarray,
        points: int,
        p: np.ndarray | None = None,
        listing: np.ndarray | None = None,
    ) -> np.ndarray:
        """Risk-weighted expected sanction of an act bringing ``points``, for ``who``, and
        (``listing``: per agent) the loss from the listings its record could bring."""
        if self.sanctions is None or who.size == 0 or (points == 0 and listing is None):
            return np.zeros(who.size, dtype=np.float32)
        p = self.deterrence if p is None else p
        loss = self.sanctions.loss(who, points) if points else np.float32(0)
        if listing is not None:
            loss = loss + listing[who]
        return self.risk[who] * p[who] * loss

    def persisting(self, who: np.ndarray, points: int) -> np.ndarray:
        """Expected sanction of free riding for the whole horizon, for ``who``.

        Detected at the perceived rate, a step's points accumulate: the loss is that of
        ``deterrence * horizon * points`` more points (records outlive the horizon).
        """
        listing = self.ride_listing
        if self.sanctions is None or who.size == 0 or (points == 0 and listing is None):
            return np.zeros(who.size, dtype=np.float32)
        s = self.sanctions
        accrued = np.rint(self.deterrence[who] * np.float32(s.horizon * points))
        loss = self.risk[who] * s.loss(who, accrued.astype(np.int64))
        if listing is not None:  # listed at least once over the horizon, at most surely
            caught = np.minimum(self.deterrence[who] * np.float32(s.horizon), np.float32(1))
            loss = loss + self.risk[who] * caught * listing[who]
        return loss
