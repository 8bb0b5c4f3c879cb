"""The impact assessment of a policy bundle, before it may take effect: one library call.

:func:`assess_bundle` runs a candidate bundle and the bundle in force on the same seeded
synthetic city (the demo city of :mod:`socialcredit.demo._city`, drawn in memory rather than
filed into a ledger) and reports what would change:

* **grades** — every subject scored at the end of the city's history by the one scoring
  definition's vectorised evaluator (:func:`socialcredit.scoring._vectorised.evaluate` on
  :class:`~socialcredit.scoring._vectorised.KindTable` of each bundle), before and after;
* **lists and measures** — every subject's listings by the consequences projection
  (:func:`socialcredit.consequences._projection.listings`, the same function the decision
  service uses), in effect at that time, and the measures the bundle's links attach to them:
  who each measure reaches before and after, who newly and who no longer;
* **false listings** — the candidate's black listings under the documented observation
  error (:data:`ASSUMPTION`): listed under the observed records but not under the true ones;
* **groups** — the effect by subject kind, age band and region (district);
* **fairness** — when the candidate has binned rules (a learned scorecard): approval and
  outcome rates by subject kind, age band and region on the seeded credit city, under the
  candidate and the bundle in force, with the gaps and how much of them the outcomes
  explain (:mod:`socialcredit.scorecard._fairness`);
* **the lab** — where the lab can express the bundle (its act kinds carry points), a short
  seeded run of the ``lawful_core`` scenario with each bundle's scoring; otherwise the
  assessment says why it was not run.

The policy package calls the lab only through this function (DESIGN.md, wave 2); the result
is recorded with :func:`socialcredit.policy._assessment.record_assessment`. Every number is
determined by the bundles and the arguments: the same call gives the same assessment.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from socialcredit.catalogue import default_catalogue
from socialcredit.consequences import (
    CompiledConsequences,
    Status,
    SubjectFacts,
    listings,
    membership_at,
)
from socialcredit.errors import Problem, ValidationError
from socialcredit.policy import GRADES, Colour, Effect, PolicyBundle
from socialcredit.scorecard import SCORED_AT, GroupCount, applications, approved, group_counts
from socialcredit.scoring import KindTable, compiled_bundle, evaluate_arrays
from socialcredit.simulation._impact_city import CityRecords, synthetic_city
from socialcredit.simulation._impact_report import (
    BundleRef,
    CityFacts,
    FairnessGap,
    FairnessGroup,
    FairnessImpact,
    FalseListing,
    GradeCount,
    GroupImpact,
    ImpactAssessment,
    LabMeasure,
    LabRun,
    ListImpact,
    MeasureImpact,
    per_million,
    rate_text,
)
from socialcredit.simulation._lab import run_scenario
from socialcredit.simulation._scenario import Scenario, shipped_scenarios, with_overrides
from socialcredit.timeutil import format_time, to_us

__all__ = [
    "ASSUMPTION",
    "DEFAULT_OBSERVATION_ERROR",
    "LAB_MEASURES",
    "ImpactAssessment",
    "assess_bundle",
]

#: The default probability that a record is attributed to the wrong subject.
DEFAULT_OBSERVATION_ERROR = 0.01
#: The observation error model, stated in every assessment.
ASSUMPTION = (
    "each record is, independently with probability e, attributed to another subject of the "
    "same kind drawn uniformly at random (the true subject loses it, an innocent one gains "
    "it); no other error"
)
#: The lab's headline measures reported by an assessment.
LAB_MEASURES = (
    "cooperation",
    "compliance",
    "trust",
    "fear",
    "low_share",
    "false_discovery_rate",
    "welfare",
)
_LAB_SCENARIO = "lawful_core"
_LAB_TAIL = 10  # lab measures are averaged over the last steps (one step is noisy)
_YEARS = 3
_END = date(2026, 11, 1)
_NO_FACTS = SubjectFacts()


@dataclass(frozen=True, eq=False)
class _Standing:
    """What one bundle does to the city at its end: grades, lists and measures in effect.

    ``rank`` is each subject's grade as an index into :data:`GRADES` (0 = AAA); ``lists``
    and ``measures`` are boolean masks over subjects.
    """

    rank: np.ndarray
    lists: dict[str, np.ndarray]
    colours: dict[str, str]
    measures: dict[str, np.ndarray]
    effects: dict[str, str]

    @property
    def restricted(self) -> np.ndarray:
        """Subjects reached by at least one restriction."""
        restrictions = [
            m for k, m in self.measures.items() if self.effects[k] == Effect.RESTRICTION
        ]
        return _any(restrictions, self.rank.size)


def assess_bundle(
    candidate: PolicyBundle,
    in_force: PolicyBundle | None,
    *,
    residents: int = 100_000,
    organisations: int = 5_000,
    seed: int = 2026,
    observation_error: float = DEFAULT_OBSERVATION_ERROR,
    lab_agents: int = 2_000,
    lab_steps: int = 100,
) -> ImpactAssessment:
    """Assess ``candidate`` against ``in_force`` (None: against no system at all).

    Args:
        candidate: the bundle to assess (checked, as every loaded bundle is).
        in_force: the bundle in force now, or None.
        residents, organisations, seed: the synthetic city (the demo city's generator).
        observation_error: the probability ``e`` of :data:`ASSUMPTION`, in ``[0, 1)``.
        lab_agents, lab_steps: the short lab run; ``lab_steps=0`` skips it.

    Returns:
        The assessment; JSON-able without floats through :meth:`ImpactAssessment.to_json`.

    Raises:
        ValidationError: naming every argument out of range.
    """
    _check_arguments(residents, organisations, observation_error, lab_agents, lab_steps)
    catalogue = default_catalogue()
    city = synthetic_city(
        catalogue, residents=residents, organisations=organisations, seed=seed, years=_YEARS,
        end=_END,
    )  # fmt: skip
    after = _standing(candidate, city)
    before = None if in_force is None else _before(in_force, candidate, after, city)
    moves = _moves(before, after)
    return ImpactAssessment(
        candidate=_ref(candidate),
        in_force=None if in_force is None else _ref(in_force),
        city=_city_facts(city, residents, organisations, seed),
        grades=_grades(before, after),
        moved_down=int(np.count_nonzero(moves[0])),
        moved_up=int(np.count_nonzero(moves[1])),
        measures=_measure_impacts(before, after),
        lists=_list_impacts(before, after),
        false_listing=_false_listing(candidate, city, after, observation_error, seed),
        groups=_groups(city, before, after, moves),
        lab=_lab(candidate, in_force, seed, lab_agents, lab_steps),
        fairness=_fairness(candidate, in_force, residents, organisations, seed),
    )


def _check_arguments(
    residents: int, organisations: int, error: float, agents: int, steps: int
) -> None:
    problems = [
        Problem(name, f"must be a whole number >= 0, got {value!r}")
        for name, value in (
            ("residents", residents),
            ("organisations", organisations),
            ("lab_agents", agents),
            ("lab_steps", steps),
        )
        if not isinstance(value, int) or value < 0
    ]
    if not (isinstance(error, int | float) and 0 <= error < 1):
        problems.append(Problem("observation_error", f"must be in [0, 1), got {error!r}"))
    if problems:
        raise ValidationError("impact assessment refused", problems)


def _city_facts(city: CityRecords, residents: int, organisations: int, seed: int) -> CityFacts:
    as_of = format_time(city.as_of_us)
    return CityFacts(residents, organisations, seed, _YEARS, as_of, city.records, city.refused)


def _ref(bundle: PolicyBundle) -> BundleRef:
    return BundleRef(bundle.revision, bundle.digest)


def _before(
    in_force: PolicyBundle, candidate: PolicyBundle, after: _Standing, city: CityRecords
) -> _Standing:
    """The standing under the bundle in force (the candidate's, if it is the same bundle)."""
    return after if in_force.digest == candidate.digest else _standing(in_force, city)


# -- one bundle on the city ------------------------------------------------------------------


def _standing(bundle: PolicyBundle, city: CityRecords) -> _Standing:
    """Grades, lists and measures of ``bundle`` on ``city`` at its end."""
    lists = _listed(bundle, city)
    measures = {m.id: np.zeros(city.size, dtype=bool) for m in bundle.measures.measures}
    for link in bundle.measures.links:
        measures[link.measure] |= lists[link.list]
    return _Standing(
        rank=_ranks(bundle, city),
        lists=lists,
        colours={d.id: d.colour.value for d in bundle.lists},
        measures=measures,
        effects={m.id: m.effect.value for m in bundle.measures.measures},
    )


def _ranks(bundle: PolicyBundle, city: CityRecords) -> np.ndarray:
    """Every subject's grade (index into :data:`GRADES`) by the vectorised evaluator."""
    table = KindTable.of(compiled_bundle(bundle))
    codes = table.encode(city.kinds)[city.kind] if city.kinds else city.kind
    scores = evaluate_arrays(
        table, city.subject, codes, city.amounts_or_zero(), city.occurred_us, city.size,
        city.as_of_us, recorded_us=city.recorded_us, known_at_us=city.as_of_us,
    )  # fmt: skip
    rank_of_code = np.array([GRADES.index(b.grade) for b in table.policy.grades], dtype=np.int64)
    return rank_of_code[scores.grades]


def _listed(bundle: PolicyBundle, city: CityRecords) -> dict[str, np.ndarray]:
    """Per list, the subjects in effect on it (status listed) at the city's end.

    Subjects are skipped exactly as the decision service skips them: when none of their
    records is a ground or a performance and no grade list can hold them.
    """
    compiled = CompiledConsequences(bundle)
    out = {d.id: np.zeros(city.size, dtype=bool) for d in bundle.lists}
    at = city.as_of_us
    for subject, rows in city.subject_rows():
        if not any(r.kind in compiled.relevant_kinds for r in rows) and (
            not compiled.may_reach_grade_list(rows)
        ):
            continue
        kind = city.subject_kind(subject)
        for listing in listings(bundle, compiled.scoring, rows, _NO_FACTS, kind, at):
            member = membership_at(listing, at, frozen=False)
            if member is not None and member.status == Status.LISTED:
                out[listing.list_id][subject] = True
    return out


def _any(masks: Iterable[np.ndarray], size: int) -> np.ndarray:
    """Subjects in at least one of ``masks`` (none if there are no masks)."""
    found = list(masks)
    return np.logical_or.reduce(found) if found else np.zeros(size, dtype=bool)


def _mask(found: Mapping[str, np.ndarray], key: str, size: int) -> np.ndarray:
    return found[key] if key in found else np.zeros(size, dtype=bool)


# -- comparisons -----------------------------------------------------------------------------


def _grades(before: _Standing | None, after: _Standing) -> tuple[GradeCount, ...]:
    counts_after = np.bincount(after.rank, minlength=len(GRADES))
    counts_before = None if before is None else np.bincount(before.rank, minlength=len(GRADES))
    return tuple(
        GradeCount(grade, None if counts_before is None else int(counts_before[i]),
                   int(counts_after[i]))
        for i, grade in enumerate(GRADES)
    )  # fmt: skip


def _delta(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int, int]:
    """``(before, after, newly, no longer)`` counts of two masks."""
    count = np.count_nonzero
    return (
        int(count(before)), int(count(after)),
        int(count(after & ~before)), int(count(before & ~after)),
    )  # fmt: skip


def _measure_impacts(before: _Standing | None, after: _Standing) -> tuple[MeasureImpact, ...]:
    old = {} if before is None else before.measures
    size = after.rank.size
    effects = {**({} if before is None else before.effects), **after.effects}
    return tuple(
        MeasureImpact(m, effects[m], *_delta(_mask(old, m, size), _mask(after.measures, m, size)))
        for m in sorted(effects, key=lambda m: (effects[m] != Effect.RESTRICTION, m))
    )


def _list_impacts(before: _Standing | None, after: _Standing) -> tuple[ListImpact, ...]:
    old = {} if before is None else before.lists
    size = after.rank.size
    colours = {**({} if before is None else before.colours), **after.colours}
    return tuple(
        ListImpact(k, colours[k], *_delta(_mask(old, k, size), _mask(after.lists, k, size)))
        for k in sorted(colours, key=lambda k: (colours[k] != Colour.BLACK, k))
    )


def _false_listing(
    candidate: PolicyBundle, city: CityRecords, truth: _Standing, error: float, seed: int
) -> FalseListing:
    """The candidate's black listings under observation error, against the true ones."""
    observed_city, moved = city.misattributed(error, seed)
    observed = truth.lists if moved == 0 else _listed(candidate, observed_city)
    black = [d.id for d in candidate.lists if d.colour == Colour.BLACK]
    by_list = []
    for list_id in black:
        listed, wrong = observed[list_id], observed[list_id] & ~truth.lists[list_id]
        n, f = int(np.count_nonzero(listed)), int(np.count_nonzero(wrong))
        by_list.append((list_id, n, f, rate_text(f, n)))
    seen = _any((observed[k] for k in black), city.size)
    true = _any((truth.lists[k] for k in black), city.size)
    listed_observed = int(np.count_nonzero(seen))
    false = int(np.count_nonzero(seen & ~true))
    ppm = round(error * 1_000_000)
    return FalseListing(
        assumption=ASSUMPTION.replace(" e,", f" e = {rate_text(ppm, 1_000_000)},"),
        observation_error=rate_text(ppm, 1_000_000),
        observation_error_ppm=ppm,
        misattributed=moved,
        listed_observed=listed_observed,
        false_listings=false,
        missed=int(np.count_nonzero(true & ~seen)),
        rate=rate_text(false, listed_observed),
        rate_ppm=per_million(false, listed_observed),
        by_list=tuple(by_list),
    )


def _moves(before: _Standing | None, after: _Standing) -> tuple[np.ndarray, np.ndarray]:
    """Subjects whose grade gets worse, and better (none when nothing is in force)."""
    if before is None:
        none = np.zeros(after.rank.size, dtype=bool)
        return none, none
    return after.rank > before.rank, after.rank < before.rank


def _groups(
    city: CityRecords,
    before: _Standing | None,
    after: _Standing,
    moves: tuple[np.ndarray, np.ndarray],
) -> tuple[GroupImpact, ...]:
    """The effect by subject kind, age band (residents) and region (district)."""
    kinds = np.array(["person"] * city.people + ["organisation"] * (city.size - city.people))
    dimensions = (("subject_kind", kinds), ("age_band", city.age_band), ("region", city.region))
    was = np.zeros(city.size, dtype=bool) if before is None else before.restricted
    masks = (*moves, was, after.restricted, after.restricted & ~was)
    return tuple(
        _group(dimension, label, labels == label, masks)
        for dimension, labels in dimensions
        for label in sorted({str(v) for v in labels.tolist()} - {""})
    )


def _group(
    dimension: str, label: str, inside: np.ndarray, masks: tuple[np.ndarray, ...]
) -> GroupImpact:
    """One group's row: its size, then each of ``masks`` counted inside it."""
    subjects = int(np.count_nonzero(inside))
    down, up, was, now, newly = (int(np.count_nonzero(inside & m)) for m in masks)
    return GroupImpact(
        dimension, label, subjects, down, up, was, now, newly, per_million(newly, subjects)
    )


# -- fairness ---------------------------------------------------------------------------------

_APPROVE_SHARE = 0.8
_MIN_GROUP = 30  # groups smaller than this are shown but left out of the gaps


def _fairness(
    candidate: PolicyBundle,
    in_force: PolicyBundle | None,
    residents: int,
    organisations: int,
    seed: int,
) -> FairnessImpact:
    """Approval and outcome rates by group, when the candidate has binned rules."""
    if not candidate.scoring.binned:
        return FairnessImpact(False, "the candidate bundle has no binned rules")
    subjects = residents + organisations
    if subjects == 0:
        return FairnessImpact(False, "the city has no subjects")
    dimensions = {rule.dimension for rule in candidate.scoring.binned}
    dimension = dimensions.pop() if len(dimensions) == 1 else "total"
    try:
        found = applications(
            candidate, subjects=subjects, organisation_share=organisations / subjects, seed=seed
        )
    except ValueError as error:
        return FairnessImpact(False, f"the credit city cannot be drawn: {error}")
    after = group_counts(found, approved(candidate, found, dimension, _APPROVE_SHARE))
    before = None
    if in_force is not None:
        approved_now = approved(in_force, found, dimension, _APPROVE_SHARE)
        before = group_counts(found, approved_now)
    note = (
        f"before: {'the bundle in force' if before is not None else 'no system at all'}. "
        "Applicants: the credit city's obligations originated in the year after the scoring "
        f"date; each bundle approves the best {rate_text(4, 5)} by its {dimension} score (ties "
        "at the cut-off approved too); the "
        f"outcomes follow the city's known data-generating process. Gaps: groups of "
        f">= {_MIN_GROUP} applications."
    )
    groups = tuple(
        _fairness_group(grouping, label, count, before)
        for grouping, rows in after.items()
        for label, count in rows.items()
    )
    gaps = tuple(_fairness_gap(g, after[g], None if before is None else before[g]) for g in after)
    return FairnessImpact(
        True, note, dimension, format_time(to_us(SCORED_AT)), subjects, found.size,
        rate_text(4, 5), groups, gaps,
    )  # fmt: skip


def _fairness_group(
    grouping: str,
    label: str,
    count: GroupCount,
    before: Mapping[str, Mapping[str, GroupCount]] | None,
) -> FairnessGroup:
    old = None if before is None else before[grouping][label]
    return FairnessGroup(
        grouping, label, count.n, rate_text(count.bad, count.n),
        None if old is None else rate_text(old.approved, old.n),
        rate_text(count.approved, count.n),
        None if old is None else rate_text(old.approved_good, old.good),
        rate_text(count.approved_good, count.good),
    )  # fmt: skip


def _spread(rows: Mapping[str, GroupCount], part: str, whole: str) -> int:
    """Largest minus smallest rate (ppm) of ``part / whole`` over the groups large enough."""
    rates = [
        per_million(getattr(r, part), getattr(r, whole))
        for r in rows.values()
        if r.n >= _MIN_GROUP and getattr(r, whole) > 0
    ]
    return max(rates) - min(rates) if rates else 0


def _gap_texts(rows: Mapping[str, GroupCount]) -> tuple[str, str, str | None]:
    """The approval gap, the gap among good outcomes and the share the outcomes explain."""
    approval, among_good = _spread(rows, "approved", "n"), _spread(rows, "approved_good", "good")
    explained = None if approval < 1_000 else rate_text(max(0, approval - among_good), approval)
    million = 1_000_000
    return rate_text(approval, million), rate_text(among_good, million), explained


def _fairness_gap(
    grouping: str,
    after: Mapping[str, GroupCount],
    before: Mapping[str, GroupCount] | None,
) -> FairnessGap:
    now = _gap_texts(after)
    was: tuple[str | None, str | None, str | None] = (
        (None, None, None) if before is None else _gap_texts(before)
    )
    bad = rate_text(_spread(after, "bad", "n"), 1_000_000)
    return FairnessGap(grouping, bad, was[0], now[0], was[1], now[1], was[2], now[2])


# -- the lab ---------------------------------------------------------------------------------


def _lab(
    candidate: PolicyBundle, in_force: PolicyBundle | None, seed: int, agents: int, steps: int
) -> LabRun:
    """A short seeded run of the lab's lawful core with each bundle's scoring."""
    if steps == 0 or agents == 0:
        return LabRun(False, "not asked for (no lab steps or agents)")
    scenario = with_overrides(
        shipped_scenarios()[_LAB_SCENARIO], {"agents": agents, "steps": steps, "seeds": 1}
    )
    with TemporaryDirectory(prefix="socialcredit-assess-") as tmp:
        try:
            after = _lab_means(scenario, candidate, Path(tmp) / "candidate", seed)
            before = _lab_means(scenario, in_force, Path(tmp) / "in_force", seed)
        except ValueError as error:
            return LabRun(False, f"the lab cannot express this bundle: {error}")
    baseline = "the bundle in force" if in_force is not None else "no system at all"
    note = (
        f"before: {baseline}. The lab scores synthetic agents' observed acts with each "
        "bundle's points, decay and grades; its consequences are the scenario's grade "
        "measures, not the bundle's lists."
    )
    measures = tuple(LabMeasure(m, before[m], after[m]) for m in LAB_MEASURES)
    return LabRun(True, note, _LAB_SCENARIO, agents, steps, seed, measures)


def _lab_means(
    scenario: Scenario, bundle: PolicyBundle | None, folder: Path, seed: int
) -> dict[str, str | None]:
    """The lab's headline measures, averaged over the last steps, as 4-decimal strings.

    Raises:
        ValueError: if the lab cannot run the bundle (an act kind without points).
    """
    if bundle is None:
        run = dataclasses.replace(scenario, institution=None)
    else:
        folder.mkdir()
        for name, data in bundle.files.items():
            (folder / name).write_bytes(data)
        run = with_overrides(scenario, {"institution.policy": str(folder)})
    table = run_scenario(run, seed)
    return {m: _mean_text(table[m][-_LAB_TAIL:]) for m in LAB_MEASURES}


def _mean_text(values: np.ndarray) -> str | None:
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None
    mean = float(finite.mean())
    return None if math.isnan(mean) else f"{mean:.4f}"
