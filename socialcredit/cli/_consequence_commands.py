"""CLI commands for lists, measures and decisions: decide, lists, hardship, restore."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import click

from socialcredit.consequences import time_text
from socialcredit.rights import PURPOSES

from ..consequences import Decision, IdentifiedListing, Membership, PublicListing
from ..errors import Problem, ValidationError
from ..policy import PolicyBundle
from ..system import System, operator
from ._args import parse_moment, parse_subject
from ._main import Command, StorelessCommand, cli, emit_json, settings_of
from ._reads import with_read

_Names = Callable[[PolicyBundle], Iterable[tuple[str, str]]]


class _NamesFromPolicy(Command):
    """A command whose ``--help`` ends with names read from the default policy bundle (the
    policy in force may differ: a wrong name is refused with the names in force)."""

    def __init__(self, *args: Any, policy_names: tuple[str, _Names], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_names = policy_names

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from ..policy import default_bundle

        title, names = self.policy_names
        with formatter.section(f"{title} (default policy)"):
            formatter.write_dl(list(names(default_bundle())))
        super().format_epilog(ctx, formatter)


def _services(bundle: PolicyBundle) -> Iterable[tuple[str, str]]:
    return ((s.id, s.name) for s in bundle.measures.services)


def _lists(bundle: PolicyBundle) -> Iterable[tuple[str, str]]:
    return ((d.id, f"{d.name} ({d.colour.value})") for d in bundle.lists)


@cli.command("decide", cls=_NamesFromPolicy, policy_names=("Services", _services))
@click.argument("subject")
@click.argument("service")
@click.option("--at", "at", metavar="DATE", help="Decide as of this time (default: now).")
@with_read(
    reader_default=None,
    purpose_help="Why the subject is asked about (default: the service decision itself).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.pass_context
def decide_command(
    ctx: click.Context,
    subject: str,
    service: str,
    at: str | None,
    purpose: str | None,
    reader: str,
    as_json: bool,
) -> None:
    """Allow, deny or reward SERVICE to SUBJECT, with reasons and recourse (audited: the
    ``DecisionMade`` entry names --reader, who asks, and the purpose)."""
    when, who = parse_moment(at, "--at"), parse_subject(subject)
    with System.open(settings_of(ctx)) as system:
        decision = system.decide(operator(reader), who, service, at=when, purpose=purpose)
    if as_json:
        emit_json(decision.to_json())
        return
    _echo_decision(decision, subject)


def _echo_decision(decision: Decision, subject: str) -> None:
    click.echo(
        f"{decision.outcome.value}: {decision.service} for {subject} "
        f"(policy revision {decision.revision})"
    )
    if not decision.reasons and not decision.frozen:
        click.echo("  because no list in force restricts or rewards this service for them")
    for reason in decision.reasons:
        click.echo(f"  because {reason.text}")
        click.echo(f"    legal basis: {reason.legal_basis}")
    for frozen in decision.frozen:
        click.echo(f"  because {frozen.text}")
    for line in decision.recourse:
        click.echo(f"  recourse: {line}")


class _ListsCommand(_NamesFromPolicy):
    """``lists [LIST]``, whose first word may also name a subcommand (``lists export ...``,
    ``lists verify-export ...``); a list id is snake_case, so ``verify-export`` never is one,
    and a list called ``export`` is shown with ``lists -- export``."""

    subcommands: ClassVar[dict[str, click.Command]] = {}

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if args and args[0] in self.subcommands:
            sub = self.subcommands[args[0]]
            return sub.make_context(f"{info_name} {args[0]}", args[1:], parent, **extra)
        return super().make_context(info_name, args, parent, **extra)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Subcommands"):
            formatter.write_dl([(n, c.get_short_help_str()) for n, c in self.subcommands.items()])
        super().format_epilog(ctx, formatter)


@cli.command("lists", cls=_ListsCommand, policy_names=("Lists", _lists))
@click.argument("list_id", metavar="[LIST]", required=False)
@click.option("--at", "at", metavar="DATE", help="The list as of this time (default: now).")
@click.option(
    "--unmasked",
    is_flag=True,
    help="Show real identifiers (officers; needs --purpose and --reader; each is logged).",
)
@click.option(
    "--purpose",
    type=click.Choice(PURPOSES),
    help="The permissible purpose of an --unmasked read (logged as a FileRead per subject).",
)
@click.option("--reader", help="Who reads the unmasked list (logged).")
@click.option("--json", "as_json", is_flag=True, help="Print the lists or the list as JSON.")
@click.pass_context
def lists_command(
    ctx: click.Context,
    list_id: str | None,
    at: str | None,
    unmasked: bool,
    purpose: str | None,
    reader: str | None,
    as_json: bool,
) -> None:
    """The public view of LIST (identifiers masked), or the lists of the policy in force.

    With --unmasked --purpose P --reader R, an officer sees the real identifiers; the read is
    logged in each listed subject's file.
    """
    when = parse_moment(at, "--at")
    read = _unmasking(list_id, unmasked, purpose, reader)
    rows: Sequence[IdentifiedListing | PublicListing]
    with System.open(settings_of(ctx), write=read is not None) as system:
        if list_id is None:
            _echo_definitions(system.lists(when), as_json)
            return
        if read is not None:
            rows = system.identified_list_members(operator(read[0]), list_id, read[1], when)
        else:
            rows = system.list_members(list_id, when)
    if as_json:
        emit_json([row.to_json() for row in rows])
        return
    _echo_members(list_id, rows, unmasked)


def _unmasking(
    list_id: str | None, unmasked: bool, purpose: str | None, reader: str | None
) -> tuple[str, str] | None:
    """``(reader, purpose)`` of an --unmasked read, else None.

    Raises:
        ValidationError: naming the option: --unmasked without a LIST, a purpose or a reader,
            or --purpose / --reader without --unmasked.
    """
    problems = []
    if unmasked:
        if list_id is None:
            problems.append(Problem("LIST", "--unmasked shows the members of one list"))
        if purpose is None:
            allowed = ", ".join(p.id for p in System.purposes() if p.personal_data)
            reason = f"unmasked identifiers need a permissible purpose: one of {allowed}"
            problems.append(Problem("--purpose", reason))
        if reader is None:
            problems.append(Problem("--reader", "unmasked identifiers need a named reader"))
    elif purpose is not None or reader is not None:
        reason = "--purpose and --reader go with --unmasked (the masked list is public)"
        problems.append(Problem("--unmasked", reason))
    if problems:
        raise ValidationError("unmasking refused", problems)
    return (reader, purpose) if reader is not None and purpose is not None else None


def _echo_definitions(definitions: Iterable[Any], as_json: bool) -> None:
    if as_json:
        emit_json([{"id": d.id, **d.as_dict()} for d in definitions])
        return
    for definition in definitions:
        click.echo(f"{definition.id}  {definition.colour.value}  {definition.name}")


def _echo_members(
    list_id: str, rows: Sequence[IdentifiedListing | PublicListing], unmasked: bool
) -> None:
    shown = "real identifiers; each read is logged in the subject's file" if unmasked else None
    count = f"{len(rows)} subject{'' if len(rows) == 1 else 's'}"
    click.echo(f"{list_id}: {count} ({shown or 'identifiers masked'})")
    for row in rows:
        who = row.subject_id if isinstance(row, IdentifiedListing) else row.masked_id
        click.echo(f"  {who}  {_membership_words(row.membership)}")


def _membership_words(m: Membership) -> str:
    """Status, from and until of a membership, in words."""
    start, end = _day(m.from_us), _day(m.until_us) if m.until_us is not None else None
    until = f"until {end}" if end else "while the grade lasts"
    words = {
        "listed": f"listed from {start} {until}",
        "frozen": f"frozen (hardship recorded): listed from {start} {until}",
        "noticed": f"noticed: takes effect on {start} unless the obligation is performed first",
        "restored": f"restored on {end} ({m.ended_by})",
        "expired": f"expired on {end}",
    }
    return words[m.status.value]


def _day(us: int | None) -> str:
    return (time_text(us) or "-")[:10]


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
    who = parse_subject(subject)  # refuse a bad subject before opening anything
    with System.open(settings_of(ctx)) as system:
        position = system.record_hardship(who, reason, evidence)
    click.echo(f"hardship recorded for {subject} at position {position}")


@hardship_group.command("end")
@click.argument("subject")
@click.option("--reason", required=True, help="Why the hardship ended.")
@click.pass_context
def hardship_end(ctx: click.Context, subject: str, reason: str) -> None:
    """End SUBJECT's hardship period: frozen restrictions apply again."""
    who = parse_subject(subject)
    with System.open(settings_of(ctx)) as system:
        position = system.end_hardship(who, reason)
    click.echo(f"hardship ended for {subject} at position {position}")


