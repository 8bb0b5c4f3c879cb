"""The records use cases of the application object, called directly on a real small ledger:
filing one, a batch, a file and an upload; reading a record and a subject's records (own
subject only, logged)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import (
    NotFoundError,
    PermissionDeniedError,
    RecordRefusedError,
    ValidationError,
)
from socialcredit.rights import FILE_READ
from socialcredit.settings import Settings
from socialcredit.system import System, operator
from tests.records_factory import valid_rows, write_csv

OFFICER = Principal(Role.OFFICER, "li", account="officer:li")


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'system.db'}")
    with System.create(settings, "test/system") as opened:
        yield opened


def _source_of(row: dict[str, Any]) -> Principal:
    """The source account that files ``row``'s kind under the source ``row`` names."""
    return Principal(Role.SOURCE, row["source"], allowed_kinds=frozenset({row["kind"]}))


def _subject(row: dict[str, Any]) -> tuple[str, str]:
    return row["subject_kind"], row["subject_id"]


def _reads(system: System) -> list[dict[str, Any]]:
    return [e.data for e in system.ledger.entries() if e.type == FILE_READ]


def test_a_source_files_one_record_under_its_own_name(system: System) -> None:
    row = valid_rows(1, seed=3)[0]
    source = _source_of(row)
    filed = system.file_record(source, {k: v for k, v in row.items() if k != "source"})
    again = system.file_record(source, {k: v for k, v in row.items() if k != "source"})
    entry = system.record(operator("officer:li"), filed.position, "dispute_handling")
    assert not filed.duplicate and again.duplicate and again.position == filed.position
    assert entry.data["source"] == row["source"]


def test_a_source_may_not_file_another_kind_and_nothing_is_filed(system: System) -> None:
    row = valid_rows(1, seed=3)[0]
    size = system.ledger.size()
    source = Principal(Role.SOURCE, row["source"], allowed_kinds=frozenset({"no_such_kind"}))
    with pytest.raises(PermissionDeniedError, match="may not file"):
        system.file_record(source, row)
    assert system.ledger.size() == size
    assert system.filing_kinds(source) == []
    assert len(system.filing_kinds(OFFICER)) > 1


def test_a_source_without_authority_kind_may_not_file(system: System) -> None:
    row = valid_rows(1, seed=3)[0]
    nameless = Principal(Role.SOURCE, "bank", allowed_kinds=frozenset({row["kind"]}))
    with pytest.raises(PermissionDeniedError, match="authority kind"):
        system.file_record(nameless, row)


def test_a_refused_record_names_every_field(system: System) -> None:
    row = valid_rows(1, seed=3)[0] | {"occurred_at": "yesterday"}
    with pytest.raises(RecordRefusedError) as refused:
        system.file_record(operator("admin"), row)
    assert "occurred_at" in [p.field for p in refused.value.problems]


def test_a_batch_files_the_good_rows_and_lists_the_bad(system: System) -> None:
    rows = valid_rows(5, seed=4)
    rows[1] = rows[1] | {"kind": "no_such_kind"}
    filing = system.file_records(operator("admin"), rows)
    found = filing.to_json()
    assert (found["accepted"], found["refused"]) == (4, 1)
    assert [r["row"] for r in found["refused_rows"]] == [2]
    assert found["rejects"] is None


def test_an_upload_files_a_csv_and_lists_refusals(system: System, tmp_path: Path) -> None:
    rows = valid_rows(6, seed=5)
    rows[2] = rows[2] | {"subject_id": "not-an-id"}
    data = write_csv(tmp_path / "rows.csv", rows).read_bytes()
    filing = system.file_upload(operator("admin"), io.BytesIO(data), "rows.csv", None)
    found = filing.to_json()
    assert (found["accepted"], found["refused"], found["rejects"]) == (5, 1, None)
    assert [r["row"] for r in found["refused_rows"]] == [3]


def test_an_upload_of_an_unknown_format_names_the_file(system: System) -> None:
    with pytest.raises(ValidationError) as refused:
        system.file_upload(operator("admin"), io.BytesIO(b"x"), "rows.xlsx", None)
    assert [p.field for p in refused.value.problems] == ["file"]


def test_ingesting_a_file_reports_each_durable_batch(system: System, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "rows.csv", valid_rows(7, seed=6))
    acks: list[int] = []
    summary = system.ingest_file(path, batch_size=3, on_batch=lambda ack: acks.append(ack.batch))
    assert summary.accepted == 7 and len(acks) == 3


def test_reading_a_record_is_logged_and_own_subject_only(system: System) -> None:
    rows = [r for r in valid_rows(40, seed=8) if r["subject_kind"] == "person"][:2]
    assert _subject(rows[0]) != _subject(rows[1])
    system.file_records(operator("admin"), rows)
    mine, theirs = (system.subject_records(OFFICER, _subject(r))[0] for r in rows)
    subject = Principal(Role.SUBJECT, "me", subject=_subject(rows[0]), account="key:me")
    before = len(_reads(system))
    assert system.record(subject, mine.position).position == mine.position
    with pytest.raises(PermissionDeniedError):
        system.record(subject, theirs.position)
    with pytest.raises(PermissionDeniedError):
        system.subject_records(subject, _subject(rows[1]))
    logged = _reads(system)[before:]
    assert [(r["reader"], r["purpose"]) for r in logged] == [("key:me", "subject_access")]


def test_a_subjects_records_come_in_ledger_order_with_the_read_logged(system: System) -> None:
    rows = [r for r in valid_rows(60, seed=9) if r["subject_kind"] == "person"]
    key = _subject(rows[0])
    system.file_records(operator("admin"), rows)
    found = system.subject_records(OFFICER, key, "court_enforcement")
    positions = [e.position for e in found]
    assert positions == sorted(positions) and len(found) == sum(_subject(r) == key for r in rows)
    assert _reads(system)[-1]["purpose"] == "court_enforcement"
    assert system.subjects_most_recorded_first()[0] in {_subject(r) for r in rows}


def test_an_entry_that_is_not_a_record_is_not_found(system: System) -> None:
    row = next(r for r in valid_rows(20, seed=3) if r["subject_kind"] == "person")
    system.file_record(operator("admin"), row)
    system.subject_records(OFFICER, _subject(row))  # logs a read: not a record
    with pytest.raises(NotFoundError, match="not a record"):
        system.record(OFFICER, system.ledger.size() - 1)
