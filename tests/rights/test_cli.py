"""The rights commands, end to end through click (smoke)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from socialcredit.cli import cli
from tests.records_factory import person, write_csv

ALICE = person(1)


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
        "source": "agency:test",
        "amount": "900",
    }
    assert run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", [row]))).exit_code == 0
    opened = run(tmp_path, "dispute", "open", "0", "I repaid it.")
    assert opened.exit_code == 0, opened.output
    dispute = opened.output.strip()
    assert run(tmp_path, "dispute", "ack", dispute, "--by", "officer:li").exit_code == 0
    assert run(tmp_path, "dispute", "evidence", dispute, "Receipt no. 7.").exit_code == 0
    queue = run(tmp_path, "dispute", "queue", "--json")
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
    same = run(tmp_path, "dispute", "appeal", dispute, "The bank wants it back.")
    assert same.exit_code == 0
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
    assert run(tmp_path, "statement", ALICE, "0", "It was repaid.").exit_code == 0
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
    explained = run(tmp_path, "explain", ALICE)  # the statement travels with the record
    assert explained.exit_code == 0 and "statement: It was repaid." in explained.output
    as_json = json.loads(run(tmp_path, "explain", ALICE, "--json").output)
    assert as_json["statements"]["0"][0]["text"] == "It was repaid."
    bad = run(tmp_path, "report", ALICE, "--purpose", "marketing")
    assert bad.exit_code == 2
    out = tmp_path / "file.json"
    assert run(tmp_path, "export-file", ALICE, "--out", str(out)).exit_code == 0
    exported = json.loads(out.read_text())
    assert {"RecordFiled", "DisputeDecided", "RecordRecertified"} <= {
        e["type"] for e in exported["entries"]
    }
