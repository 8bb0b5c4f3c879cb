"""``policy assess``: the impact assessment of a bundle, recorded in the ledger."""

from __future__ import annotations

from pathlib import Path

import click

from ..policy import load_bundle
from ..system import System
from ._main import emit_json, settings_of
from ._policy_commands import policy


@policy.command("assess")
@click.argument(
    "directory", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--residents", type=click.IntRange(0), default=100_000, show_default=True)
@click.option("--organisations", type=click.IntRange(0), default=5_000, show_default=True)
@click.option("--seed", type=click.IntRange(0), default=2026, show_default=True)
@click.option(
    "--observation-error",
    type=click.FloatRange(0, 1, max_open=True),
    help="Probability that a record is attributed to the wrong subject [default: 0.01].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as JSON.")
@click.pass_context
def assess(
    ctx: click.Context,
    directory: Path,
    residents: int,
    organisations: int,
    seed: int,
    observation_error: float | None,
    as_json: bool,
) -> None:
    """Assess the bundle in DIR against the bundle in force on the synthetic city, and
    record the assessment in the ledger with the bundle's digest."""
    bundle = load_bundle(directory)
    with System.open(settings_of(ctx)) as system:
        assessment, position = system.assess_policy(
            bundle,
            residents=residents,
            organisations=organisations,
            seed=seed,
            observation_error=observation_error,
        )
    if as_json:
        data = assessment.to_json()
        emit_json({"position": position, "digest": bundle.digest, "assessment": data})
        return
    for line in assessment.summary_lines():
        click.echo(line)
    click.echo(f"recorded at position {position} with digest {bundle.digest}")
