"""Loading and checking a policy bundle: a directory of YAML files under a hashed manifest.

A bundle holds ``manifest.yaml`` (:mod:`socialcredit.policy._manifest`), ``catalogue.yaml``
(:mod:`socialcredit.catalogue._loader`) and ``scoring.yaml`` (:mod:`socialcredit.policy._scoring`),
and optionally ``listings.yaml`` (:mod:`socialcredit.policy._lists`), ``measures.yaml``
(:mod:`socialcredit.policy._measures`), ``labels.yaml`` (:mod:`socialcredit.policy._labels`)
and ``sector_grades.yaml`` (:mod:`socialcredit.policy._sector_grades`); a bundle without them
has no lists, no measures, no sector grades, and pages show its names and codes.
Every check runs and every problem is reported at once, keyed ``file:key.path``
(``scoring.yaml:rules[3].kind``); a bundle with any problem is refused whole.

A bundle only chooses within engine data it cannot extend: the conduct taxonomy and the
legal-basis registry (:mod:`socialcredit.catalogue._taxonomy`, :mod:`.legal_basis`); every name
it writes passes the prohibited-grounds firewall. :func:`authorisations` says, per kind, list,
measure and link, which registry entry authorises it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from socialcredit.catalogue import (
    Catalogue,
    UniqueKeyLoader,  # the same strict YAML as catalogues
    load_catalogue,
    registry,
    term_reasons,
)
from socialcredit.errors import CatalogueError, Problem, ValidationError
from socialcredit.policy._labels import Labels, check_labels
from socialcredit.policy._lists import ListDefinition, check_lists
from socialcredit.policy._manifest import (
    Manifest,
    check_manifest,
    file_hash,
    manifest_document,
    sign_manifest,
)
from socialcredit.policy._measures import MeasurePolicy, check_measures
from socialcredit.policy._repair import NDRC_2023, RepairRules, check_repair
from socialcredit.policy._scoring import ScoringPolicy, check_scoring
from socialcredit.policy._sector_grades import SectorScheme, check_sector_grades

__all__ = [
    "BUNDLE_FILES",
    "MANIFEST",
    "OPTIONAL_FILES",
    "Authorisation",
    "PolicyBundle",
    "PolicyError",
    "authorisations",
    "default_bundle",
    "load_bundle",
    "load_bundle_from_files",
    "sign_bundle",
]

MANIFEST = "manifest.yaml"
#: The files a bundle must list in its manifest.
BUNDLE_FILES = ("catalogue.yaml", "scoring.yaml")
#: Files a bundle may add (lists, measures with their links and services, labels for people,
#: grade schemes per sector).
OPTIONAL_FILES = (
    "listings.yaml",
    "measures.yaml",
    "labels.yaml",
    "sector_grades.yaml",
    "repair.yaml",
)
_YAML_SUFFIXES = (".yaml", ".yml")
#: Detached signatures over the bundle's digest (:mod:`.governance`): beside the bundle, not in it.
SIGNATURES = "signatures.yaml"
# Set while the loader builds a bundle from files it has just checked.
_LOADING: ContextVar[bool] = ContextVar("policy_bundle_loading", default=False)


class PolicyError(ValidationError):
    """A policy bundle was refused (every problem listed), or cannot be published."""

    code = "policy_invalid"


@dataclass(frozen=True, slots=True)
class PolicyBundle:
    """A checked policy bundle. Build one with :func:`load_bundle` or
    :func:`load_bundle_from_files`.

    A bundle is always what its files say: built any other way (``dataclasses.replace``, the
    constructor), it re-loads its files and refuses to exist unless they pass every check and
    give the same content, so that no unchecked bundle can reach :func:`~.publish.publish`.

    Attributes:
        manifest: the checked manifest.
        catalogue: the checked catalogue.
        scoring: the checked scoring policy.
        files: every file of the bundle (manifest included), name to bytes.
        lists: the checked red and black lists (empty without ``listings.yaml``).
        measures: the checked measures, links and services.
        labels: the checked labels in English and Chinese (empty without ``labels.yaml``).
        sector_grades: the checked grade schemes per sector (empty without
            ``sector_grades.yaml``).
        repair: the checked credit-repair rules (the NDRC 2023 defaults without
            ``repair.yaml``).
    """

    manifest: Manifest
    catalogue: Catalogue = field(compare=False)
    scoring: ScoringPolicy
    files: Mapping[str, bytes]
    lists: tuple[ListDefinition, ...] = ()
    measures: MeasurePolicy = field(default_factory=MeasurePolicy)
    labels: Labels = field(default_factory=Labels)
    sector_grades: tuple[SectorScheme, ...] = ()
    repair: RepairRules = NDRC_2023

    def __post_init__(self) -> None:
        """Refuse a bundle that was not built by the loader from files that pass its checks.

        Raises:
            PolicyError: listing every problem of the files, or if the content differs from
                what the files say.
        """
        if _LOADING.get():
            return
        checked = load_bundle_from_files(self.files)
        same_kinds = [k.as_dict() for k in checked.catalogue] == [
            k.as_dict() for k in self.catalogue
        ]
        if checked != self or not same_kinds:
            raise PolicyError(
                "policy bundle refused",
                [Problem("(bundle)", "the bundle object does not match its files")],
            )

    def list_definition(self, list_id: str) -> ListDefinition | None:
        """The list ``list_id``, or None."""
        return next((d for d in self.lists if d.id == list_id), None)

    def label(self, area: str, code: str, language: str = "en") -> str:
        """What people read for ``code`` of ``area`` (:data:`.labels.AREAS`) in ``language``
        (``en`` or ``zh-CN``): its label, else the bundle's own name for it, else the code."""
        return self.labels.text(area, code, language, self._name(area, code))

    def _name(self, area: str, code: str) -> str | None:
        """The name the bundle's rule files give ``code`` (kinds, lists, measures, services)."""
        found: object = None
        if area == "kinds":
            found = self.catalogue.kinds.get(code)
        elif area == "lists":
            found = self.list_definition(code)
        elif area == "measures":
            found = next((m for m in self.measures.measures if m.id == code), None)
        elif area == "services":
            found = self.measures.service(code)
        return getattr(found, "name", None)

    @property
    def revision(self) -> int:
        """The manifest's revision."""
        return self.manifest.revision

    @property
    def effective_from(self) -> datetime:
        """When the bundle takes effect (aware, UTC)."""
        return self.manifest.effective_from

    @property
    def digest(self) -> str:
        """The sha256 hex of the canonical manifest (which commits to every file's hash)."""
        return self.manifest.digest()


