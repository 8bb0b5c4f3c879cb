"""The command group, its options and error mapping, and the helpers every command uses."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click
import orjson

from ..errors import (
    SocialCreditError,
    ValidationError,
)
from ..policy import GRADES
from ..settings import SETTINGS, Settings

__all__ = ["Command", "StorelessCommand", "by_grade", "cli", "emit_json", "main", "settings_of"]

_GIVEN = "socialcredit.settings.given"  # ctx.meta key: setting name -> value from an option
_LOADED = "socialcredit.settings.loaded"  # ctx.meta key: the validated Settings


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Keep a ``--store`` / ``--key-file`` value; a later one (after the command) wins.

    Contexts of a command line share ``meta``, and click processes the parent's options
    before its subcommand's, so the value nearest the end is written last.
    """
    if value is not None and param.name is not None:
        ctx.meta.setdefault(_GIVEN, {})[param.name] = value


def _setting_options(hidden: bool = False) -> list[click.Option]:
    """Fresh ``--store`` and ``--key-file`` options, as declared in :data:`SETTINGS`."""
    return [
        click.Option(
            [f"--{setting.name.replace('_', '-')}"],
            metavar=metavar,
            help=f"{setting.help} [env {setting.env}]",
            expose_value=False,
            callback=_remember,
            hidden=hidden,
        )
        for setting, metavar in zip(SETTINGS[:2], ("URL", "PATH"), strict=True)
    ]


class Command(click.Command):
    """A command that also accepts ``--store`` and ``--key-file`` after its name."""

    uses_store = True  # False: accept them, but leave them out of --help

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_setting_options(hidden=not self.uses_store))


class StorelessCommand(Command):
    """A command that reads no store (``--store`` and ``--key-file`` are hidden)."""

    uses_store = False


class _Group(click.Group):
    """Maps every library error to one message shape and exit status; its commands and
    subgroups accept ``--store`` and ``--key-file`` too."""

    command_class = Command
    group_class = type  # subgroups (policy, lab, ...) are _Groups as well

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_setting_options())

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SocialCreditError as error:
            click.echo(f"error [{error.code}]: {error.message}", err=True)
            if isinstance(error, ValidationError):
                for problem in error.problems:
                    click.echo(f"  {problem.field}: {problem.reason}", err=True)
            ctx.exit(error.exit_status)


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def settings_of(ctx: click.Context) -> Settings:
    """The validated settings of this invocation: options, then environment, then defaults.

    Raises:
        ConfigurationError: naming the setting that is invalid.
    """
    loaded: Settings | None = ctx.meta.get(_LOADED)
    if loaded is None:
        loaded = ctx.meta[_LOADED] = Settings.load(ctx.meta.get(_GIVEN, {}))
    return loaded


def by_grade(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """``counts`` per grade, best grade first: the order of every policy's bands."""
    rank = {grade: i for i, grade in enumerate(GRADES)}
    return sorted(counts.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


@click.group(cls=_Group)
@click.version_option(package_name="socialcredit")
def cli() -> None:
    """socialcredit: an open, auditable social credit engine on a tamper-evident ledger."""


def main() -> None:
    """Entry point of the ``socialcredit`` console script."""
    cli(prog_name="socialcredit")
