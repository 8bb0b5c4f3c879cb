"""Listings by sector grade: a list entered while a subject's grade in a sector scheme is one
of the list's grades (``sector_grade`` in ``listings.yaml``, :mod:`socialcredit.policy._lists`).

The grade at each moment is the one definition's (:func:`socialcredit.scoring._definition.
sector_grades`, step 7) over the records known at that moment. It can change only when a
record becomes known, stops counting, leaves a trigger window or leaves a binned rule's count,
so the grade is judged at those moments; linear decay between them is not followed (as for
grade lists of the total score, :mod:`.projection`). A listing states the grade that opened it
(``taxpayer_credit grade D``), which every decision citing it repeats.
"""

from __future__ import annotations

from collections.abc import Sequence

from socialcredit.consequences._model import Listing
from socialcredit.policy import ListDefinition
from socialcredit.records import RecordRow
from socialcredit.scoring import (
    CompiledPolicy,
    SchemeTerms,
    bin_points,
    feature_counts,
    record_points,
    sector_grades,
)
from socialcredit.timeutil import DAY_US

__all__ = ["grade_moments", "sector_grade_at", "sector_grade_listings"]


def sector_grade_listings(
    definition: ListDefinition, scoring: CompiledPolicy, rows: Sequence[RecordRow]
) -> list[Listing]:
    """The segments in which the subject's grade in the list's scheme (as known at each
    moment) is one of the list's grades; ``rows`` are the subject's effective records known
    so far. A segment still open has ``until_us`` None. A list without ``sector_grade``, or a
    scheme the compiled policy lacks, gives none."""
    entry = definition.sector_grade
    scheme = None if entry is None else _scheme(scoring, entry.scheme)
    if entry is None or scheme is None or not rows:
        return []
    subject_kind = rows[0].subject_kind
    if subject_kind not in scheme.subject_kinds:
        return []  # the scheme does not grade this kind of subject
    out: list[Listing] = []
    opened: tuple[int, str] | None = None
    for when in grade_moments(scheme, scoring, rows):
        grade = sector_grade_at(scoring, scheme.id, rows, when, subject_kind)
        if grade in entry.grades and opened is None:
            opened = (when, grade)
        elif grade not in entry.grades and opened is not None:
            out.append(_listing(definition, scheme.id, opened, when))
            opened = None
    if opened is not None:
        out.append(_listing(definition, scheme.id, opened, None))
    return out


def sector_grade_at(
    scoring: CompiledPolicy,
    scheme_id: str,
    rows: Sequence[RecordRow],
    at_us: int,
    subject_kind: str,
) -> str | None:
    """The grade in scheme ``scheme_id`` at ``at_us`` of a subject of ``subject_kind`` from
    the ``rows`` known by then (recorded and occurred at or before it); None when the scheme
    does not grade that kind of subject.

    Raises:
        KeyError: if the compiled policy has no such scheme.
    """
    if subject_kind not in _named(scoring, scheme_id).subject_kinds:
        return None
    known = [r for r in rows if r.recorded_at_us <= at_us and r.occurred_at_us <= at_us]
    points = [
        (r.kind, record_points(scoring, r.kind, r.amount, r.occurred_at_us, at_us)) for r in known
    ]
    binned: list[int] = []
    if scoring.features:
        counts = feature_counts(scoring, ((r.kind, r.occurred_at_us) for r in known), at_us)
        binned = [bin_points(f, n) for f, n in zip(scoring.features, counts, strict=True)]
    pairs = [(r.kind, r.occurred_at_us) for r in known]
    return sector_grades(scoring, points, binned, pairs, at_us, subject_kind)[scheme_id]


def _scheme(scoring: CompiledPolicy, scheme_id: str) -> SchemeTerms | None:
    return next((s for s in scoring.schemes if s.id == scheme_id), None)


def _named(scoring: CompiledPolicy, scheme_id: str) -> SchemeTerms:
    found = _scheme(scoring, scheme_id)
    if found is None:
        raise KeyError(scheme_id)
    return found


def grade_moments(
    scheme: SchemeTerms, scoring: CompiledPolicy, rows: Sequence[RecordRow]
) -> list[int]:
    """Every moment, sorted, at which the scheme's grade of a subject with the effective
    ``rows`` may change: a record of the sector becoming known, and its points, trigger window
    or binned count ending (between them the grade is constant, linear decay aside)."""
    moments: set[int] = set()
    for row in rows:
        if row.kind not in scheme.history:
            continue
        start = max(row.occurred_at_us, row.recorded_at_us)
        moments.add(start)
        ends = []
        terms = scoring.kinds.get(row.kind)
        if terms is not None and row.kind in scheme.kinds:
            ends.append(row.occurred_at_us + terms.expiry_us)
        trigger = scheme.triggers.get(row.kind)
        if trigger is not None:
            ends.append(row.occurred_at_us + trigger[1])
        counted = scoring.counted.get(row.kind)
        if counted is not None and counted[0] in scheme.features:
            ends.append(row.occurred_at_us + counted[1])
        moments.update(end for end in ends if end > start)
    return sorted(moments)


def _listing(
    definition: ListDefinition, scheme: str, opened: tuple[int, str], end: int | None
) -> Listing:
    start, grade = opened
    effective = start + definition.notice_days * DAY_US
    kinds = (f"{scheme} grade {grade}",)
    return Listing(
        definition.id, start, effective, end, (), kinds, None if end is None else "expiry"
    )
