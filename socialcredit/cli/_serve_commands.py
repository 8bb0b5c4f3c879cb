"""CLI commands for the HTTP API and portal: serve, and the accounts it admits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from ..accounts import Role
from ..errors import Problem, ValidationError
from ..settings import Settings
from ..system import System
from ._args import parse_subject
from ._main import cli, emit_json, settings_of

_ROLES = click.Choice([role.value for role in Role if role is not Role.PUBLIC])


def _accounts(settings: Settings, path: Path | None) -> Settings:
    """``settings`` with ``--accounts`` (if given) as the accounts file."""
    return settings if path is None else dataclasses.replace(settings, accounts=path)


_accounts_option = click.option(
    "--accounts",
    "accounts_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Accounts file [env SOCIALCREDIT_ACCOUNTS]; default: the database path + '.accounts.db'.",
)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1))
@click.option(
    "--rate-limit",
    default=200.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Requests per second per API key, session or client address (burst: twice that).",
)
@click.option(
    "--max-body",
    default=1 << 20,
    show_default=True,
    type=click.IntRange(1),
    envvar="SOCIALCREDIT_MAX_BODY",
    show_envvar=True,
    help="Largest request body in bytes (JSON, forms; uploads excepted): 413 beyond it.",
)
@click.option(
    "--max-upload",
    default=64 << 20,
    show_default=True,
    type=click.IntRange(1),
    envvar="SOCIALCREDIT_MAX_UPLOAD",
    show_envvar=True,
    help="Largest upload (multipart body, e.g. POST /records/file) in bytes: 413 beyond it.",
)
@click.option(
    "--witness-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    envvar="SOCIALCREDIT_WITNESS_DIR",
    show_envvar=True,
    help="A witness's directory (or a copy of its witness.db) whose latest cosignature of the "
    "ledger is published (GET /api/v1/ledger/cosigned, the portal) and checked by verify.",
)
@click.option(
    "--snapshot-every",
    default=100_000,
    show_default=True,
    type=click.IntRange(0),
    help="Write a snapshot of the projections (in a process of its own) whenever the ledger "
    "has grown by this many entries, so the next start reads only what came after; 0: never.",
)
@_accounts_option
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    rate_limit: float,
    max_body: int,
    max_upload: int,
    witness_dir: Path | None,
    snapshot_every: int,
    accounts_path: Path | None,
) -> None:
    """Serve the HTTP API (/api/v1, OpenAPI at /api/v1/docs) and the portal with uvicorn.

    Request bodies are bounded (--max-body, --max-upload: 413 past them) and the caller of an
    API route is checked before its body is read.
    """
    import os

    import uvicorn

    settings = settings_of(ctx)
    env = {
        "SOCIALCREDIT_STORE": settings.store,
        "SOCIALCREDIT_RATE_LIMIT": str(rate_limit),
        "SOCIALCREDIT_MAX_BODY": str(max_body),
        "SOCIALCREDIT_MAX_UPLOAD": str(max_upload),
        "SOCIALCREDIT_SNAPSHOT_EVERY": str(snapshot_every),
    }
    if settings.key_file is not None:
        env["SOCIALCREDIT_KEY_FILE"] = str(settings.key_file)
    if witness_dir is not None:
        env["SOCIALCREDIT_WITNESS_DIR"] = str(witness_dir.resolve())
    if accounts_path is not None or settings.accounts is not None:
        env["SOCIALCREDIT_ACCOUNTS"] = str(accounts_path or settings.accounts)
    os.environ.update(env)  # the app factory reads them in every worker process
    click.echo(f"serving {settings.store} on http://{host}:{port} ({workers} worker(s))")
    uvicorn.run(
        "socialcredit.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


@cli.group()
def account() -> None:
    """API keys and users of the HTTP API and portal."""


_authority_option = click.option(
    "--authority",
    help="The source's authority kind (role source; required), e.g. court: its NAME must be "
    "'<authority kind>:<name>', e.g. court:beijing-chaoyang, and its records are filed under it.",
)


def _source_authority(role: str, authority: str | None) -> str | None:
    """``--authority``, required of a source account (exit 2 naming it otherwise)."""
    if role == "source" and authority is None:
        reason = "a source account is registered with its authority kind (e.g. --authority court)"
        raise ValidationError("bad source account", [Problem("authority", reason)])
    return authority


@account.command("add-key")
@click.argument("role", type=_ROLES)
@click.argument("name")
@click.option("--subject", help="The subject's own id (role subject).")
@click.option("--kind", "kinds", multiple=True, help="A record kind it may file (role source).")
@_authority_option
@_accounts_option
@click.pass_context
def add_key(
    ctx: click.Context,
    role: str,
    name: str,
    subject: str | None,
    kinds: tuple[str, ...],
    authority: str | None,
    accounts_path: Path | None,
) -> None:
    """Create an API key with ROLE named NAME and print it (shown only this once)."""
    issued = System.add_api_key(
        _accounts(settings_of(ctx), accounts_path),
        role,
        name,
        subject=parse_subject(subject) if subject else None,
        allowed_kinds=kinds,
        authority=_source_authority(role, authority),
    )
    click.echo(issued.key)


@account.command("add-user")
@click.argument("username")
@click.argument("role", type=_ROLES)
@click.option("--subject", help="The subject's own id (role subject).")
@click.option("--kind", "kinds", multiple=True, help="A record kind it may file (role source).")
@_authority_option
@click.password_option(help="Asked for when not given.")
@_accounts_option
@click.pass_context
def add_user(
    ctx: click.Context,
    username: str,
    role: str,
    subject: str | None,
    kinds: tuple[str, ...],
    authority: str | None,
    password: str,
    accounts_path: Path | None,
) -> None:
    """Create a portal user USERNAME with ROLE (password hashed with scrypt)."""
    System.add_user(
        _accounts(settings_of(ctx), accounts_path),
        username,
        password,
        role,
        subject=parse_subject(subject) if subject else None,
        allowed_kinds=kinds,
        authority=_source_authority(role, authority),
    )
    click.echo(f"created user {username} ({role})")


@account.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@_accounts_option
@click.pass_context
def list_accounts(ctx: click.Context, as_json: bool, accounts_path: Path | None) -> None:
    """List API keys (by id) and users, never a secret."""
    found = System.list_accounts(_accounts(settings_of(ctx), accounts_path))
    if as_json:
        emit_json([a.to_json() for a in found])
        return
    for a in found:
        subject = f" subject {a.subject[1]}" if a.subject else ""
        kinds = f" kinds {','.join(sorted(a.allowed_kinds))}" if a.allowed_kinds else ""
        if a.role.value == "source":
            kinds += f" authority {a.authority or 'none (cannot file: add it again)'}"
        click.echo(f"{a.kind:8s} {a.id or a.name:20s} {a.role.value:15s} {a.name}{subject}{kinds}")
