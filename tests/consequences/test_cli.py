"""The consequence commands end to end on a real store: decide, lists, hardship, restore."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.ledger import Ledger, create_key_file
from socialcredit.policy import default_bundle
from socialcredit.storage._sqlite import SQLiteStore

from .helpers import play, subject

ASKER = ("--reader", "airline:ca")  # who asks, recorded in the DecisionMade entry


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
        cli, [*base, "decide", person, "air_travel", *ASKER, "--at", "2026-02-01", "--json"]
    )
    assert denied.exit_code == 0, denied.output
    assert json.loads(denied.output)["outcome"] == "deny"
    text = runner.invoke(cli, [*base, "decide", person, "air_travel", *ASKER, "--at", "2026-02-01"])
    assert text.output.startswith("deny: air_travel") and "recourse:" in text.output
    bad = runner.invoke(cli, [*base, "decide", person, "nothing", *ASKER])
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


DEBTOR = [{"kind": "debtor_refuses_to_perform", "occurred": "2026-01-01", "at": "2026-01-02"}]
DEBTORS = "dishonest_judgment_debtors"


def _store(tmp_path: Path, events: list[dict[str, str]]) -> list[str]:
    """A store holding ``events`` about person:1 (ledger time early 2026); its CLI options."""
    store, key = f"sqlite:///{tmp_path / 'l.db'}", str(tmp_path / "k.key")
    clock = _Clock()
    ledger = Ledger.create(SQLiteStore(tmp_path / "l.db"), create_key_file(Path(key)), "t", clock)
    play(ledger, clock, events, "person:1")
    ledger.store.close()
    return ["--store", store, "--key-file", key]


def test_decide_says_which_restriction_hardship_freezes(tmp_path: Path) -> None:
    """Issue 22, point 7: not a bare "allow"."""
    base = _store(tmp_path, [*DEBTOR, {"hardship": "record", "at": "2026-01-20"}])
    person = subject("person:1")[1]
    allowed = CliRunner().invoke(cli, [*base, "decide", person, "air_travel", *ASKER])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.output.startswith("allow: air_travel")
    assert (
        '  because restriction "No air tickets" (no_air_travel) of list dishonest_judgment_debtors'
        " (List of dishonest judgment debtors) is frozen while hardship is recorded"
        " (since 2026-01-20)" in allowed.output
    )
    as_json = json.loads(
        CliRunner().invoke(cli, [*base, "decide", person, "air_travel", *ASKER, "--json"]).output
    )
    assert [(f["measure"], f["list"], f["since"]) for f in as_json["frozen"]] == [
        ("no_air_travel", DEBTORS, "2026-01-20T00:00:00Z")
    ]


def test_help_names_the_services_and_lists_of_the_policy() -> None:
    """Issue 22, point 8: read from the default bundle, not hard-coded."""
    bundle = default_bundle()
    decide = CliRunner().invoke(cli, ["decide", "--help"]).output
    assert "Services (default policy):" in decide
    for service in bundle.measures.services:
        assert f"  {service.id} " in decide or f"  {service.id}\n" in decide, service.id
    lists = CliRunner().invoke(cli, ["lists", "--help"]).output
    assert "Lists (default policy):" in lists
    for definition in bundle.lists:
        assert f"  {definition.id} " in lists, definition.id


def test_every_json_option_of_these_commands_has_help() -> None:
    """Issue 22, point 8, for the rights, consequence and rating commands."""
    mine = ("_rights_commands", "_consequence_commands", "_rating_commands")
    checked = 0
    for command in _commands(cli):
        if getattr(command.callback, "__module__", "").rsplit(".", 1)[-1] not in mine:
            continue
        for param in command.params:
            if "--json" in getattr(param, "opts", ()):
                assert getattr(param, "help", None), command.name
                checked += 1
    assert checked == 6


def _commands(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = []
    for command in group.commands.values():
        found += _commands(command) if isinstance(command, click.Group) else [command]
    return found


def test_lists_json_without_a_list_prints_the_lists_as_json(tmp_path: Path) -> None:
    """Issue 22, point 4."""
    base = _store(tmp_path, DEBTOR)
    shown = CliRunner().invoke(cli, [*base, "lists", "--json"])
    assert shown.exit_code == 0, shown.output
    found = {d["id"]: d for d in json.loads(shown.output)}
    assert found[DEBTORS]["colour"] == "black"
    assert set(found) == {d.id for d in default_bundle().lists}


def test_an_officer_with_a_purpose_sees_identifiers_and_each_read_is_logged(
    tmp_path: Path,
) -> None:
    """Issue 22, point 3."""
    base = _store(tmp_path, DEBTOR)
    person = subject("person:1")[1]
    runner = CliRunner()
    masked = runner.invoke(cli, [*base, "lists", DEBTORS])
    assert masked.exit_code == 0 and person not in masked.output
    assert "1 subject (identifiers masked)" in masked.output
    refused = runner.invoke(cli, [*base, "lists", DEBTORS, "--unmasked"])
    assert refused.exit_code == 2 and "--purpose" in refused.output
    no_unmasking = runner.invoke(cli, [*base, "lists", DEBTORS, "--purpose", "court_enforcement"])
    assert no_unmasking.exit_code == 2 and "--unmasked" in no_unmasking.output
    officer = ["--unmasked", "--reader", "court:bj"]
    audit = runner.invoke(
        cli, [*base, "lists", DEBTORS, *officer, "--purpose", "audit_without_personal_data"]
    )
    assert audit.exit_code == 2 and "identifying data" in audit.output
    assert _reads(base, person) == []  # refusals log nothing
    shown = runner.invoke(
        cli, [*base, "lists", DEBTORS, *officer, "--purpose", "court_enforcement"]
    )
    assert shown.exit_code == 0, shown.output
    assert f"  {person}  listed from 2026-01-12 until 2031-01-11" in shown.output
    as_json = runner.invoke(
        cli, [*base, "lists", DEBTORS, *officer, "--purpose", "court_enforcement", "--json"]
    )
    (row,) = json.loads(as_json.output)
    assert row["subject"]["id"] == person
    assert _reads(base, person) == [("court:bj", "court_enforcement", "listing")] * 2
    assert row["read"] == _positions(base, person)[-1]


def _file_reads(base: list[str], person: str) -> list[dict[str, object]]:
    found = CliRunner().invoke(cli, [*base, "report", person, "--json"])
    return [r for r in json.loads(found.output)["reads"] if r["what"] == "listing"]


def _reads(base: list[str], person: str) -> list[tuple[object, object, object]]:
    return [(r["reader"], r["purpose"], r["what"]) for r in _file_reads(base, person)]


def _positions(base: list[str], person: str) -> list[object]:
    return [r["position"] for r in _file_reads(base, person)]
