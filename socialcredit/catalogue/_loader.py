"""Loading a catalogue from YAML, with every load-time check and every problem reported at once.

A catalogue is a bundle's choice within the engine's conduct taxonomy
(:mod:`socialcredit.catalogue._taxonomy`), each kind citing the legal-basis registry
(:mod:`socialcredit.catalogue._legal_basis`). A catalogue file looks like this::

    version: 2
    taxonomy: 1                                 # the taxonomy version the bundle chooses from
    legal_basis_registry: 1                     # the registry version it cites
    kinds:
      - id: loan_default                        # snake_case
        name: Loan default
        category: debt                          # exactly one taxonomy category; its context
        subject_kinds: [person, organisation]   # within the category's
        gravity: general                        # minor | general | serious | positive | neutral
        legal_basis: credit-reporting-regulation-2013/art15   # a registry entry for the category
        retention: 5y                           # <n>d/w/m/y, at most the category's maximum
        fields:                                 # optional; the closed set amount, evidence
          amount: {unit: CNY, required: true}   # unit is one of AMOUNT_UNITS
          evidence: {required: true}            # evidence is accepted (optional) when not declared

A bundle cannot declare ``contexts`` or ``categories``: the taxonomy is the engine's. A kind has
a closed set of keys (nothing that could make it depend on another subject's records or score)
and a closed set of typed fields (nothing that could name or point at another person). Every
string is screened by the prohibited-grounds firewall (:mod:`socialcredit.catalogue._firewall`).
A catalogue is refused whole, as one :class:`~socialcredit.errors.CatalogueError` whose problems
name every key at fault (``kinds[3].legal_basis``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from socialcredit.catalogue import _firewall as firewall
from socialcredit.catalogue._legal_basis import registry
from socialcredit.catalogue._model import FieldSpec, Gravity, RecordKind, SubjectKind
from socialcredit.catalogue._records import Catalogue
from socialcredit.catalogue._taxonomy import Category, conduct_taxonomy, retention_days
from socialcredit.errors import CatalogueError, Problem, ProblemCollector

__all__ = [
    "AMOUNT_UNITS",
    "SUPPORTED_VERSION",
    "default_catalogue",
    "load_catalogue",
    "retention_days",
]

SUPPORTED_VERSION = 2
#: Units an ``amount`` may be measured in: yuan (whole), hours (volunteering), millilitres (blood
#: donated), days (e.g. days overdue), count (items, occurrences).
AMOUNT_UNITS = ("CNY", "hours", "ml", "days", "count")
_TOP_KEYS = {"version": True, "taxonomy": True, "legal_basis_registry": True, "kinds": True}
_KIND_KEYS = {
    "id": True,
    "name": True,
    "category": True,
    "subject_kinds": True,
    "gravity": True,
    "legal_basis": True,
    "retention": True,
    "fields": False,
}
_FIELD_KEYS = {"amount": ("required", "unit"), "evidence": ("required",)}
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_WHOLE = "(catalogue)"
_ENGINE_OWNS = "the taxonomy is the engine's; a bundle cannot extend it"
# A key that would make a kind turn on someone else (what the closed key set refuses anyway).
_DEPENDS = re.compile(
    r"depend|subject|relat|associat|other|peer|link|inherit|deriv|score|network|neighbo|"
    r"trigger|basedon|contact|person|people|member|group|household|famil|friend|propagat|"
    r"contag|graph|refer|via|from|parent|owner|spouse|companion|guarantor"
)
# A field name that would name or point at a person or another subject.
_POINTS_AT = re.compile(
    r"(?:^|_)(?:u?u?ids?|names?|who|whom|whose)(?:_|$)|person|people|subject|identi|resident|"
    r"citizen|individual|user|member|someone|somebody|other|companion|contact|relat|partner|"
    r"spouse|guarantor|owner|holder|account|phone|email|address|household|famil|friend|"
    r"associat|referr|reporter|witness|informant"
)


class UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader that refuses duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base class reports unhashable keys
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise CatalogueError("catalogue is not valid YAML", [Problem(_WHOLE, str(exc))]) from None


def load_catalogue(source: str | os.PathLike[str] | Mapping[str, Any]) -> Catalogue:
    """Load and check a catalogue.

    Args:
        source: a path to a YAML file, or an already parsed mapping.

    Returns:
        The checked catalogue.

    Raises:
        CatalogueError: listing every problem found (missing, mistyped or unknown keys, declared
            contexts or categories, duplicate ids, a category not in the taxonomy, subject kinds,
            gravity or retention outside the category, a legal basis that is not a registry
            entry authorising the category, fields outside the closed set, prohibited grounds),
            or if the file cannot be read or parsed.
    """
    if not isinstance(source, str | os.PathLike):
        document: object = source  # already parsed; anything but a mapping is refused below
    else:
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise CatalogueError(
                "catalogue cannot be read", [Problem(_WHOLE, f"{source}: {exc.strerror}")]
            ) from None
        document = _parse_yaml(text)
    return _Checker().catalogue(document)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The catalogue shipped in the default policy (``socialcredit/policy/default``), loaded once.

    Raises:
        CatalogueError: if the shipped catalogue fails its checks (a packaging bug).
    """
    resource = resources.files("socialcredit").joinpath("policy/default/catalogue.yaml")
    document = _parse_yaml(resource.read_text(encoding="utf-8"))
    return _Checker().catalogue(document)


