"""CLI commands for credit repair (``socialcredit repair ...``) and credit commitments
(``socialcredit commitment file``): thin over the system's repair use cases."""

from __future__ import annotations

from typing import Any

import click

from ..rights import REPAIR_APPEAL_OUTCOMES, REPAIR_OUTCOMES, Condition, RepairQueueItem
from ..system import System, operator
from ..timeutil import format_time, to_us
from ._args import POSITION, parse_moment, parse_subject
from ._main import cli, emit_json, settings_of
from ._reads import checked_purpose, with_read

#: Who a command acts as where no option names anyone (the "who did this" is not recorded).
_OPERATOR = operator("operator")


def _system(ctx: click.Context) -> System:
    return System.open(settings_of(ctx), write=True)


def _echo_conditions(conditions: tuple[Condition, ...]) -> None:
    for c in conditions:
        click.echo(f"  {'met  ' if c.met else 'UNMET'} {c.name:17s} {c.detail}")


@cli.group("repair")
def repair_group() -> None:
    """Credit repair: end the publication of an administrative penalty early."""


@repair_group.command("check")
@click.argument("position", type=POSITION)
@click.pass_context
def repair_check(ctx: click.Context, position: int) -> None:
    """Show the conditions of repair of the penalty at ledger POSITION, as they stand now."""
    with _system(ctx) as system:
        found = system.repair_conditions(_OPERATOR, position, logged=False)
    click.echo(f"Record {position}: {sum(c.met for c in found)} of {len(found)} conditions met")
    _echo_conditions(found)


@repair_group.command("apply")
@click.argument("position", type=POSITION)
@click.argument("grounds")
@click.pass_context
def repair_apply(ctx: click.Context, position: int, grounds: str) -> None:
    """Apply to end the publication of the penalty at ledger POSITION early."""
    with _system(ctx) as system:
        found = system.apply_for_repair(_OPERATOR, position, grounds)
    click.echo(
        f"Application {found.id} made on record {position}; the credit office decides by "
        f"{found.decide_by.isoformat()}. Conditions as they stand:"
    )
    _echo_conditions(found.conditions)


@repair_group.command("decide")
@click.argument("repair")
@click.argument("outcome", type=click.Choice(REPAIR_OUTCOMES))
@click.option("--by", required=True, help="The deciding officer.")
@click.option("--reason", required=True, help="The reasons of the decision.")
@click.pass_context
def repair_decide(ctx: click.Context, repair: str, outcome: str, by: str, reason: str) -> None:
    """Decide REPAIR: granted (every condition met) or refused."""
    with _system(ctx) as system:
        position = system.decide_repair(operator(by), repair, outcome, reason)
        _echo_decision(system, repair, position)


@repair_group.command("appeal")
@click.argument("repair")
@click.argument("grounds")
@click.pass_context
def repair_appeal(ctx: click.Context, repair: str, grounds: str) -> None:
    """Appeal the refusal of REPAIR (once)."""
    with _system(ctx) as system:
        appeal = system.appeal_repair(_OPERATOR, repair, grounds)
    click.echo(
        f"Appeal {appeal} of application {repair} opened; an officer other than the first "
        f"decides it with `socialcredit repair decide-appeal {repair} granted|confirmed "
        "--by OFFICER --reason R`."
    )


@repair_group.command("decide-appeal")
@click.argument("repair")
@click.argument("outcome", type=click.Choice(REPAIR_APPEAL_OUTCOMES))
@click.option("--by", required=True, help="The deciding officer (not the first decider).")
@click.option("--reason", required=True, help="The reasons of the decision.")
@click.pass_context
def repair_decide_appeal(
    ctx: click.Context, repair: str, outcome: str, by: str, reason: str
) -> None:
    """Decide the appeal of REPAIR: granted or confirmed."""
    with _system(ctx) as system:
        position = system.decide_repair_appeal(operator(by), repair, outcome, reason)
        _echo_decision(system, repair, position)


def _echo_decision(system: System, repair: str, position: int) -> None:
    found, notice = system.repair_outcome(repair, position)
    click.echo(f"Application {repair}: {found.state} (entry {position}).")
    click.echo(notice)


@repair_group.command("queue")
@click.option("--at", "at", metavar="DATE", help="The queue as it stood then (default now).")
@with_read(reader_default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@click.pass_context
def repair_queue(
    ctx: click.Context, at: str | None, purpose: str | None, reader: str, as_json: bool
) -> None:
    """The officers' repair queue, most urgent first (each person on it is a logged read)."""
    at_us = to_us(parse_moment(at, "--at")) if at else None
    with _system(ctx) as system:  # no ledger is said before a missing purpose
        checked = checked_purpose(purpose)
        items = system.repair_queue(operator(reader), at_us=at_us, purpose=checked)
    if as_json:
        emit_json([_queue_json(i) for i in items])
        return
    if not items:
        click.echo("no repair application or appeal is waiting for an officer")
    for i in items:
        due = "the appeal (no statutory deadline)" if i.due is None else f"by {i.due}"
        late = " (overdue)" if i.overdue else ""
        click.echo(f"{i.repair.id:14s} {i.action} {due}{late}  (record {i.repair.record})")


def _queue_json(item: RepairQueueItem) -> dict[str, Any]:
    due = item.due.isoformat() if item.due else None
    return {"action": item.action, "due": due, "overdue": item.overdue, **item.repair.to_json()}


@cli.group("commitment")
def commitment_group() -> None:
    """Credit commitments: a subject's signed promise, filed as a record."""


@commitment_group.command("file")
@click.argument("subject")
@click.argument("concerns")
@click.option(
    "--source", required=True, help="The authority holding the letter (market_regulator:NAME)."
)
@click.option("--signed-at", "signed_at", metavar="DATE", help="When it was signed (default now).")
@click.pass_context
def commitment_file(
    ctx: click.Context, subject: str, concerns: str, source: str, signed_at: str | None
) -> None:
    """File SUBJECT's credit commitment concerning decision number CONCERNS."""
    who = parse_subject(subject)
    when = format_time(to_us(parse_moment(signed_at, "--signed-at"))) if signed_at else None
    with _system(ctx) as system:
        position = system.file_commitment(who, concerns, source, when)
    click.echo(f"Commitment of {who[1]} concerning {concerns} filed at entry {position}.")
