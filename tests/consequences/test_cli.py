"""The consequence commands end to end on a real store: decide, lists, hardship, restore."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.ledger import Ledger, create_key_file
from socialcredit.storage.sqlite import SQLiteStore

from .helpers import play, subject


class _Clock:
    def __init__(self) -> None:
        self.now_us = 0

    def __call__(self) -> int:
        return self.now_us


def test_decide_lists_hardship_restore(tmp_path: Path) -> None:
    store, key = f"sqlite:///{tmp_path / 'l.db'}", str(tmp_path / "k.key")
    base = ["--store", store, "--key-file", key]
    runner = CliRunner()
    clock = _Clock()  # ledger time in the past, so that `restore` (now) is after the wait
    clock.now_us = 1_700_000_000_000_000
    ledger = Ledger.create(SQLiteStore(tmp_path / "l.db"), create_key_file(Path(key)), "t", clock)
    play(
        ledger,
        clock,
        [
            {
                "kind": "administrative_penalty_serious",
                "occurred": "2024-01-01",
                "at": "2024-01-02",
                "subject": "organisation:1",
            },
            {"kind": "debtor_refuses_to_perform", "occurred": "2026-01-01", "at": "2026-01-02"},
        ],
        "person:1",
    )
    person, org = subject("person:1")[1], subject("organisation:1")[1]
    denied = runner.invoke(
        cli, [*base, "decide", person, "air_travel", "--at", "2026-02-01", "--json"]
    )
    assert denied.exit_code == 0, denied.output
    assert json.loads(denied.output)["outcome"] == "deny"
    text = runner.invoke(cli, [*base, "decide", person, "air_travel", "--at", "2026-02-01"])
    assert text.output.startswith("deny: air_travel") and "recourse:" in text.output
    bad = runner.invoke(cli, [*base, "decide", person, "nothing"])
    assert bad.exit_code == 2 and "service" in bad.output
    listed = runner.invoke(
        cli, [*base, "lists", "dishonest_judgment_debtors", "--at", "2026-02-01"]
    )
    assert listed.exit_code == 0 and person not in listed.output and "listed" in listed.output
    names = runner.invoke(cli, [*base, "lists"])
    assert "exemplary_red_list  red" in names.output
    recorded = runner.invoke(cli, [*base, "hardship", "record", person, "--reason", "lost job"])
    assert recorded.exit_code == 0, recorded.output
    ended = runner.invoke(cli, [*base, "hardship", "end", person, "--reason", "new job"])
    assert ended.exit_code == 0, ended.output
    again = runner.invoke(cli, [*base, "hardship", "end", person, "--reason", "x"])
    assert again.exit_code == 2 and "no open hardship" in again.output
    restored = runner.invoke(cli, [*base, "restore", org, "seriously_illegal_enterprises"])
    assert restored.exit_code == 0, restored.output
    refused = runner.invoke(cli, [*base, "restore", person, "dishonest_judgment_debtors"])
    assert refused.exit_code == 2 and "no early restoration" in refused.output
