"""Words for people on every page: the policy's labels for its codes, dates, amounts, why a
record counts, a rule in a sentence, in the request's language (:mod:`._i18n`).

The labels come from the bundle in force (``labels.yaml``, :mod:`socialcredit.policy._labels`);
a bundle without one shows its own names, else the code. Officers, appeal officers, auditors
and admins also see the code itself, as a secondary detail after the label; other roles see
words only. :func:`speaking` sets, for one rendering, which bundle and which role.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from socialcredit.consequences import read_phrase

from . import _i18n
from ._i18n import N_
from ._i18n import gettext as _
from ._labels import label

__all__ = [
    "CODE_ROLES",
    "amount",
    "day",
    "named",
    "plain",
    "sentence",
    "speaking",
    "status",
    "when",
    "why",
]

#: The roles that see a code beside its label (they quote it to colleagues and in the ledger).
CODE_ROLES = frozenset({"officer", "appeal_officer", "auditor", "admin"})
_bundle: ContextVar[Any] = ContextVar("socialcredit_web_bundle", default=None)
_role: ContextVar[str] = ContextVar("socialcredit_web_role", default="public")

#: How an amount of each unit of the catalogue reads.
_UNITS = {
    "CNY": N_("%(n)s yuan"),
    "hours": N_("%(n)s hours"),
    "ml": N_("%(n)s ml"),
}


@contextmanager
def speaking(bundle: Any, role: str) -> Iterator[None]:
    """Within the block, labels come from ``bundle`` (a policy bundle, or None) and codes are
    shown to ``role`` if it is one of :data:`CODE_ROLES`."""
    tokens = (_bundle.set(bundle), _role.set(role))
    try:
        yield
    finally:
        _bundle.reset(tokens[0])
        _role.reset(tokens[1])


def bundle() -> Any:
    """The bundle whose labels this rendering uses (None when no policy is in force)."""
    return _bundle.get()


def text_of(area: str, code: object) -> tuple[str, bool]:
    """The words for ``code`` of ``area`` in the current language, and whether they are in it
    (a label) rather than a fallback (the bundle's name in English, or the code)."""
    code = str(getattr(code, "value", code))
    found = _bundle.get()
    language = _i18n.current().tag
    if found is None:
        return code.replace("_", " "), False
    labelled = found.labels.get(area, code, language)
    return (labelled, True) if labelled else (found.label(area, code, language), False)


def named(area: str, code: object) -> Markup:
    """The label of a policy code (``named("kinds", "loan_default")``) as HTML: the words, and
    for officers and auditors the code in ``<code>`` after them. Words that are not in the
    page's language are marked ``lang="en"``."""
    if code is None or code == "":
        return Markup("")
    words, labelled = text_of(area, code)
    out = escape(words) if labelled else Markup('<span lang="en">{}</span>').format(words)
    if _role.get() in CODE_ROLES:
        raw = str(getattr(code, "value", code))
        out += Markup(' <code class="code-name">{}</code>').format(raw)
    return Markup(out)


def plain(area: str, code: object) -> str:
    """The label of a policy code as plain text (an ``<option>``, an attribute)."""
    return text_of(area, code)[0]


def status(code: object) -> Markup:
    """A record's or a listing's status in words: the policy's label, else the portal's."""
    words, labelled = text_of("statuses", code)
    return Markup(escape(words)) if labelled else label(code)


def _moment(value: object) -> datetime | None:
    """A datetime from a datetime, ISO text (``2025-04-11T…``, ``…Z``) or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def day(value: object) -> str:
    """A date for people (``Apr 11, 2025``, ``2025年4月11日``); text that is not a date as
    written."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    return format_date(moment.astimezone(UTC), "medium", locale=_i18n.current().locale)


def when(value: object) -> str:
    """A date and time for people, in UTC (``Apr 11, 2025 09:05 UTC``)."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    moment = moment.astimezone(UTC)
    locale = _i18n.current().locale
    return f"{day(moment)} {format_time(moment, 'HH:mm', locale=locale)} UTC"


def amount(value: object, unit: str | None = None) -> str:
    """An amount with its unit for people (``12,000 yuan``, ``12,000元``)."""
    if value is None or value == "":
        return ""
    try:
        number = format_decimal(int(str(value)), locale=_i18n.current().locale)
    except ValueError:
        return str(value)
    template = _UNITS.get(unit or "")
    return _(template) % {"n": number} if template else number


def amount_of(value: object, kind: str | None) -> str:
    """An amount of a record of ``kind``, with the unit the bundle's catalogue gives it."""
    found = _bundle.get()
    record_kind = None if found is None or kind is None else found.catalogue.kinds.get(kind)
    spec = None if record_kind is None else record_kind.amount
    return amount(value, None if spec is None else spec.unit)


def why(contribution: Any, now: datetime) -> str:
    """Why a record counts as much as it does now, in words."""
    if contribution.dimension is None:
        return _("A fact recorded for context: it carries no points.")
    dimension = plain("dimensions", contribution.dimension)
    expires = contribution.expires_at
    if expires is not None and expires <= now:
        return _("Counted in %(dimension)s until %(until)s; it no longer counts.") % {
            "dimension": dimension,
            "until": day(expires),
        }
    values = {"points": f"{contribution.points:+d}", "dimension": dimension}
    if expires is None:
        return _("%(points)s points in %(dimension)s.") % values
    return _("%(points)s points in %(dimension)s, until %(until)s.") % {
        **values,
        "until": day(expires),
    }


#: The portal's wording of each sentence of a decision (:data:`consequences.decisions.PHRASES`).
_PHRASES = {
    "reason": N_(
        "%(measure)s: listed on “%(list)s” from %(since)s until %(until)s "
        "(records %(records)s: %(kinds)s)."
    ),
    "reason_representative": N_(
        "%(measure)s: “%(list)s” lists %(org)s, of which you are the legal representative, "
        "from %(since)s until %(until)s (records %(records)s: %(kinds)s). It applies to you "
        "only in that role and ends with that listing; your own score and records are not "
        "affected."
    ),
    "recourse_perform": N_(
        "%(list)s: perform the obligation (%(performed_by)s on record) and the listing is "
        "removed within %(days)s working days (if performed today, by %(due)s)."
    ),
    "recourse_apply": N_(
        "%(list)s: after correcting the conduct, you may apply for early restoration from "
        "%(start)s."
    ),
    "recourse_hardship": N_(
        "%(list)s: if you cannot pay (as opposed to will not pay), ask for hardship to be "
        "recorded: these restrictions are frozen while it lasts."
    ),
    "recourse_ends": N_("%(list)s: the listing ends at the latest on %(until)s."),
    "warning_noticed": N_(
        "Warning: %(list)s takes effect on %(start)s unless the obligation is performed first."
    ),
    "human_review": N_(
        "You may dispute any record behind this decision, and ask for a human review of this "
        "automated decision (GDPR Art. 22; PIPL Art. 24)."
    ),
}
_by_name: dict[str, dict[tuple[str, str], str]] = {}


def _code_of(area: str, name: str) -> str:
    """The code the bundle in force names ``name`` in ``area`` (decisions keep names), else
    ``name`` itself."""
    found = _bundle.get()
    if found is None:
        return name
    index = _by_name.get(found.digest)
    if index is None:
        index = {("lists", d.name): d.id for d in found.lists}
        index |= {("measures", m.name): m.id for m in found.measures.measures}
        _by_name[found.digest] = index
    return index.get((area, name), name)


def _values(values: Mapping[str, str]) -> dict[str, str]:
    """A phrase's values in words: names and kinds by their labels, days for people."""
    out = dict(values)
    for area, key in (("lists", "list"), ("measures", "measure")):
        if key in out:
            out[key] = plain(area, _code_of(area, out[key]))
    for key in ("kinds", "performed_by"):
        if key in out:
            separator = "、" if _i18n.current().locale == "zh_CN" else ", "
            out[key] = separator.join(plain("kinds", k) for k in out[key].split(", ") if k)
    for key in ("since", "due", "start", "until"):
        if key in out:
            out[key] = _("no end date set") if out[key] == "open" else day(out[key])
    if "records" in out and not out["records"].startswith("#"):
        out["records"] = out.get("kinds", out["records"])
    return out


def sentence(text: str) -> Markup:
    """A sentence of a decision (reason, warning, recourse) in the current language; one that
    is not a decision's phrase as written, marked as English."""
    phrase = read_phrase(text)
    if phrase is None or phrase.key not in _PHRASES:
        return Markup('<span lang="en">{}</span>').format(text)
    return Markup(escape(_(_PHRASES[phrase.key]) % _values(phrase.values)))
