"""The policy lab's simulator: synthetic populations on social networks, playing games.

Layers, bottom up (each a module of its own):

* :mod:`.networks` / :mod:`.rewiring` — CSR networks: lattices, small worlds, scale-free,
  stochastic blocks; cutting and rewiring ties.
* :mod:`.population` — agents with Beta-distributed traits and a strategy code.
* :mod:`.games` — prisoner's dilemma (Nowak–May form), spatial public goods, trust game.
* :mod:`.imitation` — best-neighbour and Fermi imitation, synchronous or Monte-Carlo.
* :mod:`.metrics` — cooperation share, payoff mean and Gini, degree ratio, assortativity,
  components.
* :mod:`.config` / :mod:`.engine` — the seeded :class:`Simulation` loop and its
  :class:`Institution` seam, where observation, scoring with the real policy bundle and
  consequences will plug in.

Everything random takes an explicit ``numpy.random.Generator``; a :class:`Simulation` is
fully determined by ``(config, seed)``.
"""

from socialcredit.simulation.config import (
    METRICS,
    BlocksSpec,
    LatticeSpec,
    NetworkSpec,
    ScaleFreeSpec,
    SimulationConfig,
    SmallWorldSpec,
)
from socialcredit.simulation.engine import Acts, Institution, Response, Simulation, to_arrow
from socialcredit.simulation.games import (
    Game,
    PrisonersDilemma,
    PublicGoods,
    TrustGame,
    prisoners_dilemma_payoffs,
    public_goods_payoffs,
    trust_game_payoffs,
)
from socialcredit.simulation.imitation import (
    BestNeighbour,
    Fermi,
    FermiMonteCarlo,
    PayoffFunction,
    UpdateContext,
    UpdateRule,
    best_neighbour,
    fermi_monte_carlo,
    fermi_probability,
    fermi_synchronous,
)
from socialcredit.simulation.metrics import (
    assortativity,
    component_count,
    cooperation_share,
    degree_ratio,
    gini,
    mean,
)
from socialcredit.simulation.networks import (
    Network,
    scale_free,
    small_world,
    square_lattice,
    stochastic_blocks,
)
from socialcredit.simulation.population import (
    COOPERATE,
    DEFECT,
    BetaTrait,
    Population,
    TraitParameters,
)
from socialcredit.simulation.rewiring import rewire

__all__ = [
    "COOPERATE",
    "DEFECT",
    "METRICS",
    "Acts",
    "BestNeighbour",
    "BetaTrait",
    "BlocksSpec",
    "Fermi",
    "FermiMonteCarlo",
    "Game",
    "Institution",
    "LatticeSpec",
    "Network",
    "NetworkSpec",
    "PayoffFunction",
    "Population",
    "PrisonersDilemma",
    "PublicGoods",
    "Response",
    "ScaleFreeSpec",
    "Simulation",
    "SimulationConfig",
    "SmallWorldSpec",
    "TraitParameters",
    "TrustGame",
    "UpdateContext",
    "UpdateRule",
    "assortativity",
    "best_neighbour",
    "component_count",
    "cooperation_share",
    "degree_ratio",
    "fermi_monte_carlo",
    "fermi_probability",
    "fermi_synchronous",
    "gini",
    "mean",
    "prisoners_dilemma_payoffs",
    "public_goods_payoffs",
    "rewire",
    "scale_free",
    "small_world",
    "square_lattice",
    "stochastic_blocks",
    "to_arrow",
    "trust_game_payoffs",
]
