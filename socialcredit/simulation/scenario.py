"""Scenarios of the policy lab: what to simulate, as YAML, validated once.

A scenario names the population and network, the game and the update rule, the agents'
behaviour, and the institution: observation (coverage, labelling errors), the policy bundle
that scores the records, the measures that follow from grades, the due-process safeguards,
and the mechanics from the article, each a switch with parameters. ``institution: null``
is a society with no system at all.

Points of mechanics the real engine refuses (association, expression, informant rewards)
live here, in the scenario, under ``not_lawful_points`` — never in a policy bundle.

Every key is checked; an unknown key or a bad value is reported as a
:class:`~socialcredit.errors.ScenarioError` naming the key path (``institution.coverage``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from socialcredit.errors import Problem, ScenarioError

__all__ = [
    "Behaviour",
    "Contagion",
    "DueProcess",
    "Expression",
    "GameSpec",
    "Informants",
    "InstitutionSpec",
    "Manipulation",
    "Measures",
    "Mechanics",
    "NetworkParams",
    "NotLawfulPoints",
    "Ostracism",
    "Scenario",
    "load_scenario",
    "parse_scenario",
    "shipped_scenarios",
    "with_overrides",
]

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
    "deterrence",
    "memory",
    "cooperators",
    "fraction",
    "insider_share",
    "reasoning",
}


@dataclass(frozen=True, slots=True)
class NetworkParams:
    """The social network: ``small_world`` (k, p), ``scale_free`` (m) or ``lattice``."""

    kind: str = "small_world"
    k: int = 10
    p: float = 0.1
    m: int = 5

    def __post_init__(self) -> None:
        _choice("kind", self.kind, ("small_world", "scale_free", "lattice"))


@dataclass(frozen=True, slots=True)
class GameSpec:
    """The game: ``public_goods`` (r), ``prisoners_dilemma`` (temptation) or ``trust``; and
    the imitation rule: ``fermi`` (noise K) or ``best_neighbour`` (Nowak–May)."""

    kind: str = "public_goods"
    r: float = 4.0
    temptation: float = 1.3
    noise: float = 0.5
    update: str = "fermi"

    def __post_init__(self) -> None:
        _choice("kind", self.kind, ("public_goods", "prisoners_dilemma", "trust"))
        _choice("update", self.update, ("fermi", "best_neighbour"))


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How agents act each step, and how they reason about sanctions.

    Attributes:
        obligation_rate: chance that an obligation (a repayment) falls due in a step.
        civic_rate: chance of a civic act (volunteering) for a cooperator; half for defectors.
        deterrence: weight of perceived sanction risk in the choice to comply
            (expected-sanction reasoning; 0 = agents ignore sanctions).
        fear_k: Epstein's k in ``fear = 1 - exp(-k * seen)``, ``seen`` being the smoothed
            share of neighbours sanctioned per step (scaled by ``fear_scale``).
        fear_scale: how many sanctions per neighbour-step count as "all of them".
        memory: smoothing of what agents see (weight of the new observation).
        reasoning: per step, the chance ``reasoning * fear`` that a defector switches to
            cooperation for fear of sanctions (expected-sanction reasoning in the game).
    """

    obligation_rate: float = 0.1
    civic_rate: float = 0.05
    deterrence: float = 0.5
    fear_k: float = 2.3
    fear_scale: float = 1.0
    memory: float = 0.2
    reasoning: float = 0.1


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
        ledger_verification: records live in the tamper-evident ledger: tampering and
            unverified (fake) ratings are detected with probability ``detection``.
    """

    enabled: bool = False
    insider_share: float = 0.05
    fake_rate: float = 0.2
    bribe_rate: float = 0.5
    bribe_success: float = 0.5
    tamper_rate: float = 0.002
    ledger_verification: bool = True
    detection: float = 0.95


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
        policy: ``default`` (this project's default bundle) or a bundle directory.
        coverage: chance that an act is recorded (surveillance level).
        label_error: chance that an observed act is labelled wrongly (a compliant act as a
            violation, or a violation as compliant).
    """

    policy: str = "default"
    coverage: float = 0.5
    label_error: float = 0.02
    measures: Measures = field(default_factory=Measures)
    due_process: DueProcess = field(default_factory=DueProcess)
    mechanics: Mechanics = field(default_factory=Mechanics)
    not_lawful_points: NotLawfulPoints = field(default_factory=NotLawfulPoints)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario: everything a run needs besides its seed.

    Attributes:
        name, description: for reports.
        agents, network, game, behaviour: the society.
        cooperators: initial share of cooperators.
        steps: steps per run; ``step_days`` of policy time each.
        seeds: how many seeds a ``simulate`` run uses (0, 1, ... unless given).
        metrics_every: heavy metrics (assortativity, components) every this many steps.
        institution: the system, or ``None`` for a society without one.
    """

    name: str = "unnamed"
    description: str = ""
    agents: int = 2000
    network: NetworkParams = field(default_factory=NetworkParams)
    game: GameSpec = field(default_factory=GameSpec)
    behaviour: Behaviour = field(default_factory=Behaviour)
    cooperators: float = 0.5
    steps: int = 100
    step_days: int = 7
    seeds: int = 5
    metrics_every: int = 10
    institution: InstitutionSpec | None = None


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Build a :class:`Scenario` from parsed YAML, checking every key and value.

    Raises:
        ScenarioError: listing every unknown key and bad value by its key path.
    """
    problems: list[Problem] = []
    scenario = _build(Scenario, data, "", problems)
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
    (``institution: {coverage: 0.9}`` keeps the institution's other settings); any other
    value replaces the old one.

    Raises:
        ScenarioError: if a key does not exist or a value is invalid.
    """
    data = _as_data(scenario)
    for key, value in overrides.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ScenarioError("bad override", [Problem(key, "no such key")])
            node = node[part]
        if parts[-1] not in node:
            raise ScenarioError("bad override", [Problem(key, "no such key")])
        node[parts[-1]] = _updated(node[parts[-1]], value)
    return parse_scenario(data, "scenario with overrides")


def _updated(old: Any, new: Any) -> Any:
    """``new``, or — both being mappings — ``old`` with ``new``'s keys updated recursively."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return new
    merged = dict(old)
    for key, value in new.items():
        merged[key] = _updated(merged[key], value) if key in merged else value
    return merged


def _as_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _as_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def _build(cls: type, data: Any, path: str, problems: list[Problem]) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(path or "scenario", "must be a mapping"))
        return None
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in sorted(set(data) - names):
        problems.append(Problem(_join(path, str(key)), "unknown key"))
    kwargs = {}
    for name in names & set(data):
        kwargs[name] = _convert(hints[name], data[name], _join(path, name), problems)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        problems.append(Problem(path or "scenario", str(error)))
        return None


