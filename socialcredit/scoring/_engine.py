"""The per-subject evaluator: scores, contributions and explanations, bitemporally.

``score(source, kind, id, as_of=..., known_at=...)`` applies :mod:`.definition` to the records
of one subject that the system knew at ``known_at`` (``recorded_at <= known_at``) and that
had occurred by ``as_of`` (``occurred_at <= as_of``): the *effective* records at ``known_at``
(:meth:`.records.RecordIndex.effective`: corrections applied, withdrawn and dispute-suspended
records left out).

``known_at`` defaults to ``as_of``: "the grade on 1 March, as known on 1 March", which is
what the subject could have been told that day and is reproducible forever. Pass
``known_at=now`` for "as we know it now" (including records filed late).

The policy defaults to the bundle in force at ``as_of`` as published in the ledger by
``known_at``, or the default bundle when none is published (or the source is an index not
tied to a ledger).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from socialcredit.ledger import Ledger
from socialcredit.policy import PolicyBundle, bundle_in_force, default_bundle
from socialcredit.records import RecordIndex, RecordRow, ledger_index, subject_index
from socialcredit.scoring._definition import (
    CompiledPolicy,
    aggregate,
    bin_points,
    clamp,
    compile_policy,
    feature_counts,
    is_active,
    record_points,
    sector_grades,
)
from socialcredit.timeutil import from_us, to_us

__all__ = [
    "Contribution",
    "ExpiryStep",
    "Explanation",
    "FeatureScore",
    "ScoreResult",
    "compiled_bundle",
    "evaluate",
    "explain",
    "from_us",
    "resolve_policy",
    "score",
    "to_us",
]

TOP_REASONS = 3
_CACHE_SIZE = 64
_COMPILED: dict[object, CompiledPolicy] = {}


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one known, already-occurred record contributes at ``as_of``.

    Attributes:
        position: the record's ledger position.
        kind: its record kind.
        dimension: the dimension its points count in (None for neutral kinds).
        points: points now (0 if neutral or expired).
        occurred_at: when the conduct happened.
        expires_at: when it stops counting (None for neutral kinds).
        reason: a sentence saying why it counts this much.
    """

    position: int
    kind: str
    dimension: str | None
    points: int
    occurred_at: datetime
    expires_at: datetime | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The contribution as JSON-able values."""
        return {
            "position": self.position,
            "kind": self.kind,
            "dimension": self.dimension,
            "points": self.points,
            "occurred_at": self.occurred_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class FeatureScore:
    """What one binned rule gives a subject: its count of active records and the bin's points."""

    feature: str
    dimension: str
    count: int
    points: int

    def to_json(self) -> dict[str, Any]:
        """The feature's points as JSON-able values."""
        return {
            "feature": self.feature,
            "dimension": self.dimension,
            "count": self.count,
            "points": self.points,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A subject's score at ``as_of`` as known at ``known_at``, under ``policy``."""

    subject_kind: str
    subject_id: str
    as_of: datetime
    known_at: datetime
    total: int
    dimensions: dict[str, int]
    grade: str
    contributions: tuple[Contribution, ...]
    revision: int | None
    features: tuple[FeatureScore, ...] = ()
    sector_grades: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The score as JSON-able values (the shape of ``score --json`` and the API); the
        binned rules' points under ``features`` only when the policy has binned rules, the
        grade of each sector scheme (scheme id to grade) under ``sector_grades`` only when
        the policy has schemes."""
        out = self._json()
        if self.features:
            out["features"] = [f.to_json() for f in self.features]
        if self.sector_grades:
            out["sector_grades"] = dict(self.sector_grades)
        return out

    def _json(self) -> dict[str, Any]:
        return {
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at.isoformat(),
            "total": self.total,
            "grade": self.grade,
            "dimensions": self.dimensions,
            "policy_revision": self.revision,
            "contributions": [c.to_json() for c in self.contributions],
        }


@dataclass(frozen=True, slots=True)
class ExpiryStep:
    """A date on which negative records stop counting, and the score from then on."""

    at: datetime
    positions: tuple[int, ...]
    total: int
    grade: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """A score with its main reasons and the subject's recourse.

    Attributes:
        result: the score being explained.
        top_reasons: the largest negative contributions, most negative first.
        next_grade: the grade just above, or None at the top.
        points_to_next_grade: points needed to reach it (None at the top).
        expiries: negative records' expiry dates in order, with the score after each if no
            new record arrives.
        top_bins: the binned rules whose bins cost the subject points, most costly first
            (ties in policy order), at most :data:`TOP_REASONS`: the adverse-action reason
            codes a learned scorecard reports for the subject.
    """

    result: ScoreResult
    top_reasons: tuple[Contribution, ...]
    next_grade: str | None
    points_to_next_grade: int | None
    expiries: tuple[ExpiryStep, ...]
    top_bins: tuple[FeatureScore, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The explanation as JSON-able values (``explain --json`` and the API); the binned
        rules that cost points under ``top_bins`` only when the policy has binned rules."""
        bins = {"top_bins": [f.to_json() for f in self.top_bins]} if self.result.features else {}
        return {
            **self.result.to_json(),
            **bins,
            "top_reasons": [c.position for c in self.top_reasons],
            "next_grade": self.next_grade,
            "points_to_next_grade": self.points_to_next_grade,
            "expiries": [
                {
                    "at": s.at.isoformat(),
                    "entries": list(s.positions),
                    "total": s.total,
                    "grade": s.grade,
                }
                for s in self.expiries
            ],
        }


def resolve_policy(
    ledger: Ledger | None,
    as_of: datetime,
    known_at: datetime,
    policy: PolicyBundle | CompiledPolicy | None = None,
) -> CompiledPolicy:
    """The compiled policy to score with (see the module docstring for the default)."""
    if isinstance(policy, CompiledPolicy):
        return policy
    if policy is None:
        published = None if ledger is None else bundle_in_force(ledger, as_of, known_at)
        if published is None:
            return _default_policy()
        policy = published.bundle
    return compiled_bundle(policy)


def compiled_bundle(bundle: PolicyBundle) -> CompiledPolicy:
    """``bundle`` compiled, cached by its content digest (bundles are immutable)."""
    found = _COMPILED.get(bundle.digest)
    if found is None:
        if len(_COMPILED) >= _CACHE_SIZE:
            _COMPILED.clear()
        found = compile_policy(
            bundle.scoring, bundle.catalogue, bundle.revision, bundle.sector_grades
        )
        _COMPILED[bundle.digest] = found
    return found


@cache
def _default_policy() -> CompiledPolicy:
    return compiled_bundle(default_bundle())


def _index(source: RecordIndex | Ledger, subject: tuple[str, str]) -> RecordIndex:
    """The index to read ``subject`` from: ``source`` itself, or the subject's own entries
    (the per-subject index), or the whole ledger when the store's index is incomplete."""
    if isinstance(source, RecordIndex):
        return source
    found = subject_index(source, *subject)
    return ledger_index(source) if found is None else found


def _known(rows: tuple[RecordRow, ...], as_of_us: int, known_at_us: int) -> list[RecordRow]:
    return [r for r in rows if r.recorded_at_us <= known_at_us and r.occurred_at_us <= as_of_us]


def _contribution(policy: CompiledPolicy, row: RecordRow, as_of_us: int) -> Contribution:
    terms = policy.kinds.get(row.kind)
    occurred = from_us(row.occurred_at_us)
    if terms is None:
        return Contribution(row.position, row.kind, None, 0, occurred, None, "neutral: no points")
    points = record_points(policy, row.kind, row.amount, row.occurred_at_us, as_of_us)
    expires = from_us(row.occurred_at_us + terms.expiry_us)
    day = f"{occurred:%Y-%m-%d}"
    if not is_active(terms, row.occurred_at_us, as_of_us):
        reason = f"{row.kind} on {day} expired on {expires:%Y-%m-%d}"
    else:
        fading = ", fading linearly" if terms.linear else ""
        reason = f"{row.kind} on {day}: {points:+d} {terms.dimension}{fading}"
        reason += f" until {expires:%Y-%m-%d}"
    return Contribution(row.position, row.kind, terms.dimension, points, occurred, expires, reason)


def evaluate(
    policy: CompiledPolicy,
    rows: tuple[RecordRow, ...],
    subject: tuple[str, str],
    as_of: datetime,
    known_at: datetime,
) -> ScoreResult:
    """Apply the definition to a subject's ``rows`` (not yet filtered) with ``policy``."""
    as_of_us, known_us = to_us(as_of), to_us(known_at)
    known = _known(rows, as_of_us, known_us)
    parts = tuple(_contribution(policy, r, as_of_us) for r in known)
    counts: tuple[int, ...] = ()
    if policy.features:  # binned rules (step 6)
        counts = feature_counts(policy, ((r.kind, r.occurred_at_us) for r in known), as_of_us)
    total, dimensions = aggregate(policy, ((c.kind, c.points) for c in parts), counts)
    features = tuple(
        FeatureScore(f.feature, f.dimension, n, bin_points(f, n))
        for f, n in zip(policy.features, counts, strict=False)
    )
    grade = policy.grade(total)
    revision = policy.revision
    sectors = sector_grades(
        policy,
        ((c.kind, c.points) for c in parts),
        [f.points for f in features],
        [(r.kind, r.occurred_at_us) for r in known] if policy.schemes else [],
        as_of_us,
        subject[0],
    )
    return ScoreResult(
        *subject, as_of, known_at, total, dimensions, grade, parts, revision, features, sectors
    )


def score(
    source: RecordIndex | Ledger,
    subject_kind: str,
    subject_id: str,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    policy: PolicyBundle | CompiledPolicy | None = None,
) -> ScoreResult:
    """The score of one subject at ``as_of`` as known at ``known_at`` (default ``as_of``).

    Args:
        source: a record index (used as is: catch it up first) or a ledger (read whole).
        subject_kind: ``person`` or ``organisation``.
        subject_id: the subject's external id.
        as_of: the time the score is for (aware).
        known_at: only records recorded at or before it count (aware; default ``as_of``).
        policy: a bundle or compiled policy; default as in the module docstring.

    Raises:
        ValueError: if ``as_of`` or ``known_at`` is naive.
    """
    known_at = as_of if known_at is None else known_at
    to_us(known_at)  # refuse naive times before touching the ledger
    index = _index(source, (subject_kind, subject_id))
    compiled = resolve_policy(index.ledger, as_of, known_at, policy)
    rows = index.effective(subject_kind, subject_id, to_us(known_at))
    return evaluate(compiled, rows, (subject_kind, subject_id), as_of, known_at)


def explain(
    source: RecordIndex | Ledger,
    subject_kind: str,
    subject_id: str,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    policy: PolicyBundle | CompiledPolicy | None = None,
) -> Explanation:
    """:func:`score` plus the top reasons for the grade and the subject's recourse.

    The expiry schedule re-evaluates the same known records (policy fixed) at each date a
    negative record expires, so positive records expiring or fading meanwhile are included.

    Raises:
        ValueError: if ``as_of`` or ``known_at`` is naive.
    """
    known_at = as_of if known_at is None else known_at
    to_us(known_at)
    index = _index(source, (subject_kind, subject_id))
    compiled = resolve_policy(index.ledger, as_of, known_at, policy)
    rows = index.effective(subject_kind, subject_id, to_us(known_at))
    result = evaluate(compiled, rows, (subject_kind, subject_id), as_of, known_at)
    negative = sorted((c for c in result.contributions if c.points < 0), key=_severity)
    better = compiled.better_band(result.grade)
    return Explanation(
        result=result,
        top_reasons=tuple(negative[:TOP_REASONS]),
        next_grade=None if better is None else better.grade,
        points_to_next_grade=None if better is None else better.min - result.total,
        expiries=_expiries(compiled, rows, result, negative),
        top_bins=_costly_bins(result.features),
    )


def _costly_bins(features: tuple[FeatureScore, ...]) -> tuple[FeatureScore, ...]:
    """The binned rules whose bins cost points, most costly first (a stable sort: ties keep
    policy order, as the scorecard's reason codes do), at most :data:`TOP_REASONS`."""
    costly = [f for f in features if f.points < 0]
    if len(costly) > 1:
        costly.sort(key=lambda f: f.points)
    return tuple(costly[:TOP_REASONS])


def _expiries_without_decay(
    policy: CompiledPolicy,
    rows: tuple[RecordRow, ...],
    result: ScoreResult,
    dates: dict[datetime, list[int]],
) -> tuple[ExpiryStep, ...]:
    """The expiry schedule when no kind decays: points are constant until expiry, so the
    total after each date is the base plus the points of records expiring later, plus the
    binned rules' points of the counts still active — one sort and one pass instead of a full
    evaluation per date (same answers as that evaluation)."""
    as_of_us = to_us(result.as_of)
    live: list[tuple[int, int, int]] = []  # (expires, points, binned rule counting it or -1)
    for row in rows:
        points = record_points(policy, row.kind, row.amount, row.occurred_at_us, as_of_us)
        if points:
            live.append((row.occurred_at_us + policy.kinds[row.kind].expiry_us, points, -1))
        counted = policy.counted.get(row.kind) if policy.counted else None
        if counted is not None and row.occurred_at_us <= as_of_us < row.occurred_at_us + counted[1]:
            live.append((row.occurred_at_us + counted[1], 0, counted[0]))
    live.sort()
    remaining = sum(points for _, points, _ in live)
    counts = [f.count for f in result.features]
    steps, cursor = [], 0
    for at in sorted(dates):
        at_us = to_us(at)
        while cursor < len(live) and live[cursor][0] <= at_us:
            remaining -= live[cursor][1]
            if live[cursor][2] >= 0:
                counts[live[cursor][2]] -= 1
            cursor += 1
        binned = sum(bin_points(f, n) for f, n in zip(policy.features, counts, strict=True))
        total = clamp(policy.base + remaining + binned, policy.low, policy.high)
        steps.append(ExpiryStep(at, tuple(sorted(dates[at])), total, policy.grade(total)))
    return tuple(steps)


def _binned_expiries(
    policy: CompiledPolicy,
    rows: tuple[RecordRow, ...],
    result: ScoreResult,
    dates: dict[datetime, list[int]],
) -> None:
    """Add to ``dates`` the expiry of every record counted by a binned rule that costs points
    now (its expiry may change the bin)."""
    costly = {i for i, f in enumerate(result.features) if f.points < 0}
    if not costly:
        return
    as_of_us = to_us(result.as_of)
    for row in _known(rows, as_of_us, to_us(result.known_at)):
        counted = policy.counted.get(row.kind)
        if counted is None or counted[0] not in costly:
            continue
        if row.occurred_at_us <= as_of_us < row.occurred_at_us + counted[1]:
            at = from_us(row.occurred_at_us + counted[1])
            if row.position not in dates.setdefault(at, []):
                dates[at].append(row.position)


def _severity(c: Contribution) -> tuple[int, int]:
    return c.points, c.position


def _expiries(
    policy: CompiledPolicy,
    rows: tuple[RecordRow, ...],
    result: ScoreResult,
    negative: list[Contribution],
) -> tuple[ExpiryStep, ...]:
    dates: dict[datetime, list[int]] = {}
    for c in negative:
        assert c.expires_at is not None  # negative points imply a ruled kind
        dates.setdefault(c.expires_at, []).append(c.position)
    _binned_expiries(policy, rows, result, dates)
    steps = []
    subject = (result.subject_kind, result.subject_id)
    # Only the records counted now: no record occurring after as_of is assumed.
    rows = tuple(_known(rows, to_us(result.as_of), to_us(result.known_at)))
    if not any(terms.linear for terms in policy.kinds.values()):
        return _expiries_without_decay(policy, rows, result, dates)
    for at in sorted(dates):
        after = evaluate(policy, rows, subject, at, result.known_at)
        steps.append(ExpiryStep(at, tuple(sorted(dates[at])), after.total, after.grade))
    return tuple(steps)
