"""A subject's notices (``socialcredit.notices``): read them (purpose-bound, logged), and the
subject's own e-mail address for them (their consent, kept outside the ledger)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from socialcredit.accounts import Principal, Role, require

from .._params import SubjectId, subject_of
from . import system_of
from ._reads import PurposeQuery

__all__ = ["router"]

router = APIRouter(tags=["notices"])

_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)


class ContactIn(BaseModel):
    """The subject's address for notices and the language of the e-mails."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(max_length=254, description="A plain e-mail address (local@domain).")
    language: Literal["zh-CN", "en"] = "zh-CN"


@router.get("/subjects/{subject}/notices")
def subject_notices(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(*_READERS))],
    purpose: PurposeQuery = None,
) -> list[dict[str, Any]]:
    """Every notice to the subject (language-neutral content: codes, positions, dates,
    recourse), oldest first, with its e-mail delivery status. The read is logged."""
    found = system_of(request).notices(principal, subject_of(subject), purpose=purpose)
    return [state.to_json() for state in found]


@router.put("/subjects/{subject}/notices/contact")
def register_contact(
    request: Request,
    subject: SubjectId,
    body: ContactIn,
    principal: Annotated[Principal, Depends(require(Role.SUBJECT))],
) -> dict[str, Any]:
    """Register (or replace) the subject's own address for notices: their consent."""
    found = system_of(request).register_contact(
        principal, subject_of(subject), body.address, body.language
    )
    return {"address": found.address, "language": found.language}


@router.delete("/subjects/{subject}/notices/contact")
def erase_contact(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(Role.SUBJECT))],
) -> dict[str, bool]:
    """Erase the subject's own address (consent withdrawn); notices stay in the portal."""
    return {"erased": system_of(request).erase_contact(principal, subject_of(subject))}
