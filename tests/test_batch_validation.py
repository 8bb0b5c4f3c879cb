"""Batch validation gives exactly the answers of per-record validation, and stays fast."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import Catalogue, Source, default_catalogue
from socialcredit.catalogue._batch import EncodedRecord, _kernels, rows_to_arrays
from socialcredit.catalogue._identifiers import (
    make_resident_id,
    make_uscc,
    organisation_facts,
    person_facts,
    person_facts_columns,
    uscc_columns,
)
from socialcredit.catalogue._timestamps import (
    COLUMN_WIDTH,
    parse_timestamp,
    parse_timestamp_columns,
)
from socialcredit.errors import RecordRefusedError

from .records_factory import valid_rows
from .test_records import _BASES, _VALUES, ADULT, BANK, COURT, LABOUR, METRO, NOW, ORG

# The filers a batch may be checked for: a bank (the bases' usual source) and a court.
FILERS = [Source.named(BANK), Source.named(COURT), Source.named(METRO)]


def per_record(raw: dict[str, Any], filer: Source | None = None) -> object:
    try:
        record = default_catalogue().validate(raw, now=NOW, source=filer)
    except RecordRefusedError as refusal:
        return refusal.problems
    return EncodedRecord(
        record.payload_json(), record.idempotency_key, record.subject_kind.value, record.subject_id
    )


def outcome(result: EncodedRecord | RecordRefusedError) -> object:
    return result.problems if isinstance(result, RecordRefusedError) else result


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    raw = dict(draw(st.sampled_from(_BASES)))
    for field in draw(st.lists(st.sampled_from(sorted(_VALUES)), max_size=3, unique=True)):
        if draw(st.booleans()):
            raw[field] = draw(st.sampled_from(_VALUES[field]))
        else:
            raw.pop(field, None)
    if draw(st.booleans()):
        raw["extra"] = "x"
    return raw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(near_valid(), min_size=1, max_size=12))
def test_batch_agrees_with_per_record_validation(rows: list[dict[str, Any]]) -> None:
    batch = default_catalogue().validate_batch(rows, now=NOW)
    assert [outcome(r) for r in batch] == [per_record(r) for r in rows]


def test_unhashable_values_fall_back_to_per_record() -> None:
    rows = [dict(_BASES[0]), {**_BASES[0], "kind": ["loan_default"]}]
    batch = default_catalogue().validate_batch(rows, now=NOW)
    assert isinstance(batch[0], EncodedRecord)
    assert isinstance(batch[1], RecordRefusedError)
    assert batch[1].problems[0].field == "kind"


def test_typical_rows_never_leave_the_batch_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: Catalogue, raw: object, *, now: object) -> None:
        raise AssertionError(f"per-record path taken for {raw}")

    rows = valid_rows(500)
    catalogue = default_catalogue()
    monkeypatch.setattr(Catalogue, "validate", fail)
    batch = catalogue.validate_batch(rows, now=datetime.now(UTC))
    assert all(isinstance(r, EncodedRecord) for r in batch)


# --- the Arrow column kernels (validate_arrays) -------------------------------------------------

_NASTY_TEXT = [
    'a"b',
    "a\\b",
    "tab\there",
    "nl\n",
    "\x00",
    "\x1f",
    "\u3000case",
    "case\xa0",
    "\x85x",
    "（2024）京0105执1号",
    "é",
    "\U0001f600",
    " ",
    "\u2028",
    "x" * 1000,
    "x" * 1001,
    "y" * 200,
    "y" * 201,
    "/<>",
    "\x7f",
]
_TEXT_VALUES: dict[str, list[str]] = {
    "subject_id": [
        ADULT,
        ORG,
        "11010519800102002x",
        "11010520070301001X",
        "91110105000000019R",
        ADULT + " ",
        "91110105000000019q",
        "110105200802290015",
        "99010519850615123X",
        "110105190002290018",
        "ＡＢ",
    ],
    "subject_kind": ["person", "organisation", "Person", "org"],
    "kind": [
        "loan_default",
        "fare_evasion",
        "wage_arrears",
        "debtor_refuses_to_perform",
        "volunteering",
        "nope",
        " loan_default",
    ],
    "occurred_at": [
        "2024-03-01T10:00:00Z",
        "2024-03-01",
        "2024-02-30",
        "2024-02-29",
        "2023-02-29",
        "2024-03-01T10:00:00",
        "2025-01-01T00:05:00Z",
        "2025-01-01T00:05:01Z",
        "1949-09-30T23:59:59Z",
        "1949-10-01",
        "2024-03-01T24:00:00Z",
        "2024-03-01T23:59:60Z",
        "2024-03-01T18:00:00+08:00",
        "2024-03-01T18:00:00+0800",
        "2024-03-01 02:30:00.25-05:30",
        "2024-03-01T18:00:00+24:00",
        "2024-03-01T18:00:00+08:60",
        "1949-10-01T07:59:59+08:00",
        "1949-10-01T08:00:00+08:00",
        "2025-01-01T08:05:00+08:00",
        "2025-01-01T08:05:01+08",
        "2024-03-01t10:00:00Z",
        " 2024-03-01",
        "2024-03-01T10:00:00.5Z",
        "2026-06-15",
        "2025-06-15T00:00:00Z",
        "２０２４-03-01",
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
        "court:" + "s" * 94,
        "court:" + "s" * 95,
        'court:quote"d',
        "back\\slash",
        "银行",
    ],
    "amount": [
        "1200",
        "0",
        "007",
        " 7",
        "1.50",
        "-1",
        "999999999999999",
        "1000000000000000",
        "١٢",
        "12a",
    ],
    "evidence": [
        "case 1",
        " case 1 ",
        "LN-2024-000123",
        "CC-2024-88120",
        "(2024)京0105执1号",
        "（2024）最高法执监12号",
        "E1234567890",
        "京人社监察罚〔2024〕12号",
        "13812345678",
        "110105198506151236",
        "religion catholic; location 39.9,116.4",
        "宗教",
        "UYGHUR",
        "LN-2024-000123\n",
        " E1234567890",
        *_NASTY_TEXT,
    ],
    "idempotency_key": ["key", " key ", *_NASTY_TEXT],
}


@st.composite
def text_rows(draw: st.DrawFn) -> dict[str, Any]:
    """Rows of text only (so the whole batch takes the Arrow kernels), near valid or nasty."""
    raw = {k: v for k, v in draw(st.sampled_from(_BASES)).items() if isinstance(v, str)}
    for field in draw(st.lists(st.sampled_from(sorted(_TEXT_VALUES)), max_size=4, unique=True)):
        choice = draw(st.integers(0, 5))
        if choice == 0:
            raw.pop(field, None)
        elif choice == 1:
            raw[field] = draw(st.text(max_size=25))
        else:
            raw[field] = draw(st.sampled_from(_TEXT_VALUES[field]))
    return raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(text_rows(), min_size=1, max_size=16))
def test_array_kernels_agree_with_per_record_validation(rows: list[dict[str, Any]]) -> None:
    assert rows_to_arrays(rows) is not None
    batch = default_catalogue().validate_batch(rows, now=NOW)
    assert [outcome(r) for r in batch] == [per_record(r) for r in rows]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(text_rows(), near_valid()), min_size=1, max_size=12),
    st.sampled_from(FILERS),
    st.booleans(),
)
def test_batches_filed_by_a_source_agree_with_per_record_validation(
    rows: list[dict[str, Any]], filer: Source, drop_source: bool
) -> None:
    """With a registered filer: stamped where the column is absent, refused where it differs,
    and held to the filer's authority kind -- the same in both paths, both tiers."""
    if drop_source:
        rows = [{k: v for k, v in row.items() if k != "source"} for row in rows]
    batch = default_catalogue().validate_batch(rows, now=NOW, source=filer)
    assert [outcome(r) for r in batch] == [per_record(r, filer) for r in rows]