def _convert(hint: Any, value: Any, path: str, problems: list[Problem]) -> Any:
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType):  # "X | None"
        if value is None:
            return None
        hint = next(a for a in args if a is not type(None))
        args = typing.get_args(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, path, problems)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(path, "must be a list of strings"))
            return ()
        return tuple(value)
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(Problem(path, "must be a mapping"))
            return {}
        return {str(k): _convert(args[1], v, f"{path}.{k}", problems) for k, v in value.items()}
    return _scalar(hint, value, path, problems)


def _scalar(hint: Any, value: Any, path: str, problems: list[Problem]) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            problems.append(Problem(path, "must be true or false"))
        return bool(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem(path, "must be an integer"))
            return 0
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(Problem(path, "must be a number"))
            return 0.0
        return float(value)
    if not isinstance(value, str):
        problems.append(Problem(path, "must be a string"))
        return ""
    return value


def _check_values(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []

    def walk(value: Any, path: str) -> None:
        if not dataclasses.is_dataclass(value):
            return
        for f in dataclasses.fields(value):
            item, where = getattr(value, f.name), _join(path, f.name)
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
    side = math.isqrt(max(scenario.agents, 0))
    if scenario.network.kind == "lattice" and side * side != scenario.agents:
        problems.append(Problem("agents", "a lattice needs a square number of agents"))
    return problems


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
