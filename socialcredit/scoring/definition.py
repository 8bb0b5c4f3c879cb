"""THE scoring definition: pure functions over plain integers, shared by every evaluator.

All times are integer microseconds since the Unix epoch (UTC); all points are integers.
A policy (:class:`~socialcredit.policy.ScoringPolicy` plus its catalogue) is compiled once
into a :class:`CompiledPolicy` whose per-kind table (:class:`KindTerms`) is the only place
rules live; the per-subject engine, the DuckDB batch and tests all read that table.

For a subject, a time ``as_of`` and the records the evaluator was given (which records
those are — the bitemporal ``known_at`` cut — is the evaluator's business, not this
module's):

1. **Which kinds count.** A kind with no rule in the policy (neutral kinds, or kinds not in
   the catalogue) contributes 0. Every ruled kind has a gravity; its tier gives
   ``expiry_us = expiry_days * 86_400_000_000`` and ``linear = (decay == "linear")``.
2. **When a record counts.** A record is *active* at ``as_of`` iff
   ``occurred_at_us <= as_of_us < occurred_at_us + expiry_us``. So a record counts from the
   very microsecond it occurred and stops counting exactly at ``expires_at_us =
   occurred_at_us + expiry_us`` (half-open interval). Inactive records contribute 0.
3. **Raw points.** Fixed rules (``per_unit == 0``): ``raw = points``. Per-unit rules:
   ``raw = sign(per_unit) * min(|per_unit| * min(amount, cap), cap)`` with a missing amount
   read as 0. Since ``|per_unit| >= 1`` this equals ``per_unit * amount`` limited to ``cap``
   in absolute value; clamping the amount first keeps every product inside 64 bits.
4. **Decay.** ``none``: ``points = raw`` while active. ``linear``: with
   ``remaining_us = expires_at_us - as_of_us`` (``1 .. expiry_us`` while active),
   ``points = sign(raw) * ((|raw| * remaining_us) // expiry_us)``, i.e. the exact rational
   ``raw * remaining / expiry`` truncated toward zero, computed with non-negative integer
   floor division only so that SQL reproduces it bit for bit.
5. **Aggregates.** ``dimension[d]`` = sum of the points of active records whose rule is in
   dimension ``d`` (every declared dimension is present, 0 if empty);
   ``total = clamp(base + sum of all points, bounds.min, bounds.max)``;
   ``grade`` = the grade of the band with ``min <= total <= max`` (bands tile the bounds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from socialcredit.catalogue import Catalogue, Gravity
from socialcredit.policy import Decay, GradeBand, PerUnit, ScoringPolicy

__all__ = [
    "US_PER_DAY",
    "CompiledPolicy",
    "KindTerms",
    "aggregate",
    "clamp",
    "compile_policy",
    "decayed_points",
    "is_active",
    "raw_points",
    "record_points",
]

US_PER_DAY = 86_400_000_000


@dataclass(frozen=True, slots=True)
class KindTerms:
    """The compiled rule of one record kind: everything an evaluator needs, as plain values.

    Attributes:
        kind: the record kind id.
        dimension: the dimension its points count in.
        gravity: the kind's gravity (never neutral).
        points: fixed points (0 when the rule is per unit).
        per_unit: points per unit of amount (0 when the rule is fixed).
        cap: the absolute limit of per-unit points (0 when fixed).
        expiry_us: how long a record counts, from its ``occurred_at``.
        linear: whether points fade linearly to 0 at expiry.
    """

    kind: str
    dimension: str
    gravity: Gravity
    points: int
    per_unit: int
    cap: int
    expiry_us: int
    linear: bool


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A scoring policy compiled for evaluation.

    Attributes:
        base: every subject's starting score.
        low: lower bound of the total.
        high: upper bound of the total.
        dimensions: the declared dimensions, in policy order.
        kinds: the terms of every kind that carries points, by kind id.
        grades: the grade bands, best first.
        revision: the bundle revision it came from, if known.
    """

    base: int
    low: int
    high: int
    dimensions: tuple[str, ...]
    kinds: Mapping[str, KindTerms]
    grades: tuple[GradeBand, ...]
    revision: int | None = None

    def grade(self, total: int) -> str:
        """The grade of ``total`` (clamped to the bounds first)."""
        total = clamp(total, self.low, self.high)
        return next(b.grade for b in self.grades if b.min <= total <= b.max)

    def band(self, grade: str) -> GradeBand:
        """The band of ``grade``.

        Raises:
            KeyError: if the policy has no such grade.
        """
        for band in self.grades:
            if band.grade == grade:
                return band
        raise KeyError(grade)

    def better_band(self, grade: str) -> GradeBand | None:
        """The band just above ``grade``'s (higher scores), or None at the top."""
        here = self.band(grade)
        above = [b for b in self.grades if b.min > here.max]
        return min(above, key=lambda b: b.min, default=None)


