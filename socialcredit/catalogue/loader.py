"""Loading a catalogue from YAML, with every load-time check and every problem reported at once.

A catalogue file looks like this::

    version: 1
    contexts: [finance, judicial, ...]          # the contexts kinds may belong to
    categories: [court_judgment, debt, ...]     # the data categories kinds may declare
    kinds:
      - id: loan_default                        # snake_case
        name: Loan default
        subject_kinds: [person, organisation]
        context: finance
        gravity: general                        # minor | general | serious | positive | neutral
        legal_basis: "Regulation on the Credit Reporting Industry (2013), Art. 16"
        retention: 5y                           # <n>d, <n>w, <n>m (30 days) or <n>y (365 days)
        categories: [debt]                      # optional, default []
        fields:                                 # optional; a field not declared is not accepted
          amount: {unit: CNY, required: true}   # unit is one of AMOUNT_UNITS
          evidence: {required: true}            # evidence is accepted (optional) when not declared

A catalogue is refused whole, as one :class:`~socialcredit.errors.CatalogueError` whose problems
name every key at fault (``kinds[3].legal_basis``), including every prohibited ground the
firewall (:mod:`socialcredit.catalogue.firewall`) finds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from socialcredit.catalogue import firewall
from socialcredit.catalogue.model import FieldSpec, Gravity, RecordKind, SubjectKind
from socialcredit.catalogue.records import Catalogue
from socialcredit.errors import CatalogueError, Problem

__all__ = [
    "AMOUNT_UNITS",
    "SUPPORTED_VERSION",
    "default_catalogue",
    "load_catalogue",
    "retention_days",
]

SUPPORTED_VERSION = 1
#: Units an ``amount`` may be measured in: yuan (whole), hours (volunteering), millilitres (blood
#: donated), days (e.g. days overdue), count (items, occurrences).
AMOUNT_UNITS = ("CNY", "hours", "ml", "days", "count")
_TOP_KEYS = {"version": True, "contexts": True, "categories": False, "kinds": True}
_KIND_KEYS = {
    "id": True,
    "name": True,
    "subject_kinds": True,
    "context": True,
    "gravity": True,
    "legal_basis": True,
    "retention": True,
    "categories": False,
    "fields": False,
}
_FIELD_KEYS = {"amount": ("required", "unit"), "evidence": ("required",)}
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_RETENTION = re.compile(r"([1-9][0-9]{0,4})([dwmy])")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_MAX_RETENTION_DAYS = 100 * 365
_WHOLE = "(catalogue)"


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
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
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise CatalogueError("catalogue is not valid YAML", [Problem(_WHOLE, str(exc))]) from None


def load_catalogue(source: str | os.PathLike[str] | Mapping[str, Any]) -> Catalogue:
    """Load and check a catalogue.

    Args:
        source: a path to a YAML file, or an already parsed mapping.

    Returns:
        The checked catalogue.

    Raises:
        CatalogueError: listing every problem found (missing, mistyped or unknown keys, duplicate
            ids, unknown contexts, gravities, subject kinds, categories or fields, bad retention,
            empty legal basis, prohibited grounds), or if the file cannot be read or parsed.
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


def retention_days(text: object) -> int | None:
    """Days in a retention period such as ``5y``, ``6m``, ``2w`` or ``180d``; None if malformed."""
    match = _RETENTION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    return int(match[1]) * _UNIT_DAYS[match[2]]