@pytest.mark.parametrize("birthday", ["2007-03-01", "2008-03-01"])
def test_minors_on_their_18th_birthday(birthday: str) -> None:
    subject = make_resident_id("110105", date.fromisoformat(birthday), 1)
    leap = "110105200802290015"  # born 29 February 2008: 18 on 1 March 2026
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    rows = [
        {**_BASES[0], "subject_id": who, "occurred_at": when}
        for who in (subject, leap)
        for when in ("2025-02-28", "2025-03-01", "2026-02-28T23:59:59Z", "2026-03-01")
    ]
    catalogue = default_catalogue()
    batch = catalogue.validate_batch(rows, now=now)
    expected = []
    for row in rows:
        try:
            record = catalogue.validate(row, now=now)
        except RecordRefusedError as refusal:
            expected.append(refusal.problems)
            continue
        expected.append(
            EncodedRecord(
                record.payload_json(),
                record.idempotency_key,
                record.subject_kind.value,
                record.subject_id,
            )
        )
    assert [outcome(r) for r in batch] == expected
    assert sum(isinstance(r, EncodedRecord) for r in batch) >= 1


def test_typical_text_rows_are_all_accepted_by_the_kernels() -> None:
    rows = [{k: v for k, v in r.items() if v is not None} for r in valid_rows(300)]
    assert sum("evidence" in r for r in rows) == 300  # every authority kind's form is met
    arrays = rows_to_arrays(rows)
    assert arrays is not None
    catalogue = default_catalogue()
    now = datetime.now(UTC)
    sure, encoded = _kernels(catalogue, arrays, len(rows), catalogue._set_clock(now))
    assert sure.all()
    expected = [catalogue.validate(r, now=now).payload_json() for r in rows]
    assert encoded.payload_json == expected