def load_bundle(path: str | os.PathLike[str]) -> PolicyBundle:
    """Load and check the bundle in directory ``path``.

    Every YAML file of the directory (not its subdirectories) is part of the bundle; other
    files (a README) and the detached ``signatures.yaml`` are ignored.

    Raises:
        PolicyError: listing every problem, or if the directory cannot be read.
    """
    directory = Path(path)
    try:
        files = {
            p.name: p.read_bytes()
            for p in sorted(directory.iterdir())
            if p.is_file() and p.suffix in _YAML_SUFFIXES and p.name != SIGNATURES
        }
    except OSError as exc:
        raise PolicyError("bundle cannot be read", [Problem(str(path), str(exc))]) from None
    return load_bundle_from_files(files)


def load_bundle_from_files(files: Mapping[str, bytes]) -> PolicyBundle:
    """Load and check a bundle from its files (name to bytes), e.g. as read back from the ledger.

    Raises:
        PolicyError: listing every problem found in any file.
    """
    problems: list[Problem] = []
    manifest = _manifest(files, problems)
    if manifest is not None:
        _check_listing(manifest, files, problems)
    catalogue = _catalogue(files, problems)
    scoring = None
    if "scoring.yaml" in files:
        document = _parse("scoring.yaml", files["scoring.yaml"], problems)
        if document is not None:
            scoring, found = check_scoring(document, catalogue)
            problems += [_under("scoring.yaml", p) for p in found]
            problems += _screen_scoring(document)
    schemes = _sector_grades(files, catalogue, scoring, problems)
    repair = _repair(files, problems)
    lists, measures = _consequences(files, catalogue, scoring, schemes, problems)
    labels = Labels()
    if "labels.yaml" in files:
        document = _parse("labels.yaml", files["labels.yaml"], problems)
        if document is not None:
            labels, found = check_labels(document)
            problems += [_under("labels.yaml", p) for p in found]
    if problems or manifest is None or catalogue is None or scoring is None:
        raise PolicyError(f"policy bundle refused ({len(problems)} problems)", problems)
    token = _LOADING.set(True)
    try:
        return PolicyBundle(
            manifest,
            catalogue,
            scoring,
            MappingProxyType(dict(files)),
            lists,
            measures,
            labels,
            schemes,
            repair,
        )
    finally:
        _LOADING.reset(token)


