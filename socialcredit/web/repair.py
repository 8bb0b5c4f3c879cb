"""Credit repair in the portal: a subject applies for the repair of one of their penalties (and
appeals a refusal); officers work the repair queue and decide; appeal officers decide appeals.

Thin over :mod:`socialcredit.rights.repair`: every page reads the ledger through it, every
form calls one of its writes and shows its refusal (each unmet condition named) next to the
form, with nothing written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from ..errors import NotFoundError, SocialCreditError
from ..ledger import Ledger
from ..rights import log_read
from ..rights import repair as r
from . import _access, _i18n
from ._access import Principal, Role
from ._i18n import N_
from ._render import render
from ._routing import page_router

__all__ = ["WORDS", "router", "said"]

router = page_router()
_SUBJECT = _access.signed_in(Role.SUBJECT)
_APPEALS = _access.signed_in(Role.OFFICER, Role.APPEAL_OFFICER)
#: The purposes of the reads these pages log (from the rights whitelist).
SUBJECT_ACCESS = "subject_access"
DISPUTE_HANDLING = "dispute_handling"

#: Words for the repair codes the pages show: states, outcomes, conditions.
WORDS = {
    "applied": N_("applied, awaiting a decision"),
    "overdue": N_("overdue for decision"),
    "granted": N_("granted"),
    "refused": N_("refused"),
    "confirmed": N_("refusal confirmed"),
    "appealed": N_("appealed"),
    "appeal-granted": N_("granted on appeal"),
    "appeal-confirmed": N_("refusal confirmed on appeal"),
    "decide": N_("decide"),
    "decide-appeal": N_("decide the appeal"),
    "performed": N_("the penalty is performed"),
    "publicity_period": N_("the minimum publicity period has passed"),
    "commitment": N_("a credit commitment was made and kept"),
    "training": N_("credit-repair training is completed"),
}


def said(code: str) -> Markup:
    """The words for a repair code in the current language (an unknown code as written)."""
    if code in WORDS:
        return Markup(escape(_i18n.gettext(WORDS[code])))
    return Markup('<span translate="no">{}</span>').format(code)


def _catalogue(request: Request) -> Any:
    return _access.context(request).catalogue()


# -- the subject ----------------------------------------------------------------------------------


def _own_record(ledger: Ledger, subject: tuple[str, str], position: int) -> None:
    """Raises NotFoundError unless ``position`` is a record about ``subject``."""
    try:
        data = ledger.entry(position).data
    except NotFoundError:
        data = {}
    found = data.get("subject") if isinstance(data, dict) else None
    if not isinstance(found, dict) or (found.get("kind"), found.get("id")) != subject:
        raise NotFoundError(f"entry {position} is not a record in your file")


def _subject_page(
    request: Request, who: Principal, position: int, status: int = 200, **values: Any
) -> Response:
    assert who.subject is not None  # a subject account always has its file
    catalogue = _catalogue(request)
    with _access.system(request) as (ledger, _):
        _own_record(ledger, who.subject, position)
        log_read(ledger, who.subject, who.account, SUBJECT_ACCESS, "file")
        try:
            conditions: tuple[r.Condition, ...] = r.conditions(ledger, position, catalogue)
            refusal = None
        except SocialCreditError as error:
            conditions, refusal = (), error
        repairs = [x for x in r.repairs_of(ledger, subject=who.subject) if x.record == position]
    return render(request, who, "repair.html", status, position=position, conditions=conditions,
                  refusal=refusal, repairs=repairs, said=said, **values)  # fmt: skip


@router.get("/me/repair/{position}", response_class=HTMLResponse)
def my_repair(request: Request, position: int, who: Principal = _SUBJECT) -> Response:
    """The conditions of repair of one of my penalties, my applications on it, and the forms
    to apply and to appeal a refusal (a logged read of my file)."""
    return _subject_page(request, who, position)


def _subject_write(request: Request, who: Principal, position: int, write: Any) -> Response:
    assert who.subject is not None
    try:
        with _access.system(request) as (ledger, _):
            _own_record(ledger, who.subject, position)
            write(ledger)
    except SocialCreditError as error:
        status = 404 if isinstance(error, NotFoundError) else 422
        return _subject_page(request, who, position, status, error=error)
    return RedirectResponse(f"/me/repair/{position}?done=1#result", status_code=303)


@router.post("/me/repair/{position}", response_class=HTMLResponse)
def apply_for_repair(
    request: Request,
    position: int,
    grounds: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Apply for the repair of one of my penalties."""
    catalogue = _catalogue(request)
    return _subject_write(
        request, who, position, lambda ledger: r.apply_for_repair(ledger, position, grounds,
                                                                  catalogue)
    )  # fmt: skip


@router.post("/me/repair/{position}/appeal", response_class=HTMLResponse)
def appeal_repair(
    request: Request,
    position: int,
    repair: Annotated[str, Form()] = "",
    grounds: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Appeal the refusal of my application (once, to another officer)."""

    def write(ledger: Ledger) -> None:
        if r.repair_state(ledger, repair).record != position:
            raise NotFoundError(f"no application {repair!r} on entry {position}")
        r.appeal_repair(ledger, repair, grounds)

    return _subject_write(request, who, position, write)


# -- the officers ---------------------------------------------------------------------------------


@router.get("/officer/repairs", response_class=HTMLResponse)
def repair_queue(request: Request, who: Principal = _APPEALS) -> Response:
    """Repair applications and appeals waiting, overdue first (no personal data here)."""
    with _access.system(request) as (ledger, _):
        items = r.repair_queue(ledger)
    return render(request, who, "repairs.html", items=items, said=said)


def _case(request: Request, who: Principal, repair_id: str, status: int = 200,
          **values: Any) -> Response:  # fmt: skip
    """One application with the conditions as they stand now: a logged read of the subject's
    file (purpose ``dispute_handling``)."""
    catalogue = _catalogue(request)
    with _access.system(request) as (ledger, _):
        found = r.repair_state(ledger, repair_id)
        log_read(ledger, found.subject, who.account, DISPUTE_HANDLING, "file")
        now = r.conditions(ledger, found.record, catalogue)
    return render(request, who, "repair_case.html", status, repair=found, conditions=now,
                  said=said, **values)  # fmt: skip


@router.get("/officer/repairs/{repair_id}", response_class=HTMLResponse)
def repair_case(request: Request, repair_id: str, who: Principal = _APPEALS) -> Response:
    """An application (or its appeal) to decide, with each condition as it stands now."""
    return _case(request, who, repair_id)


@router.post("/officer/repairs/{repair_id}/decide", response_class=HTMLResponse)
def decide_repair(
    request: Request,
    repair_id: str,
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    who: Principal = _APPEALS,
) -> Response:
    """Decide an application (an officer) or the appeal of a refusal (another officer)."""
    catalogue = _catalogue(request)
    try:
        with _access.system(request) as (ledger, _):
            if r.repair_state(ledger, repair_id).state == "appealed":
                r.decide_appeal(ledger, repair_id, outcome, who.account, reason, catalogue)
            elif who.role is Role.OFFICER:
                r.decide_repair(ledger, repair_id, outcome, who.account, reason, catalogue)
            else:
                raise NotFoundError(f"application {repair_id} has no open appeal")
    except SocialCreditError as error:
        status = 404 if isinstance(error, NotFoundError) else 422
        return _case(request, who, repair_id, status, error=error,
                     typed={"outcome": outcome, "reason": reason})  # fmt: skip
    return RedirectResponse(f"/officer/repairs?done={repair_id}", status_code=303)
