"""The account use cases of the application object, over a real account store beside a real
ledger: a login opens a session the store knows, a logout ends it; a key is made once, listed
without its secret, rotated (the old one stops working) and revoked; a bad key names the
field and nothing is made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.accounts import Role
from socialcredit.errors import AuthenticationError, NotFoundError, ValidationError
from socialcredit.settings import Settings
from socialcredit.system import System
from tests.records_factory import person


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'accounts.db'}")
    with System.create(settings, "test/accounts") as opened:
        yield opened


def test_a_login_opens_a_session_and_a_logout_ends_it(system: System) -> None:
    me = ("person", person(1))
    system.accounts.create_user("wang", "a long password", Role.SUBJECT, subject=me)
    with pytest.raises(AuthenticationError):
        system.login("wang", "the wrong password")
    session = system.login("wang", "a long password")
    assert session.principal.subject == me and session.principal.account == "user:wang"
    known = system.accounts.session(session.id)
    assert known is not None and known.csrf == session.csrf
    system.logout(session.id)
    assert system.accounts.session(session.id) is None
    system.logout(session.id)  # again: nothing to end, no error


def test_a_key_is_made_listed_rotated_and_revoked(system: System) -> None:
    made = system.create_api_key(
        "source", "court:system-made", allowed_kinds=["debtor_refuses_to_perform"]
    )
    assert made.role is Role.SOURCE and made.name == "court:system-made"
    assert system.accounts.authenticate_key(made.key) is not None
    (listed,) = [a for a in system.account_list() if a.id == made.id]
    assert listed.name == made.name and made.key not in str(listed.to_json())
    rotated = system.rotate_api_key(made.id)
    assert (rotated.role, rotated.name) == (made.role, made.name) and rotated.id != made.id
    assert system.accounts.authenticate_key(made.key) is None
    system.revoke_api_key(rotated.id)
    assert system.accounts.authenticate_key(rotated.key) is None
    with pytest.raises(NotFoundError):
        system.rotate_api_key(rotated.id)
    with pytest.raises(NotFoundError):
        system.revoke_api_key("0" * 16)


def test_a_bad_key_names_the_field_and_nothing_is_made(system: System) -> None:
    before = system.account_list()
    with pytest.raises(ValidationError) as subjectless:
        system.create_api_key(Role.SUBJECT, "someone")
    assert [p.field for p in subjectless.value.problems] == ["subject"]
    with pytest.raises(ValidationError) as public:
        system.create_api_key("public", "anyone")
    assert [p.field for p in public.value.problems] == ["role"]
    assert system.account_list() == before
    assert "debtor_refuses_to_perform" in System.key_kinds()


def test_the_account_commands_need_no_ledger(tmp_path: Path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path / 'none-yet.db'}")
    made = System.add_api_key(
        settings, "source", "court:no-ledger", allowed_kinds=["debtor_refuses_to_perform"]
    )
    assert made.role is Role.SOURCE and made.name == "court:no-ledger"
    me = ("person", person(2))
    System.add_user(settings, "li", "a long password", Role.SUBJECT, subject=me)
    listed = System.list_accounts(settings)
    assert [(a.kind, a.name) for a in listed] == [("api_key", made.name), ("user", "li")]
    assert made.key not in str([a.to_json() for a in listed])
    assert not (tmp_path / "none-yet.db").exists()  # the accounts file only
    assert settings.accounts_path().exists()
    with System.create(settings, "test/accounts") as system:  # the ledger's system sees them
        assert system.accounts.authenticate_key(made.key) is not None
        assert system.login("li", "a long password").principal.subject == me


def test_a_bad_account_without_a_ledger_names_the_field_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path / 'none-yet.db'}")
    with pytest.raises(ValidationError) as wrong_authority:
        System.add_api_key(settings, "source", "court:somewhere", authority="bank")
    assert [p.field for p in wrong_authority.value.problems] == ["authority"]
    with pytest.raises(ValidationError) as short:
        System.add_user(settings, "zhao", "short", Role.OFFICER)
    assert "password" in [p.field for p in short.value.problems]
    System.add_user(settings, "zhao", "a long password", Role.OFFICER)
    with pytest.raises(ValidationError) as taken:
        System.add_user(settings, "zhao", "another long one", Role.AUDITOR)
    assert [p.field for p in taken.value.problems] == ["username"]
    assert [(a.name, a.role) for a in System.list_accounts(settings)] == [("zhao", Role.OFFICER)]
