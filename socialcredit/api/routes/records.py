"""Records: file one or many (sources), read one or a subject's (officers, the subject).

A source account files as itself: its name is a registered source (``court:beijing-chaoyang``),
every record it files is filed under that name, and a record whose ``source`` names another is
refused (422 naming ``source``). An admin files as the operator, under the sources its records
name. Either way the catalogue holds the source's authority kind to the kinds it may establish
and the evidence to its reference form.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ...accounts.auth import Principal, Role, require, require_own_subject
from ...catalogue import Source
from ...errors import (
    ConfigurationError,
    NotFoundError,
    Problem,
    RecordRefusedError,
    ValidationError,
)
from ...ingest import BatchAck, RowError, detect_format, ingest_file, ingest_rows, read_rows
from ...ledger import Entry
from ...scoring.records import RECORD_FILED
from .._params import Position, SubjectId, WholeNumber, subject_of
from ..errors import PermissionDeniedError
from ..gate import UPLOAD
from . import ctx_of
from ._reads import PurposeQuery, log_file_read

if TYPE_CHECKING:
    from ..app import AppContext

router = APIRouter(tags=["records"])
_T = TypeVar("_T")

MAX_BULK = 10_000
#: Rows per append of an upload: small enough that a request waiting behind one is not held
#: up noticeably (a few milliseconds of hashing and one commit).
UPLOAD_BATCH = 500
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


def _check_kinds(principal: Principal, rows: list[dict[str, Any]]) -> None:
    if principal.role is not Role.SOURCE:
        return
    refused = [
        {"row": number, "kind": row.get("kind")}
        for number, row in enumerate(rows, 1)
        if row.get("kind") not in principal.allowed_kinds
    ]
    if refused:
        raise PermissionDeniedError(
            "this source may not file these record kinds; nothing was filed",
            {"rows": refused[:100], "allowed_kinds": sorted(principal.allowed_kinds)},
        )


def _filer(principal: Principal) -> Source | None:
    """The registered source a source account files as (None for an admin: its rows name theirs).

    Raises:
        PermissionDeniedError: for a source account whose name is not a registered source.
    """
    if principal.role is not Role.SOURCE:
        return None
    try:
        return Source.named(principal.name)
    except ValidationError as exc:
        raise PermissionDeniedError(
            "this source account has no authority kind and may not file; make it again as "
            "'<authority kind>:<name>' with --authority",
            {"problems": [p.as_dict() for p in exc.problems]},
        ) from exc


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
    return file_one(ctx_of(request), principal, _rows([record])[0])


def file_one(ctx: AppContext, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """File one record as ``principal`` (the API's ``POST /records``, the portal's source
    page): its position, and whether its idempotency key was seen before.

    Raises:
        PermissionDeniedError: if a source may not file the record's kind, or has no
            authority kind.
        RecordRefusedError: with every problem, if the catalogue in force refuses it.
    """
    filer = _filer(principal)
    _check_kinds(principal, [row])
    catalogue = ctx.catalogue()
    catalogue.validate(row, now=datetime.now(UTC), source=filer)  # RecordRefusedError: 422
    acks: list[BatchAck] = []
    with ctx.lock:
        summary = ingest_rows(ctx.ledger, catalogue, [(1, row)], on_batch=acks.append,
                              source=filer)  # fmt: skip
    if summary.refused or not acks or not acks[0].results:
        reasons = list(summary.refusal_reasons) or ["refused"]
        raise RecordRefusedError("record refused", _problems(reasons))
    result = acks[0].results[0]
    return {"position": result.position, "duplicate": result.duplicate}


def _problems(reasons: list[str]) -> list[Any]:
    return [Problem(*(r.split(": ", 1) if ": " in r else ("record", r))) for r in reasons]


@router.post("/records/bulk", openapi_extra=UPLOAD)
def file_records(
    request: Request,
    body: BulkIn,
    principal: Annotated[Principal, Depends(require(*_FILERS))],
) -> dict[str, Any]:
    """File many records; refused rows are listed (row number from 1, every problem), the
    others are appended in one durable batch."""
    ctx = ctx_of(request)
    rows = _rows(body.records)
    filer = _filer(principal)
    _check_kinds(principal, rows)
    catalogue = ctx.catalogue()
    checked = catalogue.validate_batch(rows, now=datetime.now(UTC), source=filer) if rows else []
    refused = [
        {"row": number, "problems": [p.as_dict() for p in result.problems]}
        for number, result in enumerate(checked, 1)
        if isinstance(result, RecordRefusedError)
    ]
    with ctx.lock:
        summary = ingest_rows(
            ctx.ledger, catalogue, enumerate(rows, 1), batch_size=MAX_BULK, source=filer
        )
    return {**summary.as_dict(), "refused_rows": refused}


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
    return file_uploaded(ctx_of(request), principal, file, format)


def file_uploaded(
    ctx: AppContext, principal: Principal, file: UploadFile, format: str | None
) -> dict[str, Any]:
    """File the records of an uploaded CSV, JSON Lines or Parquet file as ``principal`` (the
    API's ``POST /records/file``, the portal's source page): the ingest summary and the first
    1,000 refused rows with every problem.

    Raises:
        ValidationError: naming ``file`` if it cannot be read or its format is unknown.
        PermissionDeniedError: if a source may not file a kind in it.
    """
    filer = _filer(principal)
    with tempfile.TemporaryDirectory(prefix="socialcredit-upload-") as directory:
        path = _saved(file, Path(directory), format)
        if principal.role is Role.SOURCE:
            _check_kinds(principal, _rows_of(path, format))
        rejects = Path(directory) / "rejects.jsonl"
        catalogue = ctx.catalogue()
        # Checked in a reader process (not on this process's GIL), appended batch by batch
        # under the lock: other requests wait for one small batch at most, never the file.
        summary = _unreadable_is_invalid(
            lambda: ingest_file(
                ctx.ledger,
                catalogue,
                path,
                fmt=format,
                batch_size=UPLOAD_BATCH,
                rejects_path=rejects,
                source=filer,
                lock=ctx.lock,
                reader_process=True,
            )
        )
        refused = _rejects(rejects)
    return {**summary.as_dict(), "rejects": None, "refused_rows": refused}


def _saved(upload: UploadFile, directory: Path, fmt: str | None) -> Path:
    name = Path(upload.filename or "upload").name or "upload"
    path = directory / name
    _unreadable_is_invalid(lambda: detect_format(path, fmt))
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return path


def _rows_of(path: Path, fmt: str | None) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        return [dict(row) for _, row in read_rows(path, fmt) if not isinstance(row, RowError)]

    return _unreadable_is_invalid(read)


def _unreadable_is_invalid(action: Callable[[], _T]) -> _T:
    """Run ``action``; an unreadable or unknown file format is the caller's input problem."""
    try:
        return action()
    except ConfigurationError as exc:
        raise ValidationError("cannot read the file", [Problem("file", exc.message)]) from exc


