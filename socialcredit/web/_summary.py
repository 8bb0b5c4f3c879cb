"""A policy bundle in words: one sentence per scoring rule, list, measure and service, in the
request's language, with the bundle's own labels (the policy page; the YAML is one click away).

Only reads what the bundle says; nothing here decides or scores.
"""

from __future__ import annotations

import re
from typing import Any

from . import _i18n
from ._i18n import N_, ngettext
from ._i18n import gettext as _

__all__ = ["summary"]

_UNIT_WORDS = {"CNY": N_("yuan"), "hours": N_("hour"), "ml": N_("ml"), "count": N_("unit")}
_PERIOD = re.compile(r"(\d+)([ymwd])")


def period(text: str | None) -> str:
    """A period of the policy (``5y``, ``3m``, ``10d``, ``2w``) in words."""
    match = _PERIOD.fullmatch(text or "")
    if match is None:
        return text or ""
    n, unit = int(match.group(1)), match.group(2)
    forms = {
        "y": ngettext("%(n)d year", "%(n)d years", n),
        "m": ngettext("%(n)d month", "%(n)d months", n),
        "w": ngettext("%(n)d week", "%(n)d weeks", n),
        "d": ngettext("%(n)d day", "%(n)d days", n),
    }
    return forms[unit] % {"n": n}


def _join(items: list[str]) -> str:
    return ("、" if _i18n.current().locale == "zh_CN" else ", ").join(items)


def summary(bundle: Any) -> dict[str, list[str]]:
    """``bundle`` in words: ``rules`` (a sentence per record kind), ``lists``, ``measures``
    and ``services``, each a list of sentences in the current language."""
    language = _i18n.current().tag

    def name(area: str, code: str) -> str:
        return str(bundle.label(area, code, language))

    return {
        "rules": _rules(bundle, name),
        "lists": [_list(d, name) for d in bundle.lists],
        "measures": _measures(bundle, name),
        "services": [
            _("%(service)s: decided by %(measures)s.")
            % {
                "service": name("services", s.id),
                "measures": _join([name("measures", m) for m in s.measures]),
            }
            for s in bundle.measures.services
        ],
    }


def _rules(bundle: Any, name: Any) -> list[str]:
    """A sentence per record kind: what it counts, where, and for how long."""
    scoring = bundle.scoring
    binned = {k: b for b in scoring.binned for k in b.kinds}
    out = []
    for kind in bundle.catalogue:
        rule, tier = scoring.rule(kind.id), scoring.tier(kind.gravity)
        values = {"kind": name("kinds", kind.id)}
        if kind.id in binned:
            b = binned[kind.id]
            values |= {"dimension": name("dimensions", b.dimension), "bins": _bins(b.bins)}
            text = _("%(kind)s: counted with like records in %(dimension)s: %(bins)s.")
            out.append(text % values)
            continue
        if rule is None or tier is None:
            out.append(_("%(kind)s: recorded for context; it carries no points.") % values)
            continue
        values |= {"dimension": name("dimensions", rule.dimension), "period": period(tier.expiry)}
        if isinstance(rule.points, int):
            values["points"] = f"{rule.points:+d}"
            text = _("%(kind)s: %(points)s points in %(dimension)s, counting for %(period)s.")
        else:
            unit = kind.amount.unit if kind.amount else None
            values |= {"points": f"{rule.points.per_unit:+d}", "cap": str(rule.points.cap)}
            values["unit"] = _(_UNIT_WORDS[unit]) if unit in _UNIT_WORDS else (unit or "")
            text = _(
                "%(kind)s: %(points)s points per %(unit)s, at most %(cap)s points a record, in "
                "%(dimension)s, counting for %(period)s."
            )
        out.append(text % values)
    return out


def _bins(bins: Any) -> str:
    """The bins of a binned rule: ``up to 2 records: +0; more: -30``."""
    parts = []
    for b in bins:
        if b.upto is None:
            parts.append(_("more: %(points)+d") % {"points": b.points})
        else:
            parts.append(_("up to %(n)d: %(points)+d") % {"n": b.upto, "points": b.points})
    return "; ".join(parts)


def _list(definition: Any, name: Any) -> str:
    """A list in a sentence: who goes on it and why, when it takes effect, how it ends."""
    grounds = [
        _("%(kind)s (listed for %(period)s)")
        % {"kind": name("kinds", g.kind), "period": period(g.period)}
        for g in definition.grounds
    ]
    if definition.grades:
        grounds.append(_("grade %(grades)s") % {"grades": _join(list(definition.grades))})
    values = {"list": name("lists", definition.id), "grounds": _join(grounds)}
    values["notice"] = period(definition.notice)
    text = _("%(list)s: for %(grounds)s; a listing takes effect %(notice)s after notice.") % values
    restoration = definition.restoration
    if restoration.performed_by:
        kinds = _join([name("kinds", k) for k in restoration.performed_by])
        text += " " + _("It ends within %(days)d working days once %(kinds)s is recorded.") % {
            "days": restoration.within_working_days,
            "kinds": kinds,
        }
    if restoration.on_application_after:
        text += " " + _("It may be ended on application after %(period)s.") % {
            "period": period(restoration.on_application_after)
        }
    if definition.hardship_freezes:
        text += " " + _("Its restrictions are frozen while inability to pay is recorded.")
    return text


def _measures(bundle: Any, name: Any) -> list[str]:
    """A sentence per measure: what it does and which lists trigger it."""
    out = []
    for measure in bundle.measures.measures:
        lists = [name("lists", k.list) for k in bundle.measures.links if k.measure == measure.id]
        values = {"measure": name("measures", measure.id), "lists": _join(lists) or "-"}
        if measure.effect.value == "reward":
            out.append(_("%(measure)s: a reward for who is on %(lists)s.") % values)
        else:
            out.append(_("%(measure)s: a restriction on who is on %(lists)s.") % values)
    return out
