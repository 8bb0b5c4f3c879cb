"""The officers' pages: the dispute queue with its deadlines, decisions, and the appeal queue.

Officers decide under their own login name (the ledger records who decided); the rights
library refuses an appeal decided by the officer who decided the dispute.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import SocialCreditError
from ..rights import DISPUTE_APPEAL_OUTCOMES, DISPUTE_OUTCOMES, QueueItem
from . import _access
from ._access import Principal, Role
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_OFFICER = _access.signed_in(Role.OFFICER)
_APPEALS = _access.signed_in(Role.OFFICER, Role.APPEAL_OFFICER)


def _queue(request: Request, who: Principal, appeals: bool) -> list[QueueItem]:
    """The queue's disputes (or appeals), shown without personal data: not a logged read."""
    items = _access.system_of(request).dispute_queue(who, logged=False)
    return [i for i in items if (i.action == "decide-appeal") == appeals]


@router.get("/officer/disputes", response_class=HTMLResponse)
def disputes(request: Request, who: Principal = _OFFICER) -> Response:
    """Open disputes, overdue first, then by the next deadline (no record content here)."""
    items = _queue(request, who, appeals=False)
    return render(request, who, "disputes.html", items=items)


@router.get("/officer/appeals", response_class=HTMLResponse)
def appeals(request: Request, who: Principal = _APPEALS) -> Response:
    """Appealed disputes waiting for a second officer."""
    items = _queue(request, who, appeals=True)
    return render(request, who, "appeals.html", items=items)


def _case(
    request: Request,
    who: Principal,
    dispute_id: str,
    appeal: bool,
    status: int = 200,
    **values: Any,
) -> Response:
    """One dispute with the disputed record: reading it is a logged read of the subject's file
    (purpose ``dispute_handling``)."""
    found, record = _access.system_of(request).dispute_case(who, dispute_id)
    return render(
        request,
        who,
        "dispute.html",
        status,
        dispute=found,
        record=record,
        appeal=appeal,
        outcomes=DISPUTE_APPEAL_OUTCOMES if appeal else DISPUTE_OUTCOMES,
        **values,
    )


@router.get("/officer/disputes/{dispute_id}", response_class=HTMLResponse)
def dispute_page(request: Request, dispute_id: str, who: Principal = _OFFICER) -> Response:
    """A dispute to acknowledge and decide, with the record it is about."""
    return _case(request, who, dispute_id, appeal=False)


@router.get("/officer/appeals/{dispute_id}", response_class=HTMLResponse)
def appeal_page(request: Request, dispute_id: str, who: Principal = _APPEALS) -> Response:
    """An appealed dispute to decide, with the record and the first decision."""
    return _case(request, who, dispute_id, appeal=True)


@router.post("/officer/disputes/{dispute_id}/acknowledge", response_class=HTMLResponse)
def acknowledge_dispute(request: Request, dispute_id: str, who: Principal = _OFFICER) -> Response:
    """Acknowledge receipt of a dispute (due within 5 business days of its opening)."""
    try:
        _access.system_of(request).acknowledge_dispute(who, dispute_id)
    except SocialCreditError as error:
        return _case(request, who, dispute_id, False, _status(error), error=error)
    return RedirectResponse(f"/officer/disputes/{dispute_id}", status_code=303)


def _changes(amount: str, occurred_at: str) -> dict[str, Any]:
    """The corrections an officer typed (empty fields change nothing)."""
    changes: dict[str, Any] = {}
    if amount.strip():
        changes["amount"] = int(amount) if amount.strip().isdigit() else amount.strip()
    if occurred_at.strip():
        changes["occurred_at"] = occurred_at.strip()
    return changes


def _status(error: SocialCreditError) -> int:
    return 404 if error.code == "not_found" else 422


@router.post("/officer/disputes/{dispute_id}/decide", response_class=HTMLResponse)
def decide_dispute(
    request: Request,
    dispute_id: str,
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
    who: Principal = _OFFICER,
) -> Response:
    """Decide a dispute: upheld, corrected (with the corrected values) or deleted."""
    changes = _changes(amount, occurred_at) if outcome == "corrected" else None
    try:
        _access.system_of(request).decide_dispute(who, dispute_id, outcome, reason, changes)
    except SocialCreditError as error:
        typed = {"outcome": outcome, "reason": reason, "amount": amount, "occurred_at": occurred_at}
        return _case(request, who, dispute_id, False, _status(error), error=error, decided=True,
                     typed=typed)  # fmt: skip
    return RedirectResponse(f"/officer/disputes?done={dispute_id}", status_code=303)


@router.post("/officer/appeals/{dispute_id}/decide", response_class=HTMLResponse)
def decide_an_appeal(
    request: Request,
    dispute_id: str,
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
    who: Principal = _APPEALS,
) -> Response:
    """Decide an appeal (confirmed, corrected or deleted) as a different officer."""
    changes = _changes(amount, occurred_at) if outcome == "corrected" else None
    try:
        _access.system_of(request).decide_dispute_appeal(who, dispute_id, outcome, reason, changes)
    except SocialCreditError as error:
        typed = {"outcome": outcome, "reason": reason, "amount": amount, "occurred_at": occurred_at}
        return _case(request, who, dispute_id, True, _status(error), error=error, decided=True,
                     typed=typed)  # fmt: skip
    return RedirectResponse(f"/officer/appeals?done={dispute_id}", status_code=303)
