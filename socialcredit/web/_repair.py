"""Credit repair in the portal: a subject applies for the repair of one of their penalties (and
appeals a refusal); officers work the repair queue and decide; appeal officers decide appeals.

Thin over the system's repair use cases: every page reads through one of them, every
form calls one of its writes and shows its refusal (each unmet condition named) next to the
form, with nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from ..errors import NotFoundError, SocialCreditError
from ..system import System
from . import _access, _i18n
from ._access import Principal, Role
from ._i18n import N_
from ._render import render
from ._routing import page_router

__all__ = ["WORDS", "router", "said"]

router = page_router()
_SUBJECT = _access.signed_in(Role.SUBJECT)
_APPEALS = _access.signed_in(Role.OFFICER, Role.APPEAL_OFFICER)

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


# -- the subject ----------------------------------------------------------------------------------


def _subject_page(
    request: Request, who: Principal, position: int, status: int = 200, **values: Any
) -> Response:
    found = _access.system_of(request).own_repair(who, position)
    return render(request, who, "repair.html", status, position=position,
                  conditions=found.conditions, refusal=found.refusal, repairs=found.repairs,
                  said=said, **values)  # fmt: skip


@router.get("/me/repair/{position}", response_class=HTMLResponse)
def my_repair(request: Request, position: int, who: Principal = _SUBJECT) -> Response:
    """The conditions of repair of one of my penalties, my applications on it, and the forms
    to apply and to appeal a refusal (a logged read of my file)."""
    return _subject_page(request, who, position)


def _subject_write(
    request: Request, who: Principal, position: int, write: Callable[[System], object]
) -> Response:
    try:
        write(_access.system_of(request))
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
    return _subject_write(
        request, who, position, lambda system: system.apply_for_own_repair(who, position, grounds)
    )


@router.post("/me/repair/{position}/appeal", response_class=HTMLResponse)
def appeal_repair(
    request: Request,
    position: int,
    repair: Annotated[str, Form()] = "",
    grounds: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Appeal the refusal of my application (once, to another officer)."""
    return _subject_write(
        request, who, position,
        lambda system: system.appeal_own_repair(who, position, repair, grounds),
    )  # fmt: skip


# -- the officers ---------------------------------------------------------------------------------


@router.get("/officer/repairs", response_class=HTMLResponse)
def repair_queue(request: Request, who: Principal = _APPEALS) -> Response:
    """Repair applications and appeals waiting, overdue first (no personal data here)."""
    items = _access.system_of(request).repair_queue(who, logged=False)
    return render(request, who, "repairs.html", items=items, said=said)


def _case(request: Request, who: Principal, repair_id: str, status: int = 200,
          **values: Any) -> Response:  # fmt: skip
    """One application with the conditions as they stand now: a logged read of the subject's
    file (purpose ``dispute_handling``)."""
    found, now = _access.system_of(request).repair_case(who, repair_id)
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
    try:
        _access.system_of(request).decide_repair_case(who, repair_id, outcome, reason)
    except SocialCreditError as error:
        status = 404 if isinstance(error, NotFoundError) else 422
        return _case(request, who, repair_id, status, error=error,
                     typed={"outcome": outcome, "reason": reason})  # fmt: skip
    return RedirectResponse(f"/officer/repairs?done={repair_id}", status_code=303)