@cli.command("restore")
@click.argument("subject")
@click.argument("list_id", metavar="LIST")
@click.option("--reason", default="conduct corrected", help="The application's grounds.")
@click.pass_context
def restore_command(ctx: click.Context, subject: str, list_id: str, reason: str) -> None:
    """Apply for early restoration of SUBJECT from LIST (granted where the list allows it)."""
    who = parse_subject(subject)
    with System.open(settings_of(ctx)) as system:
        position = system.request_restoration(operator("operator"), who, list_id, reason)
    click.echo(f"restoration of {subject} from {list_id} granted at position {position}")


@click.command("export", cls=Command)
@click.argument("list_id", metavar="LIST")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="json")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="File.")
@click.option("--at", "at", metavar="DATE", help="The list as of this time (default: now).")
@click.pass_context
def lists_export(ctx: click.Context, list_id: str, fmt: str, out: Path, at: str | None) -> None:
    """Export the public view of LIST (identifiers masked) for points of service outside the
    system: signed with the ledger's key, with a checkpoint (docs/memoranda.md)."""
    when = parse_moment(at, "--at")
    with System.open(settings_of(ctx)) as system:
        export = system.export_list(list_id, when)
    data = export.encode(fmt)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)  # never a half-written export
    click.echo(f"exported {len(export.rows)} rows of {list_id} to {out} ({fmt})")


