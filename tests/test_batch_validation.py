"""Batch validation gives exactly the answers of per-record validation, and stays fast."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import default_catalogue
from socialcredit.catalogue.batch import EncodedRecord
from socialcredit.catalogue.records import Catalogue
from socialcredit.errors import RecordRefusedError

from .records_factory import valid_rows
from .test_records import _BASES, _VALUES, NOW


def per_record(raw: dict[str, Any]) -> object:
    try:
        record = default_catalogue().validate(raw, now=NOW)
    except RecordRefusedError as refusal:
        return refusal.problems
    return EncodedRecord(record.payload_json(), record.idempotency_key,
                         record.subject_kind.value, record.subject_id)


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
    from datetime import UTC, datetime

    batch = catalogue.validate_batch(rows, now=datetime.now(UTC))
    assert all(isinstance(r, EncodedRecord) for r in batch)
