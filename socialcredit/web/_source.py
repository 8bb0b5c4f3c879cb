"""The source's page: file one record, or upload a file, and see what was filed and every
refused row with its problems, next to the form that sent it.

A source files as itself, exactly as through the API (``POST /records``, ``POST
/records/file``): the same use cases of the system, the same checks against the catalogue in
force, the same refusals. The kinds offered are the ones the account may file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ..errors import RecordRefusedError, ValidationError
from . import _access
from ._access import Principal, Role
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_SOURCE = _access.signed_in(Role.SOURCE)
#: Refused rows shown on the page (the rest are counted).
SHOWN_REFUSALS = 200


@router.get("/source", response_class=HTMLResponse)
def source_page(request: Request, who: Principal = _SOURCE) -> Response:
    """The forms to file one record and to upload a file."""
    return _page(request, who)


def _page(request: Request, who: Principal, status: int = 200, **values: Any) -> Response:
    kinds = _access.system_of(request).filing_kinds(who)
    return render(request, who, "source.html", status, kinds=kinds, **values)


@router.post("/source/records", response_class=HTMLResponse)
def file_record(
    request: Request,
    subject_id: Annotated[str, Form(max_length=64)],
    subject_kind: Annotated[Literal["person", "organisation"], Form()],
    kind: Annotated[str, Form(max_length=128)],
    occurred_at: Annotated[str, Form(max_length=64)],
    amount: Annotated[str, Form(max_length=64)] = "",
    evidence: Annotated[str, Form(max_length=1024)] = "",
    who: Principal = _SOURCE,
) -> Response:
    """File one record; what was typed stays in the form, and a refusal names each field."""
    row = {"subject_id": subject_id.strip(), "subject_kind": subject_kind, "kind": kind,
           "occurred_at": occurred_at.strip()}  # fmt: skip
    row |= {k: v.strip() for k, v in (("amount", amount), ("evidence", evidence)) if v.strip()}
    try:
        filed = _access.system_of(request).file_record(who, row)
    except (RecordRefusedError, ValidationError) as refused:
        return _page(request, who, 422, typed=row, problems=refused.problems)
    return _page(request, who, filed={"position": filed.position, "duplicate": filed.duplicate})


@router.post("/source/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    format: Annotated[Literal["", "csv", "jsonl", "parquet"], Form()] = "",
    who: Principal = _SOURCE,
) -> Response:
    """File the records of a file; the result lists every refused row (the first 200)."""
    try:
        filed = _access.system_of(request).file_upload(
            who, file.file, file.filename, format or None
        )
    except ValidationError as refused:
        return _page(request, who, 422, upload_problems=refused.problems)
    result = filed.to_json()
    shown = result["refused_rows"][:SHOWN_REFUSALS]
    return _page(request, who, uploaded=result, refused_rows=shown)
