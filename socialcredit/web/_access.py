"""Who is asking, and the shared objects: the portal's one door to the API's auth and context.

The HTTP API (:mod:`socialcredit.api`) owns accounts, sessions, roles and CSRF; the portal
reads them through this module only, so a change there touches one file here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import Depends, Request
from starlette.responses import Response

from ..accounts.auth import (
    Principal,
    Role,
    check_login_csrf,
    clear_session_cookie,
    csrf_token,
    current_principal,
    issue_login_csrf,
    require,
    set_login_csrf_cookie,
    set_session_cookie,
)
from ..errors import SocialCreditError
from ..ledger import Ledger
from ..scoring import RecordIndex
from ._i18n import gettext as _

__all__ = [
    "Principal",
    "Role",
    "check_login_csrf",
    "context",
    "csrf",
    "end_session",
    "issue_login_csrf",
    "login",
    "principal",
    "role_of",
    "set_login_csrf_cookie",
    "signed_in",
    "system",
]


def context(request: Request) -> Any:
    """The API's shared context (``app.state.ctx``)."""
    return request.app.state.ctx


def consequences_of(
    request: Request, ledger: Ledger, subject: tuple[str, str], now: datetime
) -> dict[str, Any]:
    """A subject's list memberships and the decisions about them (as JSON): from the app's
    decision service (kept current in memory) when it runs, else projected from the ledger.
    Call with the app's lock held (:func:`system`)."""
    from ..consequences import subject_consequences
    from ..scoring.engine import to_us

    view = context(request).decisions
    if view is None:
        return subject_consequences(ledger, *subject, now).to_json()
    found: dict[str, Any] = view.consequences(*subject, to_us(now)).to_json()
    return found


def grade_scale(bundle: Any) -> dict[str, Any] | None:
    """The grades of ``bundle`` (a policy bundle, or None) for people, in the current
    language: the base score and each band, best first, with what it means relative to the
    base."""
    if bundle is None:
        return None
    base = bundle.scoring.base
    bands = sorted(bundle.scoring.grades, key=lambda band: -band.min)
    out = []
    for rank, band in enumerate(bands):
        if band.min <= base <= band.max:
            meaning = _("the starting grade: no record for or against, or they balance out")
        elif band.min > base:
            meaning = _("above the starting score: records in the subject's favour")
        else:
            meaning = _("below the starting score: penalties that still count")
        if rank == 0:
            meaning = _("the best grade; %(meaning)s") % {"meaning": meaning}
        elif rank == len(bands) - 1:
            meaning = _("the lowest grade; %(meaning)s") % {"meaning": meaning}
        out.append({"grade": band.grade, "min": band.min, "max": band.max, "meaning": meaning})
    return {"base": base, "bands": out}


def grade_note(scale: dict[str, Any] | None, grade: str) -> str:
    """One line saying what ``grade`` means (for next to a grade shown), in the current
    language."""
    if scale is None:
        return ""
    for number, band in enumerate(scale["bands"], 1):
        if band["grade"] == grade:
            return _(
                "grade %(number)d of %(count)d, for a score of %(min)d–%(max)d (%(meaning)s)"
            ) % {"number": number, "count": len(scale["bands"]), **band}
    return ""


def witnessed(request: Request) -> dict[str, Any]:
    """What the portal publishes about the witness: ``cosigned`` (the latest cosigned
    checkpoint and whether the ledger still holds it), or ``problem`` saying why there is
    none; both None when the server publishes no witness."""
    try:
        return {"cosigned": context(request).cosigned(), "problem": None}
    except SocialCreditError as exc:
        return {"cosigned": None, "problem": str(exc)}


@contextmanager
def system(request: Request) -> Iterator[tuple[Ledger, RecordIndex]]:
    """The app's ledger and its record index (caught up), with the app's lock held: the
    ledger has one SQLite connection shared by the worker threads."""
    ctx = context(request)
    with ctx.fresh_index() as index:
        yield ctx.ledger, index


async def principal(request: Request) -> Principal:
    """The caller (a session user, an API key, or the public)."""
    return await current_principal(request)


def signed_in(*roles: Role) -> Any:
    """A route parameter default admitting only ``roles``: ``who = signed_in(Role.AUDITOR)``."""
    return Depends(require(*roles))


def role_of(who: Principal) -> str:
    """The principal's role as its plain value (``"officer"``, ``"public"``...)."""
    return who.role.value


def csrf(request: Request) -> str:
    """The CSRF token every form of this session carries as the hidden field ``csrf_token``."""
    return csrf_token(request)


def login(request: Request, response: Response, username: str, password: str) -> Principal:
    """Check the credentials, open a session and set its cookie on ``response``.

    Raises:
        AuthenticationError: if the username or password is wrong.
    """
    accounts = context(request).accounts
    session_id = accounts.login(username, password)
    set_session_cookie(response, request, session_id)
    session = accounts.session(session_id)
    assert session is not None  # just opened
    found: Principal = session.principal
    return found


def end_session(request: Request, response: Response) -> None:
    """Log out: end the session (if any) and clear its cookie on ``response``."""
    from ..accounts.auth import SESSION_COOKIE

    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        context(request).accounts.logout(cookie)
    clear_session_cookie(response)
