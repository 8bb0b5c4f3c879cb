"""The subject's rights (``socialcredit.rights``): report and export (purpose-bound, logged),
reads of the file, disputes and appeals, statements, and the record lifecycle for sources.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...accounts.auth import Principal, Role, require, require_own_subject
from ...errors import NotFoundError
from ...rights import (
    acknowledge,
    add_evidence,
    appeal,
    attach_statement,
    correct_record,
    decide,
    decide_appeal,
    dispute_state,
    disputes_of,
    export_file,
    open_dispute,
    queue,
    reads_of,
    recertify,
    subject_report,
    withdraw_record,
)
from ...rights.reads import purposes
from .._params import Amount, Moment, Position, PositionValue, SubjectId, Text, subject_of
from ..errors import PermissionDeniedError
from . import ctx_of
from ._reads import PurposeQuery, log_file_read, log_reads, purpose_of

router = APIRouter(tags=["rights"])

_FILE_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)
_OFFICERS = (Role.ADMIN, Role.OFFICER)
_SOURCES = (Role.ADMIN, Role.SOURCE)
DisputeId = Annotated[
    str,
    Path(
        pattern=r"^D[0-9]{1,18}-[0-9]{1,9}$",
        description="D<position of the disputed entry>-<n>, as POST /disputes answered.",
    ),
]


class TextIn(BaseModel):
    """Free text: dispute grounds, evidence, a statement."""

    model_config = ConfigDict(extra="forbid")

    text: Text


class DisputeIn(BaseModel):
    """A dispute against the record or rating at ledger position ``target``."""

    model_config = ConfigDict(extra="forbid")

    target: PositionValue
    grounds: Text


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class ChangesIn(BaseModel):
    """What a correction changes: the amount (null: none) and/or the time of the conduct."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    amount: Amount | None = None
    # Absent: unchanged. Not Optional: null is not a time, and the description says so.
    occurred_at: Moment = Field(default=None, json_schema_extra=_no_default)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _changes_something(self) -> ChangesIn:
        if not self.model_fields_set:
            raise ValueError("a correction must change something")
        return self

    def as_changes(self) -> dict[str, Any]:
        """The changes as the library takes them (only the fields given)."""
        found = self.model_dump(exclude_unset=True)
        if "occurred_at" in found:
            found["occurred_at"] = found["occurred_at"].isoformat()
        return found


class DecisionIn(BaseModel):
    """An officer's decision: the outcome, the reason, and changes for ``corrected``."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "corrected", "deleted"]
    reason: Text
    changes: ChangesIn | None = None


class AppealDecisionIn(BaseModel):
    """An appeal officer's decision: the outcome, the reason, and changes for ``corrected``."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["confirmed", "corrected", "deleted"]
    reason: Text
    changes: ChangesIn | None = None


class CorrectionIn(BaseModel):
    """A source's correction (``amount`` and/or ``occurred_at``) with its reason."""

    model_config = ConfigDict(extra="forbid")

    changes: ChangesIn
    reason: Text


def _changes(changes: ChangesIn | None) -> dict[str, Any] | None:
    return None if changes is None else changes.as_changes()


def _target_subject(request: Request, position: int) -> tuple[str, str] | None:
    ctx = ctx_of(request)
    with ctx.lock:
        data = ctx.ledger.entry(position).data
    subject = data.get("subject") if isinstance(data, dict) else None
    if isinstance(subject, dict):
        return str(subject.get("kind")), str(subject.get("id"))
    return None


def _own_dispute(request: Request, principal: Principal, dispute_id: str) -> None:
    if principal.role is not Role.SUBJECT:
        return
    ctx = ctx_of(request)
    with ctx.lock:
        found = dispute_state(ctx.ledger, dispute_id)
    require_own_subject(principal, found.subject)


def _source_may_touch(request: Request, principal: Principal, position: int) -> None:
    if principal.role is not Role.SOURCE:
        return
    ctx = ctx_of(request)
    with ctx.lock:
        entry = ctx.ledger.entry(position)
    if entry.data.get("kind") not in principal.allowed_kinds:
        raise PermissionDeniedError("this source may not change records of this kind")
    if entry.data.get("source") != principal.name:
        raise PermissionDeniedError(
            f"record {position} was filed by another source; only its own source may "
            "correct, withdraw or recertify it"
        )


