"""Purpose-bound reads, statements, and the subject access report (:mod:`socialcredit.reports`)
with offline proofs."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from socialcredit.consequences import subject_consequences
from socialcredit.errors import ValidationError
from socialcredit.ledger import Ledger, check_inclusion_proof, public_key_from_text
from socialcredit.reports import export_file, read_file, subject_report
from socialcredit.rights import MAX_STATEMENT, PURPOSES, attach_statement, reads_of, statements_of
from socialcredit.rights import _disputes as d
from socialcredit.scoring import explain
from tests.rights.helpers import ALICE, BOB, at, file_record, set_time


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger], clock: Any) -> Ledger:
    made = make_ledger()
    set_time(clock, at(2026, 2, 1))
    file_record(made)  # 0: Alice's loan default
    file_record(made, ALICE, "volunteering", "2026-01-10T00:00:00Z", amount=8)  # 1
    file_record(made, BOB, "fare_evasion", amount=None)  # 2: Bob's, never in Alice's file
    return made


def test_an_unlisted_purpose_is_refused_and_nothing_is_written(ledger: Ledger) -> None:
    size = ledger.size()
    with pytest.raises(ValidationError) as refused:
        read_file(ledger, ALICE, "bank:icbc", "curiosity")
    assert refused.value.problems[0].field == "purpose"
    assert "subject_access" in refused.value.problems[0].reason
    with pytest.raises(ValidationError) as person:
        subject_report(ledger, *ALICE, reader=BOB[1], purpose="subject_access")
    assert person.value.problems[0].field == "reader"
    assert ledger.size() == size
    assert "credit_decision_with_consent" in PURPOSES


def test_every_read_is_logged_and_listed(ledger: Ledger, clock: Any) -> None:
    set_time(clock, at(2026, 2, 2))
    read_file(ledger, ALICE, "bank:icbc", "credit_decision_with_consent")
    set_time(clock, at(2026, 2, 3))
    report = subject_report(ledger, *ALICE, reader=ALICE[1])
    assert [(r["reader"], r["purpose"], r["at"][:10]) for r in report["reads"]] == [
        ("bank:icbc", "credit_decision_with_consent", "2026-02-02"),
        (ALICE[1], "subject_access", "2026-02-03"),  # this read itself
    ]
    assert [r.what for r in reads_of(ledger, ALICE)] == ["file", "report"]
    assert reads_of(ledger, BOB) == []


def test_report_contents_and_offline_proofs(ledger: Ledger, clock: Any) -> None:
    set_time(clock, at(2026, 2, 5))
    dispute = d.open_dispute(ledger, 0, "Repaid in January.")
    attach_statement(
        ledger, ALICE, 0, "I repaid this loan on 3 January; the bank lost the receipt."
    )
    report = subject_report(ledger, *ALICE)
    assert report["version"] == "SubjectReportV1"
    assert [r["position"] for r in report["records"]] == [0, 1]
    loan, volunteering = report["records"]
    assert loan["source"] == "creditor_under_contract:example-commercial-bank"
    assert "Credit Reporting Industry" in loan["legal_basis"] and loan["context"] == "finance"
    assert loan["status"]["state"] == "disputed" and loan["status"]["dispute"] == dispute
    assert loan["contribution"]["points"] == -30
    assert loan["statements"][0]["text"].startswith("I repaid")
    assert volunteering["contribution"]["points"] > 0
    found = explain(ledger, *ALICE, as_of=at(2026, 2, 5))
    assert report["score"]["total"] == found.result.total
    assert [x["id"] for x in report["disputes"]] == [dispute]
    assert report["disputes"][0]["deadlines"]["decide_by"] == "2026-03-09"
    expected = subject_consequences(ledger, *ALICE, at(2026, 2, 5)).to_json()
    assert report["consequences"] == json.loads(json.dumps(expected))
    key = public_key_from_text(report["public_key"])
    for record in report["records"]:
        proof = record["inclusion_proof"]
        assert check_inclusion_proof(proof, key).ok
        assert ALICE[1].encode() in base64.b64decode(proof["entry"])
    forged = dict(loan["inclusion_proof"], index=1)
    assert not check_inclusion_proof(forged, key).ok


def test_report_as_of_an_earlier_ledger_time(ledger: Ledger, clock: Any) -> None:
    set_time(clock, at(2026, 3, 1))
    d.withdraw_record(ledger, 0, "agency:test", "Filed in error.")
    set_time(clock, at(2026, 3, 2))
    earlier = subject_report(ledger, *ALICE, at=at(2026, 2, 20))
    now = subject_report(ledger, *ALICE)
    assert earlier["records"][0]["status"]["state"] == "active"
    assert now["records"][0]["status"]["state"] == "withdrawn"
    assert now["records"][0]["contribution"] is None
    assert [h["type"] for h in now["records"][0]["history"]] == ["RecordWithdrawn"]


def test_statements_subject_only_and_bounded(ledger: Ledger) -> None:
    with pytest.raises(ValidationError) as other:
        attach_statement(ledger, BOB, 0, "Not mine to comment on.")
    assert other.value.problems[0].field == "SUBJECT"
    with pytest.raises(ValidationError) as long:
        attach_statement(ledger, ALICE, 0, "x" * (MAX_STATEMENT + 1))
    assert long.value.problems[0].field == "text"
    with pytest.raises(ValidationError, match="another person"):
        attach_statement(ledger, ALICE, 0, f"My neighbour {BOB[1]} did it.")
    attach_statement(ledger, ALICE, 0, f"I, {ALICE[1]}, dispute the amount.")
    assert [s.record for s in statements_of(ledger, ALICE)[0]] == [0]


def test_audit_purpose_gets_no_personal_data(ledger: Ledger) -> None:
    attach_statement(ledger, ALICE, 0, "My own words.")
    report = subject_report(
        ledger, *ALICE, reader="auditor:nao", purpose="audit_without_personal_data"
    )
    assert report["redacted"] and ALICE[1] not in str(report["subject"])
    assert "entry" not in report["records"][0]["inclusion_proof"]
    assert "text" not in report["records"][0]["statements"][0]


def test_export_holds_every_entry_about_the_subject(ledger: Ledger, clock: Any) -> None:
    set_time(clock, at(2026, 2, 5))
    dispute = d.open_dispute(ledger, 0, "Repaid.")
    d.open_dispute(ledger, 2, "Bob's own dispute.")
    exported = export_file(ledger, *ALICE)
    types = [(e["type"], e["position"]) for e in exported["entries"]]
    assert ("RecordFiled", 0) in types and ("RecordFiled", 1) in types
    assert ("RecordFiled", 2) not in types
    assert [e["data"]["dispute"] for e in exported["entries"] if e["type"] == "DisputeOpened"] == [
        dispute
    ]
    assert exported["entries"][-1]["type"] == "FileRead"
    assert BOB[1] not in str(exported)
