"""The ``--purpose`` and ``--reader`` options of CLI commands that read a person's file.

The logging itself is the application object's (:mod:`socialcredit.system`): a command checks
the purpose (:func:`checked_purpose`) and passes it with the reader
(:func:`socialcredit.system.operator`) to the use case, which appends the ``FileRead`` entries
before anything is printed. A missing or unlisted purpose is refused with exit status 2 naming
``--purpose``, and nothing is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from socialcredit.rights import PURPOSES, required_purpose

__all__ = ["checked_purpose", "with_read"]

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


def checked_purpose(purpose: str | None) -> str:
    """The ``--purpose`` of a read, which a read of a person's file must name, before anything
    is read.

    Raises:
        ValidationError: naming --purpose if it is missing or not whitelisted (exit 2).
    """
    return required_purpose(purpose, "--purpose")
