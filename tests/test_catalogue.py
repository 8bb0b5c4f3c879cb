"""The catalogue: the shipped default, the taxonomy and registry it chooses from, every load-time
check, and the prohibited-grounds firewall (both directions: what it refuses, what it lets by).

Whole hostile bundles are in ``tests/cases/hostile`` (``tests/test_hostile_bundles.py``).
"""

from __future__ import annotations

import copy
import doctest
import importlib
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
    conduct_taxonomy,
    default_catalogue,
    load_catalogue,
    registry,
)
from socialcredit.catalogue import (
    _firewall as firewall,
)
from socialcredit.catalogue._legal_basis import parse_registry
from socialcredit.catalogue._taxonomy import parse_taxonomy
from socialcredit.errors import CatalogueError, NotFoundError, Problem
from socialcredit.policy import default_bundle

DEBTOR_GROUNDS = [
    "debtor_refuses_to_perform",
    "debtor_obstructs_enforcement",
    "debtor_evades_enforcement",
    "debtor_breaches_asset_reporting",
    "debtor_breaches_consumption_restriction",
    "debtor_refuses_enforcement_settlement",
]
# The categories of the first catalogue, before the taxonomy was the engine's: all still there.
FIRST_CATEGORIES = {
    "court_enforcement",
    "debt",
    "tax_compliance",
    "administrative_penalty",
    "business_registration",
    "product_compliance",
    "environmental_compliance",
    "employment_obligations",
    "traffic_conduct",
    "fare_payment",
    "volunteer_service",
    "donation",
    "commendation",
    "public_rating",
}


