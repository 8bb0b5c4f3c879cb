"""The subject's notices page (``/me/notices``): every notice the system owes them, in their
language, with whether it reached them by e-mail; and the form that registers or removes
their address for notices (their consent).

The notices' words come from the ``notices`` gettext domain (:mod:`socialcredit.notices._texts`),
not from the portal's catalogue: the notices and the page that lists them speak with one voice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import ValidationError
from ..notices import NoticeState, page_texts, render
from ..timeutil import format_time
from . import _access, _i18n
from ._access import Principal, Role
from ._render import render as render_page
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_SUBJECT = _access.signed_in(Role.SUBJECT)


def _subject(who: Principal) -> tuple[str, str]:
    assert who.subject is not None  # a subject account always has its file
    return who.subject


def _status(state: NoticeState, texts: dict[str, str], has_address: bool) -> str:
    if state.status == "delivered":
        assert state.delivered_us is not None
        return texts["delivered"] % {"day": format_time(state.delivered_us)[:10]}
    if not has_address and state.attempts == 0:
        return texts["no_address"]
    key = {"pending": "pending", "retrying": "retrying", "failed": "failed"}[state.status]
    return texts[key] % {"attempts": state.attempts}


def _view(states: list[NoticeState], locale: str, has_address: bool) -> list[dict[str, Any]]:
    texts = page_texts(locale)
    out = []
    for state in reversed(states):  # newest first
        out.append({
            "id": state.notice.id,
            "kind": state.notice.kind,
            "status": state.status,
            "issued": texts["issued"] % {"day": format_time(state.notice.queued_us)[:10]},
            "status_text": _status(state, texts, has_address),
            "rendered": render(state.notice, locale),
        })  # fmt: skip
    return out


def _page(request: Request, who: Principal, status: int = 200, **values: Any) -> Response:
    subject = _subject(who)
    locale = _i18n.choose(request)
    system = _access.system_of(request)
    contact = system.contact(who, subject)
    states = system.notices(who, subject)
    texts = page_texts(locale)
    now = None
    if contact is not None:
        language = texts.get(contact.language, contact.language)
        now = texts["contact_now"] % {"address": contact.address, "language": language}
    done = request.query_params.get("done")
    return render_page(
        request, who, "notices.html", status,
        t=texts, notices=_view(states, locale, contact is not None), contact=contact,
        contact_now=now, done=texts[done] if done in ("saved", "removed") else None,
        **values,
    )  # fmt: skip


@router.get("/me/notices", response_class=HTMLResponse)
def my_notices(request: Request, who: Principal = _SUBJECT) -> Response:
    """My notices, newest first, in my language, with their e-mail delivery (a logged read)."""
    return _page(request, who)


@router.post("/me/notices/contact", response_class=HTMLResponse)
def my_contact(
    request: Request,
    address: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "zh-CN",
    who: Principal = _SUBJECT,
) -> Response:
    """Register (or replace) my e-mail address for notices."""
    try:
        _access.system_of(request).register_contact(who, _subject(who), address, language)
    except ValidationError as error:
        return _page(request, who, 422, error=error, typed_address=address)
    return RedirectResponse("/me/notices?done=saved#contact", status_code=303)


@router.post("/me/notices/contact/erase", response_class=HTMLResponse)
def my_contact_erase(request: Request, who: Principal = _SUBJECT) -> Response:
    """Remove my address (consent withdrawn): notices stay here."""
    _access.system_of(request).erase_contact(who, _subject(who))
    return RedirectResponse("/me/notices?done=removed#contact", status_code=303)
