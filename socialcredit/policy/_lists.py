"""The lists part of a policy bundle (``listings.yaml``): red and black lists and their checks.

A list file looks like this::

    lists:
      - id: dishonest_judgment_debtors
        name: List of dishonest judgment debtors
        colour: black                      # black (restrictions) or red (rewards)
        subject_kinds: [person, organisation]
        context: judicial                  # an engine context (purpose binding)
        gravity: general                   # no graver than its mildest ground; red lists: positive
        legal_basis: spc-dishonest-debtors-2017/art1   # registry entry: black_listing in judicial
        notice: 10d                        # warning before the listing takes effect
        grounds:                           # entry by specific records: each one lists the subject
          - {kind: debtor_obstructs_enforcement, period: 2y}
        escalation: {from: abnormal_operations}   # entry when a listing there runs its full period
        grade: [AAA]                       # or entry by grade (exclusive with grounds/escalation)
        sector_grade: {scheme: taxpayer_credit, grades: [D]}   # or by a sector grade
        restoration:
          performed_by: [judgment_performed]       # records showing the obligation performed
          within_working_days: 3                   # legal deadline for the removal
          on_application_after: 1y                 # early restoration on application (optional)
        hardship_freezes: true             # inability to pay freezes the list's restrictions
        representative: true               # role-bound measures reach an organisation's legal rep.

Every listing ends: each ground has a finite period, an escalated listing takes its own list's
``period``, and a grade list may not include the grade of a subject with no records. A list
entered by a sector grade (:mod:`.sector_grades`) names a scheme of the bundle and some of its
grades, never the grade of a subject unknown to the sector nor that of a sector score at the
scheme's base (either listing would never end), and its context must be the context of every
kind the scheme grades on (purpose binding: a tax grade lists in the tax context). Listing is
itself a measure: a list's legal basis must be an entry of the legal-basis registry that
authorises ``black_listing`` (or ``red_listing``) in the list's context, and its id and name
pass the prohibited-grounds firewall.
:func:`check_lists` collects every problem with its key path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from socialcredit.catalogue import Catalogue, Gravity, conduct_taxonomy, registry, term_reasons
from socialcredit.errors import Problem, ProblemCollector
from socialcredit.policy._scoring import ScoringPolicy, duration_days
from socialcredit.policy._sector_grades import SectorScheme

__all__ = [
    "GRAVITY_RANK",
    "Colour",
    "Escalation",
    "Ground",
    "ListDefinition",
    "Restoration",
    "SectorGradeEntry",
    "check_lists",
]

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_KEYS = {"id": True, "name": True, "colour": True, "subject_kinds": True, "context": True}
_KEYS |= {"gravity": True, "legal_basis": True, "notice": True, "grounds": False}
_KEYS |= {"escalation": False, "grade": False, "restoration": False}
_KEYS |= {"hardship_freezes": False, "representative": False, "period": False}
_KEYS |= {"sector_grade": False}
_RESTORATION_KEYS = ("performed_by", "within_working_days", "on_application_after")
_SUBJECT_KINDS = ("person", "organisation")
#: Order of gravity for proportionality: a measure may not rank above its trigger.
GRAVITY_RANK = {Gravity.MINOR: 1, Gravity.GENERAL: 2, Gravity.SERIOUS: 3}


class Colour(StrEnum):
    """Black lists carry restrictions, red lists rewards."""

    BLACK = "black"
    RED = "red"


@dataclass(frozen=True, slots=True)
class Ground:
    """A record kind that lists its subject, and for how long (days from taking effect)."""

    kind: str
    period: str
    period_days: int


@dataclass(frozen=True, slots=True)
class Escalation:
    """Entry when a listing on ``source`` runs its full period without restoration."""

    source: str


@dataclass(frozen=True, slots=True)
class SectorGradeEntry:
    """Entry while the subject's grade in sector scheme ``scheme`` is one of ``grades``."""

    scheme: str
    grades: tuple[str, ...]

    def labels(self) -> tuple[str, ...]:
        """How a listing states its trigger: ``taxpayer_credit grade D`` per grade."""
        return tuple(f"{self.scheme} grade {g}" for g in self.grades)


