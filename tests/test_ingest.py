"""Ingest: every format, refused rows to the rejects file, good rows committed, idempotent."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socialcredit.catalogue import Source, default_catalogue, make_resident_id
from socialcredit.errors import ConfigurationError, RecordRefusedError, ValidationError
from socialcredit.ingest import BatchAck, ingest_file, ingest_rows, read_chunks
from socialcredit.ingest._checking import check_chunk
from socialcredit.ledger import Ledger, verify_ledger

from .records_factory import FIELDS, valid_rows, write_csv

MakeLedger = Callable[..., Ledger]


def rejects(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_csv_good_rows_committed_bad_rows_rejected(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    rows = valid_rows(50)
    rows[3]["kind"] = "church_attendance"
    rows[7]["occurred_at"] = "2025-01-01T08:00:00"  # no timezone
    minor = make_resident_id("110101", date(2015, 5, 5), 1)
    rows[9].update(subject_id=minor, subject_kind="person")
    source = write_csv(tmp_path / "in.csv", rows)
    acks: list[BatchAck] = []
    summary = ingest_file(ledger, default_catalogue(), source, batch_size=8, on_batch=acks.append)
    assert (summary.rows, summary.accepted, summary.refused) == (50, 47, 3)
    assert ledger.size() == 47
    refused = rejects(summary.rejects_path)  # type: ignore[arg-type]
    assert [r["row"] for r in refused] == [4, 8, 10]
    assert refused[0]["problems"][0]["field"] == "kind"
    assert refused[1]["problems"][0]["field"] == "occurred_at"
    assert any("minor" in p["reason"] for p in refused[2]["problems"])
    assert len(acks) == 7 and acks[-1].last_row == 50
    assert verify_ledger(ledger.store, ledger.public_key).ok


def test_unknown_column_refuses_each_row_naming_it(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    path = tmp_path / "extra.csv"
    rows = [{**r, "religion": "x"} for r in valid_rows(3)]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*FIELDS, "religion"])
        writer.writeheader()
        writer.writerows(rows)
    summary = ingest_file(ledger, default_catalogue(), path)
    assert summary.refused == 3 and ledger.size() == 0
    assert all(r["problems"][0]["field"] == "religion" for r in rejects(summary.rejects_path))  # type: ignore[arg-type]


def test_jsonl_with_malformed_lines(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    rows = valid_rows(5)
    rows[0]["amount"] = 1200 if "amount" in rows[0] else None
    lines = [orjson.dumps({k: v for k, v in r.items() if v is not None}) for r in rows]
    lines.insert(2, b"{not json")
    lines.insert(4, b"[1, 2]")
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = ingest_file(ledger, default_catalogue(), path)
    assert (summary.accepted, summary.refused) == (5, 2)
    assert [r["row"] for r in rejects(summary.rejects_path)] == [3, 5]  # type: ignore[arg-type]


def test_parquet_with_typed_values(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    rows = valid_rows(20)
    table = pa.table(
        {
            "subject_id": [r["subject_id"] for r in rows],
            "subject_kind": [r["subject_kind"] for r in rows],
            "kind": [r["kind"] for r in rows],
            "occurred_at": [datetime(2025, 3, 1, 12, tzinfo=UTC)] * 20,
            "source": [r["source"] for r in rows],
            "amount": pa.array(
                [int(r["amount"]) if "amount" in r else None for r in rows], pa.int64()
            ),
            "evidence": [r.get("evidence") for r in rows],
            "idempotency_key": [r["idempotency_key"] for r in rows],
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    summary = ingest_file(ledger, default_catalogue(), path)
    assert summary.accepted == 20, summary.refusal_reasons
    assert ledger.entry(0).data["occurred_at"] == "2025-03-01T12:00:00Z"


def test_reingest_is_idempotent(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    source = write_csv(tmp_path / "in.csv", valid_rows(40))
    first = ingest_file(ledger, default_catalogue(), source, batch_size=16)
    second = ingest_file(ledger, default_catalogue(), source, batch_size=7)
    assert (first.accepted, second.accepted, second.duplicates) == (40, 0, 40)
    assert ledger.size() == 40


def test_entries_carry_the_normalised_record(make_ledger: MakeLedger, tmp_path: Path) -> None:
    ledger = make_ledger()
    row = valid_rows(1)[0]
    row["occurred_at"] = "2025-06-01T10:00:00+08:00"
    ingest_file(ledger, default_catalogue(), write_csv(tmp_path / "one.csv", [row]))
    entry = ledger.entry(0)
    assert entry.type == "RecordFiled"
    assert entry.data["occurred_at"] == "2025-06-01T02:00:00Z"
    assert entry.data["subject"] == {"kind": row["subject_kind"], "id": row["subject_id"]}
    assert ledger.subject_id(row["subject_kind"], row["subject_id"]) == 0


def test_unknown_format_is_a_clear_error(make_ledger: MakeLedger, tmp_path: Path) -> None:
    path = tmp_path / "records.txt"
    path.write_text("x")
    with pytest.raises(ConfigurationError, match="--format"):
        ingest_file(make_ledger(), default_catalogue(), path)


def test_reader_process_gives_the_same_ledger(make_ledger: MakeLedger, tmp_path: Path) -> None:
    rows = valid_rows(300)
    rows[5]["kind"] = "no_such_kind"
    source = write_csv(tmp_path / "in.csv", rows)
    here, there = make_ledger("here"), make_ledger("there")
    a = ingest_file(
        here,
        default_catalogue(),
        source,
        batch_size=64,
        reader_process=False,
        rejects_path=tmp_path / "a.jsonl",
    )
    b = ingest_file(
        there,
        default_catalogue(),
        source,
        batch_size=64,
        reader_process=True,
        rejects_path=tmp_path / "b.jsonl",
    )
    assert (a.accepted, a.refused) == (b.accepted, b.refused) == (299, 1)
    assert [e.data for e in here.entries()] == [e.data for e in there.entries()]
    assert rejects(tmp_path / "a.jsonl") == rejects(tmp_path / "b.jsonl")


def test_reader_process_reports_an_unreadable_file(make_ledger: MakeLedger, tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(ConfigurationError, match="Parquet"):
        ingest_file(make_ledger(), default_catalogue(), path, reader_process=True)


def _nasty_rows() -> list[dict[str, Any]]:
    """Valid rows, then the same rows with values the column kernels must leave to the
    per-record path (or must encode exactly as it does)."""
    rows = valid_rows(60, keys="k")
    twists: list[dict[str, Any]] = [
        {"evidence": 'say "no"'},
        {"evidence": "back\\slash"},
        {"evidence": "tab\tin"},
        {"evidence": "（2024）京0105执1号"},
        {"evidence": "  padded  "},
        {"evidence": "\u3000x"},
        {"idempotency_key": 'k"1'},
        {"idempotency_key": " spaced "},
        {"idempotency_key": "é"},
        {"source": " court:beijing-dongcheng "},
        {"source": 'q"uote'},
        {"amount": "0042"},
        {"occurred_at": "2025-03-01T10:00:00+08:00"},
        {"occurred_at": "2025-03-01 10:00:00Z"},
        {"occurred_at": "2025-02-29"},
        {"occurred_at": "2024-02-29T23:59:59Z"},
        {"subject_id": make_resident_id("110101", date(1990, 1, 1), 10)[:17] + "x"},
        {"subject_id": make_resident_id("110101", date(2008, 2, 29), 3)},
        {"kind": "church_attendance"},
        {"subject_kind": "Person"},
    ]
    for row, twist in zip(rows[::3], twists, strict=False):
        row.update(twist)
    return rows


@pytest.mark.parametrize("reader_process", [False, True])
def test_nasty_values_give_the_per_record_answers(
    make_ledger: MakeLedger, tmp_path: Path, reader_process: bool
) -> None:
    rows = _nasty_rows()
    source = write_csv(tmp_path / "nasty.csv", rows)
    ledger = make_ledger()
    summary = ingest_file(
        ledger, default_catalogue(), source, batch_size=16, reader_process=reader_process
    )
    now = datetime.now(UTC)
    expected, refused = [], []
    for number, row in enumerate(rows, 1):
        try:
            expected.append(default_catalogue().validate(row, now=now).payload())
        except RecordRefusedError as refusal:
            refused.append((number, [p.as_dict() for p in refusal.problems]))
    assert [e.data for e in ledger.entries()] == expected
    got = [(r["row"], r["problems"]) for r in rejects(summary.rejects_path)]  # type: ignore[arg-type]
    assert got == refused and summary.refused >= 4


def test_checked_chunks_are_byte_identical_to_the_per_record_encoder(tmp_path: Path) -> None:
    rows = _nasty_rows()
    source = write_csv(tmp_path / "nasty.csv", rows)
    catalogue = default_catalogue()
    now = datetime.now(UTC)
    payloads = []
    for chunk in read_chunks(source, None, 25):
        assert chunk.arrays is not None
        payloads.extend(check_chunk(catalogue, chunk).accepted.payload_json)
    expected = []
    for row in rows:
        try:
            expected.append(catalogue.validate(row, now=now).payload_json())
        except RecordRefusedError:
            continue
    assert payloads == expected


def test_rows_of_mixed_types_take_the_list_path(make_ledger: MakeLedger) -> None:
    rows: list[dict[str, Any]] = valid_rows(30)
    for row in rows[::2]:
        if "amount" in row:
            row["amount"] = int(row["amount"])
    summary = ingest_rows(make_ledger(), default_catalogue(), enumerate(rows, 1), batch_size=8)
    assert (summary.accepted, summary.refused) == (30, 0)


# --- a registered source files the file -------------------------------------------------------

COURT = "court:beijing-dongcheng"
_COURT_KINDS = {"debtor_refuses_to_perform", "judgment_performed", "inability_to_pay_declared"}


def _court_rows(n: int) -> list[dict[str, Any]]:
    rows = [r for r in valid_rows(20 * n) if r["kind"] in _COURT_KINDS][:n]
    assert len(rows) == n and all(r["source"] == COURT for r in rows)
    return rows


@pytest.mark.parametrize("reader_process", [False, True])
def test_a_configured_source_stamps_rows_and_refuses_another(
    make_ledger: MakeLedger, tmp_path: Path, reader_process: bool
) -> None:
    """The source column may be absent or repeat the filer's name; naming another is refused
    (that row only), and each accepted entry is filed under the filer's name."""
    ledger = make_ledger()
    rows = _court_rows(12)
    rows[2]["source"] = "court:supreme-peoples-court"
    rows[5]["source"] = ""
    source = Source.named(COURT, "court")
    path = write_csv(tmp_path / "in.csv", rows)
    summary = ingest_file(
        ledger, default_catalogue(), path, source=source, reader_process=reader_process
    )
    assert (summary.accepted, summary.refused) == (11, 1)
    refused = rejects(summary.rejects_path)  # type: ignore[arg-type]
    assert refused[0]["row"] == 3 and refused[0]["problems"][0]["field"] == "source"
    assert {e.data["source"] for e in ledger.entries()} == {COURT}


