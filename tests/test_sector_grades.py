"""Sector grades (step 7 of the definition): every evaluator gives the same grades.

The per-subject engine, the NumPy evaluator, the DuckDB plan, the live projection and the
listing-by-sector-grade function are held equal on the shipped schemes' YAML cases
(``tests/cases/sector_grades/``), on Hypothesis-generated records under three policies (the
default, linear decay, a binned rule in the tax dimension), and on a demo city. Spark runs the
same plan in ``test_sector_grades_spark.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import default_catalogue
from socialcredit.consequences import subject_consequences
from socialcredit.consequences._sector_listings import sector_grade_at, sector_grade_listings
from socialcredit.demo._city import build_city
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle, load_bundle_from_files, publish
from socialcredit.policy._scoring import check_scoring
from socialcredit.records import RecordRow
from socialcredit.scoring import (
    CompiledPolicy,
    KindTable,
    compile_policy,
    compiled_bundle,
    rescore,
    score,
)
from socialcredit.scoring._batch import batch_scores, records_table, sector_column
from socialcredit.scoring._engine import evaluate
from socialcredit.scoring._projection import LiveScores
from socialcredit.scoring._vectorised import evaluate as vector_evaluate
from socialcredit.timeutil import DAY_US, from_us, to_us
from tests.consequences.helpers import play
from tests.consequences.helpers import subject as subject_of
from tests.records_factory import valid_rows, write_csv
from tests.test_cli import READ, run
from tests.test_policy_cases import edit_files

CASES = Path(__file__).parent / "cases" / "sector_grades"
AS_OF = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z
START = AS_OF - 4 * 365 * DAY_US
KINDS = ["tax_arrears", "tax_evasion", "false_vat_invoices", "a_grade_taxpayer"]
KINDS += ["environmental_violation", "loan_default", "judgment_performed", "not_a_kind"]
SUBJECTS = [("organisation", "o1"), ("organisation", "o2"), ("person", "p1"), ("person", "p2")]


def _default() -> CompiledPolicy:
    return compiled_bundle(default_bundle())


def _linear() -> CompiledPolicy:
    edits = [
        {"file": "scoring.yaml", "set": f"tiers.{tier}.decay", "value": "linear"}
        for tier in ("minor", "general", "serious")
    ]
    return compiled_bundle(load_bundle_from_files(edit_files(edits)))


def _binned() -> CompiledPolicy:
    """A binned rule in the tax dimension (counting arrears besides their per-record rule)."""
    bundle = default_bundle()
    doc = yaml.safe_load(bundle.files["scoring.yaml"])
    doc["binned"] = [
        {
            "feature": "tax_arrears_count",
            "kinds": ["tax_arrears"],
            "dimension": "tax",
            "bins": [{"upto": 0, "points": 0}, {"upto": 1, "points": -5}, {"points": -25}],
        }
    ]
    policy, problems = check_scoring(doc, bundle.catalogue)
    assert not problems and policy is not None, problems
    return compile_policy(policy, bundle.catalogue, 7, bundle.sector_grades)


def _every_kind() -> CompiledPolicy:
    """The tax scheme grading persons too (the shipped schemes grade organisations only)."""
    edits = [
        {
            "file": "sector_grades.yaml",
            "set": "schemes[id=taxpayer_credit].subject_kinds",
            "value": ["person", "organisation"],
        }
    ]
    return compiled_bundle(load_bundle_from_files(edit_files(edits)))


POLICIES: dict[str, Callable[[], CompiledPolicy]] = {
    "default": _default,
    "every_kind": _every_kind,
    "linear": _linear,
    "binned": _binned,
}


# -- the evaluators, each reduced to {subject: {scheme: grade}} -----------------------------


def by_engine(
    policy: CompiledPolicy,
    rows: list[RecordRow],
    subjects: list[tuple[str, str]],
    at: int,
    known: int,
) -> dict[tuple[str, str], dict[str, str]]:
    out = {}
    for subject in subjects:
        mine = tuple(r for r in rows if (r.subject_kind, r.subject_id) == subject)
        out[subject] = evaluate(policy, mine, subject, from_us(at), from_us(known)).sector_grades
    return out


def by_numpy(
    policy: CompiledPolicy,
    rows: list[RecordRow],
    subjects: list[tuple[str, str]],
    at: int,
    known: int,
) -> dict[tuple[str, str], dict[str, str]]:
    table = KindTable.of(policy)
    dense = {s: i for i, s in enumerate(subjects)}
    got = vector_evaluate(
        table,
        np.array([dense[(r.subject_kind, r.subject_id)] for r in rows], dtype=np.int64),
        table.encode([r.kind for r in rows]),
        np.array([r.amount or 0 for r in rows], dtype=np.int64),
        np.array([r.occurred_at_us for r in rows], dtype=np.int64),
        len(subjects),
        at,
        recorded_us=np.array([r.recorded_at_us for r in rows], dtype=np.int64),
        known_at_us=known,
        subject_kinds=np.array([kind for kind, _ in subjects]),
    )
    return {
        s: {
            scheme.id: scheme.grades[int(got.sector_grades[scheme.id][i])]
            for scheme in policy.schemes
            if got.sector_grades[scheme.id][i] >= 0
        }
        for s, i in dense.items()
    }


def by_duckdb(
    policy: CompiledPolicy, rows: list[RecordRow], at: int, known: int
) -> dict[tuple[str, str], dict[str, str]]:
    scores = batch_scores(records_table(rows), policy, as_of=from_us(at), known_at=from_us(known))
    return {(b.subject_kind, b.subject_id): dict(b.sector_grades) for b in scores}


def by_listing(
    policy: CompiledPolicy, rows: list[RecordRow], subjects: list[tuple[str, str]], at: int
) -> dict[tuple[str, str], dict[str, str]]:
    out = {}
    for subject in subjects:
        mine = [r for r in rows if (r.subject_kind, r.subject_id) == subject]
        grades = {s.id: sector_grade_at(policy, s.id, mine, at, subject[0]) for s in policy.schemes}
        out[subject] = {scheme: grade for scheme, grade in grades.items() if grade is not None}
    return out


def all_agree(
    policy: CompiledPolicy,
    rows: list[RecordRow],
    subjects: list[tuple[str, str]],
    at: int,
    known: int,
) -> dict[tuple[str, str], dict[str, str]]:
    """The engine's grades, after checking every other evaluator gives the same."""
    engine = by_engine(policy, rows, subjects, at, known)
    assert by_numpy(policy, rows, subjects, at, known) == engine
    with_known = {(r.subject_kind, r.subject_id) for r in rows if r.recorded_at_us <= known}
    assert by_duckdb(policy, rows, at, known) == {s: engine[s] for s in with_known}
    if known == at:
        assert by_listing(policy, rows, subjects, at) == engine
    return engine


