"""The repair and commitment commands, end to end through click (smoke)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from socialcredit.cli import cli
from tests.records_factory import person, write_csv

ALICE = person(1)
DECISION = "京市监罚〔2026〕56号"
QUEUE = ("--purpose", "dispute_handling", "--reader", "officer:li")


def run(tmp_path: Path, *args: str) -> Result:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    key = str(tmp_path / "cli.key")
    return CliRunner().invoke(cli, ["--store", store, "--key-file", key, *args])


def test_repair_and_commitment_commands(tmp_path: Path) -> None:
    assert run(tmp_path, "init", "--origin", "test/repair").exit_code == 0
    row = {
        "subject_id": ALICE,
        "subject_kind": "person",
        "kind": "administrative_penalty_serious",
        "occurred_at": "2026-01-05T00:00:00Z",
        "evidence": DECISION,
        "source": "market_regulator:beijing",
    }
    assert run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", [row]))).exit_code == 0
    filed = run(
        tmp_path, "commitment", "file", ALICE, DECISION, "--source", "market_regulator:beijing"
    )
    assert filed.exit_code == 0, filed.output
    assert filed.output.startswith(f"Commitment of {ALICE} concerning {DECISION} filed at entry")
    bad = run(tmp_path, "commitment", "file", ALICE, "a promise", "--source", "court:x")
    assert bad.exit_code != 0 and "evidence" in bad.output
    checked = run(tmp_path, "repair", "check", "0")
    assert checked.exit_code == 0, checked.output
    assert "1 of 4 conditions met" in checked.output and "UNMET training" in checked.output
    applied = run(tmp_path, "repair", "apply", "0", "The fine is paid.")
    assert applied.exit_code == 0, applied.output
    assert applied.output.startswith("Application R0-1 made on record 0")
    queue = run(tmp_path, "repair", "queue", *QUEUE, "--json")
    assert [i["action"] for i in json.loads(queue.output)] == ["decide"]
    grant = run(tmp_path, "repair", "decide", "R0-1", "granted", "--by", "officer:li",
                "--reason", "ok")  # fmt: skip
    assert grant.exit_code != 0 and "conditions.training" in grant.output
    refuse = run(tmp_path, "repair", "decide", "R0-1", "refused", "--by", "officer:li",
                 "--reason", "conditions unmet")  # fmt: skip
    assert refuse.exit_code == 0, refuse.output
    assert "R0-1: refused" in refuse.output and "was refused" in refuse.output
    appealed = run(tmp_path, "repair", "appeal", "R0-1", "I have since been trained.")
    assert appealed.exit_code == 0 and "decide-appeal R0-1" in appealed.output
    same = run(tmp_path, "repair", "decide-appeal", "R0-1", "confirmed", "--by", "officer:li",
               "--reason", "x")  # fmt: skip
    assert same.exit_code != 0
    confirmed = run(tmp_path, "repair", "decide-appeal", "R0-1", "confirmed", "--by",
                    "officer:wang", "--reason", "still unmet")  # fmt: skip
    assert confirmed.exit_code == 0 and "appeal-confirmed" in confirmed.output