def test_a_configured_source_needs_no_source_column(
    make_ledger: MakeLedger, tmp_path: Path
) -> None:
    ledger = make_ledger()
    rows = [{k: v for k, v in r.items() if k != "source"} for r in _court_rows(5)]
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [f for f in FIELDS if f != "source"])
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValidationError):  # without a configured source the column is required
        ingest_file(ledger, default_catalogue(), path)
    summary = ingest_file(ledger, default_catalogue(), path, source=Source.named(COURT))
    assert (summary.accepted, summary.refused) == (5, 0)


def test_a_configured_source_files_only_what_its_authority_may_establish(
    make_ledger: MakeLedger,
) -> None:
    """A bank's feed carrying a court's kind, a court's number or prose: each row refused with
    its reason, the good rows around them filed."""
    ledger = make_ledger()
    bank = Source.named("creditor_under_contract:example-commercial-bank")
    good = [r for r in valid_rows(1000) if r["kind"] == "loan_default"][:3]
    bad = [
        {**good[0], "kind": "debtor_refuses_to_perform", "amount": ""},
        {**good[0], "evidence": "(2024)京0105执1234号"},
        {**good[0], "evidence": "religion catholic; location 39.9,116.4"},
    ]
    rows = [good[0], *bad, good[1], good[2]]
    summary = ingest_rows(ledger, default_catalogue(), enumerate(rows, 1), source=bank)
    assert (summary.accepted, summary.refused) == (3, 3)
    reasons = " | ".join(summary.refusal_reasons)
    assert "kind: a source of authority kind 'creditor_under_contract' may not file" in reasons
    assert "evidence: must be a reference of its source's authority kind" in reasons


