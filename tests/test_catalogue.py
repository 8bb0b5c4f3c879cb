"""The catalogue: the shipped default, every load-time check, the prohibited-grounds firewall."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.catalogue import (
    PROHIBITED_CATEGORIES,
    Catalogue,
    Gravity,
    RecordKind,
    SubjectKind,
    default_catalogue,
    firewall,
    load_catalogue,
)
from socialcredit.errors import CatalogueError, NotFoundError, Problem

DEBTOR_GROUNDS = [
    "debtor_refuses_to_perform",
    "debtor_obstructs_enforcement",
    "debtor_evades_enforcement",
    "debtor_breaches_asset_reporting",
    "debtor_breaches_consumption_restriction",
    "debtor_refuses_enforcement_settlement",
]


def valid_document() -> dict[str, Any]:
    return {
        "version": 1,
        "contexts": ["finance", "civic"],
        "categories": ["debt", "donation"],
        "kinds": [
            {
                "id": "loan_default",
                "name": "Loan default",
                "subject_kinds": ["person", "organisation"],
                "context": "finance",
                "gravity": "general",
                "legal_basis": "Credit Reporting Regulation (2013), Art. 16",
                "retention": "5y",
                "categories": ["debt"],
                "fields": {"amount": {"unit": "CNY", "required": True}},
            },
            {
                "id": "blood_donation",
                "name": "Blood donation",
                "subject_kinds": ["person"],
                "context": "civic",
                "gravity": "positive",
                "legal_basis": "Blood Donation Law (1997), Art. 2",
                "retention": "3y",
                "categories": ["donation"],
            },
        ],
    }


def refused(document: object) -> list[Problem]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(document)  # type: ignore[arg-type]
    assert caught.value.code == "catalogue_invalid"
    return list(caught.value.problems)


def has(problems: list[Problem], field: str, fragment: str) -> bool:
    return any(p.field == field and fragment in p.reason for p in problems)


# --- the shipped default -------------------------------------------------------------------------


def test_default_catalogue_is_realistic() -> None:
    catalogue = default_catalogue()
    assert catalogue is default_catalogue()  # loaded once
    assert 25 <= len(catalogue) <= 35
    for ground in DEBTOR_GROUNDS:
        kind = catalogue.kind(ground)
        assert kind.context == "judicial"
        assert set(kind.subject_kinds) == {SubjectKind.PERSON, SubjectKind.ORGANISATION}
        assert kind.evidence is not None and kind.evidence.required
    assert catalogue.kind("judgment_performed").gravity is Gravity.NEUTRAL
    assert catalogue.kind("inability_to_pay_declared").gravity is Gravity.NEUTRAL
    assert catalogue.kind("a_grade_taxpayer").subject_kinds == (SubjectKind.ORGANISATION,)
    assert catalogue.kind("loan_default").amount is not None
    assert catalogue.kind("loan_default").amount.unit == "CNY"  # type: ignore[union-attr]
    assert catalogue.kind("volunteering").amount.unit == "hours"  # type: ignore[union-attr]
    assert catalogue.kind("fare_evasion").gravity is Gravity.MINOR
    assert {g for k in catalogue for g in [k.gravity]} == set(Gravity)


def test_default_retention_follows_the_credit_reporting_regulation() -> None:
    for kind in default_catalogue():
        assert kind.legal_basis.strip()
        if kind.gravity is Gravity.POSITIVE:
            assert kind.retention_days == 3 * 365, kind.id
        elif kind.gravity is Gravity.MINOR:
            assert kind.retention_days == 365, kind.id
        else:
            assert kind.retention_days == 5 * 365, kind.id


def test_every_kind_takes_evidence_by_default() -> None:
    assert all(kind.evidence is not None for kind in default_catalogue())


def test_catalogue_lookup_and_iteration() -> None:
    catalogue = default_catalogue()
    assert "loan_default" in catalogue and "jaywalking" not in catalogue
    assert [k.id for k in catalogue] == list(catalogue.kinds)
    with pytest.raises(NotFoundError, match="jaywalking"):
        catalogue.kind("jaywalking")


def test_as_dict_round_trips() -> None:
    catalogue = default_catalogue()
    again = load_catalogue(catalogue.as_dict())
    assert list(again) == list(catalogue)
    assert again.contexts == catalogue.contexts and again.categories == catalogue.categories


def test_load_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(valid_document()), encoding="utf-8")
    catalogue = load_catalogue(path)
    assert [k.id for k in catalogue] == ["loan_default", "blood_donation"]
    assert catalogue.kind("blood_donation").retention_days == 3 * 365
    assert load_catalogue(str(path)).kind("loan_default").retention == "5y"


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text("version: 1\nversion: 1\ncontexts: [a]\nkinds: []\n", encoding="utf-8")
    problems = refused(path)
    assert "duplicate key 'version'" in problems[0].reason


def test_unreadable_and_unparsable_sources(tmp_path: Path) -> None:
    assert "No such file" in refused(tmp_path / "missing.yaml")[0].reason
    broken = tmp_path / "broken.yaml"
    broken.write_text("kinds: [\n", encoding="utf-8")
    assert refused(broken)[0].field == "(catalogue)"
    assert refused(["not", "a", "mapping"])[0].field == "(catalogue)"


# --- load-time checks ----------------------------------------------------------------------------


def mutate(path: str, value: object) -> dict[str, Any]:
    """A valid document with the value at a dotted path replaced (``...`` deletes it)."""
    document = valid_document()
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: int | str = int(last) if isinstance(target, list) else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"),
    [
        ("version", 2, "version", "unsupported version"),
        ("version", ..., "version", "required"),
        ("contexts", [], "contexts", "non-empty list"),
        ("kinds", [], "kinds", "non-empty list"),
        ("extra", 1, "extra", "unknown key"),
        ("kinds.0.legal_basis", "  ", "kinds[0].legal_basis", "non-empty text"),
        ("kinds.0.legal_basis", ..., "kinds[0].legal_basis", "required"),
        ("kinds.0.retention", "5 years", "kinds[0].retention", "like 5y"),
        ("kinds.0.retention", "0d", "kinds[0].retention", "like 5y"),
        ("kinds.0.retention", "200y", "kinds[0].retention", "like 5y"),
        ("kinds.0.gravity", "severe", "kinds[0].gravity", "unknown gravity 'severe'"),
        ("kinds.0.context", "space", "kinds[0].context", "unknown context 'space'"),
        ("kinds.0.subject_kinds", ["person", "robot"], "kinds[0].subject_kinds[1]", "robot"),
        ("kinds.0.subject_kinds", [], "kinds[0].subject_kinds", "non-empty list"),
        ("kinds.0.subject_kinds", ["person", "person"], "kinds[0].subject_kinds[1]", "duplicate"),
        ("kinds.0.id", "Loan-Default", "kinds[0].id", "snake_case"),
        ("kinds.0.id", False, "kinds[0].id", "snake_case"),
        ("kinds.0.name", "", "kinds[0].name", "non-empty text"),
        ("kinds.0.categories", ["wealth"], "kinds[0].categories[0]", "unknown category"),
        ("kinds.0.categories", "debt", "kinds[0].categories", "must be a list"),
        ("kinds.0.fields", {"notes": {}}, "kinds[0].fields.notes", "unknown field"),
        ("kinds.0.fields", ["amount"], "kinds[0].fields", "mapping"),
        ("kinds.0.fields.amount", {"unit": "USD"}, "kinds[0].fields.amount.unit", "unknown unit"),
        (
            "kinds.0.fields.amount",
            {"unit": "CNY", "required": "yes"},
            "kinds[0].fields.amount.required",
            "true or false",
        ),
        (
            "kinds.0.fields.amount",
            {"unit": "CNY", "max": 5},
            "kinds[0].fields.amount.max",
            "unknown key",
        ),
        (
            "kinds.0.fields",
            {"evidence": {"unit": "CNY"}},
            "kinds[0].fields.evidence.unit",
            "unknown key",
        ),
        ("kinds.0.colour", "red", "kinds[0].colour", "unknown key"),
        (
            "kinds.1.id",
            "loan_default",
            "kinds[1].id",
            "duplicate id 'loan_default' (first at kinds[0])",
        ),
        ("kinds.1", "blood_donation", "kinds[1]", "must be a mapping"),
    ],
)
def test_load_time_checks(path: str, value: object, field: str, fragment: str) -> None:
    problems = refused(mutate(path, value))
    assert has(problems, field, fragment), problems


def test_every_problem_is_reported_at_once() -> None:
    document = valid_document()
    document["version"] = 3
    document["kinds"][0].update(gravity="awful", retention="forever", legal_basis="")
    document["kinds"][1].update(context="nowhere")
    del document["kinds"][1]["name"]
    problems = refused(document)
    for field in [
        "version",
        "kinds[0].gravity",
        "kinds[0].retention",
        "kinds[0].legal_basis",
        "kinds[1].context",
        "kinds[1].name",
    ]:
        assert field in {p.field for p in problems}, field
    assert len(problems) == 6


def test_retention_units() -> None:
    for text, days in [("180d", 180), ("2w", 14), ("6m", 180), ("5y", 1825)]:
        assert (
            load_catalogue(mutate("kinds.0.retention", text)).kind("loan_default").retention_days
            == days
        )


# --- the prohibited-grounds firewall -------------------------------------------------------------


def prohibited_kind(**overrides: object) -> dict[str, Any]:
    kind: dict[str, Any] = {
        "id": "neutral_fact",
        "name": "A neutral fact",
        "subject_kinds": ["person"],
        "context": "civic",
        "gravity": "neutral",
        "legal_basis": "Some law, Art. 1",
        "retention": "1y",
    }
    kind.update(overrides)
    return kind


def test_firewall_lists_every_prohibited_ground_at_once() -> None:
    document = valid_document()
    document["categories"].append("religion")
    document["kinds"] += [
        prohibited_kind(id="faith_record", categories=["religion"]),
        prohibited_kind(id="church_attendance", name="Church attendance"),
        prohibited_kind(id="where_they_were", context="location"),
        prohibited_kind(id="friends_scores", name="Scores of friends"),
        prohibited_kind(id="wine_buyer", name="Alcohol purchases"),
        prohibited_kind(id="speech_offence", fields={"gps": {}}),
        prohibited_kind(id="facial_match", categories=["biometric"]),
    ]
    problems = refused(document)
    expected = [
        ("categories[2]", "prohibited ground 'religion'"),
        ("kinds[2].categories[0]", "prohibited ground 'religion'"),
        ("kinds[2].id", "prohibited term 'faith'"),
        ("kinds[3].id", "prohibited term 'church'"),
        ("kinds[3].name", "prohibited term 'church'"),
        ("kinds[4].context", "prohibited ground 'location'"),
        ("kinds[5].id", "ground 'association'"),
        ("kinds[5].name", "prohibited term 'friends'"),
        ("kinds[6].name", "prohibited term 'alcohol'"),
        ("kinds[6].name", "prohibited term 'purchases'"),
        ("kinds[7].id", "prohibited term 'speech'"),
        ("kinds[7].fields.gps", "prohibited term 'gps'"),
        ("kinds[8].id", "prohibited term 'facial'"),
        ("kinds[8].categories[0]", "prohibited ground 'biometric'"),
    ]
    for field, fragment in expected:
        assert has(problems, field, fragment), (field, fragment, problems)
    assert all("firewall" in p.reason for p in problems if "prohibited" in p.reason)


@pytest.mark.parametrize("category", sorted(PROHIBITED_CATEGORIES))
def test_every_prohibited_category_is_refused_as_context_and_category(category: str) -> None:
    document = valid_document()
    document["contexts"].append(category)
    document["categories"].append(category)
    document["kinds"].append(prohibited_kind(id="x_fact", context=category, categories=[category]))
    problems = refused(document)
    for field in ["contexts[2]", "categories[2]", "kinds[2].context", "kinds[2].categories[0]"]:
        assert has(problems, field, f"prohibited ground '{category}'"), (field, problems)


def test_prohibited_categories_are_the_ones_design_names() -> None:
    assert set(PROHIBITED_CATEGORIES) == {
        "political_opinion",
        "expression",
        "religion",
        "ethnicity",
        "trade_union",
        "health",
        "sex_life",
        "biometric",
        "genetic",
        "location",
        "lawful_consumption",
        "association",
        "others_scores",
        "minors",
    }
    assert "Art. 5(1)(c)" in (firewall.__doc__ or "")
    assert "Art. 9" in (firewall.__doc__ or "")


@pytest.mark.parametrize(
    "text",
    [
        "blood_donation",
        "Charitable donation",
        "serious_traffic_offence",
        "Minor tier",
        "Registered address unreachable",
        "unionpay_settlement",
        "faithful_performance",
    ],
)
def test_whole_words_only(text: str) -> None:
    assert firewall.prohibited_terms(text) == []


@pytest.mark.parametrize(
    ("text", "term", "category"),
    [
        ("church_attendance", "church", "religion"),
        ("Trade-union membership", "union", "trade_union"),
        ("online posts", "posts", "expression"),
        ("DNA sample", "dna", "genetic"),
        ("relatives_scores", "relatives", "association"),
        ("gaming hours", "gaming", "lawful_consumption"),
    ],
)
def test_prohibited_terms_are_found(text: str, term: str, category: str) -> None:
    assert (term, category) in firewall.prohibited_terms(text)


def test_record_kind_refuses_prohibited_grounds_even_without_the_loader() -> None:
    with pytest.raises(CatalogueError, match="prohibited ground"):
        RecordKind(
            id="mosque_visits",
            name="Mosque visits",
            subject_kinds=(SubjectKind.PERSON,),
            context="civic",
            gravity=Gravity.MINOR,
            legal_basis="none",
            retention="1y",
            retention_days=365,
            categories=("religion",),
        )


def test_catalogue_refuses_duplicate_kinds() -> None:
    kind = default_catalogue().kind("loan_default")
    with pytest.raises(CatalogueError, match="duplicate"):
        Catalogue([kind, copy.copy(kind)], contexts=["finance"])
