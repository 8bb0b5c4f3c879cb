"""The prohibited-grounds firewall: what may never be recorded about anyone.

The engine implements a social credit system, but not the parts of it that modern law singles out
as unacceptable. EU AI Act Art. 5(1)(c) prohibits social scoring that leads to detrimental
treatment in contexts unrelated to where the data came from, or treatment disproportionate to the
behaviour; GDPR Art. 9(1) names the special categories of personal data (racial or ethnic origin,
political opinions, religious or philosophical beliefs, trade-union membership, genetic data,
biometric data used to identify a person, health, sex life or sexual orientation). China's 2013
credit reporting regulation likewise forbids collecting religion, fingerprints and medical history.
DESIGN.md adds the mechanics of the article's system that score people for who they are rather
than what they did: expression, location tracking, lawful consumption, associations and other
people's scores (the social graph), and records about minors.

Those grounds are refused here, at catalogue level, with no switch to turn them on for real
subjects (the simulator models them on synthetic populations instead). The lists are plain data so
that an auditor can read them in one place:

* ``PROHIBITED_CATEGORIES`` -- a catalogue kind may not declare one of these as a data category or
  as its context (and a catalogue may not declare them as allowed contexts or categories).
* ``PROHIBITED_TERMS`` -- a word that betrays a prohibited ground when it appears as a whole word
  in a kind's id, name or field names (or in a declared context or category), mapped to the
  category it betrays. Whole words only, so that ``blood_donation`` and ``charitable_donation``
  pass while ``church_attendance`` does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = [
    "PROHIBITED_CATEGORIES",
    "PROHIBITED_TERMS",
    "prohibited_category_reason",
    "prohibited_terms",
    "term_reasons",
    "words",
]

_ART9 = "special category data, GDPR Art. 9(1)"
_AIACT = "social scoring on grounds unrelated to the conduct, EU AI Act Art. 5(1)(c)"

#: Prohibited data category -> why it is prohibited (shown in refusal reasons).
PROHIBITED_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "political_opinion": _ART9,
        "expression": f"what a person says or writes; {_AIACT}",
        "religion": f"{_ART9}; also barred by China's 2013 credit reporting regulation",
        "ethnicity": _ART9,
        "trade_union": _ART9,
        "health": f"{_ART9}; also barred by China's 2013 credit reporting regulation",
        "sex_life": _ART9,
        "biometric": f"{_ART9}; fingerprints also barred by China's 2013 regulation",
        "genetic": _ART9,
        "location": f"tracking where a person is; {_AIACT}",
        "lawful_consumption": f"what lawful things a person buys or does; {_AIACT}",
        "association": f"who a person is near or related to (the social graph); {_AIACT}",
        "others_scores": f"other people's scores (the social graph); {_AIACT}",
        "minors": "records about children are refused outright",
    }
)

# Grouped by the category each term betrays; flattened into PROHIBITED_TERMS below.
_TERMS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "religion": (
        "religion",
        "religious",
        "church",
        "mosque",
        "temple",
        "synagogue",
        "faith",
        "worship",
        "prayer",
        "belief",
    ),
    "ethnicity": ("ethnic", "ethnicity", "race", "racial"),
    "trade_union": ("union", "unionist", "unionised", "unionized"),
    "health": (
        "health",
        "medical",
        "diagnosis",
        "diagnoses",
        "illness",
        "illnesses",
        "disease",
        "disability",
        "pregnancy",
        "pregnant",
        "hiv",
    ),
    "sex_life": ("sex", "sexual", "sexuality"),
    "biometric": (
        "biometric",
        "biometrics",
        "fingerprint",
        "face",
        "facial",
        "retina",
        "retinal",
        "iris",
        "voiceprint",
        "gait",
    ),
    "genetic": ("genetic", "genome", "dna"),
    "location": ("gps", "location", "whereabouts", "geolocation", "tracking"),
    "political_opinion": ("political", "politics", "opinion", "protest", "dissent", "petition"),
    "expression": ("speech", "post", "comment", "rumour", "rumor", "expression", "criticism"),
    "association": (
        "friend",
        "relative",
        "contact",
        "association",
        "family",
        "spouse",
        "neighbour",
        "neighbor",
        "acquaintance",
    ),
    "others_scores": ("peer",),
    "lawful_consumption": (
        "purchase",
        "shopping",
        "game",
        "gaming",
        "alcohol",
        "tobacco",
        "cigarette",
    ),
    "minors": ("child", "children", "juvenile", "underage", "kid"),
}

#: Prohibited whole word -> the prohibited category it betrays.
PROHIBITED_TERMS: Mapping[str, str] = MappingProxyType(
    {term: category for category, terms in _TERMS_BY_CATEGORY.items() for term in terms}
)

_WORD_SPLIT = re.compile(r"[^0-9a-z]+")


def words(text: str) -> list[str]:
    """Split an id, name or field name into lower-case words.

    Splits on anything that is not an ASCII letter or digit, so snake_case ids, space-separated
    names and hyphenated names all tokenise the same way.
    """
    return [w for w in _WORD_SPLIT.split(text.lower()) if w]


def prohibited_terms(text: str) -> list[tuple[str, str]]:
    """Return each prohibited word in ``text`` with the category it betrays, in order.

    A word also matches in its plural form ending in ``s`` (``friends``, ``posts``), because the
    singular is what the lexicon lists.
    """
    found: list[tuple[str, str]] = []
    for word in words(text):
        category = PROHIBITED_TERMS.get(word)
        if category is None and word.endswith("s"):
            category = PROHIBITED_TERMS.get(word[:-1])
        if category is not None:
            found.append((word, category))
    return found


def prohibited_category_reason(category: str) -> str | None:
    """Return the refusal reason if ``category`` is a prohibited ground, else None."""
    why = PROHIBITED_CATEGORIES.get(category)
    if why is None:
        return None
    return f"prohibited ground '{category}' ({why}); refused by the prohibited-grounds firewall"


def term_reasons(text: str) -> Iterable[str]:
    """Yield one refusal reason per prohibited word in ``text``."""
    for word, category in prohibited_terms(text):
        yield (
            f"contains the prohibited term '{word}' (ground '{category}'); "
            "refused by the prohibited-grounds firewall"
        )
