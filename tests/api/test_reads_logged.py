"""Every answer that shows a person's data was logged as a read of that person's file.

Walks every served route (from the app's own OpenAPI document, so a new route is walked too)
as every role, on the fixture ledger, and checks: if the answer holds a person's personal data
(their identifier unmasked, an entry about them, or one of their disputes), the same call
wrote a ``FileRead`` for that person. A decision (``POST /decisions``) is an enquiry instead:
it writes a ``DecisionMade`` entry naming the requesting account and its purpose.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from socialcredit.accounts import Role
from socialcredit.ledger import Entry
from socialcredit.rights import disputes_of
from tests.api.conftest import World
from tests.api.test_roles import QUERIES, _bodies, _record, _served, _url

Person = tuple[str, str]

# Answers that show an identifier without reading anyone's file, and why.
NOT_A_FILE = {
    ("GET", "/api/v1/me"): "the caller's own account",
    # A write answers with what it wrote (its position, the new dispute's id): the caller
    # sent the personal data, it does not read it.
    ("POST", "/api/v1/disputes"): "the id of the dispute the caller opened",
}


def _strings(value: Any, key: str = "") -> Iterator[str]:
    """Every string in a JSON answer; an ``entry`` (an inclusion proof's bytes) decoded."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield value
        if key == "entry":
            yield _decoded(value)


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def _markers(world: World) -> dict[str, Person]:
    """What identifies a person's data in an answer: their identifier, their disputes' ids."""
    ctx = world.app.state.ctx
    with ctx.fresh_index() as index:
        people = [s for s in index.subjects() if s[0] == "person"]
    with ctx.lock:
        disputes = disputes_of(ctx.ledger)
    found: dict[str, Person] = {p[1]: p for p in people}
    for dispute in disputes:
        if dispute.subject[0] == "person":
            found[f'"{dispute.id}"'] = dispute.subject
    return found


def _shown(text: str, markers: dict[str, Person]) -> set[Person]:
    return {person for marker, person in markers.items() if marker in text}


def _written(world: World, start: int) -> list[Entry]:
    ctx = world.app.state.ctx
    _size(world)  # flushes the decisions
    with ctx.lock:
        return list(ctx.ledger.entries(start))


def _read_of(entries: list[Entry]) -> set[Person]:
    return {
        (e.data["subject"]["kind"], e.data["subject"]["id"])
        for e in entries
        if e.type == "FileRead"
    }


def _size(world: World) -> int:
    ctx = world.app.state.ctx
    if ctx.decisions is not None:
        ctx.decisions.flush()  # decisions are written by the group-commit writer
    with ctx.lock:
        return int(ctx.ledger.size())


def _answer(world: World, role: Role, method: str, path: str) -> tuple[int, str]:
    world.client.client.cookies.clear()
    upload = path == "/api/v1/records/file"
    response = world.client.request(
        method,
        _url(world, path, world.subject, world.own_position, own=True),
        headers=world.headers(role),
        params=QUERIES.get(path),
        json=_bodies(world).get(path) if method == "POST" and not upload else None,
        files={"file": ("records.jsonl", orjson.dumps(_record(world)))} if upload else None,
    )
    if response.status_code >= 300 or not response.content:
        return response.status_code, ""
    try:
        text = "\n".join(_strings(response.json()))
    except ValueError:
        text = response.text
    return response.status_code, text


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_answer_with_personal_data_was_logged(world: World, role: Role) -> None:
    unlogged = []
    for method, path in sorted(_served(world)):
        if (method, path) in NOT_A_FILE or path == "/api/v1/decisions":
            continue
        markers = _markers(world)
        start = _size(world)
        status, text = _answer(world, role, method, path)
        shown = _shown(text, markers)
        missing = shown - _read_of(_written(world, start))
        if missing:
            unlogged.append((method, path, status, sorted(missing)))
    assert unlogged == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.SERVICE_POINT])
def test_a_decision_names_who_asked_and_why(world: World, role: Role) -> None:
    start = _size(world)
    body = {"subject": world.subject[1], "service": "air_travel"}
    asked = world.client.post("/api/v1/decisions", json=body, headers=world.headers(role))
    assert asked.status_code == 200, asked.text
    (made,) = [e for e in _written(world, start) if e.type == "DecisionMade"]
    assert made.data["requested_by"] == world.account(role)
    assert made.data["purpose"] == "service_decision:air_travel"
    mine = world.client.get(
        f"/api/v1/subjects/{world.subject[1]}/report", headers=world.headers(Role.SUBJECT)
    ).json()
    enquiry = mine["enquiries"][-1]
    assert (enquiry["requested_by"], enquiry["service"], enquiry["position"]) == (
        world.account(role),
        "air_travel",
        made.position,
    )
    assert enquiry["outcome"] == made.data["outcome"]


def test_a_decision_may_name_a_whitelisted_purpose_only(world: World) -> None:
    body = {"subject": world.subject[1], "service": "air_travel"}
    headers = world.headers(Role.OFFICER)
    named = {**body, "purpose": "credit_decision_with_consent"}
    start = _size(world)
    assert world.client.post("/api/v1/decisions", json=named, headers=headers).status_code == 200
    (made,) = [e for e in _written(world, start) if e.type == "DecisionMade"]
    assert made.data["purpose"] == "credit_decision_with_consent"
    bad = {**body, "purpose": "curiosity"}
    assert world.client.post("/api/v1/decisions", json=bad, headers=headers).status_code == 422


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.APPEAL_OFFICER])
def test_an_inclusion_proof_carries_the_entry_only_for_a_purpose(world: World, role: Role) -> None:
    path = f"/api/v1/ledger/proofs/inclusion/{world.own_position}"
    start = _size(world)
    bare = world.client.get(path, headers=world.headers(role)).json()
    assert "entry" not in bare and bare["leaf_hash"]
    assert _read_of(_written(world, start)) == set()
    start = _size(world)
    full = world.client.get(
        path, params={"purpose": "court_enforcement"}, headers=world.headers(role)
    ).json()
    assert world.subject[1] in base64.b64decode(full["entry"]).decode()
    (read,) = [e for e in _written(world, start) if e.type == "FileRead"]
    assert read.data["reader"] == world.account(role)
    assert (read.data["purpose"], read.data["what"]) == ("court_enforcement", "entry")
    hashes = world.client.get(
        path, params={"purpose": "audit_without_personal_data"}, headers=world.headers(role)
    ).json()
    assert "entry" not in hashes


def test_the_subjects_own_proof_is_logged_as_the_subject(world: World) -> None:
    path = f"/api/v1/ledger/proofs/inclusion/{world.own_position}"
    start = _size(world)
    assert "entry" in world.client.get(path, headers=world.headers(Role.SUBJECT)).json()
    (read,) = [e for e in _written(world, start) if e.type == "FileRead"]
    assert (read.data["reader"], read.data["purpose"]) == (
        world.account(Role.SUBJECT),
        "subject_access",
    )
