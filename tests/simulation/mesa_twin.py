"""A Mesa twin of one policy-lab scenario, written agent by agent in plain Python.

Scenario: the spatial public goods game on a social network with synchronous Fermi
imitation — in the vectorised engine, ``SimulationConfig(network, PublicGoods(r, cost),
Fermi(noise))``. The rules, restated here for one agent at a time:

* every agent ``j`` centres a group made of itself and its neighbours (``G_j = degree_j + 1``
  members); each cooperator in it pays ``cost``, the pot is multiplied by ``r`` and shared
  equally by all ``G_j`` members, cooperators and defectors alike;
* an agent's payoff is the sum of its shares of the groups it belongs to (its own and its
  neighbours'), minus ``cost`` for each of those ``G_i`` groups if it cooperates;
* then every agent with a neighbour picks one neighbour ``y`` uniformly and adopts ``y``'s
  strategy with probability ``1 / (1 + exp((P_x - P_y) / noise))``; everyone decides on the
  old strategies and payoffs, and only then do all agents switch (synchronous update);
* each step records the share of cooperators and the mean payoff *of the strategies played
  in that step*, before the update — the same convention as ``Simulation.step``.

The model is deliberately idiomatic Mesa (a seeded :class:`mesa.Model`, one
:class:`mesa.Agent` per node holding references to its neighbours, stages run with
``AgentSet.do``, a :class:`mesa.DataCollector`) and shares no code with the engine except the
network generator, so that agreement between the two is evidence, not tautology. Both run on
the very same graph: :func:`neighbour_lists` hands the engine's network to the twin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from socialcredit.simulation import Network

__all__ = ["PublicGoodsAgent", "PublicGoodsModel", "neighbour_lists"]

# exp() overflows a float beyond ~709; past this exponent the Fermi probability is 0 (or 1)
# to far better than double precision, so the gap is clamped instead of raising
_MAX_EXPONENT = 700.0


def neighbour_lists(network: Network) -> list[list[int]]:
    """The neighbours of every agent of ``network`` as plain Python lists of ints."""
    return [network.neighbours(i).tolist() for i in range(network.n)]


class PublicGoodsAgent(mesa.Agent):
    """One member of the society: a strategy, a payoff and references to its neighbours.

    Attributes:
        cooperates: the strategy played this step.
        neighbours: the agents this one is tied to (set by the model after creation).
        share: what each member of the group centred on this agent receives from its pot.
        payoff: this step's payoff over all the groups the agent belongs to.
        next_cooperates: the strategy decided for the next step.
    """

    model: PublicGoodsModel

    def __init__(self, model: PublicGoodsModel, cooperates: bool) -> None:
        """Create an agent of ``model`` playing ``cooperates`` (neighbours come later)."""
        super().__init__(model)
        self.cooperates = cooperates
        self.neighbours: list[PublicGoodsAgent] = []
        self.share = 0.0
        self.payoff = 0.0
        self.next_cooperates = cooperates

    def share_pot(self) -> None:
        """Stage 1: share out the pot of the group centred on this agent."""
        contributors = int(self.cooperates) + sum(nb.cooperates for nb in self.neighbours)
        pot = self.model.r * self.model.cost * contributors
        self.share = pot / (len(self.neighbours) + 1)

    def collect_payoff(self) -> None:
        """Stage 2: sum the shares of all groups this agent belongs to, minus contributions."""
        income = self.share + sum(nb.share for nb in self.neighbours)
        # a cooperator contributes once to each of the groups it belongs to
        contributions = self.model.cost * (len(self.neighbours) + 1) if self.cooperates else 0.0
        self.payoff = income - contributions

    def decide(self) -> None:
        """Stage 3: compare with one random neighbour and maybe imitate it (Fermi rule)."""
        self.next_cooperates = self.cooperates
        if not self.neighbours:
            return  # nobody to imitate
        model = self.model
        other = model.random.choice(self.neighbours)
        exponent = (self.payoff - other.payoff) / model.noise
        exponent = max(-_MAX_EXPONENT, min(_MAX_EXPONENT, exponent))
        if model.random.random() < 1.0 / (1.0 + math.exp(exponent)):
            self.next_cooperates = other.cooperates

    def adopt(self) -> None:
        """Stage 4: switch to the decided strategy (after every agent has decided)."""
        self.cooperates = self.next_cooperates


class PublicGoodsModel(mesa.Model):
    """The public goods game with synchronous Fermi imitation on a fixed network.

    Attributes:
        r: multiplication factor of every pot.
        cost: contribution of a cooperator to each group.
        noise: Fermi noise ``K``.
        members: the agents, in node order (``members[i]`` is node ``i``).
        datacollector: per-step ``cooperation`` and ``mean_payoff``.
    """

    def __init__(
        self,
        neighbours: Sequence[Sequence[int]],
        *,
        r: float,
        cost: float = 1.0,
        noise: float = 0.5,
        cooperators: float = 0.5,
        seed: int = 0,
    ) -> None:
        """Create one agent per node, each cooperating with probability ``cooperators``.

        Args:
            neighbours: ``neighbours[i]`` lists the nodes tied to node ``i`` (symmetric).
            r: multiplication factor.
            cost: contribution per group.
            noise: Fermi noise ``K`` (positive).
            cooperators: initial probability of cooperating.
            seed: seed of the model's random stream (initial strategies and imitation).

        Raises:
            ValueError: if ``noise`` is not positive.
        """
        super().__init__(seed=seed)
        if not noise > 0:
            raise ValueError(f"noise must be positive, got {noise}")
        self.r = r
        self.cost = cost
        self.noise = noise
        self.members = [
            PublicGoodsAgent(self, self.random.random() < cooperators) for _ in neighbours
        ]
        for agent, row in zip(self.members, neighbours, strict=True):
            agent.neighbours = [self.members[j] for j in row]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "cooperation": lambda m: sum(a.cooperates for a in m.members) / len(m.members),
                "mean_payoff": lambda m: sum(a.payoff for a in m.members) / len(m.members),
            }
        )

    def play(self) -> None:
        """Compute every agent's payoff for the current strategies (stages 1 and 2)."""
        self.agents.do("share_pot")
        self.agents.do("collect_payoff")

    def step(self) -> None:
        """Play, record, then update all strategies synchronously."""
        self.play()
        self.datacollector.collect(self)
        self.agents.do("decide")
        self.agents.do("adopt")

    def run(self, steps: int) -> dict[str, np.ndarray]:
        """Take ``steps`` steps; return the recorded measures of this run, one row a step."""
        first = len(self.datacollector.model_vars["cooperation"])
        for _ in range(steps):
            self.step()
        return {
            name: np.asarray(values[first:], dtype=np.float64)
            for name, values in self.datacollector.model_vars.items()
        }

    def strategies(self) -> np.ndarray:
        """Current strategies as the engine's ``int8`` codes (1 cooperate, 0 defect)."""
        return np.array([a.cooperates for a in self.members], dtype=np.int8)

    def set_strategies(self, strategy: np.ndarray) -> None:
        """Overwrite every agent's strategy from an array of codes (for exact checks)."""
        for agent, code in zip(self.members, strategy.tolist(), strict=True):
            agent.cooperates = bool(code)

    def payoffs(self) -> np.ndarray:
        """Payoffs computed by the last :meth:`play`, in node order."""
        return np.array([a.payoff for a in self.members], dtype=np.float64)
