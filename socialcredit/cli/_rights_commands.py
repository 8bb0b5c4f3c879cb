"""CLI commands for the subject's rights: report, export, disputes, appeals, statements,
recertification."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
import orjson

from ..errors import Problem, ValidationError
from ..rights import DISPUTE_APPEAL_OUTCOMES, DISPUTE_OUTCOMES, PURPOSES, RATING_GIVEN, QueueItem
from ..system import System, operator
from ..timeutil import format_time, to_us
from ._args import POSITION, parse_moment, parse_subject
from ._main import cli, emit_json, settings_of
from ._reads import checked_purpose, with_read

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


#: Who a command acts as where no option names anyone (the "who did this" is not recorded).
_OPERATOR = operator("operator")


def _system(ctx: click.Context, *, write: bool = True) -> System:
    return System.open(settings_of(ctx), write=write)


# -- the report -----------------------------------------------------------------------------


@cli.command("report")
@click.argument("subject")
@click.option("--at", "at", metavar="DATE", help="The file as the ledger held it then.")
@_purpose
@_reader
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--pdf",
    "pdf",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report as a PDF with a QR code of each record's inclusion proof (its "
    "folder must exist; written atomically).",
)
@click.option(
    "--public",
    is_flag=True,
    help="The organisation's public enterprise credit report instead: only what anyone may "
    "see (not a logged read).",
)
@click.pass_context
def report_command(
    ctx: click.Context,
    subject: str,
    at: str | None,
    purpose: str,
    reader: str,
    as_json: bool,
    pdf: Path | None,
    public: bool,
) -> None:
    """SUBJECT's file: records, sources, legal bases, contributions, statuses, proofs,
    lists, hardship, decisions, disputes and every read (this read is logged); with
    --public, an organisation's public enterprise credit report."""
    moment = parse_moment(at, "--at") if at else None
    who = parse_subject(subject)  # refuse a bad subject before opening anything
    if public:
        with _system(ctx, write=False) as system:  # reads only
            _public_report(system, who, moment, pdf, as_json)
        return
    if pdf is not None:
        from ..documents import render_credit_report  # the PDF library only when asked for

        with _staged(pdf, "--pdf") as staging, _system(ctx) as system:  # FILE checked first
            found, labels = system.credit_report(operator(reader), who, at=moment, purpose=purpose)
            staging.write(render_credit_report(found, labels=labels))
        click.echo(f"wrote the credit report ({len(found['records'])} records) to {pdf}")
        return
    with _system(ctx) as system:
        found = system.report(operator(reader), who, at=moment, purpose=purpose)
    if as_json:
        emit_json(found)
        return
    score = found["score"]
    click.echo(f"{found['subject']['id']}: {score['total']} ({score['grade']}) at {found['as_of']}")
    _echo_records(found["records"])
    _echo_consequences(found["consequences"])
    for dispute in found["disputes"]:
        click.echo(f"  dispute {dispute['id']} of entry {dispute['target']}: {_status(dispute)}")
    for read in found["reads"]:
        click.echo(
            f"  read {read['at']} by {read['reader']} for {read['purpose']} ({read['what']})"
        )
    _echo_proof_help(found)


def _public_report(
    system: System, who: tuple[str, str], at: datetime | None, pdf: Path | None, as_json: bool
) -> None:
    """Print or write (``pdf``) the public enterprise credit report of organisation ``who``.

    Raises:
        ValidationError: naming SUBJECT if ``who`` is a person.
    """
    if who[0] != "organisation":
        reason = "the public enterprise credit report is of an organisation (give its USCC)"
        raise ValidationError("not an organisation", [Problem("SUBJECT", reason)])
    from ..documents import render_enterprise_report

    if pdf is not None:
        with _staged(pdf, "--pdf") as staging:
            found = system.enterprise_report(who[1], at)
            staging.write(render_enterprise_report(found))
        click.echo(
            f"wrote the public enterprise credit report of {found['organisation']['id']} to {pdf}"
        )
        return
    found = system.enterprise_report(who[1], at)
    if as_json:
        emit_json(found)
        return
    score = found["score"]
    click.echo(f"{found['organisation']['id']}: grade {score['grade']} at {found['as_of']}")
    for m in found["listings"]:
        until = (m["until"] or "")[:10] or "the obligation is performed"
        click.echo(f"  on list {m['name']}: {m['status']} from {m['from'][:10]} until {until}")
    for r in found["records"]:
        until = (r["published_until"] or "")[:10]
        click.echo(
            f"  entry {r['position']:>8}  {r['name']} ({r['gravity']}), published until {until}"
        )


