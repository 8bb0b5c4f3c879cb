"""The sentences of a decision are phrases: every sentence a decision writes reads back into
its key and values (so the portal can say it in Chinese), the English stays as the ledger has
always kept it, and a sentence of any other origin is not mistaken for one."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from socialcredit.consequences._decisions import PHRASES, Phrase, phrase_text, read_phrase

_NAME = st.text(string.ascii_letters + " -,'()", min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s != ""
)
_DAY = st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
_VALUES = {
    "measure": _NAME,
    "list": _NAME,
    "org": st.text(string.ascii_uppercase + string.digits, min_size=18, max_size=18),
    "records": st.lists(st.integers(1, 10**6), min_size=1, max_size=3).map(
        lambda ps: ", ".join(f"#{p}" for p in ps)
    ),
    "kinds": st.lists(st.from_regex(r"[a-z]+(_[a-z]+){0,2}", fullmatch=True), min_size=1).map(
        ", ".join
    ),
    "performed_by": st.from_regex(r"[a-z]+(_[a-z]+){0,2}", fullmatch=True),
    "since": _DAY,
    "until": st.one_of(_DAY, st.just("open")),
    "due": _DAY,
    "start": _DAY,
    "days": st.integers(0, 30).map(str),
}


@st.composite
def phrases(draw: st.DrawFn) -> Phrase:
    key = draw(st.sampled_from(sorted(PHRASES)))
    fields = {name for name in _VALUES if "{" + name + "}" in PHRASES[key]}
    return Phrase(key, {name: draw(_VALUES[name]) for name in sorted(fields)})


@given(phrases())
def test_every_sentence_reads_back_into_its_phrase(phrase: Phrase) -> None:
    text = phrase_text(phrase)
    found = read_phrase(text)
    assert found is not None and found.key == phrase.key
    assert phrase_text(found) == text
    for name in ("since", "until", "due", "start", "days", "records", "org"):
        if name in phrase.values:
            assert found.values[name] == phrase.values[name], name


def test_the_english_is_what_the_ledger_always_kept() -> None:
    values = {"list": "List of dishonest judgment debtors", "until": "2030-01-02"}
    assert phrase_text(Phrase("recourse_ends", values)) == (
        "List of dishonest judgment debtors: the listing ends at the latest on 2030-01-02."
    )
    reason = {
        "measure": "No air tickets",
        "list": "List of dishonest judgment debtors",
        "since": "2025-04-11",
        "records": "#57428",
        "kinds": "debtor_refuses_to_perform",
        "until": "open",
    }
    assert phrase_text(Phrase("reason", reason)) == (
        "No air tickets: on List of dishonest judgment debtors since 2025-04-11 "
        "(records #57428: debtor_refuses_to_perform), until open"
    )


def test_other_sentences_are_not_phrases() -> None:
    assert read_phrase("The service is closed today.") is None
    assert read_phrase("X: the listing ends at the latest on tomorrow.") is None
    assert read_phrase("") is None
