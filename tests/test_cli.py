"""The command line, end to end through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from socialcredit.cli import cli

from .records_factory import valid_rows, write_csv


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    return subprocess.run(
        [sys.executable, "-m", "socialcredit", "--store", store, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_init_ingest_verify_prove_check(tmp_path: Path) -> None:
    assert run(tmp_path, "init", "--origin", "test/cli").returncode == 0
    source = write_csv(tmp_path / "r.csv", valid_rows(30))
    ingested = run(tmp_path, "ingest", str(source), "--json")
    assert json.loads(ingested.stdout)["accepted"] == 30
    verified = run(tmp_path, "verify", "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"]
    proof = run(tmp_path, "prove", "17")
    (tmp_path / "proof.json").write_text(proof.stdout)
    key = json.loads(run(tmp_path, "checkpoint").stdout)["public_key"]
    checked = run(tmp_path, "check-proof", str(tmp_path / "proof.json"), "--public-key", key)
    assert checked.returncode == 0, checked.stderr
    (tmp_path / "c.json").write_text(run(tmp_path, "consistency", "0").stdout)
    assert (
        run(tmp_path, "check-proof", str(tmp_path / "c.json"), "--public-key", key).returncode == 0
    )


def test_verify_fails_with_first_bad_position(tmp_path: Path) -> None:
    run(tmp_path, "init")
    rows = valid_rows(10)
    run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", rows)))
    import sqlite3

    db = sqlite3.connect(tmp_path / "cli.db", isolation_level=None)
    source = rows[0]["source"]
    db.execute(
        "UPDATE bundles SET data = CAST(replace(data, ?, ?) AS BLOB)", (source, source.upper())
    )
    result = run(tmp_path, "verify")
    assert result.returncode == 1
    assert "first bad position" in result.stdout


def test_errors_are_clear_and_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "verify")
    assert result.returncode == 2 and "socialcredit init" in result.stderr
    assert run(tmp_path, "init").returncode == 0
    again = run(tmp_path, "init")
    assert again.returncode == 2 and "already holds a ledger" in again.stderr
    bad_url = CliRunner().invoke(cli, ["--store", "mysql://x", "verify"])
    assert bad_url.exit_code == 2 and "unknown scheme" in bad_url.output


def test_demo_builds_verifies_and_proves(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "socialcredit",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--residents",
            "2000",
            "--organisations",
            "100",
            "--no-serve",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "verify      ok" in result.stdout and "refused" in result.stdout


def test_ingest_with_a_progress_bar(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    source = write_csv(tmp_path / "r.csv", valid_rows(50))
    result = run(tmp_path, "ingest", str(source), "--progress", "bar", "--batch-size", "10")
    assert result.returncode == 0, result.stderr
    assert "ingest" in result.stderr and "accepted 50" in result.stdout


#: A person's file is read for a purpose, and the read is logged.
READ = ("--purpose", "subject_access")


def test_score_explain_rescore_history(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    rows = valid_rows(60)
    for row in rows:
        row["occurred_at"] = "2025-06-01T08:00:00Z"
    run(tmp_path, "ingest", str(write_csv(tmp_path / "r.csv", rows)))
    subject = rows[0]["subject_id"]
    scored = run(tmp_path, "score", subject, *READ, "--json")
    assert scored.returncode == 0, scored.stderr
    result = json.loads(scored.stdout)
    assert result["subject"]["id"] == subject and result["grade"] in {
        "AAA",
        "AA",
        "A",
        "B",
        "C",
        "D",
    }
    before = json.loads(
        run(tmp_path, "score", subject, *READ, "--as-of", "2025-01-01", "--json").stdout
    )
    assert before["total"] == 1000 and before["contributions"] == []
    explained = run(tmp_path, "explain", subject, *READ)
    assert explained.returncode == 0 and subject in explained.stdout
    batch = json.loads(run(tmp_path, "rescore", "--json").stdout)
    mine = [s for s in batch["scores"] if s["subject_id"] == subject]
    assert mine and mine[0]["total"] == result["total"]
    points = json.loads(
        run(
            tmp_path,
            "history",
            subject,
            *READ,
            "--from",
            "2025-05-01",
            "--to",
            "2025-08-01",
            "--json",
        ).stdout
    )
    assert points[0]["total"] == 1000 and len(points) == 4
    bad = run(tmp_path, "score", "not-an-id")
    assert bad.returncode == 2 and "SUBJECT" in bad.stderr
