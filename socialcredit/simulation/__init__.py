"""The policy lab's simulator: synthetic populations on social networks, playing games.

Layers, bottom up (each a module of its own):

* :mod:`.networks` / :mod:`.rewiring` — CSR networks: lattices, small worlds, scale-free,
  stochastic blocks; cutting and rewiring ties.
* :mod:`.population` — agents with Beta-distributed traits and a strategy code.
* :mod:`.games` — prisoner's dilemma (Nowak–May form), spatial public goods, trust game.
* :mod:`.imitation` — best-neighbour and Fermi imitation, synchronous or Monte-Carlo (the
  random sequential update compiled with numba, :mod:`._mc_kernel`).
* :mod:`.initial` — initial conditions: random share, single defector, clusters.
* :mod:`.metrics` — cooperation share, payoff mean and Gini, degree ratio, assortativity,
  components.
* :mod:`.config` / :mod:`.engine` — the seeded :class:`Simulation` loop and its
  :class:`Institution` seam.
* The policy lab on top: :mod:`.scenario` (YAML scenarios), :mod:`.institution` (observation
  → scoring by the real policy bundle via :mod:`socialcredit.scoring._vectorised` →
  consequences; binned rules through :mod:`._binned`), :mod:`.whole_bundle` (every kind,
  list and measure of a bundle), :mod:`.observation`, :mod:`.mechanics` (the article's mechanics),
  :mod:`.lab_metrics`, :mod:`.lab` (runs), :mod:`.sweep` (parallel sweeps), :mod:`.report`
  (findings with confidence intervals, offline HTML), :mod:`.sensitivity` (the global
  sensitivity of each finding to the behavioural parameters, SALib Morris and Sobol). See
  ``docs/lab.md``.

Everything random takes an explicit ``numpy.random.Generator``; a :class:`Simulation` is
fully determined by ``(config, seed)``.
"""

from socialcredit.simulation._config import (
    METRICS,
    BlocksSpec,
    LatticeSpec,
    NetworkSpec,
    ScaleFreeSpec,
    SimulationConfig,
    SmallWorldSpec,
)
from socialcredit.simulation._engine import Acts, Institution, Response, Simulation, to_arrow
from socialcredit.simulation._games import (
    Game,
    PrisonersDilemma,
    PublicGoods,
    TrustGame,
    prisoners_dilemma_payoffs,
    public_goods_payoffs,
    trust_game_payoffs,
)
from socialcredit.simulation._imitation import (
    BestNeighbour,
    Fermi,
    FermiMonteCarlo,
    PayoffFunction,
    UpdateContext,
    UpdateRule,
    best_neighbour,
    fermi_monte_carlo,
    fermi_monte_carlo_compiled,
    fermi_probability,
    fermi_synchronous,
)
from socialcredit.simulation._impact import (
    DEFAULT_OBSERVATION_ERROR,
    ImpactAssessment,
    assess_bundle,
)
from socialcredit.simulation._initial import Clusters, InitialCondition, RandomShare, SingleDefector
from socialcredit.simulation._institution import Deliberation, PolicyInstitution
from socialcredit.simulation._lab import (
    DERIVED,
    lab_scenario,
    lab_scenario_names,
    run_scenario,
    run_seeds,
    summarise,
    write_parquet,
)
from socialcredit.simulation._metrics import (
    assortativity,
    component_count,
    cooperation_share,
    degree_ratio,
    gini,
    mean,
)
from socialcredit.simulation._networks import (
    Network,
    scale_free,
    small_world,
    square_lattice,
    stochastic_blocks,
)
from socialcredit.simulation._population import (
    COOPERATE,
    DEFECT,
    BetaTrait,
    Population,
    TraitParameters,
)
from socialcredit.simulation._report import (
    CLAIMS,
    findings,
    findings_markdown,
    load_results,
    render_html,
)
from socialcredit.simulation._rewiring import rewire
from socialcredit.simulation._scenario import (
    Scenario,
    load_scenario,
    shipped_scenarios,
    with_overrides,
)
from socialcredit.simulation._sensitivity import (
    load_ranges,
    read_sensitivity,
    run_sensitivity,
    write_sensitivity,
)
from socialcredit.simulation._sweep import parse_vary, sweep

__all__ = [
    "CLAIMS",
    "COOPERATE",
    "DEFAULT_OBSERVATION_ERROR",
    "DEFECT",
    "DERIVED",
    "METRICS",
    "Acts",
    "BestNeighbour",
    "BetaTrait",
    "BlocksSpec",
    "Clusters",
    "Deliberation",
    "Fermi",
    "FermiMonteCarlo",
    "Game",
    "ImpactAssessment",
    "InitialCondition",
    "Institution",
    "LatticeSpec",
    "Network",
    "NetworkSpec",
    "PayoffFunction",
    "PolicyInstitution",
    "Population",
    "PrisonersDilemma",
    "PublicGoods",
    "RandomShare",
    "Response",
    "ScaleFreeSpec",
    "Scenario",
    "Simulation",
    "SimulationConfig",
    "SingleDefector",
    "SmallWorldSpec",
    "TraitParameters",
    "TrustGame",
    "UpdateContext",
    "UpdateRule",
    "assess_bundle",
    "assortativity",
    "best_neighbour",
    "component_count",
    "cooperation_share",
    "degree_ratio",
    "fermi_monte_carlo",
    "fermi_monte_carlo_compiled",
    "fermi_probability",
    "fermi_synchronous",
    "findings",
    "findings_markdown",
    "gini",
    "lab_scenario",
    "lab_scenario_names",
    "load_ranges",
    "load_results",
    "load_scenario",
    "mean",
    "parse_vary",
    "prisoners_dilemma_payoffs",
    "public_goods_payoffs",
    "read_sensitivity",
    "render_html",
    "rewire",
    "run_scenario",
    "run_seeds",
    "run_sensitivity",
    "scale_free",
    "shipped_scenarios",
    "small_world",
    "square_lattice",
    "stochastic_blocks",
    "summarise",
    "sweep",
    "to_arrow",
    "trust_game_payoffs",
    "with_overrides",
    "write_parquet",
    "write_sensitivity",
]
