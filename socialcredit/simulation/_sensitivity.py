"""Global sensitivity of the lab's findings to the agents' behavioural parameters (SALib).

A finding (a row of :data:`.report.CLAIMS`: scenario vs baseline on one measure) is a paired
difference. Its robustness is asked of two things:

1. **Seeds.** The report's seeds are split into two disjoint sets (:func:`.report.findings`);
   the difference's 95 % interval must exclude 0 with the same sign on both.
2. **Assumptions.** The behavioural parameters (``sensitivity.yaml``: a plausible range and
   its reason or source for each) are screened with Morris's elementary effects over every
   parameter, then Sobol indices (Saltelli sampling, first and total order) are estimated
   for the parameters screening puts on top. At every sampled point both scenarios run on
   the same seeds (common random numbers) and the finding's difference is their mean
   paired difference. The sign holds across the range when it has the finding's sign at a
   share ``agreement`` of all sampled points (Morris and Sobol alike).

:func:`.report.verdict` says ``holds`` only when both hold; otherwise ``depends on the seeds`` or
``depends on <parameter>``, naming the parameter whose values most separate the points where
the sign fails from those where it holds (the difference of their mean positions in the
range). :func:`screen` is the analysis alone, over any function of the parameters, so that
it can be checked on a synthetic finding; :func:`run_sensitivity` runs the scenarios.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from socialcredit.errors import Problem, ScenarioError
from socialcredit.simulation._lab import run_scenario
from socialcredit.simulation._report import _per_seed
from socialcredit.simulation._scenario import Behaviour, Scenario, with_overrides
from socialcredit.simulation._schema import build

__all__ = [
    "Design",
    "FindingSensitivity",
    "ParameterRange",
    "Ranges",
    "Sensitivity",
    "load_ranges",
    "read_sensitivity",
    "run_sensitivity",
    "screen",
    "write_sensitivity",
]

Evaluate = Callable[[np.ndarray, Sequence[str]], np.ndarray]
"""``(points, keys) -> differences``: points (rows) give values of the parameters ``keys``
(the others stay at the scenario's values); one column of differences per finding."""


@dataclass(frozen=True, slots=True)
class ParameterRange:
    """A parameter's plausible range and why: ``range`` is ``[low, high]``."""

    range: tuple[float, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Design:
    """Sample sizes of an analysis (see ``sensitivity.yaml`` for each field)."""

    agents: int | None = None
    steps: int | None = None
    seeds: int = 2
    seed: int = 1000
    trajectories: int = 10
    levels: int = 4
    top: int = 2
    sobol_max: int = 4
    sobol_samples: int = 16
    agreement: float = 0.95


@dataclass(frozen=True, slots=True)
class Ranges:
    """The contents of ``sensitivity.yaml``: parameter ranges, and designs by name."""

    parameters: dict[str, ParameterRange] = field(default_factory=dict)
    designs: dict[str, Design] = field(default_factory=dict)

    def bounds(self) -> list[tuple[float, float]]:
        """``(low, high)`` of each parameter, in the file's order."""
        return [(p.range[0], p.range[1]) for p in self.parameters.values()]


def load_ranges(path: str | Path | None = None) -> Ranges:
    """The shipped ``sensitivity.yaml``, or the file at ``path``, checked.

    Raises:
        ScenarioError: naming each bad key: unknown keys, a range that is not ``[low, high]``
            with ``low < high``, a parameter that is not a numeric scenario key, a default
            value outside its range, a design with a size below 1 or a share outside [0, 1].
    """
    if path is None:
        text = (resources.files("socialcredit.simulation") / "sensitivity.yaml").read_text()
        source = "sensitivity.yaml"
    else:
        source = str(path)
        try:
            text = Path(path).read_text()
        except OSError as error:
            raise ScenarioError("cannot read ranges", [Problem(source, str(error))]) from error
    problems: list[Problem] = []
    ranges = build(Ranges, yaml.safe_load(text), "", problems)
    if ranges is not None:
        problems += _check_ranges(ranges)
    if problems:
        raise ScenarioError(f"{source} is not a valid ranges file", problems)
    assert isinstance(ranges, Ranges)
    return ranges


def _check_ranges(ranges: Ranges) -> list[Problem]:
    problems = []
    for key, p in ranges.parameters.items():
        where = f"parameters.{key}.range"
        if len(p.range) != 2 or not p.range[0] < p.range[1]:
            problems.append(Problem(where, "must be [low, high] with low < high"))
            continue
        default = _default(key)
        if default is None:
            problems.append(Problem(f"parameters.{key}", "not a numeric behaviour key"))
        elif not p.range[0] <= default <= p.range[1]:
            problems.append(Problem(where, f"must contain the default {default}"))
    for name, d in ranges.designs.items():
        sizes = ("seeds", "trajectories", "top", "sobol_max", "sobol_samples")
        for size in sizes:
            if getattr(d, size) < 1:
                problems.append(Problem(f"designs.{name}.{size}", "must be >= 1"))
        if d.levels < 2 or d.levels % 2:
            problems.append(Problem(f"designs.{name}.levels", "must be an even number >= 2"))
        if not 0.0 <= d.agreement <= 1.0:
            problems.append(Problem(f"designs.{name}.agreement", "must lie in [0, 1]"))
    return problems


def _default(key: str) -> float | None:
    """The default value of ``behaviour.<name>``, or ``None`` if there is no such number."""
    head, _, name = key.partition(".")
    value = getattr(Behaviour(), name, None) if head == "behaviour" else None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number else None  # type: ignore[arg-type]


# -- the analysis ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingSensitivity:
    """One finding's sensitivity.

    Attributes:
        morris: per parameter ``[mu_star, mu_star_conf, sigma]`` (elementary effects of the
            difference; ``mu_star`` ranks influence, ``sigma`` shows interaction or
            non-linearity), in the ranges' order.
        sobol: per Sobol parameter ``[S1, S1_conf, ST, ST_conf]`` (shares of the
            difference's variance; ``ST`` counts interactions too).
        differences: the difference at every sampled point (Morris points, then Sobol).
    """

    claim: str
    scenario: str
    baseline: str
    measure: str
    morris: dict[str, list[float]]
    sobol: dict[str, list[float]]
    differences: list[float]

    def drivers(self, count: int = 3) -> list[str]:
        """The ``count`` parameters with the largest Morris ``mu_star`` (0 left out)."""
        ranked = sorted(self.morris, key=lambda k: -self.morris[k][0])
        return [k for k in ranked[:count] if self.morris[k][0] > 0]

    def share(self, sign: int) -> float:
        """Share of sampled points at which the difference has ``sign`` (+1 or -1)."""
        d = np.asarray(self.differences, dtype=np.float64)
        return float(np.mean(np.sign(d) == sign)) if d.size else float("nan")


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """An analysis: its design, the ranges, every sampled point and each finding's result.

    ``points`` holds one row per sampled point, the value of every parameter in
    ``parameters`` order (the scenario's own value where a stage left it fixed).
    """

    design: str
    sizes: Design
    parameters: dict[str, list[float]]
    points: list[list[float]]
    findings: list[FindingSensitivity]

    def of(self, scenario: str, baseline: str, measure: str) -> FindingSensitivity | None:
        """The result for one finding, if it was analysed."""
        for f in self.findings:
            if (f.scenario, f.baseline, f.measure) == (scenario, baseline, measure):
                return f
        return None

    def against(self, finding: FindingSensitivity, sign: int) -> str:
        """The parameter whose values best separate the points where ``finding`` lacks
        ``sign`` from those where it has it (its top Morris parameter if all lack it)."""
        keys = list(self.parameters)
        x = np.asarray(self.points, dtype=np.float64)
        low = np.array([self.parameters[k][0] for k in keys])
        high = np.array([self.parameters[k][1] for k in keys])
        unit = (x - low) / (high - low)
        agree = np.sign(np.asarray(finding.differences)) == sign
        if agree.all() or not agree.any():
            drivers = finding.drivers(1)
            return drivers[0] if drivers else keys[0]
        gap = np.abs(unit[~agree].mean(axis=0) - unit[agree].mean(axis=0))
        return keys[int(np.argmax(gap))]


def screen(
    evaluate: Evaluate, ranges: Ranges, design: Design, defaults: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray, list[dict[str, list[float]]], list[dict[str, list[float]]]]:
    """Morris screening over every parameter of ``ranges``, then Sobol indices over the
    union of each output's top ``design.top`` parameters (at most ``design.sobol_max``).

    ``evaluate`` gets the points of a stage and the keys they set; in the Sobol stage the
    other parameters keep their values (``defaults``, in ``ranges`` order, recorded in the
    returned points; the behaviour defaults when ``None``). Outputs that are NaN at a point
    count as a difference of 0 there.

    Returns:
        ``(points, differences, morris, sobol)``: all points (rows, every parameter), the
        outputs at them (points x outputs), and per output the Morris and Sobol results
        as :class:`FindingSensitivity` keeps them.
    """
    keys = list(ranges.parameters)
    base = np.array(
        defaults if defaults is not None else [_default(k) for k in keys], dtype=np.float64
    )
    problem = {"num_vars": len(keys), "names": keys, "bounds": ranges.bounds()}
    seed = design.seed
    x_morris = _morris_sample(problem, design, seed)
    y_morris = np.nan_to_num(np.asarray(evaluate(x_morris, keys), dtype=np.float64))
    morris = [_morris(problem, x_morris, y, design, seed) for y in y_morris.T]
    chosen = _sobol_keys(morris, keys, design)
    sub = {
        "num_vars": len(chosen),
        "names": chosen,
        "bounds": [ranges.bounds()[keys.index(k)] for k in chosen],
    }
    x_sub = _sobol_sample(sub, design, seed)
    y_sobol = np.nan_to_num(np.asarray(evaluate(x_sub, chosen), dtype=np.float64))
    sobol = [_sobol(sub, y, seed) for y in y_sobol.T]
    x_sobol = np.tile(base, (x_sub.shape[0], 1))
    x_sobol[:, [keys.index(k) for k in chosen]] = x_sub
    return np.vstack([x_morris, x_sobol]), np.vstack([y_morris, y_sobol]), morris, sobol


def _morris_sample(problem: dict[str, Any], design: Design, seed: int) -> np.ndarray:
    from SALib.sample import morris as morris_sample

    return np.asarray(
        morris_sample.sample(problem, design.trajectories, num_levels=design.levels, seed=seed)
    )


def _sobol_sample(problem: dict[str, Any], design: Design, seed: int) -> np.ndarray:
    from SALib.sample import sobol as sobol_sample

    with warnings.catch_warnings():  # SALib warns when N is not a power of 2: the yaml says it
        warnings.simplefilter("ignore")
        return np.asarray(
            sobol_sample.sample(problem, design.sobol_samples, calc_second_order=False, seed=seed)
        )


def _morris(
    problem: dict[str, Any], x: np.ndarray, y: np.ndarray, design: Design, seed: int
) -> dict[str, list[float]]:
    from SALib.analyze import morris as morris_analyse

    if np.ptp(y) == 0:  # no effect at all: SALib would divide by zero
        return {k: [0.0, 0.0, 0.0] for k in problem["names"]}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = morris_analyse.analyze(problem, x, y, num_levels=design.levels, seed=seed)
    return {
        k: [_num(r["mu_star"][i]), _num(r["mu_star_conf"][i]), _num(r["sigma"][i])]
        for i, k in enumerate(problem["names"])
    }


def _sobol(problem: dict[str, Any], y: np.ndarray, seed: int) -> dict[str, list[float]]:
    from SALib.analyze import sobol as sobol_analyse

    if np.ptp(y) == 0:  # no variance to share out
        return {k: [0.0, 0.0, 0.0, 0.0] for k in problem["names"]}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = sobol_analyse.analyze(problem, y, calc_second_order=False, seed=seed)
    return {
        k: [_num(r["S1"][i]), _num(r["S1_conf"][i]), _num(r["ST"][i]), _num(r["ST_conf"][i])]
        for i, k in enumerate(problem["names"])
    }


def _num(value: Any) -> float:
    v = float(value)
    return v if math.isfinite(v) else float("nan")


def _sobol_keys(morris: list[dict[str, list[float]]], keys: list[str], design: Design) -> list[str]:
    """Each output's top ``design.top`` parameters by ``mu_star`` relative to its largest;
    at most ``sobol_max`` of them, the most influential first (ties: the ranges' order)."""
    weight = dict.fromkeys(keys, 0.0)
    for result in morris:
        scale = max(v[0] for v in result.values())
        if not scale > 0:
            continue
        for k in sorted(keys, key=lambda k: -result[k][0])[: design.top]:
            weight[k] = max(weight[k], result[k][0] / scale)
    ranked = sorted((k for k in keys if weight[k] > 0), key=lambda k: -weight[k])
    chosen = ranked[: design.sobol_max] or keys[: min(design.sobol_max, len(keys))]
    return [k for k in keys if k in chosen]  # keep the ranges' order


# -- running the scenarios ------------------------------------------------------------------

Claim = tuple[str, str, str, str]


def run_sensitivity(
    scenarios: dict[str, Scenario],
    claims: Sequence[Claim],
    ranges: Ranges,
    design: str,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Sensitivity:
    """Screen every claim whose scenario and baseline are both in ``scenarios``.

    Each scenario runs once per sampled point and seed (``design.seeds`` seeds from
    ``design.seed``, the same everywhere), at ``design.agents`` agents for ``design.steps``
    steps (the scenario's own when null); each run is reduced as the report reduces it.
    Runs go to ``workers`` processes (1: in this process). ``progress`` gets 1 per run.

    Raises:
        ScenarioError: if ``design`` is not in ``ranges`` or no claim can be analysed.
    """
    if design not in ranges.designs:
        known = ", ".join(sorted(ranges.designs))
        raise ScenarioError("unknown design", [Problem("design", f"{design!r}: not {known}")])
    sizes = ranges.designs[design]
    todo = [c for c in claims if c[1] in scenarios and c[2] in scenarios]
    if not todo:
        raise ScenarioError("nothing to analyse", [Problem("scenarios", "no claim has both")])
    keys = list(ranges.parameters)
    defaults = [_default(k) or 0.0 for k in keys]
    runner = _Runner(scenarios, todo, sizes, workers, progress)
    points, _, morris, sobol = screen(runner, ranges, sizes, defaults)
    return Sensitivity(
        design,
        sizes,
        {k: list(p.range) for k, p in ranges.parameters.items()},
        points.tolist(),
        [
            FindingSensitivity(c, s, b, m, morris[i], sobol[i], runner.differences[i])
            for i, (c, s, b, m) in enumerate(todo)
        ],
    )


class _Runner:
    """The :data:`Evaluate` of real runs: every needed scenario at every point and seed."""

    def __init__(
        self,
        scenarios: dict[str, Scenario],
        claims: list[Claim],
        design: Design,
        workers: int | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.claims, self.design, self.workers, self.progress = claims, design, workers, progress
        names = sorted({c[1] for c in claims} | {c[2] for c in claims})
        self.scenarios = {n: scenarios[n] for n in names}
        self.measures = {n: sorted({c[3] for c in claims if n in c[1:3]}) for n in names}
        self.differences: list[list[float]] = [[] for _ in claims]

    def __call__(self, points: np.ndarray, keys: Sequence[str]) -> np.ndarray:
        seeds = [self.design.seed + i for i in range(self.design.seeds)]
        jobs = [
            (name, p, seed, self._overrides(self.scenarios[name], points[p], keys))
            for name in self.scenarios
            for p in range(points.shape[0])
            for seed in seeds
        ]
        values = self._run(jobs)
        out = np.full((points.shape[0], len(self.claims)), np.nan)
        for i, (_, scenario, baseline, measure) in enumerate(self.claims):
            for p in range(points.shape[0]):
                pairs = [
                    values[(scenario, p, s)][measure] - values[(baseline, p, s)][measure]
                    for s in seeds
                ]
                finite = [d for d in pairs if not math.isnan(d)]
                out[p, i] = float(np.mean(finite)) if finite else float("nan")
            self.differences[i] += np.nan_to_num(out[:, i]).tolist()
        return out

    def _overrides(
        self, scenario: Scenario, row: np.ndarray, keys: Sequence[str]
    ) -> dict[str, Any]:
        over: dict[str, Any] = {}
        for key, value in zip(keys, row, strict=True):
            default = _default(key)
            integer = isinstance(getattr(Behaviour(), key.partition(".")[2]), int)
            over[key] = round(float(value)) if integer and default is not None else float(value)
        if self.design.agents is not None:
            over["agents"] = self.design.agents
        return over

    def _run(self, jobs: list[tuple[str, int, int, dict[str, Any]]]) -> dict[Any, dict[str, float]]:
        steps = self.design.steps
        calls = [
            (self.scenarios[name], over, seed, steps, self.measures[name])
            for name, _, seed, over in jobs
        ]
        results: list[dict[str, float]] = []
        if self.workers == 1:
            for call in calls:
                results.append(_run_one(*call))
                if self.progress is not None:
                    self.progress(1)
        else:
            with ProcessPoolExecutor(max_workers=self.workers) as pool:
                for result in pool.map(_run_one, *zip(*calls, strict=True), chunksize=4):
                    results.append(result)
                    if self.progress is not None:
                        self.progress(1)
        return {(name, p, seed): r for (name, p, seed, _), r in zip(jobs, results, strict=True)}


def _run_one(
    scenario: Scenario, overrides: dict[str, Any], seed: int, steps: int | None, measures: list[str]
) -> dict[str, float]:
    """One run, reduced as the report reduces it (last quarter; heavy measures: last step)."""
    table = run_scenario(with_overrides(scenario, overrides), seed, steps=steps)
    return {m: _per_seed(table, scenario.name, m)[seed] for m in measures}


# -- storage --------------------------------------------------------------------------------


def write_sensitivity(result: Sensitivity, path: Path) -> Path:
    """Write ``result`` as JSON to ``path`` (written aside and moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(asdict(result), allow_nan=True))
    partial.replace(path)
    return path


def read_sensitivity(path: Path) -> Sensitivity:
    """Read what :func:`write_sensitivity` wrote.

    Raises:
        ScenarioError: if the file cannot be read or is not such a result.
    """
    try:
        data = json.loads(Path(path).read_text())
        return Sensitivity(
            data["design"],
            Design(**data["sizes"]),
            data["parameters"],
            data["points"],
            [FindingSensitivity(**f) for f in data["findings"]],
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ScenarioError("cannot read sensitivity", [Problem(str(path), str(error))]) from error
