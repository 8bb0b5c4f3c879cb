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
6. **Binned rules** (:class:`FeatureTerms`). A binned rule's *count* is the number of the
   subject's records of its kinds active at ``as_of`` by step 2 (each with its own kind's
   expiry; amounts and decay play no part); its points are those of the first bin with
   ``count <= upto`` (the last bin is open). They are added to its dimension and, before the
   clamp of step 5, to the total. A count of 0 always earns 0 points, so a subject without
   records still scores ``base``.
7. **Sector grades** (:class:`SchemeTerms`, from the bundle's ``sector_grades.yaml``). A
   scheme's *sector score* is ``clamp(scheme.base + points, scheme.low, scheme.high)`` where
   ``points`` is the sum of the step-4 points of the records whose kinds have a rule in the
   scheme's dimension (less its excluded kinds) plus the step-6 points of the binned rules in
   that dimension. Its grade (:func:`sector_grade`), in this order: if a record of a trigger
   kind is within its window (``occurred_at_us <= as_of_us < occurred_at_us + window_us``),
   the worst such trigger's grade; else, if the subject has no record at all (``occurred_at
   <= as_of``, active or expired) of a kind ruled in the dimension, counted by its binned
   rules or triggering, the scheme's ``no_history`` grade; else the grade of the band holding
   the sector score. Grades are ranked by their index in ``scheme.grades`` (0 is best).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from socialcredit.catalogue import Catalogue, Gravity
from socialcredit.policy import BinnedRule, Decay, GradeBand, PerUnit, ScoringPolicy, SectorScheme
from socialcredit.timeutil import DAY_US

__all__ = [
    "US_PER_DAY",
    "CompiledPolicy",
    "FeatureTerms",
    "KindTerms",
    "SchemeTerms",
    "aggregate",
    "bin_points",
    "clamp",
    "compile_policy",
    "decayed_points",
    "feature_counts",
    "is_active",
    "raw_points",
    "record_points",
    "sector_grade",
    "sector_grades",
    "sector_inputs",
]

US_PER_DAY = DAY_US


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
class FeatureTerms:
    """The compiled form of one binned rule (step 6).

    Attributes:
        feature: the name of the count.
        dimension: the dimension its points count in.
        expiry_us: the kinds counted, each with the time its records stay active.
        uppers: the bins' inclusive upper bounds, ascending (the open last bin has none).
        points: the bins' points (one more than ``uppers``; the first is 0).
    """

    feature: str
    dimension: str
    expiry_us: Mapping[str, int]
    uppers: tuple[int, ...]
    points: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SchemeTerms:
    """The compiled form of one sector grade scheme (step 7).

    Attributes:
        id: the scheme id.
        dimension: the dimension it grades.
        base: the sector score of a subject whose records carry no points.
        low: lower bound of the sector score.
        high: upper bound of the sector score.
        kinds: the ruled kinds whose points count.
        features: indexes (into ``CompiledPolicy.features``) of the binned rules that count.
        history: every kind a record of which makes the subject known to the sector.
        triggers: per trigger kind, ``(grade rank, window_us)``.
        grades: the grades, best first (a grade's rank is its index).
        bands: ``(min, max, rank)`` of each band, highest first.
        no_history: the rank of the grade of a subject unknown to the sector.
        subject_kinds: the kinds of subject the scheme grades (others have no grade in it).
    """

    id: str
    dimension: str
    base: int
    low: int
    high: int
    kinds: frozenset[str]
    features: tuple[int, ...]
    history: frozenset[str]
    triggers: Mapping[str, tuple[int, int]]
    grades: tuple[str, ...]
    bands: tuple[tuple[int, int, int], ...]
    no_history: int
    subject_kinds: frozenset[str]

    def band_rank(self, score: int) -> int:
        """The rank of the band holding ``score`` (clamped to the bounds first)."""
        score = clamp(score, self.low, self.high)
        return next(rank for low, high, rank in self.bands if low <= score <= high)


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
        features: the binned rules (step 6), in policy order.
        counted: for each kind a binned rule counts, ``(index of the rule, expiry_us)`` (a
            kind is counted by at most one rule: the bundle check refuses more).
        schemes: the sector grade schemes (step 7), in bundle order.
    """

    base: int
    low: int
    high: int
    dimensions: tuple[str, ...]
    kinds: Mapping[str, KindTerms]
    grades: tuple[GradeBand, ...]
    revision: int | None = None
    features: tuple[FeatureTerms, ...] = ()
    counted: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    schemes: tuple[SchemeTerms, ...] = ()

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
    policy: ScoringPolicy,
    catalogue: Catalogue,
    revision: int | None = None,
    schemes: Sequence[SectorScheme] = (),
) -> CompiledPolicy:
    """Compile ``policy`` against ``catalogue`` into per-kind terms, with the sector grade
    ``schemes`` of its bundle (step 7).

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
    features = tuple(
        f for rule in policy.binned if (f := _feature(policy, catalogue, rule)) is not None
    )
    return CompiledPolicy(
        base=policy.base,
        low=policy.bounds[0],
        high=policy.bounds[1],
        dimensions=policy.dimensions,
        kinds=MappingProxyType(kinds),
        grades=grades,
        revision=revision,
        features=features,
        counted=MappingProxyType(
            {k: (i, us) for i, f in enumerate(features) for k, us in f.expiry_us.items()}
        ),
        schemes=tuple(_scheme(s, policy, kinds, features) for s in schemes),
    )