class _Checker(ProblemCollector):
    """One pass over a catalogue document, collecting every problem."""

    def __init__(self) -> None:
        super().__init__()
        self.taxonomy = conduct_taxonomy()
        self.registry = registry()

    def catalogue(self, doc: object) -> Catalogue:
        if not isinstance(doc, Mapping):
            raise CatalogueError(
                "catalogue refused",
                [Problem(_WHOLE, "must be a mapping with version, taxonomy and kinds")],
            )
        self.top(doc)
        raw_kinds = doc.get("kinds")
        kinds: list[RecordKind] = []
        if "kinds" in doc and (not isinstance(raw_kinds, list) or not raw_kinds):
            self.refuse("kinds", "must be a non-empty list of record kinds")
        elif isinstance(raw_kinds, list):
            kinds = self.kinds(raw_kinds)
        if self.problems:
            count = len(self.problems)
            raise CatalogueError(f"catalogue refused ({count} problems)", self.problems)
        return Catalogue(
            kinds,
            contexts=self.taxonomy.contexts,
            categories=self.taxonomy.categories,
            version=SUPPORTED_VERSION,
            taxonomy_version=self.taxonomy.version,
            registry_version=self.registry.version,
        )

    def top(self, doc: Mapping[Any, Any]) -> None:
        """The top-level keys: the format version and the pinned taxonomy and registry."""
        for key in doc:
            if key in ("contexts", "categories"):
                self.refuse(str(key), _ENGINE_OWNS)
            elif key not in _TOP_KEYS:
                self.refuse(str(key), f"unknown key (allowed: {', '.join(_TOP_KEYS)})")
                self.firewall(str(key), str(key))
        for key in _TOP_KEYS:
            if key not in doc:
                self.refuse(key, "required")
        version = doc.get("version")
        if "version" in doc and (type(version) is not int or version != SUPPORTED_VERSION):
            self.refuse(
                "version",
                f"unsupported version {version!r} (this engine reads {SUPPORTED_VERSION}: kinds "
                "name a taxonomy category and cite the legal-basis registry)",
            )
        for key, shipped in (
            ("taxonomy", self.taxonomy.version),
            ("legal_basis_registry", self.registry.version),
        ):
            if key in doc and (type(doc[key]) is not int or doc[key] != shipped):
                self.refuse(key, f"this engine ships {key} version {shipped}, got {doc[key]!r}")

    def kinds(self, raw_kinds: list[Any]) -> list[RecordKind]:
        kinds: list[RecordKind] = []
        first_at: dict[str, int] = {}
        for i, raw in enumerate(raw_kinds):
            kind = self.kind(f"kinds[{i}]", raw)
            raw_id = raw.get("id") if isinstance(raw, Mapping) else None
            if isinstance(raw_id, str) and raw_id in first_at:
                first = first_at[raw_id]
                self.refuse(f"kinds[{i}].id", f"duplicate id {raw_id!r} (first at kinds[{first}])")
            elif isinstance(raw_id, str):
                first_at[raw_id] = i
            if kind is not None:
                kinds.append(kind)
        return kinds

    def kind_keys(self, p: str, raw: Mapping[Any, Any]) -> None:
        """Refuse keys outside the closed set, saying why for the ones that matter."""
        allowed = ", ".join(_KIND_KEYS)
        for key in raw:
            name = str(key)
            if name == "context":
                self.refuse(f"{p}.context", f"{_ENGINE_OWNS}: a kind's context is its category's")
            elif name == "categories":
                self.refuse(f"{p}.categories", f"{_ENGINE_OWNS}: name one category: instead")
            elif name not in _KIND_KEYS:
                reason = f"unknown key (allowed: {allowed})"
                if _DEPENDS.search(name.lower()):
                    reason = (
                        "a kind is about its own subject's conduct as established by the "
                        "authority: it may not depend on anyone else's records or score "
                        f"(unknown key; allowed: {allowed})"
                    )
                self.refuse(f"{p}.{name}", reason)
                self.firewall(f"{p}.{name}", name)
        for key, required in _KIND_KEYS.items():
            if required and key not in raw:
                self.refuse(f"{p}.{key}", "required")

    def firewall(self, path: str, text: str) -> None:
        """Refuse ``text`` for every prohibited term the firewall finds in it."""
        for reason in firewall.term_reasons(text):
            self.refuse(path, reason)

    def snake(self, path: str, value: object) -> str | None:
        if not isinstance(value, str) or not _SNAKE.fullmatch(value) or len(value) > 64:
            self.refuse(path, f"must be a snake_case name of at most 64 characters, got {value!r}")
            return None
        return value

    def text(self, path: str, value: object, limit: int) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.refuse(path, "must be non-empty text")
            return None
        if len(value) > limit:
            self.refuse(path, f"at most {limit} characters")
            return None
        return value.strip()

    def kind(self, p: str, raw: object) -> RecordKind | None:
        if not isinstance(raw, Mapping):
            self.refuse(p, "must be a mapping")
            return None
        before = len(self.problems)
        self.kind_keys(p, raw)
        kind_id = self.snake(f"{p}.id", raw["id"]) if "id" in raw else None
        if kind_id is not None:
            self.firewall(f"{p}.id", kind_id)
        name = self.text(f"{p}.name", raw["name"], 200) if "name" in raw else None
        if name is not None:
            self.firewall(f"{p}.name", name)
        category = self.category(f"{p}.category", raw)
        subjects = self.subject_kinds(f"{p}.subject_kinds", raw, category)
        gravity = self.gravity(f"{p}.gravity", raw, category)
        basis = self.legal_basis(f"{p}.legal_basis", raw, category)
        days = self.retention(f"{p}.retention", raw, category)
        amount, evidence = self.fields(f"{p}.fields", raw.get("fields", {}))
        if len(self.problems) > before:
            return None
        assert kind_id and name and category and gravity and basis and days  # checked above
        return RecordKind(
            id=kind_id,
            name=name,
            subject_kinds=subjects,
            context=category.context,
            gravity=gravity,
            legal_basis=basis,
            retention=str(raw["retention"]),
            retention_days=days,
            category=category.id,
            amount=amount,
            evidence=evidence,
        )

    def category(self, path: str, raw: Mapping[str, Any]) -> Category | None:
        if "category" not in raw:
            return None
        value = raw["category"]
        if not isinstance(value, str):
            self.refuse(path, "must name exactly one category of the engine's taxonomy")
            return None
        self.firewall(path, value)
        found = self.taxonomy.category(value)
        if found is None:
            self.refuse(
                path,
                f"unknown category {value!r}: {_ENGINE_OWNS} (taxonomy version "
                f"{self.taxonomy.version}: {', '.join(self.taxonomy.categories)})",
            )
        return found

    def subject_kinds(
        self, path: str, raw: Mapping[str, Any], category: Category | None
    ) -> tuple[SubjectKind, ...]:
        if "subject_kinds" not in raw:
            return ()
        value = raw["subject_kinds"]
        allowed = {s.value: s for s in SubjectKind}
        if not isinstance(value, list) or not value:
            self.refuse(path, "must be a non-empty list of person / organisation")
            return ()
        out: list[SubjectKind] = []
        for i, item in enumerate(value):
            subject = allowed.get(item) if isinstance(item, str) else None
            if subject is None:
                self.refuse(f"{path}[{i}]", f"unknown subject kind {item!r} (person, organisation)")
            elif subject in out:
                self.refuse(f"{path}[{i}]", f"duplicate {item!r}")
            elif category is not None and subject.value not in category.subject_kinds:
                self.refuse(
                    f"{path}[{i}]",
                    f"category {category.id!r} is not recorded about {subject.value}s "
                    f"(only {', '.join(category.subject_kinds)})",
                )
            else:
                out.append(subject)
        return tuple(out)

    def gravity(
        self, path: str, raw: Mapping[str, Any], category: Category | None
    ) -> Gravity | None:
        if "gravity" not in raw:
            return None
        value = raw["gravity"]
        allowed = {g.value: g for g in Gravity}
        gravity = allowed.get(value) if isinstance(value, str) else None
        if gravity is None:
            self.refuse(path, f"unknown gravity {value!r} ({', '.join(allowed)})")
        elif category is not None and gravity.value not in category.gravities:
            self.refuse(
                path,
                f"gravity {gravity.value!r} is outside category {category.id!r} "
                f"({', '.join(category.gravities)})",
            )
            return None
        return gravity

    def legal_basis(
        self, path: str, raw: Mapping[str, Any], category: Category | None
    ) -> str | None:
        if "legal_basis" not in raw:
            return None
        value = raw["legal_basis"]
        if isinstance(value, str):
            self.firewall(path, value)
        if category is None:
            _, reason = self.registry.lookup(value)
        else:
            reason = self.registry.record_reason(value, category.id)
        if reason is not None:
            self.refuse(path, reason)
            return None
        return str(value)

    def retention(self, path: str, raw: Mapping[str, Any], category: Category | None) -> int | None:
        if "retention" not in raw:
            return None
        value = raw["retention"]
        days = retention_days(value)
        if days is None:
            self.refuse(path, f"must be like 5y, 6m, 2w or 180d, got {value!r}")
        elif category is not None and days > category.max_retention_days:
            self.refuse(
                path,
                f"retention {value} exceeds the maximum of category {category.id!r} "
                f"({category.max_retention})",
            )
            return None
        return days

    def fields(self, path: str, value: object) -> tuple[FieldSpec | None, FieldSpec | None]:
        """The kind's amount and evidence specs; evidence defaults to accepted, optional."""
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            self.refuse(path, "must be a mapping of field name to spec")
            return None, None
        specs: dict[str, FieldSpec] = {}
        for name, spec in value.items():
            field_path = f"{path}.{name}"
            self.firewall(field_path, str(name))
            if name not in _FIELD_KEYS:
                self.refuse(field_path, _unknown_field(str(name)))
            elif (checked := self.field_spec(field_path, name, spec)) is not None:
                specs[name] = checked
        return specs.get("amount"), specs.get("evidence", FieldSpec(required=False))

    def field_spec(self, path: str, name: str, spec: object) -> FieldSpec | None:
        if spec is None:
            spec = {}
        if not isinstance(spec, Mapping):
            self.refuse(path, "must be a mapping such as {required: true}")
            return None
        before = len(self.problems)
        allowed = _FIELD_KEYS[name]
        for key in spec:
            if key not in allowed:
                self.refuse(f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed)})")
                self.firewall(f"{path}.{key}", str(key))
        required = spec.get("required", False)
        if not isinstance(required, bool):
            self.refuse(f"{path}.required", "must be true or false")
        unit = spec.get("unit")
        if isinstance(unit, str):
            self.firewall(f"{path}.unit", unit)
        if name == "amount" and unit not in AMOUNT_UNITS:
            self.refuse(f"{path}.unit", f"unknown unit {unit!r} ({', '.join(AMOUNT_UNITS)})")
        if len(self.problems) > before:
            return None
        return FieldSpec(required=required, unit=unit)


def _unknown_field(name: str) -> str:
    closed = f"a kind's fields are a closed set ({', '.join(_FIELD_KEYS)})"
    if _POINTS_AT.search(name.lower()):
        return f"a field may never name or point at another person or subject; {closed}"
    return f"unknown field: {closed}"