def test_the_cli_takes_the_source_from_its_configuration(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from socialcredit.cli import cli

    store = ["--store", f"sqlite:///{tmp_path / 'cli.db'}"]
    runner = CliRunner()
    assert runner.invoke(cli, [*store, "init"]).exit_code == 0
    rows = _court_rows(4)
    rows[1]["source"] = "court:supreme-peoples-court"
    path = str(write_csv(tmp_path / "in.csv", rows))
    wrong = runner.invoke(cli, [*store, "ingest", path, "--source", COURT, "--authority", "bank"])
    assert wrong.exit_code == 2 and "authority" in wrong.output
    bare = runner.invoke(cli, [*store, "ingest", path, "--source", "beijing-court"])
    assert bare.exit_code == 2 and "source" in bare.output
    done = runner.invoke(
        cli, [*store, "ingest", path, "--authority", "court", "--json"],
        env={"SOCIALCREDIT_SOURCE": COURT},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    summary = orjson.loads(done.output)
    assert (summary["accepted"], summary["refused"]) == (3, 1)


@pytest.mark.parametrize("zone", ["+08:00", "+0800", "-05:30"])
def test_a_file_with_offsets_files_the_same_records_as_in_utc(tmp_path: Path, zone: str) -> None:
    """The same instants written at an offset: the checked chunks are byte-identical to those
    of the file written in UTC (tests/test_timestamps_fast.py shows they take the kernels)."""
    rows = valid_rows(300)
    sign, hours, minutes = (-1 if zone[0] == "-" else 1), int(zone[1:3]), int(zone[-2:])
    shift = sign * timedelta(hours=hours, minutes=minutes)
    local = [dict(r, occurred_at=_written_at(r["occurred_at"], shift, zone)) for r in rows]
    catalogue = default_catalogue()

    def payloads(path: Path) -> list[bytes]:
        out: list[bytes] = []
        for chunk in read_chunks(path, None, 64):
            out.extend(check_chunk(catalogue, chunk).accepted.payload_json)
        return out

    expected = payloads(write_csv(tmp_path / "utc.csv", rows))
    assert len(expected) == len(rows)
    assert payloads(write_csv(tmp_path / "local.csv", local)) == expected


def _written_at(utc_text: str, shift: timedelta, zone: str) -> str:
    local = datetime.fromisoformat(utc_text) + shift
    return f"{local:%Y-%m-%dT%H:%M:%S}{zone}"
