"""CLI commands for agencies and their joint memoranda (``socialcredit memorandum ...``)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Problem, ValidationError
from ..system import System
from ..timeutil import format_time
from ._args import parse_moment
from ._main import StorelessCommand, cli, emit_json, settings_of


@cli.group("memorandum")
def memorandum_group() -> None:
    """Agencies and the joint memoranda that link one agency's list to another's measure."""


@memorandum_group.command("register-agency")
@click.argument("name")
@click.option("--title", required=True, help="What the agency is called.")
@click.option("--public-key", "public_key", metavar="B64", help="The agency's Ed25519 key.")
@click.option(
    "--key",
    "key_path",
    type=click.Path(path_type=Path),
    help="The agency's private key file (PEM); created (mode 0600) if it does not exist.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the agency as JSON.")
@click.pass_context
def register_agency_command(
    ctx: click.Context,
    name: str,
    title: str,
    public_key: str | None,
    key_path: Path | None,
    as_json: bool,
) -> None:
    """Register agency NAME (``<authority kind>:<name>``, e.g. ``court:supreme-peoples-court``)
    with its own Ed25519 key: --public-key, or --key KEYFILE (made if absent)."""
    if (public_key is None) == (key_path is None):
        raise ValidationError("no key", [Problem("--key", "give --public-key or --key")])
    with System.open(settings_of(ctx)) as system:
        found = system.register_agency(name, title, public_key, key_file=key_path)
    if as_json:
        emit_json(found.to_json())
        return
    click.echo(f"registered {found.name} ({found.title}) at entry {found.position}")
    click.echo(f"  key: {found.public_key}; competent in: {', '.join(sorted(found.competence))}")


@memorandum_group.command("sign", cls=StorelessCommand)
@click.argument("path", metavar="FILE", type=click.Path(exists=True, path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--agency", required=True, help="The agency signing (a party to the memorandum).")
def sign_command(path: Path, key_path: Path, agency: str) -> None:
    """Sign the memorandum in FILE as AGENCY with its key (kept in FILE's signatures)."""
    digest, count = System.sign_memorandum_file(path, key_path, agency)
    click.echo(f"signed digest {digest} as {agency}; {path.name} holds {count} signatures")


@memorandum_group.command("propose")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Only check; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the memorandum as JSON.")
@click.pass_context
def propose_command(ctx: click.Context, path: Path, check_only: bool, as_json: bool) -> None:
    """Record the memorandum in FILE once every agency it names has signed it; every problem
    is listed (exit 2) and nothing is written otherwise. --check only checks."""
    memo, signed = System.load_memorandum_file(path)
    with System.open(settings_of(ctx), write=not check_only) as system:
        if check_only:
            system.check_memorandum(memo, signed)
            click.echo(f"{memo.id}: checks; digest {memo.digest()}")
            return
        recorded = system.record_memorandum(memo, signed)
    if as_json:
        emit_json(recorded.to_json())
        return
    click.echo(f"recorded memorandum {memo.id} at entry {recorded.position}")
    click.echo(f"  in force from {format_time(recorded.effective_us)}")


@memorandum_group.command("list")
@click.option("--at", "at", metavar="DATE", help="In force at this time (default: now).")
@click.option("--all", "show_all", is_flag=True, help="Every memorandum, in force or not.")
@click.option("--json", "as_json", is_flag=True, help="Print the memoranda as JSON.")
@click.pass_context
def list_command(ctx: click.Context, at: str | None, show_all: bool, as_json: bool) -> None:
    """The memoranda in force (or --all), each with its parties and links."""
    when = parse_moment(at, "--at")
    with System.open(settings_of(ctx), write=False) as system:
        shown = [memo.to_json() for memo in system.memoranda(when, every=show_all)]
    if as_json:
        emit_json(shown)
        return
    if not shown:
        click.echo("no memorandum in force" if not show_all else "no memorandum recorded")
    for data in shown:
        _echo(data)


@memorandum_group.command("show")
@click.argument("memo_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the memorandum as JSON.")
@click.pass_context
def show_command(ctx: click.Context, memo_id: str, as_json: bool) -> None:
    """Memorandum ID: its links (and whether the policy in force carries each), parties and
    signatures."""
    with System.open(settings_of(ctx), write=False) as system:
        shown = system.memorandum(memo_id)
        problems = system.verify_memorandum(shown.recorded)
    data = shown.to_json()
    data["signatures_verify"] = not problems
    if as_json:
        emit_json(data)
        return
    _echo(data)
    verdict = "every signature verifies under the key its agency held then"
    click.echo(f"  {verdict if not problems else 'signatures do not verify:'}")
    for problem in problems:
        click.echo(f"    {problem.field}: {problem.reason}")


_KEY = click.Path(exists=True, dir_okay=False, path_type=Path)


@memorandum_group.command("end")
@click.argument("memo_id", metavar="ID")
@click.option("--agency", required=True, help="The joining agency that ends it.")
@click.option("--key", "key_path", required=True, type=_KEY, help="The agency's key file.")
@click.option("--reason", required=True, help="Why it ends early.")
@click.option("--json", "as_json", is_flag=True, help="Print the memorandum as JSON.")
@click.pass_context
def end_command(
    ctx: click.Context, memo_id: str, agency: str, key_path: Path, reason: str, as_json: bool
) -> None:
    """End memorandum ID now, signed by a joining AGENCY with its key, for REASON: decisions
    from now on no longer cite it. Every problem is listed (exit 2); nothing is written."""
    with System.open(settings_of(ctx)) as system:
        ended = system.end_memorandum_with_key(memo_id, reason, agency, key_path)
    if as_json:
        emit_json(ended.to_json())
        return
    assert ended.ended is not None
    click.echo(f"ended memorandum {memo_id} at entry {ended.ended.position} by {agency}")


@memorandum_group.command("rotate-key")
@click.argument("name")
@click.option("--key", "key_path", required=True, type=_KEY, help="The agency's key in force.")
@click.option(
    "--new-key",
    "new_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The new key file (PEM); created (mode 0600) if it does not exist.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the agency as JSON.")
@click.pass_context
def rotate_key_command(
    ctx: click.Context, name: str, key_path: Path, new_path: Path, as_json: bool
) -> None:
    """Replace agency NAME's key with the one in --new-key, the rotation signed by its key in
    force (--key). Signatures made before stay valid for the entries they were recorded in."""
    with System.open(settings_of(ctx)) as system:
        found = system.rotate_agency_key_file(name, key_path, new_path)
    if as_json:
        emit_json(found.to_json())
        return
    click.echo(f"rotated the key of {found.name} at entry {found.key_position}")
    click.echo(f"  key: {found.public_key}")


def _echo(data: dict[str, object]) -> None:
    state = "in force" if data.get("in_force") else "not in force"
    click.echo(f"{data['id']}: {data['title']} ({state}; entry {data['position']})")
    ended = data.get("ended")
    if isinstance(ended, dict):
        click.echo(
            f"  ended {ended['at'][:10]} by {ended['agency']} (entry {ended['position']}): "
            f"{ended['reason']}"
        )
    if data.get("reference"):
        click.echo(f"  reference: {data['reference']}")
    click.echo(f"  parties: {', '.join(data['parties'])}")  # type: ignore[arg-type]
    for link in data["links"]:  # type: ignore[attr-defined]
        applied = "" if link.get("applied", True) else "  [not in the policy in force]"
        click.echo(
            f"  {link['list']} ({link['of']}) -> {link['measure']} ({link['by']}) in "
            f"{link['context']}, basis {link['legal_basis']}{applied}"
        )
