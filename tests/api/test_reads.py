"""Reads of a person's file through the API name a whitelisted purpose and are logged."""

from __future__ import annotations

from socialcredit.accounts import Role
from tests.api.conftest import World


def _reads(world: World) -> list[dict[str, str]]:
    url = f"/api/v1/subjects/{world.subject[1]}/reads"
    response = world.client.get(url, headers=world.headers(Role.SUBJECT))
    assert response.status_code == 200
    reads: list[dict[str, str]] = response.json()
    return reads


def test_an_officers_read_is_logged_with_its_purpose(world: World) -> None:
    before = len(_reads(world))
    url = f"/api/v1/subjects/{world.subject[1]}/score"
    response = world.client.get(
        url, params={"purpose": "court_enforcement"}, headers=world.headers(Role.OFFICER)
    )
    assert response.status_code == 200
    after = _reads(world)
    assert len(after) == before + 1
    assert (
        after[-1]["reader"] == world.account(Role.OFFICER)
        and after[-1]["purpose"] == "court_enforcement"
    )


def test_an_unlisted_purpose_is_refused_and_nothing_is_read(world: World) -> None:
    before = len(_reads(world))
    url = f"/api/v1/subjects/{world.subject[1]}/records"
    response = world.client.get(
        url, params={"purpose": "curiosity"}, headers=world.headers(Role.OFFICER)
    )
    assert response.status_code == 422 and "records" not in response.json()
    assert len(_reads(world)) == before


def test_the_subjects_own_read_is_subject_access(world: World) -> None:
    url = f"/api/v1/subjects/{world.subject[1]}/explanation"
    assert world.client.get(url, headers=world.headers(Role.SUBJECT)).status_code == 200
    assert _reads(world)[-1]["purpose"] == "subject_access"