# -- the shipped schemes, case by case -------------------------------------------------------


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


@pytest.mark.parametrize("case", _cases())
def test_shipped_scheme_case(case: dict[str, Any]) -> None:
    subject = ("organisation", "o1")
    rows = []
    for position, record in enumerate(case["records"], 1):
        occurred = AS_OF - record["days_ago"] * DAY_US
        recorded = occurred + record.get("recorded_after", 0) * DAY_US
        rows.append(RecordRow(position, *subject, record["kind"], occurred, recorded, None))
    known = AS_OF + case.get("known_lag", 0) * DAY_US
    got = all_agree(_default(), rows, [subject], AS_OF, known)[subject]
    assert {k: got[k] for k in case["expect"]} == case["expect"]


# -- random records ---------------------------------------------------------------------------


@st.composite
def records(draw: st.DrawFn) -> list[RecordRow]:
    out = []
    for position in range(draw(st.integers(0, 30))):
        subject_kind, subject_id = draw(st.sampled_from(SUBJECTS))
        occurred = draw(st.integers(START, AS_OF + 60 * DAY_US))
        recorded = occurred + draw(st.integers(0, 400 * DAY_US))
        amount = draw(st.none() | st.integers(0, 60))
        kind = draw(st.sampled_from(KINDS))
        out.append(RecordRow(position, subject_kind, subject_id, kind, occurred, recorded, amount))
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=records(),
    policy_name=st.sampled_from(sorted(POLICIES)),
    as_of=st.integers(AS_OF - 400 * DAY_US, AS_OF),
    lag=st.sampled_from([0, 0, 30 * DAY_US, -30 * DAY_US, 500 * DAY_US]),
)
def test_every_evaluator_gives_the_same_sector_grades(
    rows: list[RecordRow], policy_name: str, as_of: int, lag: int
) -> None:
    policy = POLICIES[policy_name]()
    all_agree(policy, rows, SUBJECTS, as_of, as_of + lag)


