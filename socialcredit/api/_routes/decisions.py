"""Consequences: decisions at points of service (audited), public lists, a subject's
memberships, hardship, restoration and legal representatives (``socialcredit.consequences``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from socialcredit.accounts import Principal, Role, require

from .._json import OrjsonResponse
from .._params import Moment, ResidentId, SubjectId, Text, Uscc, subject_of
from . import system_of
from ._reads import PurposeField, PurposeQuery

router = APIRouter(tags=["consequences"])

_DECIDERS = (Role.ADMIN, Role.OFFICER, Role.SERVICE_POINT)
_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)
_OFFICERS = (Role.ADMIN, Role.OFFICER)
_At = Annotated[Moment | None, Query(description="Default: now.")]


class DecisionIn(BaseModel):
    """A point of service asks: may SUBJECT have SERVICE (at AT, default now)?"""

    model_config = ConfigDict(extra="forbid")

    subject: SubjectId
    service: str = Field(max_length=128, description="A service of the policy in force.")
    at: Moment | None = Field(default=None, description="Default: now.")
    purpose: PurposeField = None


class HardshipIn(BaseModel):
    """Why the subject cannot (rather than will not) pay, or why the hardship ends."""

    model_config = ConfigDict(extra="forbid")

    reason: Text
    evidence: str | None = Field(default=None, max_length=2000)


class RestorationIn(BaseModel):
    """An application for early restoration from a list."""

    model_config = ConfigDict(extra="forbid")

    list: str = Field(max_length=128)
    reason: Text


class RepresentativeIn(BaseModel):
    """Who legally represents an organisation from ``since`` (null: nobody)."""

    model_config = ConfigDict(extra="forbid")

    representative: ResidentId | None = None
    since: Moment


@router.post("/decisions", response_model=None, responses={200: {"description": "Decision"}})
async def decide(
    request: Request,
    body: DecisionIn,
    principal: Annotated[Principal, Depends(require(*_DECIDERS))],
) -> Response:
    """Allow, deny or reward a service, with reasons and recourse; every decision is written
    to the ledger (``DecisionMade``, attributed to the calling account and its purpose, default
    the service decision) by the group-commit audit writer (503 if it is full)."""
    decision = system_of(request).decide(
        principal, subject_of(body.subject), body.service, at=body.at, purpose=body.purpose
    )
    # A response rather than a dict: skips FastAPI's response-model pass on the hot path.
    return OrjsonResponse(decision.to_json())


@router.get("/lists")
def lists(
    request: Request, _: Annotated[Principal, Depends(require(Role.PUBLIC))], at: _At = None
) -> list[dict[str, Any]]:
    """The lists of the policy in force (red and black), with their rules."""
    return [{"id": d.id, **d.as_dict()} for d in system_of(request).lists(at)]


@router.get("/lists/{list_id}")
def list_members(
    request: Request,
    list_id: str,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
    at: _At = None,
) -> dict[str, Any]:
    """Everyone on a list (in effect, frozen or noticed), with masked identifiers only."""
    when = at or datetime.now(UTC)
    rows = system_of(request).list_members(list_id, when)
    return {"list": list_id, "at": when.isoformat(), "members": [r.to_json() for r in rows]}


@router.get("/subjects/{subject}/consequences")
def consequences(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    at: _At = None,
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """SUBJECT's list memberships (status, from, until, grounds) and every decision about them
    (the read is logged)."""
    found = system_of(request).consequences(principal, subject_of(subject), at=at, purpose=purpose)
    result: dict[str, Any] = found.to_json()
    return result


@router.post("/subjects/{subject}/hardship", status_code=201)
def hardship(
    request: Request,
    subject: SubjectId,
    body: HardshipIn,
    _: Annotated[Principal, Depends(require(*_OFFICERS))],
) -> dict[str, int]:
    """Record that SUBJECT cannot pay: restrictions that hardship freezes are frozen."""
    found = system_of(request).record_hardship(subject_of(subject), body.reason, body.evidence)
    return {"position": found}


@router.post("/subjects/{subject}/hardship/end", status_code=201)
def hardship_end(
    request: Request,
    subject: SubjectId,
    body: HardshipIn,
    _: Annotated[Principal, Depends(require(*_OFFICERS))],
) -> dict[str, int]:
    """End SUBJECT's hardship period (422 if none is open)."""
    return {"position": system_of(request).end_hardship(subject_of(subject), body.reason)}


@router.post("/subjects/{subject}/restoration", status_code=201)
def restoration(
    request: Request,
    subject: SubjectId,
    body: RestorationIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.SUBJECT))],
) -> dict[str, int]:
    """Apply for early restoration from a list (granted by rule where the list allows it)."""
    found = system_of(request).request_restoration(
        principal, subject_of(subject), body.list, body.reason
    )
    return {"position": found}


@router.post("/organisations/{uscc}/representative", status_code=201)
def representative(
    request: Request,
    uscc: Uscc,
    body: RepresentativeIn,
    _: Annotated[Principal, Depends(require(*_OFFICERS))],
) -> dict[str, int]:
    """Record an organisation's legal representative (only role-bound measures reach them)."""
    person = subject_of(body.representative)[1] if body.representative else None
    found = system_of(request).record_representative(uscc, person, body.since)
    return {"position": found}
