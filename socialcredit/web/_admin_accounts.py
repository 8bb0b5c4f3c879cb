"""The administrator's accounts page: every API key and user (never a secret), and keys made,
revoked and rotated — a new key is shown once, on the page that made it.

The page calls the application object's account use cases exactly as ``POST /accounts/keys``
does, over the same account store as ``socialcredit account``: the same checks, the same
errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from socialcredit.catalogue import subject_key

from ..errors import Problem, ValidationError
from . import _access
from ._access import Principal, Role
from ._i18n import gettext as _
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_ADMIN = _access.signed_in(Role.ADMIN)
#: Roles a key may have (the public needs none).
KEY_ROLES = [role.value for role in Role if role is not Role.PUBLIC]


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, who: Principal = _ADMIN) -> Response:
    """Every live API key and user, with the forms to make, revoke and rotate keys."""
    return _page(request, who)


def _page(request: Request, who: Principal, status: int = 200, **values: Any) -> Response:
    system = _access.system_of(request)
    accounts, kinds = system.account_list(), system.key_kinds()
    return render(request, who, "admin_accounts.html", status, accounts=accounts,
                  roles=KEY_ROLES, kinds=kinds, **values)  # fmt: skip


@router.post("/admin/accounts/keys", response_class=HTMLResponse)
def make_key(
    request: Request,
    role: Annotated[str, Form()],
    name: Annotated[str, Form()],
    subject: Annotated[str, Form()] = "",
    kinds: Annotated[list[str] | None, Form()] = None,
    who: Principal = _ADMIN,
) -> Response:
    """Make a key; it is shown once, next to the form. A refusal keeps what was typed."""
    typed = {"role": role, "name": name, "subject": subject, "kinds": kinds or []}
    try:
        made = _access.system_of(request).create_api_key(
            role, name, subject=_subject(role, subject), allowed_kinds=kinds or ()
        )
    except ValidationError as refused:
        return _page(request, who, 422, problems=refused.problems, typed=typed)
    return _page(request, who, made={"name": name, "role": role, "key": made.key})


def _subject(role: str, text: str) -> tuple[str, str] | None:
    """The subject a subject key belongs to (None for other roles).

    Raises:
        ValidationError: naming ``subject`` if a subject key has none or it is malformed.
    """
    if role != Role.SUBJECT.value:
        if text.strip():
            raise ValidationError("bad key", [Problem("subject", _("only a subject key has one"))])
        return None
    return subject_key(text, "subject")


@router.post("/admin/accounts/keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_key(request: Request, key_id: str, who: Principal = _ADMIN) -> Response:
    """Revoke a key at once (NotFoundError: a 404 page)."""
    _access.system_of(request).revoke_api_key(key_id)
    return _page(request, who, revoked=key_id)


@router.post("/admin/accounts/keys/{key_id}/rotate", response_class=HTMLResponse)
def rotate_key(request: Request, key_id: str, who: Principal = _ADMIN) -> Response:
    """Replace a key by a new one with the same role, name, subject and kinds; the new key is
    shown once and the old one stops working."""
    try:
        new = _access.system_of(request).rotate_api_key(key_id)
    except ValidationError as refused:
        return _page(request, who, 422, problems=refused.problems)
    made = {"name": new.name, "role": new.role.value, "key": new.key}
    return _page(request, who, made=made, rotated=key_id)
