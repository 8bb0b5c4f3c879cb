"""References and sources: the closed reference forms, registered sources, the demo's filers.

A record's evidence must be a reference of its source's authority kind's form; these tests hold
the forms to what they promise (no free text fits, the two regular-expression engines agree)
and :class:`~socialcredit.catalogue.Source` to its name rule. The attacks themselves are data:
``tests/cases/records/evidence.yaml`` and ``sources.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import (
    Source,
    conduct_taxonomy,
    default_catalogue,
    make_reference,
)
from socialcredit.catalogue import (
    _firewall as firewall,
)
from socialcredit.catalogue._taxonomy import parse_taxonomy
from socialcredit.demo._filers import FILED_BY, SOURCES, authority_of
from socialcredit.errors import CatalogueError, ValidationError
from socialcredit.ledger import Ledger

AUTHORITIES = list(conduct_taxonomy().authority_kinds.values())
ATTACKS = [
    "religion catholic; location 39.9,116.4",
    "39.9042,116.4074",
    "uyghur",
    "UYGHUR",
    "宗教",
    "13812345678",
    "+86 138 1234 5678",
    "110105198506151236",
    "11010519800102002X",
    "case 7",
    "",
]
_LETTERS = re.compile(r"[A-Za-z]{3,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("authority", AUTHORITIES, ids=lambda a: a.id)
def test_made_references_have_their_authoritys_form(authority: object) -> None:
    kind = conduct_taxonomy().authority(authority.id)
    assert kind is not None
    for year, serial in ((1949, 1), (2024, 1234), (2099, 999_999)):
        assert kind.matches(make_reference(kind.id, year, serial))
    assert kind.matches(kind.example)


@pytest.mark.parametrize("authority", AUTHORITIES, ids=lambda a: a.id)
def test_no_attack_has_any_authoritys_form(authority: object) -> None:
    kind = conduct_taxonomy().authority(authority.id)
    assert kind is not None
    assert [text for text in ATTACKS if kind.matches(text)] == []


def test_no_chinese_term_of_the_lexicon_fits_in_a_reference() -> None:
    """Every Chinese term of the prohibited-grounds lexicon has a character no form admits."""
    admitted = {c for a in AUTHORITIES for c in a.pattern.pattern if _HAN.match(c)}
    cjk = [term for term, _ in firewall.PROHIBITED_TERMS.items() if _HAN.search(term)]
    assert cjk and [term for term in cjk if set(term) <= admitted] == []


def test_every_english_term_of_the_lexicon_is_longer_than_a_references_letters() -> None:
    latin = [term for term in firewall.PROHIBITED_TERMS if not _HAN.search(term)]
    assert min(map(len, latin)) >= 3  # references admit at most two letters in a row


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_reference_carries_no_words_and_both_engines_agree(data: st.DataObject) -> None:
    """References drawn from each form: at most two letters in a row, nothing the screen finds
    in letters or Chinese, and RE2 (the ingest kernels) accepts exactly what Python does."""
    authority = data.draw(st.sampled_from(AUTHORITIES))
    text = data.draw(st.from_regex(authority.pattern, fullmatch=True))
    assert _LETTERS.search(text) is None
    form = firewall.normalise(text)
    assert not firewall._CJK_SCAN.search(form.han)
    assert not any(firewall._word_ground(token) for token in form.tokens)
    others = [data.draw(st.sampled_from(ATTACKS)), data.draw(st.text(max_size=20))]
    for value in (text, *others):
        python = [a.matches(value) for a in AUTHORITIES]
        anchored = [f"^(?:{a.pattern.pattern})$" for a in AUTHORITIES]
        re2 = [pc.match_substring_regex(pa.array([value]), p)[0].as_py() for p in anchored]
        assert re2 == python, value


def test_a_pattern_outside_the_portable_syntax_is_refused_at_load() -> None:
    doc = {
        "version": 1,
        "contexts": {"judicial": "Courts."},
        "authority_kinds": {
            "court": {"name": "Court", "reference": "case", "pattern": r"\d+", "example": "1"}
        },
        "categories": {
            "court_enforcement": {
                "covers": "x",
                "context": "judicial",
                "authorities": ["court"],
                "subject_kinds": ["person"],
                "gravities": ["serious"],
                "max_retention": "5y",
            }
        },
    }
    with pytest.raises(CatalogueError) as caught:
        parse_taxonomy(doc)
    assert [p.field for p in caught.value.problems][:1] == [
        "taxonomy.yaml:authority_kinds.court.pattern"
    ]


# --- sources -------------------------------------------------------------------------------


def test_a_source_is_named_after_its_authority_kind() -> None:
    source = Source.named(" court:beijing-chaoyang ")
    assert (source.name, source.authority) == ("court:beijing-chaoyang", "court")
    assert source.authority_kind.id == "court"
    assert Source("court:beijing-chaoyang", "court") == source
    assert Source.named("court:beijing-chaoyang", "court") == source


@pytest.mark.parametrize(
    ("name", "authority", "field", "fragment"),
    [
        ("bank-a", None, "source", "'<authority kind>:<name>'"),
        ("church:st-mary", None, "source", "'church' is not an authority kind"),
        ("court:religious-affairs", None, "source", "prohibited term"),
        ("court:" + "x" * 100, None, "source", "at most 100 characters"),
        ("court:beijing", "tax_authority", "authority", "not the authority kind"),
    ],
)
def test_a_source_that_is_not_registrable_is_refused(
    name: str, authority: str | None, field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Source.named(name, authority)
    assert [(p.field, fragment in p.reason) for p in caught.value.problems] == [(field, True)]


def test_the_demo_files_every_kind_from_a_source_that_may_establish_it() -> None:
    taxonomy = conduct_taxonomy()
    assert set(SOURCES) == set(taxonomy.authority_kinds)
    for kind in default_catalogue():
        category = taxonomy.category(kind.category)
        assert category is not None and authority_of(kind) in category.authorities, kind.id
    assert set(FILED_BY) <= {kind.id for kind in default_catalogue()}


def test_a_subjects_statement_stays_free_text(make_ledger: Callable[..., Ledger]) -> None:
    """The reference rule is for sources' records; the subject's words about them stay words."""
    from socialcredit.policy import default_bundle, publish
    from socialcredit.rights import attach_statement
    from tests.rights.helpers import ALICE, file_record

    ledger = make_ledger()
    publish(ledger, default_bundle())
    position = file_record(ledger)
    text = "I paid on 3 March; the bank's letter of 5 March says so. (Receipt no. 7.)"
    assert attach_statement(ledger, ALICE, position, text) > position
