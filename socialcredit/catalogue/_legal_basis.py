"""The legal-basis registry: the instruments and articles the engine knows, and what each allows.

The registry is engine data (``legal_basis.yaml`` beside this module). Each entry is one article
of one instrument, with a stable id ``<instrument>/<article>`` (``spc-dishonest-debtors-2017/
art1-1``), its title and citation, whether its number was checked against a published text,
and what it authorises: which taxonomy categories may be recorded, and which measure types may
be imposed in which context (and, for purpose binding, when triggered from which other
contexts). A bundle cites entries by id and can never add one.

    >>> from socialcredit.catalogue._legal_basis import registry
    >>> entry = registry().entry("spc-dishonest-debtors-2017/art1-1")
    >>> entry.authorises_record("court_enforcement"), entry.checked
    (True, True)
    >>> print(registry().record_reason("none", "court_enforcement"))
    'none' is not a legal basis: cite an entry of the legal-basis registry (version 1), ...

The ``*_reason`` methods return the refusal reason for a citation, or None when it authorises
what is asked; loaders turn the reasons into problems keyed by file and key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from socialcredit.catalogue._taxonomy import Taxonomy, conduct_taxonomy
from socialcredit.errors import CatalogueError, Problem

__all__ = ["Entry", "Grant", "MeasureType", "Registry", "registry"]

_FILE = "legal_basis.yaml"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NOT_A_BASIS = frozenset({"none", "null", "n/a", "na", "-", "tbd", "todo", "nil", "no"})
_EFFECTS = ("restriction", "reward")
_ARTICLE_KEYS = frozenset({"citation", "says", "checked", "records", "measures"})
_EXAMPLE = "spc-dishonest-debtors-2017/art1-1"


@dataclass(frozen=True, slots=True)
class MeasureType:
    """One type of measure the engine knows: its id, effect and what it does."""

    id: str
    effect: str
    covers: str


@dataclass(frozen=True, slots=True)
class Grant:
    """An entry allows measures of ``type`` in ``context``, also when triggered from ``from_``."""

    type: str
    context: str
    from_: tuple[str, ...] = ()

    def describe(self) -> str:
        """``air_travel_restriction in transport (from judicial)``."""
        tail = f" (from {', '.join(self.from_)})" if self.from_ else ""
        return f"{self.type} in {self.context}{tail}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One article of one instrument, and what it authorises.

    Attributes:
        id: ``<instrument>/<article>``.
        title: the instrument's title.
        instrument_citation: how the instrument is cited (number, year, revision).
        article: how the article is cited (``Art. 1(1)``).
        says: what the article provides, in a sentence.
        checked: whether the article's number and content were checked against a published text.
        records: the taxonomy categories it authorises recording.
        measures: the measures it authorises.
    """

    id: str
    title: str
    instrument_citation: str
    article: str
    says: str
    checked: bool
    records: tuple[str, ...]
    measures: tuple[Grant, ...]

    @property
    def citation(self) -> str:
        """The full citation: ``Title (instrument citation), article``."""
        return f"{self.title} ({self.instrument_citation}), {self.article}"

    def authorises_record(self, category: str) -> bool:
        """Whether the entry authorises recording conduct of ``category``."""
        return category in self.records

    def grant(self, measure_type: str, context: str, trigger: str | None = None) -> Grant | None:
        """The grant allowing ``measure_type`` in ``context`` (triggered from ``trigger``), or None.

        A trigger in the measure's own context needs no mention in the grant.
        """
        for grant in self.measures:
            if grant.type != measure_type or grant.context != context:
                continue
            if trigger is None or trigger == context or trigger in grant.from_:
                return grant
        return None

    def describe(self) -> str:
        """What the entry authorises, in one line."""
        parts = [f"recording {', '.join(self.records)}"] if self.records else []
        if self.measures:
            parts.append(f"measures {'; '.join(g.describe() for g in self.measures)}")
        return "; ".join(parts) or "nothing"