def _consequences(
    files: Mapping[str, bytes],
    catalogue: Catalogue | None,
    scoring: ScoringPolicy | None,
    schemes: tuple[SectorScheme, ...],
    problems: list[Problem],
) -> tuple[tuple[ListDefinition, ...], MeasurePolicy]:
    """The lists and measures of the bundle (empty when the files are absent)."""
    lists: tuple[ListDefinition, ...] = ()
    declared: frozenset[str] = frozenset()
    if "listings.yaml" in files:
        document = _parse("listings.yaml", files["listings.yaml"], problems)
        if document is not None:
            lists, found = check_lists(document, catalogue, scoring, schemes)
            problems += [_under("listings.yaml", p) for p in found]
            declared = _declared_lists(document)
    measures = MeasurePolicy()
    if "measures.yaml" in files:
        document = _parse("measures.yaml", files["measures.yaml"], problems)
        if document is not None:
            measures, found = check_measures(document, catalogue, lists, declared)
            problems += [_under("measures.yaml", p) for p in found]
    return lists, measures


def _sector_grades(
    files: Mapping[str, bytes],
    catalogue: Catalogue | None,
    scoring: ScoringPolicy | None,
    problems: list[Problem],
) -> tuple[SectorScheme, ...]:
    """The grade schemes per sector of the bundle (none when the file is absent)."""
    if "sector_grades.yaml" not in files:
        return ()
    document = _parse("sector_grades.yaml", files["sector_grades.yaml"], problems)
    if document is None:
        return ()
    schemes, found = check_sector_grades(document, catalogue, scoring)
    problems += [_under("sector_grades.yaml", p) for p in found]
    return schemes


def _repair(files: Mapping[str, bytes], problems: list[Problem]) -> RepairRules:
    """The bundle's credit-repair rules (the defaults when the file is absent)."""
    if "repair.yaml" not in files:
        return NDRC_2023
    document = _parse("repair.yaml", files["repair.yaml"], problems)
    if document is None:
        return NDRC_2023
    rules, found = check_repair(document)
    problems += [_under("repair.yaml", p) for p in found]
    return rules


def _screen_scoring(document: object) -> list[Problem]:
    """The firewall over grade names (scoring.py screens the dimensions itself)."""
    grades = document.get("grades") if isinstance(document, Mapping) else None
    if not isinstance(grades, list):
        return []
    return [
        Problem(f"scoring.yaml:grades[{i}].grade", reason)
        for i, band in enumerate(grades)
        if isinstance(band, Mapping) and isinstance(band.get("grade"), str)
        for reason in term_reasons(band["grade"])
    ]


def _under(name: str, problem: Problem) -> Problem:
    return Problem(f"{name}:{problem.field}", problem.reason)


def _parse(name: str, data: bytes, problems: list[Problem]) -> object | None:
    try:
        return yaml.load(data.decode("utf-8"), Loader=UniqueKeyLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(name, f"not valid UTF-8 YAML: {exc}"))
        return None


def _manifest(files: Mapping[str, bytes], problems: list[Problem]) -> Manifest | None:
    if MANIFEST not in files:
        problems.append(Problem(MANIFEST, "missing"))
        return None
    document = _parse(MANIFEST, files[MANIFEST], problems)
    if document is None:
        return None
    manifest, found = check_manifest(document)
    problems += [_under(MANIFEST, p) for p in found]
    return manifest


def _check_listing(manifest: Manifest, files: Mapping[str, bytes], problems: list[Problem]) -> None:
    """Every listed file exists with its hash; every bundle file is listed; nothing else."""
    for name in BUNDLE_FILES:
        if name not in manifest.files:
            problems.append(Problem(f"{MANIFEST}:files.{name}", "required"))
    for name, digest in manifest.files.items():
        path = f"{MANIFEST}:files.{name}"
        if name not in BUNDLE_FILES + OPTIONAL_FILES:
            known = ", ".join(BUNDLE_FILES + OPTIONAL_FILES)
            problems.append(Problem(path, f"not a bundle file ({known})"))
        elif name not in files:
            problems.append(Problem(path, "listed but missing"))
        elif file_hash(files[name]) != digest:
            problems.append(
                Problem(path, f"hash mismatch: the file's sha256 is {file_hash(files[name])}")
            )
    for name in files:
        if name != MANIFEST and name not in manifest.files:
            problems.append(Problem(name, f"not listed in {MANIFEST} files"))


def _catalogue(files: Mapping[str, bytes], problems: list[Problem]) -> Catalogue | None:
    if "catalogue.yaml" not in files:
        return None  # reported by the listing check (or as a missing manifest)
    document = _parse("catalogue.yaml", files["catalogue.yaml"], problems)
    if document is None:
        return None
    if not isinstance(document, Mapping):
        # Checked here: load_catalogue would take a bare string for a path to open.
        problems.append(Problem("catalogue.yaml:(catalogue)", "must be a mapping"))
        return None
    try:
        return load_catalogue(document)
    except CatalogueError as error:
        problems += [_under("catalogue.yaml", p) for p in error.problems]
        return None


