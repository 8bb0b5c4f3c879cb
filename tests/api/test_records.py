"""Filing records over HTTP: one, many with refusals, idempotency, and the effect on scores."""

from __future__ import annotations

from typing import Any

import orjson

from socialcredit.api import Role
from tests.api.conftest import World


def _record(world: World, **changes: Any) -> dict[str, Any]:
    row = {
        "subject_id": world.other[1],
        "subject_kind": "person",
        "kind": "tax_arrears",
        "occurred_at": "2026-06-01T00:00:00Z",
        "source": "tax:bureau-3",
        "amount": "5000",
    }
    return {**row, **changes}


def test_bulk_files_the_good_rows_and_lists_each_refused_one(world: World) -> None:
    rows = [_record(world), _record(world, kind="no_such_kind"), _record(world, amount=None)]
    response = world.client.post(
        "/api/v1/records/bulk", json={"records": rows}, headers=world.headers(Role.ADMIN)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 1 and body["refused"] == 2
    refused = {r["row"]: {p["field"] for p in r["problems"]} for r in body["refused_rows"]}
    assert refused == {2: {"kind"}, 3: {"amount"}}


def test_an_idempotency_key_files_once(world: World) -> None:
    row = _record(world, idempotency_key="tax-2026-0001")
    first = world.client.post("/api/v1/records", json=row, headers=world.headers(Role.SOURCE))
    again = world.client.post("/api/v1/records", json=row, headers=world.headers(Role.SOURCE))
    assert first.status_code == again.status_code == 201
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert again.json()["position"] == first.json()["position"]


def test_a_filed_record_counts_as_known_now_but_not_as_known_before(world: World) -> None:
    headers = world.headers(Role.OFFICER)
    url = f"/api/v1/subjects/{world.other[1]}/score"
    before = world.client.get(url, headers=headers).json()
    filed = world.client.post(
        "/api/v1/records",
        json=_record(world, kind="loan_default", amount="90000"),
        headers=world.headers(Role.ADMIN),
    )
    assert filed.status_code == 201
    now = world.client.get(url, headers=headers).json()
    then = world.client.get(
        url, params={"known_at": before["as_of"], "as_of": before["as_of"]}, headers=headers
    ).json()
    positions = {c["position"] for c in now["contributions"]}
    assert filed.json()["position"] in positions
    assert filed.json()["position"] not in {c["position"] for c in then["contributions"]}


def test_a_source_filing_a_kind_it_may_not_is_refused_whole(world: World) -> None:
    size = world.client.get("/api/v1/ledger", headers=world.headers(Role.AUDITOR)).json()["size"]
    rows = [_record(world), _record(world, kind="traffic_violation")]
    response = world.client.post(
        "/api/v1/records/bulk", json={"records": rows}, headers=world.headers(Role.SOURCE)
    )
    assert response.status_code == 403
    assert response.json()["details"]["rows"] == [{"row": 2, "kind": "traffic_violation"}]
    after = world.client.get("/api/v1/ledger", headers=world.headers(Role.AUDITOR)).json()
    assert after["size"] == size


def test_an_uploaded_file_is_ingested_with_its_refusals(world: World) -> None:
    lines = [_record(world), _record(world, occurred_at="yesterday"), _record(world)]
    data = b"\n".join(orjson.dumps(line) for line in lines) + b"\n"
    response = world.client.post(
        "/api/v1/records/file",
        files={"file": ("batch.jsonl", data)},
        headers=world.headers(Role.SOURCE),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["accepted"], body["refused"]) == (3, 2, 1)
    assert body["refused_rows"][0]["row"] == 2
    assert body["refused_rows"][0]["problems"][0]["field"] == "occurred_at"


def test_an_unreadable_upload_is_422(world: World) -> None:
    for name in ("batch.txt", "batch.parquet"):
        response = world.client.post(
            "/api/v1/records/file",
            files={"file": (name, b"not a table")},
            headers=world.headers(Role.ADMIN),
        )
        assert response.status_code == 422, (name, response.text)
        assert response.json()["details"]["problems"][0]["field"] == "file"


def test_an_upload_whose_header_lacks_a_record_field_is_refused_whole(world: World) -> None:
    size = world.app.state.ctx.ledger.size()
    response = world.client.post(
        "/api/v1/records/file",
        files={"file": ("batch.csv", b"subj,kind\n110101199003077777,loan_default\n")},
        headers=world.headers(Role.SOURCE),
    )
    assert response.status_code == 422, response.text
    fields = {p["field"] for p in response.json()["details"]["problems"]}
    assert {"subject_id", "subj"} <= fields
    assert world.app.state.ctx.ledger.size() == size
