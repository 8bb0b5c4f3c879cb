"""The CLI commands that show a person's data log the read (or, for decide, the enquiry).

score, explain, history, prove, dispute queue: each takes --purpose and --reader and writes a
``FileRead`` before it prints; without --purpose it is refused (exit 2, naming --purpose) and
writes nothing, except prove, which then prints the leaf hash without the entry. decide writes
its ``DecisionMade`` entry with --reader and the purpose (default: the service decision).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from socialcredit.ledger import Entry, Ledger
from socialcredit.storage._sqlite import SQLiteStore
from tests.rights.test_cli import ALICE, _filed, run

OFFICER = ("--reader", "officer:li")
COMMANDS = {
    "score": ["score", ALICE],
    "explain": ["explain", ALICE],
    "history": ["history", ALICE, "--from", "2025-01-01", "--to", "2025-03-01"],
    "queue": ["dispute", "queue"],
}


def _entries(tmp_path: Path, start: int = 0) -> list[Entry]:
    store = SQLiteStore(tmp_path / "cli.db")
    try:
        return list(Ledger(store).entries(start))
    finally:
        store.close()


def _ready(tmp_path: Path) -> int:
    """A record (entry 0) and a dispute about ALICE; the ledger's size."""
    _filed(tmp_path)
    assert run(tmp_path, "dispute", "open", "0", "I repaid it.").exit_code == 0
    return len(_entries(tmp_path))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_read_command_logs_the_read_before_it_prints(tmp_path: Path, name: str) -> None:
    size = _ready(tmp_path)
    refused = run(tmp_path, *COMMANDS[name], *OFFICER)
    assert refused.exit_code == 2 and "--purpose" in refused.output
    assert len(_entries(tmp_path)) == size  # nothing was read, nothing written
    shown = run(tmp_path, *COMMANDS[name], *OFFICER, "--purpose", "dispute_handling", "--json")
    assert shown.exit_code == 0, shown.output
    assert name == "history" or ALICE in shown.output or "D0-1" in shown.output  # (scores only)
    (read,) = [e.data for e in _entries(tmp_path, size) if e.type == "FileRead"]
    assert read["subject"]["id"] == ALICE
    assert (read["reader"], read["purpose"]) == ("officer:li", "dispute_handling")


def test_prove_without_a_purpose_prints_hashes_only(tmp_path: Path) -> None:
    size = _ready(tmp_path)
    bare = json.loads(run(tmp_path, "prove", "0").output)
    assert "entry" not in bare and bare["leaf_hash"]
    assert len(_entries(tmp_path)) == size
    run(tmp_path, "checkpoint", "--new")
    key = json.loads(run(tmp_path, "checkpoint").output)["public_key"]
    (tmp_path / "proof.json").write_text(json.dumps(bare))
    checked = run(tmp_path, "check-proof", str(tmp_path / "proof.json"), "--public-key", key)
    assert checked.exit_code == 0, checked.output  # a leaf hash is checkable on its own
    size = len(_entries(tmp_path))
    full = run(tmp_path, "prove", "0", *OFFICER, "--purpose", "court_enforcement")
    assert ALICE in base64.b64decode(json.loads(full.output)["entry"]).decode()
    (read,) = [e.data for e in _entries(tmp_path, size) if e.type == "FileRead"]
    assert (read["reader"], read["purpose"], read["what"]) == (
        "officer:li",
        "court_enforcement",
        "entry",
    )


def test_decide_records_who_asked_and_why(tmp_path: Path) -> None:
    size = _ready(tmp_path)
    missing = run(tmp_path, "decide", ALICE, "air_travel")
    assert missing.exit_code == 2 and "--reader" in missing.output
    assert run(tmp_path, "decide", ALICE, "air_travel", "--reader", "airline:ca").exit_code == 0
    named = ["--reader", "bank:icbc", "--purpose", "credit_decision_with_consent"]
    assert run(tmp_path, "decide", ALICE, "deposit_waiver", *named).exit_code == 0
    made = [e.data for e in _entries(tmp_path, size) if e.type == "DecisionMade"]
    assert [(d["requested_by"], d["purpose"]) for d in made] == [
        ("airline:ca", "service_decision:air_travel"),
        ("bank:icbc", "credit_decision_with_consent"),
    ]
    report = json.loads(run(tmp_path, "report", ALICE, "--json").output)
    assert [(e["requested_by"], e["service"]) for e in report["enquiries"]] == [
        ("airline:ca", "air_travel"),
        ("bank:icbc", "deposit_waiver"),
    ]
    assert all(r["reader"] != "airline:ca" for r in report["reads"])  # enquiries, not reads
