"""From memberships to a decision: which measures apply to a service, why, and the recourse.

:class:`CompiledConsequences` indexes a bundle's links by service once, so a decision is a few
dictionary lookups. :func:`make_decision` is pure: the same memberships, policy and time give
the same decision, which is what lets a ``DecisionMade`` entry be replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta

from socialcredit.consequences.model import (
    Decision,
    FrozenRestriction,
    ListTerms,
    Membership,
    Outcome,
    Reason,
    Status,
)
from socialcredit.errors import Problem, ValidationError
from socialcredit.policy import PolicyBundle
from socialcredit.policy.lists import ListDefinition
from socialcredit.policy.measures import Effect, Measure
from socialcredit.scoring.definition import CompiledPolicy, raw_points
from socialcredit.scoring.engine import compiled_bundle, from_us
from socialcredit.scoring.records import RecordRow

__all__ = ["CompiledConsequences", "add_working_days", "frozen_restrictions", "make_decision"]

_HUMAN_REVIEW = (
    "You may dispute any record behind this decision, and ask for a human review of this "
    "automated decision (GDPR Art. 22; PIPL Art. 24)."
)
_REPRESENTATIVE = (
    "This applies to you only in your role as legal representative of {org}, which is on "
    "{list}; your own score and records are not affected (no one is scored for another's "
    "conduct or associations), and it ends when {org}'s listing ends."
)


class CompiledConsequences:
    """A bundle's lists and measures, indexed for decisions."""

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        self.revision, self.digest = bundle.revision, bundle.digest  # digest hashes: compute once
        self.scoring: CompiledPolicy = compiled_bundle(bundle)
        self.lists = {d.id: d for d in bundle.lists}
        self.measures = measures = {m.id: m for m in bundle.measures.measures}
        self.basis = {(k.list, k.measure): k.legal_basis for k in bundle.measures.links}
        # service -> list -> the measures that list triggers for the service
        self.services: dict[str, dict[str, tuple[Measure, ...]]] = {}
        for service in bundle.measures.services:
            by_list: dict[str, list[Measure]] = {}
            for link in bundle.measures.links:
                if link.measure in service.measures:
                    by_list.setdefault(link.list, []).append(measures[link.measure])
            self.services[service.id] = {k: tuple(v) for k, v in by_list.items()}
        self.by_list: dict[str, tuple[Measure, ...]] = {}  # list -> every measure it triggers
        for link in bundle.measures.links:
            self.by_list[link.list] = (*self.by_list.get(link.list, ()), measures[link.measure])
        self.relevant_kinds = frozenset(
            kind
            for d in bundle.lists
            for kind in (*(g.kind for g in d.grounds), *d.restoration.performed_by)
        )
        self.has_grade_lists = any(d.grades for d in bundle.lists)
        self.grade_floor = _grade_floor(bundle, self.scoring)

    def may_reach_grade_list(self, rows: Iterable[RecordRow]) -> bool:
        """False only when no grade list can hold a subject with these records: every grade
        list is above the base and even all their positive points together stay below it."""
        if not self.has_grade_lists:
            return False
        if self.grade_floor is None:
            return True
        kinds, best = self.scoring.kinds, self.scoring.base
        for row in rows:
            terms = kinds.get(row.kind)
            if terms is not None:
                best += max(0, raw_points(terms, row.amount))
        return best >= self.grade_floor

    def terms(self, list_id: str) -> ListTerms:
        """The name and measures of ``list_id`` (a list of this bundle)."""
        d = self.lists[list_id]
        measures = tuple((m.id, m.name, m.effect.value) for m in self.by_list.get(list_id, ()))
        return ListTerms(d.id, d.name, d.colour.value, measures, d.hardship_freezes)

    def triggers(self, service: str) -> dict[str, tuple[Measure, ...]]:
        """The lists that bear on ``service`` and their measures.

        Raises:
            ValidationError: naming ``service`` if the policy has no such service.
        """
        found = self.services.get(service)
        if found is None:
            known = ", ".join(sorted(self.services))
            raise ValidationError(
                "unknown service", [Problem("service", f"{service!r} is not one of: {known}")]
            )
        return found


def _grade_floor(bundle: PolicyBundle, scoring: CompiledPolicy) -> int | None:
    """The lowest score of any grade list's grades if they all lie above the base, else None."""
    bands = [scoring.band(g) for d in bundle.lists for g in d.grades]
    if not bands or any(b.min <= scoring.base for b in bands):
        return None
    return min(b.min for b in bands)


def add_working_days(start_us: int, days: int) -> int:
    """``start_us`` plus ``days`` working days (Monday to Friday; no holiday calendar)."""
    moment = from_us(start_us)
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    delta = moment - from_us(0)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _day(us: int | None) -> str:
    return "open" if us is None else f"{from_us(us):%Y-%m-%d}"


