"""Ending a memorandum and rotating an agency's key through the command line and the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from socialcredit.accounts import Role
from socialcredit.agencies import memorandum, sign_ending, sign_rotation
from socialcredit.cli import cli
from socialcredit.ledger import Signer, create_key_file, public_key_text
from tests.api.conftest import World, make_world

from .test_api import _signed
from .test_cli import CAAC, COURT, MEMORANDUM

MEMO_ID = MEMORANDUM["id"]


def test_cli_rotates_a_key_and_ends_a_memorandum(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'l.db'}"
    base = ["--store", store, "--key-file", str(tmp_path / "ledger.key")]
    run = CliRunner().invoke
    assert run(cli, [*base, "init"]).exit_code == 0
    pems = {COURT: tmp_path / "court.pem", CAAC: tmp_path / "caac.pem"}
    for name, pem in pems.items():
        done = run(cli, [*base, "memorandum", "register-agency", name, "--title", name,
                         "--key", str(pem)])  # fmt: skip
        assert done.exit_code == 0, done.output
    memo = tmp_path / "memo.yaml"
    memo.write_text(yaml.safe_dump(MEMORANDUM))
    for name, pem in pems.items():
        signed = run(cli, [*base, "memorandum", "sign", str(memo), "--key", str(pem),
                           "--agency", name])  # fmt: skip
        assert signed.exit_code == 0, signed.output
    assert run(cli, [*base, "memorandum", "propose", str(memo)]).exit_code == 0

    new = tmp_path / "court-2026.pem"
    rotated = run(cli, [*base, "memorandum", "rotate-key", COURT, "--key", str(pems[COURT]),
                        "--new-key", str(new), "--json"])  # fmt: skip
    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.output)["public_key"] == public_key_text(
        Signer.from_key_file(new).public_key
    )
    shown = json.loads(run(cli, [*base, "memorandum", "show", MEMO_ID, "--json"]).output)
    assert shown["signatures_verify"] is True and shown["ended"] is None

    end = [*base, "memorandum", "end", MEMO_ID, "--agency", COURT, "--reason", "superseded"]
    stale = run(cli, [*end, "--key", str(pems[COURT])])
    assert stale.exit_code == 2 and "public_key" in stale.output and "key in force" in stale.output
    done = run(cli, [*end, "--key", str(new)])
    assert done.exit_code == 0 and f"ended memorandum {MEMO_ID}" in done.output, done.output
    listed = run(cli, [*base, "memorandum", "list"])
    assert "no memorandum in force" in listed.output
    text = run(cli, [*base, "memorandum", "show", MEMO_ID]).output
    assert f"ended {shown['recorded'][:4]}" in text and f"by {COURT}" in text
    assert "every signature verifies under the key its agency held then" in text
    again = run(cli, [*end, "--key", str(new)])
    assert again.exit_code == 2 and "ended already" in again.output


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("memoranda-lifecycle-api"))


def test_api_rotates_a_key_and_ends_a_memorandum(world: World, tmp_path: Any) -> None:
    admin = world.headers(Role.ADMIN)
    keys = {name: create_key_file(tmp_path / f"{n}.pem") for n, name in enumerate((COURT, CAAC))}
    for name, signer in keys.items():
        body = {"name": name, "title": name, "public_key": public_key_text(signer.public_key)}
        assert world.client.post("/api/v1/agencies", json=body, headers=admin).status_code == 201
    signed = {"document": MEMORANDUM, "signatures": _signed(keys)}
    assert world.client.post("/api/v1/memoranda", json=signed, headers=admin).status_code == 201

    new = create_key_file(tmp_path / "court-2026.pem")
    new_key = public_key_text(new.public_key)
    rotation = {"public_key": new_key, "signature": sign_rotation(keys[COURT], COURT, new_key)}
    forged = {**rotation, "signature": sign_rotation(new, COURT, new_key)}
    path = f"/api/v1/agencies/{COURT}/keys"
    refused = world.client.post(path, json=forged, headers=admin)
    assert refused.status_code == 422
    assert [p["field"] for p in refused.json()["details"]["problems"]] == ["signature"]
    done = world.client.post(path, json=rotation, headers=admin)
    assert done.status_code == 201 and done.json()["public_key"] == new_key

    ctx = world.app.state.ctx
    with ctx.lock:
        recorded = memorandum(ctx.ledger, MEMO_ID)
    ending = sign_ending(new, COURT, recorded, "superseded by the 2026 memorandum")
    body = {"agency": COURT, "reason": "superseded by the 2026 memorandum",
            "public_key": ending.public_key, "signature": ending.signature}  # fmt: skip
    ended = world.client.post(f"/api/v1/memoranda/{MEMO_ID}/end", json=body, headers=admin)
    assert ended.status_code == 201, ended.text
    assert ended.json()["ended"]["agency"] == COURT
    assert world.client.get("/api/v1/memoranda").json() == []  # no longer in force
    everything = world.client.get("/api/v1/memoranda", params={"all": "true"}).json()
    assert everything[0]["ended"]["reason"] == "superseded by the 2026 memorandum"
    assert world.client.post("/api/v1/memoranda/nothing-here/end", json=body,
                             headers=admin).status_code == 404  # fmt: skip
