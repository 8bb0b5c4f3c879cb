"""The ``socialcredit`` command line: thin commands over the library.

Every command opens the service, calls one or two library functions and prints the result.
Errors are mapped to messages and exit statuses in exactly one place, :class:`_Group`:
exit 1 when a check fails (verify, a proof), 2 for refused input or configuration, 3 when the
ledger pushes back (retry later).
"""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from ..errors import (
    IntegrityError,
    LedgerOverloadedError,
    SocialCreditError,
    ValidationError,
)
from ..settings import SETTINGS, Settings

__all__ = ["main"]


def _exit_status(error: SocialCreditError) -> int:
    if isinstance(error, IntegrityError):
        return 1
    if isinstance(error, LedgerOverloadedError):
        return 3
    return 2


class _Group(click.Group):
    """Maps every library error to one message shape and exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SocialCreditError as error:
            click.echo(f"error [{error.code}]: {error.message}", err=True)
            if isinstance(error, ValidationError):
                for problem in error.problems:
                    click.echo(f"  {problem.field}: {problem.reason}", err=True)
            ctx.exit(_exit_status(error))


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def settings_of(ctx: click.Context) -> Settings:
    """The validated settings of this invocation."""
    settings: Settings = ctx.find_object(Settings)  # type: ignore[assignment]
    return settings


@click.group(cls=_Group)
@click.option(
    "--store", "store", metavar="URL", help=SETTINGS[0].help + f" [env {SETTINGS[0].env}]"
)
@click.option(
    "--key-file", "key_file", metavar="PATH", help=SETTINGS[1].help + f" [env {SETTINGS[1].env}]"
)
@click.version_option(package_name="socialcredit")
@click.pass_context
def cli(ctx: click.Context, store: str | None, key_file: str | None) -> None:
    """socialcredit: an open, auditable social credit engine on a tamper-evident ledger."""
    try:
        ctx.obj = Settings.load({"store": store, "key_file": key_file})
    except SocialCreditError as error:
        click.echo(f"error [{error.code}]: {error.message}", err=True)
        ctx.exit(2)


def main() -> None:
    """Entry point of the ``socialcredit`` console script."""
    cli(prog_name="socialcredit")


from . import (  # noqa: E402,F401  (registers the commands)
    consequence_commands,
    demo_commands,
    ledger_commands,
    policy_commands,
    rating_commands,
    rights_commands,
    scale_commands,
    scoring_commands,
    serve_commands,
    simulation_commands,
)
