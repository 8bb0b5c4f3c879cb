"""CLI commands for the subject's rights: report, export, disputes, appeals, statements,
recertification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from ..ledger.entries import format_time
from ..rights import disputes as d
from ..rights.reads import PURPOSES
from ..rights.report import export_file, subject_report
from ..rights.statements import attach_statement
from ..scoring.engine import to_us
from ..service import open_ledger
from . import cli, emit_json, settings_of
from ._args import parse_moment, parse_subject

_purpose = click.option(
    "--purpose",
    default="subject_access",
    show_default=True,
    type=click.Choice(PURPOSES),
    help="The permissible purpose of this read (logged).",
)
_reader = click.option(
    "--reader", default="subject", show_default=True, help="Who reads the file (logged)."
)


def _ledger(ctx: click.Context) -> Any:
    return open_ledger(settings_of(ctx), write=True)


@cli.command("report")
@click.argument("subject")
@click.option("--at", "at", metavar="DATE", help="The file as the ledger held it then.")
@_purpose
@_reader
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def report_command(
    ctx: click.Context, subject: str, at: str | None, purpose: str, reader: str, as_json: bool
) -> None:
    """SUBJECT's file: records, sources, legal bases, contributions, statuses, proofs,
    disputes and every read (this read is logged)."""
    moment = parse_moment(at, "--at") if at else None
    found = subject_report(_ledger(ctx), *parse_subject(subject), moment, reader, purpose)
    if as_json:
        emit_json(found)
        return
    score = found["score"]
    click.echo(f"{found['subject']['id']}: {score['total']} ({score['grade']}) at {found['as_of']}")
    for r in found["records"]:
        points = r["contribution"]["points"] if r["contribution"] else 0
        click.echo(
            f"  entry {r['position']:>8}  {points:+5d}  {r['kind']:32s} {r['status']['state']:10s}"
            f" {r['source']}  [{r['legal_basis']}]"
        )
        for s in r["statements"]:
            click.echo(f"      statement: {s.get('text', '(withheld)')}")
    for dispute in found["disputes"]:
        click.echo(f"  dispute {dispute['id']} on {dispute['target']}: {dispute['state']}")
    for read in found["reads"]:
        click.echo(f"  read {read['at']} by {read['reader']} for {read['purpose']}")


@cli.command("export-file")
@click.argument("subject")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@_purpose
@_reader
@click.pass_context
def export_command(ctx: click.Context, subject: str, out: Path, purpose: str, reader: str) -> None:
    """Write SUBJECT's whole file (report and every entry about them) as JSON to --out."""
    found = export_file(_ledger(ctx), *parse_subject(subject), reader, purpose)
    out.write_bytes(orjson.dumps(found, option=orjson.OPT_INDENT_2))
    click.echo(f"wrote {len(found['records'])} records to {out}")


@cli.group("dispute")
def dispute_group() -> None:
    """Disputes of records and ratings, and their appeals."""


@dispute_group.command("open")
@click.argument("position", type=int)
@click.argument("grounds")
@click.pass_context
def dispute_open(ctx: click.Context, position: int, grounds: str) -> None:
    """Dispute the record (or rating) at ledger POSITION."""
    click.echo(d.open_dispute(_ledger(ctx), position, grounds))


@dispute_group.command("ack")
@click.argument("dispute")
@click.option("--by", required=True, help="The officer.")
@click.pass_context
def dispute_ack(ctx: click.Context, dispute: str, by: str) -> None:
    """Acknowledge DISPUTE (within 5 business days of opening)."""
    click.echo(d.acknowledge(_ledger(ctx), dispute, by))


@dispute_group.command("evidence")
@click.argument("dispute")
@click.argument("text")
@click.option("--by", default="subject", show_default=True)
@click.pass_context
def dispute_evidence(ctx: click.Context, dispute: str, text: str, by: str) -> None:
    """Add new evidence to DISPUTE (before day 30 it extends the deadline to 45 days)."""
    click.echo(d.add_evidence(_ledger(ctx), dispute, text, by))


