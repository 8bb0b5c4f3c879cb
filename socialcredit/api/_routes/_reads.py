"""The ``purpose`` of a read of a person's file, as a query parameter or a body field; the
application object logs the read (:meth:`socialcredit.system.System.log_reads`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, Field, WithJsonSchema

from ...rights import PURPOSES as _PURPOSES

__all__ = ["PURPOSES", "PurposeField", "PurposeQuery"]


#: The permissible purposes of a read (``socialcredit.rights``' whitelist).
PURPOSES = tuple(_PURPOSES)


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
