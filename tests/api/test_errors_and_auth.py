"""One error shape for every error; API keys, sessions, CSRF and rate limits."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from socialcredit.accounts import SESSION_COOKIE, RateLimit, Role
from socialcredit.api._errors import error_response
from socialcredit.errors import LedgerOverloadedError, NotFoundError
from tests.api.conftest import PASSWORD, World, make_world


def _shape(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"code", "message", "details"}
    return body  # type: ignore[no-any-return]


def test_unknown_route_and_method_have_the_error_shape(world: World) -> None:
    missing = world.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and _shape(missing)["code"] == "not_found"
    wrong = world.client.request("DELETE", "/api/v1/health")
    assert wrong.status_code == 405 and _shape(wrong)["code"] == "method_not_allowed"


def test_malformed_json_is_422_naming_the_problem(world: World) -> None:
    response = world.client.post(
        "/api/v1/records", content=b"{not json", headers={
            **world.headers(Role.ADMIN), "content-type": "application/json"
        },
    )  # fmt: skip
    assert response.status_code == 422
    body = _shape(response)
    assert body["code"] == "invalid" and body["details"]["problems"]  # type: ignore[index]


def test_a_refused_record_lists_every_problem_with_its_field(world: World) -> None:
    record = {"subject_id": "nobody", "subject_kind": "person", "kind": "loan_default",
              "occurred_at": "2025-01-01", "source": "bank"}  # fmt: skip
    response = world.client.post("/api/v1/records", json=record, headers=world.headers(Role.ADMIN))
    assert response.status_code == 422
    body = _shape(response)
    fields = {p["field"] for p in body["details"]["problems"]}  # type: ignore[index]
    assert body["code"] == "record_refused" and {"subject_id", "amount"} <= fields


def test_bad_query_values_are_422_not_500(world: World) -> None:
    url = f"/api/v1/subjects/{world.subject[1]}/score"
    for params in ({"as_of": "yesterday"}, {"as_of": "2025-01-01T00:00:00"}):
        response = world.client.get(url, params=params, headers=world.headers(Role.ADMIN))
        assert response.status_code == 422, params
        assert _shape(response)["details"]["problems"][0]["field"] == "as_of"  # type: ignore[index]
    bad_subject = world.client.get("/api/v1/subjects/123/score", headers=world.headers(Role.ADMIN))
    assert bad_subject.status_code == 422


def test_library_errors_map_to_status_and_retry_after() -> None:
    overloaded = error_response(LedgerOverloadedError("busy", retry_after=2.5))
    assert overloaded.status_code == 503 and overloaded.headers["retry-after"] == "3"
    assert orjson.loads(overloaded.body)["code"] == "ledger_overloaded"
    assert error_response(NotFoundError("gone")).status_code == 404


def test_unknown_or_malformed_keys_are_401(world: World) -> None:
    for header in ("Bearer sck_0000_nope", "Basic abc", "Bearer "):
        response = world.client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"
        assert _shape(response)["code"] == "unauthenticated"


def test_keys_and_passwords_are_stored_hashed(world: World) -> None:
    raw = b"".join(
        str(row).encode()
        for table in ("api_keys", "users")
        for row in sqlite3.connect(world.accounts.path).execute(f"SELECT * FROM {table}")
    )
    for key in world.keys.values():
        assert key.encode() not in raw and key.split("_", 2)[2].encode() not in raw
    assert PASSWORD.encode() not in raw


def test_a_revoked_key_is_refused(tmp_path: Path) -> None:
    world = next(worlds := make_world(tmp_path))
    key = world.accounts.create_api_key(Role.AUDITOR, "short-lived")
    headers = {"Authorization": f"Bearer {key}"}
    assert world.client.get("/api/v1/ledger", headers=headers).status_code == 200
    world.accounts.revoke_key(key.split("_", 2)[1])
    assert world.client.get("/api/v1/ledger", headers=headers).status_code == 401
    _finish(worlds)


def _finish(worlds: Iterator[World]) -> None:
    for _ in worlds:
        pass


def test_login_sets_a_safe_cookie_and_unsafe_requests_need_the_csrf_token(world: World) -> None:
    client = world.client
    client.client.cookies.clear()
    wrong = client.post("/api/v1/auth/login", json={"username": "walker", "password": "nope!!!!"})
    assert wrong.status_code == 401
    login = client.post("/api/v1/auth/login", json={"username": "walker", "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert SESSION_COOKIE in cookie and "httponly" in cookie and "samesite=lax" in cookie
    token = login.json()["csrf_token"]
    assert client.get("/api/v1/me").json()["role"] == "officer"
    body = {"subject": world.subject[1], "service": "air_travel"}
    refused = client.post("/api/v1/decisions", json=body)
    assert refused.status_code == 403 and _shape(refused)["code"] == "csrf"
    form = client.post("/api/v1/auth/logout", data={"csrf_token": "wrong"})
    assert form.status_code == 403
    accepted = client.post("/api/v1/decisions", json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200
    out = client.post("/api/v1/auth/logout", data={"csrf_token": token})
    assert out.status_code == 200
    assert client.get("/api/v1/me").json()["role"] == "public"
    client.client.cookies.clear()


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[World]:
    yield from make_world(tmp_path, RateLimit(per_second=1.0, burst=3.0))


def test_rate_limit_per_key_gives_429_with_retry_after(limited: World) -> None:
    headers = limited.headers(Role.AUDITOR)
    statuses = [limited.client.get("/api/v1/ledger", headers=headers).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    response = limited.client.get("/api/v1/ledger", headers=headers)
    assert int(response.headers["retry-after"]) >= 1 and _shape(response)["code"] == "rate_limited"
    other = limited.client.get("/api/v1/ledger", headers=limited.headers(Role.ADMIN))
    assert other.status_code == 200  # buckets are per key