@dataclass(frozen=True, slots=True)
class Restoration:
    """How a listing ends early: performance (automatic) or application (after a wait)."""

    performed_by: tuple[str, ...] = ()
    within_working_days: int = 3
    on_application_after: str | None = None
    on_application_after_days: int | None = None


@dataclass(frozen=True, slots=True)
class ListDefinition:
    """One checked list."""

    id: str
    name: str
    colour: Colour
    subject_kinds: tuple[str, ...]
    context: str
    gravity: Gravity
    legal_basis: str
    notice: str
    notice_days: int
    grounds: tuple[Ground, ...] = ()
    escalation: Escalation | None = None
    grades: tuple[str, ...] = ()
    period: str | None = None
    period_days: int | None = None
    restoration: Restoration = Restoration()
    hardship_freezes: bool = False
    representative: bool = False
    sector_grade: SectorGradeEntry | None = None

    def ground(self, kind: str) -> Ground | None:
        """The ground for record kind ``kind``, or None."""
        return next((g for g in self.grounds if g.kind == kind), None)

    def as_dict(self) -> dict[str, Any]:
        """The definition as comparable text values (for diffs)."""
        return {
            "name": self.name,
            "colour": self.colour.value,
            "subject_kinds": ", ".join(self.subject_kinds),
            "context": self.context,
            "gravity": self.gravity.value,
            "legal_basis": self.legal_basis,
            "notice": self.notice,
            "grounds": ", ".join(f"{g.kind} {g.period}" for g in self.grounds),
            "escalation": self.escalation.source if self.escalation else "",
            "grade": ", ".join(self.grades),
            "period": self.period or "",
            "restoration": _restoration_text(self.restoration),
            "hardship_freezes": str(self.hardship_freezes),
            "representative": str(self.representative),
            "sector_grade": ", ".join(self.sector_grade.labels()) if self.sector_grade else "",
        }


def _restoration_text(r: Restoration) -> str:
    text = f"performed_by {', '.join(r.performed_by) or '-'} within {r.within_working_days}wd"
    return text + (
        f", on application after {r.on_application_after}" if r.on_application_after else ""
    )


def check_lists(
    doc: object,
    catalogue: Catalogue | None,
    scoring: ScoringPolicy | None,
    schemes: tuple[SectorScheme, ...] = (),
) -> tuple[tuple[ListDefinition, ...], list[Problem]]:
    """Check a parsed ``listings.yaml`` against the bundle's catalogue, scoring policy and
    sector grade schemes.

    Returns:
        The lists that passed (all of them when there is no problem) and every problem.
    """
    checker = _ListChecker(catalogue, scoring, schemes)
    lists = checker.run(doc)
    return lists, checker.problems