def test_a_scheme_grade_is_one_of_its_grades_and_the_total_is_untouched() -> None:
    """Sector schemes change no total: the same records score alike without them."""
    bundle = default_bundle()
    plain = compile_policy(bundle.scoring, bundle.catalogue, bundle.revision)
    day = 86_400_000_000
    rows = tuple(
        RecordRow(i, "organisation", "o1", kind, AS_OF - i * day, AS_OF - i * day, None)
        for i, kind in enumerate(KINDS, 1)
    )
    subject, at = ("organisation", "o1"), from_us(AS_OF)
    with_schemes = evaluate(_default(), rows, subject, at, at)
    without = evaluate(plain, rows, subject, at, at)
    assert (with_schemes.total, with_schemes.grade) == (without.total, without.grade)
    assert without.sector_grades == {} and "sector_grades" not in without.to_json()
    assert with_schemes.to_json()["sector_grades"] == {
        "taxpayer_credit": "D",
        "environmental_credit": "blue",
    }


def test_a_bundle_without_sector_grades_still_loads_and_scores() -> None:
    files = dict(default_bundle().files)
    del files["sector_grades.yaml"]
    manifest = yaml.safe_load(files["manifest.yaml"])
    del manifest["files"]["sector_grades.yaml"]
    files["manifest.yaml"] = yaml.safe_dump(manifest).encode()
    old = load_bundle_from_files(files)
    assert old.sector_grades == () and compiled_bundle(old).schemes == ()
    rows = [RecordRow(1, "organisation", "o1", "tax_evasion", AS_OF, AS_OF, None)]
    (only,) = batch_scores(rows, compiled_bundle(old), as_of=from_us(AS_OF))
    assert only.sector_grades == ()


# -- listings by sector grade ------------------------------------------------------------------


def test_a_tax_d_list_holds_the_subject_while_its_grade_is_d() -> None:
    edits = [
        {
            "file": "listings.yaml",
            "append": "lists",
            "value": {
                "id": "tax_grade_d", "name": "Taxpayers graded D", "colour": "black",
                "subject_kinds": ["organisation"], "context": "tax", "gravity": "serious",
                "legal_basis": "sat-tax-credit-2014/art32", "notice": "0d",
                "sector_grade": {"scheme": "taxpayer_credit", "grades": ["D"]},
            },
        }
    ]  # fmt: skip
    bundle = load_bundle_from_files(edit_files(edits))
    definition = bundle.list_definition("tax_grade_d")
    assert definition is not None and definition.sector_grade is not None
    policy = compiled_bundle(bundle)
    day = DAY_US
    evasion = RecordRow(1, "organisation", "o1", "tax_evasion", AS_OF, AS_OF + 2 * day, None)
    arrears = RecordRow(2, "organisation", "o1", "tax_arrears", AS_OF, AS_OF, None)
    assert sector_grade_listings(definition, policy, [arrears]) == []  # B: not listed
    (listing,) = sector_grade_listings(definition, policy, [arrears, evasion])
    # D from the day the finding is known: by trigger for a year, and by its points (-100 for
    # 3 years, serious) until they expire
    assert listing.from_us == listing.noticed_us == AS_OF + 2 * day
    assert listing.until_us == AS_OF + 3 * 365 * day and listing.ended_by == "expiry"
    assert listing.kinds == ("taxpayer_credit grade D",)
    # a finding known only after its points and window ran out never lists
    late = evasion._replace(recorded_at_us=AS_OF + 3 * 365 * day)
    assert sector_grade_listings(definition, policy, [late]) == []


# -- a demo city: batch, engine and the live projection ----------------------------------------