def _reason(
    compiled: CompiledConsequences, measure: Measure, member: Membership, org: str | None
) -> Reason:
    definition = compiled.lists[member.list_id]
    link_basis = compiled.basis.get((member.list_id, measure.id))
    basis = measure.legal_basis + (f"; link: {link_basis}" if link_basis else "")
    records = ", ".join(f"#{p}" for p in member.grounds) or ", ".join(member.kinds)
    text = (
        f"{measure.name}: on {definition.name} since {_day(member.from_us)} "
        f"(records {records}: {', '.join(member.kinds)}), until {_day(member.until_us)}"
    )
    if org is not None:
        text += ". " + _REPRESENTATIVE.format(org=org, list=definition.name)
    return Reason(measure.id, member.list_id, member.grounds, basis, text)


def _recourse(definition: ListDefinition, member: Membership, at_us: int) -> list[str]:
    out = []
    restoration = definition.restoration
    if restoration.performed_by:
        due = add_working_days(at_us, restoration.within_working_days)
        out.append(
            f"{definition.name}: perform the obligation ({', '.join(restoration.performed_by)} "
            f"on record) and the listing is removed within {restoration.within_working_days} "
            f"working days (if performed today, by {_day(due)})."
        )
    if restoration.on_application_after_days is not None:
        eligible = member.from_us + restoration.on_application_after_days * 86_400_000_000
        out.append(
            f"{definition.name}: after correcting the conduct, apply for early restoration "
            f"from {_day(max(eligible, at_us))} (socialcredit restore)."
        )
    if definition.hardship_freezes:
        out.append(
            f"{definition.name}: if you cannot pay (as opposed to will not pay), ask for "
            "hardship to be recorded: these restrictions are frozen while it lasts."
        )
    out.append(f"{definition.name}: the listing ends at the latest on {_day(member.until_us)}.")
    return out


def frozen_restrictions(
    compiled: CompiledConsequences,
    memberships: Iterable[Membership],
    since_us: int | None,
    service: str | None = None,
) -> tuple[FrozenRestriction, ...]:
    """The restrictions that hardship freezes: those of the frozen ``memberships`` (that bear
    on ``service``, if given), once each.

    Raises:
        ValidationError: naming ``service`` if the policy has no such service.
    """
    triggers = compiled.by_list if service is None else compiled.triggers(service)
    found: dict[tuple[str, str], FrozenRestriction] = {}
    for member in memberships:
        if member.status != Status.FROZEN:
            continue
        name = compiled.lists[member.list_id].name
        for m in triggers.get(member.list_id, ()):
            if m.effect == Effect.RESTRICTION:
                key = (m.id, member.list_id)
                found[key] = FrozenRestriction(m.id, m.name, member.list_id, name, since_us)
    return tuple(found.values())


def make_decision(
    compiled: CompiledConsequences,
    subject: tuple[str, str],
    service: str,
    at_us: int,
    memberships: Iterable[Membership],
    represented: Sequence[tuple[str, Membership]] = (),
    *,
    hardship_since_us: int | None = None,
) -> Decision:
    """The decision for ``subject`` asking for ``service`` at ``at_us``.

    Args:
        memberships: the subject's memberships at ``at_us`` (any status).
        represented: ``(organisation id, membership)`` of organisations the subject is the
            legal representative of; only their role-bound measures reach the subject.
        hardship_since_us: when the subject's open hardship period began, if any; the
            decision names the restrictions it freezes (see :func:`frozen_restrictions`).

    Raises:
        ValidationError: naming ``service`` if the policy has no such service.
    """
    triggers = compiled.triggers(service)
    memberships = list(memberships)
    applied: dict[str, Reason] = {}  # one reason per measure: a measure never stacks
    recourse: list[str] = []
    warnings: list[str] = []
    for member, org in [(m, None) for m in memberships] + [(m, o) for o, m in represented]:
        measures = triggers.get(member.list_id)
        if not measures:
            continue
        if member.status == Status.NOTICED and org is None:
            warnings.append(
                f"Warning: {compiled.lists[member.list_id].name} takes effect on "
                f"{_day(member.from_us)} unless the obligation is performed first."
            )
        if member.status != Status.LISTED:
            continue
        for measure in measures:
            if (org is None or measure.role_bound) and measure.id not in applied:
                applied[measure.id] = _reason(compiled, measure, member, org)
                recourse += _recourse(compiled.lists[member.list_id], member, at_us)
    decision = _decision(compiled, subject, service, at_us, applied, recourse, warnings)
    frozen = frozen_restrictions(compiled, memberships, hardship_since_us, service)
    return replace(decision, frozen=frozen) if frozen else decision


def _decision(
    compiled: CompiledConsequences,
    subject: tuple[str, str],
    service: str,
    at_us: int,
    applied: dict[str, Reason],
    recourse: list[str],
    warnings: list[str],
) -> Decision:
    effects = {compiled.measures[m].effect for m in applied}
    if Effect.RESTRICTION in effects:
        outcome = Outcome.DENY
        applied = {
            k: r for k, r in applied.items()
            if compiled.measures[k].effect == Effect.RESTRICTION
        }  # fmt: skip
        recourse.append(_HUMAN_REVIEW)
    else:
        outcome = Outcome.REWARD if applied else Outcome.ALLOW
    return Decision(
        subject[0], subject[1], service, at_us, outcome, tuple(applied),
        tuple(applied.values()), tuple(dict.fromkeys(warnings + recourse)),
        compiled.revision, compiled.digest,
    )  # fmt: skip
