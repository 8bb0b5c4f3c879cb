"""Rendering pages: one Jinja2 environment over the package's templates, autoescaped, with
the i18n extension: every page is rendered in the request's language (:mod:`._i18n`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape

from socialcredit.rights import repairable_kind

from ..catalogue import default_catalogue, mask_subject_id
from . import _i18n, _summary, _words
from ._access import Principal, csrf, role_of
from ._i18n import N_
from ._labels import label

__all__ = ["ROLE_HOME", "render", "render_page"]

#: Where each role's main task is; the navigation links to it.
ROLE_HOME = {
    "subject": ("/me", N_("My file")),
    "source": ("/source", N_("File records")),
    "officer": ("/officer/disputes", N_("Dispute queue")),
    "appeal_officer": ("/officer/appeals", N_("Appeal queue")),
    "service_point": ("/check", N_("Service check")),
    "auditor": ("/audit", N_("Ledger audit")),
    "admin": ("/admin/policy", N_("Policy upload")),
}


#: More pages of a role, after its main one.
ROLE_MORE = {
    "admin": [("/admin/accounts", N_("Accounts"))],
    "subject": [("/me/notices", N_("My notices"))],
}

#: The filters that show a policy code by its label: ``{{ c.kind|kind }}`` (HTML, with the code
#: for officers) and ``{{ c.kind|kind_text }}`` (plain text, for an option or an attribute).
_NAMED = {
    "kinds": "kind",
    "dimensions": "dimension",
    "lists": "list_name",
    "measures": "measure",
    "services": "service",
}


def _per_rendering(words: Callable[..., Any]) -> Callable[..., Any]:
    """``words`` as a filter Jinja never folds into a compiled template: its result depends on
    the rendering's language and policy, so ``{{ "listed"|status }}`` is worked out each time."""

    @pass_context
    def live(_context: Any, *args: Any, **kwargs: Any) -> Any:
        return words(*args, **kwargs)

    return live


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("socialcredit.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} is collapsed, as babel.cfg extracts it (trimmed = true).
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _i18n.gettext, _i18n.ngettext, newstyle=True
    )
    env.filters["label"] = label
    env.filters["day"] = _words.day
    env.filters["when"] = _words.when
    env.filters["when_us"] = lambda us: _words.when(datetime.fromtimestamp(us / 1_000_000, UTC))
    env.filters["amount"] = _words.amount
    env.filters["amount_of"] = _words.amount_of
    env.filters["status"] = _words.status
    for area, name in _NAMED.items():
        env.filters[name] = lambda code, area=area: _words.named(area, code)
        env.filters[f"{name}_text"] = lambda code, area=area: _words.plain(area, code)
    env.globals["why"] = _words.why
    env.filters["sentence"] = _words.sentence
    env.globals["policy_summary"] = _summary.summary
    env.globals["repairable"] = lambda kind: repairable_kind(default_catalogue(), kind)
    for name in ("label", "day", "when", "when_us", "amount", "amount_of", "status", "sentence"):
        env.filters[name] = _per_rendering(env.filters[name])
    for name in _NAMED.values():
        env.filters[name] = _per_rendering(env.filters[name])
        env.filters[f"{name}_text"] = _per_rendering(env.filters[f"{name}_text"])
    env.filters["masked"] = lambda subject: mask_subject_id(*subject)
    env.filters["signed"] = lambda n: f"{n:+d}"
    return env


_ENV = _environment()


def render(
    request: Request, who: Principal, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    """``template`` rendered with ``values`` plus who is logged in and the form token, in the
    request's language (a language chosen with the switch is remembered in a cookie)."""
    role = role_of(who)
    return render_page(
        request,
        template,
        status,
        role=role,
        _role=role,
        who=who,
        home=ROLE_HOME.get(role),
        extra_nav=ROLE_MORE.get(role, []),
        csrf_token=csrf(request),
        **values,
    )


def _policy(request: Request) -> Any:
    """The bundle in force now (its labels name the codes a page shows), or None."""
    system = getattr(request.app.state, "ctx", None)
    if system is None:
        return None
    found = system.in_force()
    return None if found is None else found.bundle


def render_page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """``template`` rendered with ``values`` in the request's language, with the language
    switch; no one logged in is assumed (error pages use this when the caller is unknown)."""
    role = values.pop("_role", "public")
    with _i18n.using(_i18n.choose(request)) as language, _words.speaking(_policy(request), role):
        page = _ENV.get_template(template).render(
            request=request, lang=language, languages=_i18n.switch_links(request), **values
        )
    response = HTMLResponse(page, status_code=status)
    _i18n.remember(request, response)
    return response