def test_a_filers_rows_without_a_source_column_are_stamped_by_the_kernels() -> None:
    filer = Source.named(COURT)
    kinds = {"debtor_refuses_to_perform", "judgment_performed", "inability_to_pay_declared"}
    rows = [
        {k: v for k, v in r.items() if v is not None and k != "source"}
        for r in valid_rows(300)
        if r["kind"] in kinds
    ]
    arrays = rows_to_arrays(rows)
    assert arrays is not None and rows
    catalogue = default_catalogue()
    now = datetime.now(UTC)
    sure, encoded = _kernels(catalogue, arrays, len(rows), catalogue._set_clock(now), filer)
    assert sure.all()
    expected = [catalogue.validate(r, now=now, source=filer).payload_json() for r in rows]
    assert encoded.payload_json == expected
    assert all(b'"source":"court:beijing-chaoyang"' in p for p in encoded.payload_json)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"evidence": "religion catholic; location 39.9,116.4"}, "evidence", "not free text"),
        ({"evidence": "13812345678"}, "evidence", "such as (2024)京0105执1234号"),
        ({"evidence": "E1234567890"}, "evidence", "not free text"),
        ({"source": "court:supreme-peoples-court"}, "source", "filed as"),
        ({"kind": "fare_evasion", "evidence": ""}, "kind", "established only by"),
    ],
)
def test_each_refusal_of_a_filed_row_is_the_same_in_both_tiers(
    changes: dict[str, str], field: str, fragment: str
) -> None:
    """A refusal the kernels cannot give falls to the per-record path, which names it."""
    good = {**_BASES[3], "source": COURT}
    rows = [good, {**good, **changes}, good]
    rows = [{k: v for k, v in r.items() if v != ""} for r in rows]
    filer = Source.named(COURT)
    batch = default_catalogue().validate_batch(rows, now=NOW, source=filer)
    assert isinstance(batch[0], EncodedRecord) and isinstance(batch[2], EncodedRecord)
    assert isinstance(batch[1], RecordRefusedError)
    assert any(p.field == field and fragment in p.reason for p in batch[1].problems)
    assert [outcome(r) for r in batch] == [per_record(r, filer) for r in rows]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789XxABQRYZ ", min_size=17, max_size=19), max_size=30),
    st.integers(0, 500),
)
def test_identifier_columns_agree_with_the_scalar_checks(values: list[str], seed: int) -> None:
    rng = random.Random(seed)
    values = [
        *values,
        *(
            make_resident_id(
                "110101", date(1900 + rng.randrange(125), 1 + i % 12, 1 + rng.randrange(28)), i
            )
            for i in range(5)
        ),
        *(make_uscc("110000", rng.randrange(10**8)) for _ in range(5)),
    ]
    eighteen = [v for v in values if len(v.encode()) == 18]
    chars = np.frombuffer("".join(eighteen).encode(), dtype=np.uint8).reshape(-1, 18)
    valid, born, adult = person_facts_columns(chars)
    for i, value in enumerate(eighteen):
        facts = person_facts(value)
        if valid[i]:
            assert facts == (value, born[i], adult[i])
        elif not isinstance(facts, str):
            assert facts[0] != value  # only a value that needed normalising is left to the scalar
    for ok, value in zip(uscc_columns(chars), eighteen, strict=True):
        facts = organisation_facts(value)
        assert facts == (value,) if ok else (isinstance(facts, str) or facts[0] != value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
                lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ") if d.microsecond % 2 else f"{d:%Y-%m-%d}"
            ),
            st.text(alphabet="0123456789-:TZ ", min_size=10, max_size=20),
        ),
        max_size=40,
    )
)
def test_timestamp_columns_agree_with_the_scalar_parse(values: list[str]) -> None:
    data = [v.encode().ljust(COLUMN_WIDTH)[:COLUMN_WIDTH] for v in values]
    chars = np.frombuffer(b"".join(data), dtype=np.uint8).reshape(-1, COLUMN_WIDTH)
    lengths = np.array([len(v.encode()) for v in values], dtype=np.int64)
    parsed, us, _ = parse_timestamp_columns(chars, lengths)
    for ok, micro, value in zip(parsed, us, values, strict=True):
        if ok:
            scalar = parse_timestamp(value)
            assert not isinstance(scalar, str) and scalar[1] == micro