@router.get("/purposes")
def list_purposes(_: Annotated[Principal, Depends(require(Role.PUBLIC))]) -> list[dict[str, Any]]:
    """The whitelist of purposes for which a file may be read."""
    return [
        {"id": p.id, "description": p.description, "personal_data": p.personal_data}
        for p in purposes().values()
    ]


@router.get("/subjects/{subject}/report")
def report(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """The subject access report (records with source, legal basis, contribution, status,
    statements and inclusion proofs; disputes; reads; consequences). The read is logged."""
    key = subject_of(subject)
    require_own_subject(principal, key)
    ctx = ctx_of(request)
    with ctx.lock:
        return subject_report(
            ctx.ledger, *key, None, principal.account, purpose_of(principal, purpose)
        )


@router.get("/subjects/{subject}/export")
def export(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """The whole file as JSON: the report plus every ledger entry about the subject."""
    key = subject_of(subject)
    require_own_subject(principal, key)
    ctx = ctx_of(request)
    with ctx.lock:
        return export_file(ctx.ledger, *key, principal.account, purpose_of(principal, purpose))


@router.get("/subjects/{subject}/reads")
def reads(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
) -> list[dict[str, Any]]:
    """Every logged read of the subject's file: who, when, for which purpose."""
    key = subject_of(subject)
    require_own_subject(principal, key)
    ctx = ctx_of(request)
    with ctx.lock:
        return [read.to_json() for read in reads_of(ctx.ledger, key)]


@router.get("/subjects/{subject}/disputes")
def subject_disputes(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
    purpose: PurposeQuery = None,
) -> list[dict[str, Any]]:
    """Every dispute about the subject's records and ratings, with state and deadlines (the
    read is logged)."""
    key = subject_of(subject)
    require_own_subject(principal, key)
    log_file_read(request, principal, key, purpose, "disputes")
    ctx = ctx_of(request)
    with ctx.lock:
        return [found.to_json() for found in disputes_of(ctx.ledger, subject=key)]


@router.post("/disputes", status_code=201)
def open_(
    request: Request,
    body: DisputeIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.SUBJECT))],
) -> dict[str, str]:
    """Open a dispute against a record (a subject: only one about themselves)."""
    if principal.role is Role.SUBJECT:
        require_own_subject(principal, _target_subject(request, body.target))
    ctx = ctx_of(request)
    with ctx.lock:
        return {"dispute": open_dispute(ctx.ledger, body.target, body.grounds)}


@router.get("/disputes/queue")
def dispute_queue(
    request: Request,
    principal: Annotated[
        Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER))
    ],
    purpose: PurposeQuery = None,
) -> list[dict[str, Any]]:
    """The officers' work, most urgent first: what to do, by when, whether overdue. Each
    person on it is logged as read (``listing``, default purpose ``dispute_handling``)."""
    ctx = ctx_of(request)
    with ctx.lock:
        items = queue(ctx.ledger)
    log_reads(request, principal, (i.dispute.subject for i in items), purpose, "listing")
    return [
        {
            "action": i.action,
            "due": i.due.isoformat() if i.due else None,
            "overdue": i.overdue,
            "dispute": i.dispute.to_json(),
        }
        for i in items
    ]


@router.get("/disputes/{dispute_id}")
def dispute(
    request: Request,
    dispute_id: DisputeId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """One dispute now: state, deadlines, evidence, decision, appeal (the read is logged)."""
    ctx = ctx_of(request)
    with ctx.lock:
        found = dispute_state(ctx.ledger, dispute_id)
    require_own_subject(principal, found.subject)
    log_file_read(request, principal, found.subject, purpose, "disputes")
    result: dict[str, Any] = found.to_json()
    return result


@router.post("/disputes/{dispute_id}/acknowledge", status_code=201)
def acknowledge_(
    request: Request,
    dispute_id: DisputeId,
    principal: Annotated[Principal, Depends(require(*_OFFICERS))],
) -> dict[str, int]:
    """Acknowledge an open dispute (due within 5 business days of opening)."""
    ctx = ctx_of(request)
    with ctx.lock:
        return {"position": acknowledge(ctx.ledger, dispute_id, principal.account)}


@router.post("/disputes/{dispute_id}/evidence", status_code=201)
def evidence(
    request: Request,
    dispute_id: DisputeId,
    body: TextIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.SUBJECT))],
) -> dict[str, int]:
    """Add new evidence (before the 30-day deadline it extends the decision deadline)."""
    _own_dispute(request, principal, dispute_id)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"position": add_evidence(ctx.ledger, dispute_id, body.text, principal.account)}


