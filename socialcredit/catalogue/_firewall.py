"""The prohibited-grounds firewall: the word screen behind the closed taxonomy.

The engine implements a social credit system, but not the parts of it that modern law singles out
as unacceptable. EU AI Act Art. 5(1)(c) prohibits social scoring that leads to detrimental
treatment in contexts unrelated to where the data came from, or treatment disproportionate to the
behaviour; GDPR Art. 9(1) names the special categories of personal data (racial or ethnic origin,
political opinions, religious or philosophical beliefs, trade-union membership, genetic data,
biometric data used to identify a person, health, sex life or sexual orientation). China's 2013
credit reporting regulation (Art. 14) likewise forbids collecting religion, fingerprints and
medical history. DESIGN.md adds the mechanics of the article's system that score people for who
they are rather than what they did: expression, location tracking, lawful consumption,
associations and other people's scores (the social graph), informants, and records about minors.

The first line of defence is structural: a record kind can only name a category of the engine's
closed taxonomy (:mod:`socialcredit.catalogue._taxonomy`), cite an entry of the legal-basis
registry, and carry a closed set of typed fields. This module is the second line: every string a
bundle writes (ids, names, field names, units, citations, list, measure, service and dimension
names) is screened against the lexicon in ``prohibited.yaml``, in English, Chinese and pinyin, so
that a bundle cannot even *name* a prohibited ground. The lexicon is plain data so that an
auditor can read it in one place; the matching rules are in its header and in :func:`screen`.

    >>> from socialcredit.catalogue._firewall import prohibited_terms
    >>> prohibited_terms("low_score_companion")
    [('companion', 'association'), ('lowscore', 'others_scores')]
    >>> prohibited_terms("blood_donation")
    []
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

import yaml

__all__ = [
    "PROHIBITED_CATEGORIES",
    "PROHIBITED_TERMS",
    "Normalised",
    "normalise",
    "prohibited_category_reason",
    "prohibited_terms",
    "screen",
    "term_reasons",
    "words",
]


def _load() -> dict[str, dict[str, object]]:
    text = resources.files("socialcredit.catalogue").joinpath("prohibited.yaml").read_text("utf-8")
    grounds: dict[str, dict[str, object]] = yaml.load(
        text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )["grounds"]
    return grounds


_GROUNDS = _load()

#: Prohibited ground -> why it is prohibited (shown in refusal reasons).
PROHIBITED_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {ground: " ".join(str(spec["why"]).split()) for ground, spec in _GROUNDS.items()}
)


def _terms(kind: str) -> dict[str, str]:
    return {
        str(term): ground
        for ground, spec in _GROUNDS.items()
        for term in spec.get(kind, ())  # type: ignore[attr-defined]
    }


_STEMS = _terms("stems")
_WORDS = _terms("words")
_CJK = _terms("cjk")

#: Every prohibited term (stem, whole word or Chinese term) -> the ground it betrays.
PROHIBITED_TERMS: Mapping[str, str] = MappingProxyType({**_STEMS, **_WORDS, **_CJK})

# Longest first, so that at one position the most specific stem is the one reported.
_STEM_SCAN = re.compile(
    "(?=(" + "|".join(sorted(map(re.escape, _STEMS), key=lambda s: (-len(s), s))) + "))"
)
_CJK_SCAN = re.compile(
    "(?=(" + "|".join(sorted(map(re.escape, _CJK), key=lambda s: (-len(s), s))) + "))"
)
_SUFFIXES = ("s", "es", "ed", "d", "er", "ers", "r", "ing")
# Look-alike letters (Cyrillic, Greek) that a hostile author might use to dodge the screen.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁοιανκτυρεһ", "aeopcyxijsdoiavktupeh"
)  # fmt: skip
# Digits and signs read as letters (r3ligi0n), for a second, folded form.
_LEET = str.maketrans("013457@$!|", "oieastasil")
_LETTERS = re.compile(r"[a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class Normalised:
    """The forms of a text the screen looks at.

    Attributes:
        tokens: its words: runs of letters (digits and everything else separate them).
        squashed: its letters with separators and digits removed.
        folded: the same with digits and signs read as letters (``0`` as ``o``, ``3`` as ``e``).
        han: its Chinese characters, everything else removed.
    """

    tokens: tuple[str, ...]
    squashed: str
    folded: str
    han: str


def normalise(text: str) -> Normalised:
    """The forms of ``text`` the screen looks at (see :class:`Normalised`).

    Compatibility forms are unified (full-width letters), accents dropped, look-alike Cyrillic
    and Greek letters folded to Latin, camelCase split, and everything lower-cased.
    """
    text = unicodedata.normalize("NFKC", text)
    han = "".join(_HAN.findall(text))
    text = _CAMEL.sub(" ", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.casefold().translate(_CONFUSABLES)
    tokens = tuple(_LETTERS.findall(text))
    folded = "".join(_LETTERS.findall(text.translate(_LEET)))
    return Normalised(tokens, "".join(tokens), folded, han)


def _candidates(tokens: tuple[str, ...]) -> Iterable[str]:
    """Whole-word candidates: each token, runs of single letters (``v-p-n``), adjacent pairs."""
    yield from tokens
    run: list[str] = []
    for token in (*tokens, ""):
        if len(token) == 1:
            run.append(token)
            continue
        if len(run) > 1:
            yield "".join(run)
        run = []
    yield from (a + b for a, b in itertools.pairwise(tokens))


def _word_ground(candidate: str) -> tuple[str, str] | None:
    ground = _WORDS.get(candidate)
    if ground is not None:
        return candidate, ground
    for suffix in _SUFFIXES:
        stem = candidate[: -len(suffix)]
        if candidate.endswith(suffix) and len(stem) >= 3 and stem in _WORDS:
            return stem, _WORDS[stem]
    return None


@lru_cache(maxsize=4096)
def screen(text: str) -> tuple[tuple[str, str], ...]:
    """Every prohibited term in ``text`` with the ground it betrays, each term once.

    Stems are searched in the squashed and folded forms, whole words among the tokens, runs
    of single letters and adjacent pairs, Chinese terms in the Chinese characters.
    """
    form = normalise(text)
    found: dict[str, str] = {}
    for candidate in _candidates(form.tokens):
        hit = _word_ground(candidate)
        if hit is not None:
            found.setdefault(*hit)
    for haystack in (form.squashed, form.folded):
        for match in _STEM_SCAN.finditer(haystack):
            found.setdefault(match[1], _STEMS[match[1]])
    for match in _CJK_SCAN.finditer(form.han):
        found.setdefault(match[1], _CJK[match[1]])
    # A word inside a longer term of the same ground (petition in petitioner) says nothing new.
    return tuple(
        (term, ground)
        for term, ground in sorted(found.items())
        if not any(term != other and term in other and found[other] == ground for other in found)
    )


def words(text: str) -> list[str]:
    """Split an id, name or field name into lower-case ASCII words (letters and digits)."""
    return [w for w in _WORD_SPLIT.split(text.lower()) if w]


def prohibited_terms(text: str) -> list[tuple[str, str]]:
    """Each prohibited term found in ``text`` with the ground it betrays, sorted by term."""
    return list(screen(text))


def prohibited_category_reason(category: str) -> str | None:
    """The refusal reason if ``category`` names a prohibited ground, else None."""
    why = PROHIBITED_CATEGORIES.get(category)
    if why is None:
        return None
    return f"prohibited ground '{category}' ({why}); refused by the prohibited-grounds firewall"


def term_reasons(text: str) -> Iterable[str]:
    """One refusal reason per prohibited term in ``text`` (nothing if it is clean)."""
    for term, ground in screen(text):
        yield (
            f"contains the prohibited term '{term}' (ground '{ground}': "
            f"{PROHIBITED_CATEGORIES[ground]}); refused by the prohibited-grounds firewall"
        )
