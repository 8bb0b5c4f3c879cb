"""Argument parsing shared by the CLI commands: times, ledger positions and identifiers.

Every value is range-checked here, where it comes in: a bad one is refused with exit status 2
naming the argument, never a traceback from deeper down.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from socialcredit.catalogue import subject_key

from ..errors import Problem, ValidationError
from ..timeutil import parse_moment as parse_moment_text

__all__ = [
    "ISSUER",
    "MAX_POSITION",
    "POSITION",
    "parse_moment",
    "parse_subject",
    "parse_times",
    "time_options",
    "with_times",
]

#: Ledger positions are below 2**63 (a signed 64-bit integer in every store).
MAX_POSITION = 2**63 - 1
#: A ledger position argument: exit 2 naming it if it is negative or too large.
POSITION = click.IntRange(0, MAX_POSITION)


def parse_moment(value: str | None, name: str) -> datetime:
    """A command-line time: an RFC 3339 date (midnight UTC) or date-time with its zone, in the
    years :data:`~socialcredit.timeutil.FIRST_YEAR` to ``LAST_YEAR`` (the API's one parse,
    :func:`socialcredit.timeutil.parse_moment`); None = now.

    Raises:
        ValidationError: naming ``name`` if it is not such a time, or its year is out of range.
    """
    if value is None:
        return datetime.now(UTC)
    try:
        return parse_moment_text(value)
    except ValueError as exc:
        raise ValidationError("bad time", [Problem(name, str(exc))]) from exc


class _Issuer(click.ParamType):
    """A rating token's issuer: a USCC, or ``record:<position>`` with a position in range."""

    name = "ISSUER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        kind, colon, position = str(value).partition(":")
        if (
            colon
            and kind == "record"
            and not (position.isdigit() and int(position) <= MAX_POSITION)
        ):
            self.fail(f"record:<position> needs a position 0-{MAX_POSITION}", param, ctx)
        return value


ISSUER = _Issuer()


def parse_times(as_of: str | None, known_at: str | None) -> tuple[datetime, datetime]:
    """``--as-of`` (default now) and ``--known-at`` (default the ``--as-of`` time)."""
    when = parse_moment(as_of, "--as-of")
    return when, parse_moment(known_at, "--known-at") if known_at else when


def parse_subject(subject: str) -> tuple[str, str]:
    """``(kind, id)`` of a resident id or USCC given on the command line.

    Raises:
        ValidationError: naming SUBJECT if it is neither.
    """
    return subject_key(subject, "SUBJECT")


time_options = [
    click.option("--as-of", "as_of", metavar="DATE", help="Score as of this time (default: now)."),
    click.option(
        "--known-at",
        "known_at",
        metavar="DATE",
        help="Use only what the ledger knew by then (default: the --as-of time).",
    ),
]


def with_times(command: Any) -> Any:
    """Add the ``--as-of`` / ``--known-at`` pair to a command."""
    for option in reversed(time_options):
        command = option(command)
    return command