@dataclass(frozen=True, slots=True)
class Registry:
    """The checked registry. Get the shipped one with :func:`registry`."""

    version: int
    measure_types: Mapping[str, MeasureType]
    entries: Mapping[str, Entry]

    def entry(self, basis_id: str) -> Entry | None:
        """The entry ``basis_id``, or None."""
        return self.entries.get(basis_id)

    def lookup(self, basis: object) -> tuple[Entry | None, str | None]:
        """The cited entry, or the reason the citation is refused (not text, ``none``, unknown)."""
        if not isinstance(basis, str) or not basis.strip():
            return None, (
                "a legal basis is required: cite an entry of the legal-basis registry "
                f"(version {self.version}), e.g. {_EXAMPLE}"
            )
        if basis.strip().lower() in _NOT_A_BASIS:
            return None, (
                f"{basis.strip()!r} is not a legal basis: cite an entry of the legal-basis "
                f"registry (version {self.version}), e.g. {_EXAMPLE}"
            )
        entry = self.entries.get(basis)
        if entry is None:
            return None, (
                f"unknown legal basis {_short(basis)!r}: not an entry of the legal-basis "
                f"registry (version {self.version}); cite an id such as {_EXAMPLE}"
            )
        return entry, None

    def record_reason(self, basis: object, category: str) -> str | None:
        """Why ``basis`` may not authorise recording ``category``; None if it does."""
        entry, reason = self.lookup(basis)
        if entry is None or entry.authorises_record(category):
            return reason
        return (
            f"legal basis {entry.id!r} ({entry.citation}) does not authorise recording category "
            f"{category!r} (it authorises {entry.describe()})"
        )

    def measure_reason(
        self, basis: object, measure_type: str, context: str, trigger: str | None = None
    ) -> str | None:
        """Why ``basis`` may not authorise ``measure_type`` in ``context``; None if it does.

        With ``trigger`` (the context of the list that triggers the measure), the entry must
        also allow the measure when triggered from there (purpose binding).
        """
        entry, reason = self.lookup(basis)
        if entry is None or entry.grant(measure_type, context, trigger) is not None:
            return reason
        crossing = (
            f" triggered from context {trigger!r} (purpose binding)"
            if trigger is not None and trigger != context
            else ""
        )
        return (
            f"legal basis {entry.id!r} ({entry.citation}) does not authorise a measure of type "
            f"{measure_type!r} in context {context!r}{crossing} (it authorises "
            f"{entry.describe()})"
        )

    def strings(self) -> list[str]:
        """Every identifier and sentence of the registry (for screening it in tests)."""
        out = [f"{t.id} {t.covers}" for t in self.measure_types.values()]
        return out + [f"{e.id} {e.citation} {e.says}" for e in self.entries.values()]


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


@cache
def registry() -> Registry:
    """The registry shipped with the engine, loaded and checked once (against the taxonomy).

    Raises:
        CatalogueError: listing every problem, if the shipped file is malformed (a packaging bug).
    """
    text = resources.files("socialcredit.catalogue").joinpath(_FILE).read_text("utf-8")
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return parse_registry(document, conduct_taxonomy())


def parse_registry(doc: object, known: Taxonomy) -> Registry:
    """Check a parsed registry document against the taxonomy ``known`` and build the registry.

    Raises:
        CatalogueError: listing every problem (malformed ids, unknown categories, contexts or
            measure types, missing keys).
    """
    problems: list[Problem] = []
    if not isinstance(doc, Mapping) or set(doc) != {"version", "measure_types", "instruments"}:
        raise CatalogueError(
            "legal-basis registry refused",
            [Problem(_FILE, "must map version, measure_types, instruments")],
        )
    version = doc["version"]
    if type(version) is not int or version < 1:
        problems.append(Problem(f"{_FILE}:version", "must be a positive integer"))
    types = _measure_types(doc["measure_types"], problems)
    entries: dict[str, Entry] = {}
    instruments = doc["instruments"]
    if not isinstance(instruments, Mapping):
        problems.append(Problem(f"{_FILE}:instruments", "must be a mapping"))
        instruments = {}
    for key, raw in instruments.items():
        for entry in _instrument(str(key), raw, types, known, problems):
            entries[entry.id] = entry
    if problems:
        raise CatalogueError(f"legal-basis registry refused ({len(problems)} problems)", problems)
    return Registry(int(version), MappingProxyType(types), MappingProxyType(entries))


