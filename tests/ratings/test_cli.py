"""The rating commands end to end through the CLI group, on a real SQLite ledger."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from socialcredit.cli import cli

from ..records_factory import organisation, person

SHOP = organisation(3)


def run(tmp_path: Path, *args: str) -> Result:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    return CliRunner().invoke(cli, ["--store", store, *args], catch_exceptions=False)


def test_issue_rate_reply_dispute_and_show(tmp_path: Path) -> None:
    assert run(tmp_path, "init", "--origin", "test/ratings").exit_code == 0
    issued = run(
        tmp_path,
        "rating-token",
        "issue",
        person(1),
        SHOP,
        "--issuer",
        SHOP,
        "--interaction",
        "order-9",
        "--json",
    )
    assert issued.exit_code == 0, issued.output
    token = json.loads(issued.output)["token"]
    stars = ["--integrity", "5", "--professionalism", "4", "--service", "2"]
    rated = run(tmp_path, "rate", token, "--rater", person(1), "--ratee", SHOP, *stars)
    assert rated.exit_code == 0, rated.output
    position = rated.output.split()[-1]
    again = run(tmp_path, "rate", token, "--rater", person(1), "--ratee", SHOP, *stars)
    assert again.exit_code == 2 and "already used" in again.output
    replied = run(tmp_path, "rating", "reply", position, "--ratee", SHOP, "--text", "Sorry!")
    assert replied.exit_code == 0, replied.output
    disputed = run(
        tmp_path, "rating", "dispute", position, "--ratee", SHOP, "--reason", "never sold"
    )
    assert disputed.exit_code == 0 and "opened" in disputed.output, disputed.output
    shown = run(tmp_path, "ratings", SHOP, "--json")
    view = json.loads(shown.output)
    assert view["count"] == 1 and view["low_evidence"]
    (rating,) = view["ratings"]
    assert rating["stars"] == {"integrity": 5, "professionalism": 4, "service": 2}
    assert rating["reply"] == "Sorry!" and rating["disputed"]
    assert person(1) not in shown.output and rating["rater"].startswith(person(1)[:4])
    text = run(tmp_path, "ratings", SHOP).output
    assert "LOW EVIDENCE" in text and "reply: Sorry!" in text and "[disputed]" in text


def test_refusals_name_the_field_and_exit_2(tmp_path: Path) -> None:
    run(tmp_path, "init")
    private = run(
        tmp_path,
        "rating-token",
        "issue",
        person(1),
        person(2),
        "--issuer",
        SHOP,
        "--interaction",
        "x",
    )
    assert private.exit_code == 2
    assert "ratee.role" in private.output and "private person" in private.output
    bad = run(tmp_path, "ratings", "not-an-id")
    assert bad.exit_code == 2 and "ratee" in bad.output
