"""Credit repair in the portal, in Chinese: the subject's "apply for credit repair" link and
page, the officer's queue and decision, the appeal to another officer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.accounts import AccountStore, DemoLogin, seed_demo_accounts
from socialcredit.catalogue import default_catalogue
from socialcredit.ingest import ingest_rows
from socialcredit.policy import default_bundle, publish
from socialcredit.server import create_app
from socialcredit.service import init_ledger
from socialcredit.settings import Settings
from tests.api.client import SyncClient
from tests.repair.helpers import DECISION
from tests.rights.helpers import ALICE
from tests.web.test_languages import english_runs

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[tuple[SyncClient, dict[str, DemoLogin], int]]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'web.db'}")
    ledger = init_ledger(settings, origin="test/repair-web")
    publish(ledger, default_bundle())
    rows = [
        {"kind": "administrative_penalty_serious", "evidence": DECISION},
        {"kind": "loan_default", "amount": "900",
         "source": "creditor_under_contract:example-commercial-bank"},
    ]  # fmt: skip
    for row in rows:
        row = {"subject_kind": ALICE[0], "subject_id": ALICE[1],
               "occurred_at": "2026-01-05T00:00:00Z", "source": "market_regulator:beijing",
               **row}  # fmt: skip
        assert ingest_rows(ledger, default_catalogue(), [(1, row)]).accepted == 1
    penalty = ledger.size() - 2
    ledger.store.close()
    accounts = AccountStore(settings.accounts_path())
    logins = {x.role.value: x for x in seed_demo_accounts(accounts, [ALICE])}
    with SyncClient(create_app(settings, accounts=accounts)) as client:
        yield client, logins, penalty
    accounts.close()


def _token(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _login(client: SyncClient, login: DemoLogin) -> None:
    client.client.cookies.clear()
    token = _token(client.get("/login", headers=ZH).text)
    form = {"username": login.username, "password": login.password, "csrf_token": token}
    assert client.post("/login", data=form, headers=ZH).status_code == 303


def _page(client: SyncClient, path: str) -> str:
    page = client.get(path, headers=ZH)
    assert page.status_code == 200, (path, page.text)
    assert english_runs(page.text) == [], (path, english_runs(page.text))
    return page.text


def test_apply_refuse_and_appeal_in_the_portal(
    portal: tuple[SyncClient, dict[str, DemoLogin], int],
) -> None:
    client, logins, penalty = portal
    _login(client, logins["subject"])
    me = _page(client, "/me")
    assert f'href="/me/repair/{penalty}"' in me and f'href="/me/repair/{penalty + 1}"' not in me
    page = _page(client, f"/me/repair/{penalty}")
    assert page.count("✗") == 4 and "申请信用修复" in page
    applied = client.post(f"/me/repair/{penalty}", headers=ZH,
                          data={"grounds": "罚款已缴", "csrf_token": _token(page)})  # fmt: skip
    assert applied.status_code == 303
    _login(client, logins["officer"])
    queue = _page(client, "/officer/repairs")
    repair_id = f"R{penalty}-1"
    assert f"/officer/repairs/{repair_id}" in queue
    case = _page(client, f"/officer/repairs/{repair_id}")
    grant = {"outcome": "granted", "reason": "ok", "csrf_token": _token(case)}
    refused = client.post(f"/officer/repairs/{repair_id}/decide", data=grant, headers=ZH)
    assert refused.status_code == 422 and "conditions.training" in refused.text
    refuse = {**grant, "outcome": "refused", "reason": "条件未满足"}
    assert client.post(f"/officer/repairs/{repair_id}/decide", data=refuse).status_code == 303
    _login(client, logins["subject"])
    page = _page(client, f"/me/repair/{penalty}")
    assert "不予修复" in page and "repair-appeal-form" in page
    appeal = {"repair": repair_id, "grounds": "请复核", "csrf_token": _token(page)}
    assert client.post(f"/me/repair/{penalty}/appeal", data=appeal).status_code == 303
    _login(client, logins["appeal_officer"])
    case = _page(client, f"/officer/repairs/{repair_id}")
    confirm = {"outcome": "confirmed", "reason": "维持", "csrf_token": _token(case)}
    assert client.post(f"/officer/repairs/{repair_id}/decide", data=confirm).status_code == 303
    assert "申诉后维持不予修复" in _page(client, f"/officer/repairs/{repair_id}")
