"""Credit repair over the HTTP API: a subject applies for their own penalty, an officer
refuses naming the unmet conditions, the subject appeals, another officer decides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socialcredit.accounts import Role
from socialcredit.catalogue import default_catalogue
from socialcredit.ingest import BatchAck, ingest_rows
from tests.api.conftest import World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("repair-api"))


def _penalty(world: World, subject: tuple[str, str]) -> int:
    row = {
        "subject_id": subject[1],
        "subject_kind": subject[0],
        "kind": "administrative_penalty_serious",
        "occurred_at": "2026-01-05T00:00:00Z",
        "evidence": "京市监罚〔2026〕56号",
        "source": "market_regulator:beijing",
    }
    acks: list[BatchAck] = []
    ctx = world.app.state.ctx
    with ctx.lock:
        ingest_rows(ctx.ledger, default_catalogue(), [(1, row)], on_batch=acks.append)
    return acks[0].results[0].position


def test_apply_refuse_appeal_over_the_api(world: World) -> None:
    own, other = _penalty(world, world.subject), _penalty(world, world.other)
    client, subject = world.client, world.headers(Role.SUBJECT)
    seen = client.get(f"/api/v1/records/{own}/repair", headers=subject).json()
    assert {c["name"]: c["met"] for c in seen["conditions"]} == {
        "performed": False, "publicity_period": False, "commitment": False, "training": False,
    }  # fmt: skip
    mine = {"record": other, "grounds": "performed"}
    assert client.post("/api/v1/repairs", json=mine, headers=subject).status_code == 403
    applied = client.post("/api/v1/repairs", json={**mine, "record": own}, headers=subject)
    assert applied.status_code == 201, applied.text
    repair_id = applied.json()["id"]
    officer = world.headers(Role.OFFICER)
    grant = {"outcome": "granted", "reason": "looks fine"}
    refused = client.post(f"/api/v1/repairs/{repair_id}/decision", json=grant, headers=officer)
    assert refused.status_code == 422
    assert {p["field"] for p in refused.json()["details"]["problems"]} == {
        "conditions.performed", "conditions.publicity_period", "conditions.commitment",
        "conditions.training",
    }  # fmt: skip
    no = {"outcome": "refused", "reason": "conditions unmet"}
    assert client.post(f"/api/v1/repairs/{repair_id}/decision", json=no, headers=officer).is_success
    appeal = {"text": "please look again"}
    url = f"/api/v1/repairs/{repair_id}/appeal"
    assert client.post(url, json=appeal, headers=subject).status_code == 201
    queue = client.get("/api/v1/repairs/queue", headers=world.headers(Role.APPEAL_OFFICER))
    assert [i["action"] for i in queue.json()] == ["decide-appeal"]
    confirm = {"outcome": "confirmed", "reason": "still unmet"}
    decided = client.post(
        f"{url}/decision", json=confirm, headers=world.headers(Role.APPEAL_OFFICER)
    )
    assert decided.status_code == 201, decided.text
    state = client.get(f"/api/v1/repairs/{repair_id}", headers=subject).json()
    assert state["state"] == "appeal-confirmed" and state["unmet"][0] == "performed"
