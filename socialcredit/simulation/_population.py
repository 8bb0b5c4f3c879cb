"""Synthetic populations: heterogeneous traits and the strategy each agent currently plays.

Traits are independent Beta draws, one ``float32`` array per trait, fixed for the run:

=================  ==========  =====  =====================================================
trait              Beta(a, b)  mean   meaning
=================  ==========  =====  =====================================================
``ability``        (8, 2)      0.80   capacity to meet obligations (pay, perform a judgment)
``willingness``    (9, 1)      0.90   readiness to meet them when able ("will not pay" is low)
``dissent``        (2, 8)      0.20   propensity to express dissent or criticism
``susceptibility`` (2, 2)      0.50   how readily the agent imitates a better-off neighbour
=================  ==========  =====  =====================================================

The defaults are illustrative, not calibrated: most people can and will meet their obligations,
few are outspoken, and imitation is moderate with wide spread. Scenarios pass their own
:class:`TraitParameters`. The ability/willingness split mirrors the legal distinction between
"cannot pay" (hardship) and "will not pay" (the dishonest-debtor ground).

Strategies are ``int8`` codes; the built-in games read :data:`COOPERATE` (1) and
:data:`DEFECT` (0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from socialcredit.simulation._validate import check_fraction, check_positive

__all__ = ["COOPERATE", "DEFECT", "BetaTrait", "Population", "TraitParameters"]

COOPERATE = 1
DEFECT = 0

_TRAITS = ("ability", "willingness", "dissent", "susceptibility")


@dataclass(frozen=True, slots=True)
class BetaTrait:
    """Parameters ``a, b > 0`` of a Beta distribution on ``[0, 1]``.

    Raises:
        ValueError: if ``a`` or ``b`` is not a finite positive number.
    """

    a: float
    b: float

    def __post_init__(self) -> None:
        check_positive("a", self.a)
        check_positive("b", self.b)

    @property
    def mean(self) -> float:
        """``a / (a + b)``."""
        return self.a / (self.a + self.b)


@dataclass(frozen=True, slots=True)
class TraitParameters:
    """The Beta distribution of each trait (see the module table for the defaults)."""

    ability: BetaTrait = field(default_factory=lambda: BetaTrait(8.0, 2.0))
    willingness: BetaTrait = field(default_factory=lambda: BetaTrait(9.0, 1.0))
    dissent: BetaTrait = field(default_factory=lambda: BetaTrait(2.0, 8.0))
    susceptibility: BetaTrait = field(default_factory=lambda: BetaTrait(2.0, 2.0))


@dataclass(eq=False, slots=True)
class Population:
    """``n`` agents: four read-only trait arrays and the mutable ``strategy`` array.

    Attributes:
        ability, willingness, dissent, susceptibility: ``float32`` arrays in ``[0, 1]``.
        strategy: ``int8`` array of strategy codes (:data:`COOPERATE` / :data:`DEFECT`).
    """

    ability: np.ndarray
    willingness: np.ndarray
    dissent: np.ndarray
    susceptibility: np.ndarray
    strategy: np.ndarray

    @classmethod
    def random(
        cls,
        n: int,
        rng: np.random.Generator,
        *,
        traits: TraitParameters | None = None,
        cooperators: float = 0.5,
        strategies: Callable[[np.random.Generator], np.ndarray] | None = None,
    ) -> Population:
        """Draw ``n`` agents; each starts as a cooperator with probability ``cooperators``.

        Draws, in this order: the four traits (module table order), then the strategies, so a
        given generator state always yields the same population. ``strategies``, if given,
        draws the ``n`` initial strategies instead (an initial condition, see
        :mod:`.initial`), from the same generator after the traits.

        Raises:
            ValueError: if ``n`` is negative, ``cooperators`` is outside ``[0, 1]`` or
                ``strategies`` returns the wrong shape.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        check_fraction("cooperators", cooperators)
        params = traits or TraitParameters()
        arrays = {}
        for name in _TRAITS:
            dist: BetaTrait = getattr(params, name)
            arrays[name] = _frozen(rng.beta(dist.a, dist.b, n).astype(np.float32))
        if strategies is None:
            strategy = (rng.random(n) < cooperators).astype(np.int8)
        else:
            strategy = np.asarray(strategies(rng), dtype=np.int8)
            if strategy.shape != (n,):
                raise ValueError(f"initial strategies must have shape ({n},)")
        return cls(strategy=strategy, **arrays)

    @property
    def n(self) -> int:
        """Number of agents."""
        return int(self.strategy.size)

    def cooperators(self) -> np.ndarray:
        """Boolean mask of the agents currently playing :data:`COOPERATE`."""
        return np.asarray(self.strategy == COOPERATE)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a
