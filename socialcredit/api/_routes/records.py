"""Records: file one or many (sources), read one or a subject's (officers, the subject).

A source account files as itself: its name is a registered source (``court:beijing-chaoyang``),
every record it files is filed under that name, and a record whose ``source`` names another is
refused (422 naming ``source``). An admin files as the operator, under the sources its records
name. Either way the catalogue holds the source's authority kind to the kinds it may establish
and the evidence to its reference form.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from socialcredit.accounts import Principal, Role, require

from ...ledger import Entry
from ...system import MAX_BULK
from .._gate import UPLOAD
from .._params import Position, SubjectId, WholeNumber, subject_of
from . import system_of
from ._reads import PurposeQuery

__all__ = ["entry_json", "router"]

router = APIRouter(tags=["records"])

_FILERS = (Role.ADMIN, Role.SOURCE)
_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)


class RecordIn(BaseModel):
    """A conduct record as a source files it (checked against the catalogue in force)."""

    model_config = ConfigDict(extra="forbid")

    subject_id: str = Field(max_length=64)
    subject_kind: str = Field(max_length=32)
    kind: str = Field(max_length=128)
    occurred_at: str = Field(max_length=64)
    source: str | None = Field(
        default=None,
        max_length=256,
        description="Who files: a source account files as itself (leave this out or repeat "
        "its name); an admin names the source, '<authority kind>:<name>'.",
    )
    amount: WholeNumber | Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="Per the catalogue's kind."
    )
    evidence: str | None = Field(default=None, max_length=1024)
    idempotency_key: str | None = Field(default=None, max_length=256)


class BulkIn(BaseModel):
    """Up to 10,000 records in one request."""

    model_config = ConfigDict(extra="forbid")

    records: list[RecordIn] = Field(max_length=MAX_BULK)


def _rows(records: list[RecordIn]) -> list[dict[str, Any]]:
    return [r.model_dump(exclude_none=True) for r in records]


def entry_json(entry: Entry) -> dict[str, Any]:
    """An entry as JSON: position, type, ledger time and data."""
    return {
        "position": entry.position,
        "type": entry.type,
        "recorded_at": entry.recorded_at.isoformat(),
        "data": entry.data,
    }


@router.post("/records", status_code=201)
def file_record(
    request: Request,
    record: RecordIn,
    principal: Annotated[Principal, Depends(require(*_FILERS))],
) -> dict[str, Any]:
    """File one record. 201 with its position (``duplicate`` if its idempotency key was seen);
    422 with every problem if the catalogue refuses it."""
    filed = system_of(request).file_record(principal, _rows([record])[0])
    return {"position": filed.position, "duplicate": filed.duplicate}


@router.post("/records/bulk", openapi_extra=UPLOAD)
def file_records(
    request: Request,
    body: BulkIn,
    principal: Annotated[Principal, Depends(require(*_FILERS))],
) -> dict[str, Any]:
    """File many records; refused rows are listed (row number from 1, every problem), the
    others are appended in one durable batch."""
    return system_of(request).file_records(principal, _rows(body.records)).to_json()


@router.post("/records/file", openapi_extra=UPLOAD)
def file_upload(
    request: Request,
    file: Annotated[
        UploadFile,
        WithJsonSchema({"type": "string", "format": "binary"}),
        File(description="CSV (with header), JSON Lines or Parquet."),
    ],
    principal: Annotated[Principal, Depends(require(*_FILERS))],
    format: Annotated[
        Literal["csv", "jsonl", "parquet"] | None,
        WithJsonSchema({"type": "string", "enum": ["csv", "jsonl", "parquet"]}),
        Form(description="Default: from the file name."),
    ] = None,
) -> dict[str, Any]:
    """File the records of an uploaded file, batch by batch (as ``socialcredit ingest``);
    refused rows are listed (the first 1,000) with every problem."""
    filed = system_of(request).file_upload(principal, file.file, file.filename, format)
    return filed.to_json()


@router.get("/records/{position:int}")
def read_record(
    request: Request,
    position: Position,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """One filed record by its ledger position (a subject: only their own)."""
    return entry_json(system_of(request).record(principal, position, purpose))


@router.get("/subjects/{subject}/records")
def subject_records(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """Every record filed about SUBJECT (resident id or USCC), in ledger order."""
    key = subject_of(subject)
    entries = system_of(request).subject_records(principal, key, purpose)
    return {"subject": {"kind": key[0], "id": key[1]}, "records": [entry_json(e) for e in entries]}
