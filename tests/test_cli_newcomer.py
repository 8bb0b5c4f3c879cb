"""The newcomer's path through the command line (issue 22): what a first session runs into."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from socialcredit.cli import cli
from socialcredit.cli._main import by_grade
from socialcredit.errors import ValidationError
from socialcredit.ingest._readers import check_header
from socialcredit.policy import GRADES
from socialcredit.simulation import shipped_scenarios

from .records_factory import FIELDS, organisation, person, valid_rows, write_csv

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "socialcredit" / "policy" / "default"
NO_ENV = {"SOCIALCREDIT_STORE": None, "SOCIALCREDIT_KEY_FILE": None}
SUBJECT = person(1)
ORGANISATION = organisation(1)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=NO_ENV)


@pytest.fixture
def store(tmp_path: Path) -> str:
    """The URL of an initialised ledger (created with --store after the command)."""
    url = f"sqlite:///{tmp_path / 'n.db'}"
    created = invoke("init", "--store", url)
    assert created.exit_code == 0, created.output
    return url


#: A person's file is read for a purpose, and the read is logged.
READ = ("--purpose", "subject_access")


def ingested(store: str, tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    done = invoke("--store", store, "ingest", str(write_csv(tmp_path / "r.csv", rows)), "--json")
    assert done.exit_code == 0, done.output


# -- 1. a read command never creates a store --------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["explain", SUBJECT],
        ["score", SUBJECT],
        ["history", SUBJECT, "--from", "2025-01-01"],
        ["rescore"],
        ["verify"],
        ["policy", "list"],
        ["prove", "0"],
        ["checkpoint"],
        ["consistency", "0"],
        ["migrate"],
        ["export", "--to", "out.parquet"],
    ],
)
def test_a_read_command_without_a_ledger_exits_2_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "no ledger at sqlite:///socialcredit.db" in result.stderr
    assert "socialcredit init" in result.stderr and "--store" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_import_from_a_missing_store_creates_nothing(store: str, tmp_path: Path) -> None:
    result = invoke("--store", store, "import", "--from", f"sqlite:///{tmp_path / 'none.db'}")
    assert result.exit_code == 2 and "--from" in result.stderr
    assert not (tmp_path / "none.db").exists()


# -- 2. --store and --key-file before or after the command ------------------------------------


def test_store_is_accepted_after_the_command_even_in_nested_groups(
    store: str, tmp_path: Path
) -> None:
    assert invoke("verify", "--store", store).exit_code == 0
    assert invoke("policy", "list", "--store", store).exit_code == 0
    assert invoke("policy", "--store", store, "list").exit_code == 0
    assert invoke("--store", store, "verify").exit_code == 0


def test_the_store_after_the_command_wins(store: str, tmp_path: Path) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert invoke("--store", elsewhere, "verify", "--store", store).exit_code == 0
    assert invoke("--store", store, "verify", "--store", elsewhere).exit_code == 2
    assert not (tmp_path / "elsewhere.db").exists()


def test_key_file_is_accepted_after_the_command(tmp_path: Path) -> None:
    url, key = f"sqlite:///{tmp_path / 'k.db'}", str(tmp_path / "signing.pem")
    assert invoke("init", "--store", url, "--key-file", key).exit_code == 0
    assert Path(key).exists() and not (tmp_path / "k.db.key").exists()
    signed = invoke("checkpoint", "--new", "--store", url, "--key-file", key)
    assert signed.exit_code == 0, signed.output
    assert invoke("--store", url, "checkpoint", "--new").exit_code == 2  # default key: none


# -- 3. policy list on a fresh store ------------------------------------------------------------


def test_policy_list_says_the_built_in_default_is_in_force(store: str) -> None:
    listed = invoke("--store", store, "policy", "list")
    assert listed.exit_code == 0
    expected = "no bundle published; the built-in default policy (revision 1) is in force"
    assert listed.stdout.strip() == expected
    # An organisation: a read of a person's file is logged, and then the ledger is not empty.
    organisation = invoke("--store", store, "score", ORGANISATION, *READ).stdout
    assert "policy revision 1" in organisation
    assert invoke("--store", store, "policy", "publish", str(DEFAULT_POLICY)).exit_code == 0
    published = invoke("--store", store, "policy", "list").stdout.splitlines()
    assert len(published) == 1 and published[0].startswith("revision 1 ")


# -- 4. explain prints the top reasons in words -------------------------------------------------


def test_explain_prints_the_top_reasons_in_words(store: str, tmp_path: Path) -> None:
    rows = valid_rows(200)
    for row in rows:
        row["occurred_at"] = "2025-06-01T08:00:00Z"
    ingested(store, tmp_path, rows)
    found = None
    for subject in dict.fromkeys(r["subject_id"] for r in rows):
        explained = json.loads(invoke("--store", store, "explain", subject, *READ, "--json").stdout)
        if explained["top_reasons"]:
            found = subject, explained
            break
    assert found is not None
    subject, explained = found
    reasons = {c["position"]: c["reason"] for c in explained["contributions"]}
    text = invoke("--store", store, "explain", subject, *READ).stdout
    lines = text.split("top reasons:\n", 1)[1].splitlines()
    for rank, position in enumerate(explained["top_reasons"], 1):
        assert lines[rank - 1] == f"  {rank}. {reasons[position]} (entry {position})"


def test_explain_says_when_nothing_counts_against(store: str) -> None:
    text = invoke("--store", store, "explain", SUBJECT, *READ).stdout
    assert "top reasons: none" in text


# -- 5. history refuses a backward range --------------------------------------------------------


def test_history_refuses_to_before_from(store: str) -> None:
    backward = invoke(
        "--store", store, "history", SUBJECT, "--from", "2026-01-01", "--to", "2025-01-01"
    )
    assert backward.exit_code == 2
    assert "--to: " in backward.stderr and "before --from" in backward.stderr
    one_day = ["--from", "2025-01-01", "--to", "2025-01-01", "--json"]
    point = invoke("--store", store, "history", SUBJECT, *READ, *one_day)
    assert point.exit_code == 0 and len(json.loads(point.stdout)) == 1
    zero = invoke("--store", store, "history", SUBJECT, "--from", "2025-01-01", "--every-days", "0")
    assert zero.exit_code == 2 and "--every-days" in zero.output


# -- 6. ingest refuses a wrong header whole -----------------------------------------------------


def ledger_size(store: str) -> int:
    return int(json.loads(invoke("--store", store, "verify", "--json").stdout)["size"])


def test_ingest_refuses_a_wrong_csv_header_with_exit_2_and_writes_nothing(
    store: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"subj,kind\n{SUBJECT},fare_evasion\n")
    result = invoke("--store", store, "ingest", str(bad))
    assert result.exit_code == 2, result.output
    for column in ("subject_id", "subject_kind", "occurred_at", "source", "subj"):
        assert column in result.stderr
    missing = result.stderr.split("lacks the columns ", 1)[1].split(" and ", 1)[0]
    assert missing.split(", ") == ["subject_id", "subject_kind", "occurred_at", "source"]
    assert ledger_size(store) == 0
    assert not Path(f"{bad}.rejects.jsonl").exists()


def test_ingest_refuses_a_wrong_parquet_schema(store: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"subject": [SUBJECT], "kind": ["fare_evasion"]}), path)
    result = invoke("--store", store, "ingest", str(path))
    assert result.exit_code == 2 and "subject_id" in result.stderr and "subject" in result.stderr
    assert ledger_size(store) == 0


def test_ingest_with_some_rows_refused_still_exits_0(store: str, tmp_path: Path) -> None:
    rows = valid_rows(10)
    rows[3]["kind"] = "no_such_kind"
    source = write_csv(tmp_path / "r.csv", rows)
    result = invoke("--store", store, "ingest", str(source), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["refused"] == 1
    assert Path(f"{source}.rejects.jsonl").exists()


def test_check_header_names_missing_and_unknown_columns(tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text(",".join([*FIELDS, "religion"]) + "\n")
    check_header(extra)  # every required field: the extra column is refused row by row
    check_header(tmp_path / "any.jsonl")  # no header to check
    (tmp_path / "empty.csv").write_text("")
    check_header(tmp_path / "empty.csv")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("subj,kind,amount\n")
    with pytest.raises(ValidationError) as caught:
        check_header(wrong)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["subject_id", "subject_kind", "occurred_at", "source", "subj"]


# -- 7. grades best first -----------------------------------------------------------------------


def test_by_grade_orders_best_first() -> None:
    counts = {"A": 1, "B": 2, "AAA": 3, "D": 4, "AA": 5}
    assert [grade for grade, _ in by_grade(counts)] == ["AAA", "AA", "A", "B", "D"]


def test_rescore_prints_grades_best_first(store: str, tmp_path: Path) -> None:
    rows = valid_rows(400)
    recently = f"{datetime.now(UTC) - timedelta(days=10):%Y-%m-%dT%H:%M:%SZ}"
    for row in rows:
        row["occurred_at"] = recently
    ingested(store, tmp_path, rows)
    text = invoke("--store", store, "rescore").stdout
    printed = [line.split()[0] for line in text.splitlines()[1:]]
    assert {"A", "AA"} <= set(printed) or {"A", "AAA"} <= set(printed)  # alphabetical differs
    assert printed == [grade for grade in GRADES if grade in printed]


# -- 8. help ------------------------------------------------------------------------------------


def test_simulate_help_lists_the_shipped_scenarios() -> None:
    shown = invoke("simulate", "--help").stdout
    assert "Shipped scenarios:" in shown
    for name in shipped_scenarios():
        assert f"  {name} " in shown, name


def _commands(group: click.Group, path: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{path}{name} ")
        else:
            found.append((f"{path}{name}", command))
    return found


def test_every_json_option_has_help() -> None:
    checked = 0
    for name, command in _commands(cli):
        for param in command.params:
            if "--json" in getattr(param, "opts", ()):
                assert getattr(param, "help", None), name
                checked += 1
    assert checked >= 15


# -- 9. demo refuses to replace an earlier demo -------------------------------------------------


def test_demo_refuses_to_replace_an_earlier_demo_unless_forced(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    directory.mkdir()
    (directory / "socialcredit.db").write_bytes(b"an earlier demo")
    small = ["--residents", "40", "--organisations", "4", "--no-serve"]
    refused = invoke("demo", "--dir", str(directory), *small)
    assert refused.exit_code == 2
    assert "socialcredit.db" in refused.stderr and "--force" in refused.stderr
    assert (directory / "socialcredit.db").read_bytes() == b"an earlier demo"
    forced = invoke("demo", "--dir", str(directory), *small, "--force")
    assert forced.exit_code == 0, forced.output
    assert "verify      ok" in forced.stdout


def test_demo_refuses_a_directory_holding_anything_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    refused = invoke("demo", "--dir", str(tmp_path), "--no-serve")
    assert refused.exit_code == 2 and "1 files or folders" in refused.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"
