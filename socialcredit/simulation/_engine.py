"""The simulation loop: play the game, let institutions respond, imitate, record.

One step of :class:`Simulation`:

1. every agent plays the game against its network with its current strategy (the *acts*);
2. each :class:`Institution` hook sees the acts and may answer with payoff modifiers and a
   rewired network — this is the seam where observation → scoring with the real policy
   bundle → consequences (rewards, restrictions, ostracism) will plug in; the loop itself
   holds no scoring rule;
3. the step's measures are recorded from the strategies played and the modified payoffs;
4. the update rule turns strategies and modified payoffs into next step's strategies;
5. a network returned by a hook takes effect from the next step.

Randomness: ``SeedSequence(seed)`` is split into independent streams for the network, the
population, the dynamics and each hook (by position). Changing the game or adding a hook
therefore leaves the network and the initial population unchanged, so scenarios can be
compared on common random numbers.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from socialcredit.simulation._config import SimulationConfig
from socialcredit.simulation._imitation import UpdateContext
from socialcredit.simulation._metrics import component_count, cooperation_share, gini, mean
from socialcredit.simulation._networks import Network
from socialcredit.simulation._population import Population

__all__ = ["Acts", "Institution", "Response", "Simulation", "to_arrow"]


@dataclass(frozen=True, slots=True)
class Acts:
    """What happened in one step, as an institution may observe it (arrays are read-only).

    Attributes:
        step: index of the step, from 0.
        network: the network the game was played on.
        population: the agents (traits; ``strategy`` is the same as below).
        strategy: what each agent played (:data:`~.population.COOPERATE` / ``DEFECT``).
        payoff: each agent's game payoff, before any institution's modifier.
    """

    step: int
    network: Network
    population: Population
    strategy: np.ndarray
    payoff: np.ndarray


@dataclass(frozen=True, slots=True)
class Response:
    """An institution's answer to a step's acts.

    Attributes:
        payoff: additive payoff modifier per agent (rewards > 0, sanctions < 0), or ``None``.
        network: a replacement network (e.g. ties cut by ostracism, via
            :func:`~.rewiring.rewire`) taking effect next step, or ``None``.
    """

    payoff: np.ndarray | None = None
    network: Network | None = None


class Institution(Protocol):
    """Observes the acts of a step and responds: the observation → scoring → consequences hook.

    Called once per step with the acts and the institution's own random generator (for
    imperfect observation, errors, audits), which is reproducible from the simulation seed
    and independent of every other stream. Returns ``None`` for no consequence.
    """

    def __call__(self, acts: Acts, rng: np.random.Generator) -> Response | None:
        """Respond to the acts of one step."""
        ...


_Metric = Callable[[np.ndarray, np.ndarray, Network], float]

_METRIC_FUNCTIONS: dict[str, _Metric] = {
    "cooperation": lambda strategy, payoff, network: cooperation_share(strategy),
    "mean_payoff": lambda strategy, payoff, network: mean(payoff),
    # Gini is undefined when payoffs can be negative (public goods): recorded as NaN then
    "payoff_gini": lambda strategy, payoff, network: gini(payoff) if payoff.min() >= 0 else np.nan,
    "components": lambda strategy, payoff, network: float(component_count(network)),
}


class Simulation:
    """A seeded run of a :class:`~.config.SimulationConfig`.

    Attributes:
        config: what is simulated.
        seed: the seed the run was created with; ``Simulation(config, seed)`` replays it.
        network: the current network.
        population: the agents, with their current strategies.
        institutions: the hooks called every step, in order.
        rng: the stream of the dynamics (update rules draw from it).
        step_index: number of steps taken.
    """

    def __init__(
        self, config: SimulationConfig, seed: int, institutions: Sequence[Institution] = ()
    ) -> None:
        """Build the network and population from ``seed``.

        Raises:
            ValueError: if ``seed`` is not a non-negative integer.
        """
        self.config = config
        self.seed = _check_seed(seed)
        self.institutions = tuple(institutions)
        network_seq, population_seq, dynamics_seq, hooks_seq = np.random.SeedSequence(seed).spawn(4)
        spec = config.network
        self.network = (
            spec if isinstance(spec, Network) else spec.build(np.random.default_rng(network_seq))
        )
        self.population = Population.random(
            self.network.n,
            np.random.default_rng(population_seq),
            traits=config.traits,
            cooperators=config.cooperators,
            strategies=self._initial_strategies(),
        )
        self.rng = np.random.default_rng(dynamics_seq)
        self._hook_rngs = [np.random.default_rng(s) for s in hooks_seq.spawn(len(institutions))]
        self.step_index = 0

    def _initial_strategies(self) -> Callable[[np.random.Generator], np.ndarray] | None:
        initial, network = self.config.initial, self.network
        if initial is None:
            return None
        return lambda rng: initial.strategies(network, rng)

    def step(self) -> dict[str, float]:
        """Advance one step and return its measures (``config.metrics``, plus ``step``).

        Raises:
            ValueError: if an institution returns a modifier of the wrong shape, or two
                institutions replace the network in the same step.
        """
        strategy = _read_only(self.population.strategy)
        base = _read_only(self.config.game.payoffs(self.network, strategy))
        acts = Acts(self.step_index, self.network, self.population, strategy, base)
        modifier, new_network = self._respond(acts)
        payoff = base if modifier is None else base + modifier
        record = {"step": float(self.step_index)}
        for name in self.config.metrics:
            record[name] = _METRIC_FUNCTIONS[name](strategy, payoff, self.network)
        self.population.strategy = self.config.update(
            self.network, strategy, payoff, self.rng, self._context(modifier)
        )
        if new_network is not None:
            self.network = new_network
        self.step_index += 1
        return record

    def run(self, steps: int) -> dict[str, np.ndarray]:
        """Take ``steps`` steps; return one array per measure (``step`` first), one row a step.

        Raises:
            ValueError: if ``steps`` is negative (and as :meth:`step`).
        """
        if steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        names = ("step", *self.config.metrics)
        table = {name: np.empty(steps, dtype=np.float64) for name in names}
        for row in range(steps):
            record = self.step()
            for name in names:
                table[name][row] = record[name]
        table["step"] = table["step"].astype(np.int64)
        return table

    def _respond(self, acts: Acts) -> tuple[np.ndarray | None, Network | None]:
        modifier: np.ndarray | None = None
        new_network: Network | None = None
        for institution, rng in zip(self.institutions, self._hook_rngs, strict=True):
            response = institution(acts, rng)
            if response is None:
                continue
            if response.payoff is not None:
                if response.payoff.shape != (self.network.n,):
                    raise ValueError(f"payoff modifier must have shape ({self.network.n},)")
                delta = response.payoff.astype(np.float32, copy=False)
                modifier = delta if modifier is None else modifier + delta
            if response.network is not None:
                if new_network is not None:
                    raise ValueError("two institutions replaced the network in one step")
                if response.network.n != self.network.n:
                    raise ValueError("a replacement network must keep the same agents")
                new_network = response.network
        return modifier, new_network

    def _context(self, modifier: np.ndarray | None) -> UpdateContext:
        game, network = self.config.game, self.network

        def payoff_of(strategy: np.ndarray) -> np.ndarray:
            # an institution's modifier is held fixed while strategies change within a step
            base = game.payoffs(network, strategy)
            return base if modifier is None else base + modifier

        susceptibility = (
            self.population.susceptibility if self.config.heterogeneous_imitation else None
        )
        return UpdateContext(
            payoff_of, game.interaction_radius, susceptibility, game=game, modifier=modifier
        )


def to_arrow(table: dict[str, np.ndarray]) -> Any:
    """The table returned by :meth:`Simulation.run` as a ``pyarrow.Table``."""
    import pyarrow as pa  # imported on demand: the loop itself needs only numpy

    return pa.table(table)


def _check_seed(seed: int) -> int:
    """The seed as a plain ``int`` (NumPy integers welcome); ``ValueError`` unless >= 0."""
    try:
        value = operator.index(seed)
    except TypeError:
        value = -1
    if isinstance(seed, bool) or value < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return value


def _read_only(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view