def _declared_lists(document: object) -> frozenset[str]:
    """The ids written in a lists document, whether or not their definitions passed."""
    items = document.get("lists") if isinstance(document, Mapping) else None
    if not isinstance(items, list):
        return frozenset()
    return frozenset(str(i["id"]) for i in items if isinstance(i, Mapping) and "id" in i)


def sign_bundle(bundle: PolicyBundle, key: Ed25519PrivateKey) -> PolicyBundle:
    """A copy of ``bundle`` whose ``manifest.yaml`` is signed with ``key`` (same digest)."""
    manifest = sign_manifest(bundle.manifest, key)
    text = yaml.safe_dump(manifest_document(manifest), sort_keys=False, allow_unicode=True)
    return load_bundle_from_files({**bundle.files, MANIFEST: text.encode("utf-8")})


@cache
def default_bundle() -> PolicyBundle:
    """The bundle shipped with the engine (``socialcredit/policy/default``).

    Raises:
        PolicyError: if the shipped bundle fails its checks (a packaging bug).
    """
    root = resources.files("socialcredit").joinpath("policy/default")
    names = (MANIFEST, *BUNDLE_FILES, *OPTIONAL_FILES)
    return load_bundle_from_files({name: root.joinpath(name).read_bytes() for name in names})


@dataclass(frozen=True, slots=True)
class Authorisation:
    """Which legal-basis registry entry authorises one item of a bundle, and to do what.

    Attributes:
        area: ``kind``, ``list``, ``measure``, ``link`` or ``sector_grade`` (a scheme).
        item: the item's id (``list->measure`` for a link).
        legal_basis: the registry entry's id.
        citation: the entry's full citation.
        checked: whether the entry's article was checked against a published text.
        authorises: what the entry allows this item to do (``recording debt in finance``).
    """

    area: str
    item: str
    legal_basis: str
    citation: str
    checked: bool
    authorises: str

    def describe(self) -> str:
        """One line for people."""
        mark = "" if self.checked else " [article unchecked]"
        return (
            f"{self.area} {self.item}: {self.authorises} -- {self.legal_basis}: "
            f"{self.citation}{mark}"
        )

    def as_dict(self) -> dict[str, object]:
        """The authorisation as a JSON-able mapping."""
        return {
            "area": self.area,
            "item": self.item,
            "legal_basis": self.legal_basis,
            "citation": self.citation,
            "checked": self.checked,
            "authorises": self.authorises,
        }


def authorisations(bundle: PolicyBundle) -> list[Authorisation]:
    """Per kind, list, measure, link and sector grade scheme of ``bundle``, the registry entry
    that authorises it.

    A link within one context has no basis of its own: the measure's basis covers it. Every
    entry named exists and authorises its item, since the bundle was checked when loaded.
    """
    out = [
        _authorised("kind", k.id, k.legal_basis, f"recording {k.category} in {k.context}")
        for k in bundle.catalogue
    ]
    out += [
        _authorised("list", d.id, d.legal_basis, f"{d.colour}_listing in {d.context}")
        for d in bundle.lists
    ]
    measures = {m.id: m for m in bundle.measures.measures}
    out += [
        _authorised("measure", m.id, m.legal_basis, f"{m.type} in {m.context}")
        for m in measures.values()
    ]
    out += [
        _authorised("sector_grade", s.id, s.legal_basis, f"grading {s.dimension} conduct")
        for s in bundle.sector_grades
    ]
    contexts = {d.id: d.context for d in bundle.lists}
    for link in bundle.measures.links:
        measure, trigger = measures[link.measure], contexts[link.list]
        if link.legal_basis is None:
            what = f"{measure.type} in {measure.context}, same context (the measure's basis)"
            out.append(_authorised("link", link.key, measure.legal_basis, what))
        else:
            what = f"{measure.type} in {measure.context}, triggered from {trigger}"
            out.append(_authorised("link", link.key, link.legal_basis, what))
    return out


def _authorised(area: str, item: str, basis: str, what: str) -> Authorisation:
    entry = registry().entry(basis)
    if entry is None:  # only for a bundle built around the loader
        return Authorisation(area, item, basis, "not in the registry", False, what)
    return Authorisation(area, item, basis, entry.citation, entry.checked, what)
