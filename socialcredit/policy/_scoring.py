"""The scoring part of a policy bundle (``scoring.yaml``): a frozen, typed model and its checks.

A scoring file looks like this::

    base: 1000                      # every subject starts here
    bounds: [0, 2000]               # scores are clamped to [min, max]
    dimensions: [finance, judicial, tax, ...]
    tiers:                          # per gravity; a missing tier takes DEFAULT_TIERS
      minor: {expiry: 3m, decay: none}       # durations as in catalogue retention (30-day months)
    rules:
      - {kind: loan_default, dimension: finance, points: -30}
      - {kind: volunteering, dimension: civic, points: {per_unit: 1, cap: 20}}
    binned:                         # optional: points per bin of a count of the subject's records
      - feature: debt_defaults      # a name for the count (snake_case, screened)
        kinds: [loan_default, credit_card_default]
        dimension: finance
        bins:                       # ascending upper bounds; the last bin is open
          - {upto: 0, points: 0}    # no such record: no points (always)
          - {upto: 2, points: -40}
          - {points: -70}
    grades:                         # bands covering [bounds] without gaps or overlaps
      - {grade: AAA, min: 1050, max: 2000}

A binned rule counts the subject's own *active* records of its kinds (each active as long as
its kind's tier says, as for per-record rules) and gives the points of the bin the count falls
in. Its points are 0 for a count of 0 and move monotonically away from 0 as the count grows,
in the direction of its kinds' gravity (all negative, or all positive): more negative records
never earn more. A kind is counted by at most one binned rule. This is the form a learned
scorecard (:mod:`socialcredit.scorecard`) is published in.

The model only describes the policy; the scoring engine compiles it. :func:`check_scoring`
collects every problem with its key path instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any, TypeGuard

from socialcredit.catalogue import Catalogue, Gravity, prohibited_category_reason, term_reasons
from socialcredit.errors import Problem, ProblemCollector
from socialcredit.policy._grades import GRADES, GradeBand, check_grades

__all__ = [
    "DEFAULT_TIERS",
    "GRADES",
    "Bin",
    "BinnedRule",
    "Decay",
    "GradeBand",
    "PerUnit",
    "Rule",
    "ScoringPolicy",
    "Tier",
    "check_scoring",
    "duration_days",
]

_TOP_KEYS = {"base": True, "bounds": True, "dimensions": True, "tiers": False}
_TOP_KEYS |= {"rules": True, "grades": True, "binned": False}
_BINNED_KEYS = ("feature", "kinds", "dimension", "bins")
_DURATION = re.compile(r"(-?[0-9]{1,5})([dwmy])")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_NEGATIVE = (Gravity.MINOR, Gravity.GENERAL, Gravity.SERIOUS)
_SCORED = (*_NEGATIVE, Gravity.POSITIVE)


def duration_days(text: object) -> int | None:
    """Days in a duration such as ``3m`` or ``1y`` (may be zero or negative); None if malformed."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    return None if match is None else int(match[1]) * _UNIT_DAYS[match[2]]


class Decay(StrEnum):
    """How a record's points fade before expiry: not at all, or linearly to zero at expiry."""

    NONE = "none"
    LINEAR = "linear"


@dataclass(frozen=True, slots=True)
class Tier:
    """How long records of one gravity count, and how their points fade."""

    gravity: Gravity
    expiry: str
    expiry_days: int
    decay: Decay = Decay.NONE


def _tier(gravity: Gravity, expiry: str) -> Tier:
    days = duration_days(expiry)
    assert days is not None
    return Tier(gravity, expiry, days)


#: Tiers used when scoring.yaml leaves one out (REFERENCE.md: tiered publicity periods).
DEFAULT_TIERS: Mapping[Gravity, Tier] = {
    Gravity.MINOR: _tier(Gravity.MINOR, "3m"),
    Gravity.GENERAL: _tier(Gravity.GENERAL, "1y"),
    Gravity.SERIOUS: _tier(Gravity.SERIOUS, "3y"),
    Gravity.POSITIVE: _tier(Gravity.POSITIVE, "1y"),
}


@dataclass(frozen=True, slots=True)
class PerUnit:
    """Points per unit of a record's ``amount``; ``cap`` bounds the absolute points per record."""

    per_unit: int
    cap: int


