"""The conduct taxonomy: the engine's closed list of categories of conduct that may be recorded.

The taxonomy is engine data (``taxonomy.yaml`` beside this module), not bundle data: a policy
bundle's record kind names one category and takes from it its context, and may not go beyond
the category's subject kinds, gravities or maximum retention. A bundle cannot declare contexts
or categories of its own. Changing the taxonomy is an engine release that raises its
``version``; a bundle pins the version it was written against.

    >>> from socialcredit.catalogue._taxonomy import conduct_taxonomy
    >>> category = conduct_taxonomy().category("court_enforcement")
    >>> category.context, category.authorities, category.max_retention
    ('judicial', ('court',), '5y')
    >>> conduct_taxonomy().authority("court").matches("(2024)京0105执1234号")
    True

Each category also names the kinds of authority that may establish it; each authority kind
declares the pattern of its reference numbers (a court case number, a decision number, an
invoice number), which is what a record's ``evidence`` must be: a reference, not prose (checked
at ingest against the authority kind its source's name gives, see
:mod:`socialcredit.catalogue._sources`). Patterns keep to the part of regular-expression syntax
that Python's ``re`` and RE2 (which the ingest column kernels run) read alike, so the two
paths of record validation accept exactly the same references.
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

from socialcredit.errors import CatalogueError, Problem

__all__ = [
    "SUBJECT_KINDS",
    "AuthorityKind",
    "Category",
    "Taxonomy",
    "conduct_taxonomy",
    "retention_days",
]

#: Who a record may be about (``SubjectKind`` values).
SUBJECT_KINDS = ("person", "organisation")
_GRAVITIES = ("minor", "general", "serious", "positive", "neutral")
_RETENTION = re.compile(r"([1-9][0-9]{0,4})([dwmy])")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_CATEGORY_KEYS = frozenset(
    {"covers", "context", "authorities", "subject_kinds", "gravities", "max_retention"}
)
_AUTHORITY_KEYS = frozenset({"name", "reference", "pattern", "example"})
# Outside the portable subset: a backslash before a letter or digit (\d, \w, \u4e00: class
# escapes and code points RE2 reads otherwise or not at all), any (? other than (?:, anchors,
# and the dot (which Python's re and RE2 disagree on for a newline).
_NOT_PORTABLE = re.compile(r"\\[A-Za-z0-9]|\(\?(?!:)|[\^$.]")
_FILE = "taxonomy.yaml"


def retention_days(text: object) -> int | None:
    """Days in a retention period such as ``5y``, ``6m``, ``2w`` or ``180d``; None if malformed.

    A year counts 365 days, a month 30, a week 7.
    """
    match = _RETENTION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    return int(match[1]) * _UNIT_DAYS[match[2]]


@dataclass(frozen=True, slots=True)
class AuthorityKind:
    """A kind of authority that may establish conduct, and the form of its reference numbers.

    Attributes:
        id: snake_case identifier (``court``, ``tax_authority``).
        name: human-readable name.
        reference: what its reference numbers are (``case number``).
        pattern: the full-match pattern of a reference number.
        example: a reference number that matches ``pattern``.
    """

    id: str
    name: str
    reference: str
    pattern: re.Pattern[str]
    example: str

    def matches(self, reference: str) -> bool:
        """Whether ``reference`` has the form of this authority's reference numbers."""
        return self.pattern.fullmatch(reference) is not None

    @property
    def form(self) -> str:
        """The form of its references in words, with the example (for refusal reasons)."""
        article = "an" if self.reference[:1] in "aeiou" else "a"
        return f"{article} {self.reference}, such as {self.example}"


