"""``/api/v1/subjects/{s}/notices``: the subject's own (or an officer's, for a purpose), logged
like every read of a file; the subject's own address for notices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.accounts import Role
from socialcredit.notices import queue_notices
from socialcredit.rights import reads_of
from tests.api.conftest import World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    found = make_world(Path(tmp_path_factory.mktemp("notices-api")))
    world = next(found)
    with world.app.state.ctx.lock:
        queue_notices(world.app.state.ctx.ledger)
    yield world
    next(found, None)


def _path(subject: tuple[str, str]) -> str:
    return f"/api/v1/subjects/{subject[1]}/notices"


def test_a_subject_reads_their_own_notices_and_the_read_is_logged(world: World) -> None:
    answer = world.client.get(_path(world.subject), headers=world.headers(Role.SUBJECT))
    assert answer.status_code == 200, answer.text
    found = {n["kind"]: n for n in answer.json()}
    assert found["dispute_deadlines"]["content"]["dispute"] == world.own_dispute
    assert found["dispute_deadlines"]["status"] == "pending"
    ctx = world.app.state.ctx
    with ctx.lock:
        last = reads_of(ctx.ledger, world.subject)[-1]
    assert (last.reader, last.purpose) == (world.account(Role.SUBJECT), "subject_access")


def test_someone_elses_notices_are_refused_to_a_subject(world: World) -> None:
    answer = world.client.get(_path(world.other), headers=world.headers(Role.SUBJECT))
    assert answer.status_code == 403
    assert set(answer.json()) == {"code", "message", "details"}


def test_an_officer_reads_them_for_a_purpose(world: World) -> None:
    answer = world.client.get(
        _path(world.other) + "?purpose=dispute_handling", headers=world.headers(Role.OFFICER)
    )
    assert answer.status_code == 200
    assert "dispute_deadlines" in {n["kind"] for n in answer.json()}
    refused = world.client.get(_path(world.other), headers=world.headers(Role.SERVICE_POINT))
    assert refused.status_code == 403


def test_a_subject_registers_and_erases_their_address(world: World) -> None:
    url = _path(world.subject) + "/contact"
    headers = world.headers(Role.SUBJECT)
    bad = world.client.request(
        "PUT", url, headers=headers, json={"address": "nope", "language": "en"}
    )
    assert bad.status_code == 422
    assert bad.json()["details"]["problems"][0]["field"] == "address"
    good = world.client.request("PUT", url, headers=headers, json={"address": "me@mail.example"})
    assert good.status_code == 200 and good.json() == {
        "address": "me@mail.example",
        "language": "zh-CN",
    }
    other = world.client.request("PUT", _path(world.other) + "/contact", headers=headers,
                             json={"address": "me@mail.example"})  # fmt: skip
    assert other.status_code == 403
    assert world.client.request("DELETE", url, headers=headers).json() == {"erased": True}
    ctx = world.app.state.ctx
    assert b"me@mail.example" not in b"".join(raw for _, raw in ctx.ledger.raw_entries())