def compile_policy(
    policy: ScoringPolicy, catalogue: Catalogue, revision: int | None = None
) -> CompiledPolicy:
    """Compile ``policy`` against ``catalogue`` into per-kind terms.

    Rules whose kind is missing from the catalogue, is neutral, or has no tier are left out
    (such kinds contribute nothing); a checked bundle has none of these.
    """
    kinds: dict[str, KindTerms] = {}
    for rule in policy.rules:
        record_kind = catalogue.kinds.get(rule.kind)
        tier = None if record_kind is None else policy.tier(record_kind.gravity)
        if record_kind is None or tier is None or record_kind.gravity == Gravity.NEUTRAL:
            continue
        if isinstance(rule.points, PerUnit):
            fixed, per_unit, cap = 0, rule.points.per_unit, rule.points.cap
        else:
            fixed, per_unit, cap = rule.points, 0, 0
        kinds[rule.kind] = KindTerms(
            kind=rule.kind,
            dimension=rule.dimension,
            gravity=record_kind.gravity,
            points=fixed,
            per_unit=per_unit,
            cap=cap,
            expiry_us=tier.expiry_days * US_PER_DAY,
            linear=tier.decay == Decay.LINEAR,
        )
    grades = tuple(sorted(policy.grades, key=lambda b: -b.min))
    return CompiledPolicy(
        base=policy.base,
        low=policy.bounds[0],
        high=policy.bounds[1],
        dimensions=policy.dimensions,
        kinds=MappingProxyType(kinds),
        grades=grades,
        revision=revision,
    )


def clamp(value: int, low: int, high: int) -> int:
    """``value`` limited to ``[low, high]``."""
    return min(max(value, low), high)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def raw_points(terms: KindTerms, amount: int | None) -> int:
    """Undecayed points of one record (step 3 of the definition)."""
    if terms.per_unit == 0:
        return terms.points
    units = min(amount or 0, terms.cap)
    return _sign(terms.per_unit) * min(abs(terms.per_unit) * units, terms.cap)


def is_active(terms: KindTerms, occurred_at_us: int, as_of_us: int) -> bool:
    """Whether a record counts at ``as_of_us`` (step 2: ``occurred <= as_of < expiry``)."""
    return occurred_at_us <= as_of_us < occurred_at_us + terms.expiry_us


def decayed_points(terms: KindTerms, raw: int, occurred_at_us: int, as_of_us: int) -> int:
    """Points of an *active* record after decay (step 4); truncation toward zero."""
    if not terms.linear:
        return raw
    remaining = occurred_at_us + terms.expiry_us - as_of_us
    return _sign(raw) * ((abs(raw) * remaining) // terms.expiry_us)


def record_points(
    policy: CompiledPolicy, kind: str, amount: int | None, occurred_at_us: int, as_of_us: int
) -> int:
    """Points one record contributes at ``as_of_us`` (0 if neutral or inactive)."""
    terms = policy.kinds.get(kind)
    if terms is None or not is_active(terms, occurred_at_us, as_of_us):
        return 0
    return decayed_points(terms, raw_points(terms, amount), occurred_at_us, as_of_us)


def aggregate(
    policy: CompiledPolicy, points: Iterable[tuple[str, int]]
) -> tuple[int, dict[str, int]]:
    """``(total, per-dimension sums)`` from ``(kind, points)`` pairs (step 5).

    Raises:
        KeyError: never for kinds with points; pairs of unruled kinds must carry 0 points.
    """
    dimensions = dict.fromkeys(policy.dimensions, 0)
    total = policy.base
    for kind, value in points:
        if value:
            dimension = policy.kinds[kind].dimension
            dimensions[dimension] = dimensions.get(dimension, 0) + value
            total += value
    return clamp(total, policy.low, policy.high), dimensions
