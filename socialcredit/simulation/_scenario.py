"""Scenarios of the policy lab: what to simulate, as YAML, validated once.

A scenario names the population and network, the game and the update rule, the agents'
behaviour, and the institution: observation (coverage, labelling errors), the policy bundle
that scores the records, the measures that follow from grades, the due-process safeguards,
and the mechanics from the article, each a switch with parameters. ``institution: null``
is a society with no system at all.

Points of mechanics the real engine refuses (association, expression, informant rewards)
live here, in the scenario, under ``not_lawful_points`` — never in a policy bundle.

The society's parts are the Python API's own objects, picked by their ``kind``: the game
(:class:`~.games.PrisonersDilemma`, :class:`~.games.PublicGoods`, :class:`~.games.TrustGame`
with every parameter), the update rule (:class:`~.imitation.Fermi`,
:class:`~.imitation.FermiMonteCarlo`, :class:`~.imitation.BestNeighbour`), the initial
condition (:mod:`.initial`) and the trait distributions; so whatever the API can build, a
scenario can say. Networks are given without their size (``agents`` is): small world, scale
free, lattice (von Neumann or Moore) or stochastic blocks.

Every key is checked; an unknown key or a bad value is reported as a
:class:`~socialcredit.errors.ScenarioError` naming the key path (``game.self_interaction``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import yaml

from socialcredit.errors import Problem, ScenarioError
from socialcredit.simulation._config import (
    BlocksSpec,
    LatticeSpec,
    NetworkSpec,
    ScaleFreeSpec,
    SmallWorldSpec,
)
from socialcredit.simulation._games import PrisonersDilemma, PublicGoods, TrustGame
from socialcredit.simulation._imitation import BestNeighbour, Fermi, FermiMonteCarlo
from socialcredit.simulation._initial import Clusters, RandomShare, SingleDefector
from socialcredit.simulation._population import TraitParameters
from socialcredit.simulation._schema import as_data, build, join, merged
from socialcredit.simulation._whole_bundle_data import unmapped_kinds

__all__ = [
    "ORIGIN_US",
    "Behaviour",
    "BlocksNetwork",
    "Contagion",
    "DueProcess",
    "Expression",
    "GameSpec",
    "Informants",
    "InitialSpec",
    "InstitutionSpec",
    "LatticeNetwork",
    "Manipulation",
    "Measures",
    "Mechanics",
    "NetworkParams",
    "NotLawfulPoints",
    "Ostracism",
    "ScaleFreeNetwork",
    "Scenario",
    "SmallWorldNetwork",
    "UpdateSpec",
    "load_scenario",
    "parse_scenario",
    "shipped_scenarios",
    "with_overrides",
]

ORIGIN_US = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z
"""Policy time of step 0 (µs): step ``s`` of a scenario is at ``ORIGIN_US + s * step_days``
days."""

_FRACTIONS = {
    "coverage",
    "label_error",
    "rate",
    "share",
    "report_rate",
    "false_rate",
    "p",
    "dispute_rate",
    "dispute_success",
    "fake_rate",
    "bribe_rate",
    "bribe_success",
    "tamper_rate",
    "detection",
    "obligation_rate",
    "civic_rate",
    "memory",
    "prior_detection",
    "legitimacy",
    "voice_threshold",
    "audit_rate",
    "cooperators",
    "fraction",
    "insider_share",
    "reasoning",
    "organisations",
}


@dataclass(frozen=True, slots=True)
class SmallWorldNetwork:
    """A Watts–Strogatz small world: ring of ``k`` nearest neighbours, rewired with ``p``."""

    kind: ClassVar[str] = "small_world"
    k: int = 10
    p: float = 0.1

    def spec(self, agents: int) -> NetworkSpec:
        """The API's network spec for ``agents`` agents."""
        return SmallWorldSpec(agents, self.k, self.p)


@dataclass(frozen=True, slots=True)
class ScaleFreeNetwork:
    """A Barabási–Albert network: each new agent links to ``m`` earlier ones."""

    kind: ClassVar[str] = "scale_free"
    m: int = 5

    def spec(self, agents: int) -> NetworkSpec:
        """The API's network spec for ``agents`` agents."""
        return ScaleFreeSpec(agents, self.m)