def _echo_records(records: list[dict[str, Any]]) -> None:
    for r in records:
        points = r["contribution"]["points"] if r["contribution"] else 0
        click.echo(
            f"  entry {r['position']:>8}  {points:+5d}  {r['kind']:32s} {r['status']['state']:10s}"
            f" {r['source']}  [{r['legal_basis']}]"
        )
        for s in r["statements"]:
            click.echo(f"      statement: {s.get('text', '(withheld)')}")
        proof = r["inclusion_proof"]
        click.echo(
            f"      inclusion proof: leaf {proof['index']} of the signed tree of size "
            f"{proof['checkpoint']['size']} (included in the --json report)"
        )


def _echo_consequences(found: Any) -> None:
    """List memberships, hardship and decisions, in words (``found`` is [] without them)."""
    if not found:
        return
    for m in found["memberships"]:
        click.echo(f"  on list {m['list']} ({m.get('list_name', m['list'])}): {_listing(m)}")
        for effect, verb in (("restriction", "restricts"), ("reward", "rewards")):
            names = [x["name"] for x in m.get("measures", ()) if x["effect"] == effect]
            if names:
                click.echo(f"      {verb}: {'; '.join(names)}")
    hardship = found.get("hardship")
    if hardship:
        click.echo(f"  hardship (cannot pay) recorded since {hardship['since'][:10]}")
        frozen: dict[str, list[str]] = {}
        for f in hardship["frozen"]:
            frozen.setdefault(f["list"], []).append(f["measure_name"])
        for list_id, names in frozen.items():
            click.echo(f"      frozen while it lasts, on list {list_id}: {'; '.join(names)}")
    for decision in found["decisions"]:
        click.echo(
            f"  decision {decision['at'][:10]}: {decision['outcome']} {decision['service']}"
            f" (entry {decision['position']}, policy revision {decision['revision']})"
        )
        for reason in [*decision["reasons"], *decision.get("frozen", ())]:
            click.echo(f"      because {reason['text']}")


def _listing(m: dict[str, Any]) -> str:
    """A membership's status, from and until, in words."""
    start, end = m["from"][:10], (m["until"] or "")[:10]
    until = f"until {end}" if end else "while the grade lasts"
    grounds = ", ".join(f"entry {g}" for g in m["grounds"]) or ", ".join(m["kinds"])
    words = {
        "listed": f"listed from {start} {until}",
        "frozen": f"frozen while hardship is recorded; listed from {start} {until}",
        "noticed": f"noticed: takes effect on {start} unless the obligation is performed first",
        "restored": f"restored on {end} ({m['ended_by']})",
        "expired": f"expired on {end}",
    }
    return f"{words[m['status']]} (grounds: {grounds})"


def _echo_proof_help(found: dict[str, Any]) -> None:
    if not found["records"]:
        return
    checkpoint = found["checkpoint"]
    click.echo(
        f"  proofs: each record's inclusion proof is against the checkpoint of size "
        f"{checkpoint['size']} signed at {checkpoint['time']}. Save one (`socialcredit prove "
        "POSITION > proof.json`, or records[].inclusion_proof of `report --json`) and check it "
        "offline: `socialcredit check-proof proof.json --public-key "
        f"{found['public_key']}`"
    )


# -- dispute deadlines and states in words ----------------------------------------------------


def _status(dispute: dict[str, Any]) -> str:
    """Where a dispute (as JSON) stands and its next deadline, in words."""
    deadlines = dispute["deadlines"]
    ack, decide = deadlines["acknowledge_by"], deadlines["decide_by"]
    if deadlines["extended"]:
        decide += " (extended to 45 days by new evidence)"
    appeal = dispute["appeal"] or {}
    decided = f"decided {dispute['outcome']} on {(dispute['decided_at'] or '')[:10]}"
    return {
        "open": f"open: acknowledge by {ack}, decide by {decide}",
        "overdue-ack": f"overdue: acknowledge by {ack} (overdue), decide by {decide}",
        "acknowledged": f"acknowledged: decide by {decide}",
        "overdue-decision": f"overdue: decide by {decide} (overdue: the record is suspended)",
        "decided": f"{decided}: it may be appealed once",
        "appealed": f"appealed: appeal {appeal.get('id')} awaits another officer ({decided})",
        "appeal-decided": f"closed: appeal decided {appeal.get('outcome')} ({decided})",
    }[dispute["state"]]


