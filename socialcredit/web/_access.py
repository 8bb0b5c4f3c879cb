"""Who is asking, and the application object: the portal's one door to the accounts'
authentication (:mod:`socialcredit.accounts._auth`: sessions, roles, CSRF) and to the
:class:`~socialcredit.system.System` every page calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Depends, Request
from starlette.responses import Response

from socialcredit.accounts import (
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
from ..system import System
from ._i18n import gettext as _

__all__ = [
    "Principal",
    "Role",
    "check_login_csrf",
    "csrf",
    "end_session",
    "issue_login_csrf",
    "login",
    "principal",
    "role_of",
    "set_login_csrf_cookie",
    "signed_in",
    "system_of",
]


def system_of(request: Request) -> System:
    """The application object (``app.state.ctx``)."""
    found: System = request.app.state.ctx
    return found


def consequences_of(
    request: Request, who: Principal, subject: tuple[str, str], now: datetime
) -> dict[str, Any]:
    """A subject's list memberships and the decisions about them (as JSON), as part of a
    page whose read of the file is already logged."""
    found = system_of(request).consequences(who, subject, at=now, logged=False)
    result: dict[str, Any] = found.to_json()
    return result


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
        return {"cosigned": system_of(request).cosigned(), "problem": None}
    except SocialCreditError as exc:
        return {"cosigned": None, "problem": str(exc)}


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
    opened = system_of(request).login(username, password)
    set_session_cookie(response, request, opened.id)
    return opened.principal


def end_session(request: Request, response: Response) -> None:
    """Log out: end the session (if any) and clear its cookie on ``response``."""
    from socialcredit.accounts import SESSION_COOKIE

    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        system_of(request).logout(cookie)
    clear_session_cookie(response)