@dataclass(frozen=True, slots=True)
class LatticeNetwork:
    """A periodic square lattice of ``agents`` (a square number) sites.

    ``neighbourhood``: ``von_neumann`` (4 neighbours) or ``moore`` (8).
    """

    kind: ClassVar[str] = "lattice"
    neighbourhood: str = "von_neumann"

    def __post_init__(self) -> None:
        _choice("neighbourhood", self.neighbourhood, ("von_neumann", "moore"))

    def spec(self, agents: int) -> NetworkSpec:
        """The API's network spec for ``agents`` agents."""
        return LatticeSpec(math.isqrt(agents), self.neighbourhood)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class BlocksNetwork:
    """A stochastic block model: block ``sizes`` (summing to ``agents``) and the symmetric
    matrix of link ``probabilities`` between blocks."""

    kind: ClassVar[str] = "blocks"
    sizes: tuple[int, ...]
    probabilities: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        k = len(self.sizes)
        if k == 0 or min(self.sizes) < 1:
            raise ValueError("sizes must be a non-empty list of positive block sizes")
        rows = self.probabilities
        if len(rows) != k or any(len(row) != k for row in rows):
            raise ValueError(f"probabilities must be a {k} x {k} matrix")
        if any(not 0.0 <= v <= 1.0 for row in rows for v in row):
            raise ValueError("probabilities must lie in [0, 1]")
        if any(rows[a][b] != rows[b][a] for a in range(k) for b in range(a)):
            raise ValueError("probabilities must be symmetric")

    def spec(self, agents: int) -> NetworkSpec:
        """The API's network spec (``agents`` is the sum of the sizes)."""
        return BlocksSpec(self.sizes, self.probabilities)


NetworkParams = SmallWorldNetwork | ScaleFreeNetwork | LatticeNetwork | BlocksNetwork
"""The network of a scenario, by ``kind``."""

GameSpec = PublicGoods | PrisonersDilemma | TrustGame
"""The game, by ``kind``: the API's game objects, every parameter a key."""

UpdateSpec = Fermi | FermiMonteCarlo | BestNeighbour
"""The imitation rule, by ``kind``: synchronous Fermi, random sequential Fermi, Nowak–May."""

InitialSpec = RandomShare | SingleDefector | Clusters
"""The initial condition, by ``kind``."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How agents decide, and how they learn what the system does (see ``decisions.py``).

    Every decision weighs the value of an act against its expected sanction: the perceived
    detection probability (learned from the agent's own and its partners' records) times
    the loss in measures the bundle's rules would impose, scaled by the agent's risk
    aversion (Epstein 2002: net risk = risk aversion x arrest probability).

    Attributes:
        obligation_rate: chance that an obligation (a repayment) falls due in a step.
        civic_rate: chance of a civic act (volunteering) for a cooperator; half for defectors.
        memory: weight of a new observation in what agents learn (forgetting 1 - memory).
        reasoning: share of defectors who deliberate each step (revision rate): each
            compares the private gain of free riding with its expected sanction.
        prior_detection, prior_strength: the Beta prior of the perceived detection
            probability (mean, and its weight in observations).
        horizon: steps over which an agent weighs the measures a sanction would bring.
        risk_aversion: mean risk aversion; each agent's is uniform on [0, 2 x mean].
        default_gain: payoff value of keeping money owed (obligations, trust returns); an
            agent's temptation is ``default_gain * (u - willingness)``, ``u`` uniform.
        act_value_sd: spread of the intrinsic value of free riding across agents.
        voice_value: value of voicing the strongest grievance (payoff units).
        legitimacy: perceived legitimacy L; grievance = hardship x (1 - L) (Epstein 2002).
        voice_threshold: share of ``voice_value`` an opinion must exceed to be voiced.
    """

    obligation_rate: float = 0.1
    civic_rate: float = 0.05
    memory: float = 0.2
    reasoning: float = 0.1
    prior_detection: float = 0.1
    prior_strength: float = 2.0
    horizon: int = 8
    risk_aversion: float = 1.0
    default_gain: float = 10.0
    act_value_sd: float = 1.0
    voice_value: float = 10.0
    legitimacy: float = 0.5
    voice_threshold: float = 0.1


