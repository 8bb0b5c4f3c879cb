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
def demo(directory: Path) -> None:
    """Create a ledger, ingest the shipped sample records, verify it and check a proof."""
    result = run_demo(directory, click.echo)
    if not (result.verified and result.proof_ok):
        raise IntegrityError("the demo ledger did not verify")