@dataclass(frozen=True, slots=True)
class Category:
    """One category of conduct that may be recorded.

    Attributes:
        id: snake_case identifier, named by a record kind's ``category``.
        covers: what conduct it covers, in one sentence.
        context: the engine context the conduct belongs to.
        authorities: the kinds of authority that may establish it.
        subject_kinds: whom a record of it may be about.
        gravities: the gravity tiers a kind of it may carry.
        max_retention: the longest retention a kind of it may declare, as written.
        max_retention_days: the same in days.
    """

    id: str
    covers: str
    context: str
    authorities: tuple[str, ...]
    subject_kinds: tuple[str, ...]
    gravities: tuple[str, ...]
    max_retention: str
    max_retention_days: int


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The checked taxonomy. Get the shipped one with :func:`conduct_taxonomy`."""

    version: int
    contexts: Mapping[str, str]
    authority_kinds: Mapping[str, AuthorityKind]
    categories: Mapping[str, Category]

    def category(self, category_id: str) -> Category | None:
        """The category ``category_id``, or None if the taxonomy has none of that id."""
        return self.categories.get(category_id)

    def authority(self, authority_id: str) -> AuthorityKind | None:
        """The authority kind ``authority_id``, or None."""
        return self.authority_kinds.get(authority_id)

    def strings(self) -> list[str]:
        """Every identifier and sentence of the taxonomy (for screening it in tests)."""
        out = [*self.contexts, *self.contexts.values()]
        for a in self.authority_kinds.values():
            out += [a.id, a.name, a.reference]
        for c in self.categories.values():
            out += [c.id, c.covers]
        return out


@cache
def conduct_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the engine, loaded and checked once.

    Raises:
        CatalogueError: listing every problem, if the shipped file is malformed (a packaging
            bug: the engine refuses to run on a broken taxonomy).
    """
    text = resources.files("socialcredit.catalogue").joinpath(_FILE).read_text("utf-8")
    return parse_taxonomy(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def parse_taxonomy(doc: object) -> Taxonomy:
    """Check a parsed taxonomy document and build the :class:`Taxonomy`.

    Raises:
        CatalogueError: listing every problem (unknown or missing keys, unknown contexts,
            authorities, subject kinds or gravities, bad retention, an example that does not
            match its pattern).
    """
    problems: list[Problem] = []
    if not isinstance(doc, Mapping) or set(doc) != {
        "version",
        "contexts",
        "authority_kinds",
        "categories",
    }:
        raise CatalogueError(
            "taxonomy refused",
            [Problem(_FILE, "must map version, contexts, authority_kinds, categories")],
        )
    version = doc["version"]
    if type(version) is not int or version < 1:
        problems.append(Problem(f"{_FILE}:version", "must be a positive integer"))
    contexts = _texts(doc["contexts"], "contexts", problems)
    authorities = {
        key: found
        for key, raw in _mapping(doc["authority_kinds"], "authority_kinds", problems).items()
        if (found := _authority(str(key), raw, problems)) is not None
    }
    categories = {
        key: category
        for key, raw in _mapping(doc["categories"], "categories", problems).items()
        if (category := _category(str(key), raw, contexts, authorities, problems)) is not None
    }
    if problems:
        raise CatalogueError(f"taxonomy refused ({len(problems)} problems)", problems)
    return Taxonomy(
        int(version),
        MappingProxyType(contexts),
        MappingProxyType(authorities),
        MappingProxyType(categories),
    )


def _mapping(value: object, path: str, problems: list[Problem]) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping) or not value:
        problems.append(Problem(f"{_FILE}:{path}", "must be a non-empty mapping"))
        return {}
    return value


def _texts(value: object, path: str, problems: list[Problem]) -> dict[str, str]:
    out = {}
    for key, text in _mapping(value, path, problems).items():
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(f"{_FILE}:{path}.{key}", "must be non-empty text"))
        else:
            out[str(key)] = text.strip()
    return out


def _authority(key: str, raw: object, problems: list[Problem]) -> AuthorityKind | None:
    path = f"{_FILE}:authority_kinds.{key}"
    if not isinstance(raw, Mapping) or set(raw) != _AUTHORITY_KEYS:
        problems.append(Problem(path, f"must map exactly {', '.join(sorted(_AUTHORITY_KEYS))}"))
        return None
    if _NOT_PORTABLE.search(str(raw["pattern"])):
        problems.append(Problem(f"{path}.pattern", _PORTABLE))
        return None
    try:
        pattern = re.compile(str(raw["pattern"]))
    except re.error as exc:
        problems.append(Problem(f"{path}.pattern", f"not a regular expression: {exc}"))
        return None
    found = AuthorityKind(
        key, str(raw["name"]), str(raw["reference"]), pattern, str(raw["example"])
    )
    if not found.matches(found.example):
        problems.append(Problem(f"{path}.example", "does not match the pattern"))
        return None
    return found


_PORTABLE = (
    "must keep to the portable syntax (literal characters, [classes], (?:groups), |, ?, {m,n}; "
    "a backslash only before punctuation; no anchors, dots or look-arounds)"
)


def _category(
    key: str,
    raw: object,
    contexts: Mapping[str, str],
    authorities: Mapping[str, AuthorityKind],
    problems: list[Problem],
) -> Category | None:
    path = f"{_FILE}:categories.{key}"
    if not isinstance(raw, Mapping) or set(raw) != _CATEGORY_KEYS:
        problems.append(Problem(path, f"must map exactly {', '.join(sorted(_CATEGORY_KEYS))}"))
        return None
    before = len(problems)
    if raw["context"] not in contexts:
        problems.append(Problem(f"{path}.context", f"unknown context {raw['context']!r}"))
    for name, allowed in (
        ("authorities", authorities),
        ("subject_kinds", SUBJECT_KINDS),
        ("gravities", _GRAVITIES),
    ):
        items = raw[name]
        if not isinstance(items, list) or not items or not set(items) <= set(allowed):
            problems.append(Problem(f"{path}.{name}", f"must be a non-empty list of {allowed}"))
    days = retention_days(raw["max_retention"])
    if days is None:
        problems.append(Problem(f"{path}.max_retention", "must be like 5y, 6m, 2w or 180d"))
    if len(problems) > before or days is None:
        return None
    return Category(
        key, " ".join(str(raw["covers"]).split()), str(raw["context"]),
        tuple(raw["authorities"]), tuple(raw["subject_kinds"]), tuple(raw["gravities"]),
        str(raw["max_retention"]), days,
    )  # fmt: skip