@click.command("verify-export", cls=StorelessCommand)
@click.argument("path", metavar="FILE", type=click.Path(exists=True, path_type=Path))
@click.option("--public-key", "public_key", metavar="B64", help="The ledger's key, pinned.")
@click.option("--max-age-hours", type=float, default=24.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the check as JSON.")
@click.pass_context
def lists_verify_export(
    ctx: click.Context, path: Path, public_key: str | None, max_age_hours: float, as_json: bool
) -> None:
    """Check an exported list offline: signature, checkpoint, rows, freshness; exit 1 on
    any failure."""
    check = System.verify_list_export(path.read_bytes(), public_key, max_age_hours=max_age_hours)
    if as_json:
        emit_json(check.to_json())
    else:
        state = "ok" if check.ok else "FAILED"
        click.echo(f"{path.name}: {state}: list {check.list_id}, {check.count} rows, "
                   f"checkpoint {check.checkpoint_size} at {check.checkpoint_time}")  # fmt: skip
        if not check.pinned:
            click.echo("  warning: key not pinned (--public-key): trusted the file's own key")
        for problem in check.problems:
            click.echo(f"  {problem.field}: {problem.reason}")
        for note in check.notes:
            click.echo(f"  note: {note}")
    if not check.ok:
        ctx.exit(1)


_ListsCommand.subcommands = {"export": lists_export, "verify-export": lists_verify_export}