def _echo_dispute(system: System, dispute: str, done: str) -> None:
    """Print what was done and where the dispute stands now."""
    click.echo(f"{done}. Now {_status(system.dispute_state(dispute).to_json())}.")


def _effect(system: System, dispute: str, outcome: str) -> str:
    """What a decision's ``outcome`` does to the disputed record or rating, in words."""
    if system.dispute_state(dispute).target_type == RATING_GIVEN:
        return {
            "deleted": "The rating is removed from view and from the aggregate.",
        }.get(outcome, "The rating stands.")
    return {
        "corrected": "The record counts as corrected.",
        "deleted": "The record no longer counts unless its source recertifies it.",
    }.get(outcome, "The record stands.")


# -- export ----------------------------------------------------------------------------------


@contextmanager
def _staged(out: Path, option: str = "--out") -> Iterator[IO[bytes]]:
    """A temporary file beside ``out`` that replaces ``out`` if the block succeeds.

    Created before the block runs, so that an unwritable ``out`` is refused before anything
    is read or logged; a failed block leaves ``out`` as it was.

    Raises:
        ValidationError: naming ``option`` if the folder is missing or not writable.
    """
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    except OSError as exc:
        raise _unwritable(out, exc, option) from exc
    staging = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(staging, out)
        except OSError as exc:
            raise _unwritable(out, exc, option) from exc
    finally:
        staging.unlink(missing_ok=True)


def _unwritable(out: Path, exc: OSError, option: str) -> ValidationError:
    reason = f"cannot write {out}: {exc.strerror or exc}"
    return ValidationError(f"cannot write {option}", [Problem(option, reason)])


@cli.command("export-file")
@click.argument("subject")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON file to write (its folder must exist; written atomically).",
)
@_purpose
@_reader
@click.pass_context
def export_command(ctx: click.Context, subject: str, out: Path, purpose: str, reader: str) -> None:
    """Write SUBJECT's whole file (report and every entry about them) as JSON to --out."""
    who = parse_subject(subject)
    with _system(ctx) as system, _staged(out) as staging:
        found = system.export_file(operator(reader), who, purpose=purpose)
        staging.write(orjson.dumps(found, option=orjson.OPT_INDENT_2))
    click.echo(f"wrote {len(found['records'])} records to {out}")


# -- disputes --------------------------------------------------------------------------------


@cli.group("dispute")
def dispute_group() -> None:
    """Disputes of records and ratings, and their appeals."""


@dispute_group.command("open")
@click.argument("position", type=POSITION)
@click.argument("grounds")
@click.pass_context
def dispute_open(ctx: click.Context, position: int, grounds: str) -> None:
    """Dispute the record (or rating) at ledger POSITION."""
    with _system(ctx) as system:
        dispute = system.open_dispute(_OPERATOR, position, grounds)
        _echo_dispute(system, dispute, f"Dispute {dispute} opened on entry {position}")


@dispute_group.command("ack")
@click.argument("dispute")
@click.option("--by", required=True, help="The officer.")
@click.pass_context
def dispute_ack(ctx: click.Context, dispute: str, by: str) -> None:
    """Acknowledge DISPUTE (within 5 business days of opening)."""
    with _system(ctx) as system:
        position = system.acknowledge_dispute(operator(by), dispute)
        _echo_dispute(system, dispute, f"Dispute {dispute} acknowledged by {by} (entry {position})")


@dispute_group.command("evidence")
@click.argument("dispute")
@click.argument("text")
@click.option("--by", default="subject", show_default=True, help="Who brings the evidence.")
@click.pass_context
def dispute_evidence(ctx: click.Context, dispute: str, text: str, by: str) -> None:
    """Add new evidence to DISPUTE (before day 30 it extends the deadline to 45 days)."""
    with _system(ctx) as system:
        position = system.add_evidence(operator(by), dispute, text)
        _echo_dispute(system, dispute, f"Evidence added to dispute {dispute} (entry {position})")


def _changes(amount: int | None, occurred_at: str | None) -> dict[str, Any] | None:
    changes: dict[str, Any] = {}
    if amount is not None:
        changes["amount"] = amount
    if occurred_at is not None:
        changes["occurred_at"] = format_time(to_us(parse_moment(occurred_at, "--occurred-at")))
    return changes or None


_decision_options = [
    click.option("--by", required=True, help="The deciding officer."),
    click.option("--reason", required=True, help="The reasons of the decision."),
    click.option("--amount", type=click.IntRange(0), help="Corrected amount."),
    click.option("--occurred-at", "occurred_at", metavar="DATE", help="Corrected time."),
]