@dataclass(frozen=True, slots=True)
class Measures:
    """Consequences of grades: payoff change per tie (negative: restrictions), per grade."""

    per_tie: dict[str, float] = field(
        default_factory=lambda: {"AAA": 0.05, "AA": 0.02, "B": -0.05, "C": -0.15, "D": -0.3}
    )


@dataclass(frozen=True, slots=True)
class DueProcess:
    """The real engine's safeguards: disputes, expiry, restoration, hardship."""

    disputes: bool = True
    dispute_rate: float = 0.5
    dispute_success: float = 0.9
    expiry: bool = True
    restoration: bool = True
    restoration_steps: int = 8
    hardship: bool = True


@dataclass(frozen=True, slots=True)
class Contagion:
    """Association contagion: points per low-score neighbour each step (NOT LAWFUL)."""

    enabled: bool = False
    low_grades: tuple[str, ...] = ("B", "C", "D")


@dataclass(frozen=True, slots=True)
class Ostracism:
    """Agents cut ties with low-score neighbours and rewire to strangers."""

    enabled: bool = False
    rate: float = 0.2
    every: int = 5
    low_grades: tuple[str, ...] = ("B", "C", "D")


@dataclass(frozen=True, slots=True)
class Informants:
    """Rewarded reports of neighbours (NOT LAWFUL), with a false-report rate."""

    enabled: bool = False
    share: float = 0.05
    report_rate: float = 0.5
    false_rate: float = 0.1


@dataclass(frozen=True, slots=True)
class Expression:
    """Expression surveillance and penalties (NOT LAWFUL), hence self-censorship."""

    enabled: bool = False
    coverage: float = 0.5


@dataclass(frozen=True, slots=True)
class Manipulation:
    """Gaming the system: fake ratings, bribed officials, tampering with records.

    Attributes:
        insider_share: share of agents who try to game (fake ratings, bribes).
        fake_rate: chance per step that a gamer buys a fake positive record.
        bribe_rate, bribe_success: chance a gamer bribes the official filing a record
            against it, and that the official drops it.
        tamper_rate: per step, share of agents whose negative records a compromised
            official deletes (or, equally often, whose record gets a false negative).
        ledger_verification: records live in a Merkle log (``socialcredit.ledger``):
            tampering is checked with real consistency and inclusion proofs.
        audit_rate: chance per step that a subject checks its receipt (an inclusion proof)
            and that a fake rating's cited interaction is checked.
        witness_every: a witness cosigns the log's checkpoint every this many steps.
    """

    enabled: bool = False
    insider_share: float = 0.05
    fake_rate: float = 0.2
    bribe_rate: float = 0.5
    bribe_success: float = 0.5
    tamper_rate: float = 0.002
    ledger_verification: bool = True
    audit_rate: float = 0.5
    witness_every: int = 4


@dataclass(frozen=True, slots=True)
class Mechanics:
    """The article's mechanics, each off unless switched on."""

    contagion: Contagion = field(default_factory=Contagion)
    ostracism: Ostracism = field(default_factory=Ostracism)
    informants: Informants = field(default_factory=Informants)
    expression: Expression = field(default_factory=Expression)
    manipulation: Manipulation = field(default_factory=Manipulation)


@dataclass(frozen=True, slots=True)
class NotLawfulPoints:
    """Points of the mechanics the real engine refuses; simulator-only, never in a bundle.

    ``association`` is per low-score neighbour (capped at ``association_cap``), the others
    per record; ``expiry_days`` is how long each such record counts.
    """

    association: int = -2
    association_cap: int = 10
    expression: int = -30
    informant_reward: int = 5
    expiry_days: int = 28


