"""``policy assess``: the impact assessment of a bundle, recorded in the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..policy import bundle_in_force, load_bundle
from ..policy.assessment import record_assessment
from ..service import open_ledger
from . import emit_json, settings_of
from .policy_commands import policy


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
    from ..simulation.impact import DEFAULT_OBSERVATION_ERROR, assess_bundle  # slow import

    bundle = load_bundle(directory)
    ledger = open_ledger(settings_of(ctx), write=True)
    now = datetime.now(UTC)
    published = bundle_in_force(ledger, now, now)
    in_force = None if published is None else published.bundle
    assessment = assess_bundle(
        bundle,
        in_force,
        residents=residents,
        organisations=organisations,
        seed=seed,
        observation_error=DEFAULT_OBSERVATION_ERROR
        if observation_error is None
        else observation_error,
    )
    data = assessment.to_json()
    in_force_digest = None if in_force is None else in_force.digest
    position = record_assessment(ledger, bundle.digest, bundle.revision, data, in_force_digest)
    if as_json:
        emit_json({"position": position, "digest": bundle.digest, "assessment": data})
        return
    for line in assessment.summary_lines():
        click.echo(line)
    click.echo(f"recorded at position {position} with digest {bundle.digest}")
