"""Identity: accounts have stable unique ids, names are validated and unique per role, and every
"who did this" field (and the rule that another officer decides an appeal) uses the id.

The measured attack: an appeal-officer key named exactly like the officer who decided the
dispute. Names are not identities, so the rule must compare account ids: a different account
with the same name decides the appeal; the same account under any role may not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.accounts import AccountStore, Role
from socialcredit.errors import ValidationError
from socialcredit.rights import open_dispute
from tests.api.conftest import World, _file, make_world

# (name, why it is refused)
BAD_NAMES = [
    ("", "empty"),
    (" officer-1", "leading space"),
    ("officer-1 ", "trailing space"),
    ("officer 1", "inner space"),
    ("officer-1\n", "newline"),
    ("officer-1\u200b", "zero-width space"),
    ("-officer", "starts with a separator"),
    ("o" * 60, "too long"),
    ("officer/1", "slash"),
]


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[AccountStore]:
    store = AccountStore(tmp_path / "a.db")
    yield store
    store.close()


@pytest.mark.parametrize(("name", "why"), BAD_NAMES, ids=[why for _, why in BAD_NAMES])
def test_bad_names_are_refused_for_keys_and_users(
    accounts: AccountStore, name: str, why: str
) -> None:
    with pytest.raises(ValidationError) as key:
        accounts.create_api_key(Role.OFFICER, name)
    assert key.value.problems[0].field == "name"
    with pytest.raises(ValidationError) as user:
        accounts.create_user(name, "long enough pw", Role.OFFICER)
    assert user.value.problems[0].field == "username"
    assert accounts.accounts() == []


def test_names_are_unique_per_role_across_keys_and_users(accounts: AccountStore) -> None:
    accounts.create_api_key(Role.OFFICER, "li")
    with pytest.raises(ValidationError, match="unique per role"):
        accounts.create_api_key(Role.OFFICER, "li")
    with pytest.raises(ValidationError, match="unique per role"):
        accounts.create_user("li", "long enough pw", Role.OFFICER)
    accounts.create_api_key(Role.APPEAL_OFFICER, "li")  # another role: a different account
    assert len(accounts.accounts()) == 2


def test_account_ids_are_stable_and_distinct(accounts: AccountStore) -> None:
    first = accounts.create_api_key(Role.OFFICER, "li")
    second = accounts.create_api_key(Role.APPEAL_OFFICER, "li")
    accounts.create_user("wang", "long enough pw", Role.OFFICER)
    one, two = accounts.authenticate_key(first), accounts.authenticate_key(second)
    assert one is not None and two is not None
    assert one.name == two.name and one.account != two.account
    assert one.account == f"key:{first.split('_')[1]}"
    session = accounts.session(accounts.login("wang", "long enough pw"))
    assert session is not None and session.principal.account == "user:wang"
    listed = {a.account for a in accounts.accounts()}
    assert listed == {one.account, two.account, "user:wang"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("identity"))


def _decide(world: World, key: str, path: str, outcome: str) -> tuple[int, dict]:
    response = world.client.post(
        path,
        headers={"Authorization": f"Bearer {key}"},
        json={"outcome": outcome, "reason": "checked the court's file"},
    )
    return response.status_code, response.json()


def _new_dispute(world: World) -> str:
    ctx = world.app.state.ctx
    with ctx.lock:
        position = _file(ctx.ledger, world.subject)
        return open_dispute(ctx.ledger, position, "not mine")


def _appealed(world: World, decider: str) -> str:
    dispute = _new_dispute(world)
    status, body = _decide(world, decider, f"/api/v1/disputes/{dispute}/decision", "upheld")
    assert status == 201, body
    appealed = world.client.post(
        f"/api/v1/disputes/{dispute}/appeal",
        headers=world.headers(Role.SUBJECT),
        json={"text": "the court's file names someone else"},
    )
    assert appealed.status_code == 201, appealed.text
    return dispute


def test_a_same_named_account_is_another_officer(world: World) -> None:
    officer = world.keys[Role.OFFICER]
    namesake = world.accounts.create_api_key(Role.APPEAL_OFFICER, "test-officer")
    dispute = _appealed(world, officer)
    status, body = _decide(world, namesake, f"/api/v1/disputes/{dispute}/appeal/decision",
                           "confirmed")  # fmt: skip
    assert status == 201, body
    ctx = world.app.state.ctx
    with ctx.lock:
        entries = [e for e in ctx.ledger.entries(0) if e.data.get("dispute") == dispute]
    by = {e.type: e.data.get("by") for e in entries}
    officer_account = world.accounts.authenticate_key(officer)
    namesake_account = world.accounts.authenticate_key(namesake)
    assert officer_account is not None and namesake_account is not None
    assert by["DisputeDecided"] == officer_account.account
    assert by["AppealDecided"] == namesake_account.account


def test_the_same_account_may_not_decide_the_appeal(world: World) -> None:
    admin = world.keys[Role.ADMIN]
    dispute = _appealed(world, admin)
    status, body = _decide(world, admin, f"/api/v1/disputes/{dispute}/appeal/decision",
                           "confirmed")  # fmt: skip
    assert status == 422, body
    assert "another officer" in str(body)


def test_a_source_may_not_touch_another_sources_record(world: World) -> None:
    other = "creditor_under_contract:other-bank"
    key = world.accounts.create_api_key(
        Role.SOURCE, other, allowed_kinds=["loan_default"], authority="creditor_under_contract"
    )
    for action in ("correction", "withdrawal"):
        body = {"text": "mine now"} if action == "withdrawal" else {
            "changes": {"amount": 1}, "reason": "mine now"}  # fmt: skip
        response = world.client.post(
            f"/api/v1/records/{world.own_position}/{action}",
            headers={"Authorization": f"Bearer {key}"},
            json=body,
        )
        assert response.status_code == 403, response.text
        assert "another source" in response.text
