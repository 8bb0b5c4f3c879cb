"""The memoranda routes over a served ledger: agencies, a signed memorandum, a list export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from socialcredit.accounts import Role
from socialcredit.agencies._memoranda import MEMORANDUM_DOMAIN, Memorandum, parse_memorandum
from socialcredit.consequences import verify_export
from socialcredit.ledger import create_key_file, public_key_text
from socialcredit.policy import sign_digest
from tests.api.conftest import World, make_world

from .test_cli import CAAC, COURT, MEMORANDUM


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("memoranda-api"))


def _signed(keys: dict[str, Any]) -> list[dict[str, str]]:
    memo, _ = parse_memorandum(MEMORANDUM)
    assert isinstance(memo, Memorandum)
    return [
        sign_digest(signer, name, memo.digest(), MEMORANDUM_DOMAIN).as_dict()
        for name, signer in keys.items()
    ]


def test_agencies_and_a_memorandum_through_the_api(world: World, tmp_path: Any) -> None:
    admin = world.headers(Role.ADMIN)
    keys = {name: create_key_file(tmp_path / f"{n}.pem") for n, name in enumerate((COURT, CAAC))}
    for name, signer in keys.items():
        body = {"name": name, "title": name, "public_key": public_key_text(signer.public_key)}
        assert world.client.post("/api/v1/agencies", json=body, headers=admin).status_code == 201
    unsigned = world.client.post(
        "/api/v1/memoranda", json={"document": MEMORANDUM, "signatures": []}, headers=admin
    )
    assert unsigned.status_code == 422
    assert any("unsigned by" in p["reason"] for p in unsigned.json()["details"]["problems"])
    signed = {"document": MEMORANDUM, "signatures": _signed(keys)}
    done = world.client.post("/api/v1/memoranda", json=signed, headers=admin)
    assert done.status_code == 201, done.text
    listed = world.client.get("/api/v1/memoranda").json()
    assert [m["id"] for m in listed] == [MEMORANDUM["id"]] and listed[0]["in_force"]
    one = world.client.get(f"/api/v1/memoranda/{MEMORANDUM['id']}").json()
    assert one["parties"] == [COURT, CAAC]
    assert world.client.get("/api/v1/memoranda/nothing-here").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_list_export_checks_offline(world: World, fmt: str) -> None:
    response = world.client.get(
        "/api/v1/lists/dishonest_judgment_debtors/export",
        params={"format": fmt},
        headers=world.headers(Role.SERVICE_POINT),
    )
    assert response.status_code == 200, response.text
    ctx = world.app.state.ctx
    check = verify_export(response.content, public_key_text(ctx.ledger.signer.public_key))
    assert check.ok, check.problems


def test_the_portal_lists_the_memoranda_in_force_in_both_languages(world: World) -> None:
    """Runs after the memorandum above was recorded (tests of a module run in order)."""
    english = world.client.get("/memoranda", params={"lang": "en"})
    assert english.status_code == 200
    assert MEMORANDUM["title"] in english.text and 'href="/memoranda"' in english.text
    assert "Applied by" in english.text
    world.client.client.cookies.clear()
    chinese = world.client.get("/memoranda", params={"lang": "zh-CN"})
    assert chinese.status_code == 200
    assert "联合奖惩备忘录" in chinese.text and "实施机关" in chinese.text
    assert "Applied by" not in chinese.text
    world.client.client.cookies.clear()
