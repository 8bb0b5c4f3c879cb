"""``socialcredit demo``: the system's main job, end to end, on shipped sample data."""

from __future__ import annotations

from pathlib import Path

import click

from ..demo import run_demo
from ..errors import IntegrityError
from . import cli


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Where the demo ledger is built.",
)
@click.option("--residents", default=100_000, show_default=True, type=click.IntRange(0))
@click.option("--organisations", default=5_000, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=2026, show_default=True, type=int)
def demo(directory: Path, residents: int, organisations: int, seed: int) -> None:
    """Build the synthetic city into a fresh ledger, score everyone, verify, prove an entry."""
    result = run_demo(directory, click.echo, residents=residents, organisations=organisations,
                      seed=seed)
    if not (result.verified and result.proof_ok):
        raise IntegrityError("the demo ledger did not verify")
