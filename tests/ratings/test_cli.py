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
    assert "LOW EVIDENCE" in text and "reply: Sorry!" in text
    assert rating["disputes"] == [f"D{position}-1"]


def test_text_page_says_each_ratings_status_in_words(tmp_path: Path) -> None:
    """Issue 22, point 6: "1 rating" (not "1 ratings"); each shown rating with its masked
    rater, stars, status, reply and dispute."""
    run(tmp_path, "init")
    position = _rated(tmp_path, 1, "order-1")
    run(tmp_path, "rating", "reply", position, "--ratee", SHOP, "--text", "Sorry!")
    run(tmp_path, "rating", "dispute", position, "--ratee", SHOP, "--reason", "never sold")
    text = run(tmp_path, "ratings", SHOP).output
    assert "1 counted rating " in text and "ratings" not in text.splitlines()[0]
    (line,) = [x for x in text.splitlines() if x.startswith(f"  #{position} ")]
    assert f"by {person(1)[:4]}" in line and person(1) not in text
    assert "integrity 5, professionalism 4, service 2 (counted)" in line
    assert "      reply: Sorry!" in text
    assert f"      disputed: dispute D{position}-1" in text
    _rated(tmp_path, 2, "order-2")
    assert "2 counted ratings" in run(tmp_path, "ratings", SHOP).output


def _rated(tmp_path: Path, rater: int, interaction: str) -> str:
    """Issue a token to person ``rater`` and rate SHOP with it; returns the rating's position."""
    issued = run(
        tmp_path, "rating-token", "issue", person(rater), SHOP, "--issuer", SHOP,
        "--interaction", interaction, "--json",
    )  # fmt: skip
    token = json.loads(issued.output)["token"]
    stars = ["--integrity", "5", "--professionalism", "4", "--service", "2"]
    rated = run(tmp_path, "rate", token, "--rater", person(rater), "--ratee", SHOP, *stars)
    assert rated.exit_code == 0, rated.output
    return rated.output.split()[-1]


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


def test_an_interaction_record_then_its_third_party_token(tmp_path: Path) -> None:
    run(tmp_path, "init")
    source = "tax_authority:e-invoice-platform"
    fare = run(
        tmp_path, "rating-interaction", "record", person(1), SHOP,
        "--source", "transport_operator:metro", "--reference", "T-1",
    )  # fmt: skip
    assert fare.exit_code == 2 and "source" in fare.output and "interaction" in fare.output
    recorded = run(
        tmp_path, "rating-interaction", "record", person(1), SHOP,
        "--source", source, "--reference", "INV-1",
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    issuer = recorded.output.split()[-1]
    assert issuer.startswith("record:")
    stolen = run(
        tmp_path, "rating-token", "issue", person(2), SHOP, "--issuer", issuer,
        "--interaction", "INV-1",
    )  # fmt: skip
    assert stolen.exit_code == 2 and "another buyer" in stolen.output
    issued = run(
        tmp_path, "rating-token", "issue", person(1), SHOP, "--issuer", issuer,
        "--interaction", "INV-1",
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