@dataclass(frozen=True, slots=True)
class Rule:
    """Points a record kind carries, and the dimension they count in."""

    kind: str
    dimension: str
    points: int | PerUnit


@dataclass(frozen=True, slots=True)
class Bin:
    """Counts ``<= upto`` (None: any count) that the bins before did not take earn ``points``."""

    upto: int | None
    points: int


@dataclass(frozen=True, slots=True)
class BinnedRule:
    """Points per bin of the count of a subject's active records of ``kinds``.

    Attributes:
        feature: the name of the count.
        kinds: the record kinds counted, in bundle order.
        dimension: the dimension its points count in.
        bins: ascending bins, the first taking a count of 0 with 0 points, the last open.
    """

    feature: str
    kinds: tuple[str, ...]
    dimension: str
    bins: tuple[Bin, ...]

    def points(self, count: int) -> int:
        """The points of the bin ``count`` falls in."""
        return next(b.points for b in self.bins if b.upto is None or count <= b.upto)


@dataclass(frozen=True, slots=True)
class ScoringPolicy:
    """The checked content of ``scoring.yaml``; built only by :func:`check_scoring`."""

    base: int
    bounds: tuple[int, int]
    dimensions: tuple[str, ...]
    tiers: tuple[Tier, ...]
    rules: tuple[Rule, ...]
    grades: tuple[GradeBand, ...]
    binned: tuple[BinnedRule, ...] = ()

    def rule(self, kind: str) -> Rule | None:
        """The rule for ``kind``, or None if the kind carries no points."""
        return next((r for r in self.rules if r.kind == kind), None)

    def tier(self, gravity: Gravity) -> Tier | None:
        """The tier of ``gravity``, or None for neutral kinds."""
        return next((t for t in self.tiers if t.gravity == gravity), None)

    def grade(self, score: int) -> str:
        """The grade of a score (clamped to the bounds first)."""
        score = min(max(score, self.bounds[0]), self.bounds[1])
        return next(b.grade for b in self.grades if b.min <= score <= b.max)


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass; True is not a number of points.
    return type(value) is int


def check_scoring(
    doc: object, catalogue: Catalogue | None
) -> tuple[ScoringPolicy | None, list[Problem]]:
    """Check a parsed ``scoring.yaml`` against the bundle's catalogue.

    Args:
        doc: the parsed YAML document.
        catalogue: the bundle's catalogue, or None if it was refused (rules are then checked
            for shape only).

    Returns:
        The policy (None if any problem was found) and every problem, keyed by path.
    """
    checker = _Checker(catalogue)
    policy = checker.run(doc)
    return (None if checker.problems else policy), checker.problems