@dataclass(frozen=True, slots=True)
class InstitutionSpec:
    """The system: observation, the policy bundle, consequences, safeguards and mechanics.

    Attributes:
        policy: ``default`` (this project's default bundle) or a bundle directory (the
            scenario's top-level ``bundle`` takes precedence).
        coverage: chance that an act is recorded (surveillance level).
        label_error: chance that an observed act is labelled wrongly (a compliant act as a
            violation, or a violation as compliant).
        acts: ``core`` files the four kinds of ``acts.yaml``; ``bundle`` simulates the whole
            bundle: acts filed as every kind, its lists and its measures
            (:mod:`.whole_bundle`).
        organisations: with ``acts: bundle``, the share of agents that are organisations.
        public_income: with ``acts: bundle``, an organisation's public income (contracts,
            bids, subsidies) per tie and step, which exclusions take a share of.
    """

    policy: str = "default"
    coverage: float = 0.5
    label_error: float = 0.02
    measures: Measures = field(default_factory=Measures)
    due_process: DueProcess = field(default_factory=DueProcess)
    mechanics: Mechanics = field(default_factory=Mechanics)
    not_lawful_points: NotLawfulPoints = field(default_factory=NotLawfulPoints)
    acts: str = "core"
    organisations: float = 0.0
    public_income: float = 1.0

    def __post_init__(self) -> None:
        _choice("acts", self.acts, ("core", "bundle"))


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario: everything a run needs besides its seed.

    Attributes:
        name, description: for reports.
        agents: number of agents.
        network: the network (:data:`NetworkParams`, by ``kind``).
        game: the game (:data:`GameSpec`, by ``kind``).
        update: the imitation rule (:data:`UpdateSpec`, by ``kind``).
        initial: the strategies at step 0 (:data:`InitialSpec`, by ``kind``).
        traits: the Beta distributions of the agents' traits.
        heterogeneous_imitation: scale adoption probabilities by each agent's
            ``susceptibility`` trait (Fermi rules).
        behaviour: how agents act besides the game.
        steps: steps per run; ``step_days`` of policy time each.
        seeds: how many seeds a ``simulate`` run uses (0, 1, ... unless given).
        metrics_every: heavy metrics (assortativity, components) every this many steps.
        burn_in: steps left out of the run's summary (``simulate`` prints the cooperator
            share over the steps after it); ``None``: the first three quarters.
        institution: the system, or ``None`` for a society without one.
        bundle: a policy bundle directory the institution runs under (its scoring, and with
            ``institution.acts: bundle`` its lists and measures), checked on load by the
            loader of ``policy check``; ``None``: ``institution.policy``. A relative path in
            a scenario file is read from the file's folder.
    """

    name: str = "unnamed"
    description: str = ""
    agents: int = 2000
    network: NetworkParams = field(default_factory=SmallWorldNetwork)
    game: GameSpec = field(default_factory=lambda: PublicGoods(4.0))
    update: UpdateSpec = field(default_factory=Fermi)
    initial: InitialSpec = field(default_factory=RandomShare)
    traits: TraitParameters = field(default_factory=TraitParameters)
    heterogeneous_imitation: bool = False
    behaviour: Behaviour = field(default_factory=Behaviour)
    steps: int = 100
    step_days: int = 7
    seeds: int = 5
    metrics_every: int = 10
    burn_in: int | None = None
    institution: InstitutionSpec | None = None
    bundle: str | None = None

    @property
    def policy(self) -> str:
        """The bundle the institution runs under: ``bundle``, else ``institution.policy``."""
        if self.bundle is not None:
            return self.bundle
        return "default" if self.institution is None else self.institution.policy

    def summary_from(self, steps: int | None = None) -> int:
        """The first step of the summary window of a run of ``steps`` (default: ``steps``).

        ``burn_in`` if it leaves a step of the run, else the start of its last quarter (at
        least the last step).
        """
        steps = self.steps if steps is None else steps
        if self.burn_in is not None and self.burn_in < steps:
            return self.burn_in
        return steps - max(1, steps // 4)  # at least the last step, however short the run


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Build a :class:`Scenario` from parsed YAML, checking every key and value.

    Raises:
        ScenarioError: listing every unknown key and bad value by its key path.
    """
    problems: list[Problem] = []
    scenario = build(Scenario, data, "", problems)
    if not problems:
        problems.extend(_check_values(scenario))
    if problems:
        raise ScenarioError(f"{source} is not a valid scenario", problems)
    assert isinstance(scenario, Scenario)
    return scenario


def load_scenario(path_or_name: str | Path) -> Scenario:
    """A scenario from a YAML file, or a shipped one by name (see :func:`shipped_scenarios`).

    Raises:
        ScenarioError: if the file is missing, not YAML, or not a valid scenario.
    """
    path = Path(path_or_name)
    if not path.exists():
        shipped = shipped_scenarios()
        if str(path_or_name) not in shipped:
            reason = f"no such file, and not a shipped scenario ({', '.join(sorted(shipped))})"
            raise ScenarioError("scenario not found", [Problem("scenario", reason)])
        return shipped[str(path_or_name)]
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioError("cannot read scenario", [Problem(str(path), str(error))]) from error
    if isinstance(data, dict) and isinstance(data.get("bundle"), str):
        data = {**data, "bundle": str(path.parent / data["bundle"])}  # from the file's folder
    return parse_scenario(data, str(path))


