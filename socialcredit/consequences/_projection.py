"""List memberships as a projection: a pure function of a subject's facts, the policy and time.

A subject's *facts* are its effective records, the restorations granted to it and its hardship
periods, each with the ledger time the system learned it. :func:`listings` turns facts into
*listings* (intervals, independent of the time asked about); :func:`membership_at` gives a
listing's status at a time. Only facts recorded by ``known_us`` are used, so "as the system
knew it then" is the same call with an earlier ``known_us``.

Rules (see docs/consequences.md):

- a ground record lists its subject: noticed when recorded, in effect after the list's notice,
  for the ground's period;
- a record of a ``performed_by`` kind (occurring after the ground) ends it when recorded; a
  granted restoration ends every listing of the subject on that list in effect or noticed;
- a listing on a list that others escalate from, ending by expiry, starts one there;
- a grade list holds the subject while its grade (as known at each moment) is in the list's
  grades; a grade segment ends at the next record start or expiry that changes the grade;
- hardship (cannot pay) freezes, but does not extend, listings on ``hardship_freezes`` lists;
- early restoration on application is granted once the list's wait has passed since the
  earliest listing on it took effect (:func:`restoration_refusal`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from socialcredit.consequences._model import Listing, Membership, Status
from socialcredit.consequences._sector_listings import sector_grade_listings
from socialcredit.errors import Problem
from socialcredit.policy import ListDefinition, PolicyBundle
from socialcredit.records import RecordRow
from socialcredit.scoring import CompiledPolicy, clamp, raw_points
from socialcredit.timeutil import DAY_US, format_time

__all__ = [
    "DAY_US",
    "Listing",
    "SubjectFacts",
    "listings",
    "membership_at",
    "restoration_refusal",
]


@dataclass(slots=True)
class SubjectFacts:
    """What the ledger holds about one subject besides its records, in ledger order."""

    restorations: list[tuple[str, int]] = field(default_factory=list)  # (list, granted at)
    hardship: list[tuple[int, bool]] = field(default_factory=list)  # (recorded at, started?)

    def hardship_at(self, at_us: int, known_us: int) -> bool:
        """Whether a hardship period is open at ``at_us`` (facts known by ``known_us``)."""
        return self.hardship_since(at_us, known_us) is not None

    def hardship_since(self, at_us: int, known_us: int) -> int | None:
        """When the hardship period open at ``at_us`` began (facts known by ``known_us``), or
        None if none is open."""
        since = None
        for when, started in self.hardship:
            if when > min(at_us, known_us):
                break
            since = (when if since is None else since) if started else None
        return since


def listings(
    bundle: PolicyBundle,
    scoring: CompiledPolicy,
    records: Sequence[RecordRow],
    facts: SubjectFacts,
    subject_kind: str,
    known_us: int,
) -> tuple[Listing, ...]:
    """Every listing of a subject of ``subject_kind`` from its effective ``records`` and other
    ``facts``, using only what was recorded by ``known_us``."""
    rows = [r for r in records if r.recorded_at_us <= known_us]
    granted = [(lst, t) for lst, t in facts.restorations if t <= known_us]
    out: list[Listing] = []
    for definition in bundle.lists:
        if subject_kind not in definition.subject_kinds:
            continue
        if definition.grades:
            out += _grade_listings(definition, scoring, rows)
            continue
        if definition.sector_grade is not None:
            out += sector_grade_listings(definition, scoring, rows)
            continue
        out += [
            _ground_listing(definition, row, rows, granted)
            for row in rows
            if definition.ground(row.kind)
        ]
    for definition in bundle.lists:
        if definition.escalation is not None and subject_kind in definition.subject_kinds:
            out += _escalated(definition, out, granted)
    return tuple(out)


def _end(
    definition: ListDefinition, start_us: int, occurred_us: int, rows: list[RecordRow],
    granted: list[tuple[str, int]], natural_us: int,
) -> tuple[int, str]:  # fmt: skip
    """When a listing ends and why: the earliest performance or restoration, else expiry."""
    ends = [(natural_us, "expiry")]
    performed = definition.restoration.performed_by
    ends += [
        (r.recorded_at_us, "performance")
        for r in rows
        if r.kind in performed and r.occurred_at_us >= occurred_us
    ]
    ends += [(t, "restoration") for lst, t in granted if lst == definition.id and t >= start_us]
    until, why = min(ends)
    # performed before the ground was even on record: cured the moment it is noticed
    return max(until, start_us), why


def _ground_listing(
    definition: ListDefinition,
    row: RecordRow,
    rows: list[RecordRow],
    granted: list[tuple[str, int]],
) -> Listing:
    ground = definition.ground(row.kind)
    assert ground is not None
    noticed = row.recorded_at_us
    start = noticed + definition.notice_days * DAY_US
    until, why = _end(
        definition, noticed, row.occurred_at_us, rows, granted, start + ground.period_days * DAY_US
    )
    return Listing(definition.id, noticed, start, until, (row.position,), (row.kind,), why)


def _escalated(
    definition: ListDefinition, found: list[Listing], granted: list[tuple[str, int]]
) -> list[Listing]:
    assert definition.escalation is not None and definition.period_days is not None
    out = []
    for source in found:
        if source.list_id != definition.escalation.source or source.ended_by != "expiry":
            continue
        assert source.until_us is not None
        start = source.until_us
        noticed = start - definition.notice_days * DAY_US
        natural = start + definition.period_days * DAY_US
        until, why = _end(definition, noticed, start, [], granted, natural)
        kinds = tuple(f"escalated:{k}" for k in source.kinds)
        out.append(Listing(definition.id, noticed, start, until, source.grounds, kinds, why))
    return out


def _grade_listings(
    definition: ListDefinition, scoring: CompiledPolicy, rows: list[RecordRow]
) -> list[Listing]:
    """Segments where the grade (as known at each moment) is one of the list's grades."""
    events: list[tuple[int, int]] = []
    for row in rows:
        terms = scoring.kinds.get(row.kind)
        if terms is None:
            continue
        points = raw_points(terms, row.amount)
        start, end = (
            max(row.occurred_at_us, row.recorded_at_us),
            row.occurred_at_us + terms.expiry_us,
        )
        if points and start < end:
            events += [(start, points), (end, -points)]
    events.sort()
    out, total, opened = [], 0, None
    for i, (when, delta) in enumerate(events):
        total += delta
        if i + 1 < len(events) and events[i + 1][0] == when:
            continue  # apply every change at the same moment before judging the grade
        inside = (
            scoring.grade(clamp(scoring.base + total, scoring.low, scoring.high))
            in definition.grades
        )
        if inside and opened is None:
            opened = when
        elif not inside and opened is not None:
            out.append(_grade_listing(definition, opened, when))
            opened = None
    if opened is not None:
        out.append(_grade_listing(definition, opened, None))
    return out


