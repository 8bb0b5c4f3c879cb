"""Running scenarios: one seed, many seeds, results as Arrow tables and Parquet files.

:func:`build` turns a :class:`~.scenario.Scenario` and a seed into a :class:`~.engine.Simulation`
with a :class:`~.institution.PolicyInstitution` hook and deliberation about sanctions
(:class:`~.institution.Deliberation`);
:func:`run_scenario` runs it and returns one row per step (the measures of
:mod:`.lab_metrics`, plus ``scenario``, ``seed`` and ``step``); :func:`run_seeds` stacks
several seeds. A run is fully determined by ``(scenario, seed)``.

Some comparisons need an arm that is not a shipped scenario file but is *derived* from one:
:data:`DERIVED` names them (``whole_bundle_unlinked``: the same bundle with its list→measure
links removed, :func:`without_measure_links`), and :func:`lab_scenario` resolves a name, a
file or a derived arm alike, so that ``simulate`` and the sensitivity analysis build them the
same way.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from socialcredit.simulation._config import SimulationConfig
from socialcredit.simulation._engine import Simulation
from socialcredit.simulation._institution import Deliberation, PolicyInstitution
from socialcredit.simulation._lab_metrics import METRIC_NAMES
from socialcredit.simulation._scenario import (
    Scenario,
    load_scenario,
    shipped_scenarios,
    with_overrides,
)

__all__ = [
    "DERIVED",
    "Progress",
    "Summary",
    "build",
    "lab_scenario",
    "lab_scenario_names",
    "run_scenario",
    "run_seeds",
    "summarise",
    "without_measure_links",
    "write_parquet",
]

Progress = Callable[[int], None]
"""Called after each step with the number of steps just done (1)."""


def build(scenario: Scenario, seed: int) -> tuple[Simulation, PolicyInstitution]:
    """The simulation of ``scenario`` with ``seed`` and its institution hook.

    Raises:
        ValueError: if the seed is negative or the network cannot be built as asked.
    """
    spec = scenario.institution
    if spec is not None and scenario.bundle is not None:
        spec = dataclasses.replace(spec, policy=scenario.bundle)
    # the institution needs n before the network exists: every generator keeps n agents
    institution = PolicyInstitution(
        spec,
        scenario.behaviour,
        scenario.agents,
        scenario.step_days,
        metrics_every=scenario.metrics_every,
    )
    update = Deliberation(scenario.update, institution, scenario.behaviour.reasoning)
    config = SimulationConfig(
        network=scenario.network.spec(scenario.agents),
        game=scenario.game,
        update=update,
        initial=scenario.initial,
        traits=scenario.traits,
        heterogeneous_imitation=scenario.heterogeneous_imitation,
        metrics=(),
    )
    return Simulation(config, seed, [institution]), institution


def run_scenario(
    scenario: Scenario, seed: int, *, steps: int | None = None, progress: Progress | None = None
) -> dict[str, np.ndarray]:
    """Run ``scenario`` once; one array per column, one row per step.

    The last step always computes the heavy measures as well.

    Raises:
        ValueError: as :func:`build`.
    """
    steps = scenario.steps if steps is None else steps
    sim, institution = build(scenario, seed)
    for index in range(steps):
        if index == steps - 1:
            institution.metrics_every = 1  # heavy measures at the end of every run
        sim.step()
        if progress is not None:
            progress(1)
    rows = institution.history
    table: dict[str, Any] = {
        "scenario": np.array([scenario.name] * len(rows), dtype=object),
        "seed": np.full(len(rows), seed, dtype=np.int64),
        "step": np.array([int(r["step"]) for r in rows], dtype=np.int64),
    }
    for name in METRIC_NAMES:
        table[name] = np.array([r[name] for r in rows], dtype=np.float64)
    return table


def run_seeds(
    scenario: Scenario,
    seeds: Iterable[int],
    *,
    steps: int | None = None,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """:func:`run_scenario` for each seed, stacked (rows of seed after seed)."""
    tables = [run_scenario(scenario, s, steps=steps, progress=progress) for s in seeds]
    return concat(tables)


@dataclass(frozen=True, slots=True)
class Summary:
    """One measure of a batch of runs over the steps ``first`` to ``last`` (inclusive).

    Attributes:
        mean: mean over seeds of each run's mean over the window.
        seed_low, seed_high: the lowest and highest run mean.
        step_low, step_high: the lowest and highest value at any step of any run.
        step_sd: the mean over runs of the standard deviation over the window's steps
            (0 for a frozen run; fluctuation shows as a positive value).
    """

    measure: str
    seeds: int
    first: int
    last: int
    mean: float
    seed_low: float
    seed_high: float
    step_low: float
    step_high: float
    step_sd: float

    def line(self) -> str:
        """The summary as one line of text."""
        return (
            f"{self.measure} over steps {self.first}-{self.last}, {self.seeds} seeds: "
            f"mean {self.mean:.4f} (runs {self.seed_low:.4f}-{self.seed_high:.4f}; "
            f"steps {self.step_low:.4f}-{self.step_high:.4f}, sd over steps {self.step_sd:.4f})"
        )


def summarise(
    table: dict[str, np.ndarray],
    scenario: Scenario,
    *,
    steps: int | None = None,
    measure: str = "cooperation",
) -> Summary:
    """``measure`` of :func:`run_seeds`'s ``table`` over the scenario's summary window.

    The window starts at ``scenario.summary_from(steps)`` (its ``burn_in``) and runs to the
    last step.

    Raises:
        ValueError: if the table has no row in the window.
    """
    first = scenario.summary_from(steps)
    inside = table["step"] >= first
    if not inside.any():
        raise ValueError(f"no step from {first} on in the results")
    runs = [table[measure][inside & (table["seed"] == s)] for s in np.unique(table["seed"])]
    means = np.array([r.mean() for r in runs])
    values = np.concatenate(runs)
    return Summary(
        measure=measure,
        seeds=len(runs),
        first=first,
        last=int(table["step"][inside].max()),
        mean=float(means.mean()),
        seed_low=float(means.min()),
        seed_high=float(means.max()),
        step_low=float(values.min()),
        step_high=float(values.max()),
        step_sd=float(np.mean([r.std() for r in runs])),
    )


def concat(tables: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack tables with the same columns."""
    if not tables:
        return {}
    return {name: np.concatenate([t[name] for t in tables]) for name in tables[0]}