class _Checker:
    """One pass over a catalogue document, collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.contexts: set[str] = set()
        self.categories: set[str] = set()

    def refuse(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))

    def catalogue(self, doc: object) -> Catalogue:
        if not isinstance(doc, Mapping):
            raise CatalogueError(
                "catalogue refused",
                [Problem(_WHOLE, "must be a mapping with version, contexts and kinds")],
            )
        self.keys("", doc, _TOP_KEYS)
        version = doc.get("version")
        if "version" in doc and (type(version) is not int or version != SUPPORTED_VERSION):
            self.refuse("version", f"unsupported version {version!r} (this engine reads 1)")
        contexts = self.names("contexts", doc.get("contexts"), required=True)
        categories = self.names("categories", doc.get("categories", []), required=False)
        self.contexts, self.categories = set(contexts), set(categories)
        raw_kinds = doc.get("kinds")
        kinds: list[RecordKind] = []
        if "kinds" in doc and (not isinstance(raw_kinds, list) or not raw_kinds):
            self.refuse("kinds", "must be a non-empty list of record kinds")
        elif isinstance(raw_kinds, list):
            first_at: dict[str, int] = {}
            for i, raw in enumerate(raw_kinds):
                kind = self.kind(f"kinds[{i}]", raw)
                raw_id = raw.get("id") if isinstance(raw, Mapping) else None
                if isinstance(raw_id, str) and raw_id in first_at:
                    first = first_at[raw_id]
                    reason = f"duplicate id {raw_id!r} (first at kinds[{first}])"
                    self.refuse(f"kinds[{i}].id", reason)
                elif isinstance(raw_id, str):
                    first_at[raw_id] = i
                if kind is not None:
                    kinds.append(kind)
        if self.problems:
            count = len(self.problems)
            raise CatalogueError(f"catalogue refused ({count} problems)", self.problems)
        return Catalogue(kinds, contexts=contexts, categories=categories, version=SUPPORTED_VERSION)

    def keys(self, prefix: str, mapping: Mapping[Any, Any], allowed: Mapping[str, bool]) -> None:
        """Refuse unknown keys and report missing required ones."""
        dot = f"{prefix}." if prefix else ""
        for key in mapping:
            if key not in allowed:
                self.refuse(f"{dot}{key}", f"unknown key (allowed: {', '.join(allowed)})")
        for key, required in allowed.items():
            if required and key not in mapping:
                self.refuse(f"{dot}{key}", "required")

    def firewall(self, path: str, name: str, *, as_category: bool) -> None:
        """Refuse ``name`` if it is a prohibited category or contains a prohibited term."""
        reason = firewall.prohibited_category_reason(name) if as_category else None
        if reason is not None:
            self.refuse(path, reason)
            return
        for term_reason in firewall.term_reasons(name):
            self.refuse(path, term_reason)

    def snake(self, path: str, value: object) -> str | None:
        if not isinstance(value, str) or not _SNAKE.fullmatch(value) or len(value) > 64:
            self.refuse(path, f"must be a snake_case name of at most 64 characters, got {value!r}")
            return None
        return value

    def names(self, path: str, value: object, *, required: bool) -> list[str]:
        """A declared list of contexts or categories: unique snake_case names, none prohibited."""
        if not isinstance(value, list) or (required and not value):
            self.refuse(path, "must be a non-empty list" if required else "must be a list")
            return []
        out: list[str] = []
        for i, item in enumerate(value):
            name = self.snake(f"{path}[{i}]", item)
            if name is None:
                continue
            if name in out:
                self.refuse(f"{path}[{i}]", f"duplicate {name!r}")
            self.firewall(f"{path}[{i}]", name, as_category=True)
            out.append(name)
        return out

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
        self.keys(p, raw, _KIND_KEYS)
        kind_id = self.snake(f"{p}.id", raw["id"]) if "id" in raw else None
        if kind_id is not None:
            self.firewall(f"{p}.id", kind_id, as_category=False)
        name = self.text(f"{p}.name", raw["name"], 200) if "name" in raw else None
        if name is not None:
            self.firewall(f"{p}.name", name, as_category=False)
        subjects = self.subject_kinds(f"{p}.subject_kinds", raw.get("subject_kinds"), raw)
        context = self.context(f"{p}.context", raw)
        gravity = self.gravity(f"{p}.gravity", raw.get("gravity"), raw)
        basis = None
        if "legal_basis" in raw:
            basis = self.text(f"{p}.legal_basis", raw["legal_basis"], 1000)
        retention = raw.get("retention")
        days = retention_days(retention)
        if "retention" in raw and (days is None or days > _MAX_RETENTION_DAYS):
            self.refuse(f"{p}.retention", f"must be like 5y, 6m, 2w or 180d, got {retention!r}")
        categories = self.kind_categories(f"{p}.categories", raw.get("categories", []))
        amount, evidence = self.fields(f"{p}.fields", raw.get("fields", {}))
        if len(self.problems) > before:
            return None
        assert kind_id and name and context and gravity and basis and days  # checked above
        return RecordKind(
            id=kind_id,
            name=name,
            subject_kinds=subjects,
            context=context,
            gravity=gravity,
            legal_basis=basis,
            retention=str(retention),
            retention_days=days,
            categories=categories,
            amount=amount,
            evidence=evidence,
        )

    def context(self, path: str, raw: Mapping[str, Any]) -> str | None:
        if "context" not in raw:
            return None
        value = raw["context"]
        if not isinstance(value, str):
            self.refuse(path, "must be a context name")
            return None
        if value not in self.contexts:
            self.refuse(path, f"unknown context {value!r} (declare it under contexts)")
        self.firewall(path, value, as_category=True)
        return value

    def subject_kinds(
        self, path: str, value: object, raw: Mapping[str, Any]
    ) -> tuple[SubjectKind, ...]:
        if "subject_kinds" not in raw:
            return ()
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
            else:
                out.append(subject)
        return tuple(out)

    def gravity(self, path: str, value: object, raw: Mapping[str, Any]) -> Gravity | None:
        if "gravity" not in raw:
            return None
        allowed = {g.value: g for g in Gravity}
        gravity = allowed.get(value) if isinstance(value, str) else None
        if gravity is None:
            self.refuse(path, f"unknown gravity {value!r} ({', '.join(allowed)})")
        return gravity

    def kind_categories(self, path: str, value: object) -> tuple[str, ...]:
        if value is None:  # "categories:" left empty in YAML
            value = []
        if not isinstance(value, list):
            self.refuse(path, "must be a list of declared categories")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.refuse(f"{path}[{i}]", "must be a category name")
                continue
            if item not in self.categories:
                reason = f"unknown category {item!r} (declare it under categories)"
                self.refuse(f"{path}[{i}]", reason)
            elif item in out:
                self.refuse(f"{path}[{i}]", f"duplicate {item!r}")
            self.firewall(f"{path}[{i}]", item, as_category=True)
            out.append(item)
        return tuple(out)

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
            self.firewall(field_path, str(name), as_category=False)
            if name not in _FIELD_KEYS:
                self.refuse(field_path, "unknown field (a kind may declare amount, evidence)")
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
        self.keys(path, spec, dict.fromkeys(_FIELD_KEYS[name], False))
        required = spec.get("required", False)
        if not isinstance(required, bool):
            self.refuse(f"{path}.required", "must be true or false")
        unit = spec.get("unit")
        if name == "amount" and unit not in AMOUNT_UNITS:
            self.refuse(f"{path}.unit", f"unknown unit {unit!r} ({', '.join(AMOUNT_UNITS)})")
        if len(self.problems) > before:
            return None
        return FieldSpec(required=required, unit=unit)
