"""The measures part of a policy bundle (``measures.yaml``): measures, links, services, checks.

::

    measures:
      - id: no_air_travel
        name: No air travel
        effect: restriction                # restriction or reward
        context: transport                 # where the measure is applied
        gravity: general                   # restrictions: minor/general/serious; rewards: positive
        legal_basis: SPC Provisions on Restricting High Consumption (2015), Art. 3(1)
        role_bound: false                  # true: also reaches a listed organisation's legal rep.
    links:                                 # which list triggers which measure
      - {list: dishonest_judgment_debtors, measure: no_air_travel,
         legal_basis: "..."}               # required when the contexts differ (purpose binding)
    services:                              # what a point of service can ask about
      air_travel: {name: Air travel, measures: [no_air_travel]}

Load-time checks (:func:`check_measures`) refuse a disproportionate link (a measure graver than
the list that triggers it), stacking (the same list and measure linked twice, or one record
kind reaching the same measure through two lists), a measure in another context than its
trigger's without a legal basis on the link, and a reward on a black list or a restriction on a
red one. Every problem is keyed by its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from socialcredit.catalogue import Catalogue, Gravity
from socialcredit.errors import Problem
from socialcredit.policy.lists import _SNAKE, GRAVITY_RANK, Colour, ListDefinition

__all__ = ["Effect", "Link", "Measure", "MeasurePolicy", "Service", "check_measures"]

_MEASURE_KEYS = {"id", "name", "effect", "context", "gravity", "legal_basis", "role_bound"}
_LINK_KEYS = {"list", "measure", "legal_basis"}


class Effect(StrEnum):
    """A measure restricts (deny) or rewards."""

    RESTRICTION = "restriction"
    REWARD = "reward"


@dataclass(frozen=True, slots=True)
class Measure:
    """One reward or restriction."""

    id: str
    name: str
    effect: Effect
    context: str
    gravity: Gravity
    legal_basis: str
    role_bound: bool = False

    def as_dict(self) -> dict[str, str]:
        """The measure as comparable text values (for diffs)."""
        return {
            "name": self.name,
            "effect": self.effect.value,
            "context": self.context,
            "gravity": self.gravity.value,
            "legal_basis": self.legal_basis,
            "role_bound": str(self.role_bound),
        }


@dataclass(frozen=True, slots=True)
class Link:
    """A list triggers a measure; ``legal_basis`` is the link's own basis (purpose binding)."""

    list: str
    measure: str
    legal_basis: str | None = None

    @property
    def key(self) -> str:
        """``list->measure``, the link's identity in diffs."""
        return f"{self.list}->{self.measure}"


@dataclass(frozen=True, slots=True)
class Service:
    """Something a point of service asks about, and the measures that bear on it."""

    id: str
    name: str
    measures: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MeasurePolicy:
    """The checked content of ``measures.yaml``."""

    measures: tuple[Measure, ...] = ()
    links: tuple[Link, ...] = ()
    services: tuple[Service, ...] = ()

    def measure(self, measure_id: str) -> Measure:
        """The measure ``measure_id``. Raises KeyError if there is none."""
        return next(m for m in self.measures if m.id == measure_id)

    def service(self, service_id: str) -> Service | None:
        """The service ``service_id``, or None."""
        return next((s for s in self.services if s.id == service_id), None)


def check_measures(
    doc: object,
    catalogue: Catalogue | None,
    lists: tuple[ListDefinition, ...],
    declared: frozenset[str] = frozenset(),
) -> tuple[MeasurePolicy, list[Problem]]:
    """Check a parsed ``measures.yaml`` against the catalogue and the bundle's lists.

    ``declared`` names lists that exist but were refused (their own problems are reported in
    ``listings.yaml``); links to them are not reported again.

    Returns:
        The measure policy (complete only when there is no problem) and every problem.
    """
    problems: list[Problem] = []
    if not isinstance(doc, Mapping) or not set(doc) <= {"measures", "links", "services"}:
        return MeasurePolicy(), [Problem("(measures)", "must map measures, links, services")]
    contexts = None if catalogue is None else catalogue.contexts
    measures = _measures(doc.get("measures", []), contexts, problems)
    by_list = {d.id: d for d in lists}
    links = _links(doc.get("links", []), {m.id: m for m in measures}, by_list, problems, declared)
    services = _services(doc.get("services", {}), {m.id for m in measures}, problems)
    return MeasurePolicy(measures, links, services), problems


def _measures(
    raw: object, contexts: tuple[str, ...] | None, out: list[Problem]
) -> tuple[Measure, ...]:
    if not isinstance(raw, list):
        out.append(Problem("measures", "must be a list of measures"))
        return ()
    found: list[Measure] = []
    for i, item in enumerate(raw):
        measure = _measure(f"measures[{i}]", item, contexts, out)
        if measure is not None and any(m.id == measure.id for m in found):
            out.append(Problem(f"measures[{i}].id", f"duplicate measure {measure.id!r}"))
        elif measure is not None:
            found.append(measure)
    return tuple(found)


