"""Credit repair (``socialcredit.rights.repair``): the conditions of a penalty's repair, the
application, the officer's decision, the appeal and the queue. Thin: parse, call, render."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict

from ...accounts.auth import Principal, Role, require, require_own_subject
from ...rights import repair as r
from .._params import Position, PositionValue, Text
from . import ctx_of
from ._reads import PurposeQuery, log_file_read, log_reads

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


def _subject_of_record(request: Request, position: int) -> tuple[str, str] | None:
    ctx = ctx_of(request)
    with ctx.lock:
        subject = ctx.ledger.entry(position).data.get("subject")
    if isinstance(subject, dict):
        return str(subject.get("kind")), str(subject.get("id"))
    return None


def _own_repair(request: Request, principal: Principal, repair_id: str) -> r.RepairState:
    ctx = ctx_of(request)
    with ctx.lock:
        found = r.repair_state(ctx.ledger, repair_id)
    require_own_subject(principal, found.subject)
    return found


@router.get("/records/{position}/repair")
def repair_conditions(
    request: Request,
    position: Position,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """The conditions of repair of the penalty at ``position``, each met or not (a logged
    read of its subject's file)."""
    subject = _subject_of_record(request, position)
    require_own_subject(principal, subject)
    if subject is not None:
        log_file_read(request, principal, subject, purpose, "file")
    ctx = ctx_of(request)
    catalogue = ctx.catalogue()
    with ctx.lock:
        found = r.conditions(ctx.ledger, position, catalogue)
    return {"record": position, "conditions": [c.to_json() for c in found]}


@router.post("/repairs", status_code=201)
def apply_(
    request: Request,
    body: RepairIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.SUBJECT))],
) -> dict[str, Any]:
    """Apply for the repair of a penalty (a subject: only their own)."""
    require_own_subject(principal, _subject_of_record(request, body.record))
    ctx = ctx_of(request)
    catalogue = ctx.catalogue()
    with ctx.lock:
        repair_id = r.apply_for_repair(ctx.ledger, body.record, body.grounds, catalogue)
        return r.repair_state(ctx.ledger, repair_id).to_json()


@router.get("/repairs/queue")
def queue_(
    request: Request,
    principal: Annotated[
        Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER))
    ],
    purpose: PurposeQuery = None,
) -> list[dict[str, Any]]:
    """The officers' repair work, overdue first; each person on it is logged as read."""
    ctx = ctx_of(request)
    with ctx.lock:
        items = r.repair_queue(ctx.ledger)
    log_reads(request, principal, (i.repair.subject for i in items), purpose, "listing")
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
    found = _own_repair(request, principal, repair_id)
    log_file_read(request, principal, found.subject, purpose, "file")
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
    ctx = ctx_of(request)
    catalogue = ctx.catalogue()
    with ctx.lock:
        position = r.decide_repair(
            ctx.ledger, repair_id, body.outcome, principal.account, body.reason, catalogue
        )
    return {"position": position}


@router.post("/repairs/{repair_id}/appeal", status_code=201)
def appeal_(
    request: Request,
    repair_id: RepairId,
    body: GroundsIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.SUBJECT))],
) -> dict[str, str]:
    """Appeal a refused application (once)."""
    _own_repair(request, principal, repair_id)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"appeal": r.appeal_repair(ctx.ledger, repair_id, body.text)}


@router.post("/repairs/{repair_id}/appeal/decision", status_code=201)
def decide_appeal_(
    request: Request,
    repair_id: RepairId,
    body: RepairAppealDecisionIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.APPEAL_OFFICER))],
) -> dict[str, int]:
    """Decide the appeal of a refusal (granted or confirmed), by another officer."""
    ctx = ctx_of(request)
    catalogue = ctx.catalogue()
    with ctx.lock:
        position = r.decide_appeal(
            ctx.ledger, repair_id, body.outcome, principal.account, body.reason, catalogue
        )
    return {"position": position}
