"""CLI commands for scale-out (migrate, snapshot, export, import): thin over the system."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..errors import IntegrityError
from ..system import System
from ._main import cli, emit_json, settings_of

if TYPE_CHECKING:
    from ..transfer import TransferReport


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply the store's pending schema migrations, in order, and build what they add (the
    per-subject index, once), then merge the index's bulk runs into it; safe to run again."""
    settings = settings_of(ctx)
    store = settings.store
    before, applied = System.migrate_schema(settings)
    if not applied:
        click.echo(f"{store}: already at schema version {before}")
    for version in applied:
        click.echo(f"{store}: schema {version - 1} -> {version}")
    with System.open(settings, write=False) as system:
        indexed, merged = system.index_subjects()
    if indexed:
        click.echo(f"{store}: per-subject index built over {indexed} entries")
    if merged:
        click.echo(f"{store}: {merged} entries of bulk runs merged into the per-subject index")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def snapshot(ctx: click.Context, as_json: bool) -> None:
    """Write fresh snapshots of the projections (the consequence view, the filed records'
    columns, the ratings state) into the store, each from the latest trusted one plus the
    entries after it, so that `serve` and `rescore` start without replaying the ledger. Needs
    the signing key; run it now and then (serve also does, in the background)."""
    with System.open(settings_of(ctx), write=True) as system:
        done, columns, ratings = system.refresh_snapshots()
    if as_json:
        emit_json({**done, "record_columns": columns, "ratings": ratings})
        return
    for each in (done, columns, ratings):
        _snapshot_line(each)


def _snapshot_line(done: dict[str, Any]) -> None:
    if not done["written"]:
        click.echo(f"the {done['projection']} snapshot of {done['size']} entries is current")
        return
    click.echo(
        f"{done['projection']} snapshot of {done['size']} entries ({done['parts']} parts) "
        f"written in {done['seconds']} s, from the snapshot of {done['started_from']} entries"
    )


def _finish(report: TransferReport, as_json: bool) -> None:
    if as_json:
        emit_json({**{k: getattr(report, k) for k in report.__slots__}, "ok": report.ok})
    else:
        click.echo(
            f"{report.entries} entries ({report.records} records), {report.subjects} subjects, "
            f"{report.idempotency_keys} idempotency keys, {report.checkpoints} signed "
            f"checkpoints: {report.source} -> {report.target}"
        )
        click.echo(f"root {report.root}" + (", verified" if report.verified else ""))
    if not report.ok:
        raise IntegrityError("; ".join(report.problems))


@cli.command("export")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL|DIR.parquet",
    help="An empty store URL, or a new directory ending in .parquet.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def export_command(ctx: click.Context, target: str, as_json: bool) -> None:
    """Copy the whole ledger to another store or to Parquet; the root must be identical."""
    _finish(System.export_ledger(settings_of(ctx), target), as_json)


@cli.command("import")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="URL|DIR.parquet",
    help="A store URL, or a Parquet export directory.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def import_command(ctx: click.Context, source: str, as_json: bool) -> None:
    """Load a whole ledger into the (empty) store, then verify it; the root must match."""
    _finish(System.import_ledger(settings_of(ctx), source), as_json)
