"""Record validation: the data-driven cases, the value types YAML cannot express, the fast path's
agreement with the thorough path, and the canonical payload."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import (
    Catalogue,
    FieldSpec,
    Gravity,
    RecordKind,
    Source,
    SubjectKind,
    ValidRecord,
    _values,
    default_catalogue,
    make_resident_id,
    make_uscc,
)
from socialcredit.catalogue._cache import BoundedMemo
from socialcredit.errors import Problem, RecordRefusedError

CASES_DIR = Path(__file__).parent / "cases" / "records"
NOW = datetime(2025, 1, 1, tzinfo=UTC)
ADULT = "110105198506151236"
ORG = "91110105000000019Q"
BANK = "creditor_under_contract:bank-a"
LABOUR = "labour_inspectorate:beijing"
METRO = "transport_operator:beijing-metro"
COURT = "court:beijing-chaoyang"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        now = datetime.fromisoformat(document["now"])
        for case in document["cases"]:
            params.append(pytest.param(now, case, id=f"{path.stem}: {case['name']}"))
    return params


def refusal(
    raw: Mapping[str, object], now: datetime = NOW, filer: Source | None = None
) -> list[Problem]:
    with pytest.raises(RecordRefusedError) as caught:
        default_catalogue().validate(raw, now=now, source=filer)
    assert caught.value.code == "record_refused"
    return list(caught.value.problems)


def assert_problems(problems: list[Problem], expected: list[tuple[str, str]]) -> None:
    """Exactly the expected problems, each matched by field and a fragment of its reason."""
    remaining = list(problems)
    for field, fragment in expected:
        match = next((p for p in remaining if p.field == field and fragment in p.reason), None)
        assert match is not None, f"no problem ({field}: ...{fragment}...) in {problems}"
        remaining.remove(match)
    assert not remaining, f"unexpected problems: {remaining}"


def csv_row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "subject_id": ADULT,
        "subject_kind": "person",
        "kind": "loan_default",
        "occurred_at": "2024-03-01T10:00:00Z",
        "source": BANK,
        "amount": "1200",
        "evidence": "",
        "idempotency_key": "",
    }
    row.update(changes)
    return row


@pytest.mark.parametrize(("now", "case"), _load_cases())
def test_record_case(now: datetime, case: dict[str, Any]) -> None:
    """Run one case of ``tests/cases/records/*.yaml``.

    Each file holds ``now`` (when validation happens) and ``cases``, each with a ``name``, the raw
    ``record`` as it arrives (strings as from CSV, or JSON types), optionally ``filer`` -- the
    registered source filing it (an API source account, a configured ingest) -- and either
    ``accepted`` -- the exact canonical ``payload()`` -- or ``refused`` -- every problem
    expected, as ``{field, reason}`` with ``reason`` a fragment of the reason text; no other
    problem may be reported. The thorough path and the batch path must decide the same.
    """
    catalogue = default_catalogue()
    record = case["record"]
    filer = Source.named(case["filer"]) if "filer" in case else None
    if "accepted" in case:
        assert catalogue.validate(record, now=now, source=filer).payload() == case["accepted"]
    else:
        expected = [(p["field"], p["reason"]) for p in case["refused"]]
        assert_problems(refusal(record, now, filer), expected)
    decided = _outcome(lambda: catalogue.validate(record, now=now, source=filer))
    thorough = _outcome(lambda: _values.check_record(catalogue._rules, record, _us(now), filer))
    assert thorough == decided
    batch = catalogue.validate_batch([record], now=now, source=filer)[0]
    if isinstance(decided, ValidRecord):
        assert not isinstance(batch, Exception) and batch.payload_json == decided.payload_json()
    else:
        assert isinstance(batch, RecordRefusedError) and batch.problems == decided


def test_cases_cover_every_refusal_area() -> None:
    stems = {path.stem for path in CASES_DIR.glob("*.yaml")}
    expected = {"accepted", "schema", "identifiers", "minors", "time", "amounts"}
    assert expected | {"evidence", "sources"} <= stems


def test_valid_record_fields_and_types() -> None:
    record = default_catalogue().validate(csv_row(idempotency_key="k-1"), now=NOW)
    assert record == ValidRecord(
        subject_id=ADULT,
        subject_kind=SubjectKind.PERSON,
        kind="loan_default",
        occurred_at=datetime(2024, 3, 1, 10, tzinfo=UTC),
        occurred_at_us=int(datetime(2024, 3, 1, 10, tzinfo=UTC).timestamp()) * 1_000_000,
        source=BANK,
        amount=1200,
        evidence=None,
        idempotency_key="k-1",
    )
    assert record.occurred_at.tzinfo is UTC
    assert record.subject_kind == "person"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.amount = 5  # type: ignore[misc]
    assert not hasattr(record, "__dict__")


def test_arrow_typed_values_are_accepted() -> None:
    catalogue = default_catalogue()
    aware = datetime(2024, 3, 1, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    record = catalogue.validate(
        csv_row(occurred_at=aware, amount=1200, evidence=None, idempotency_key=None), now=NOW
    )
    assert record.occurred_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert record.occurred_at.tzinfo is UTC
    from_date = catalogue.validate(csv_row(occurred_at=date(2024, 3, 1)), now=NOW)
    assert from_date.occurred_at == datetime(2024, 3, 1, tzinfo=UTC)


def test_rows_read_back_from_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "subject_id": [ADULT, ORG],
            "subject_kind": ["person", "organisation"],
            "kind": ["loan_default", "wage_arrears"],
            "occurred_at": pa.array(
                [datetime(2024, 3, 1, 10, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)],
                pa.timestamp("us", tz="Asia/Shanghai"),
            ),
            "source": [BANK, LABOUR],
            "amount": pa.array([1200, None], pa.int64()),
            "evidence": pa.array([None, "京人社监察罚〔2024〕9号"], pa.string()),
            "idempotency_key": pa.array([None, None], pa.string()),
        }
    )
    pq.write_table(table, tmp_path / "records.parquet")
    rows = pq.read_table(tmp_path / "records.parquet").to_pylist()
    records = [default_catalogue().validate(row, now=NOW) for row in rows]
    assert [r.occurred_at for r in records] == [
        datetime(2024, 3, 1, 10, tzinfo=UTC),
        datetime(2024, 4, 1, tzinfo=UTC),
    ]
    assert all(r.occurred_at.tzinfo is UTC for r in records)
    evidence = "京人社监察罚〔2024〕9号"
    assert (records[0].amount, records[1].amount, records[1].evidence) == (1200, None, evidence)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(1200, 1200), (Decimal("1200.000"), 1200), (1200.0, 1200), ("0012", 12), (0, 0)],
)
def test_whole_amounts_in_any_representation(amount: object, expected: int) -> None:
    assert default_catalogue().validate(csv_row(amount=amount), now=NOW).amount == expected


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"occurred_at": datetime(2024, 3, 1, 10)}, "occurred_at", "naive"),
        ({"occurred_at": datetime(2024, 3, 1, 10)}, "occurred_at", "no timezone"),
        ({"amount": Decimal("12.5")}, "amount", "fractions are not allowed"),
        ({"amount": float("nan")}, "amount", "must be a whole number"),
        ({"amount": -1}, "amount", "must not be negative"),
        ({"amount": "1e3"}, "amount", "plain digits"),
        ({"amount": "x" * 5000}, "amount", "must be a whole number"),
        ({"kind": ["loan_default"]}, "kind", "must be text"),
        ({"subject_kind": {"person": 1}}, "subject_kind", "person or organisation"),
        ({"subject_id": ADULT * 3}, "subject_id", "at most 32 characters"),
        ({"occurred_at": "2024-03-01T10:00:00Z" * 3}, "occurred_at", "ISO 8601"),
        ({"occurred_at": ["2024"]}, "occurred_at", "not list"),
    ],
)
def test_refusals_of_typed_values(changes: dict[str, object], field: str, fragment: str) -> None:
    problems = refusal(csv_row(**changes))
    assert any(p.field == field and fragment in p.reason for p in problems), problems


def test_extra_csv_columns_are_named() -> None:
    # csv.DictReader puts surplus cells of a row under the key None.
    raw: dict[Any, object] = {**csv_row(), None: ["surplus"]}
    assert_problems(refusal(raw), [("None", "not part of the record schema")])


def test_evidence_refused_for_a_kind_that_takes_none() -> None:
    kind = RecordKind(
        id="fare_evasion",
        name="Fare evasion",
        subject_kinds=(SubjectKind.PERSON,),
        context="transport",
        gravity=Gravity.MINOR,
        legal_basis="railway-law/art14",
        retention="1y",
        retention_days=365,
        category="fare_payment",
        amount=FieldSpec(unit="CNY"),
        evidence=None,
    )
    catalogue = Catalogue([kind], contexts=["transport"])
    raw = csv_row(kind="fare_evasion", source=METRO, amount="", evidence="E1234567890")
    with pytest.raises(RecordRefusedError) as caught:
        catalogue.validate(raw, now=NOW)
    assert_problems(list(caught.value.problems), [("evidence", "takes no evidence")])
    fare = csv_row(kind="fare_evasion", source=METRO, amount="3")
    assert catalogue.validate(fare, now=NOW).amount == 3


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        default_catalogue().validate(csv_row(), now=datetime(2025, 1, 1))


def test_minor_boundary_is_the_18th_birthday() -> None:
    turns_18 = make_resident_id("510107", date(2006, 3, 1), 77)
    catalogue = default_catalogue()
    on_day = csv_row(subject_id=turns_18, occurred_at="2024-03-01T00:00:00Z")
    assert catalogue.validate(on_day, now=NOW).subject_id == turns_18
    before = csv_row(subject_id=turns_18, occurred_at="2024-02-29T23:59:59.999999Z")
    assert any("minor" in p.reason for p in refusal(before))
    # Born on 29 February: of age on 1 March in a non-leap year.
    leap = make_resident_id("110105", date(2004, 2, 29), 5)
    assert catalogue.validate(csv_row(subject_id=leap, occurred_at="2022-03-01"), now=NOW)
    assert any(
        "minor" in p.reason for p in refusal(csv_row(subject_id=leap, occurred_at="2022-02-28"))
    )


def test_payload_is_canonical_and_round_trips() -> None:
    record = default_catalogue().validate(
        csv_row(
            occurred_at="2024-03-01T10:00:00.5+01:00",
            evidence="LN-2024-000007",
            idempotency_key="i",
        ),
        now=NOW,
    )
    payload = record.payload()
    assert payload == {
        "subject": {"kind": "person", "id": ADULT},
        "kind": "loan_default",
        "occurred_at": "2024-03-01T09:00:00.500000Z",
        "source": BANK,
        "amount": 1200,
        "evidence": "LN-2024-000007",
        "idempotency_key": "i",
    }
    assert type(payload["subject"]["kind"]) is str
    assert ValidRecord.from_payload(payload) == record
    minimal = default_catalogue().validate(
        csv_row(kind="fare_evasion", source=METRO, amount=""), now=NOW
    )
    assert set(minimal.payload()) == {"subject", "kind", "occurred_at", "source"}
    assert ValidRecord.from_payload(minimal.payload()) == minimal


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": "2024-03-01T09:00:00+00:00"}, "occurred_at"),
        ({"occurred_at": "2024-03-01T09:00:00.000000Z"}, "occurred_at"),
        ({"amount": 1.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"subject": {"kind": "robot", "id": ADULT}}, "subject.kind"),
        ({"subject": "x"}, "subject"),
        ({"source": 3}, "source"),
        ({"extra": 1}, "extra"),
    ],
)
def test_from_payload_refuses_non_canonical(change: dict[str, Any], field: str) -> None:
    payload = {
        "subject": {"kind": "person", "id": ADULT},
        "kind": "loan_default",
        "occurred_at": "2024-03-01T09:00:00Z",
        "source": "bank-a",
        "amount": 5,
    }
    with pytest.raises(RecordRefusedError) as caught:
        ValidRecord.from_payload({**payload, **change})
    assert field in {p.field for p in caught.value.problems}


def test_ten_thousand_typical_records() -> None:
    catalogue = default_catalogue()
    persons = [
        make_resident_id("110105", date(1960, 1, 1) + timedelta(days=i), i) for i in range(500)
    ]
    orgs = [make_uscc("310104", i) for i in range(100)]
    start = datetime(2023, 1, 1, tzinfo=UTC)
    records = []
    for i in range(10_000):
        when = (start + timedelta(seconds=i * 977)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if i % 5:
            raw = csv_row(subject_id=persons[i % 500], occurred_at=when, amount=str(i + 1))
        else:
            raw = csv_row(
                subject_id=orgs[i % 100],
                subject_kind="organisation",
                kind="wage_arrears",
                source=LABOUR,
                occurred_at=when,
                amount="",
            )
        records.append(catalogue.validate(raw, now=NOW))
    assert len(records) == 10_000
    assert sum(r.subject_kind == "organisation" for r in records) == 2_000
    assert all(r.occurred_at_us % 1_000_000 == 0 for r in records)


# --- the fast path agrees with the thorough path -------------------------------------------------

_PERSONS = [ADULT, "440305201005200126", "510107200603010774", "11010519800102002x"]
_VALUES: dict[str, list[object]] = {
    "subject_id": [*_PERSONS, ORG, "91110105000000019R", " " + ADULT, "", None, 7],
    "subject_kind": ["person", "organisation", "Person", "", None],
    "kind": [
        "loan_default",
        "fare_evasion",
        "wage_arrears",
        "debtor_refuses_to_perform",
        "volunteering",
        "nope",
        "",
        None,
    ],
    "occurred_at": [
        "2024-03-01T10:00:00Z",
        "2024-03-01",
        "2024-03-01T10:00:00",
        "2025-01-01T00:05:00Z",
        "2025-01-01T00:05:01Z",
        "1949-09-30T23:59:59Z",
        "2024-03-01T18:00:00+08:00",
        datetime(2024, 3, 1, tzinfo=UTC),
        date(2024, 3, 1),
        "",
        None,
        3,
    ],
    "source": [
        BANK,
        f" {BANK} ",
        METRO,
        COURT,
        LABOUR,
        "bank-a",
        "church:st-mary",
        "court:religious-affairs",
        "Court:beijing",
        "",
        "   ",
        "court:" + "s" * 95,
        None,
        1,
    ],
    "amount": [
        "1200",
        "0",
        " 7",
        "1.50",
        "1.0",
        "-1",
        "999999999999999",
        "1000000000000000",
        "1000000000000001",
        1200,
        -3,
        2.0,
        True,
        "",
        None,
    ],
    "evidence": [
        "",
        "case 1",
        " case 1 ",
        "   ",
        "e" * 1001,
        None,
        5,
        "LN-2024-000123",
        " LN-2024-000123 ",
        "(2024)京0105执1号",
        "E1234567890",
        "京人社监察罚〔2024〕12号",
        "13812345678",
        "religion catholic; location 39.9,116.4",
    ],
    "idempotency_key": ["", "key", " ", "k" * 201, None, 9],
}


def _us(now: datetime) -> int:
    return (now - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _outcome(call: Any) -> object:
    try:
        return call()
    except RecordRefusedError as exc:
        return exc.problems


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in _VALUES.items()}))
def test_fast_path_agrees_with_thorough_path(raw: dict[str, object]) -> None:
    catalogue = default_catalogue()
    fast = _outcome(lambda: catalogue.validate(raw, now=NOW))
    thorough = _outcome(lambda: _values.check_record(catalogue._rules, raw, _us(NOW)))
    assert fast == thorough


_BASES = [
    csv_row(),
    csv_row(kind="fare_evasion", source=METRO, amount="", evidence="E1234567890"),
    csv_row(
        subject_id=ORG,
        subject_kind="organisation",
        kind="wage_arrears",
        source=LABOUR,
        amount="50",
        evidence="京人社监察罚〔2024〕12号",
    ),
    csv_row(
        kind="debtor_refuses_to_perform", source=COURT, amount="", evidence="(2024)京0105执1号"
    ),
    csv_row(
        kind="volunteering",
        source="volunteer_organisation:beijing",
        amount=6,
        occurred_at=datetime(2024, 5, 1, tzinfo=UTC),
    ),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_path_agrees_near_valid_records(data: st.DataObject) -> None:
    raw = dict(data.draw(st.sampled_from(_BASES)))
    for field in data.draw(st.lists(st.sampled_from(sorted(_VALUES)), max_size=2, unique=True)):
        if data.draw(st.booleans()):
            raw[field] = data.draw(st.sampled_from(_VALUES[field]))
        else:
            raw.pop(field, None)
    catalogue = default_catalogue()
    fast = _outcome(lambda: catalogue.validate(raw, now=NOW))
    thorough = _outcome(lambda: _values.check_record(catalogue._rules, raw, _us(NOW)))
    assert fast == thorough


def test_typical_records_never_leave_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError(f"thorough path taken for {args[1]}")

    monkeypatch.setattr(_values, "check_record", fail)
    catalogue = default_catalogue()
    for raw in _BASES[:4]:
        catalogue.validate(raw, now=NOW)
    catalogue.validate(csv_row(amount=1200, evidence=None, idempotency_key="k"), now=NOW)


def test_memos_stay_bounded() -> None:
    memo: BoundedMemo[str, str] = BoundedMemo(str.upper, maxsize=3)
    assert [memo(k) for k in "abcd"] == ["A", "B", "C", "D"]
    assert len(memo.values) <= 3
    assert memo("d") == "D"


@settings(max_examples=200, deadline=None)
@given(
    source=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
    evidence=st.none() | st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
    key=st.none() | st.text(min_size=1, max_size=20),
    amount=st.none() | st.integers(0, 10**12),
)
def test_payload_json_is_the_canonical_encoding_of_payload(
    source: str, evidence: str | None, key: str | None, amount: int | None
) -> None:
    """Any text survives encoding: the encoder does not rely on what validation lets through."""
    import orjson

    valid = default_catalogue().validate(csv_row(), now=NOW)
    record = dataclasses.replace(
        valid, source=source, evidence=evidence, idempotency_key=key, amount=amount
    )
    expected = orjson.dumps(record.payload(), option=orjson.OPT_SORT_KEYS)
    assert record.payload_json() == expected
