"""The credit-repair rules of a bundle: the optional file ``repair.yaml``.

What a credit office allows when a subject applies to end the publication of an administrative
penalty early (:mod:`socialcredit.rights._repair` applies them)::

    legal_basis: ndrc-credit-repair-2023/repair   # a registry entry (optional)
    categories: [administrative_penalty, ...]     # taxonomy categories published and repairable
    min_publicity_days: {general: 90, serious: 365}  # per gravity; a gravity left out is not
                                                  # published, so not repairable
    training_for: [serious]                       # gravities needing credit-repair training
    ends_scoring: true                            # repair also ends the penalty's effect
    decide_business_days: 7                       # application to decision

Every key is optional; a bundle without the file, or a key left out, gets :data:`NDRC_2023`'s
value. :func:`check_repair` names every bad field with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from socialcredit.catalogue import Gravity, conduct_taxonomy, registry
from socialcredit.errors import Problem

__all__ = ["NDRC_2023", "REPAIR_FILE", "RepairRules", "check_repair"]

REPAIR_FILE = "repair.yaml"
#: Gravities a penalty may have: neutral and positive kinds are not penalties.
_GRAVITIES = (Gravity.MINOR.value, Gravity.GENERAL.value, Gravity.SERIOUS.value)
_MAX_DAYS = 3_650
_MAX_BUSINESS_DAYS = 60


@dataclass(frozen=True, slots=True)
class RepairRules:
    """What a credit office allows (a bundle's ``repair.yaml``, else :data:`NDRC_2023`).

    Attributes:
        categories: the taxonomy categories whose penalties are published and repairable.
        min_publicity_days: per gravity, the days a penalty stays published before repair;
            a gravity not listed (minor) is not published, so not repairable.
        training_for: the gravities for which credit-repair training is required.
        ends_scoring: whether a granted repair also ends the penalty's effect (scoring,
            lists), not only its publication.
        decide_business_days: business days from the application to the decision.
        legal_basis: the registry entry the rules rest on.
    """

    categories: frozenset[str] = frozenset(
        {"administrative_penalty", "product_compliance", "environmental_compliance"}
    )
    min_publicity_days: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"general": 90, "serious": 365})
    )
    training_for: frozenset[str] = frozenset({"serious"})
    ends_scoring: bool = True
    decide_business_days: int = 7
    legal_basis: str = "ndrc-credit-repair-2023/repair"

    def as_dict(self) -> dict[str, Any]:
        """The rules as ``repair.yaml`` writes them."""
        return {
            "legal_basis": self.legal_basis,
            "categories": sorted(self.categories),
            "min_publicity_days": dict(self.min_publicity_days),
            "training_for": sorted(self.training_for),
            "ends_scoring": self.ends_scoring,
            "decide_business_days": self.decide_business_days,
        }


#: The NDRC 2023 measures as this engine applies them: the rules of a bundle without
#: ``repair.yaml``.
NDRC_2023 = RepairRules()


def check_repair(document: object) -> tuple[RepairRules, list[Problem]]:
    """The rules of a parsed ``repair.yaml``, and every problem (field, reason) found.

    The rules returned are :data:`NDRC_2023` whenever there is a problem.
    """
    if not isinstance(document, Mapping):
        return NDRC_2023, [Problem("(file)", "must be a mapping of the repair rules' fields")]
    problems: list[Problem] = []
    known = set(NDRC_2023.as_dict())
    problems += [
        Problem(str(key), f"unknown field (known: {', '.join(sorted(known))})")
        for key in document
        if key not in known
    ]
    values: dict[str, Any] = {}
    for key, check in _CHECKS.items():
        if key in document:
            values[key] = check(document[key], problems)
    if problems:
        return NDRC_2023, problems
    days = values.get("min_publicity_days", NDRC_2023.min_publicity_days)
    training = values.get("training_for", NDRC_2023.training_for)
    problems += [
        Problem("training_for", f"gravity {g!r} is not published (not in min_publicity_days)")
        for g in sorted(training)
        if g not in days
    ]
    if problems:
        return NDRC_2023, problems
    return RepairRules(**{**_defaults(), **values}), []


def _defaults() -> dict[str, Any]:
    d = NDRC_2023
    return {
        "categories": d.categories,
        "min_publicity_days": d.min_publicity_days,
        "training_for": d.training_for,
        "ends_scoring": d.ends_scoring,
        "decide_business_days": d.decide_business_days,
        "legal_basis": d.legal_basis,
    }


def _categories(value: object, problems: list[Problem]) -> frozenset[str]:
    if not isinstance(value, list):
        problems.append(Problem("categories", "must be a list of taxonomy categories"))
        return frozenset()
    taxonomy = conduct_taxonomy()
    for i, item in enumerate(value):
        if not isinstance(item, str) or taxonomy.category(item) is None:
            problems.append(Problem(f"categories[{i}]", f"{item!r} is not a taxonomy category"))
    return frozenset(v for v in value if isinstance(v, str))


def _days(value: object, problems: list[Problem]) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        problems.append(Problem("min_publicity_days", "must map a gravity to a number of days"))
        return MappingProxyType({})
    for gravity, days in value.items():
        path = f"min_publicity_days.{gravity}"
        if gravity not in _GRAVITIES:
            problems.append(Problem(path, f"not a penalty's gravity ({', '.join(_GRAVITIES)})"))
        elif not _whole(days, 0, _MAX_DAYS):
            problems.append(Problem(path, f"must be a whole number of days 0..{_MAX_DAYS}"))
    return MappingProxyType({str(g): d for g, d in value.items()})


def _training(value: object, problems: list[Problem]) -> frozenset[str]:
    if not isinstance(value, list):
        problems.append(Problem("training_for", "must be a list of gravities"))
        return frozenset()
    for i, item in enumerate(value):
        if item not in _GRAVITIES:
            problems.append(Problem(f"training_for[{i}]", f"{item!r} is not a penalty's gravity"))
    return frozenset(str(v) for v in value)


def _ends(value: object, problems: list[Problem]) -> bool:
    if not isinstance(value, bool):
        problems.append(Problem("ends_scoring", "must be true or false"))
    return bool(value)


def _business_days(value: object, problems: list[Problem]) -> int:
    if not isinstance(value, int) or not _whole(value, 1, _MAX_BUSINESS_DAYS):
        problems.append(
            Problem("decide_business_days", f"must be a whole number 1..{_MAX_BUSINESS_DAYS}")
        )
        return 0
    return value


def _basis(value: object, problems: list[Problem]) -> str:
    if not isinstance(value, str) or registry().entry(value) is None:
        problems.append(Problem("legal_basis", f"{value!r} is not an entry of the registry"))
        return ""
    return value


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


_CHECKS = {
    "categories": _categories,
    "min_publicity_days": _days,
    "training_for": _training,
    "ends_scoring": _ends,
    "decide_business_days": _business_days,
    "legal_basis": _basis,
}
