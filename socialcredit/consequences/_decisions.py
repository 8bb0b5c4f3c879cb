"""From memberships to a decision: which measures apply to a service, why, and the recourse.

:class:`CompiledConsequences` indexes a bundle's links by service once, so a decision is a few
dictionary lookups. :func:`make_decision` is pure: the same memberships, policy and time give
the same decision, which is what lets a ``DecisionMade`` entry be replayed.

Every sentence of a decision (a reason, a warning, a step of recourse) is one of
:data:`PHRASES`, filled in with codes, names and dates: the ledger keeps the English sentence
(:func:`phrase_text`), and :func:`read_phrase` reads any sentence these templates wrote back
into its key and values, so that a page can say it in the reader's language, entries recorded
before this existed included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from socialcredit.catalogue import Catalogue
from socialcredit.consequences._model import (
    Decision,
    FrozenRestriction,
    ListTerms,
    Membership,
    Outcome,
    Reason,
    Status,
)
from socialcredit.errors import Problem, ValidationError
from socialcredit.policy import (
    NDRC_2023,
    Effect,
    ListDefinition,
    Measure,
    PolicyBundle,
    RepairRules,
)
from socialcredit.records import RecordRow
from socialcredit.rights import repairable_kind
from socialcredit.scoring import CompiledPolicy, compiled_bundle, raw_points
from socialcredit.timeutil import from_us

__all__ = [
    "PHRASES",
    "CompiledConsequences",
    "Phrase",
    "add_working_days",
    "frozen_restrictions",
    "make_decision",
    "phrase_text",
    "read_phrase",
]

_REASON = "{measure}: on {list} since {since} (records {records}: {kinds}), until {until}"
#: The sentences of a decision, by key, as English templates over named values: ``measure``
#: and ``list`` are the bundle's names, ``kinds`` and ``performed_by`` record kinds (codes,
#: comma-separated), ``records`` ledger positions (``#12, #15``) or kinds, ``since``, ``until``,
#: ``due`` and ``start`` days (``2025-04-11``; ``until`` may be ``open``), ``days`` a number,
#: ``org`` an organisation's id.
PHRASES: Mapping[str, str] = {
    "reason": _REASON,
    "reason_representative": _REASON
    + (
        ". This applies to you only in your role as legal representative of {org}, which is "
        "on {list}; your own score and records are not affected (no one is scored for "
        "another's conduct or associations), and it ends when {org}'s listing ends."
    ),
    "recourse_perform": (
        "{list}: perform the obligation ({performed_by} on record) and the listing is removed "
        "within {days} working days (if performed today, by {due})."
    ),
    "recourse_apply": (
        "{list}: after correcting the conduct, apply for early restoration from {start} "
        "(socialcredit restore)."
    ),
    "recourse_hardship": (
        "{list}: if you cannot pay (as opposed to will not pay), ask for hardship to be "
        "recorded: these restrictions are frozen while it lasts."
    ),
    "recourse_ends": "{list}: the listing ends at the latest on {until}.",
    "recourse_repair": (
        "{list}: once an administrative penalty behind it ({kinds}) is performed and its "
        "minimum publicity period has passed, apply with a credit commitment for credit repair "
        "to end its publication early (socialcredit repair apply)."
    ),
    "warning_noticed": (
        "Warning: {list} takes effect on {start} unless the obligation is performed first."
    ),
    "human_review": (
        "You may dispute any record behind this decision, and ask for a human review of this "
        "automated decision (GDPR Art. 22; PIPL Art. 24)."
    ),
}
# What a value can be when read back: days are dates (or "open"), a count is digits.
_VALUE = {"since": r"\d{4}-\d{2}-\d{2}", "until": r"\d{4}-\d{2}-\d{2}|open", "days": r"\d+"}
_VALUE |= {"due": _VALUE["since"], "start": _VALUE["since"]}
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Phrase:
    """One sentence of a decision: the key of its template in :data:`PHRASES` and its values."""

    key: str
    values: Mapping[str, str]


def phrase_text(phrase: Phrase) -> str:
    """The English sentence of ``phrase`` (what the ledger keeps).

    Raises:
        KeyError: if the key is not in :data:`PHRASES` or a value is missing.
    """
    return PHRASES[phrase.key].format(**phrase.values)


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that reads ``template``'s values back (a repeated value must repeat)."""
    out, seen, at = [], set(), 0
    for match in _FIELD.finditer(template):
        out.append(re.escape(template[at : match.start()]))
        name = match.group(1)
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{_VALUE.get(name, '.+?')})")
        seen.add(name)
        at = match.end()
    out.append(re.escape(template[at:]))
    return re.compile("".join(out), re.DOTALL)


_PATTERNS = {key: _pattern(template) for key, template in PHRASES.items()}