def _changes(amount: int | None, occurred_at: str | None) -> dict[str, Any] | None:
    changes: dict[str, Any] = {}
    if amount is not None:
        changes["amount"] = amount
    if occurred_at is not None:
        changes["occurred_at"] = format_time(to_us(parse_moment(occurred_at, "--occurred-at")))
    return changes or None


_decision_options = [
    click.option("--by", required=True, help="The deciding officer."),
    click.option("--reason", required=True),
    click.option("--amount", type=click.IntRange(0), help="Corrected amount."),
    click.option("--occurred-at", "occurred_at", metavar="DATE", help="Corrected time."),
]


def _decision(command: Any) -> Any:
    for option in reversed(_decision_options):
        command = option(command)
    return command


@dispute_group.command("decide")
@click.argument("dispute")
@click.argument("outcome", type=click.Choice(d.OUTCOMES))
@_decision
@click.pass_context
def dispute_decide(
    ctx: click.Context,
    dispute: str,
    outcome: str,
    by: str,
    reason: str,
    amount: int | None,
    occurred_at: str | None,
) -> None:
    """Decide DISPUTE: upheld, corrected (give --amount/--occurred-at) or deleted."""
    changes = _changes(amount, occurred_at)
    click.echo(d.decide(_ledger(ctx), dispute, outcome, by, reason, changes))


@dispute_group.command("appeal")
@click.argument("dispute")
@click.argument("grounds")
@click.pass_context
def dispute_appeal(ctx: click.Context, dispute: str, grounds: str) -> None:
    """Appeal the decision of DISPUTE (once)."""
    click.echo(d.appeal(_ledger(ctx), dispute, grounds))


@dispute_group.command("decide-appeal")
@click.argument("dispute")
@click.argument("outcome", type=click.Choice(d.APPEAL_OUTCOMES))
@_decision
@click.pass_context
def dispute_decide_appeal(
    ctx: click.Context,
    dispute: str,
    outcome: str,
    by: str,
    reason: str,
    amount: int | None,
    occurred_at: str | None,
) -> None:
    """Decide the appeal of DISPUTE (an officer other than the first decider)."""
    changes = _changes(amount, occurred_at)
    click.echo(d.decide_appeal(_ledger(ctx), dispute, outcome, by, reason, changes))


@dispute_group.command("queue")
@click.option("--at", "at", metavar="DATE", help="The queue as it stood then (default now).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def dispute_queue(ctx: click.Context, at: str | None, as_json: bool) -> None:
    """The officers' queue, most urgent first."""
    at_us = to_us(parse_moment(at, "--at")) if at else None
    items = d.queue(open_ledger(settings_of(ctx)), at_us)
    if as_json:
        emit_json(
            [
                {
                    "action": i.action,
                    "due": i.due.isoformat() if i.due else None,
                    "overdue": i.overdue,
                    **i.dispute.to_json(),
                }
                for i in items
            ]
        )
        return
    for i in items:
        flag = "OVERDUE" if i.overdue else ""
        due = i.due.isoformat() if i.due else "-"
        click.echo(f"{due}  {i.action:13s} {i.dispute.id:14s} {i.dispute.state:16s} {flag}")


@cli.command("statement")
@click.argument("subject")
@click.argument("position", type=int)
@click.argument("text")
@click.pass_context
def statement_command(ctx: click.Context, subject: str, position: int, text: str) -> None:
    """Attach SUBJECT's statement TEXT to their record at POSITION."""
    click.echo(attach_statement(_ledger(ctx), parse_subject(subject), position, text))


@cli.command("recertify")
@click.argument("position", type=int)
@click.option("--by", required=True, help="The source certifying the record.")
@click.option("--evidence", required=True, help="What the certification rests on.")
@click.pass_context
def recertify_command(ctx: click.Context, position: int, by: str, evidence: str) -> None:
    """Bring the withdrawn record at POSITION back (a notice goes to its subject)."""
    click.echo(d.recertify(_ledger(ctx), position, by, evidence))