def valid_document() -> dict[str, Any]:
    return {
        "version": 2,
        "taxonomy": 1,
        "legal_basis_registry": 1,
        "kinds": [
            {
                "id": "loan_default",
                "name": "Loan default",
                "category": "debt",
                "subject_kinds": ["person", "organisation"],
                "gravity": "general",
                "legal_basis": "credit-reporting-regulation-2013/art15",
                "retention": "5y",
                "fields": {"amount": {"unit": "CNY", "required": True}},
            },
            {
                "id": "blood_donation",
                "name": "Blood donation",
                "category": "donation",
                "subject_kinds": ["person"],
                "gravity": "positive",
                "legal_basis": "blood-donation-law-1997/art6",
                "retention": "3y",
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
    assert 25 <= len(catalogue) <= 45
    for ground in DEBTOR_GROUNDS:
        kind = catalogue.kind(ground)
        assert kind.context == "judicial" and kind.category == "court_enforcement"
        assert set(kind.subject_kinds) == {SubjectKind.PERSON, SubjectKind.ORGANISATION}
        assert kind.evidence is not None and kind.evidence.required
    assert catalogue.kind("judgment_performed").gravity is Gravity.NEUTRAL
    assert catalogue.kind("inability_to_pay_declared").category == "enforcement_hardship"
    assert catalogue.kind("a_grade_taxpayer").subject_kinds == (SubjectKind.ORGANISATION,)
    assert catalogue.kind("loan_default").amount is not None
    assert catalogue.kind("loan_default").amount.unit == "CNY"  # type: ignore[union-attr]
    assert catalogue.kind("volunteering").amount.unit == "hours"  # type: ignore[union-attr]
    assert catalogue.kind("fare_evasion").gravity is Gravity.MINOR
    assert {g for k in catalogue for g in [k.gravity]} == set(Gravity)


def test_default_retention_follows_the_credit_reporting_regulation() -> None:
    for kind in default_catalogue():
        if kind.gravity is Gravity.POSITIVE:
            assert kind.retention_days == 3 * 365, kind.id
        elif kind.gravity is Gravity.MINOR:
            assert kind.retention_days == 365, kind.id
        else:
            assert kind.retention_days == 5 * 365, kind.id


def test_every_default_kind_is_within_its_category_and_authorised() -> None:
    catalogue = default_catalogue()
    assert catalogue.contexts == tuple(conduct_taxonomy().contexts)
    assert {k.category for k in catalogue} >= FIRST_CATEGORIES
    for kind in catalogue:
        category = conduct_taxonomy().category(kind.category)
        assert category is not None, kind.id
        assert kind.context == category.context
        assert {s.value for s in kind.subject_kinds} <= set(category.subject_kinds)
        assert kind.gravity.value in category.gravities
        assert kind.retention_days <= category.max_retention_days
        assert registry().record_reason(kind.legal_basis, kind.category) is None
        assert kind.legal_basis in kind.citation and "(" in kind.citation


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
    assert catalogue.as_dict()["taxonomy"] == conduct_taxonomy().version
    assert "contexts" not in catalogue.as_dict()


def test_load_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(valid_document()), encoding="utf-8")
    catalogue = load_catalogue(path)
    assert [k.id for k in catalogue] == ["loan_default", "blood_donation"]
    assert catalogue.kind("blood_donation").retention_days == 3 * 365
    assert catalogue.kind("blood_donation").context == "civic"  # the category's
    assert load_catalogue(str(path)).kind("loan_default").retention == "5y"


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text("version: 2\nversion: 2\nkinds: []\n", encoding="utf-8")
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


ENGINE_OWNS = "the taxonomy is the engine's; a bundle cannot extend it"


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"),
    [
        ("version", 1, "version", "unsupported version 1"),
        ("version", ..., "version", "required"),
        ("taxonomy", 2, "taxonomy", "ships taxonomy version 1"),
        ("legal_basis_registry", ..., "legal_basis_registry", "required"),
        ("contexts", ["finance", "leisure"], "contexts", ENGINE_OWNS),
        ("categories", ["debt"], "categories", ENGINE_OWNS),
        ("kinds", [], "kinds", "non-empty list"),
        ("extra", 1, "extra", "unknown key"),
        ("kinds.0.legal_basis", "  ", "kinds[0].legal_basis", "a legal basis is required"),
        ("kinds.0.legal_basis", "none", "kinds[0].legal_basis", "'none' is not a legal basis"),
        ("kinds.0.legal_basis", None, "kinds[0].legal_basis", "a legal basis is required"),
        ("kinds.0.legal_basis", ..., "kinds[0].legal_basis", "required"),
        (
            "kinds.0.legal_basis",
            "Credit Reporting Regulation (2013), Art. 16",
            "kinds[0].legal_basis",
            "unknown legal basis",
        ),
        (
            "kinds.0.legal_basis",
            "railway-law/art14",
            "kinds[0].legal_basis",
            "does not authorise recording category 'debt'",
        ),
        ("kinds.0.retention", "5 years", "kinds[0].retention", "like 5y"),
        ("kinds.0.retention", "0d", "kinds[0].retention", "like 5y"),
        ("kinds.0.retention", "6y", "kinds[0].retention", "exceeds the maximum of category"),
        ("kinds.0.gravity", "severe", "kinds[0].gravity", "unknown gravity 'severe'"),
        ("kinds.1.gravity", "serious", "kinds[1].gravity", "outside category 'donation'"),
        ("kinds.0.category", "wealth", "kinds[0].category", "unknown category 'wealth'"),
        ("kinds.0.category", ["debt"], "kinds[0].category", "exactly one category"),
        ("kinds.0.category", ..., "kinds[0].category", "required"),
        ("kinds.0.context", "finance", "kinds[0].context", "context is its category's"),
        ("kinds.0.categories", ["debt"], "kinds[0].categories", ENGINE_OWNS),
        ("kinds.0.depends_on", "x", "kinds[0].depends_on", "anyone else's records or score"),
        ("kinds.0.of_subject", "x", "kinds[0].of_subject", "anyone else's records or score"),
        ("kinds.0.subject_kinds", ["person", "robot"], "kinds[0].subject_kinds[1]", "robot"),
        ("kinds.0.subject_kinds", [], "kinds[0].subject_kinds", "non-empty list"),
        ("kinds.0.subject_kinds", ["person", "person"], "kinds[0].subject_kinds[1]", "duplicate"),
        (
            "kinds.1.subject_kinds",
            ["person", "organisation"],
            "kinds[1].subject_kinds[1]",
            "",  # donation allows organisations: no problem there (see below)
        ),
        ("kinds.0.id", "Loan-Default", "kinds[0].id", "snake_case"),
        ("kinds.0.id", False, "kinds[0].id", "snake_case"),
        ("kinds.0.name", "", "kinds[0].name", "non-empty text"),
        ("kinds.0.fields", {"notes": {}}, "kinds[0].fields.notes", "closed set"),
        ("kinds.0.fields", {"debtor_id": {}}, "kinds[0].fields.debtor_id", "point at another"),
        ("kinds.0.fields", {"other_party": {}}, "kinds[0].fields.other_party", "point at another"),
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
    if not fragment:
        load_catalogue(mutate(path, value))
        return
    problems = refused(mutate(path, value))
    assert has(problems, field, fragment), problems


def test_subject_kinds_stay_within_the_category() -> None:
    document = mutate("kinds.0.category", "traffic_conduct")
    document["kinds"][0]["legal_basis"] = "road-traffic-safety-law/art91"
    problems = refused(document)
    assert has(problems, "kinds[0].subject_kinds[1]", "not recorded about organisations")
    assert len(problems) == 1


def test_every_problem_is_reported_at_once() -> None:
    document = valid_document()
    document["version"] = 3
    document["kinds"][0].update(gravity="awful", retention="forever", legal_basis="")
    document["kinds"][1].update(category="nowhere")
    del document["kinds"][1]["name"]
    problems = refused(document)
    for field in [
        "version",
        "kinds[0].gravity",
        "kinds[0].retention",
        "kinds[0].legal_basis",
        "kinds[1].category",
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


# --- the taxonomy and the registry ---------------------------------------------------------------


def test_taxonomy_categories_are_closed_and_complete() -> None:
    shipped = conduct_taxonomy()
    assert shipped.version == 1
    assert set(shipped.contexts) == {
        "finance",
        "judicial",
        "tax",
        "market_regulation",
        "transport",
        "civic",
        "environment",
        "labour",
    }
    assert set(shipped.categories) >= FIRST_CATEGORIES | {
        "judgment_performance",
        "enforcement_hardship",
    }
    for category in shipped.categories.values():
        assert category.covers.endswith(".") and category.authorities
        assert category.max_retention_days <= 5 * 365
        assert set(category.authorities) <= set(shipped.authority_kinds)
    assert shipped.category("public_rating").subject_kinds == ("organisation",)  # type: ignore[union-attr]
    assert shipped.category("donation").gravities == ("positive",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("authority", "good", "bad"),
    [
        ("court", "(2024)京0105执1234号", "religion catholic; location 39.9,116.4"),
        ("court", "(2019)最高法执监123号", "(2024) some prose"),
        ("tax_authority", "京税稽罚〔2024〕123号", "tax decision about church"),
        ("transport_operator", "E1234567890", "ticket 1"),
        ("creditor_under_contract", "LN-2024-000123", "loan of his brother"),
        ("rating_platform", "RA-2024-000017", "RA-2024"),
    ],
)
def test_authority_reference_patterns(authority: str, good: str, bad: str) -> None:
    kind = conduct_taxonomy().authority(authority)
    assert kind is not None and kind.matches(good) and not kind.matches(bad)
    assert kind.matches(kind.example)


def test_every_authority_example_matches_its_pattern() -> None:
    for authority in conduct_taxonomy().authority_kinds.values():
        assert authority.matches(authority.example), authority.id


def test_a_malformed_taxonomy_is_refused_with_every_problem() -> None:
    path = Path(__file__).parent.parent / "socialcredit" / "catalogue" / "taxonomy.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["categories"]["debt"]["context"] = "leisure"
    document["categories"]["donation"]["gravities"] = ["heroic"]
    document["authority_kinds"]["court"]["example"] = "not a case number"
    with pytest.raises(CatalogueError) as caught:
        parse_taxonomy(document)
    fields = {p.field for p in caught.value.problems}
    assert fields >= {
        "taxonomy.yaml:categories.debt.context",
        "taxonomy.yaml:categories.donation.gravities",
        "taxonomy.yaml:authority_kinds.court.example",
    }


def test_registry_entries_grant_only_known_things() -> None:
    known = registry()
    assert known.version == 1
    for entry in known.entries.values():
        assert entry.records or entry.measures or entry.id.endswith("/art14"), entry.id
        assert entry.citation.startswith(entry.title)
    checked = {e.id for e in known.entries.values() if e.checked}
    assert "spc-dishonest-debtors-2017/art1-1" in checked
    assert "volunteer-service-regulation-2017/art19" in checked
    assert "tax-collection-law/art45" not in checked  # honest: not checked against the text


def test_a_malformed_registry_is_refused() -> None:
    path = Path(__file__).parent.parent / "socialcredit" / "catalogue" / "legal_basis.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    articles = document["instruments"]["railway-law"]["articles"]
    articles["art14"]["records"] = ["religion"]
    articles["art15"] = {"citation": "Art. 15", "says": "x", "measures": [{"type": "ban"}]}
    with pytest.raises(CatalogueError) as caught:
        parse_registry(document, conduct_taxonomy())
    reasons = " ".join(p.reason for p in caught.value.problems)
    assert "unknown taxonomy category 'religion'" in reasons
    assert "each grant maps type, context" in reasons


def test_registry_reasons() -> None:
    known = registry()
    assert known.record_reason("railway-law/art14", "fare_payment") is None
    assert "not a legal basis" in str(known.record_reason("N/A", "debt"))
    assert "unknown legal basis" in str(known.record_reason("railway-law/art99", "debt"))
    assert (
        known.measure_reason(
            "spc-high-consumption-2015/art3-1", "air_travel_restriction", "transport", "judicial"
        )
        is None
    )
    crossing = known.measure_reason(
        "spc-high-consumption-2015/art3-1", "air_travel_restriction", "transport", "civic"
    )
    assert "triggered from context 'civic' (purpose binding)" in str(crossing)
    assert "does not authorise a measure of type 'deposit_waiver'" in str(
        known.measure_reason("railway-law/art14", "deposit_waiver", "civic")
    )


# --- the prohibited-grounds firewall -------------------------------------------------------------


def prohibited_kind(**overrides: object) -> dict[str, Any]:
    kind: dict[str, Any] = {
        "id": "neutral_fact",
        "name": "A neutral fact",
        "category": "judgment_performance",
        "subject_kinds": ["person"],
        "gravity": "neutral",
        "legal_basis": "spc-dishonest-debtors-2017/art10",
        "retention": "1y",
    }
    kind.update(overrides)
    return kind


def test_firewall_lists_every_prohibited_ground_at_once() -> None:
    document = valid_document()
    document["kinds"] += [
        prohibited_kind(id="faith_record", category="religion"),
        prohibited_kind(id="church_attendance", name="Church attendance"),
        prohibited_kind(id="where_they_were", fields={"location": {}}),
        prohibited_kind(id="friends_scores", name="Scores of friends"),
        prohibited_kind(id="wine_buyer", name="Alcohol purchases"),
        prohibited_kind(id="speech_offence", fields={"gps": {}}),
        prohibited_kind(id="facial_match", legal_basis="biometric-law/art1"),
    ]
    problems = refused(document)
    expected = [
        ("kinds[2].category", "unknown category 'religion'"),
        ("kinds[2].category", "prohibited term 'relig'"),
        ("kinds[2].id", "prohibited term 'faith'"),
        ("kinds[3].id", "prohibited term 'church'"),
        ("kinds[3].name", "prohibited term 'church'"),
        ("kinds[4].fields.location", "ground 'location'"),
        ("kinds[5].id", "ground 'association'"),
        ("kinds[5].name", "prohibited term 'friend'"),
        ("kinds[6].name", "prohibited term 'alcohol'"),
        ("kinds[6].name", "prohibited term 'purchase'"),
        ("kinds[7].id", "prohibited term 'speech'"),
        ("kinds[7].fields.gps", "prohibited term 'gps'"),
        ("kinds[8].id", "prohibited term 'facial'"),
        ("kinds[8].legal_basis", "prohibited term 'biometric'"),
        ("kinds[8].legal_basis", "unknown legal basis"),
    ]
    for field, fragment in expected:
        assert has(problems, field, fragment), (field, fragment, problems)
    assert all("firewall" in p.reason for p in problems if "prohibited term" in p.reason)


def test_prohibited_grounds_cover_design_and_more() -> None:
    assert set(PROHIBITED_CATEGORIES) >= {
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
        "informing",
    }
    assert "Art. 5(1)(c)" in (firewall.__doc__ or "")
    assert "Art. 9" in (firewall.__doc__ or "")
    reason = firewall.prohibited_category_reason("religion")
    assert reason is not None and "Art. 9(1)" in reason


def _default_strings() -> list[str]:
    """Every name the default bundle writes, and every string of the taxonomy and registry."""
    bundle = default_bundle()
    out = [s for k in bundle.catalogue for s in (k.id, k.name, k.legal_basis, k.category)]
    out += [s for d in bundle.lists for s in (d.id, d.name, d.legal_basis)]
    out += [s for m in bundle.measures.measures for s in (m.id, m.name, m.type, m.legal_basis)]
    out += [s for v in bundle.measures.services for s in (v.id, v.name)]
    out += [*bundle.scoring.dimensions, *(b.grade for b in bundle.scoring.grades)]
    return out + conduct_taxonomy().strings() + registry().strings()


def test_the_default_bundle_taxonomy_and_registry_pass_the_screen() -> None:
    flagged = {text: firewall.screen(text) for text in _default_strings() if firewall.screen(text)}
    assert flagged == {}


@pytest.mark.parametrize(
    "text",
    [
        "blood_donation",
        "Charitable donation",
        "charitable_donation",
        "tax",
        "tax_arrears",
        "contract",
        "debt_under_contract",
        "serious_traffic_offence",
        "Minor tier",
        "Registered address unreachable",
        "unionpay_settlement",
        "faithful_performance",
        "fund_allocation",
        "general",
        "unfair_competition",
        "environmentally_friendly_production",
        "licensor_royalties_unpaid",
        "State Council Guiding Opinions",
        "Fast-track approvals",
        "administrative_penalty_serious",
        "food_safety_violation",
        "wage_arrears",
        "company_officer_bar",
        "public_rating_below_neutral",
        "判决履行",  # judgment performed
        "税务处罚",  # tax penalty
    ],
)
def test_innocent_words_pass(text: str) -> None:
    assert firewall.prohibited_terms(text) == []


@pytest.mark.parametrize(
    ("text", "term", "ground"),
    [
        ("church_attendance", "church", "religion"),
        ("Trade-union membership", "tradeunion", "trade_union"),
        ("union_member", "union", "trade_union"),
        ("deleted posts", "post", "expression"),
        ("DNA sample", "dna", "genetic"),
        ("relatives_scores", "relative", "association"),
        ("gaming hours", "gaming", "lawful_consumption"),
        ("vpn_use", "vpn", "expression"),
        ("VpnUse", "vpn", "expression"),
        ("v-p-n", "vpn", "expression"),
        ("low_score_companion", "companion", "association"),
        ("low_score_companion", "lowscore", "others_scores"),
        ("tip_to_officials_rewarded", "tip", "informing"),
        ("informant", "informant", "informing"),
        ("informant_reward", "informant", "informing"),
        ("camera_sightings", "camera", "biometric"),
        ("muslim_household", "muslim", "religion"),
        ("uyghur_origin", "uyghur", "ethnicity"),
        ("kinship_ties", "kinship", "association"),
        ("petitioner", "petitioner", "political_opinion"),
        ("repeat_petitions", "petition", "political_opinion"),
        ("dissident", "dissident", "political_opinion"),
        ("smartphone_checks", "smartphone", "location"),
        ("cell_tower_pings", "celltower", "location"),
        ("religiouspractice", "relig", "religion"),
        ("rel_igion", "relig", "religion"),
        ("r-e-l-i-g-i-o-n", "relig", "religion"),
        ("R3LIG10N", "relig", "religion"),
        ("rеligion", "relig", "religion"),  # a Cyrillic e
        ("ｒｅｌｉｇｉｏｎ", "relig", "religion"),  # full width
        ("fa_ce_match", "face", "biometric"),
        ("zongjiao", "zongjiao", "religion"),
        ("minzu", "minzu", "ethnicity"),
        ("shangfang_count", "shangfang", "political_opinion"),
        ("宗教", "宗教", "religion"),
        ("民族", "民族", "ethnicity"),
        ("上访", "上访", "political_opinion"),
        ("维吾尔", "维吾尔", "ethnicity"),
        ("穆斯林", "穆斯林", "religion"),
        ("定位", "定位", "location"),
        ("基因", "基因", "genetic"),
        ("指纹", "指纹", "biometric"),
        ("人脸识别", "人脸", "biometric"),
        ("亲属", "亲属", "association"),
        ("宗_教", "宗教", "religion"),
        ("举报奖励", "举报", "informing"),
        ("juvenile_record", "juvenile", "minors"),
        ("Health declaration", "health", "health"),
    ],
)
def test_prohibited_terms_are_found(text: str, term: str, ground: str) -> None:
    assert (term, ground) in firewall.prohibited_terms(text)


def test_a_word_inside_a_longer_term_is_reported_once() -> None:
    assert firewall.prohibited_terms("petitioner") == [("petitioner", "political_opinion")]


def test_normalise_forms() -> None:
    form = firewall.normalise("Rel_igion2Check 宗 教")
    assert form.tokens == ("rel", "igion", "check")
    assert form.squashed == "religioncheck" and form.han == "宗教"
    assert firewall.normalise("r3l1g10n").folded == "religion"


def test_record_kind_refuses_prohibited_grounds_even_without_the_loader() -> None:
    with pytest.raises(CatalogueError, match="prohibited term 'mosque'"):
        RecordKind(
            id="mosque_visits",
            name="Mosque visits",
            subject_kinds=(SubjectKind.PERSON,),
            context="civic",
            gravity=Gravity.POSITIVE,
            legal_basis="guo-fa-2016-33/part2",
            retention="1y",
            retention_days=365,
            category="commendation",
        )


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"category": "religion"}, "not in the engine's taxonomy"),
        ({"context": "finance"}, "is not its category's (civic)"),
        ({"legal_basis": "none"}, "'none' is not a legal basis"),
        ({"legal_basis": "railway-law/art14"}, "does not authorise recording"),
        ({"retention": "9y", "retention_days": 9 * 365}, "exceeds 3y"),
        ({"gravity": Gravity.SERIOUS}, "outside category 'commendation'"),
    ],
)
def test_record_kind_refuses_leaving_the_taxonomy_even_without_the_loader(
    overrides: dict[str, Any], fragment: str
) -> None:
    fields: dict[str, Any] = {
        "id": "civic_award",
        "name": "Civic award",
        "subject_kinds": (SubjectKind.PERSON,),
        "context": "civic",
        "gravity": Gravity.POSITIVE,
        "legal_basis": "guo-fa-2016-33/part2",
        "retention": "3y",
        "retention_days": 3 * 365,
        "category": "commendation",
    }
    RecordKind(**fields)
    with pytest.raises(CatalogueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        RecordKind(**{**fields, **overrides})


def test_catalogue_refuses_duplicate_kinds() -> None:
    kind = default_catalogue().kind("loan_default")
    with pytest.raises(CatalogueError, match="duplicate"):
        Catalogue([kind, copy.copy(kind)], contexts=["finance"])


@pytest.mark.parametrize(
    "module", ["socialcredit.catalogue", "_taxonomy", "_legal_basis", "_firewall"]
)
def test_docstring_examples_run(module: str) -> None:
    name = module if "." in module else f"socialcredit.catalogue.{module}"
    assert doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS).failed == 0