def write_parquet(table: dict[str, np.ndarray], path: Path) -> Path:
    """Write ``table`` to ``path`` (Parquet; parent folders made); returns the path.

    The file is written next to its destination and moved into place, so a failed write
    never leaves half a file behind.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {k: (v.astype(str) if v.dtype == object else v) for k, v in table.items()}
    partial = path.with_name(path.name + ".partial")
    pq.write_table(pa.table(columns), partial)
    partial.replace(path)
    return path


# -- derived arms ---------------------------------------------------------------------------


def without_measure_links(scenario: Scenario, name: str | None = None) -> Scenario:
    """``scenario`` under the same bundle with every list→measure link removed.

    The bundle (``scenario.policy``: the default or a directory) is read, its
    ``measures.yaml`` keeps every measure and service but gets ``links: []``, and the
    manifest lists the new file's hash (unsigned: the lab's copy is no publication). The copy
    is checked by the loader of ``policy check`` and written once to a folder named by its
    digest under the system's temporary directory, where every process finds it. Lists,
    kinds, points and everything else are unchanged, so the two arms differ only in what the
    measures do to payoffs and to the sanction agents expect. The result is named ``name``
    (default ``<name>_unlinked``).

    Raises:
        PolicyError: if the bundle, or its copy without links, fails its checks.
        ScenarioError: as :func:`~.scenario.with_overrides`.
    """
    from socialcredit.policy import default_bundle, load_bundle

    source = default_bundle() if scenario.policy == "default" else load_bundle(scenario.policy)
    files = dict(source.files)
    name = name or f"{scenario.name}_unlinked"
    note = f"{scenario.description} Its bundle's list→measure links removed.".strip()
    over: dict[str, Any] = {"name": name, "description": note}
    if "measures.yaml" in files:  # without it there is nothing to unlink
        over["bundle"] = str(_write_bundle(_unlinked(files)))
    return with_overrides(scenario, over)


def _unlinked(files: dict[str, bytes]) -> dict[str, bytes]:
    """The bundle's files with ``links: []`` in ``measures.yaml`` and the manifest rehashed."""
    from socialcredit.policy import file_hash

    measures = yaml.safe_load(files["measures.yaml"]) or {}
    measures["links"] = []
    text = yaml.safe_dump(measures, sort_keys=False, allow_unicode=True).encode("utf-8")
    manifest = yaml.safe_load(files["manifest.yaml"])
    for key in ("signature", "public_key"):
        manifest.pop(key, None)
    manifest["files"]["measures.yaml"] = file_hash(text)
    manifest["description"] = f"{manifest.get('description', '')} (lab copy without links)"
    dumped = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True).encode("utf-8")
    return {**files, "measures.yaml": text, "manifest.yaml": dumped}


