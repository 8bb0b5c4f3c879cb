"""The sector-grades part of a policy bundle (``sector_grades.yaml``): grade schemes per sector.

Besides the grade of the total score, an agency grades subjects in its own sector from the
points of its own dimension, as the tax authority grades taxpayers A, B, M, C, D::

    schemes:
      - id: taxpayer_credit
        name: Taxpayer credit grade
        dimension: tax                     # the scoring dimension whose rules' points count
        base: 100                          # the sector score starts here ...
        bounds: [0, 100]                   # ... and stays within these bounds
        exclude: [a_grade_taxpayer]        # ruled kinds of the dimension that do not count
        grades: [A, B, M, C, D]            # every grade of the scheme, best first
        bands:                             # the score bands (they tile the bounds)
          - {grade: A, min: 90, max: 100}
          - {grade: B, min: 70, max: 89}
          - {grade: C, min: 40, max: 69}
          - {grade: D, min: 0, max: 39}
        no_history: M                      # the grade of a subject with no record in the sector
        triggers:                          # direct-to-grade findings, each within a window
          - {kind: tax_evasion, grade: D, window: 1y}
        legal_basis: sat-tax-credit-2014/art20   # a registry entry for the sector's records
        subject_kinds: [organisation]      # who the scheme grades (default: every kind)

How a scheme grades (the definition: :mod:`socialcredit.scoring._definition`, step 7): the
sector score is ``clamp(base + the dimension's points less those of excluded kinds, bounds)``;
a trigger record that occurred within its window forces its grade (the worst of them wins);
otherwise a subject with no record of the sector at all gets ``no_history``; otherwise the
band of the sector score. A subject of a kind the scheme does not grade has no grade in it.

Load-time checks (:func:`check_sector_grades`): ids are snake_case and unique; the dimension is
declared by ``scoring.yaml``; bands tile the bounds with better grades higher; every grade of a
band, trigger or ``no_history`` is one of ``grades``; a trigger's kind is a negative kind of the
catalogue (a finding cannot be positive conduct) and its window a positive duration; the legal
basis is an entry of the legal-basis registry that authorises recording the taxonomy category
of every kind the scheme weighs or triggers on (a sector is graded only on its own conduct);
every id, name and grade passes the prohibited-grounds firewall. Each problem is keyed by its
path (``schemes[0].bands[2].min``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from socialcredit.catalogue import Catalogue, Gravity, registry, term_reasons
from socialcredit.errors import Problem, ProblemCollector
from socialcredit.policy._scoring import ScoringPolicy, duration_days

__all__ = ["SectorBand", "SectorScheme", "SectorTrigger", "check_sector_grades"]

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_GRADE = re.compile(r"[A-Za-z][A-Za-z0-9+-]{0,11}")
_REQUIRED = ("id", "name", "dimension", "base", "bounds", "grades", "bands", "legal_basis")
_OPTIONAL = ("exclude", "no_history", "triggers", "subject_kinds")
_SUBJECT_KINDS = ("organisation", "person")


@dataclass(frozen=True, slots=True)
class SectorBand:
    """Sector scores ``min <= score <= max`` earn ``grade``."""

    grade: str
    min: int
    max: int


@dataclass(frozen=True, slots=True)
class SectorTrigger:
    """A record of ``kind`` that occurred within ``window`` forces ``grade``."""

    kind: str
    grade: str
    window: str
    window_days: int


@dataclass(frozen=True, slots=True)
class SectorScheme:
    """One checked grade scheme of a sector.

    Attributes:
        id: the scheme's id (``taxpayer_credit``).
        name: its name for people.
        dimension: the scoring dimension whose per-rule points it counts.
        base: the sector score of a subject whose records carry no points.
        bounds: ``(min, max)`` of the sector score.
        grades: every grade, best first.
        bands: the score bands, highest first.
        no_history: the grade of a subject with no record of the sector.
        triggers: the direct-to-grade findings.
        exclude: ruled kinds of the dimension whose points do not count.
        legal_basis: the registry entry the grading rests on.
        subject_kinds: the kinds of subject the scheme grades (others have no grade in it).
    """

    id: str
    name: str
    dimension: str
    base: int
    bounds: tuple[int, int]
    grades: tuple[str, ...]
    bands: tuple[SectorBand, ...]
    no_history: str
    legal_basis: str
    triggers: tuple[SectorTrigger, ...] = ()
    exclude: tuple[str, ...] = ()
    subject_kinds: tuple[str, ...] = _SUBJECT_KINDS

    def band_grade(self, score: int) -> str:
        """The grade of the band holding ``score`` (clamped to the bounds first)."""
        score = min(max(score, self.bounds[0]), self.bounds[1])
        return next(b.grade for b in self.bands if b.min <= score <= b.max)

    def as_dict(self) -> dict[str, str]:
        """The scheme as comparable text values (for diffs)."""
        return {
            "name": self.name,
            "dimension": self.dimension,
            "base": str(self.base),
            "bounds": f"{self.bounds[0]}..{self.bounds[1]}",
            "grades": ", ".join(self.grades),
            "bands": ", ".join(f"{b.grade} {b.min}..{b.max}" for b in self.bands),
            "no_history": self.no_history,
            "triggers": ", ".join(f"{t.kind}->{t.grade} {t.window}" for t in self.triggers),
            "exclude": ", ".join(self.exclude),
            "legal_basis": self.legal_basis,
        }


def check_sector_grades(
    doc: object, catalogue: Catalogue | None, scoring: ScoringPolicy | None
) -> tuple[tuple[SectorScheme, ...], list[Problem]]:
    """Check a parsed ``sector_grades.yaml`` against the bundle's catalogue and scoring policy
    (either None when that file was refused: the checks that need it are skipped).

    Returns:
        The schemes that passed (all of them when there is no problem) and every problem.
    """
    checker = _Checker(catalogue, scoring)
    schemes = checker.run(doc)
    return schemes, checker.problems


class _Checker(ProblemCollector):
    """One pass over a sector-grades document, collecting every problem."""

    def __init__(self, catalogue: Catalogue | None, scoring: ScoringPolicy | None) -> None:
        self.catalogue = catalogue
        self.scoring = scoring
        super().__init__()

    def screen(self, path: str, value: object) -> None:
        if isinstance(value, str):
            for reason in term_reasons(value):
                self.refuse(path, reason)

    def run(self, doc: object) -> tuple[SectorScheme, ...]:
        if not isinstance(doc, Mapping) or set(doc) != {"schemes"}:
            self.refuse("(sector_grades)", "must be a mapping with the single key schemes")
            return ()
        items = doc["schemes"]
        if not isinstance(items, list):
            self.refuse("schemes", "must be a list of grade schemes")
            return ()
        out: list[SectorScheme] = []
        for i, item in enumerate(items):
            found = self.one(f"schemes[{i}]", item)
            if found is None:
                continue
            if any(s.id == found.id for s in out):
                self.refuse(f"schemes[{i}].id", f"duplicate scheme {found.id!r}")
                continue
            out.append(found)
        return tuple(out)

    def one(self, p: str, raw: object) -> SectorScheme | None:
        if not isinstance(raw, Mapping):
            self.refuse(p, "must be a mapping")
            return None
        before = len(self.problems)
        for key in raw:
            if key not in _REQUIRED + _OPTIONAL:
                self.refuse(f"{p}.{key}", "unknown key")
                self.screen(f"{p}.{key}", key)
        for key in _REQUIRED:
            if key not in raw:
                self.refuse(f"{p}.{key}", "required")
        if len(self.problems) > before:
            return None
        for key in ("id", "name"):
            self.screen(f"{p}.{key}", raw[key])
        scheme_id = self.snake(f"{p}.id", raw["id"])
        if not isinstance(raw["name"], str) or not raw["name"].strip():
            self.refuse(f"{p}.name", "must be non-empty text")
        dimension = self.dimension(f"{p}.dimension", raw["dimension"])
        bounds = self.bounds(f"{p}.bounds", raw["bounds"])
        base = self.base(f"{p}.base", raw["base"], bounds)
        grades = self.grades(f"{p}.grades", raw["grades"])
        bands = self.bands(f"{p}.bands", raw["bands"], grades, bounds)
        no_history = raw.get("no_history", None)
        if no_history is not None:
            self.known_grade(f"{p}.no_history", no_history, grades)
        elif bands and base is not None:
            no_history = next(b.grade for b in bands if b.min <= base <= b.max)
        triggers = self.triggers(f"{p}.triggers", raw.get("triggers", []), grades)
        exclude = self.exclude(f"{p}.exclude", raw.get("exclude", []), dimension)
        basis = self.basis(p, raw["legal_basis"], dimension, exclude, triggers)
        kinds = self.subject_kinds(f"{p}.subject_kinds", raw.get("subject_kinds", _SUBJECT_KINDS))
        if len(self.problems) > before:
            return None
        assert bounds is not None and base is not None and no_history is not None
        return SectorScheme(
            str(scheme_id), str(raw["name"]), str(dimension), base, bounds, grades, bands,
            str(no_history), str(basis), triggers, exclude, kinds,
        )  # fmt: skip

    # -- fields ---------------------------------------------------------------------------

    def subject_kinds(self, path: str, value: object) -> tuple[str, ...]:
        kinds = value if isinstance(value, list | tuple) else None
        if not kinds or any(k not in _SUBJECT_KINDS for k in kinds) or len(set(kinds)) < len(kinds):
            self.refuse(
                path, f"must be a non-empty list of distinct subject kinds from "
                f"{', '.join(_SUBJECT_KINDS)}, got {value!r}",
            )  # fmt: skip
            return ()
        return tuple(sorted(str(k) for k in kinds))

    def snake(self, path: str, value: object) -> str | None:
        if not isinstance(value, str) or not _SNAKE.fullmatch(value):
            self.refuse(path, f"must be a snake_case id, got {value!r}")
            return None
        return value

    def dimension(self, path: str, value: object) -> str | None:
        if self.scoring is not None and value not in self.scoring.dimensions:
            known = ", ".join(self.scoring.dimensions)
            self.refuse(path, f"unknown dimension {value!r} (scoring.yaml declares {known})")
            return None
        return value if isinstance(value, str) else None

    def bounds(self, path: str, value: object) -> tuple[int, int] | None:
        ok = isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)
        if not ok or not value[0] < value[1]:  # type: ignore[index]
            self.refuse(path, f"must be [min, max], integers with min < max, got {value!r}")
            return None
        return int(value[0]), int(value[1])  # type: ignore[index]

    def base(self, path: str, value: object, bounds: tuple[int, int] | None) -> int | None:
        if type(value) is not int:
            self.refuse(path, f"must be an integer, got {value!r}")
            return None
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            self.refuse(path, f"{value} is outside bounds [{bounds[0]}, {bounds[1]}]")
            return None
        return value

    def grades(self, path: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) < 2:
            self.refuse(path, "must be a list of at least two grades, best first")
            return ()
        seen: list[str] = []
        for i, grade in enumerate(value):
            if not isinstance(grade, str) or not _GRADE.fullmatch(grade):
                self.refuse(
                    f"{path}[{i}]", f"must be a short grade name like A or B+, got {grade!r}"
                )
            elif grade in seen:
                self.refuse(f"{path}[{i}]", f"duplicate grade {grade!r}")
            else:
                self.screen(f"{path}[{i}]", grade)
                seen.append(grade)
        return tuple(seen) if len(seen) == len(value) else ()

    def known_grade(self, path: str, value: object, grades: tuple[str, ...]) -> bool:
        if grades and value not in grades:
            self.refuse(path, f"unknown grade {value!r} (the scheme's grades: {', '.join(grades)})")
            return False
        return isinstance(value, str)

    def bands(
        self, path: str, value: object, grades: tuple[str, ...], bounds: tuple[int, int] | None
    ) -> tuple[SectorBand, ...]:
        if not isinstance(value, list) or not value:
            self.refuse(path, "must be a non-empty list of {grade, min, max}")
            return ()
        out: list[tuple[int, SectorBand]] = []
        for i, raw in enumerate(value):
            p = f"{path}[{i}]"
            if not isinstance(raw, Mapping) or set(raw) != {"grade", "min", "max"}:
                self.refuse(p, "must be a mapping with exactly grade, min and max")
                continue
            low, high = raw["min"], raw["max"]
            ok = self.known_grade(f"{p}.grade", raw["grade"], grades)
            if any(b.grade == raw["grade"] for _, b in out):
                self.refuse(f"{p}.grade", f"duplicate band for grade {raw['grade']!r}")
                ok = False
            if type(low) is not int or type(high) is not int or low > high:
                self.refuse(
                    p, f"min and max must be integers with min <= max, got {low!r}, {high!r}"
                )
                ok = False
            if ok:
                out.append((i, SectorBand(str(raw["grade"]), low, high)))
        if len(out) != len(value) or bounds is None or not grades:
            return ()
        self.tiling(path, out, grades, bounds)
        return tuple(sorted((b for _, b in out), key=lambda b: -b.min))

    def tiling(
        self,
        path: str,
        bands: list[tuple[int, SectorBand]],
        grades: tuple[str, ...],
        bounds: tuple[int, int],
    ) -> None:
        """Bands must tile ``bounds`` exactly, better grades higher."""
        ordered = sorted(bands, key=lambda item: item[1].min)
        if ordered[0][1].min != bounds[0]:
            self.refuse(f"{path}[{ordered[0][0]}].min", f"must be the lower bound {bounds[0]}")
        if ordered[-1][1].max != bounds[1]:
            self.refuse(f"{path}[{ordered[-1][0]}].max", f"must be the upper bound {bounds[1]}")
        for (_, below), (i, above) in pairwise(ordered):
            if above.min != below.max + 1:
                self.refuse(
                    f"{path}[{i}].min",
                    f"must be {below.max + 1} (bands tile the bounds: no gap, no overlap)",
                )
            elif grades.index(above.grade) > grades.index(below.grade):
                self.refuse(
                    f"{path}[{i}].grade",
                    f"{above.grade} is ranked below {below.grade} but its band is higher",
                )

    def triggers(
        self, path: str, value: object, grades: tuple[str, ...]
    ) -> tuple[SectorTrigger, ...]:
        if not isinstance(value, list):
            self.refuse(path, "must be a list of {kind, grade, window}")
            return ()
        out: list[SectorTrigger] = []
        for i, raw in enumerate(value):
            p = f"{path}[{i}]"
            if not isinstance(raw, Mapping) or set(raw) != {"kind", "grade", "window"}:
                self.refuse(p, "must be a mapping with exactly kind, grade and window")
                continue
            ok = self.trigger_kind(f"{p}.kind", raw["kind"])
            ok = self.known_grade(f"{p}.grade", raw["grade"], grades) and ok
            days = duration_days(raw["window"])
            if days is None or days <= 0:
                self.refuse(
                    f"{p}.window", f"must be a positive duration like 1y, got {raw['window']!r}"
                )
                ok = False
            if any(t.kind == raw["kind"] for t in out):
                self.refuse(f"{p}.kind", f"{raw['kind']!r} already triggers a grade")
                ok = False
            if ok:
                assert days is not None
                out.append(
                    SectorTrigger(str(raw["kind"]), str(raw["grade"]), str(raw["window"]), days)
                )
        return tuple(out)

    def trigger_kind(self, path: str, kind: object) -> bool:
        if self.catalogue is None:
            return isinstance(kind, str)
        found = self.catalogue.kinds.get(kind) if isinstance(kind, str) else None
        if found is None:
            self.refuse(path, f"unknown record kind {kind!r} (not in catalogue.yaml)")
            return False
        if found.gravity in (Gravity.POSITIVE, Gravity.NEUTRAL):
            self.refuse(
                path,
                f"{kind!r} is {found.gravity.value} conduct: only a finding against the subject "
                "may force a grade",
            )
            return False
        return True

    def exclude(self, path: str, value: object, dimension: str | None) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.refuse(path, "must be a list of record kinds")
            return ()
        ruled = None
        if self.scoring is not None and dimension is not None:
            ruled = {r.kind for r in self.scoring.rules if r.dimension == dimension}
        for i, kind in enumerate(value):
            if ruled is not None and kind not in ruled:
                self.refuse(f"{path}[{i}]", f"{kind!r} has no rule in dimension {dimension!r}")
        return tuple(map(str, value))

    def basis(
        self,
        p: str,
        value: object,
        dimension: str | None,
        exclude: tuple[str, ...],
        triggers: tuple[SectorTrigger, ...],
    ) -> str | None:
        """A registry entry authorising recording every category the scheme grades on."""
        self.screen(f"{p}.legal_basis", value)
        entry, reason = registry().lookup(value)
        if entry is None:
            self.refuse(f"{p}.legal_basis", str(reason))
            return None
        if self.catalogue is None or self.scoring is None:
            return entry.id
        weighed = [
            (f"{p}.dimension", r.kind)
            for r in self.scoring.rules
            if r.dimension == dimension and r.kind not in exclude
        ]
        weighed += [
            (f"{p}.dimension", kind)
            for b in self.scoring.binned
            if b.dimension == dimension
            for kind in b.kinds
        ]
        weighed += [(f"{p}.triggers[{i}].kind", t.kind) for i, t in enumerate(triggers)]
        for path, kind in weighed:
            found = self.catalogue.kinds.get(kind)
            if found is not None and not entry.authorises_record(found.category):
                self.refuse(
                    path,
                    f"{kind!r} is {found.category!r} conduct, which legal basis {entry.id!r} "
                    f"({entry.citation}) does not cover: a sector is graded on its own conduct "
                    f"only (it authorises {entry.describe()})",
                )
        return entry.id
