"""The impact assessment as a value: JSON without floats, read back, and rendered as text.

:class:`ImpactAssessment` is what :func:`socialcredit.simulation._impact.assess_bundle`
returns and what the ledger stores (:meth:`ImpactAssessment.to_json`, version 1). Counts are
integers; rates are exact decimal strings with 4 places plus an integer in parts per
million, so the stored form is canonical JSON and the same run gives the same bytes.
:meth:`ImpactAssessment.from_json` reads a stored assessment back, and
:meth:`ImpactAssessment.summary_lines` renders one for a terminal or a web page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = [
    "BundleRef",
    "CityFacts",
    "FairnessGap",
    "FairnessGroup",
    "FairnessImpact",
    "FalseListing",
    "GradeCount",
    "GroupImpact",
    "ImpactAssessment",
    "LabMeasure",
    "LabRun",
    "ListImpact",
    "MeasureImpact",
    "fairness_lines",
    "per_million",
    "rate_text",
]

VERSION = 1


def rate_text(part: int, whole: int) -> str:
    """``part / whole`` as a decimal string with 4 places, rounded half up ("0.0000" if
    ``whole`` is 0)."""
    tenths_of_bp = 0 if whole <= 0 else (part * 20_000 + whole) // (2 * whole)
    return f"{tenths_of_bp // 10_000}.{tenths_of_bp % 10_000:04d}"


def per_million(part: int, whole: int) -> int:
    """``part / whole`` in parts per million, rounded half up (0 if ``whole`` is 0)."""
    return 0 if whole <= 0 else (part * 2_000_000 + whole) // (2 * whole)


class BundleRef(NamedTuple):
    """A bundle by revision and digest."""

    revision: int
    digest: str


class CityFacts(NamedTuple):
    """The synthetic city assessed: its parameters and size."""

    residents: int
    organisations: int
    seed: int
    years: int
    as_of: str
    records: int
    refused: int


class GradeCount(NamedTuple):
    """Subjects in ``grade`` before (None: nothing in force) and after."""

    grade: str
    before: int | None
    after: int


class MeasureImpact(NamedTuple):
    """Subjects a measure applies to before and after, and who is new or no longer."""

    measure: str
    effect: str
    before: int
    after: int
    newly: int
    no_longer: int


class ListImpact(NamedTuple):
    """Subjects in effect on a list before and after, and who is new or no longer."""

    list: str
    colour: str
    before: int
    after: int
    newly: int
    no_longer: int


class GroupImpact(NamedTuple):
    """The effect on one group of subjects (``dimension`` is subject_kind, age_band or
    region). ``moved_down`` / ``moved_up`` count grade changes (0 with nothing in force)."""

    dimension: str
    group: str
    subjects: int
    moved_down: int
    moved_up: int
    restricted_before: int
    restricted_after: int
    newly_restricted: int
    newly_restricted_ppm: int


class FalseListing(NamedTuple):
    """Listings of the candidate bundle that rest on observation error alone.

    A false listing: a subject in effect on a black list under the observed records but not
    under the true ones. ``rate`` is false listings over subjects listed under the observed
    records; ``missed`` counts the converse (listed under the true records only).
    """

    assumption: str
    observation_error: str
    observation_error_ppm: int
    misattributed: int
    listed_observed: int
    false_listings: int
    missed: int
    rate: str
    rate_ppm: int
    by_list: tuple[tuple[str, int, int, str], ...]  # (list, listed observed, false, rate)


class FairnessGroup(NamedTuple):
    """One group's applications on the credit city: the bad-outcome rate, and the approval
    rate (of all applications, and of those repaid on time) before and after; 4-decimal
    strings, None before when nothing is in force."""

    grouping: str
    group: str
    applications: int
    bad_rate: str
    approval_before: str | None
    approval_after: str
    approval_good_before: str | None
    approval_good_after: str


class FairnessGap(NamedTuple):
    """The gaps of one grouping (largest minus smallest rate over groups of >= 30
    applications), before and after. ``among_good`` is the approval gap among applications
    repaid on time, the part the outcomes do not explain; ``explained`` is
    ``1 - among_good / approval`` (None when the approval gap is below 0.001)."""

    grouping: str
    bad_rate: str
    approval_before: str | None
    approval_after: str
    among_good_before: str | None
    among_good_after: str
    explained_before: str | None
    explained_after: str | None


class FairnessImpact(NamedTuple):
    """Approval and outcome rates by group on the credit city, for a candidate with binned
    rules; otherwise ``ran`` is false and ``note`` says why."""

    ran: bool
    note: str
    dimension: str = ""
    scored_at: str = ""
    subjects: int = 0
    applications: int = 0
    approve_share: str = ""
    groups: tuple[FairnessGroup, ...] = ()
    gaps: tuple[FairnessGap, ...] = ()


#: What an assessment recorded before fairness was part of it reads back as.
NO_FAIRNESS = FairnessImpact(False, "not part of this assessment")


class LabMeasure(NamedTuple):
    """One headline measure of the lab run (mean of the last steps), 4-decimal strings;
    None where the measure is undefined (e.g. no records at all)."""

    measure: str
    before: str | None
    after: str | None


class LabRun(NamedTuple):
    """The short lab run, or why it was not run (``ran`` false, ``note`` says why)."""

    ran: bool
    note: str
    scenario: str = ""
    agents: int = 0
    steps: int = 0
    seed: int = 0
    measures: tuple[LabMeasure, ...] = ()


@dataclass(frozen=True, slots=True)
class ImpactAssessment:
    """What a candidate bundle would do, compared with the bundle in force (or nothing).

    Attributes:
        candidate: the assessed bundle.
        in_force: the bundle it is compared with; None when nothing is in force.
        city: the synthetic city it was run on.
        grades: subjects per grade, before and after, best grade first.
        moved_down, moved_up: subjects whose grade gets worse / better (0 with nothing
            in force).
        measures: per measure, who it applies to before and after.
        lists: per list, who is in effect on it before and after.
        false_listing: the candidate's false listings under the observation error.
        groups: the effect by subject kind, age band and region.
        lab: the short lab run, or why there is none.
        fairness: approval and outcome rates by group, for a candidate with binned rules.
    """

    candidate: BundleRef
    in_force: BundleRef | None
    city: CityFacts
    grades: tuple[GradeCount, ...]
    moved_down: int
    moved_up: int
    measures: tuple[MeasureImpact, ...]
    lists: tuple[ListImpact, ...]
    false_listing: FalseListing
    groups: tuple[GroupImpact, ...]
    lab: LabRun
    fairness: FairnessImpact = NO_FAIRNESS

    @property
    def newly_restricted(self) -> int:
        """Subjects newly restricted by any measure (every subject kind)."""
        return sum(g.newly_restricted for g in self.groups if g.dimension == "subject_kind")

    def to_json(self) -> dict[str, Any]:
        """The assessment as JSON-able values without floats (version 1)."""
        return {
            "version": VERSION,
            "candidate": self.candidate._asdict(),
            "in_force": None if self.in_force is None else self.in_force._asdict(),
            "city": self.city._asdict(),
            "grades": [g._asdict() for g in self.grades],
            "moved": {"down": self.moved_down, "up": self.moved_up},
            "measures": [m._asdict() for m in self.measures],
            "lists": [item._asdict() for item in self.lists],
            "false_listing": _false_json(self.false_listing),
            "groups": [g._asdict() for g in self.groups],
            "lab": _lab_json(self.lab),
            "fairness": _fairness_json(self.fairness),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImpactAssessment:
        """Read back :meth:`to_json` (e.g. from a ledger entry).

        Raises:
            ValueError: if ``data`` is not a version 1 assessment.
        """
        if data.get("version") != VERSION:
            raise ValueError(f"not a version {VERSION} impact assessment")
        try:
            return _from_json(data)
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed impact assessment: {error}") from error

    def summary_lines(self) -> list[str]:
        """The assessment as short lines of text: grade table, measures, false listings,
        groups, lab."""
        return list(_summary(self))


def _false_json(false: FalseListing) -> dict[str, Any]:
    out = false._asdict()
    out["by_list"] = [
        {"list": name, "listed_observed": listed, "false_listings": wrong, "rate": rate}
        for name, listed, wrong, rate in false.by_list
    ]
    return out


def _lab_json(lab: LabRun) -> dict[str, Any]:
    out = lab._asdict()
    out["measures"] = [m._asdict() for m in lab.measures]
    return out


def _fairness_json(fairness: FairnessImpact) -> dict[str, Any]:
    out = fairness._asdict()
    out["groups"] = [g._asdict() for g in fairness.groups]
    out["gaps"] = [g._asdict() for g in fairness.gaps]
    return out


def _fairness_from(data: Mapping[str, Any] | None) -> FairnessImpact:
    if data is None:  # recorded before fairness was part of the assessment
        return NO_FAIRNESS
    found = dict(data)
    found["groups"] = tuple(FairnessGroup(**g) for g in found["groups"])
    found["gaps"] = tuple(FairnessGap(**g) for g in found["gaps"])
    return FairnessImpact(**found)


def _from_json(data: Mapping[str, Any]) -> ImpactAssessment:
    false = dict(data["false_listing"])
    false["by_list"] = tuple(
        (i["list"], i["listed_observed"], i["false_listings"], i["rate"]) for i in false["by_list"]
    )
    lab = dict(data["lab"])
    lab["measures"] = tuple(LabMeasure(**m) for m in lab["measures"])
    in_force = data["in_force"]
    return ImpactAssessment(
        candidate=BundleRef(**data["candidate"]),
        in_force=None if in_force is None else BundleRef(**in_force),
        city=CityFacts(**data["city"]),
        grades=tuple(GradeCount(**g) for g in data["grades"]),
        moved_down=data["moved"]["down"],
        moved_up=data["moved"]["up"],
        measures=tuple(MeasureImpact(**m) for m in data["measures"]),
        lists=tuple(ListImpact(**item) for item in data["lists"]),
        false_listing=FalseListing(**false),
        groups=tuple(GroupImpact(**g) for g in data["groups"]),
        lab=LabRun(**lab),
        fairness=_fairness_from(data.get("fairness")),
    )


# -- text ------------------------------------------------------------------------------------


def _ref(ref: BundleRef | None) -> str:
    return "nothing in force" if ref is None else f"revision {ref.revision} ({ref.digest[:12]}…)"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _change(before: int | None, after: int) -> str:
    return "-" if before is None else f"{after - before:+,}"


def _summary(a: ImpactAssessment) -> Iterator[str]:
    c = a.city
    yield f"impact of {_ref(a.candidate)} against {_ref(a.in_force)}"
    yield (
        f"city: {c.residents:,} residents, {c.organisations:,} organisations, "
        f"{c.records:,} records over {c.years} years (seed {c.seed}, as of {c.as_of[:10]})"
    )
    yield f"{'grade':<8}{'before':>10}{'after':>10}{'change':>10}"
    for g in a.grades:
        yield f"{g.grade:<8}{_count(g.before):>10}{g.after:>10,}{_change(g.before, g.after):>10}"
    if a.in_force is not None:
        yield f"grade moved down for {a.moved_down:,} subjects, up for {a.moved_up:,}"
    yield from _measure_lines(a)
    yield from _false_lines(a.false_listing)
    yield from _group_lines(a)
    yield from _lab_lines(a.lab)
    yield from fairness_lines(a.fairness)


def _measure_lines(a: ImpactAssessment) -> Iterator[str]:
    yield "measures (subjects it applies to):"
    width = max([len(m.measure) for m in a.measures] + [8])
    for m in a.measures:
        yield (
            f"  {m.measure:<{width}} {m.effect:<11} before {m.before:>7,}  after {m.after:>7,}"
            f"  newly {m.newly:>7,}  no longer {m.no_longer:>7,}"
        )
    if not a.measures:
        yield "  (no measures)"
    yield f"newly restricted by any measure: {a.newly_restricted:,} subjects"


def _false_lines(f: FalseListing) -> Iterator[str]:
    yield (
        f"false listings: rate {f.rate} ({f.false_listings:,} of {f.listed_observed:,} black-"
        f"listed subjects; {f.rate_ppm:,} ppm) at observation error {f.observation_error}; "
        f"missed {f.missed:,}"
    )
    yield f"  assumption: {f.assumption}"


def _group_lines(a: ImpactAssessment) -> Iterator[str]:
    yield "by group (restricted: by any restriction, before -> after):"
    yield (
        f"  {'group':<24}{'subjects':>9}{'down':>8}{'up':>8}{'restricted':>18}"
        f"{'newly':>8}{'ppm':>9}"
    )
    for g in a.groups:
        label = f"{g.dimension.replace('_', ' ')} {g.group}"
        restricted = f"{g.restricted_before:,} -> {g.restricted_after:,}"
        yield (
            f"  {label:<24}{g.subjects:>9,}{g.moved_down:>8,}{g.moved_up:>8,}{restricted:>18}"
            f"{g.newly_restricted:>8,}{g.newly_restricted_ppm:>9,}"
        )


def _lab_lines(lab: LabRun) -> Iterator[str]:
    if not lab.ran:
        yield f"lab: not run ({lab.note})"
        return
    yield (
        f"lab: {lab.scenario}, {lab.agents:,} agents, {lab.steps} steps, seed {lab.seed} "
        f"(mean of the last steps, before -> after)"
    )
    for m in lab.measures:
        yield f"  {m.measure:<22}{m.before or 'n/a':>8} -> {m.after or 'n/a'}"
    yield f"  note: {lab.note}"


def fairness_lines(f: FairnessImpact) -> Iterator[str]:
    """The fairness part of an assessment as short lines of text."""
    if not f.ran:
        yield f"fairness: not assessed ({f.note})"
        return
    yield (
        f"fairness on the credit city ({f.subjects:,} subjects, {f.applications:,} applications "
        f"scored {f.scored_at[:10]} on {f.dimension}, {f.approve_share} approved; before -> after):"
    )
    yield (f"  {'group':<24}{'n':>7}{'bad rate':>10}{'approval':>18}{'approval if good':>20}")
    for g in f.groups:
        label = f"{g.grouping.replace('_', ' ')} {g.group}"
        yield (
            f"  {label:<24}{g.applications:>7,}{g.bad_rate:>10}"
            f"{_pair(g.approval_before, g.approval_after):>18}"
            f"{_pair(g.approval_good_before, g.approval_good_after):>20}"
        )
    for gap in f.gaps:
        yield (
            f"  gap by {gap.grouping.replace('_', ' ')}: bad rate {gap.bad_rate}, approval "
            f"{_pair(gap.approval_before, gap.approval_after)}, among good "
            f"{_pair(gap.among_good_before, gap.among_good_after)}, explained by outcomes "
            f"{_pair(gap.explained_before, gap.explained_after)}"
        )
    yield f"  note: {f.note}"


def _pair(before: str | None, after: str | None) -> str:
    return f"{before or '-'} -> {after or '-'}"