def _write_bundle(files: dict[str, bytes]) -> Path:
    """Check ``files`` as a bundle and write them to a folder named by the bundle's digest,
    kept if a folder of that name already loads with that digest; written aside and renamed,
    so no process sees half of it."""
    import shutil

    from socialcredit.policy import load_bundle_from_files

    digest = load_bundle_from_files(files).digest
    root = Path(tempfile.gettempdir()) / "socialcredit-lab-bundles"
    target = root / digest[:24]
    if _holds(target, digest):
        return target
    root.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=root, prefix=".partial-"))
    for file_name, data in files.items():
        (partial / file_name).write_bytes(data)
    if target.is_dir() and not _holds(target, digest):  # a stale or altered copy
        shutil.rmtree(target, ignore_errors=True)
    try:
        os.replace(partial, target)
    except OSError:  # another process wrote the same folder first
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _holds(folder: Path, digest: str) -> bool:
    """Whether ``folder`` is a bundle directory that loads with ``digest``."""
    from socialcredit.policy import PolicyError, load_bundle

    if not folder.is_dir():
        return False
    try:
        return load_bundle(folder).digest == digest
    except PolicyError:
        return False


DERIVED: dict[str, tuple[str, Callable[[Scenario, str], Scenario], str]] = {
    "whole_bundle_unlinked": (
        "whole_bundle",
        without_measure_links,
        "whole_bundle under the same bundle without its list→measure links (built from it).",
    ),
}
"""Arms built from a shipped scenario, by name: ``(base scenario, derivation, description)``.
``whole_bundle_unlinked`` is ``whole_bundle`` with its bundle's list→measure links removed:
the baseline of "what the bundle's measures do"."""


def lab_scenario(name: str | Path, bundle: str | Path | None = None) -> Scenario:
    """A scenario file, a shipped scenario or a :data:`DERIVED` arm, by name; under
    ``bundle`` when given (a derived arm is derived from its base under that bundle).

    Raises:
        ScenarioError: as :func:`~.scenario.load_scenario` and
            :func:`~.scenario.with_overrides`.
        PolicyError: as :func:`without_measure_links`.
    """
    if str(name) in DERIVED and not Path(name).exists():
        base, derive, _ = DERIVED[str(name)]
        return derive(lab_scenario(base, bundle), str(name))
    scenario = load_scenario(name)
    return scenario if bundle is None else with_overrides(scenario, {"bundle": str(bundle)})


def lab_scenario_names() -> list[str]:
    """The shipped scenarios and the :data:`DERIVED` arms, sorted."""
    return sorted(set(shipped_scenarios()) | set(DERIVED))
