"""A bundle's words for people: the label of each code it uses, in English and Chinese.

``labels.yaml`` is optional (bundles published before it existed have none)::

    kinds:                      # every record kind of catalogue.yaml
      loan_default: {en: Loan default, zh-CN: 贷款违约}
    dimensions:                 # every dimension of scoring.yaml
      finance: {en: Finance, zh-CN: 金融}
    lists: {...}                # every list of listings.yaml
    measures: {...}             # every measure of measures.yaml
    services: {...}             # every service of measures.yaml
    statuses: {...}             # every status of a record or a listing (STATUSES)

Each label gives every language of :data:`LANGUAGES` as non-empty text, screened by the
prohibited-grounds firewall like any name of a bundle. A malformed file refuses the bundle
(:func:`check_labels`); a code without a label, or a label of a code the bundle does not use,
is a warning (:func:`label_warnings`), so that a bundle edited for its rules still loads, and
its pages fall back to the bundle's own name, else the code (:meth:`Labels.text`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from socialcredit.catalogue import term_reasons
from socialcredit.errors import Problem

if TYPE_CHECKING:
    from socialcredit.policy._bundle import PolicyBundle

__all__ = ["AREAS", "LANGUAGES", "STATUSES", "Labels", "check_labels", "label_warnings"]

#: The languages every label gives (BCP 47 tags; English first, the fallback).
LANGUAGES = ("en", "zh-CN")
#: What can be labelled, in the order of the file.
AREAS = ("kinds", "dimensions", "lists", "measures", "services", "statuses")
#: The engine's statuses a page shows: a record's (records.RecordStatus) and a listing's
#: (consequences.model.Status).
STATUSES = (
    "active",
    "corrected",
    "disputed",
    "suspended",
    "withdrawn",
    "expired",
    "noticed",
    "listed",
    "frozen",
    "restored",
)

_Table = Mapping[str, Mapping[str, Mapping[str, str]]]


@dataclass(frozen=True, slots=True)
class Labels:
    """The checked labels of a bundle: area to code to language tag to text (empty without
    ``labels.yaml``)."""

    table: _Table = field(default_factory=lambda: MappingProxyType({}))

    def get(self, area: str, code: str, language: str = "en") -> str | None:
        """The label of ``code`` in ``area`` for ``language`` (a tag of :data:`LANGUAGES`;
        another tag gets English), or None when the bundle has none."""
        texts = self.table.get(area, {}).get(code)
        if texts is None:
            return None
        return texts.get(language) or texts.get(LANGUAGES[0])

    def text(self, area: str, code: str, language: str = "en", fallback: str | None = None) -> str:
        """The label of ``code``; without one, ``fallback`` (the bundle's own name), else the
        code itself."""
        return self.get(area, code, language) or fallback or code


def used_codes(bundle: PolicyBundle) -> dict[str, tuple[str, ...]]:
    """Per area, every code ``bundle`` uses and a page may show."""
    return {
        "kinds": tuple(k.id for k in bundle.catalogue),
        "dimensions": bundle.scoring.dimensions,
        "lists": tuple(d.id for d in bundle.lists),
        "measures": tuple(m.id for m in bundle.measures.measures),
        "services": tuple(s.id for s in bundle.measures.services),
        "statuses": STATUSES,
    }


def check_labels(document: object) -> tuple[Labels, list[Problem]]:
    """Check a parsed ``labels.yaml``: its shape, each label in every language, the firewall.

    Returns:
        The labels (empty if any problem was found) and every problem, keyed by path
        (``kinds.loan_default.zh-CN``).
    """
    if not isinstance(document, Mapping):
        return Labels(), [Problem("(labels)", f"must be a mapping of {', '.join(AREAS)}")]
    problems = [
        Problem(str(area), f"unknown area (one of {', '.join(AREAS)})")
        for area in document
        if area not in AREAS
    ]
    table: dict[str, dict[str, Mapping[str, str]]] = {}
    for area in AREAS:
        if area not in document:
            continue
        items = document[area]
        if not isinstance(items, Mapping):
            problems.append(Problem(area, "must be a mapping of code to {en: ..., zh-CN: ...}"))
            continue
        table[area] = {}
        for code, texts in items.items():
            found = _check_label(f"{area}.{code}", texts)
            problems += found
            if not found:
                table[area][str(code)] = MappingProxyType(dict(texts))
    if problems:
        return Labels(), problems
    return Labels(MappingProxyType({k: MappingProxyType(v) for k, v in table.items()})), []


def _check_label(path: str, texts: object) -> list[Problem]:
    """Problems of one label: every language, non-empty text, nothing prohibited."""
    if not isinstance(texts, Mapping):
        return [Problem(path, f"must give {' and '.join(LANGUAGES)}")]
    problems = [
        Problem(f"{path}.{language}", f"unknown language (one of {', '.join(LANGUAGES)})")
        for language in texts
        if language not in LANGUAGES
    ]
    for language in LANGUAGES:
        text = texts.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(f"{path}.{language}", "must be non-empty text"))
            continue
        problems += [Problem(f"{path}.{language}", r) for r in term_reasons(text)]
    return problems


def label_warnings(bundle: PolicyBundle) -> list[Problem]:
    """What ``bundle``'s labels leave out or name in vain: a code it uses without a label,
    and a label of a code it does not use (nothing for a bundle without ``labels.yaml``)."""
    if "labels.yaml" not in bundle.files:
        return []
    out = []
    for area, codes in used_codes(bundle).items():
        labelled = bundle.labels.table.get(area, {})
        out += [
            Problem(f"labels.yaml:{area}.{code}", "no label: pages show the code")
            for code in codes
            if code not in labelled
        ]
        out += [
            Problem(f"labels.yaml:{area}.{code}", f"not a code of this bundle's {area}")
            for code in labelled
            if code not in codes
        ]
    return out
