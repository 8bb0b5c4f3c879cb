"""CLI commands for lists, measures and decisions: decide, lists, hardship, restore."""

from __future__ import annotations

import click

from ..consequences import (
    DecisionService,
    end_hardship,
    lists_in_force,
    memberships_of_list,
    record_hardship,
    request_restoration,
)
from ..consequences.model import time_text
from ..service import open_ledger
from . import cli, emit_json, settings_of
from ._args import parse_moment, parse_subject


@cli.command("decide")
@click.argument("subject")
@click.argument("service")
@click.option("--at", "at", metavar="DATE", help="Decide as of this time (default: now).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def decide_command(
    ctx: click.Context, subject: str, service: str, at: str | None, as_json: bool
) -> None:
    """Allow, deny or reward SERVICE to SUBJECT, with reasons and recourse (audited)."""
    when = parse_moment(at, "--at")
    with DecisionService(open_ledger(settings_of(ctx), write=True)) as decisions:
        decision = decisions.decide(*parse_subject(subject), service, when)
    if as_json:
        emit_json(decision.to_json())
        return
    click.echo(
        f"{decision.outcome.value}: {service} for {subject} (policy revision {decision.revision})"
    )
    for reason in decision.reasons:
        click.echo(f"  because {reason.text}")
        click.echo(f"    legal basis: {reason.legal_basis}")
    for line in decision.recourse:
        click.echo(f"  recourse: {line}")


@cli.command("lists")
@click.argument("list_id", metavar="[LIST]", required=False)
@click.option("--at", "at", metavar="DATE", help="The list as of this time (default: now).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def lists_command(ctx: click.Context, list_id: str | None, at: str | None, as_json: bool) -> None:
    """The public view of LIST (identifiers masked), or the lists of the policy in force."""
    when = parse_moment(at, "--at")
    ledger = open_ledger(settings_of(ctx))
    if list_id is None:
        for definition in lists_in_force(ledger, when):
            click.echo(f"{definition.id}  {definition.colour.value}  {definition.name}")
        return
    rows = memberships_of_list(ledger, list_id, when)
    if as_json:
        emit_json([row.to_json() for row in rows])
        return
    for row in rows:
        m = row.membership
        until = time_text(m.until_us)
        click.echo(
            f"{row.masked_id}  {m.status.value:8s} from {time_text(m.from_us)} until {until}"
        )


@cli.group("hardship")
def hardship_group() -> None:
    """Record or end a subject's inability to pay (freezes restrictions that depend on it)."""


@hardship_group.command("record")
@click.argument("subject")
@click.option("--reason", required=True, help="Why the subject cannot pay.")
@click.option("--evidence", default=None, help="Reference to the evidence.")
@click.pass_context
def hardship_record(ctx: click.Context, subject: str, reason: str, evidence: str | None) -> None:
    """Record that SUBJECT cannot pay (as opposed to will not pay)."""
    ledger = open_ledger(settings_of(ctx), write=True)
    position = record_hardship(ledger, *parse_subject(subject), reason, evidence)
    click.echo(f"hardship recorded for {subject} at position {position}")


@hardship_group.command("end")
@click.argument("subject")
@click.option("--reason", required=True, help="Why the hardship ended.")
@click.pass_context
def hardship_end(ctx: click.Context, subject: str, reason: str) -> None:
    """End SUBJECT's hardship period: frozen restrictions apply again."""
    ledger = open_ledger(settings_of(ctx), write=True)
    position = end_hardship(ledger, *parse_subject(subject), reason)
    click.echo(f"hardship ended for {subject} at position {position}")


@cli.command("restore")
@click.argument("subject")
@click.argument("list_id", metavar="LIST")
@click.option("--reason", default="conduct corrected", help="The application's grounds.")
@click.pass_context
def restore_command(ctx: click.Context, subject: str, list_id: str, reason: str) -> None:
    """Apply for early restoration of SUBJECT from LIST (granted where the list allows it)."""
    ledger = open_ledger(settings_of(ctx), write=True)
    position = request_restoration(ledger, *parse_subject(subject), list_id, reason)
    click.echo(f"restoration of {subject} from {list_id} granted at position {position}")
