"""Filing records over HTTP: one, many with refusals, idempotency, and the effect on scores;
a source key files as itself (the issue's measured attack: a fare-evasion key naming the Supreme
People's Court as its source got 201; it must get 422 and write nothing)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from socialcredit.accounts import Role
from socialcredit.errors import ValidationError
from tests.api.conftest import SOURCE, World

METRO = "transport_operator:beijing-metro"


def _record(world: World, **changes: Any) -> dict[str, Any]:
    """A record as an admin files it: it names its source."""
    row = {
        "subject_id": world.other[1],
        "subject_kind": "person",
        "kind": "tax_arrears",
        "occurred_at": "2026-06-01T00:00:00Z",
        "source": "tax_authority:bureau-3",
        "amount": "5000",
    }
    return {**row, **changes}


def _own(world: World, **changes: Any) -> dict[str, Any]:
    """A record as the test's source key (a bank) files it: no source, its own kind."""
    row = _record(world, kind="loan_default", evidence="LN-2026-000001")
    del row["source"]
    return {k: v for k, v in {**row, **changes}.items() if v is not None}


def _size(world: World) -> int:
    return int(world.app.state.ctx.ledger.size())


def _key(world: World, name: str, authority: str, *kinds: str) -> dict[str, str]:
    """A fresh key for source ``name`` (its earlier key revoked first: names are unique)."""
    for account in world.accounts.accounts():
        if account.kind == "api_key" and account.name == name:
            world.accounts.revoke_key(account.id)
    key = world.accounts.create_api_key(Role.SOURCE, name, allowed_kinds=kinds, authority=authority)
    return {"Authorization": f"Bearer {key}"}


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
    row = _own(world, idempotency_key="bank-2026-0001")
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
        json=_record(world, kind="loan_default", amount="90000", source=SOURCE),
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
    rows = [_own(world), _own(world, kind="traffic_violation")]
    response = world.client.post(
        "/api/v1/records/bulk", json={"records": rows}, headers=world.headers(Role.SOURCE)
    )
    assert response.status_code == 403
    assert response.json()["details"]["rows"] == [{"row": 2, "kind": "traffic_violation"}]
    after = world.client.get("/api/v1/ledger", headers=world.headers(Role.AUDITOR)).json()
    assert after["size"] == size


def test_an_uploaded_file_is_ingested_with_its_refusals(world: World) -> None:
    lines = [_own(world), _own(world, occurred_at="yesterday"), _own(world)]
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


def test_the_measured_attack_a_fare_key_filing_as_the_supreme_court_is_422(
    world: World,
) -> None:
    headers = _key(world, METRO, "transport_operator", "fare_evasion")
    size = _size(world)
    attack = _record(world, kind="fare_evasion", source="court:supreme-peoples-court", amount="3")
    response = world.client.post("/api/v1/records", json=attack, headers=headers)
    assert response.status_code == 422, response.text
    problems = response.json()["details"]["problems"]
    assert [p["field"] for p in problems] == ["source"]
    assert "filed as 'transport_operator:beijing-metro'" in problems[0]["reason"]
    bulk = world.client.post("/api/v1/records/bulk", json={"records": [attack]}, headers=headers)
    assert bulk.status_code == 200 and bulk.json()["accepted"] == 0
    assert bulk.json()["refused_rows"][0]["problems"][0]["field"] == "source"
    assert _size(world) == size


def test_a_source_filing_a_kind_outside_its_authority_is_422_even_if_granted(
    world: World,
) -> None:
    """A key wrongly granted a court kind still cannot file it: its authority kind decides."""
    headers = _key(world, METRO, "transport_operator", "fare_evasion", "debtor_refuses_to_perform")
    size = _size(world)
    row = _record(world, kind="debtor_refuses_to_perform", amount=None, evidence="E1234567890")
    del row["source"], row["amount"]
    response = world.client.post("/api/v1/records", json=row, headers=headers)
    assert response.status_code == 422, response.text
    problems = response.json()["details"]["problems"]
    assert [p["field"] for p in problems] == ["kind"]
    assert "established only by court" in problems[0]["reason"]
    assert _size(world) == size


def test_a_source_files_under_its_own_name(world: World) -> None:
    headers = world.headers(Role.SOURCE)
    for row in (_own(world), _own(world, source=SOURCE)):
        response = world.client.post("/api/v1/records", json=row, headers=headers)
        assert response.status_code == 201, response.text
        entry = world.app.state.ctx.ledger.entry(response.json()["position"])
        assert entry.data["source"] == SOURCE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"evidence": "religion catholic; location 39.9,116.4"}, "evidence"),
        ({"evidence": "13812345678"}, "evidence"),
        ({"evidence": "(2024)京0105执1234号"}, "evidence"),
        ({"source": "creditor_under_contract:another-bank"}, "source"),
    ],
)
def test_what_a_source_may_not_smuggle_is_422(
    world: World, changes: dict[str, str], field: str
) -> None:
    size = _size(world)
    response = world.client.post(
        "/api/v1/records", json=_own(world, **changes), headers=world.headers(Role.SOURCE)
    )
    assert response.status_code == 422, response.text
    assert [p["field"] for p in response.json()["details"]["problems"]] == [field]
    assert _size(world) == size


def test_a_sources_bulk_and_upload_refuse_only_the_rows_naming_another_source(
    world: World,
) -> None:
    headers = world.headers(Role.SOURCE)
    other = _own(world, source="court:supreme-peoples-court")
    rows = [_own(world), other, _own(world, source=SOURCE)]
    bulk = world.client.post("/api/v1/records/bulk", json={"records": rows}, headers=headers)
    assert bulk.status_code == 200, bulk.text
    assert (bulk.json()["accepted"], bulk.json()["refused"]) == (2, 1)
    assert bulk.json()["refused_rows"][0]["row"] == 2
    header = "subject_id,subject_kind,kind,occurred_at,amount,evidence\n"
    line = f"{world.other[1]},person,loan_default,2026-06-02,700,LN-2026-000002\n"
    upload = world.client.post(
        "/api/v1/records/file",
        files={"file": ("batch.csv", (header + line).encode())},
        headers=headers,
    )
    assert upload.status_code == 200, upload.text
    assert (upload.json()["accepted"], upload.json()["refused"]) == (1, 0)
    last = world.app.state.ctx.ledger.entry(upload.json()["last_position"])
    assert last.data["source"] == SOURCE


def test_a_source_account_without_an_authority_kind_may_not_file(world: World) -> None:
    """Keys made before sources were registered carry a bare name: they are refused, 403."""
    key = world.accounts.create_api_key(
        Role.SOURCE, "creditor_under_contract:legacy", allowed_kinds=["loan_default"]
    )
    world.accounts._execute(
        "UPDATE api_keys SET name = ? WHERE id = ?", ("railway-feed", key.split("_", 2)[1])
    )
    size = _size(world)
    response = world.client.post(
        "/api/v1/records", json=_own(world), headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 403, response.text
    assert _size(world) == size


def test_a_source_account_is_a_registrable_source(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.accounts.create_api_key(Role.SOURCE, "railway-feed", authority="transport_operator")
    assert [p.field for p in caught.value.problems] == ["name"]
    with pytest.raises(ValidationError) as caught:
        world.accounts.create_api_key(Role.SOURCE, METRO, authority="court")
    assert [p.field for p in caught.value.problems] == ["authority"]
    with pytest.raises(ValidationError):
        world.accounts.create_api_key(Role.OFFICER, "officer-2", authority="court")