def _rejects(path: Path, limit: int = 1000) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open("rb") as handle:
        lines = [orjson.loads(line) for _, line in zip(range(limit), handle, strict=False)]
    return [{"row": line["row"], "problems": line["problems"]} for line in lines]


def _record_entry(request: Request, position: int) -> Entry:
    ctx = ctx_of(request)
    with ctx.lock:
        entry = ctx.ledger.entry(position)
    if entry.type != RECORD_FILED:
        raise NotFoundError(f"entry {position} is not a record")
    return entry


@router.get("/records/{position:int}")
def read_record(
    request: Request,
    position: Position,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """One filed record by its ledger position (a subject: only their own)."""
    entry = _record_entry(request, position)
    subject = entry.data.get("subject", {})
    key = (str(subject.get("kind")), str(subject.get("id")))
    require_own_subject(principal, key)
    log_file_read(request, principal, key, purpose)
    return entry_json(entry)


@router.get("/subjects/{subject}/records")
def subject_records(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """Every record filed about SUBJECT (resident id or USCC), in ledger order."""
    key = subject_of(subject)
    require_own_subject(principal, key)
    log_file_read(request, principal, key, purpose)
    ctx = ctx_of(request)
    with ctx.fresh_index(key) as index:
        positions = [row.position for row in index.records(*key)]
        entries = [entry_json(ctx.ledger.entry(p)) for p in positions]
    return {"subject": {"kind": key[0], "id": key[1]}, "records": entries}
