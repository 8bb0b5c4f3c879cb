"""Declarative settings of a simulation: which network, game, update rule and population.

Everything here is a frozen, picklable value, so a parameter sweep can ship a config to
another process and rebuild exactly the same run there from ``(config, seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from socialcredit.simulation._games import Game
from socialcredit.simulation._imitation import UpdateRule
from socialcredit.simulation._initial import InitialCondition
from socialcredit.simulation._networks import (
    Neighbourhood,
    Network,
    scale_free,
    small_world,
    square_lattice,
    stochastic_blocks,
)
from socialcredit.simulation._population import TraitParameters
from socialcredit.simulation._validate import check_fraction

__all__ = [
    "METRICS",
    "BlocksSpec",
    "LatticeSpec",
    "NetworkSpec",
    "ScaleFreeSpec",
    "SimulationConfig",
    "SmallWorldSpec",
]

METRICS = ("cooperation", "mean_payoff", "payoff_gini", "components")
"""Per-step measures a :class:`SimulationConfig` may ask for (see ``engine``)."""


class NetworkSpec(Protocol):
    """Something that builds a network from a random generator."""

    def build(self, rng: np.random.Generator) -> Network:
        """Build the network; the same generator state gives the same network."""
        ...


@dataclass(frozen=True, slots=True)
class LatticeSpec:
    """A periodic ``side x side`` lattice (:func:`.networks.square_lattice`)."""

    side: int
    neighbourhood: Neighbourhood = "von_neumann"

    def build(self, rng: np.random.Generator) -> Network:
        """Build it (lattices use no randomness)."""
        return square_lattice(self.side, self.neighbourhood)


@dataclass(frozen=True, slots=True)
class SmallWorldSpec:
    """A Watts–Strogatz network (:func:`.networks.small_world`)."""

    n: int
    k: int
    p: float

    def build(self, rng: np.random.Generator) -> Network:
        """Build it."""
        return small_world(self.n, self.k, self.p, rng)


@dataclass(frozen=True, slots=True)
class ScaleFreeSpec:
    """A Barabási–Albert network (:func:`.networks.scale_free`)."""

    n: int
    m: int

    def build(self, rng: np.random.Generator) -> Network:
        """Build it."""
        return scale_free(self.n, self.m, rng)


@dataclass(frozen=True, slots=True)
class BlocksSpec:
    """A stochastic block model (:func:`.networks.stochastic_blocks`)."""

    sizes: tuple[int, ...]
    probabilities: tuple[tuple[float, ...], ...]

    def build(self, rng: np.random.Generator) -> Network:
        """Build it."""
        return stochastic_blocks(list(self.sizes), np.array(self.probabilities), rng)


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What to simulate.

    Attributes:
        network: a spec to build the network from the run's seed, or a ready network.
        game: the game played every step.
        update: the imitation rule applied after the game.
        cooperators: initial probability that an agent cooperates.
        initial: an initial condition (:mod:`.initial`: share, single defector, clusters)
            drawing the strategies instead of ``cooperators``, or ``None``.
        traits: trait distributions of the population.
        heterogeneous_imitation: scale adoption probabilities by each agent's
            ``susceptibility`` trait (the validation runs leave this off, as the papers do).
        metrics: measures recorded every step, from :data:`METRICS`.

    Raises:
        ValueError: if ``cooperators`` is outside ``[0, 1]`` or a metric is unknown.
    """

    network: NetworkSpec | Network
    game: Game
    update: UpdateRule
    cooperators: float = 0.5
    initial: InitialCondition | None = None
    traits: TraitParameters = field(default_factory=TraitParameters)
    heterogeneous_imitation: bool = False
    metrics: tuple[str, ...] = ("cooperation", "mean_payoff")

    def __post_init__(self) -> None:
        check_fraction("cooperators", self.cooperators)
        unknown = sorted(set(self.metrics) - set(METRICS))
        if unknown:
            raise ValueError(f"unknown metrics {unknown}; choose from {list(METRICS)}")
