"""Rendering pages: one Jinja2 environment over the package's templates, autoescaped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from ..catalogue.identifiers import mask_subject_id
from ._access import Principal, csrf, role_of

__all__ = ["ROLE_HOME", "render"]

#: Where each role's main task is; the navigation links to it.
ROLE_HOME = {
    "subject": ("/me", "My file"),
    "source": ("/source", "File records"),
    "officer": ("/officer/disputes", "Dispute queue"),
    "appeal_officer": ("/officer/appeals", "Appeal queue"),
    "service_point": ("/check", "Service check"),
    "auditor": ("/audit", "Ledger audit"),
    "admin": ("/admin/policy", "Policy upload"),
}


#: More pages of a role, after its main one.
ROLE_MORE = {"admin": [("/admin/accounts", "Accounts")]}


def _day(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d}"


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("socialcredit.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = _day
    env.filters["when"] = _when
    env.filters["when_us"] = lambda us: _when(datetime.fromtimestamp(us / 1_000_000, UTC))
    env.filters["masked"] = lambda subject: mask_subject_id(*subject)
    env.filters["signed"] = lambda n: f"{n:+d}"
    return env


_ENV = _environment()


def render(
    request: Request, who: Principal, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    """``template`` rendered with ``values`` plus who is logged in and the form token."""
    role = role_of(who)
    page = _ENV.get_template(template).render(
        request=request,
        role=role,
        who=who,
        home=ROLE_HOME.get(role),
        extra_nav=ROLE_MORE.get(role, []),
        csrf_token=csrf(request),
        **values,
    )
    return HTMLResponse(page, status_code=status)


def render_text(template: str, **values: Any) -> str:
    """``template`` rendered with ``values`` only (no request; used for error pages)."""
    return _ENV.get_template(template).render(**values)
