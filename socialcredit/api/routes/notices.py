"""A subject's notices (``socialcredit.notices``): read them (purpose-bound, logged), and the
subject's own e-mail address for them (their consent, kept outside the ledger)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from ...accounts.auth import Principal, Role, require, require_own_subject
from ...notices import ContactStore, contacts_path, read_notices
from .._params import SubjectId, subject_of
from . import ctx_of
from ._reads import PurposeQuery, purpose_of

__all__ = ["contacts_of", "router"]

router = APIRouter(tags=["notices"])

_READERS = (Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)


def contacts_of(request: Request) -> ContactStore:
    """The app's contacts store (opened on first use beside the accounts store)."""
    state = request.app.state
    found: ContactStore | None = getattr(state, "notice_contacts", None)
    if found is None:
        found = state.notice_contacts = ContactStore(contacts_path(ctx_of(request).settings))
    return found


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
    key = subject_of(subject)
    require_own_subject(principal, key)
    ctx = ctx_of(request)
    with ctx.lock:
        found = read_notices(ctx.ledger, key, principal.account, purpose_of(principal, purpose))
    return [state.to_json() for state in found]


@router.put("/subjects/{subject}/notices/contact")
def register_contact(
    request: Request,
    subject: SubjectId,
    body: ContactIn,
    principal: Annotated[Principal, Depends(require(Role.SUBJECT))],
) -> dict[str, Any]:
    """Register (or replace) the subject's own address for notices: their consent."""
    key = subject_of(subject)
    require_own_subject(principal, key)
    found = contacts_of(request).register(key, body.address, body.language)
    return {"address": found.address, "language": found.language}


@router.delete("/subjects/{subject}/notices/contact")
def erase_contact(
    request: Request,
    subject: SubjectId,
    principal: Annotated[Principal, Depends(require(Role.SUBJECT))],
) -> dict[str, bool]:
    """Erase the subject's own address (consent withdrawn); notices stay in the portal."""
    key = subject_of(subject)
    require_own_subject(principal, key)
    return {"erased": contacts_of(request).erase(key)}