def _measure_types(raw: object, problems: list[Problem]) -> dict[str, MeasureType]:
    out: dict[str, MeasureType] = {}
    for key, item in (raw if isinstance(raw, Mapping) else {}).items():
        if not isinstance(item, Mapping) or set(item) != {"effect", "covers"}:
            problems.append(Problem(f"{_FILE}:measure_types.{key}", "must map effect, covers"))
        elif item["effect"] not in _EFFECTS:
            problems.append(Problem(f"{_FILE}:measure_types.{key}.effect", f"one of {_EFFECTS}"))
        else:
            out[str(key)] = MeasureType(str(key), str(item["effect"]), str(item["covers"]))
    if not out:
        problems.append(Problem(f"{_FILE}:measure_types", "must be a non-empty mapping"))
    return out


def _instrument(
    key: str,
    raw: object,
    types: Mapping[str, MeasureType],
    known: Taxonomy,
    problems: list[Problem],
) -> list[Entry]:
    path = f"{_FILE}:instruments.{key}"
    if not _SLUG.fullmatch(key):
        problems.append(Problem(path, "must be a lower-case slug"))
    if not isinstance(raw, Mapping) or set(raw) != {"title", "citation", "articles"}:
        problems.append(Problem(path, "must map title, citation, articles"))
        return []
    articles = raw["articles"]
    if not isinstance(articles, Mapping) or not articles:
        problems.append(Problem(f"{path}.articles", "must be a non-empty mapping"))
        return []
    head = (" ".join(str(raw["title"]).split()), str(raw["citation"]))
    out = []
    for article, item in articles.items():
        entry = _article(f"{path}.articles.{article}", f"{key}/{article}", head, item, problems)
        if entry is not None and _grants_known(entry, types, known, f"{path}.{article}", problems):
            out.append(entry)
    return out


def _article(
    path: str, entry_id: str, head: tuple[str, str], raw: object, problems: list[Problem]
) -> Entry | None:
    if not _SLUG.fullmatch(entry_id.split("/")[1]):
        problems.append(Problem(path, "must be a lower-case slug"))
    if not isinstance(raw, Mapping) or not {"citation", "says"} <= set(raw) <= _ARTICLE_KEYS:
        problems.append(Problem(path, f"must map {', '.join(sorted(_ARTICLE_KEYS))}"))
        return None
    grants = []
    for item in raw.get("measures", []):
        if not isinstance(item, Mapping) or not {"type", "context"} <= set(item):
            problems.append(Problem(f"{path}.measures", "each grant maps type, context, from"))
            continue
        grants.append(Grant(str(item["type"]), str(item["context"]), tuple(item.get("from", ()))))
    return Entry(
        entry_id, head[0], head[1], str(raw["citation"]), " ".join(str(raw["says"]).split()),
        raw.get("checked", False) is True, tuple(raw.get("records", ())), tuple(grants),
    )  # fmt: skip


def _grants_known(
    entry: Entry, types: Mapping[str, Any], known: Taxonomy, path: str, problems: list[Problem]
) -> bool:
    before = len(problems)
    for category in entry.records:
        if known.category(category) is None:
            problems.append(Problem(path, f"unknown taxonomy category {category!r}"))
    for grant in entry.measures:
        if grant.type not in types:
            problems.append(Problem(path, f"unknown measure type {grant.type!r}"))
        for context in (grant.context, *grant.from_):
            if context not in known.contexts:
                problems.append(Problem(path, f"unknown context {context!r}"))
    return len(problems) == before
