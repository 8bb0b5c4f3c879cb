"""Accounts: the CLI that manages them, sessions that expire, the demo logins."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from socialcredit.accounts import AccountStore, Role, seed_demo_accounts
from socialcredit.cli import cli
from socialcredit.errors import ValidationError
from socialcredit.settings import Settings


def test_account_commands_add_and_list_without_secrets(tmp_path: Path) -> None:
    runner = CliRunner()
    store = ["--store", f"sqlite:///{tmp_path / 'x.db'}"]
    for bad, field in ((["court-1", "--authority", "court"], "name"), (["court:1"], "authority")):
        refused = runner.invoke(cli, [*store, "account", "add-key", "source", *bad])
        assert refused.exit_code == 2 and field in refused.output, refused.output
    made = runner.invoke(cli, [*store, "account", "add-key", "source",
                               "creditor_under_contract:bank-1",
                               "--authority", "creditor_under_contract",
                               "--kind", "loan_default"])  # fmt: skip
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    assert key.startswith("sck_")
    user = runner.invoke(cli, [*store, "account", "add-user", "ann", "officer",
                               "--password", "long enough pw"])  # fmt: skip
    assert user.exit_code == 0, user.output
    listed = runner.invoke(cli, [*store, "account", "list", "--json"])
    accounts = orjson.loads(listed.output)
    assert {(a["kind"], a["role"]) for a in accounts} == {
        ("api_key", "source"),
        ("user", "officer"),
    }
    assert key not in listed.output
    assert accounts[0]["allowed_kinds"] == ["loan_default"]
    assert accounts[0]["authority"] == "creditor_under_contract"
    refused = runner.invoke(cli, [*store, "account", "add-key", "subject", "me"])
    assert refused.exit_code == 2 and "subject" in refused.output
    path = Settings(store=store[1]).accounts_path()
    assert path == tmp_path / "x.db.accounts.db" and path.exists()


def test_sessions_expire(tmp_path: Path) -> None:
    now = [1_000_000.0]
    accounts = AccountStore(tmp_path / "a.db", clock=lambda: now[0])
    accounts.create_user("ann", "long enough pw", Role.AUDITOR)
    session = accounts.login("ann", "long enough pw")
    assert accounts.session(session) is not None
    now[0] += 9 * 3600
    assert accounts.session(session) is None
    accounts.close()


def test_demo_accounts_one_login_per_role(tmp_path: Path) -> None:
    accounts = AccountStore(tmp_path / "a.db")
    subject = ("person", "110101196001010003")
    logins = seed_demo_accounts(accounts, [("organisation", "x"), subject])
    assert {login.role for login in logins} == set(Role) - {Role.PUBLIC}
    for login in logins:
        session = accounts.session(accounts.login(login.username, login.password))
        assert session is not None and session.principal.role is login.role
    own = next(login for login in logins if login.role is Role.SUBJECT)
    assert own.subject == subject
    assert seed_demo_accounts(AccountStore(tmp_path / "b.db"), [subject]) == logins  # seeded
    with pytest.raises(ValidationError):
        seed_demo_accounts(accounts, [subject])
    accounts.close()
