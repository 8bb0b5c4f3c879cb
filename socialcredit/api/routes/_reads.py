"""Purpose-bound, logged reads of a person's file (``socialcredit.rights.log_read``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import AfterValidator, WithJsonSchema

from ..auth import Principal, Role
from . import ctx_of

__all__ = ["PURPOSES", "PurposeQuery", "log_file_read", "purpose_of"]


def _whitelist() -> tuple[str, ...]:
    from ..app import _optional

    rights = _optional("socialcredit.rights.reads")
    return tuple(rights.PURPOSES) if rights is not None else ()


#: The permissible purposes of a read (``socialcredit.rights``' whitelist).
PURPOSES = _whitelist()


def _whitelisted(purpose: str) -> str:
    if PURPOSES and purpose not in PURPOSES:
        raise ValueError(f"{purpose!r} is not a permissible purpose; one of: {', '.join(PURPOSES)}")
    return purpose


PurposeQuery = Annotated[
    str | None,
    AfterValidator(lambda value: None if value is None else _whitelisted(value)),
    WithJsonSchema({"type": "string", "enum": list(PURPOSES)} if PURPOSES else {"type": "string"}),
    Query(description="Why a person's file is read (see /purposes; default dispute_handling); "
          "a subject's own reads are always subject_access."),
]  # fmt: skip


def purpose_of(principal: Principal, purpose: str | None) -> str:
    """The purpose of a read: the subject's own is ``subject_access``; others name one from the
    whitelist (default ``dispute_handling``)."""
    if principal.role is Role.SUBJECT:
        return "subject_access"
    return purpose or "dispute_handling"


def log_file_read(
    request: Request, principal: Principal, subject: tuple[str, str], purpose: str | None
) -> None:
    """Log a read of a person's file (a ``FileRead`` entry) before it happens.

    Organisations' files are not personal data and are not logged. Without the rights
    package nothing is logged.

    Raises:
        ValidationError: if the purpose is not on the whitelist (nothing is read then).
    """
    if subject[0] != "person":
        return
    from ..app import _optional

    rights = _optional("socialcredit.rights")
    if rights is None:
        return
    ctx = ctx_of(request)
    with ctx.lock:
        rights.log_read(ctx.ledger, subject, principal.name, purpose_of(principal, purpose), "file")