def _measure(
    p: str, raw: object, contexts: tuple[str, ...] | None, out: list[Problem]
) -> Measure | None:
    if not isinstance(raw, Mapping):
        out.append(Problem(p, "must be a mapping"))
        return None
    before = len(out)
    out += [Problem(f"{p}.{k}", "unknown key") for k in raw if k not in _MEASURE_KEYS]
    out += [
        Problem(f"{p}.{k}", "required")
        for k in sorted(_MEASURE_KEYS - {"role_bound"})
        if k not in raw
    ]
    if len(out) > before:
        return None
    if not isinstance(raw["id"], str) or not _SNAKE.fullmatch(raw["id"]):
        out.append(Problem(f"{p}.id", f"must be a snake_case id, got {raw['id']!r}"))
    effect = raw["effect"]
    if effect not in ("restriction", "reward"):
        out.append(Problem(f"{p}.effect", f"must be restriction or reward, got {effect!r}"))
    allowed = ("positive",) if effect == "reward" else ("minor", "general", "serious")
    if raw["gravity"] not in allowed:
        out.append(Problem(f"{p}.gravity", f"a {effect} must be {' / '.join(allowed)}"))
    if contexts is not None and raw["context"] not in contexts:
        out.append(Problem(f"{p}.context", f"unknown context {raw['context']!r}"))
    for key in ("name", "legal_basis"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            out.append(Problem(f"{p}.{key}", "must be non-empty text"))
    role_bound = raw.get("role_bound", False)
    if not isinstance(role_bound, bool):
        out.append(Problem(f"{p}.role_bound", "must be true or false"))
    if len(out) > before:
        return None
    return Measure(
        raw["id"], raw["name"], Effect(effect), str(raw["context"]), Gravity(raw["gravity"]),
        raw["legal_basis"], role_bound,
    )  # fmt: skip


def _links(
    raw: object,
    measures: Mapping[str, Measure],
    lists: Mapping[str, ListDefinition],
    out: list[Problem],
    declared: frozenset[str],
) -> tuple[Link, ...]:
    if not isinstance(raw, list):
        out.append(Problem("links", "must be a list of {list, measure, legal_basis}"))
        return ()
    found: list[Link] = []
    reached: dict[tuple[str, str], str] = {}  # (record kind, measure) -> first list
    for i, item in enumerate(raw):
        link = _link(f"links[{i}]", item, measures, lists, out, declared)
        if link is None:
            continue
        if any(k.list == link.list and k.measure == link.measure for k in found):
            out.append(Problem(f"links[{i}]", f"stacking: {link.key} is linked twice"))
            continue
        for ground in lists[link.list].grounds:
            first = reached.setdefault((ground.kind, link.measure), link.list)
            if first != link.list:
                out.append(
                    Problem(
                        f"links[{i}]",
                        f"stacking: one {ground.kind} record would trigger {link.measure} "
                        f"through both {first} and {link.list}",
                    )
                )
        found.append(link)
    return tuple(found)


def _link(
    p: str,
    raw: object,
    measures: Mapping[str, Measure],
    lists: Mapping[str, ListDefinition],
    out: list[Problem],
    declared: frozenset[str],
) -> Link | None:
    if not isinstance(raw, Mapping) or not {"list", "measure"} <= set(raw) <= _LINK_KEYS:
        out.append(Problem(p, "must be a mapping of list, measure and optional legal_basis"))
        return None
    trigger, measure = lists.get(raw["list"]), measures.get(raw["measure"])
    if trigger is None and raw["list"] not in declared:
        out.append(Problem(f"{p}.list", f"unknown list {raw['list']!r}"))
    if measure is None:
        out.append(Problem(f"{p}.measure", f"unknown measure {raw['measure']!r}"))
    basis = raw.get("legal_basis")
    if basis is not None and (not isinstance(basis, str) or not basis.strip()):
        out.append(Problem(f"{p}.legal_basis", "must be non-empty text"))
        return None
    if trigger is None or measure is None:
        return None
    before = len(out)
    out += _link_problems(p, trigger, measure, basis)
    return None if len(out) > before else Link(trigger.id, measure.id, basis)


def _link_problems(
    p: str, trigger: ListDefinition, measure: Measure, basis: str | None
) -> list[Problem]:
    problems = []
    wanted = Effect.RESTRICTION if trigger.colour == Colour.BLACK else Effect.REWARD
    if measure.effect != wanted:
        problems.append(
            Problem(f"{p}.measure", f"a {trigger.colour} list carries {wanted}s, not {measure.id}")
        )
    elif (
        wanted == Effect.RESTRICTION
        and GRAVITY_RANK[measure.gravity] > GRAVITY_RANK[trigger.gravity]
    ):
        problems.append(
            Problem(
                f"{p}.measure",
                f"disproportionate: {measure.id} ({measure.gravity}) is graver than its trigger "
                f"{trigger.id} ({trigger.gravity})",
            )
        )
    if measure.context != trigger.context and basis is None:
        problems.append(
            Problem(
                f"{p}.legal_basis",
                f"purpose binding: {measure.id} applies in {measure.context}, {trigger.id} comes "
                f"from {trigger.context}; the link needs an explicit legal basis",
            )
        )
    return problems


def _services(raw: object, measures: set[str], out: list[Problem]) -> tuple[Service, ...]:
    if not isinstance(raw, Mapping):
        out.append(Problem("services", "must map service ids to {name, measures}"))
        return ()
    found = []
    for service_id, item in raw.items():
        p = f"services.{service_id}"
        if not isinstance(service_id, str) or not _SNAKE.fullmatch(service_id):
            out.append(Problem(p, "must be a snake_case id"))
            continue
        if not isinstance(item, Mapping) or set(item) != {"name", "measures"}:
            out.append(Problem(p, "must be a mapping of name and measures"))
            continue
        listed: Any = item["measures"]
        if not isinstance(listed, list) or not listed:
            out.append(Problem(f"{p}.measures", "must be a non-empty list of measures"))
            continue
        unknown = [m for m in listed if m not in measures]
        out += [Problem(f"{p}.measures", f"unknown measure {m!r}") for m in unknown]
        if not unknown:
            found.append(Service(service_id, str(item["name"]), tuple(listed)))
    return tuple(found)
