"""Every route, every role: allowed or denied exactly as the table below says (deny by default).

The table is the access policy of the API. A route missing from it fails the test, so a new
route cannot ship without a decision about who may call it.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from socialcredit.accounts import Role
from socialcredit.policy import default_bundle
from tests.api.conftest import PASSWORD, SOURCE_KINDS, World

ALL = frozenset(Role)
A, SRC, OFF, APP, SP, SUB, AUD = (
    Role.ADMIN, Role.SOURCE, Role.OFFICER, Role.APPEAL_OFFICER, Role.SERVICE_POINT,
    Role.SUBJECT, Role.AUDITOR,
)  # fmt: skip
READERS = {A, OFF, APP, SUB}
LEDGER = {A, AUD, OFF, APP, SUB}

# (method, path) -> roles admitted. Everyone else: 401 when anonymous, 403 otherwise.
TABLE: dict[tuple[str, str], set[Role] | frozenset[Role]] = {
    ("GET", "/api/v1/health"): ALL,
    ("GET", "/api/v1/me"): ALL,
    ("POST", "/api/v1/auth/login"): ALL,
    ("POST", "/api/v1/auth/logout"): ALL,
    ("GET", "/api/v1/accounts"): {A},
    ("POST", "/api/v1/accounts/keys"): {A},
    ("POST", "/api/v1/accounts/keys/{key_id}/rotate"): {A},
    ("POST", "/api/v1/accounts/keys/{key_id}/revoke"): {A},
    ("POST", "/api/v1/records"): {A, SRC},
    ("POST", "/api/v1/records/bulk"): {A, SRC},
    ("POST", "/api/v1/records/file"): {A, SRC},
    ("GET", "/api/v1/records/{position}"): READERS,
    ("GET", "/api/v1/subjects/{subject}/records"): READERS,
    ("GET", "/api/v1/subjects/{subject}/score"): READERS,
    ("GET", "/api/v1/subjects/{subject}/explanation"): READERS,
    ("GET", "/api/v1/subjects/{subject}/history"): READERS,
    ("GET", "/api/v1/ledger"): LEDGER,
    ("GET", "/api/v1/ledger/checkpoints/latest"): LEDGER,
    ("GET", "/api/v1/ledger/checkpoints/{size}"): LEDGER,
    ("GET", "/api/v1/ledger/proofs/inclusion/{position}"): LEDGER,
    ("GET", "/api/v1/ledger/proofs/consistency"): LEDGER,
    ("POST", "/api/v1/ledger/verify"): {A, AUD},
    ("GET", "/api/v1/ledger/cosigned"): ALL,
    ("GET", "/api/v1/policy/bundles"): ALL,
    ("POST", "/api/v1/policy/bundles"): {A},
    ("GET", "/api/v1/policy/bundles/{revision}"): ALL,
    ("GET", "/api/v1/policy/in-force"): ALL,
    ("GET", "/api/v1/policy/diff"): ALL,
    ("POST", "/api/v1/policy/check"): {A},
    ("GET", "/api/v1/organisations/{uscc}"): ALL,
    ("POST", "/api/v1/decisions"): {A, OFF, SP},
    ("GET", "/api/v1/lists"): ALL,
    ("GET", "/api/v1/lists/{list_id}"): ALL,
    ("GET", "/api/v1/lists/{list_id}/export"): {A, OFF, SP},
    ("POST", "/api/v1/agencies"): {A},
    ("POST", "/api/v1/agencies/{name}/keys"): {A},
    ("GET", "/api/v1/memoranda"): ALL,
    ("POST", "/api/v1/memoranda"): {A},
    ("GET", "/api/v1/memoranda/{memo_id}"): ALL,
    ("POST", "/api/v1/memoranda/{memo_id}/end"): {A},
    ("GET", "/api/v1/subjects/{subject}/consequences"): READERS,
    ("GET", "/api/v1/subjects/{subject}/notices"): READERS,
    ("PUT", "/api/v1/subjects/{subject}/notices/contact"): {SUB},
    ("DELETE", "/api/v1/subjects/{subject}/notices/contact"): {SUB},
    ("POST", "/api/v1/subjects/{subject}/hardship"): {A, OFF},
    ("POST", "/api/v1/subjects/{subject}/hardship/end"): {A, OFF},
    ("POST", "/api/v1/subjects/{subject}/restoration"): {A, OFF, SUB},
    ("POST", "/api/v1/organisations/{uscc}/representative"): {A, OFF},
    ("GET", "/api/v1/purposes"): ALL,
    ("GET", "/api/v1/subjects/{subject}/report"): READERS,
    ("GET", "/api/v1/subjects/{subject}/export"): READERS,
    ("GET", "/api/v1/subjects/{subject}/reads"): READERS,
    ("GET", "/api/v1/subjects/{subject}/disputes"): READERS,
    ("POST", "/api/v1/disputes"): {A, OFF, SUB},
    ("GET", "/api/v1/disputes/queue"): {A, OFF, APP},
    ("GET", "/api/v1/disputes/{dispute_id}"): READERS,
    ("POST", "/api/v1/disputes/{dispute_id}/acknowledge"): {A, OFF},
    ("POST", "/api/v1/disputes/{dispute_id}/evidence"): {A, OFF, SUB},
    ("POST", "/api/v1/disputes/{dispute_id}/decision"): {A, OFF},
    ("POST", "/api/v1/disputes/{dispute_id}/appeal"): {A, SUB},
    ("POST", "/api/v1/disputes/{dispute_id}/appeal/decision"): {A, APP},
    ("POST", "/api/v1/records/{position}/statement"): {SUB},
    ("POST", "/api/v1/records/{position}/correction"): {A, SRC},
    ("POST", "/api/v1/records/{position}/withdrawal"): {A, SRC},
    ("POST", "/api/v1/records/{position}/recertification"): {A, SRC},
    # A source issues tokens only if its authority kind files interaction records (tax,
    # payment: tests/ratings/test_issuance.py); this world's source is a bank, so it gets 403.
    ("POST", "/api/v1/ratings/tokens"): {SUB},
    ("POST", "/api/v1/ratings/interactions"): set(),
    ("POST", "/api/v1/ratings"): {A, SUB},
    ("POST", "/api/v1/ratings/{position}/reply"): {A, SRC, SUB},
    ("POST", "/api/v1/ratings/{position}/dispute"): {A, SRC, SUB},
    ("GET", "/api/v1/ratings/{ratee}"): ALL,
    ("GET", "/api/v1/records/{position}/repair"): READERS,
    ("POST", "/api/v1/repairs"): {A, OFF, SUB},
    ("GET", "/api/v1/repairs/queue"): {A, OFF, APP},
    ("GET", "/api/v1/repairs/{repair_id}"): READERS,
    ("POST", "/api/v1/repairs/{repair_id}/decision"): {A, OFF},
    ("POST", "/api/v1/repairs/{repair_id}/appeal"): {A, SUB},
    ("POST", "/api/v1/repairs/{repair_id}/appeal/decision"): {A, APP},
}
# Routes where a subject may act on their own file only (someone else's: 403).
PERSONAL = {path for _, path in TABLE if "{subject}" in path or "{dispute_id}" in path} | {
    "/api/v1/records/{position}",
    "/api/v1/ledger/proofs/inclusion/{position}",
    "/api/v1/records/{position}/statement",
    "/api/v1/records/{position}/repair",
}
# Routes over packages built alongside the API (consequences, rights, ratings): in the table,
# and skipped rather than failed while a package is absent.
CORE = {
    path for _, path in TABLE
    if path.split("/")[3] in {"health", "me", "auth", "accounts", "ledger", "policy"}
    or path in {"/api/v1/records", "/api/v1/records/bulk", "/api/v1/records/file",
                "/api/v1/records/{position}",
                "/api/v1/organisations/{uscc}"}
    or (path.startswith("/api/v1/subjects/{subject}/") and path.rsplit("/", 1)[1] in {
        "records", "score", "explanation", "history"})
}  # fmt: skip


def _record(world: World) -> dict[str, Any]:
    return {
        "subject_id": world.subject[1],
        "subject_kind": world.subject[0],
        "kind": sorted(SOURCE_KINDS)[0],
        "occurred_at": "2025-06-01T00:00:00Z",
        "source": "bank:test",
        "amount": "1200",
    }


def _bodies(world: World) -> dict[str, Any]:
    files = {name: raw.decode() for name, raw in default_bundle().files.items()}
    return {
        "/api/v1/auth/login": {"username": "walker", "password": PASSWORD},
        "/api/v1/accounts/keys": {"role": "auditor", "name": "made-by-walk"},
        "/api/v1/records": _record(world),
        "/api/v1/records/bulk": {"records": [_record(world)]},
        "/api/v1/policy/bundles": {"files": files},
        "/api/v1/policy/check": {"files": files},
        "/api/v1/decisions": {"subject": world.subject[1], "service": "air_travel"},
        "/api/v1/subjects/{subject}/hardship": {"reason": "cannot pay"},
        "/api/v1/subjects/{subject}/notices/contact": {"address": "walker@example.org"},
        "/api/v1/subjects/{subject}/hardship/end": {"reason": "paid"},
        "/api/v1/subjects/{subject}/restoration": {
            "list": "dishonest_judgment_debtors", "reason": "performed",
        },
        "/api/v1/organisations/{uscc}/representative": {"since": "2026-01-01"},
        "/api/v1/disputes": {"target": world.own_position, "grounds": "not mine"},
        "/api/v1/disputes/{dispute_id}/evidence": {"text": "a receipt"},
        "/api/v1/disputes/{dispute_id}/decision": {"outcome": "upheld", "reason": "checked"},
        "/api/v1/disputes/{dispute_id}/appeal": {"text": "please look again"},
        "/api/v1/disputes/{dispute_id}/appeal/decision": {
            "outcome": "confirmed", "reason": "checked again",
        },
        "/api/v1/records/{position}/statement": {"text": "I paid in March."},
        "/api/v1/agencies": {"name": "court:walk", "title": "Walk", "public_key": "AAAA"},
        "/api/v1/memoranda": {"document": {"id": "walk"}, "signatures": []},
        "/api/v1/agencies/{name}/keys": {"public_key": "AAAA", "signature": "AAAA"},
        "/api/v1/memoranda/{memo_id}/end": {
            "agency": "court:walk", "reason": "walk", "public_key": "AAAA", "signature": "AAAA",
        },
        "/api/v1/repairs": {"record": world.own_position, "grounds": "performed"},
        "/api/v1/repairs/{repair_id}/decision": {"outcome": "refused", "reason": "checked"},
        "/api/v1/repairs/{repair_id}/appeal": {"text": "please look again"},
        "/api/v1/repairs/{repair_id}/appeal/decision": {"outcome": "confirmed", "reason": "ok"},
        "/api/v1/records/{position}/correction": {"changes": {"amount": 950}, "reason": "typo"},
        "/api/v1/records/{position}/withdrawal": {"text": "filed in error"},
        "/api/v1/records/{position}/recertification": {"text": "contract on file"},
        "/api/v1/ratings/tokens": {
            "issuer": f"{world.subject[1]}:doctor", "rater": world.other[1],
            "ratee": f"{world.subject[1]}:doctor", "interaction": "visit-1",
        },
        "/api/v1/ratings/interactions": {
            "buyer": world.subject[1], "seller": world.organisation, "reference": "inv-1",
        },
        "/api/v1/ratings": {
            "token": "rt_0.secret", "ratee": world.organisation, "stars": {"overall": 5},
        },
        "/api/v1/ratings/{position}/reply": {
            "ratee": f"{world.subject[1]}:doctor", "text": "thank you",
        },
        "/api/v1/ratings/{position}/dispute": {
            "ratee": f"{world.subject[1]}:doctor", "text": "never met",
        },
    }  # fmt: skip


QUERIES = {
    "/api/v1/subjects/{subject}/history": {"from": "2025-01-01", "to": "2025-06-01"},
    "/api/v1/ledger/proofs/consistency": {"old": 0},
    "/api/v1/policy/diff": {"old": 1, "new": 1},
}


def _url(world: World, path: str, subject: tuple[str, str], position: int, own: bool) -> str:
    return (
        path.replace("{subject}", subject[1])
        .replace("{position}", str(position))
        .replace("{size}", "0")
        .replace("{revision}", "1")
        .replace("{uscc}", world.organisation)
        .replace("{list_id}", "dishonest_judgment_debtors")
        .replace("{dispute_id}", world.own_dispute if own else world.other_dispute)
        .replace("{ratee}", world.organisation)
        .replace("{repair_id}", "R1-1")  # no such application: 404 for those admitted
        .replace("{memo_id}", "no-such-memorandum")  # 404 for those admitted
        .replace("{name}", "court:no-such-agency")  # 422 for those admitted
        .replace("{key_id}", "0" * 16)  # no such key: the walk never revokes a real one
    )


def _call(world: World, role: Role, method: str, path: str, *, own: bool = True) -> int:
    subject, position = (
        (world.subject, world.own_position) if own else (world.other, world.other_position)
    )
    world.client.client.cookies.clear()  # a login in the walk must not leak into the next call
    upload = path == "/api/v1/records/file"
    response = world.client.request(
        method,
        _url(world, path, subject, position, own),
        headers=world.headers(role),
        params=QUERIES.get(path),
        json=_bodies(world).get(path) if method in ("POST", "PUT") and not upload else None,
        files={"file": ("records.jsonl", orjson.dumps(_record(world)))} if upload else None,
    )
    assert response.status_code < 500, (role, method, path, response.text)
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"code", "message", "details"}, body
    return response.status_code


def _served(world: World) -> set[tuple[str, str]]:
    spec = world.client.get("/api/v1/openapi.json").json()
    return {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}


def test_the_table_covers_every_served_route(world: World) -> None:
    served = _served(world)
    assert served - set(TABLE) == set(), "routes without an access decision"
    missing = {key for key in set(TABLE) - served if key[1] in CORE}
    assert missing == set(), "routes in the table that are not served"


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_route_admits_exactly_its_roles(world: World, role: Role) -> None:
    served = _served(world)
    wrong = []
    for (method, path), admitted in TABLE.items():
        if (method, path) not in served:
            continue
        status = _call(world, role, method, path)
        if role in admitted:
            ok = status not in (401, 403)
        else:
            ok = status == (401 if role is Role.PUBLIC else 403)
        if not ok:
            wrong.append((method, path, status))
    assert wrong == []


def test_a_subject_sees_only_their_own_file(world: World) -> None:
    served = _served(world)
    for (method, path), admitted in TABLE.items():
        if Role.SUBJECT not in admitted or path not in PERSONAL or (method, path) not in served:
            continue
        assert _call(world, Role.SUBJECT, method, path, own=False) == 403, path
        for other in sorted(admitted - {Role.SUBJECT})[:1]:  # the same call is fine for them
            assert _call(world, other, method, path, own=False) not in (401, 403), path


def test_an_auditor_gets_hashes_not_entries(world: World) -> None:
    path = f"/api/v1/ledger/proofs/inclusion/{world.own_position}"
    audited = world.client.get(path, headers=world.headers(Role.AUDITOR)).json()
    full = world.client.get(path, headers=world.headers(Role.SUBJECT)).json()
    assert "entry" not in audited and audited["leaf_hash"] == full["leaf_hash"]
    assert world.subject[1] not in str(audited)
    assert world.subject[1] in __import__("base64").b64decode(full["entry"]).decode()
