"""The subject's rights (``socialcredit.rights``): report and export (purpose-bound, logged),
reads of the file, disputes and appeals, statements, and the record lifecycle for sources.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from socialcredit.accounts import Principal, Role, require

from .._params import Amount, Moment, Position, PositionValue, SubjectId, Text, subject_of
from . import system_of
from ._reads import PurposeQuery

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


class DisputeDecisionIn(BaseModel):
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


@router.get("/purposes")
def list_purposes(
    request: Request, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> list[dict[str, Any]]:
    """The whitelist of purposes for which a file may be read."""
    return [
        {"id": p.id, "description": p.description, "personal_data": p.personal_data}
        for p in system_of(request).purposes()
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
    return system_of(request).report(principal, subject_of(subject), purpose=purpose)


@router.get("/subjects/{subject}/export")
def export(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """The whole file as JSON: the report plus every ledger entry about the subject."""
    return system_of(request).export_file(principal, subject_of(subject), purpose=purpose)


@router.get("/subjects/{subject}/reads")
def reads(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
) -> list[dict[str, Any]]:
    """Every logged read of the subject's file: who, when, for which purpose."""
    return [read.to_json() for read in system_of(request).reads(principal, subject_of(subject))]


@router.get("/subjects/{subject}/disputes")
def subject_disputes(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_FILE_READERS))],
    purpose: PurposeQuery = None,
) -> list[dict[str, Any]]:
    """Every dispute about the subject's records and ratings, with state and deadlines (the
    read is logged)."""
    found = system_of(request).disputes(principal, subject_of(subject), purpose=purpose)
    return [dispute.to_json() for dispute in found]


@router.post("/disputes", status_code=201)
def open_(
    request: Request,
    body: DisputeIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.SUBJECT))],
) -> dict[str, str]:
    """Open a dispute against a record (a subject: only one about themselves)."""
    return {"dispute": system_of(request).open_dispute(principal, body.target, body.grounds)}


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
    items = system_of(request).dispute_queue(principal, purpose=purpose)
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
    result: dict[str, Any] = (
        system_of(request).dispute(principal, dispute_id, purpose=purpose).to_json()
    )
    return result


@router.post("/disputes/{dispute_id}/acknowledge", status_code=201)
def acknowledge_(
    request: Request,
    dispute_id: DisputeId,
    principal: Annotated[Principal, Depends(require(*_OFFICERS))],
) -> dict[str, int]:
    """Acknowledge an open dispute (due within 5 business days of opening)."""
    return {"position": system_of(request).acknowledge_dispute(principal, dispute_id)}


@router.post("/disputes/{dispute_id}/evidence", status_code=201)
def evidence(
    request: Request,
    dispute_id: DisputeId,
    body: TextIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.OFFICER, Role.SUBJECT))],
) -> dict[str, int]:
    """Add new evidence (before the 30-day deadline it extends the decision deadline)."""
    return {"position": system_of(request).add_evidence(principal, dispute_id, body.text)}


@router.post("/disputes/{dispute_id}/decision", status_code=201)
def decide_(
    request: Request,
    dispute_id: DisputeId,
    body: DisputeDecisionIn,
    principal: Annotated[Principal, Depends(require(*_OFFICERS))],
) -> dict[str, int]:
    """Decide a dispute: upheld, corrected (with changes) or deleted (unverifiable)."""
    position = system_of(request).decide_dispute(
        principal, dispute_id, body.outcome, body.reason, _changes(body.changes)
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
    return {"appeal": system_of(request).appeal_dispute(principal, dispute_id, body.text)}


@router.post("/disputes/{dispute_id}/appeal/decision", status_code=201)
def decide_appeal_(
    request: Request,
    dispute_id: DisputeId,
    body: AppealDecisionIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.APPEAL_OFFICER))],
) -> dict[str, int]:
    """Decide an appeal (confirmed, corrected, deleted) — by another officer than the first."""
    position = system_of(request).decide_dispute_appeal(
        principal, dispute_id, body.outcome, body.reason, _changes(body.changes)
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
    found = system_of(request).attach_statement(principal, principal.subject, position, body.text)
    return {"position": found}


@router.post("/records/{position}/correction", status_code=201)
def correction(
    request: Request,
    position: Position,
    body: CorrectionIn,
    principal: Annotated[Principal, Depends(require(*_SOURCES))],
) -> dict[str, int]:
    """The source corrects a record (amount and/or occurred_at)."""
    found = system_of(request).correct_record(
        principal, position, body.changes.as_changes(), body.reason
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
    return {"position": system_of(request).withdraw_record(principal, position, body.text)}


@router.post("/records/{position}/recertification", status_code=201)
def recertification(
    request: Request,
    position: Position,
    body: TextIn,
    principal: Annotated[Principal, Depends(require(*_SOURCES))],
) -> dict[str, int]:
    """Bring a withdrawn record back on the source's certification (the subject is told)."""
    return {"position": system_of(request).recertify_record(principal, position, body.text)}
