"""The score and consequence use cases of the application object, called directly on a real
small ledger: each read of a person's file is logged before it happens, with the caller's
account and purpose; a subject may read only their own file; the answers equal the library's
own evaluation; a history is bounded on a server and not for an operator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import PermissionDeniedError, ValidationError
from socialcredit.rights import FILE_READ
from socialcredit.scoring import explain, score
from socialcredit.settings import Settings
from socialcredit.system import MAX_HISTORY_POINTS, System, operator
from tests.records_factory import valid_rows

OFFICER = Principal(Role.OFFICER, "li", account="officer:li")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'scores.db'}")
    with System.create(settings, "test/scores") as opened:
        opened.file_records(operator("admin"), valid_rows(40, seed=3))
        yield opened


def _subjects(system: System, kind: str) -> list[tuple[str, str]]:
    found = []
    for entry in system.ledger.entries():
        if entry.type == "RecordFiled" and entry.data["subject"]["kind"] == kind:
            found.append((kind, entry.data["subject"]["id"]))
    return sorted(set(found))


def _reads(system: System) -> list[dict[str, Any]]:
    return [dict(e.data) for e in system.ledger.entries() if e.type == FILE_READ]


def test_a_score_is_the_librarys_and_its_read_is_logged_first(system: System) -> None:
    person = _subjects(system, "person")[0]
    found = system.score(OFFICER, person, as_of=NOW, purpose="court_enforcement")
    assert found == score(system.ledger, *person, as_of=NOW)
    (read,) = _reads(system)
    assert read["reader"] == "officer:li" and read["purpose"] == "court_enforcement"
    assert system.explain(OFFICER, person, as_of=NOW).result == found
    assert _reads(system)[-1]["purpose"] == "dispute_handling"  # the default for an officer
    assert system.explain(OFFICER, person, as_of=NOW).to_json() == (
        explain(system.ledger, *person, as_of=NOW).to_json()
    )


def test_a_subject_reads_only_their_own_file_and_always_for_subject_access(
    system: System,
) -> None:
    mine, other = _subjects(system, "person")[:2]
    me = Principal(Role.SUBJECT, "me", subject=mine, account="user:me")
    before = len(_reads(system))
    with pytest.raises(PermissionDeniedError):
        system.score(me, other)
    with pytest.raises(PermissionDeniedError):
        system.consequences(me, other)
    assert len(_reads(system)) == before  # nothing read, nothing logged
    system.history(me, mine, start=NOW - timedelta(days=90), end=NOW, purpose="marketing")
    assert _reads(system)[-1]["purpose"] == "subject_access"


def test_an_organisations_file_is_not_personal_data_and_is_not_logged(system: System) -> None:
    organisation = _subjects(system, "organisation")[0]
    system.score(OFFICER, organisation)
    system.consequences(OFFICER, organisation)
    assert _reads(system) == []


def test_a_purpose_off_the_whitelist_is_refused_before_anything_is_read(
    system: System,
) -> None:
    person = _subjects(system, "person")[0]
    with pytest.raises(ValidationError):
        system.score(OFFICER, person, purpose="curiosity")
    assert _reads(system) == []


def test_a_history_is_each_date_as_known_then_and_bounded_only_on_a_server(
    system: System,
) -> None:
    person = _subjects(system, "person")[0]
    start = NOW - timedelta(days=MAX_HISTORY_POINTS + 1)
    with pytest.raises(ValidationError) as refused:
        system.history(OFFICER, person, start=start, end=NOW, every=timedelta(days=1))
    assert refused.value.problems[0].field == "from"
    points = system.history(
        OFFICER, person, start=start, end=NOW, every=timedelta(days=1), max_points=None
    )
    assert len(points) == MAX_HISTORY_POINTS + 2
    assert points[-1] == score(system.ledger, *person, as_of=NOW, known_at=NOW)
    with pytest.raises(ValidationError):
        system.history(OFFICER, person, start=NOW, end=NOW - timedelta(days=1))


def test_a_decision_is_the_same_from_a_command_and_from_the_serving_service(
    system: System,
) -> None:
    person = _subjects(system, "person")[0]
    size = system.ledger.size()
    once = system.decide(OFFICER, person, "air_travel", at=NOW).to_json()
    assert system.ledger.size() == size + 1  # written before it returns
    with pytest.raises(ValidationError):
        system.decide(OFFICER, person, "teleportation")
    system.start()
    try:
        served = system.decide(OFFICER, person, "air_travel", at=NOW).to_json()
    finally:
        system.close()
    assert {k: v for k, v in served.items() if k != "id"} == (
        {k: v for k, v in once.items() if k != "id"}
    )


def test_consequences_and_lists_come_from_the_policy_in_force(system: System) -> None:
    lists = system.lists()
    assert lists, "the default policy has lists"
    for definition in lists:
        assert isinstance(system.list_members(definition.id), list)
    person = _subjects(system, "person")[0]
    found = system.consequences(OFFICER, person)
    assert found.to_json()["subject"]["id"] == person[1]
