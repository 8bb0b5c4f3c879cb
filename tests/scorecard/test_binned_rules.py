"""Binned rules (points per bin of a count of the subject's own records): checked like any
rule, and evaluated alike by every evaluator of the one scoring definition.

The per-subject engine, the NumPy evaluator and the DuckDB plan are compared subject by
subject on seeded random records (active and expired, late filings, kinds counted by a
binned rule with and without a per-record rule of their own); Spark runs the same plan and is
compared in ``test_binned_spark.py``.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from socialcredit.policy import default_bundle
from socialcredit.policy._scoring import check_scoring
from socialcredit.records import RecordRow
from socialcredit.scoring import CompiledPolicy, KindTable, compile_policy
from socialcredit.scoring._batch import batch_scores, records_table
from socialcredit.scoring._engine import evaluate
from socialcredit.scoring._vectorised import evaluate as vector_evaluate
from socialcredit.timeutil import DAY_US, from_us

START = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
SPAN = 3 * 365 * DAY_US
KINDS = ["loan_default", "credit_card_default", "tax_arrears", "a_grade_taxpayer"]
KINDS += ["fare_evasion", "overdue_debt_settled", "not_a_kind"]
BINNED = [
    {
        "feature": "debt_defaults",
        "kinds": ["loan_default", "credit_card_default"],
        "dimension": "finance",
        "bins": [{"upto": 0, "points": 0}, {"upto": 1, "points": -25}, {"points": -60}],
    },
    {
        "feature": "good_taxpayer",
        "kinds": ["a_grade_taxpayer"],
        "dimension": "finance",
        "bins": [{"upto": 0, "points": 0}, {"points": 15}],
    },
    {
        "feature": "tax_arrears_count",
        "kinds": ["tax_arrears"],
        "dimension": "finance",
        "bins": [{"upto": 0, "points": 0}, {"upto": 2, "points": -10}, {"points": -30}],
    },
]


def scoring_doc(binned: Any = BINNED, drop: tuple[str, ...] = ("loan_default",)) -> dict[str, Any]:
    doc = yaml.safe_load(default_bundle().files["scoring.yaml"])
    doc["rules"] = [r for r in doc["rules"] if r["kind"] not in drop]
    doc["binned"] = binned
    return doc


def compiled(doc: dict[str, Any]) -> CompiledPolicy:
    bundle = default_bundle()
    policy, problems = check_scoring(doc, bundle.catalogue)
    assert not problems, problems
    assert policy is not None
    return compile_policy(policy, bundle.catalogue, 7)


def random_rows(seed: int, count: int) -> list[RecordRow]:
    rng = random.Random(seed)
    rows = []
    for position in range(count):
        occurred = START + rng.randrange(SPAN)
        recorded = occurred + rng.randrange(200 * DAY_US)
        subject = f"s{rng.randrange(12)}"
        kind = rng.choice(KINDS)
        rows.append(RecordRow(position, "person", subject, kind, occurred, recorded, 100))
    return rows


def engine_scores(policy: CompiledPolicy, rows: list[RecordRow], as_of: int, known: int) -> dict:
    subjects = sorted({r.subject_id for r in rows if r.recorded_at_us <= known})
    out = {}
    for s in subjects:
        mine = tuple(r for r in rows if r.subject_id == s)
        result = evaluate(policy, mine, ("person", s), from_us(as_of), from_us(known))
        out[s] = (result.total, result.grade, result.dimensions["finance"])
    return out


def vector_scores(policy: CompiledPolicy, rows: list[RecordRow], as_of: int, known: int) -> dict:
    table = KindTable.of(policy)
    subjects = sorted({r.subject_id for r in rows if r.recorded_at_us <= known})
    dense = {s: i for i, s in enumerate(subjects)}
    rows = [r for r in rows if r.subject_id in dense]
    got = vector_evaluate(
        table,
        [dense[r.subject_id] for r in rows],
        table.encode([r.kind for r in rows]),
        [r.amount or 0 for r in rows],
        [r.occurred_at_us for r in rows],
        len(subjects),
        as_of,
        recorded_us=__import__("numpy").array([r.recorded_at_us for r in rows]),
        known_at_us=known,
    )
    finance = table.dimensions.index("finance")
    return {
        s: (int(got.totals[i]), policy.grades[got.grades[i]].grade, int(got.dimensions[i, finance]))
        for s, i in dense.items()
    }


@pytest.mark.parametrize("seed", range(12))
def test_engine_numpy_and_duckdb_agree_on_binned_rules(seed: int) -> None:
    policy = compiled(scoring_doc())
    rng = random.Random(seed)
    rows = random_rows(seed, rng.randrange(20, 200))
    as_of = START + rng.randrange(SPAN)
    known = as_of + rng.choice([0, 90 * DAY_US, -30 * DAY_US])
    expected = engine_scores(policy, rows, as_of, known)
    assert vector_scores(policy, rows, as_of, known) == expected
    duck = batch_scores(records_table(rows), policy, as_of=from_us(as_of), known_at=from_us(known))
    assert {b.subject_id: (b.total, b.grade) for b in duck} == {
        s: v[:2] for s, v in expected.items()
    }


def test_a_hand_example_counts_only_active_records_of_the_kinds() -> None:
    policy = compiled(scoring_doc())
    day = DAY_US
    rows = [
        RecordRow(0, "person", "p", "loan_default", START, START, 500),
        RecordRow(1, "person", "p", "credit_card_default", START + 10 * day, START, 500),
        RecordRow(2, "person", "p", "credit_card_default", START - 400 * day, START, 500),
    ]
    result = evaluate(
        policy,
        tuple(rows),
        ("person", "p"),
        from_us(START + 20 * day),
        None or from_us(START + 20 * day),
    )
    # two active defaults (the third expired after its 1y tier): bin "upto 1" is passed
    debt = next(f for f in result.features if f.feature == "debt_defaults")
    assert (debt.count, debt.points) == (2, -60)
    # credit_card_default keeps its per-record rule (-30); loan_default's was dropped
    assert result.total == 1000 - 60 - 30
    assert result.to_json()["features"][0]["points"] == -60


def test_a_policy_without_binned_rules_scores_as_before() -> None:
    policy = compiled(scoring_doc(binned=[], drop=()))
    rows = random_rows(3, 150)
    as_of = START + SPAN // 2
    plain = compile_policy(default_bundle().scoring, default_bundle().catalogue, 7)
    assert engine_scores(policy, rows, as_of, as_of) == engine_scores(plain, rows, as_of, as_of)
    assert (
        "features"
        not in evaluate(
            plain, tuple(rows), ("person", "s1"), from_us(as_of), from_us(as_of)
        ).to_json()
    )


@pytest.mark.parametrize(
    ("binned", "path", "words"),
    [
        (
            [{**BINNED[0], "bins": [{"upto": 0, "points": -5}, {"points": -9}]}],
            "bins[0].points",
            "0 points",
        ),
        (
            [
                {
                    **BINNED[0],
                    "bins": [{"upto": 0, "points": 0}, {"upto": 2, "points": -9}, {"points": -3}],
                }
            ],
            "bins[2].points",
            "non-increasing",
        ),
        (
            [{**BINNED[1], "bins": [{"upto": 0, "points": 0}, {"points": -4}]}],
            "bins[1].points",
            "non-decreasing",
        ),
        (
            [
                {
                    **BINNED[0],
                    "bins": [
                        {"upto": 0, "points": 0},
                        {"upto": 3, "points": -1},
                        {"upto": 2, "points": -2},
                        {"points": -3},
                    ],
                }
            ],
            "bins[2].upto",
            "above 3",
        ),
        (
            [{**BINNED[0], "bins": [{"upto": 0, "points": 0}, {"upto": 5, "points": -1}]}],
            "bins[1].upto",
            "last",
        ),
        ([{**BINNED[0], "kinds": ["loan_default", "a_grade_taxpayer"]}], "kinds", "mixes"),
        ([{**BINNED[0], "kinds": ["overdue_debt_settled"]}], "kinds[0]", "neutral"),
        ([{**BINNED[0], "kinds": ["ethnicity_marker"]}], "kinds[0]", "unknown kind"),
        ([{**BINNED[0], "feature": "religion_count"}], "feature", "religio"),
        ([{**BINNED[0], "dimension": "nowhere"}], "dimension", "unknown dimension"),
        (
            [BINNED[0], {**BINNED[2], "kinds": ["loan_default"]}],
            "binned[1].kinds",
            "already counted",
        ),
        ([{**BINNED[0], "colour": "red"}], "colour", "unknown key"),
    ],
)
def test_bad_binned_rules_are_refused_naming_the_field(binned: Any, path: str, words: str) -> None:
    policy, problems = check_scoring(scoring_doc(binned), default_bundle().catalogue)
    assert policy is None
    assert any(path in p.field and words in p.reason.lower() for p in problems), problems


@pytest.mark.parametrize("seed", range(6))
def test_the_expiry_schedule_equals_a_full_evaluation_at_each_date(seed: int) -> None:
    from socialcredit.records import RecordIndex
    from socialcredit.scoring import explain

    policy = compiled(scoring_doc())
    rows = [r._replace(subject_id="s0") for r in random_rows(seed, 60)]
    index = RecordIndex.from_rows(rows)
    as_of = from_us(START + SPAN // 2)
    found = explain(index, "person", "s0", as_of=as_of, known_at=as_of, policy=policy)
    known = tuple(r for r in rows if r.recorded_at_us <= START + SPAN // 2)
    listed = {p for step in found.expiries for p in step.positions}
    costly = {f.feature for f in found.result.features if f.points < 0}
    counted = {
        r.position
        for r in known
        if r.kind in policy.counted
        and r.occurred_at_us <= START + SPAN // 2 < r.occurred_at_us + policy.counted[r.kind][1]
        and policy.features[policy.counted[r.kind][0]].feature in costly
    }
    assert counted <= listed  # every record whose expiry may change a costly bin is listed
    for step in found.expiries:
        again = evaluate(policy, known, ("person", "s0"), step.at, as_of)
        assert (step.total, step.grade) == (again.total, again.grade)


def test_the_diff_lists_binned_rules_added_changed_and_removed() -> None:
    from socialcredit.policy import diff, load_bundle_from_files
    from tests.test_policy_cases import edit_files

    def bundle(rules: list[dict[str, Any]]) -> Any:
        edit = {"file": "scoring.yaml", "set": "binned", "value": rules}
        return load_bundle_from_files(edit_files([edit]))

    changed = [dict(BINNED[0], bins=[{"upto": 0, "points": 0}, {"points": -70}]), BINNED[2]]
    lines = [c.describe() for c in diff(bundle(BINNED[:2]), bundle(changed))]
    assert [line for line in lines if line.startswith("binned rule")] == [
        "binned rule good_taxpayer: removed (was kinds a_grade_taxpayer, dimension finance, "
        "bins <= 0: 0, more: 15)",
        "binned rule debt_defaults: bins <= 0: 0, <= 1: -25, more: -60 -> <= 0: 0, more: -70",
        "binned rule tax_arrears_count: added (kinds tax_arrears, dimension finance, "
        "bins <= 0: 0, <= 2: -10, more: -30)",
    ]