def read_phrase(text: str) -> Phrase | None:
    """The phrase an English sentence of a decision was written from, or None if it is none of
    :data:`PHRASES` (a sentence of some other origin is shown as written)."""
    for key, pattern in _PATTERNS.items():
        match = pattern.fullmatch(text)
        if match is not None:
            return Phrase(key, match.groupdict())
    return None


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
        # kinds whose records make a subject known to a scheme that some list enters by
        entered = {d.sector_grade.scheme for d in bundle.lists if d.sector_grade}
        self.sector_kinds = frozenset(
            kind for s in self.scoring.schemes if s.id in entered for kind in s.history
        )

    def may_reach_grade_list(self, rows: Iterable[RecordRow]) -> bool:
        """False only when no grade list can hold a subject with these records: every grade
        list is above the base and even all their positive points together stay below it, and
        no record is of a sector that a list enters by sector grade."""
        if self.sector_kinds:
            rows = list(rows)
            if any(r.kind in self.sector_kinds for r in rows):
                return True
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
    values = {
        "measure": measure.name,
        "list": definition.name,
        "since": _day(member.from_us),
        "records": ", ".join(f"#{p}" for p in member.grounds) or ", ".join(member.kinds),
        "kinds": ", ".join(member.kinds),
        "until": _day(member.until_us),
    }
    if org is None:
        text = phrase_text(Phrase("reason", values))
    else:
        text = phrase_text(Phrase("reason_representative", {**values, "org": org}))
    return Reason(measure.id, member.list_id, member.grounds, basis, text)


def _cited(reason: Reason, memoranda: Mapping[tuple[str, str], tuple[str, str]] | None) -> Reason:
    """``reason`` citing the memorandum that links its list to its measure, if one does."""
    found = None if not memoranda else memoranda.get((reason.list_id, reason.measure))
    if found is None:
        return reason
    r = reason  # the constructor, not dataclasses.replace: this is on the decision hot path
    return Reason(r.measure, r.list_id, r.grounds, r.legal_basis, r.text, found[0], found[1])


def _recourse(
    definition: ListDefinition,
    member: Membership,
    at_us: int,
    catalogue: Catalogue | None = None,
    repair: RepairRules = NDRC_2023,
) -> list[str]:
    phrases = []
    restoration, name = definition.restoration, definition.name
    if restoration.performed_by:
        due = add_working_days(at_us, restoration.within_working_days)
        values = {"list": name, "performed_by": ", ".join(restoration.performed_by)}
        values |= {"days": str(restoration.within_working_days), "due": _day(due)}
        phrases.append(Phrase("recourse_perform", values))
    if restoration.on_application_after_days is not None:
        eligible = member.from_us + restoration.on_application_after_days * 86_400_000_000
        start = _day(max(eligible, at_us))
        phrases.append(Phrase("recourse_apply", {"list": name, "start": start}))
    if definition.hardship_freezes:
        phrases.append(Phrase("recourse_hardship", {"list": name}))
    repairable = [
        k for k in member.kinds if catalogue is not None and repairable_kind(catalogue, k, repair)
    ]
    if repairable:
        phrases.append(Phrase("recourse_repair", {"list": name, "kinds": ", ".join(repairable)}))
    phrases.append(Phrase("recourse_ends", {"list": name, "until": _day(member.until_us)}))
    return [phrase_text(p) for p in phrases]


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
    memoranda: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> Decision:
    """The decision for ``subject`` asking for ``service`` at ``at_us``.

    Args:
        memberships: the subject's memberships at ``at_us`` (any status).
        represented: ``(organisation id, membership)`` of organisations the subject is the
            legal representative of; only their role-bound measures reach the subject.
        hardship_since_us: when the subject's open hardship period began, if any; the
            decision names the restrictions it freezes (see :func:`frozen_restrictions`).
        memoranda: ``(list, measure) -> (memorandum id, title)`` of the joint memoranda in
            force (:func:`socialcredit.agencies._memoranda.citations`); a reason for a measure
            applied because of a list they link cites the memorandum. They document links,
            never add one: only the bundle's links apply.

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
            values = {"list": compiled.lists[member.list_id].name, "start": _day(member.from_us)}
            warnings.append(phrase_text(Phrase("warning_noticed", values)))
        if member.status != Status.LISTED:
            continue
        for measure in measures:
            if (org is None or measure.role_bound) and measure.id not in applied:
                applied[measure.id] = _cited(_reason(compiled, measure, member, org), memoranda)
                definition = compiled.lists[member.list_id]
                bundle = compiled.bundle
                recourse += _recourse(definition, member, at_us, bundle.catalogue, bundle.repair)
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
        recourse.append(PHRASES["human_review"])
    else:
        outcome = Outcome.REWARD if applied else Outcome.ALLOW
    return Decision(
        subject[0], subject[1], service, at_us, outcome, tuple(applied),
        tuple(applied.values()), tuple(dict.fromkeys(warnings + recourse)),
        compiled.revision, compiled.digest,
    )  # fmt: skip
