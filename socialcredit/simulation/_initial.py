"""Initial conditions: which strategy each agent plays at step 0.

Each condition draws an ``int8`` strategy array (:data:`~.population.COOPERATE` /
:data:`~.population.DEFECT`) for a network from the population's random stream, after the
traits, so changing the condition never changes the traits. Its ``kind`` is the scenario key.

* :class:`RandomShare` — each agent cooperates independently with probability ``cooperators``
  (the default; the same draws as ``Population.random(cooperators=...)``).
* :class:`SingleDefector` — everyone cooperates but one agent (Nowak & May's kaleidoscope).
* :class:`Clusters` — ``count`` balls of ``radius`` hops around random centres play
  ``strategy``, everyone else the other one; on a Moore lattice a ball is a
  ``(2 radius + 1)``-square block, on a von Neumann lattice a diamond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from socialcredit.simulation._networks import Network
from socialcredit.simulation._population import COOPERATE, DEFECT
from socialcredit.simulation._validate import check_fraction, check_positive_int

__all__ = ["Clusters", "InitialCondition", "RandomShare", "SingleDefector"]

_CODES = {"cooperate": COOPERATE, "defect": DEFECT}


class InitialCondition(Protocol):
    """Draws the strategies of step 0."""

    def strategies(self, network: Network, rng: np.random.Generator) -> np.ndarray:
        """The ``int8`` strategy of every agent of ``network``."""
        ...


@dataclass(frozen=True, slots=True)
class RandomShare:
    """Each agent cooperates with probability ``cooperators``.

    Raises:
        ValueError: if ``cooperators`` is outside ``[0, 1]``.
    """

    kind: ClassVar[str] = "share"
    cooperators: float = 0.5

    def __post_init__(self) -> None:
        check_fraction("cooperators", self.cooperators)

    def strategies(self, network: Network, rng: np.random.Generator) -> np.ndarray:
        """One uniform draw per agent."""
        return (rng.random(network.n) < self.cooperators).astype(np.int8)


@dataclass(frozen=True, slots=True)
class SingleDefector:
    """Everyone cooperates except ``agent`` (the middle agent, ``n // 2``, when ``None``).

    Raises:
        ValueError: if ``agent`` is negative (and, when drawing, not an agent of the network).
    """

    kind: ClassVar[str] = "single_defector"
    agent: int | None = None

    def __post_init__(self) -> None:
        if self.agent is not None and self.agent < 0:
            raise ValueError(f"agent must be >= 0, got {self.agent}")

    def strategies(self, network: Network, rng: np.random.Generator) -> np.ndarray:
        """All :data:`COOPERATE` but one :data:`DEFECT`; draws nothing."""
        agent = network.n // 2 if self.agent is None else self.agent
        if not 0 <= agent < network.n:
            raise ValueError(f"agent {agent} is not in a network of {network.n} agents")
        strategy = np.full(network.n, COOPERATE, dtype=np.int8)
        strategy[agent] = DEFECT
        return strategy


@dataclass(frozen=True, slots=True)
class Clusters:
    """``count`` clusters playing ``strategy`` in a population playing the other strategy.

    Centres are drawn uniformly without replacement; a cluster is every agent within
    ``radius`` hops of its centre (``radius = 0``: the centre alone), so clusters may merge.

    Raises:
        ValueError: if ``count`` is below 1, ``radius`` negative, or ``strategy`` is not
            ``cooperate`` or ``defect`` (and, when drawing, ``count`` exceeds the agents).
    """

    kind: ClassVar[str] = "clusters"
    count: int = 1
    radius: int = 1
    strategy: str = "cooperate"

    def __post_init__(self) -> None:
        check_positive_int("count", self.count)
        if self.radius < 0:
            raise ValueError(f"radius must be >= 0, got {self.radius}")
        if self.strategy not in _CODES:
            raise ValueError(f"strategy must be cooperate or defect, got {self.strategy!r}")

    def strategies(self, network: Network, rng: np.random.Generator) -> np.ndarray:
        """Balls around ``count`` random centres play ``strategy``."""
        if self.count > network.n:
            raise ValueError(f"count {self.count} exceeds the {network.n} agents")
        inside = np.zeros(network.n, dtype=np.float32)
        inside[rng.choice(network.n, size=self.count, replace=False)] = 1.0
        for _ in range(self.radius):
            inside = np.maximum(inside, (network.neighbour_sum(inside) > 0).astype(np.float32))
        code = _CODES[self.strategy]
        return np.where(inside > 0, code, 1 - code).astype(np.int8)
