"""CLI commands for the policy lab (simulate, sweep, lab report): thin over the library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._main import StorelessCommand, cli, emit_json

if TYPE_CHECKING:
    import numpy as np


def _seeds(count: int, base: int) -> list[int]:
    return list(range(base, base + count))


class _ListsShippedScenarios(StorelessCommand):
    """A command whose ``--help`` ends with the shipped scenarios, read from the library."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from socialcredit.simulation import DERIVED

        from ..simulation import shipped_scenarios

        shipped = shipped_scenarios()
        listed = {name: s.description for name, s in shipped.items()}
        listed |= {name: about for name, (_, _, about) in DERIVED.items()}
        with formatter.section("Shipped scenarios"):
            formatter.write_dl([(name, listed[name]) for name in sorted(listed)])
        super().format_epilog(ctx, formatter)


@cli.command("simulate", cls=_ListsShippedScenarios)
@click.argument("scenarios", nargs=-1)
@click.option("--shipped", is_flag=True, help="run every shipped scenario")
@click.option("--seeds", type=click.IntRange(min=1), help="seeds per scenario [scenario's]")
@click.option("--seed", "base_seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--steps", type=click.IntRange(min=1), help="steps per run [scenario's]")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("lab-results"),
    show_default=True,
    help="folder for SCENARIO.parquet",
)
@click.option(
    "--bundle",
    "bundle",
    type=click.Path(path_type=Path),
    default=None,
    help="policy bundle directory every scenario runs under (checked as by policy check)",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def simulate_command(
    scenarios: tuple[str, ...],
    shipped: bool,
    seeds: int | None,
    base_seed: int,
    steps: int | None,
    out: Path,
    bundle: Path | None,
    progress: bool,
) -> None:
    """Run SCENARIO (a YAML file, a shipped name or whole_bundle_unlinked) for several
    seeds; write Parquet.

    Prints, per scenario, the cooperator share over the steps after the scenario's burn-in.
    """
    from socialcredit.simulation import (
        lab_scenario,
        lab_scenario_names,
        run_seeds,
        summarise,
        write_parquet,
    )

    names = list(scenarios) + (lab_scenario_names() if shipped else [])
    if not names:
        raise click.UsageError("name a SCENARIO or pass --shipped")
    loaded = [lab_scenario(name, bundle) for name in names]  # refuse bad input before any run
    for scenario in loaded:
        count = seeds or scenario.seeds
        total = count * (steps or scenario.steps)
        with click.progressbar(
            length=total, label=scenario.name, hidden=not progress, file=sys.stderr
        ) as bar:
            table = run_seeds(scenario, _seeds(count, base_seed), steps=steps, progress=bar.update)
        path = write_parquet(table, out / f"{scenario.name}.parquet")
        click.echo(f"{scenario.name}: {count} seeds -> {path}")
        click.echo(f"  {summarise(table, scenario, steps=steps).line()}")


@cli.command("sweep", cls=_ListsShippedScenarios)
@click.argument("scenario")
@click.option(
    "--vary",
    "vary",
    multiple=True,
    required=True,
    metavar="KEY=V1,V2,...",
    help="dotted scenario key and its values; repeat for a grid",
)
@click.option("--seeds", type=click.IntRange(min=1), help="seeds per point [scenario's]")
@click.option("--seed", "base_seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--steps", type=click.IntRange(min=1), help="steps per run [scenario's]")
@click.option("--workers", type=click.IntRange(min=1), help="processes [CPU count]")
@click.option(
    "--common-seeds",
    is_flag=True,
    help="same seeds at every point (common random numbers) instead of distinct seeds",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Parquet file [lab-results/sweep-SCENARIO.parquet]",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def sweep_command(
    scenario: str,
    vary: tuple[str, ...],
    seeds: int | None,
    base_seed: int,
    steps: int | None,
    workers: int | None,
    common_seeds: bool,
    out: Path | None,
    progress: bool,
) -> None:
    """Run SCENARIO at every point of the --vary grid, in parallel processes."""
    from socialcredit.simulation import lab_scenario, parse_vary, sweep, write_parquet

    loaded = lab_scenario(scenario)
    grid = parse_vary(list(vary))
    count = seeds or loaded.seeds
    runs = count * len(list(_product_size(grid)))
    with click.progressbar(
        length=runs, label=f"sweep {loaded.name}", hidden=not progress, file=sys.stderr
    ) as bar:
        table = sweep(
            loaded,
            grid,
            seeds=count,
            base_seed=base_seed,
            steps=steps,
            workers=workers,
            common_seeds=common_seeds,
            progress=bar.update,
        )
    path = write_parquet(table, out or Path("lab-results") / f"sweep-{loaded.name}.parquet")
    click.echo(f"{runs} runs -> {path}")


def _product_size(grid: dict[str, list[object]]) -> range:
    size = 1
    for values in grid.values():
        size *= len(values)
    return range(size)


@cli.group("lab")
def lab_group() -> None:
    """The policy lab's reports."""


@lab_group.command("report", cls=StorelessCommand)
@click.argument("results", type=click.Path(path_type=Path), default=Path("lab-results"))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="HTML file [RESULTS/report.html]",
)
@click.option(
    "--markdown",
    "markdown",
    type=click.Path(path_type=Path),
    default=None,
    help="also write the findings table as Markdown",
)
@click.option("--json", "as_json", is_flag=True, help="print the findings as JSON")
@click.option(
    "--sensitivity",
    "design",
    default=None,
    metavar="DESIGN",
    help="run the global sensitivity analysis with DESIGN of sensitivity.yaml (docs, tiny) "
    "and keep it in RESULTS/sensitivity.json; without it a kept analysis is used",
)
@click.option("--ranges", type=click.Path(path_type=Path), help="ranges file [shipped]")
@click.option("--workers", type=click.IntRange(min=1), help="processes [CPU count]")
@click.option("--progress/--no-progress", default=True, show_default=True)
def report_command(
    results: Path,
    out: Path | None,
    markdown: Path | None,
    as_json: bool,
    design: str | None,
    ranges: Path | None,
    workers: int | None,
    progress: bool,
) -> None:
    """Render the HTML report (inline SVG, works offline) comparing the RESULTS scenarios.

    Each finding's verdict is "holds" only if its sign holds on both halves of the seeds and
    across the plausible range of the behavioural parameters (--sensitivity).
    """
    from socialcredit.simulation import (
        findings,
        findings_markdown,
        load_results,
        read_sensitivity,
        render_html,
    )

    table = load_results(results)
    kept = results / "sensitivity.json"
    if design is not None:
        _run_sensitivity(table, design, ranges, workers, progress, kept)
    analysis = read_sensitivity(kept) if kept.exists() else None
    page = render_html(table, sensitivity=analysis)
    target = out or results / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page)
    found = findings(table, analysis)
    if markdown is not None:
        markdown.write_text(findings_markdown(found))
    if as_json:
        emit_json([f.as_dict() for f in found])
        return
    click.echo(findings_markdown(found), nl=False)
    click.echo(f"report -> {target}")


def _run_sensitivity(
    table: dict[str, np.ndarray],
    design: str,
    ranges: Path | None,
    workers: int | None,
    progress: bool,
    kept: Path,
) -> None:
    """Analyse the claims among the RESULTS scenarios, re-running the shipped scenarios (and
    derived arms) of those names, and keep the result."""
    from socialcredit.simulation import (
        CLAIMS,
        lab_scenario,
        lab_scenario_names,
        load_ranges,
        run_sensitivity,
        write_sensitivity,
    )

    names = set(table["scenario"].tolist())
    scenarios = {n: lab_scenario(n) for n in lab_scenario_names() if n in names}
    loaded = load_ranges(ranges)
    done = [0]

    def tick(count: int) -> None:  # the number of runs is known only after screening
        done[0] += count
        if progress and done[0] % 100 == 0:
            click.echo(f"sensitivity ({design}): {done[0]} runs", err=True)

    result = run_sensitivity(scenarios, CLAIMS, loaded, design, workers=workers, progress=tick)
    click.echo(f"sensitivity ({design}) -> {write_sensitivity(result, kept)}")
