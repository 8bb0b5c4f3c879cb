"""Purpose-bound, logged reads of a person's file (``socialcredit.rights.log_read``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Query, Request
from pydantic import AfterValidator, Field, WithJsonSchema

from ...accounts import Principal, Role
from ...ledger import Ledger
from ...rights import reads as rights
from . import ctx_of

__all__ = [
    "PURPOSES",
    "PurposeQuery",
    "entry_subject",
    "log_file_read",
    "log_reads",
    "purpose_of",
    "sees_content",
]


#: The permissible purposes of a read (``socialcredit.rights``' whitelist).
PURPOSES = tuple(rights.PURPOSES)


def _whitelisted(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"{purpose!r} is not a permissible purpose; one of: {', '.join(PURPOSES)}")
    return purpose


PurposeQuery = Annotated[
    str | None,
    AfterValidator(lambda value: None if value is None else _whitelisted(value)),
    WithJsonSchema({"type": "string", "enum": list(PURPOSES)}),
    Query(description="Why a person's file is read (see /purposes; default dispute_handling); "
          "a subject's own reads are always subject_access."),
]  # fmt: skip


PurposeField = Annotated[
    str | None,
    AfterValidator(lambda value: None if value is None else _whitelisted(value)),
    WithJsonSchema({"anyOf": [
        {"type": "string", "enum": list(PURPOSES)},
        {"type": "null"},
    ]}),
    Field(default=None, description="Why the subject is asked about; default: the service "
          "decision itself."),
]  # fmt: skip


def purpose_of(principal: Principal, purpose: str | None) -> str:
    """The purpose of a read: the subject's own is ``subject_access``; others name one from the
    whitelist (default ``dispute_handling``)."""
    if principal.role is Role.SUBJECT:
        return "subject_access"
    return purpose or "dispute_handling"


def entry_subject(ledger: Ledger, position: int) -> tuple[str, str] | None:
    """Whom the entry at ``position`` is about (see ``socialcredit.rights.entry_subject``).

    Raises:
        NotFoundError: if there is no such entry.
    """
    found: tuple[str, str] | None = rights.entry_subject(ledger, ledger.entry(position))
    return found


def sees_content(principal: Principal, purpose: str | None) -> bool:
    """Whether a caller who named ``purpose`` (or none) may see personal content rather than
    hashes: a subject (their own), or anyone naming a purpose that covers personal data."""
    if principal.role is Role.SUBJECT:
        return True
    if principal.role is Role.AUDITOR or purpose is None:
        return False
    return bool(rights.purposes()[purpose].personal_data)


def log_reads(
    request: Request,
    principal: Principal,
    subjects: Iterable[tuple[str, str]],
    purpose: str | None,
    what: str,
) -> None:
    """Log a read (``what``) of each person's file in ``subjects``, in one append, before
    they are read; the caller holds no lock.

    Raises:
        ValidationError: if the purpose is not on the whitelist (nothing is read then).
    """
    ctx = ctx_of(request)
    with ctx.lock:
        rights.log_reads(
            ctx.ledger, subjects, principal.account, purpose_of(principal, purpose), what
        )


def log_file_read(
    request: Request,
    principal: Principal,
    subject: tuple[str, str],
    purpose: str | None,
    what: str = "file",
) -> None:
    """Log a read of a person's file (a ``FileRead`` entry) before it happens.

    Organisations' files are not personal data and are not logged.

    Raises:
        ValidationError: if the purpose is not on the whitelist (nothing is read then).
    """
    if subject[0] != "person":
        return
    ctx = ctx_of(request)
    with ctx.lock:
        rights.log_read(
            ctx.ledger, subject, principal.account, purpose_of(principal, purpose), what
        )
