"""Agencies, joint memoranda and list exchange (``socialcredit.agencies``). Thin: parse, call,
render. The memoranda in force and each memorandum are public; registering an agency and
recording a memorandum are the operator's; a signed list export is for points of service.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from socialcredit.accounts import Principal, Role, require

from .._params import Moment
from . import system_of

router = APIRouter(tags=["memoranda"])

_EXPORTERS = (Role.ADMIN, Role.OFFICER, Role.SERVICE_POINT)
_At = Annotated[Moment | None, Query(description="Default: now.")]
MemoId = Annotated[str, Path(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=128)]


class AgencyIn(BaseModel):
    """An agency to register: its source name, title and Ed25519 public key (base64)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100, description="<authority kind>:<name>")
    title: str = Field(max_length=200)
    public_key: str = Field(max_length=64)


class MemorandumIn(BaseModel):
    """A memorandum document (docs/memoranda.md) with every party's signature."""

    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any]
    signatures: list[dict[str, Any]] = Field(max_length=200)


class KeyRotationIn(BaseModel):
    """An agency's new Ed25519 public key, signed by its key in force (docs/memoranda.md)."""

    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(max_length=64)
    signature: str = Field(max_length=128, description="base64, by the key in force")


class EndingIn(BaseModel):
    """A joining agency's signed ending of a memorandum, with its reason (docs/memoranda.md)."""

    model_config = ConfigDict(extra="forbid")

    agency: str = Field(max_length=100)
    reason: str = Field(max_length=1000)
    public_key: str = Field(max_length=64)
    signature: str = Field(max_length=128, description="base64, by the agency's key in force")


AgencyName = Annotated[str, Path(max_length=100)]


@router.post("/agencies", status_code=201)
def post_agency(
    request: Request, body: AgencyIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Register an agency with its own key (refused once registered; nothing half-written)."""
    found = system_of(request).register_agency(body.name, body.title, body.public_key)
    return found.to_json()


@router.post("/agencies/{name}/keys", status_code=201)
def post_agency_key(
    request: Request,
    name: AgencyName,
    body: KeyRotationIn,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> dict[str, Any]:
    """Rotate an agency's key; the rotation is signed by its key in force (422 otherwise)."""
    found = system_of(request).rotate_agency_key(name, body.public_key, body.signature)
    return found.to_json()


@router.post("/memoranda/{memo_id}/end", status_code=201)
def post_memorandum_end(
    request: Request,
    memo_id: MemoId,
    body: EndingIn,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> dict[str, Any]:
    """End a memorandum early, signed by a joining agency with a reason (404 if none)."""
    ended = system_of(request).end_memorandum(
        memo_id, body.reason, body.agency, body.public_key, body.signature
    )
    return ended.to_json()


@router.post("/memoranda", status_code=201)
def post_memorandum(
    request: Request, body: MemorandumIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Record a memorandum signed by every agency it names; every problem is listed (422)."""
    system = system_of(request)
    memo, signed = system.parse_memorandum(body.document, body.signatures)
    return system.record_memorandum(memo, signed).to_json()


@router.get("/memoranda")
def get_memoranda(
    request: Request,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
    at: _At = None,
    all: Annotated[bool, Query(description="Every memorandum, in force or not.")] = False,
) -> list[dict[str, Any]]:
    """The memoranda in force at AT (default now), or all: parties, links, whether the
    policy in force carries each link."""
    return [shown.to_json() for shown in system_of(request).memoranda(at, every=all)]


@router.get("/memoranda/{memo_id}")
def get_memorandum(
    request: Request, memo_id: MemoId, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> dict[str, Any]:
    """One memorandum (404 if none)."""
    return system_of(request).memorandum(memo_id).to_json()


@router.get("/lists/{list_id}/export")
def get_list_export(
    request: Request,
    list_id: str,
    _: Annotated[Principal, Depends(require(*_EXPORTERS))],
    format: Annotated[Literal["csv", "json"], Query()] = "json",
    at: _At = None,
) -> Response:
    """The public view of a list, signed with the ledger's key and carrying a checkpoint, in
    the exchange format (docs/memoranda.md)."""
    export = system_of(request).export_list(list_id, at)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    return Response(export.encode(format), media_type=media)
