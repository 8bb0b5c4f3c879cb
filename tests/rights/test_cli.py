"""The rights commands, end to end through click (smoke)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from socialcredit.cli import cli
from socialcredit.ledger import Ledger
from socialcredit.storage._sqlite import SQLiteStore
from tests.consequences.helpers import play, subject
from tests.records_factory import person, write_csv

ALICE = person(1)
QUEUE = ("--purpose", "dispute_handling", "--reader", "officer:li")  # a logged read
ASKER = ("--reader", "airline:ca")  # who asks, recorded in the DecisionMade entry


def run(tmp_path: Path, *args: str) -> Result:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    key = str(tmp_path / "cli.key")
    return CliRunner().invoke(cli, ["--store", store, "--key-file", key, *args])


def test_rights_commands(tmp_path: Path) -> None:
    assert run(tmp_path, "init", "--origin", "test/rights").exit_code == 0
    row = {
        "subject_id": ALICE,
        "subject_kind": "person",
        "kind": "loan_default",
        "occurred_at": "2025-06-01T00:00:00Z",
        "source": "creditor_under_contract:example-commercial-bank",
        "amount": "900",
    }
    assert run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", [row]))).exit_code == 0
    opened = run(tmp_path, "dispute", "open", "0", "I repaid it.")
    assert opened.exit_code == 0, opened.output
    dispute = opened.output.split()[1]
    assert dispute == "D0-1" and "Now open: acknowledge by " in opened.output
    acked = run(tmp_path, "dispute", "ack", dispute, "--by", "officer:li")
    assert acked.exit_code == 0, acked.output
    assert re.fullmatch(
        r"Dispute D0-1 acknowledged by officer:li \(entry \d+\)\. "
        r"Now acknowledged: decide by \d{4}-\d\d-\d\d\.\n",
        acked.output,
    )
    added = run(tmp_path, "dispute", "evidence", dispute, "Receipt no. 7.")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("Evidence added to dispute D0-1 (entry ")
    assert "(extended to 45 days by new evidence)" in added.output
    queue = run(tmp_path, "dispute", "queue", *QUEUE, "--json")
    assert [item["action"] for item in json.loads(queue.output)] == ["decide"]
    decided = run(
        tmp_path,
        "dispute",
        "decide",
        dispute,
        "deleted",
        "--by",
        "officer:li",
        "--reason",
        "Unverifiable.",
    )
    assert decided.exit_code == 0, decided.output
    assert decided.output.startswith("Dispute D0-1 decided: deleted, by officer:li (entry ")
    assert "no longer counts" in decided.output
    same = run(tmp_path, "dispute", "appeal", dispute, "The bank wants it back.")
    assert same.exit_code == 0
    assert "socialcredit dispute decide-appeal D0-1 " in same.output
    refused = run(
        tmp_path,
        "dispute",
        "decide-appeal",
        dispute,
        "confirmed",
        "--by",
        "officer:li",
        "--reason",
        "Same officer.",
    )
    assert refused.exit_code == 2 and "another officer" in refused.output
    stated = run(tmp_path, "statement", ALICE, "0", "It was repaid.")
    assert stated.exit_code == 0, stated.output
    assert stated.output.startswith(f"Statement attached to record 0 of {ALICE} (entry ")
    assert (
        run(tmp_path, "recertify", "0", "--by", "agency:test", "--evidence", "Contract.").exit_code
        == 0
    )
    report = run(tmp_path, "report", ALICE, "--json")
    assert report.exit_code == 0, report.output
    found = json.loads(report.output)
    assert found["records"][0]["statements"][0]["text"] == "It was repaid."
    assert found["notices"] and found["reads"][-1]["purpose"] == "subject_access"
    text = run(
        tmp_path,
        "report",
        ALICE,
        "--reader",
        "bank:icbc",
        "--purpose",
        "credit_decision_with_consent",
    )
    assert text.exit_code == 0 and "statement: It was repaid." in text.output
    explained = run(
        tmp_path, "explain", ALICE, "--purpose", "subject_access"
    )  # the statement travels with the record
    assert explained.exit_code == 0 and "statement: It was repaid." in explained.output
    as_json = json.loads(
        run(tmp_path, "explain", ALICE, "--purpose", "subject_access", "--json").output
    )
    assert as_json["statements"]["0"][0]["text"] == "It was repaid."
    bad = run(tmp_path, "report", ALICE, "--purpose", "marketing")
    assert bad.exit_code == 2
    out = tmp_path / "file.json"
    assert run(tmp_path, "export-file", ALICE, "--out", str(out)).exit_code == 0
    exported = json.loads(out.read_text())
    assert {"RecordFiled", "DisputeDecided", "RecordRecertified"} <= {
        e["type"] for e in exported["entries"]
    }


def _filed(tmp_path: Path) -> None:
    """A ledger with one record (entry 0) about ALICE, filed now."""
    assert run(tmp_path, "init", "--origin", "test/rights").exit_code == 0
    row = {
        "subject_id": ALICE,
        "subject_kind": "person",
        "kind": "loan_default",
        "occurred_at": "2025-06-01T00:00:00Z",
        "source": "creditor_under_contract:example-commercial-bank",
        "amount": "900",
    }
    assert run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", [row]))).exit_code == 0


def _size(tmp_path: Path) -> int:
    store = SQLiteStore(tmp_path / "cli.db")
    try:
        return Ledger(store).size()
    finally:
        store.close()


def test_export_to_a_missing_folder_is_refused_before_the_read_is_logged(tmp_path: Path) -> None:
    """Issue 22, point 1: exit 2 naming --out, no traceback, and no FileRead."""
    _filed(tmp_path)
    before = _size(tmp_path)
    refused = run(tmp_path, "export-file", ALICE, "--out", str(tmp_path / "no" / "x.json"))
    assert refused.exit_code == 2, refused.output
    assert isinstance(refused.exception, SystemExit)
    assert "--out" in refused.output and "Traceback" not in refused.output
    assert _size(tmp_path) == before


def test_export_replaces_the_file_only_when_it_is_complete(tmp_path: Path) -> None:
    _filed(tmp_path)
    out = tmp_path / "file.json"
    out.write_text("the previous export")
    refused = run(tmp_path, "export-file", ALICE, "--out", str(out), "--reader", "not a code")
    assert refused.exit_code == 2 and "reader" in refused.output
    assert out.read_text() == "the previous export"
    assert run(tmp_path, "export-file", ALICE, "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["records"][0]["position"] == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".file.json")) == []


def test_the_printed_appeal_id_is_the_one_decide_appeal_accepts(tmp_path: Path) -> None:
    """Issue 22, point 5."""
    _filed(tmp_path)
    assert run(tmp_path, "dispute", "open", "0", "I repaid it.").exit_code == 0
    decide = ["--by", "officer:li", "--reason", "Checked with the bank."]
    assert run(tmp_path, "dispute", "decide", "D0-1", "upheld", *decide).exit_code == 0
    appealed = run(tmp_path, "dispute", "appeal", "D0-1", "The bank erred.")
    assert appealed.exit_code == 0, appealed.output
    match = re.search(r"decide-appeal (\S+) ", appealed.output)
    assert match is not None, appealed.output
    other = ["--by", "officer:wang", "--reason", "The bank confirmed."]
    done = run(tmp_path, "dispute", "decide-appeal", match.group(1), "confirmed", *other)
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Appeal of dispute D0-1 decided: confirmed, by officer:wang")
    assert "The dispute is closed." in done.output


def test_queue_says_what_is_due_by_when_and_whether_it_is_overdue(tmp_path: Path) -> None:
    """Issue 22, point 9."""
    _filed(tmp_path)
    assert run(tmp_path, "dispute", "open", "0", "I repaid it.").exit_code == 0
    (item,) = json.loads(run(tmp_path, "dispute", "queue", *QUEUE, "--json").output)
    ack_by = item["deadlines"]["acknowledge_by"]
    assert (
        f"D0-1           acknowledge by {ack_by}  (dispute of entry 0)"
        in run(tmp_path, "dispute", "queue", *QUEUE).output
    )
    late = (date.fromisoformat(ack_by) + timedelta(days=1)).isoformat()
    overdue = run(tmp_path, "dispute", "queue", *QUEUE, "--at", late).output
    assert f"acknowledge by {ack_by} (overdue)" in overdue
    report = run(tmp_path, "report", ALICE, "--at", late).output
    assert f"dispute D0-1 of entry 0: overdue: acknowledge by {ack_by} (overdue)" in report


DEBTOR = [{"kind": "debtor_refuses_to_perform", "occurred": "2026-01-01", "at": "2026-01-02"}]


def test_text_report_says_lists_hardship_decisions_and_proofs(
    tmp_path: Path, make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    """Issue 22, point 2: what --json holds about consequences and proofs, in words."""
    ledger = make_ledger("cli")  # the store `run` uses, with a clock in early 2026
    play(ledger, clock, [*DEBTOR, {"hardship": "record", "at": "2026-01-20"}], "person:1")
    debtor = subject("person:1")[1]
    denied = run(tmp_path, "decide", debtor, "air_travel", *ASKER, "--at", "2026-01-15")
    assert denied.output.startswith("deny")
    listed = run(tmp_path, "report", debtor, "--at", "2026-01-15").output
    assert (
        "  on list dishonest_judgment_debtors (List of dishonest judgment debtors): listed from "
        "2026-01-12 until 2031-01-11 (grounds: entry 0)" in listed
    )
    assert "      restricts: No air tickets; " in listed
    assert "  decision 2026-01-15: deny air_travel (entry 2, policy revision 1)" in listed
    assert "      because No air tickets: on List of dishonest judgment debtors" in listed
    assert re.search(r"inclusion proof: leaf 0 of the signed tree of size \d+", listed)
    assert "socialcredit check-proof proof.json --public-key " in listed
    assert "hardship (cannot pay) recorded" not in listed
    assert run(tmp_path, "decide", debtor, "air_travel", *ASKER).output.startswith("allow")
    frozen = run(tmp_path, "report", debtor).output
    assert "listed from 2026-01-12" in frozen and "): frozen while hardship is recorded" in frozen
    assert "  hardship (cannot pay) recorded since 2026-01-20" in frozen
    assert (
        "      frozen while it lasts, on list dishonest_judgment_debtors: No air tickets; "
        in frozen
    )
    assert re.search(r"  decision \d{4}-\d\d-\d\d: allow air_travel \(entry 4, ", frozen)
    assert '      because restriction "No air tickets" (no_air_travel) of list ' in frozen


def test_a_report_without_personal_data_masks_the_consequences_too(
    tmp_path: Path, make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger("cli")
    play(ledger, clock, DEBTOR, "person:1")
    debtor = subject("person:1")[1]
    assert run(tmp_path, "decide", debtor, "air_travel", *ASKER).exit_code == 0
    audit = ["--purpose", "audit_without_personal_data", "--reader", "auditor:x", "--json"]
    shown = run(tmp_path, "report", debtor, *audit)
    assert shown.exit_code == 0, shown.output
    assert debtor not in shown.output
    assert json.loads(shown.output)["consequences"]["memberships"][0]["status"] == "listed"