class _ListChecker(ProblemCollector):
    def __init__(
        self,
        catalogue: Catalogue | None,
        scoring: ScoringPolicy | None,
        schemes: tuple[SectorScheme, ...] = (),
    ) -> None:
        self.catalogue = catalogue
        self.scoring = scoring
        self.schemes = {s.id: s for s in schemes}
        super().__init__()

    def run(self, doc: object) -> tuple[ListDefinition, ...]:
        if not isinstance(doc, Mapping) or set(doc) != {"lists"}:
            self.refuse("(lists)", "must be a mapping with the single key lists")
            return ()
        items = doc["lists"]
        if not isinstance(items, list):
            self.refuse("lists", "must be a list of list definitions")
            return ()
        out: list[ListDefinition] = []
        where: list[int] = []  # each checked list's index in the file, for problem keys
        ids = [item.get("id") for item in items if isinstance(item, Mapping)]
        for i, item in enumerate(items):
            found = self.one(f"lists[{i}]", item, ids)
            if found is not None:
                if any(d.id == found.id for d in out):
                    self.refuse(f"lists[{i}].id", f"duplicate list {found.id!r}")
                    continue
                out.append(found)
                where.append(i)
        self.escalations(out, where)
        return tuple(out)

    def one(self, p: str, raw: object, ids: list[Any]) -> ListDefinition | None:
        if not isinstance(raw, Mapping):
            self.refuse(p, "must be a mapping")
            return None
        before = len(self.problems)
        for key in raw:
            if key not in _KEYS:
                self.refuse(f"{p}.{key}", "unknown key")
                self.screen(f"{p}.{key}", key)
        for key, required in _KEYS.items():
            if required and key not in raw:
                self.refuse(f"{p}.{key}", "required")
        if len(self.problems) > before:
            return None
        list_id = self.snake(f"{p}.id", raw["id"])
        colour = self.choice(f"{p}.colour", raw["colour"], [c.value for c in Colour])
        kinds = self.subject_kinds(f"{p}.subject_kinds", raw["subject_kinds"])
        context = self.context(f"{p}.context", raw["context"])
        gravity = self.gravity(f"{p}.gravity", raw["gravity"], colour)
        basis = self.basis(f"{p}.legal_basis", raw["legal_basis"], colour, context)
        self.text(f"{p}.name", raw["name"])
        for key in ("id", "name"):
            self.screen(f"{p}.{key}", raw[key])
        notice = self.duration(f"{p}.notice", raw["notice"], allow_zero=True)
        grounds = self.grounds(f"{p}.grounds", raw.get("grounds", []), gravity, colour, kinds)
        escalation = self.escalation(f"{p}.escalation", raw.get("escalation"), ids, list_id)
        grades = self.grades(f"{p}.grade", raw.get("grade"))
        sector = self.sector_grade(f"{p}.sector_grade", raw.get("sector_grade"), context)
        period = raw.get("period")
        period_days = None if period is None else self.duration(f"{p}.period", period)
        self.entry_rules(p, grounds, escalation, grades, period, "sector_grade" in raw)
        if sector is not None and (grounds or escalation or grades):
            self.refuse(f"{p}.sector_grade", "a list enters by one criterion: not with others")
        restoration = self.restoration(f"{p}.restoration", raw.get("restoration", {}))
        hardship = self.flag(f"{p}.hardship_freezes", raw.get("hardship_freezes", False))
        representative = self.flag(f"{p}.representative", raw.get("representative", False))
        if len(self.problems) > before:
            return None
        assert gravity is not None and notice is not None
        return ListDefinition(
            str(list_id), str(raw["name"]), Colour(colour), kinds, str(context), gravity,
            str(basis), str(raw["notice"]), notice, grounds, escalation, grades,
            None if period is None else str(period), period_days, restoration, hardship,
            representative, sector,
        )  # fmt: skip

    # -- fields ---------------------------------------------------------------------------

    def snake(self, path: str, value: object) -> str | None:
        if not isinstance(value, str) or not _SNAKE.fullmatch(value):
            self.refuse(path, f"must be a snake_case id, got {value!r}")
            return None
        return value

    def text(self, path: str, value: object) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.refuse(path, "must be non-empty text")
            return None
        return value

    def screen(self, path: str, value: object) -> None:
        """Refuse ``value`` for every prohibited term the firewall finds in it."""
        if isinstance(value, str):
            for reason in term_reasons(value):
                self.refuse(path, reason)

    def basis(self, path: str, value: object, colour: str, context: str | None) -> str | None:
        """A registry entry authorising black (red) listing in the list's context."""
        self.screen(path, value)
        measure = "black_listing" if colour == Colour.BLACK else "red_listing"
        if context is None:
            _, reason = registry().lookup(value)
        else:
            reason = registry().measure_reason(value, measure, context)
        if reason is not None:
            self.refuse(path, reason)
            return None
        return str(value)

    def flag(self, path: str, value: object) -> bool:
        if not isinstance(value, bool):
            self.refuse(path, "must be true or false")
            return False
        return value

    def choice(self, path: str, value: object, allowed: list[str]) -> str:
        if value not in allowed:
            self.refuse(path, f"must be one of {', '.join(allowed)}, got {value!r}")
            return allowed[0]
        return str(value)

    def duration(self, path: str, value: object, *, allow_zero: bool = False) -> int | None:
        days = duration_days(value)
        if days is None or days < 0 or (days == 0 and not allow_zero):
            least = "zero or more" if allow_zero else "positive (every listing must end)"
            self.refuse(path, f"must be a {least} duration like 10d, 3m, 2y; got {value!r}")
            return None
        return days

    def subject_kinds(self, path: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not set(value) <= set(_SUBJECT_KINDS):
            self.refuse(path, f"must be a non-empty list of {', '.join(_SUBJECT_KINDS)}")
            return ()
        return tuple(value)

    def context(self, path: str, value: object) -> str | None:
        if value not in conduct_taxonomy().contexts:
            self.refuse(path, f"unknown context {value!r} (not an engine context)")
            return None
        return str(value)

    def gravity(self, path: str, value: object, colour: str) -> Gravity | None:
        allowed = ["positive"] if colour == Colour.RED else ["minor", "general", "serious"]
        if value not in allowed:
            self.refuse(path, f"a {colour} list's gravity must be one of {', '.join(allowed)}")
            return None
        return Gravity(str(value))

    def grounds(
        self, path: str, value: object, gravity: Gravity | None, colour: str, kinds: tuple[str, ...]
    ) -> tuple[Ground, ...]:
        if not isinstance(value, list):
            self.refuse(path, "must be a list of {kind, period}")
            return ()
        out: list[Ground] = []
        for i, raw in enumerate(value):
            p = f"{path}[{i}]"
            if not isinstance(raw, Mapping) or set(raw) != {"kind", "period"}:
                self.refuse(p, "must be a mapping with exactly kind and period")
                continue
            days = self.duration(f"{p}.period", raw["period"])
            self.ground_kind(f"{p}.kind", raw["kind"], gravity, colour, kinds)
            if any(g.kind == raw["kind"] for g in out):
                self.refuse(f"{p}.kind", f"duplicate ground {raw['kind']!r}")
            if days is not None:
                out.append(Ground(str(raw["kind"]), str(raw["period"]), days))
        return tuple(out)

    def ground_kind(
        self,
        path: str,
        kind_id: object,
        gravity: Gravity | None,
        colour: str,
        kinds: tuple[str, ...],
    ) -> None:
        if self.catalogue is None:
            return
        kind = self.catalogue.kinds.get(str(kind_id))
        if kind is None:
            self.refuse(path, f"unknown record kind {kind_id!r}")
            return
        if not {k.value for k in kind.subject_kinds} & set(kinds):
            self.refuse(path, f"{kind_id} is never about the list's subject kinds")
        if colour == Colour.RED and kind.gravity != Gravity.POSITIVE:
            self.refuse(path, f"a red list's grounds must be positive; {kind_id} is {kind.gravity}")
        elif colour == Colour.BLACK and kind.gravity not in GRAVITY_RANK:
            self.refuse(
                path, f"a black list's grounds must be negative; {kind_id} is {kind.gravity}"
            )
        elif (
            colour == Colour.BLACK
            and gravity in GRAVITY_RANK
            and GRAVITY_RANK[kind.gravity] < GRAVITY_RANK[gravity]
        ):
            self.refuse(
                path,
                f"disproportionate: the list is {gravity}, graver than its ground "
                f"{kind_id} ({kind.gravity})",
            )

    def escalation(
        self, path: str, value: object, ids: list[Any], own: str | None
    ) -> Escalation | None:
        if value is None:
            return None
        if not isinstance(value, Mapping) or set(value) != {"from"}:
            self.refuse(path, "must be a mapping with the single key from")
            return None
        source = value["from"]
        if source not in ids or source == own:
            self.refuse(f"{path}.from", f"must name another list, got {source!r}")
            return None
        return Escalation(str(source))

    def grades(self, path: str, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.refuse(path, "must be a non-empty list of grades")
            return ()
        if self.scoring is None:
            return tuple(map(str, value))
        known = [band.grade for band in self.scoring.grades]
        base_grade = self.scoring.grade(self.scoring.base)
        for i, grade in enumerate(value):
            if grade not in known:
                self.refuse(f"{path}[{i}]", f"unknown grade {grade!r} ({', '.join(known)})")
            elif grade == base_grade:
                self.refuse(
                    f"{path}[{i}]",
                    f"{grade} is the grade of a subject with no records: a listing by it "
                    "would never end",
                )
        return tuple(map(str, value))

    def sector_grade(
        self, path: str, value: object, context: str | None
    ) -> SectorGradeEntry | None:
        """Entry by the grade of a sector scheme of the bundle (see the module docstring)."""
        if value is None:
            return None
        if not isinstance(value, Mapping) or set(value) != {"scheme", "grades"}:
            self.refuse(path, "must be a mapping with exactly scheme and grades")
            return None
        scheme = self.schemes.get(str(value["scheme"]))
        if scheme is None:
            known = ", ".join(self.schemes) or "none: add sector_grades.yaml"
            self.refuse(f"{path}.scheme", f"unknown sector scheme {value['scheme']!r} ({known})")
            return None
        grades = value["grades"]
        if not isinstance(grades, list) or not grades:
            self.refuse(f"{path}.grades", "must be a non-empty list of the scheme's grades")
            return None
        endless = {scheme.no_history, scheme.band_grade(scheme.base)}
        for i, grade in enumerate(grades):
            if grade not in scheme.grades:
                self.refuse(
                    f"{path}.grades[{i}]",
                    f"unknown grade {grade!r} ({scheme.id}: {', '.join(scheme.grades)})",
                )
            elif grade in endless:
                self.refuse(
                    f"{path}.grades[{i}]",
                    f"{grade} is the grade of a subject without records against it in "
                    f"{scheme.id}: a listing by it would never end",
                )
        self.sector_context(f"{path}.scheme", scheme, context)
        return SectorGradeEntry(scheme.id, tuple(map(str, grades)))

    def sector_context(self, path: str, scheme: SectorScheme, context: str | None) -> None:
        """Purpose binding: every kind the scheme grades on belongs to the list's context."""
        if self.catalogue is None or self.scoring is None or context is None:
            return
        weighed = {r.kind for r in self.scoring.rules if r.dimension == scheme.dimension}
        weighed |= {t.kind for t in scheme.triggers}
        for kind_id in sorted(weighed - set(scheme.exclude)):
            kind = self.catalogue.kinds.get(kind_id)
            if kind is not None and kind.context != context:
                self.refuse(
                    path,
                    f"{scheme.id} grades on {kind_id} ({kind.context} conduct): a list in "
                    f"context {context!r} may not enter by it (purpose binding)",
                )

    def entry_rules(
        self,
        p: str,
        grounds: tuple[Ground, ...],
        escalation: Escalation | None,
        grades: tuple[str, ...],
        period: object,
        sector: bool = False,
    ) -> None:
        if grades and (grounds or escalation):
            self.refuse(f"{p}.grade", "a list enters by grade or by records, not both")
        if not grades and not grounds and escalation is None and not sector:
            self.refuse(p, "needs an entry criterion: grounds, escalation, grade or sector_grade")
        if escalation is not None and period is None:
            self.refuse(f"{p}.period", "required with escalation (how long the listing lasts)")
        if escalation is None and period is not None:
            self.refuse(f"{p}.period", "only an escalation takes a list-wide period")

    def restoration(self, path: str, value: object) -> Restoration:
        if not isinstance(value, Mapping) or not set(value) <= set(_RESTORATION_KEYS):
            self.refuse(path, f"must be a mapping of {', '.join(_RESTORATION_KEYS)}")
            return Restoration()
        performed = value.get("performed_by", [])
        if not isinstance(performed, list):
            self.refuse(f"{path}.performed_by", "must be a list of record kinds")
            performed = []
        for i, kind_id in enumerate(performed):
            kind = None if self.catalogue is None else self.catalogue.kinds.get(str(kind_id))
            if self.catalogue is not None and (kind is None or kind.gravity != Gravity.NEUTRAL):
                self.refuse(
                    f"{path}.performed_by[{i}]", f"must be a neutral record kind: {kind_id!r}"
                )
        days = value.get("within_working_days", 3)
        if type(days) is not int or not 1 <= days <= 30:
            self.refuse(f"{path}.within_working_days", f"must be 1..30 working days, got {days!r}")
            days = 3
        after = value.get("on_application_after")
        after_days = None if after is None else self.duration(f"{path}.on_application_after", after)
        return Restoration(
            tuple(map(str, performed)), days, None if after is None else str(after), after_days
        )

    def escalations(self, lists: list[ListDefinition], where: list[int]) -> None:
        by_id = {d.id: d for d in lists}
        for i, d in zip(where, lists, strict=True):
            if d.escalation is None:
                continue
            source = by_id.get(d.escalation.source)
            if source is not None and (source.escalation is not None or source.colour != d.colour):
                self.refuse(
                    f"lists[{i}].escalation.from",
                    "must be a list of the same colour that does not escalate itself",
                )