class _Checker(ProblemCollector):
    """One pass over a scoring document, collecting every problem."""

    def __init__(self, catalogue: Catalogue | None) -> None:
        self.catalogue = catalogue
        super().__init__()

    def run(self, doc: object) -> ScoringPolicy | None:
        if not isinstance(doc, Mapping):
            self.refuse("(scoring)", "must be a mapping with base, bounds, dimensions, ...")
            return None
        for key in doc:
            if key not in _TOP_KEYS:
                self.refuse(str(key), f"unknown key (allowed: {', '.join(_TOP_KEYS)})")
        for key, required in _TOP_KEYS.items():
            if required and key not in doc:
                self.refuse(key, "required")
        # A missing key is reported once, as required, and does not cascade to its users.
        bounds = self.bounds(doc["bounds"]) if "bounds" in doc else None
        base = self.base(doc["base"], bounds) if "base" in doc else None
        dimensions = self.dimensions(doc["dimensions"]) if "dimensions" in doc else None
        tiers = self.tiers(doc.get("tiers") or {})
        rules = self.rules(doc["rules"], dimensions) if "rules" in doc else ()
        grades: tuple[GradeBand, ...] = ()
        if "grades" in doc:
            grades, found = check_grades(doc["grades"], bounds)
            self.problems += found
        binned = self.binned(doc.get("binned") or [], dimensions)
        if bounds is None or base is None:
            return None
        dims = tuple(dimensions or ())
        return ScoringPolicy(base, bounds, dims, tiers, rules, grades, binned)

    def bounds(self, value: object) -> tuple[int, int] | None:
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_int, value))):
            self.refuse("bounds", "must be [min, max], two integers")
            return None
        if value[0] >= value[1]:
            self.refuse("bounds", f"min {value[0]} must be below max {value[1]}")
            return None
        return value[0], value[1]

    def base(self, value: object, bounds: tuple[int, int] | None) -> int | None:
        if not _is_int(value):
            self.refuse("base", "must be an integer")
            return None
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            self.refuse("base", f"{value} is outside bounds [{bounds[0]}, {bounds[1]}]")
        return value

    def dimensions(self, value: object) -> list[str] | None:
        if not isinstance(value, list) or not value:
            self.refuse("dimensions", "must be a non-empty list of names")
            return None
        out: list[str] = []
        for i, name in enumerate(value):
            path = f"dimensions[{i}]"
            if not isinstance(name, str) or not _SNAKE.fullmatch(name):
                self.refuse(path, f"must be a snake_case name, got {name!r}")
                continue
            if name in out:
                self.refuse(path, f"duplicate dimension {name!r}")
            # A dimension is a category of conduct: the firewall applies to it too.
            reason = prohibited_category_reason(name)
            for why in [reason] if reason else term_reasons(name):
                self.refuse(path, why)
            out.append(name)
        return out

    def tiers(self, value: object) -> tuple[Tier, ...]:
        if not isinstance(value, Mapping):
            self.refuse("tiers", "must be a mapping of gravity to {expiry, decay}")
            return ()
        tiers = dict(DEFAULT_TIERS)
        allowed = {g.value: g for g in _SCORED}
        for name, spec in value.items():
            gravity = allowed.get(name) if isinstance(name, str) else None
            if gravity is None:
                self.refuse(f"tiers.{name}", f"unknown tier (allowed: {', '.join(allowed)})")
            elif (tier := self.tier(f"tiers.{name}", gravity, spec)) is not None:
                tiers[gravity] = tier
        return tuple(tiers[g] for g in _SCORED)

    def tier(self, path: str, gravity: Gravity, spec: object) -> Tier | None:
        if not isinstance(spec, Mapping):
            self.refuse(path, "must be a mapping such as {expiry: 1y, decay: none}")
            return None
        for key in spec:
            if key not in ("expiry", "decay"):
                self.refuse(f"{path}.{key}", "unknown key (allowed: expiry, decay)")
        expiry = spec.get("expiry")
        days = duration_days(expiry)
        if days is None:
            self.refuse(f"{path}.expiry", f"must be a duration like 3m or 1y, got {expiry!r}")
        elif days <= 0:
            self.refuse(f"{path}.expiry", f"must be positive, got {expiry!r}")
        decay = spec.get("decay", Decay.NONE.value)
        if decay not in {d.value for d in Decay}:
            self.refuse(f"{path}.decay", f"unknown decay {decay!r} (none, linear)")
        if days is None or days <= 0 or decay not in {d.value for d in Decay}:
            return None
        return Tier(gravity, str(expiry), days, Decay(decay))

    def rules(self, value: object, dimensions: list[str] | None) -> tuple[Rule, ...]:
        if not isinstance(value, list):
            self.refuse("rules", "must be a list of {kind, dimension, points}")
            return ()
        out: list[Rule] = []
        first_at: dict[str, int] = {}
        for i, raw in enumerate(value):
            kind = raw.get("kind") if isinstance(raw, Mapping) else None
            if isinstance(kind, str) and kind in first_at:
                self.refuse(
                    f"rules[{i}].kind",
                    f"duplicate rule for {kind!r} (first at rules[{first_at[kind]}])",
                )
            elif isinstance(kind, str):
                first_at[kind] = i
            if (rule := self.rule(f"rules[{i}]", raw, dimensions)) is not None:
                out.append(rule)
        return tuple(out)

    def rule(self, p: str, raw: object, dimensions: list[str] | None) -> Rule | None:
        if not isinstance(raw, Mapping):
            self.refuse(p, "must be a mapping {kind, dimension, points}")
            return None
        before = len(self.problems)
        for key in raw:
            if key not in ("kind", "dimension", "points"):
                self.refuse(f"{p}.{key}", "unknown key (allowed: kind, dimension, points)")
        for key in ("kind", "dimension", "points"):
            if key not in raw:
                self.refuse(f"{p}.{key}", "required")
        gravity, takes_amount = self.rule_kind(f"{p}.kind", raw.get("kind"))
        dimension = raw.get("dimension")
        if "dimension" in raw and dimensions is not None and dimension not in dimensions:
            self.refuse(
                f"{p}.dimension", f"unknown dimension {dimension!r} (declare it under dimensions)"
            )
        points = self.points(f"{p}.points", raw.get("points"), gravity, takes_amount)
        if len(self.problems) > before or points is None:
            return None
        return Rule(str(raw["kind"]), str(dimension), points)

    def rule_kind(self, path: str, kind: object) -> tuple[Gravity | None, bool]:
        """The gravity of the rule's kind and whether it takes an amount (None if unknown)."""
        if not isinstance(kind, str):
            self.refuse(path, "must be a record kind id")
            return None, False
        if self.catalogue is None:
            return None, True
        record_kind = self.catalogue.kinds.get(kind)
        if record_kind is None:
            self.refuse(path, f"unknown kind {kind!r} (not in catalogue.yaml)")
            return None, False
        if record_kind.gravity == Gravity.NEUTRAL:
            self.refuse(path, f"neutral kind {kind!r} carries no points")
            return None, False
        return record_kind.gravity, record_kind.amount is not None

    def points(
        self, path: str, value: object, gravity: Gravity | None, takes_amount: bool
    ) -> int | PerUnit | None:
        if isinstance(value, Mapping):
            return self.per_unit(path, value, gravity, takes_amount)
        if not _is_int(value):
            self.refuse(path, "must be an integer or {per_unit, cap}")
            return None
        self.sign(path, value, gravity)
        return value

    def per_unit(
        self, path: str, value: Mapping[Any, Any], gravity: Gravity | None, takes_amount: bool
    ) -> PerUnit | None:
        before = len(self.problems)
        for key in value:
            if key not in ("per_unit", "cap"):
                self.refuse(f"{path}.{key}", "unknown key (allowed: per_unit, cap)")
        per_unit, cap = value.get("per_unit"), value.get("cap")
        if not _is_int(per_unit):
            self.refuse(f"{path}.per_unit", "must be an integer")
        else:
            self.sign(f"{path}.per_unit", per_unit, gravity)
        if not _is_int(cap) or cap < 0:
            self.refuse(f"{path}.cap", f"must be a non-negative integer, got {cap!r}")
        elif _is_int(per_unit) and cap < abs(per_unit):
            self.refuse(f"{path}.cap", f"cap {cap} is below one unit's points {abs(per_unit)}")
        if not takes_amount:
            self.refuse(path, "per-unit points need a kind that takes an amount")
        if len(self.problems) > before or not (_is_int(per_unit) and _is_int(cap)):
            return None
        return PerUnit(per_unit, cap)

    def sign(self, path: str, points: int, gravity: Gravity | None) -> None:
        """Refuse points whose sign contradicts the kind's gravity (or that are zero)."""
        if gravity in _NEGATIVE and points >= 0:
            self.refuse(path, f"must be negative for a {gravity} kind, got {points}")
        elif gravity == Gravity.POSITIVE and points <= 0:
            self.refuse(path, f"must be positive for a positive kind, got {points}")
        elif points == 0:
            self.refuse(path, "must not be zero (leave the kind out instead)")

    # -- binned rules ----------------------------------------------------------------------

    def binned(self, value: object, dimensions: list[str] | None) -> tuple[BinnedRule, ...]:
        if not isinstance(value, list):
            self.refuse("binned", "must be a list of {feature, kinds, dimension, bins}")
            return ()
        out: list[BinnedRule] = []
        counted: dict[str, str] = {}
        for i, raw in enumerate(value):
            rule = self.binned_rule(f"binned[{i}]", raw, dimensions)
            if rule is None:
                continue
            for kind in rule.kinds:
                if kind in counted:
                    self.refuse(
                        f"binned[{i}].kinds", f"{kind!r} is already counted by {counted[kind]!r}"
                    )
                counted[kind] = rule.feature
            if rule.feature in {r.feature for r in out}:
                self.refuse(f"binned[{i}].feature", f"duplicate feature {rule.feature!r}")
            out.append(rule)
        return tuple(out)

    def binned_rule(self, p: str, raw: object, dimensions: list[str] | None) -> BinnedRule | None:
        if not isinstance(raw, Mapping):
            self.refuse(p, "must be a mapping {feature, kinds, dimension, bins}")
            return None
        before = len(self.problems)
        for key in raw:
            if key not in _BINNED_KEYS:
                self.refuse(f"{p}.{key}", f"unknown key (allowed: {', '.join(_BINNED_KEYS)})")
        for key in _BINNED_KEYS:
            if key not in raw:
                self.refuse(f"{p}.{key}", "required")
        feature = raw.get("feature")
        if not isinstance(feature, str) or not _SNAKE.fullmatch(feature):
            self.refuse(f"{p}.feature", f"must be a snake_case name, got {feature!r}")
        else:
            for why in term_reasons(feature):
                self.refuse(f"{p}.feature", why)
        dimension = raw.get("dimension")
        if "dimension" in raw and dimensions is not None and dimension not in dimensions:
            self.refuse(
                f"{p}.dimension", f"unknown dimension {dimension!r} (declare it under dimensions)"
            )
        kinds, negative = self.binned_kinds(f"{p}.kinds", raw.get("kinds"))
        bins = self.bins(f"{p}.bins", raw.get("bins"), negative)
        if len(self.problems) > before:
            return None
        return BinnedRule(str(feature), kinds, str(dimension), bins)

    def binned_kinds(self, path: str, value: object) -> tuple[tuple[str, ...], bool | None]:
        """The kinds counted, and whether they are negative (None if unknown or mixed)."""
        if not isinstance(value, list) or not value or not all(isinstance(k, str) for k in value):
            self.refuse(path, "must be a non-empty list of record kind ids")
            return (), None
        if len(set(value)) < len(value):
            self.refuse(path, "lists a kind twice")
        signs: set[bool] = set()
        for i, kind in enumerate(value):
            gravity, _ = self.rule_kind(f"{path}[{i}]", kind)
            if gravity is not None:
                signs.add(gravity in _NEGATIVE)
        if len(signs) > 1:
            self.refuse(path, "mixes negative and positive kinds (count them separately)")
        return tuple(value), (signs.pop() if len(signs) == 1 else None)

    def bins(self, path: str, value: object, negative: bool | None) -> tuple[Bin, ...]:
        if not isinstance(value, list) or len(value) < 2:
            self.refuse(path, "must list at least two bins {upto, points}, the last without upto")
            return ()
        out = [b for i, raw in enumerate(value) if (b := self.bin(f"{path}[{i}]", raw))]
        if len(out) < len(value):
            return ()
        last = len(out) - 1
        for i, b in enumerate(out):
            if (b.upto is None) != (i == last):
                self.refuse(f"{path}[{i}].upto", "every bin but the last needs upto; the last none")
        uppers = [(i, b.upto) for i, b in enumerate(out) if b.upto is not None]
        for (_, low), (i, high) in pairwise(uppers):
            if high <= low:
                self.refuse(f"{path}[{i}].upto", f"must be above {low}")
        if out[0].points != 0:
            self.refuse(f"{path}[0].points", "the bin of a count of 0 must carry 0 points")
        self.bin_trend(path, out, negative)
        return tuple(out)

    def bin(self, path: str, raw: object) -> Bin | None:
        if not isinstance(raw, Mapping) or "points" not in raw:
            self.refuse(path, "must be a mapping {upto, points} (points required)")
            return None
        for key in raw:
            if key not in ("upto", "points"):
                self.refuse(f"{path}.{key}", "unknown key (allowed: upto, points)")
        upto, points = raw.get("upto"), raw["points"]
        if upto is not None and (not _is_int(upto) or upto < 0):
            self.refuse(f"{path}.upto", f"must be a non-negative integer, got {upto!r}")
            return None
        if not _is_int(points):
            self.refuse(f"{path}.points", f"must be an integer, got {points!r}")
            return None
        return Bin(upto, points)

    def bin_trend(self, path: str, bins: list[Bin], negative: bool | None) -> None:
        """Refuse points that are not monotone in the direction of the kinds' gravity."""
        if negative is None:
            return
        word = "non-increasing and at most 0" if negative else "non-decreasing and at least 0"
        for i in range(1, len(bins)):
            step = bins[i].points - bins[i - 1].points
            if (step > 0 or bins[i].points > 0) if negative else (step < 0 or bins[i].points < 0):
                self.refuse(f"{path}[{i}].points", f"must be {word} for these kinds")
