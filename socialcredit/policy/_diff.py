"""What changed between two policy bundles, rule by rule, for reviewers and the public record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, TypeVar

from socialcredit.policy._bundle import PolicyBundle
from socialcredit.policy._scoring import BinnedRule, PerUnit, Rule

__all__ = ["Action", "Area", "Change", "diff"]

_T = TypeVar("_T")
# Enough to recognise an added or removed item in one line.
_SUMMARY_ASPECTS = frozenset(
    {
        "points",
        "dimension",
        "band",
        "expiry",
        "decay",
        "category",
        "type",
        "gravity",
        "colour",
        "effect",
        "measures",
        "kinds",
        "bins",
    }
)


class Area(StrEnum):
    """The part of the bundle a change is in."""

    RULE = "rule"
    BINNED = "binned rule"
    TIER = "tier"
    GRADE = "grade"
    BASE = "base"
    BOUNDS = "bounds"
    DIMENSION = "dimension"
    KIND = "kind"
    LIST = "list"
    MEASURE = "measure"
    LINK = "link"
    SERVICE = "service"
    SECTOR_GRADE = "sector grade scheme"
    REPAIR = "repair rules"


class Action(StrEnum):
    """What happened to the item."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """One change: in ``area``, the item ``key`` (and its ``aspect``) went from ``old`` to ``new``.

    ``old`` is None for an addition, ``new`` for a removal; values are shown as text.
    """

    area: Area
    key: str
    action: Action
    aspect: str = ""
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        """One line for people, e.g. ``rule loan_default: points -30 -> -40``."""
        head = f"{self.area} {self.key}" if self.key else str(self.area)
        if self.action == Action.ADDED:
            return f"{head}: added" + (f" ({self.new})" if self.new else "")
        if self.action == Action.REMOVED:
            return f"{head}: removed" + (f" (was {self.old})" if self.old else "")
        aspect = f"{self.aspect} " if self.aspect else ""
        return f"{head}: {aspect}{self.old} -> {self.new}"


def diff(old: PolicyBundle, new: PolicyBundle) -> list[Change]:
    """Every change from ``old`` to ``new``: scoring first (rules, tiers, grades, base, bounds,
    dimensions), then catalogue kinds, then lists, measures, links and services, then the
    sector grade schemes and the credit-repair rules. Empty if the two mean the same policy."""
    a, b = old.scoring, new.scoring
    changes = _keyed(Area.RULE, _by(a.rules, "kind"), _by(b.rules, "kind"), _rule_aspects)
    changes += _keyed(
        Area.BINNED, _by(a.binned, "feature"), _by(b.binned, "feature"), _binned_aspects
    )
    changes += _keyed(
        Area.TIER,
        {t.gravity.value: t for t in a.tiers},
        {t.gravity.value: t for t in b.tiers},
        lambda t: {"expiry": t.expiry, "decay": t.decay.value},
    )
    changes += _keyed(
        Area.GRADE,
        _by(a.grades, "grade"),
        _by(b.grades, "grade"),
        lambda g: {"band": f"{g.min}..{g.max}"},
    )
    if a.base != b.base:
        changes.append(Change(Area.BASE, "", Action.CHANGED, "", str(a.base), str(b.base)))
    if a.bounds != b.bounds:
        changes.append(
            Change(Area.BOUNDS, "", Action.CHANGED, "", _bounds(a.bounds), _bounds(b.bounds))
        )
    changes += _keyed(
        Area.DIMENSION,
        dict.fromkeys(a.dimensions, ""),
        dict.fromkeys(b.dimensions, ""),
        lambda _: {},
    )
    changes += _keyed(
        Area.KIND, dict(old.catalogue.kinds), dict(new.catalogue.kinds), _kind_aspects
    )
    changes += _consequence_changes(old, new)
    changes += _keyed(
        Area.SECTOR_GRADE, _by(old.sector_grades, "id"), _by(new.sector_grades, "id"), _fields
    )
    return changes + _keyed(Area.REPAIR, {"": old.repair}, {"": new.repair}, _fields)


def _consequence_changes(old: PolicyBundle, new: PolicyBundle) -> list[Change]:
    """Changes to lists, measures, links and services, item by item."""
    a, b = old.measures, new.measures
    changes = _keyed(Area.LIST, _by(old.lists, "id"), _by(new.lists, "id"), _kind_aspects)
    changes += _keyed(Area.MEASURE, _by(a.measures, "id"), _by(b.measures, "id"), _kind_aspects)
    changes += _keyed(
        Area.LINK,
        {link.key: link for link in a.links},
        {link.key: link for link in b.links},
        lambda link: {"legal_basis": str(link.legal_basis or "")},
    )
    changes += _keyed(
        Area.SERVICE,
        _by(a.services, "id"),
        _by(b.services, "id"),
        lambda s: {"name": s.name, "measures": ", ".join(s.measures)},
    )
    return changes


def _by(items: tuple[_T, ...], attribute: str) -> dict[str, _T]:
    return {getattr(item, attribute): item for item in items}


def _bounds(bounds: tuple[int, int]) -> str:
    return f"[{bounds[0]}, {bounds[1]}]"


def _points(points: int | PerUnit) -> str:
    if isinstance(points, PerUnit):
        return f"{points.per_unit} per unit, cap {points.cap}"
    return str(points)


def _rule_aspects(rule: Rule) -> dict[str, str]:
    return {"points": _points(rule.points), "dimension": rule.dimension}


def _binned_aspects(rule: BinnedRule) -> dict[str, str]:
    bins = ", ".join(
        f"{'more' if b.upto is None else f'<= {b.upto}'}: {b.points}" for b in rule.bins
    )
    return {"kinds": ", ".join(rule.kinds), "dimension": rule.dimension, "bins": bins}


def _fields(item: Any) -> dict[str, str]:
    """Every field of a checked dataclass as text (sets sorted), so no change goes unreported."""
    return {f.name: _text(getattr(item, f.name)) for f in fields(item)}


def _text(value: Any) -> str:
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(map(str, value)))
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items()))
    return str(value)


def _kind_aspects(kind: Any) -> dict[str, str]:
    # Every field of the kind as written in YAML, so no change goes unreported.
    return {key: str(value) for key, value in kind.as_dict().items()}


def _keyed(
    area: Area,
    old: Mapping[str, _T],
    new: Mapping[str, _T],
    aspects: Callable[[_T], dict[str, str]],
) -> list[Change]:
    """Additions, removals and per-aspect changes between two keyed collections."""
    out: list[Change] = []
    for key in old:
        if key not in new:
            out.append(Change(area, key, Action.REMOVED, old=_summary(aspects(old[key]))))
    for key in new:
        if key not in old:
            out.append(Change(area, key, Action.ADDED, new=_summary(aspects(new[key]))))
            continue
        before, after = aspects(old[key]), aspects(new[key])
        for aspect, value in before.items():
            if after.get(aspect) != value:
                out.append(Change(area, key, Action.CHANGED, aspect, value, after.get(aspect)))
    return out


def _summary(aspects: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in aspects.items() if k in _SUMMARY_ASPECTS)