def _scheme(
    scheme: SectorScheme,
    policy: ScoringPolicy,
    kinds: Mapping[str, KindTerms],
    features: tuple[FeatureTerms, ...],
) -> SchemeTerms:
    """The terms of a sector scheme over the compiled kinds and binned rules."""
    ruled = {r.kind for r in policy.rules if r.dimension == scheme.dimension}
    counted = frozenset(k for k in ruled - set(scheme.exclude) if k in kinds)
    indexes = tuple(i for i, f in enumerate(features) if f.dimension == scheme.dimension)
    binned = {k for i in indexes for k in features[i].expiry_us}
    rank = {grade: i for i, grade in enumerate(scheme.grades)}
    triggers = {t.kind: (rank[t.grade], t.window_days * US_PER_DAY) for t in scheme.triggers}
    return SchemeTerms(
        id=scheme.id,
        dimension=scheme.dimension,
        base=scheme.base,
        low=scheme.bounds[0],
        high=scheme.bounds[1],
        kinds=counted,
        features=indexes,
        history=frozenset(ruled | binned | set(triggers)),
        triggers=MappingProxyType(triggers),
        grades=scheme.grades,
        bands=tuple((b.min, b.max, rank[b.grade]) for b in scheme.bands),
        no_history=rank[scheme.no_history],
        subject_kinds=frozenset(scheme.subject_kinds),
    )


def _feature(policy: ScoringPolicy, catalogue: Catalogue, rule: BinnedRule) -> FeatureTerms | None:
    """The terms of a binned rule; kinds that cannot count (unknown, neutral) are left out."""
    expiry: dict[str, int] = {}
    for kind in rule.kinds:
        record_kind = catalogue.kinds.get(kind)
        tier = None if record_kind is None else policy.tier(record_kind.gravity)
        if tier is not None:
            expiry[kind] = tier.expiry_days * US_PER_DAY
    if not expiry:
        return None
    uppers = tuple(b.upto for b in rule.bins if b.upto is not None)
    points = tuple(b.points for b in rule.bins)
    return FeatureTerms(rule.feature, rule.dimension, MappingProxyType(expiry), uppers, points)


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


def bin_points(feature: FeatureTerms, count: int) -> int:
    """The points of the bin ``count`` falls in (step 6)."""
    for upper, points in zip(feature.uppers, feature.points, strict=False):
        if count <= upper:
            return points
    return feature.points[-1]


def feature_counts(
    policy: CompiledPolicy, records: Iterable[tuple[str, int]], as_of_us: int
) -> tuple[int, ...]:
    """Each binned rule's count (step 6) over one subject's ``(kind, occurred_at_us)`` pairs."""
    counts = [0] * len(policy.features)
    counted = policy.counted
    for kind, occurred_us in records:
        hit = counted.get(kind)
        if hit is not None and occurred_us <= as_of_us < occurred_us + hit[1]:
            counts[hit[0]] += 1
    return tuple(counts)


def aggregate(
    policy: CompiledPolicy,
    points: Iterable[tuple[str, int]],
    counts: Iterable[int] = (),
) -> tuple[int, dict[str, int]]:
    """``(total, per-dimension sums)`` from ``(kind, points)`` pairs (step 5) and the binned
    rules' ``counts`` (step 6, in policy order; none: every count 0, so no points).

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
    for feature, count in zip(policy.features, counts, strict=False):
        value = bin_points(feature, count)
        if value:
            dimensions[feature.dimension] = dimensions.get(feature.dimension, 0) + value
            total += value
    return clamp(total, policy.low, policy.high), dimensions


def sector_grade(scheme: SchemeTerms, points: int, trigger: int, known: bool) -> int:
    """The rank of a subject's grade in ``scheme`` (step 7): the worst ``trigger`` rank (-1:
    none in its window), else ``no_history`` when the subject is not ``known`` to the sector,
    else the band of ``base + points``. The one place the order of these rules is written:
    the NumPy and SQL evaluators apply the same three steps to the same inputs."""
    if trigger >= 0:
        return trigger
    if not known:
        return scheme.no_history
    return scheme.band_rank(scheme.base + points)


def sector_inputs(
    scheme: SchemeTerms, records: Iterable[tuple[str, int]], as_of_us: int
) -> tuple[int, bool]:
    """``(worst trigger rank or -1, known to the sector)`` over one subject's ``(kind,
    occurred_at_us)`` pairs (step 7)."""
    worst, known = -1, False
    for kind, occurred_us in records:
        if occurred_us > as_of_us:
            continue
        if kind in scheme.history:
            known = True
        hit = scheme.triggers.get(kind)
        if hit is not None and as_of_us < occurred_us + hit[1]:
            worst = max(worst, hit[0])
    return worst, known


def sector_grades(
    policy: CompiledPolicy,
    points: Iterable[tuple[str, int]],
    feature_points: Sequence[int],
    records: Sequence[tuple[str, int]],
    as_of_us: int,
    subject_kind: str,
) -> dict[str, str]:
    """Every grade of a subject of ``subject_kind``, by scheme id (step 7), from the records'
    ``(kind, points)`` (step 4), the binned rules' points in policy order (step 6), and the
    ``(kind, occurred_at_us)`` of the same records. Schemes that do not grade subjects of
    that kind are left out."""
    if not policy.schemes:
        return {}
    pairs = list(points)
    out: dict[str, str] = {}
    for scheme in policy.schemes:
        if subject_kind not in scheme.subject_kinds:
            continue
        total = sum(value for kind, value in pairs if kind in scheme.kinds)
        total += sum(feature_points[i] for i in scheme.features if i < len(feature_points))
        trigger, known = sector_inputs(scheme, records, as_of_us)
        out[scheme.id] = scheme.grades[sector_grade(scheme, total, trigger, known)]
    return out
