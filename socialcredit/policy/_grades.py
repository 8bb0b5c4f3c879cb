"""Checking grade bands: named AAA..D, each once, tiling the score bounds, better grades higher."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from socialcredit.errors import Problem, ProblemCollector

__all__ = ["GRADES", "GradeBand", "check_grades"]

#: Grade names from best to worst.
GRADES = ("AAA", "AA", "A", "B", "C", "D")


@dataclass(frozen=True, slots=True)
class GradeBand:
    """Scores ``min <= score <= max`` earn ``grade``."""

    grade: str
    min: int
    max: int


def check_grades(
    value: object, bounds: tuple[int, int] | None
) -> tuple[tuple[GradeBand, ...], list[Problem]]:
    """Check a parsed ``grades`` list against the bounds (None: bounds refused, skip coverage).

    Returns:
        The well-formed bands and every problem, keyed ``grades[i]...``. Overlaps, gaps and
        bands outside the bounds are reported only when every band is well-formed.
    """
    checker = _Checker()
    bands = checker.run(value, bounds)
    return bands, checker.problems


def _is_int(value: object) -> bool:
    return type(value) is int


class _Checker(ProblemCollector):
    """One pass over a grades list, collecting every problem."""

    def __init__(self) -> None:
        super().__init__()

    def run(self, value: object, bounds: tuple[int, int] | None) -> tuple[GradeBand, ...]:
        if not isinstance(value, list) or not value:
            self.refuse("grades", "must be a non-empty list of {grade, min, max}")
            return ()
        bands: list[tuple[int, GradeBand]] = []
        seen: set[str] = set()
        for i, raw in enumerate(value):
            band = self.band(f"grades[{i}]", raw, seen)
            if band is not None:
                bands.append((i, band))
        # Coverage of a list with a refused band would only restate that band's problem.
        if bounds is not None and len(bands) == len(value):
            self.coverage(bands, bounds)
        return tuple(band for _, band in bands)

    def band(self, p: str, raw: object, seen: set[str]) -> GradeBand | None:
        if not isinstance(raw, Mapping) or set(raw) != {"grade", "min", "max"}:
            self.refuse(p, "must be a mapping with exactly grade, min and max")
            return None
        grade, low, high = raw["grade"], raw["min"], raw["max"]
        ok = True
        if grade not in GRADES:
            self.refuse(f"{p}.grade", f"unknown grade {grade!r} ({', '.join(GRADES)})")
            ok = False
        elif grade in seen:
            self.refuse(f"{p}.grade", f"duplicate grade {grade!r}")
            ok = False
        seen.add(str(grade))
        if not (_is_int(low) and _is_int(high)) or low > high:
            self.refuse(p, f"min and max must be integers with min <= max, got {low!r}, {high!r}")
            ok = False
        return GradeBand(grade, low, high) if ok else None

    def coverage(self, bands: list[tuple[int, GradeBand]], bounds: tuple[int, int]) -> None:
        """Bands must tile [bounds] exactly, better grades higher."""
        ordered = sorted(bands, key=lambda item: item[1].min)
        for i, band in ordered:
            if band.min < bounds[0] or band.max > bounds[1]:
                self.refuse(
                    f"grades[{i}]",
                    f"[{band.min}, {band.max}] is outside bounds [{bounds[0]}, {bounds[1]}]",
                )
        low_i, lowest = ordered[0]
        high_i, highest = ordered[-1]
        if lowest.min > bounds[0]:
            self.refuse(f"grades[{low_i}].min", f"gap: no grade for {bounds[0]}..{lowest.min - 1}")
        if highest.max < bounds[1]:
            self.refuse(
                f"grades[{high_i}].max", f"gap: no grade for {highest.max + 1}..{bounds[1]}"
            )
        for (_, below), (i, above) in pairwise(ordered):
            if above.min <= below.max:
                self.refuse(
                    f"grades[{i}]",
                    f"{above.grade} overlaps {below.grade} "
                    f"({above.min}..{min(above.max, below.max)})",
                )
            elif above.min > below.max + 1:
                self.refuse(
                    f"grades[{i}].min", f"gap: no grade for {below.max + 1}..{above.min - 1}"
                )
            elif GRADES.index(above.grade) > GRADES.index(below.grade):
                self.refuse(
                    f"grades[{i}].grade",
                    f"{above.grade} is ranked below {below.grade} but its band is higher",
                )
