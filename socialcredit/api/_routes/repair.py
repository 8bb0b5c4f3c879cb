"""Credit repair (``socialcredit.rights._repair``): the conditions of a penalty's repair, the
application, the officer's decision, the appeal and the queue. Thin: parse, call, render."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict

from socialcredit.accounts import Principal, Role, require

from .._params import Position, PositionValue, Text
from . import system_of
from ._reads import PurposeQuery

router = APIRouter(tags=["repair"])

_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)
RepairId = Annotated[
    str,
    Path(
        pattern=r"^R[0-9]{1,18}-[0-9]{1,9}$",
        description="R<position of the penalty>-<n>, as POST /repairs answered.",
    ),
]


class RepairIn(BaseModel):
    """An application to end the publication of the penalty at ``record`` early."""

    model_config = ConfigDict(extra="forbid")

    record: PositionValue
    grounds: Text


class RepairDecisionIn(BaseModel):
    """An officer's decision on an application."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["granted", "refused"]
    reason: Text


class RepairAppealDecisionIn(BaseModel):
    """An appeal officer's decision on the appeal of a refusal."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["granted", "confirmed"]
    reason: Text


class GroundsIn(BaseModel):
    """The grounds of an appeal."""

    model_config = ConfigDict(extra="forbid")

    text: Text


@router.get("/records/{position}/repair")
def repair_conditions(
    request: Request,
    position: Position,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """The conditions of repair of the penalty at ``position``, each met or not (a logged
    read of its subject's file)."""
    found = system_of(request).repair_conditions(principal, position, purpose=purpose)
    return {"record": position, "conditions": [c.to_json() for c in found]}


@router.post("/repairs", status_code=201)
def apply_(
    request: Request,
    body: RepairIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.SUBJECT))],
) -> dict[str, Any]:
    """Apply for the repair of a penalty (a subject: only their own)."""
    found = system_of(request).apply_for_repair(principal, body.record, body.grounds)
    result: dict[str, Any] = found.to_json()
    return result


@router.get("/repairs/queue")
def queue_(
    request: Request,
    principal: Annotated[
        Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER))
    ],
    purpose: PurposeQuery = None,
) -> list[dict[str, Any]]:
    """The officers' repair work, overdue first; each person on it is logged as read."""
    items = system_of(request).repair_queue(principal, purpose=purpose)
    return [
        {
            "action": i.action,
            "due": i.due.isoformat() if i.due else None,
            "overdue": i.overdue,
            "repair": i.repair.to_json(),
        }
        for i in items
    ]


@router.get("/repairs/{repair_id}")
def repair_(
    request: Request,
    repair_id: RepairId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """One application now: conditions, deadline, decision, appeal (the read is logged)."""
    found = system_of(request).repair(principal, repair_id, purpose=purpose)
    result: dict[str, Any] = found.to_json()
    return result


@router.post("/repairs/{repair_id}/decision", status_code=201)
def decide_(
    request: Request,
    repair_id: RepairId,
    body: RepairDecisionIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER))],
) -> dict[str, int]:
    """Decide an application: granted (every condition met) or refused."""
    position = system_of(request).decide_repair(principal, repair_id, body.outcome, body.reason)
    return {"position": position}


@router.post("/repairs/{repair_id}/appeal", status_code=201)
def appeal_(
    request: Request,
    repair_id: RepairId,
    body: GroundsIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.SUBJECT))],
) -> dict[str, str]:
    """Appeal a refused application (once)."""
    return {"appeal": system_of(request).appeal_repair(principal, repair_id, body.text)}


@router.post("/repairs/{repair_id}/appeal/decision", status_code=201)
def decide_appeal_(
    request: Request,
    repair_id: RepairId,
    body: RepairAppealDecisionIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.APPEAL_OFFICER))],
) -> dict[str, int]:
    """Decide the appeal of a refusal (granted or confirmed), by another officer."""
    position = system_of(request).decide_repair_appeal(
        principal, repair_id, body.outcome, body.reason
    )
    return {"position": position}
