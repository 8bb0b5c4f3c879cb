"""``socialcredit notices ...`` end to end through click, against a real SMTP server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from socialcredit.cli import cli
from tests.notices.conftest import Inbox, SmtpServer
from tests.records_factory import person, write_csv

ALICE = person(1)


def run(tmp_path: Path, *args: str) -> Result:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    return CliRunner().invoke(cli, ["--store", store, "--key-file", str(tmp_path / "k"), *args])


def test_queue_contact_deliver_and_list(
    tmp_path: Path, smtp_server: SmtpServer, inbox: Inbox
) -> None:
    assert run(tmp_path, "init", "--origin", "test/notices").exit_code == 0
    row = {"subject_id": ALICE, "subject_kind": "person", "kind": "loan_default",
           "occurred_at": "2025-06-01T00:00:00Z", "amount": "900",
           "source": "creditor_under_contract:example-commercial-bank"}  # fmt: skip
    assert run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", [row]))).exit_code == 0
    assert run(tmp_path, "dispute", "open", "0", "I repaid it.").exit_code == 0
    queued = run(tmp_path, "notices", "queue", "--json")
    assert queued.exit_code == 0, queued.output
    assert json.loads(queued.output)["queued"] == 1
    assert "queued 0 notices (1 were already queued)" in run(tmp_path, "notices", "queue").output
    bad = run(tmp_path, "notices", "contact", ALICE, "not-an-address")
    assert bad.exit_code == 2 and "address:" in bad.output
    added = run(tmp_path, "notices", "contact", ALICE, "alice@mail.example", "--lang", "en")
    assert added.exit_code == 0, added.output
    port = str(smtp_server.port)
    sent = run(tmp_path, "notices", "deliver", "--smtp-port", port, "--json")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["delivered"] == 1
    assert len(inbox.messages) == 1 and "D0-1" in str(inbox.messages[0]["Subject"])
    listed = run(tmp_path, "notices", "list")
    assert "dispute_deadlines" in listed.output and "delivered (1 attempts)" in listed.output
    mine = run(tmp_path, "notices", "list", ALICE, "--lang", "zh-CN")
    assert "您的异议 D0-1：办理期限" in mine.output, mine.output
    assert run(tmp_path, "notices", "contact", ALICE, "--erase").output == "address erased\n"