def shipped_scenarios() -> dict[str, Scenario]:
    """The scenarios shipped with the package, by name."""
    folder = resources.files("socialcredit.simulation") / "scenarios"
    out = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            scenario = parse_scenario(yaml.safe_load(item.read_text()), item.name)
            out[scenario.name] = scenario
    return out


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with dotted keys replaced (``institution.coverage: 0.9``).

    A mapping given for a mapping updates only the keys it names, recursively
    (``institution: {coverage: 0.9}`` keeps the institution's other settings), unless it
    names another ``kind`` (then it replaces the old mapping); any other value replaces the
    old one.

    Raises:
        ScenarioError: if a key does not exist or a value is invalid.
    """
    data = as_data(scenario)
    for key, value in overrides.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ScenarioError("bad override", [Problem(key, "no such key")])
            node = node[part]
        if parts[-1] not in node:
            raise ScenarioError("bad override", [Problem(key, "no such key")])
        node[parts[-1]] = merged(node[parts[-1]], value)
    return parse_scenario(data, "scenario with overrides")


def _check_values(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []

    def walk(value: Any, path: str) -> None:
        if not dataclasses.is_dataclass(value):
            return
        for f in dataclasses.fields(value):
            item, where = getattr(value, f.name), join(path, f.name)
            if f.name in _FRACTIONS and not 0.0 <= item <= 1.0:
                problems.append(Problem(where, f"must lie in [0, 1], got {item}"))
            walk(item, where)

    walk(scenario, "")
    positive = {
        "agents": scenario.agents,
        "steps": scenario.steps,
        "step_days": scenario.step_days,
        "seeds": scenario.seeds,
        "metrics_every": scenario.metrics_every,
    }
    problems += [Problem(k, "must be >= 1") for k, v in positive.items() if v < 1]
    return problems + _check_society(scenario) + _check_bundle(scenario)


def _check_bundle(scenario: Scenario) -> list[Problem]:
    """The bundle, checked by the loader of ``policy check``: each problem under the key
    that names it and the bundle's path (``bundle: DIR: scoring.yaml:rules[3].kind``)."""
    from socialcredit.policy import PolicyError, load_bundle

    key = "bundle" if scenario.bundle is not None else "institution.policy"
    if scenario.policy == "default":
        return []
    if not Path(scenario.policy).is_dir():
        return [Problem(key, f"{scenario.policy}: not a bundle directory")]
    try:
        bundle = load_bundle(scenario.policy)
    except PolicyError as error:
        return [Problem(key, f"{scenario.policy}: {p.field}: {p.reason}") for p in error.problems]
    if scenario.institution is not None and scenario.institution.acts == "bundle":
        missing = unmapped_kinds(bundle)
        if missing:
            reason = f"{scenario.policy}: no act of whole_bundle.yaml files {', '.join(missing)}"
            return [Problem("institution.acts", reason)]
    return []


def _check_society(scenario: Scenario) -> list[Problem]:
    """What depends on the number of agents: lattice size, blocks, the single defector."""
    problems = []
    agents, network, initial = scenario.agents, scenario.network, scenario.initial
    side = math.isqrt(max(agents, 0))
    if isinstance(network, LatticeNetwork) and (side * side != agents or side < 3):
        problems.append(Problem("agents", "a lattice needs a square number >= 9 of agents"))
    if isinstance(network, BlocksNetwork) and sum(network.sizes) != agents:
        problems.append(Problem("network.sizes", f"must add up to agents ({agents})"))
    if isinstance(initial, SingleDefector) and (initial.agent or 0) >= agents:
        problems.append(Problem("initial.agent", f"must be below agents ({agents})"))
    if isinstance(initial, Clusters) and initial.count > agents:
        problems.append(Problem("initial.count", f"must not exceed agents ({agents})"))
    if scenario.burn_in is not None and not 0 <= scenario.burn_in < scenario.steps:
        problems.append(Problem("burn_in", f"must lie in [0, steps), got {scenario.burn_in}"))
    return problems


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