def test_demo_city_rescore_engine_and_live_projection_agree(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger("city")
    build_city(
        ledger,
        default_catalogue(),
        residents=300,
        organisations=60,
        seed=5,
        policy=default_bundle(),
    )
    live = LiveScores.follow(ledger)
    now = live.now_us()
    done = rescore(ledger, as_of=from_us(now))
    columns = [sector_column(s) for s in ("taxpayer_credit", "environmental_credit")]
    assert set(columns) <= set(done.table.column_names)
    rows = done.table.to_pylist()
    seen = {row[columns[0]] for row in rows}
    assert len(seen) >= 2, seen  # the city has taxpayers of more than one grade
    for row in rows:
        subject = (row["subject_kind"], row["subject_id"])
        engine = score(ledger, *subject, as_of=from_us(now)).sector_grades
        batch = {"taxpayer_credit": row[columns[0]], "environmental_credit": row[columns[1]]}
        # the shipped schemes grade organisations only: a person has no grade (NULL in SQL)
        assert engine == {k: v for k, v in batch.items() if v is not None}
        assert (engine == {}) == (subject[0] == "person")
        assert live.score(*subject, now).sector_grades == engine


# -- adapters show the library's result --------------------------------------------------------


def test_cli_score_and_rescore_json_carry_sector_grades(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    rows = [r for r in valid_rows(200) if r["subject_kind"] == "organisation"][:20]
    assert rows
    for row in rows:
        row["occurred_at"] = "2025-06-01T08:00:00Z"
    assert run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", rows))).returncode == 0
    subject = rows[0]["subject_id"]
    scored = run(tmp_path, "score", subject, *READ, "--json")
    assert scored.returncode == 0, scored.stderr
    grades = json.loads(scored.stdout)["sector_grades"]
    assert set(grades) == {"taxpayer_credit", "environmental_credit"}
    batch = json.loads(run(tmp_path, "rescore", "--json").stdout)["scores"]
    mine = next(s for s in batch if s["subject_id"] == subject)
    assert mine[sector_column("taxpayer_credit")] == grades["taxpayer_credit"]
    assert mine[sector_column("environmental_credit")] == grades["environmental_credit"]


# -- a list entered by a sector grade, end to end ---------------------------------------------

TAX_D_LIST = [
    {
        "file": "listings.yaml",
        "append": "lists",
        "value": {
            "id": "tax_grade_d",
            "name": "Taxpayers graded D",
            "colour": "black",
            "subject_kinds": ["organisation"],
            "context": "tax",
            "gravity": "serious",
            "legal_basis": "sat-tax-credit-2014/art32",
            "notice": "0d",
            "sector_grade": {"scheme": "taxpayer_credit", "grades": ["D"]},
        },
    },
    {
        "file": "measures.yaml",
        "append": "measures",
        "value": {
            "id": "more_frequent_tax_inspections",
            "name": "More frequent tax inspections",
            "type": "inspection_increase",
            "effect": "restriction",
            "context": "tax",
            "gravity": "minor",
            "legal_basis": "sat-tax-credit-2014/art32",
        },
    },
    {
        "file": "measures.yaml",
        "append": "links",
        "value": {"list": "tax_grade_d", "measure": "more_frequent_tax_inspections"},
    },
]


def test_a_tax_evasion_finding_lists_the_organisation_while_graded_d_and_never_a_person(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    """The whole-ledger consequence view enters the D-grade list from the grade the one
    definition gives, states the grade as the listing's ground, and leaves it when the grade
    changes (after the trigger's 1-year window the finding's -100 points keep the sector
    score at 0, grade D, until they expire after 3 years); a person with the same finding is
    not graded, so never listed."""
    ledger = make_ledger()
    publish(ledger, load_bundle_from_files(edit_files(TAX_D_LIST)))  # genesis: in force now
    finding = {"kind": "tax_evasion", "occurred": "2026-01-01", "at": "2026-01-02"}
    play(ledger, clock, [finding, {**finding, "subject": "person:1"}], "organisation:1")
    during, after = from_us(to_day(2027, 3, 1)), from_us(to_day(2029, 3, 1))

    found = subject_consequences(ledger, *subject_of("organisation:1"), during).to_json()
    (member,) = [m for m in found["memberships"] if m["list"] == "tax_grade_d"]
    assert member["status"] == "listed"
    assert "taxpayer_credit grade D" in json.dumps(member)
    assert any(m["id"] == "more_frequent_tax_inspections" for m in member["measures"])
    later = subject_consequences(ledger, *subject_of("organisation:1"), after).to_json()
    (ended,) = [m for m in later["memberships"] if m["list"] == "tax_grade_d"]
    assert ended["status"] == "expired"
    person = subject_consequences(ledger, *subject_of("person:1"), during).to_json()
    assert not [m for m in person["memberships"] if m["list"] == "tax_grade_d"]


def to_day(year: int, month: int, day: int) -> int:
    return to_us(datetime(year, month, day, tzinfo=UTC))


def test_cli_score_prints_the_sector_grades_an_organisation_holds(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    rows = [r for r in valid_rows(200) if r["subject_kind"] == "organisation"][:5]
    assert run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", rows))).returncode == 0
    scored = run(tmp_path, "score", rows[0]["subject_id"], *READ)
    assert scored.returncode == 0, scored.stderr
    assert "sector grade taxpayer_credit: " in scored.stdout
    assert "sector grade environmental_credit: " in scored.stdout