def _grade_listing(definition: ListDefinition, start: int, end: int | None) -> Listing:
    kinds = tuple(f"grade:{g}" for g in definition.grades)
    effective = start + definition.notice_days * DAY_US
    return Listing(
        definition.id, start, effective, end, (), kinds, None if end is None else "expiry"
    )


def membership_at(
    listing: Listing | tuple[Any, ...], at_us: int, frozen: bool
) -> Membership | None:
    """The listing's membership at ``at_us`` (None before its notice); ``frozen`` when a
    hardship freezes its list at that time. ``listing`` may be a plain tuple of a
    :class:`Listing`'s fields, in order (as the consequence view keeps them)."""
    list_id, noticed_us, from_us, until_us, grounds, kinds, ended_by = listing
    if at_us < noticed_us:
        return None
    if until_us is not None and at_us >= until_us:
        status = Status.EXPIRED if ended_by == "expiry" else Status.RESTORED
    elif at_us < from_us:
        status = Status.NOTICED
    else:
        status = Status.FROZEN if frozen else Status.LISTED
    ended = status in (Status.EXPIRED, Status.RESTORED)
    return Membership(
        list_id, status, noticed_us, from_us, until_us, grounds, kinds,
        ended_by if ended else None,
    )  # fmt: skip


def restoration_refusal(
    list_id: str, definition: ListDefinition | None, memberships: Iterable[Membership], at_us: int
) -> Problem | None:
    """Why an application for early restoration from ``list_id`` made at ``at_us`` is refused,
    or None if it is granted: the rule of
    :func:`socialcredit.consequences.request_restoration`, as a pure function of the list's
    ``definition`` (None: the policy has no such list) and the subject's ``memberships`` at
    ``at_us`` (any lists). The list must allow restoration on application, the subject must
    be on it (listed or frozen), and the list's wait must have passed since the earliest of
    those listings took effect. The rule is formal: there is no discretion.
    """
    if definition is None:
        return Problem("list", f"no list {list_id!r}")
    after = definition.restoration.on_application_after_days
    if after is None:
        return Problem("list", f"{list_id} allows no early restoration on application; "
                               "it ends on performance or at the end of its period")  # fmt: skip
    starts = [
        m.from_us
        for m in memberships
        if m.list_id == list_id and m.status in (Status.LISTED, Status.FROZEN)
    ]
    if not starts:
        return Problem("subject", f"is not on {list_id}")
    eligible = min(starts) + after * DAY_US
    if at_us < eligible:
        return Problem(
            "list", f"restoration from {list_id} may be applied for from {format_time(eligible)}"
        )
    return None
