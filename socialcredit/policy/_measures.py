"""The measures part of a policy bundle (``measures.yaml``): measures, links, services, checks.

::

    measures:
      - id: no_air_travel
        name: No air travel
        type: air_travel_restriction       # one of the registry's measure types
        effect: restriction                # restriction or reward: the type's
        context: transport                 # where the measure is applied (an engine context)
        gravity: general                   # restrictions: minor/general/serious; rewards: positive
        legal_basis: spc-high-consumption-2015/art3-1   # a registry entry for type in context
        role_bound: false                  # true: also reaches a listed organisation's legal rep.
    links:                                 # which list triggers which measure
      - {list: dishonest_judgment_debtors, measure: no_air_travel,
         legal_basis: spc-high-consumption-2015/art3-1}   # when the contexts differ
    services:                              # what a point of service can ask about
      air_travel: {name: Air travel, measures: [no_air_travel]}

Load-time checks (:func:`check_measures`) refuse a measure whose legal basis is not an entry of
the legal-basis registry authorising its measure type in its context, a disproportionate link
(a measure graver than the list that triggers it), stacking (the same list and measure linked
twice, or one record kind reaching the same measure through two lists), a measure in another
context than its trigger's without a legal basis on the link that authorises the crossing
(purpose binding), a reward on a black list or a restriction on a red one, and any id or name
the prohibited-grounds firewall refuses. Every problem is keyed by its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from socialcredit.catalogue import Catalogue, Gravity, conduct_taxonomy, registry, term_reasons
from socialcredit.errors import Problem
from socialcredit.policy._lists import _SNAKE, GRAVITY_RANK, Colour, ListDefinition

__all__ = ["Effect", "Link", "Measure", "MeasurePolicy", "Service", "check_measures"]

_MEASURE_KEYS = {"id", "name", "type", "effect", "context", "gravity", "legal_basis", "role_bound"}
_LINK_KEYS = {"list", "measure", "legal_basis"}


class Effect(StrEnum):
    """A measure restricts (deny) or rewards."""

    RESTRICTION = "restriction"
    REWARD = "reward"


@dataclass(frozen=True, slots=True)
class Measure:
    """One reward or restriction; ``type`` is its measure type in the legal-basis registry."""

    id: str
    name: str
    effect: Effect
    context: str
    gravity: Gravity
    legal_basis: str
    role_bound: bool = False
    type: str = ""

    def as_dict(self) -> dict[str, str]:
        """The measure as comparable text values (for diffs)."""
        return {
            "name": self.name,
            "type": self.type,
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
    # The engine's contexts, whatever the catalogue: a bundle cannot add any.
    contexts = tuple(conduct_taxonomy().contexts)
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
    for key in raw:
        if key not in _MEASURE_KEYS:
            out.append(Problem(f"{p}.{key}", "unknown key"))
            out += screen(f"{p}.{key}", str(key))
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
    if not isinstance(raw["name"], str) or not raw["name"].strip():
        out.append(Problem(f"{p}.name", "must be non-empty text"))
    for key in ("id", "name", "type", "legal_basis"):
        out += screen(f"{p}.{key}", raw[key])
    out += _type_problems(p, raw, contexts)
    role_bound = raw.get("role_bound", False)
    if not isinstance(role_bound, bool):
        out.append(Problem(f"{p}.role_bound", "must be true or false"))
    if len(out) > before:
        return None
    return Measure(
        raw["id"], raw["name"], Effect(effect), str(raw["context"]), Gravity(raw["gravity"]),
        raw["legal_basis"], role_bound, str(raw["type"]),
    )  # fmt: skip


def _type_problems(
    p: str, raw: Mapping[str, Any], contexts: tuple[str, ...] | None
) -> list[Problem]:
    """The measure type is the registry's, has the measure's effect, and the basis grants it
    (in the measure's context; an unknown context is reported on its own)."""
    known = registry()
    kind = known.measure_types.get(raw["type"]) if isinstance(raw["type"], str) else None
    if kind is None:
        return [
            Problem(
                f"{p}.type",
                f"unknown measure type {raw['type']!r}: the measure types are the engine's "
                f"(registry version {known.version}: {', '.join(known.measure_types)})",
            )
        ]
    problems = []
    if raw["effect"] in ("restriction", "reward") and raw["effect"] != kind.effect:
        problems.append(
            Problem(f"{p}.effect", f"a measure of type {kind.id} is a {kind.effect}, not a "
                    f"{raw['effect']}")
        )  # fmt: skip
    if contexts is not None and raw["context"] not in contexts:
        _, reason = known.lookup(raw["legal_basis"])
    else:
        reason = known.measure_reason(raw["legal_basis"], kind.id, str(raw["context"]))
    return problems + ([Problem(f"{p}.legal_basis", reason)] if reason else [])


def screen(path: str, value: object) -> list[Problem]:
    """One problem per prohibited term the firewall finds in ``value`` (if it is text)."""
    if not isinstance(value, str):
        return []
    return [Problem(path, reason) for reason in term_reasons(value)]


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
    basis, before = raw.get("legal_basis"), len(out)
    if basis is not None:
        out += screen(f"{p}.legal_basis", basis)
        _, reason = registry().lookup(basis)
        out += [Problem(f"{p}.legal_basis", reason)] if reason else []
    if trigger is None or measure is None:
        return None
    # A basis already refused (not text, none, unknown) is not looked at again below.
    out += _link_problems(p, trigger, measure, basis, checked=len(out) == before)
    if len(out) > before:
        return None
    return Link(trigger.id, measure.id, None if basis is None else str(basis))


def _link_problems(
    p: str, trigger: ListDefinition, measure: Measure, basis: object, *, checked: bool
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
    elif basis is not None and checked:
        why = registry().measure_reason(basis, measure.type, measure.context, trigger.context)
        problems += [Problem(f"{p}.legal_basis", why)] if why else []
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
        out += screen(p, service_id) + screen(f"{p}.name", item["name"])
        listed: Any = item["measures"]
        if not isinstance(listed, list) or not listed:
            out.append(Problem(f"{p}.measures", "must be a non-empty list of measures"))
            continue
        unknown = [m for m in listed if m not in measures]
        out += [Problem(f"{p}.measures", f"unknown measure {m!r}") for m in unknown]
        if not unknown:
            found.append(Service(service_id, str(item["name"]), tuple(listed)))
    return tuple(found)