def _decision(command: Any) -> Any:
    for option in reversed(_decision_options):
        command = option(command)
    return command


@dispute_group.command("decide")
@click.argument("dispute")
@click.argument("outcome", type=click.Choice(DISPUTE_OUTCOMES))
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
    with _system(ctx) as system:
        position = system.decide_dispute(operator(by), dispute, outcome, reason, changes)
        click.echo(
            f"Dispute {dispute} decided: {outcome}, by {by} (entry {position}). "
            f"{_effect(system, dispute, outcome)} It may be appealed once: "
            f"`socialcredit dispute appeal {dispute} GROUNDS`."
        )


@dispute_group.command("appeal")
@click.argument("dispute")
@click.argument("grounds")
@click.pass_context
def dispute_appeal(ctx: click.Context, dispute: str, grounds: str) -> None:
    """Appeal the decision of DISPUTE (once)."""
    with _system(ctx) as system:
        appeal = system.appeal_dispute(_OPERATOR, dispute, grounds)
    click.echo(
        f"Appeal {appeal} of dispute {dispute} opened; an officer other than the first decider "
        f"decides it with `socialcredit dispute decide-appeal {dispute} "
        "confirmed|corrected|deleted --by OFFICER --reason R`."
    )


@dispute_group.command("decide-appeal")
@click.argument("dispute")
@click.argument("outcome", type=click.Choice(DISPUTE_APPEAL_OUTCOMES))
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
    with _system(ctx) as system:
        position = system.decide_dispute_appeal(operator(by), dispute, outcome, reason, changes)
        click.echo(
            f"Appeal of dispute {dispute} decided: {outcome}, by {by} (entry {position}). "
            f"{_effect(system, dispute, outcome)} The dispute is closed."
        )


@dispute_group.command("queue")
@click.option("--at", "at", metavar="DATE", help="The queue as it stood then (default now).")
@with_read(reader_default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON.")
@click.pass_context
def dispute_queue(
    ctx: click.Context, at: str | None, purpose: str | None, reader: str, as_json: bool
) -> None:
    """The officers' queue, most urgent first (each person on it is a logged read)."""
    at_us = to_us(parse_moment(at, "--at")) if at else None
    with _system(ctx) as system:  # no ledger is said before a missing purpose
        checked = checked_purpose(purpose)
        items = system.dispute_queue(operator(reader), at_us=at_us, purpose=checked)
    if as_json:
        emit_json([_queue_json(i) for i in items])
        return
    if not items:
        click.echo("no dispute or appeal is waiting for an officer")
    for i in items:
        click.echo(f"{i.dispute.id:14s} {_next_step(i)}  (dispute of entry {i.dispute.target})")


def _queue_json(item: QueueItem) -> dict[str, Any]:
    due = item.due.isoformat() if item.due else None
    return {"action": item.action, "due": due, "overdue": item.overdue, **item.dispute.to_json()}


def _next_step(item: QueueItem) -> str:
    """What an officer must do next and by when, e.g. ``acknowledge by 2026-03-05 (overdue)``."""
    if item.due is None:
        return "decide the appeal (no statutory deadline)"
    return f"{item.action} by {item.due.isoformat()}{' (overdue)' if item.overdue else ''}"


# -- statements and recertification ------------------------------------------------------------


@cli.command("statement")
@click.argument("subject")
@click.argument("position", type=POSITION)
@click.argument("text")
@click.pass_context
def statement_command(ctx: click.Context, subject: str, position: int, text: str) -> None:
    """Attach SUBJECT's statement TEXT to their record at POSITION."""
    who = parse_subject(subject)
    with _system(ctx) as system:
        done = system.attach_statement(_OPERATOR, who, position, text)
    click.echo(
        f"Statement attached to record {position} of {subject} (entry {done}); it is shown "
        "wherever the record is shown."
    )


@cli.command("recertify")
@click.argument("position", type=POSITION)
@click.option("--by", required=True, help="The source certifying the record.")
@click.option("--evidence", required=True, help="What the certification rests on.")
@click.pass_context
def recertify_command(ctx: click.Context, position: int, by: str, evidence: str) -> None:
    """Bring the withdrawn record at POSITION back (a notice goes to its subject)."""
    with _system(ctx) as system:
        done = system.recertify_record(operator(by), position, evidence)
    click.echo(
        f"Record {position} recertified by {by} (entry {done}); it counts again and its "
        "subject was sent a notice."
    )
