"""``scorecard fit``: learn the finance scorecard from the ledger and write it as a bundle."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Problem, ValidationError
from ..system import System
from ._args import parse_moment
from ._main import cli, emit_json, settings_of


@cli.group()
def scorecard() -> None:
    """A learned scorecard, published as ordinary rules (docs/scorecard.md)."""


@scorecard.command("fit")
@click.option("--as-of", "as_of", required=True, help="Learn from the ledger as known then.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="New DIR.")
@click.option("--split", help="Obligations originated from then on validate out of time.")
@click.option("--pdo", type=click.FloatRange(1, 1000), default=20.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def fit(
    ctx: click.Context, as_of: str, out: Path, split: str | None, pdo: float, as_json: bool
) -> None:
    """Learn the scorecard from the outcomes known at --as-of; write DIR/bundle (the next
    bundle revision, to check, sign, assess and publish), DIR/report.json and
    DIR/reason_codes.csv. Nothing is written unless all of it is."""
    when = parse_moment(as_of, "--as-of")
    cut = None if split is None else parse_moment(split, "--split")
    if out.exists() and any(out.iterdir()):
        raise ValidationError("scorecard fit refused", [Problem("--out", f"{out} is not empty")])
    with System.open(settings_of(ctx), write=False) as system:
        learned = system.fit_scorecard(when, out, split=cut, pdo=pdo)
    if as_json:
        emit_json(learned.report)
        return
    oot = learned.report["out_of_time"]
    click.echo(f"bundle revision {learned.bundle.revision} written to {out / 'bundle'}")
    click.echo(f"out-of-time AUC {oot['auc']} (Gini {oot['gini']}) on {oot['obligations']}")
    click.echo(f"PSI train vs current {learned.report['psi_train_vs_current']}")
