"""Policy commands: check, publish, diff and list policy bundles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..ledger import Ledger
from ..policy import (
    bundle_in_force,
    default_bundle,
    diff,
    load_bundle,
    publish,
    published_bundle,
    published_bundles,
)
from ..service import open_ledger
from . import StorelessCommand, cli, settings_of

_BUNDLE_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


@cli.group()
def policy() -> None:
    """Check, publish and compare policy bundles."""


@policy.command(cls=StorelessCommand)
@click.argument("directory", metavar="DIR", type=_BUNDLE_DIR)
def check(directory: Path) -> None:
    """Check the bundle in DIR; print every problem (exit 2) or a summary."""
    bundle = load_bundle(directory)
    click.echo(
        f"ok: revision {bundle.revision}, effective from {bundle.manifest.effective_from_text()}, "
        f"{len(bundle.catalogue.kinds)} kinds, {len(bundle.scoring.rules)} rules"
    )
    click.echo(f"digest: {bundle.digest}")


@policy.command(name="publish")
@click.argument("directory", metavar="DIR", type=_BUNDLE_DIR)
@click.pass_context
def publish_command(ctx: click.Context, directory: Path) -> None:
    """Check the bundle in DIR and publish it into the ledger."""
    bundle = load_bundle(directory)
    position = publish(open_ledger(settings_of(ctx), write=True), bundle)
    click.echo(f"published revision {bundle.revision} at position {position}")
    click.echo(f"digest: {bundle.digest}")


@policy.command(name="diff")
@click.argument("old", metavar="REV1", type=click.IntRange(1))
@click.argument("new", metavar="REV2", type=click.IntRange(1))
@click.pass_context
def diff_command(ctx: click.Context, old: int, new: int) -> None:
    """Print what changed from published revision REV1 to REV2."""
    ledger = open_ledger(settings_of(ctx))
    changes = diff(published_bundle(ledger, old).bundle, published_bundle(ledger, new).bundle)
    for change in changes:
        click.echo(change.describe())
    if not changes:
        click.echo("no changes")


@policy.command(name="list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the published bundles: revision, effective date, ledger position and time, digest.

    Says so when none is in force now, and scoring uses the built-in default policy.
    """
    ledger = open_ledger(settings_of(ctx))
    published = published_bundles(ledger)
    for item in published:
        click.echo(
            f"revision {item.revision}  effective {item.bundle.manifest.effective_from_text()}  "
            f"position {item.position}  recorded {item.recorded_at.isoformat()}  "
            f"{item.bundle.digest}"
        )
    if not _in_force_now(ledger):
        fallback = f"the built-in default policy (revision {default_bundle().revision}) is in force"
        click.echo(
            f"no bundle published; {fallback}"
            if not published
            else f"none of these is in force yet; {fallback}"
        )


def _in_force_now(ledger: Ledger) -> bool:
    """Whether a published bundle is in force now (else scoring uses the built-in default)."""
    now = datetime.now(UTC)
    return bundle_in_force(ledger, now, now) is not None
