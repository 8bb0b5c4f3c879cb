"""The ``--purpose`` and ``--reader`` options of CLI commands that read a person's file.

The logging itself is the library's (:mod:`socialcredit.rights.reads`): a command names the
subjects it is about to show, the reader and the purpose, and ``logged_read`` appends the
``FileRead`` entries before anything is printed. A missing or unlisted purpose is refused with
exit status 2 naming ``--purpose``, and nothing is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from ..ledger import Ledger
from ..rights.reads import PURPOSES, log_reads, required_purpose

__all__ = ["logged_read", "with_read"]

_F = TypeVar("_F", bound=Callable[..., Any])


def with_read(
    *, reader_default: str | None = "subject", purpose_help: str = ""
) -> Callable[[_F], _F]:
    """Add ``--purpose`` (no default) and ``--reader`` to a command."""

    def decorate(command: _F) -> _F:
        # No default at all when required: click 8.3 takes an explicit None as a given value.
        given: dict[str, Any] = {"required": True}
        if reader_default is not None:
            given = {"default": reader_default, "show_default": True}
        command = click.option(
            "--reader",
            help="Who reads (logged): a short code such as officer:li, or the subject's own id.",
            **given,
        )(command)
        return click.option(
            "--purpose",
            type=click.Choice(PURPOSES),
            default=None,
            help=purpose_help or "The permissible purpose of this read (required; logged).",
        )(command)

    return decorate


def logged_read(
    ledger: Ledger,
    subjects: Iterable[tuple[str, str]],
    reader: str,
    purpose: str | None,
    what: str = "file",
) -> str:
    """Log the read of each person's file in ``subjects`` (one append); the purpose.

    Raises:
        ValidationError: naming --purpose if it is missing, or the reader if it is not a
            short code (exit 2); nothing is written then.
    """
    checked = required_purpose(purpose, "--purpose")
    log_reads(ledger, subjects, reader, checked, what)
    return checked