@router.post("/disputes/{dispute_id}/decision", status_code=201)
def decide_(
    request: Request,
    dispute_id: DisputeId,
    body: DecisionIn,
    principal: Annotated[Principal, Depends(require(*_OFFICERS))],
) -> dict[str, int]:
    """Decide a dispute: upheld, corrected (with changes) or deleted (unverifiable)."""
    ctx = ctx_of(request)
    with ctx.lock:
        position = decide(
            ctx.ledger,
            dispute_id,
            body.outcome,
            principal.account,
            body.reason,
            _changes(body.changes),
        )
    return {"position": position}


@router.post("/disputes/{dispute_id}/appeal", status_code=201)
def appeal_(
    request: Request,
    dispute_id: DisputeId,
    body: TextIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.SUBJECT))],
) -> dict[str, str]:
    """Appeal a decided dispute (once)."""
    _own_dispute(request, principal, dispute_id)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"appeal": appeal(ctx.ledger, dispute_id, body.text)}


@router.post("/disputes/{dispute_id}/appeal/decision", status_code=201)
def decide_appeal_(
    request: Request,
    dispute_id: DisputeId,
    body: AppealDecisionIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.APPEAL_OFFICER))],
) -> dict[str, int]:
    """Decide an appeal (confirmed, corrected, deleted) — by another officer than the first."""
    ctx = ctx_of(request)
    with ctx.lock:
        position = decide_appeal(
            ctx.ledger,
            dispute_id,
            body.outcome,
            principal.account,
            body.reason,
            _changes(body.changes),
        )
    return {"position": position}


@router.post("/records/{position}/statement", status_code=201)
def statement(
    request: Request,
    position: Position,
    body: TextIn,
    principal: Annotated[Principal, Depends(require(Role.SUBJECT))],
) -> dict[str, int]:
    """Attach the subject's statement to their record; it travels with the record."""
    if principal.subject is None:
        raise NotFoundError("this account has no file")
    require_own_subject(principal, _target_subject(request, position))
    ctx = ctx_of(request)
    with ctx.lock:
        return {"position": attach_statement(ctx.ledger, principal.subject, position, body.text)}


@router.post("/records/{position}/correction", status_code=201)
def correction(
    request: Request,
    position: Position,
    body: CorrectionIn,
    principal: Annotated[Principal, Depends(require(*_SOURCES))],
) -> dict[str, int]:
    """The source corrects a record (amount and/or occurred_at)."""
    _source_may_touch(request, principal, position)
    ctx = ctx_of(request)
    with ctx.lock:
        found = correct_record(
            ctx.ledger, position, body.changes.as_changes(), principal.name, body.reason
        )
    return {"position": found}


@router.post("/records/{position}/withdrawal", status_code=201)
def withdrawal(
    request: Request,
    position: Position,
    body: TextIn,
    principal: Annotated[Principal, Depends(require(*_SOURCES))],
) -> dict[str, int]:
    """The source withdraws a record; it stops counting until recertified."""
    _source_may_touch(request, principal, position)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"position": withdraw_record(ctx.ledger, position, principal.name, body.text)}


@router.post("/records/{position}/recertification", status_code=201)
def recertification(
    request: Request,
    position: Position,
    body: TextIn,
    principal: Annotated[Principal, Depends(require(*_SOURCES))],
) -> dict[str, int]:
    """Bring a withdrawn record back on the source's certification (the subject is told)."""
    _source_may_touch(request, principal, position)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"position": recertify(ctx.ledger, position, principal.name, body.text)}
