"""Every integer, time and identifier is range-checked where it comes in: a 422 naming the field
(API) or exit status 2 naming the argument (CLI), never a 500 or a traceback; wrong methods
are 405 with every allowed method; the description documents every error answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from socialcredit.accounts import Role
from socialcredit.api._errors import ERROR_RESPONSES
from socialcredit.cli import cli
from socialcredit.rights._disputes import APPEAL_OUTCOMES, OUTCOMES
from tests.api.conftest import World

TOO_BIG = 99999999999999999999999999  # the 26 digits: an OverflowError (500) before


def _field(response: Any) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    return str(body["details"]["problems"][0]["field"])


def test_a_subject_disputing_position_10_to_the_26_gets_422(world: World) -> None:
    body = {"target": TOO_BIG, "grounds": "not mine"}
    answer = world.client.post("/api/v1/disputes", json=body, headers=world.headers(Role.SUBJECT))
    assert _field(answer) == "target"


def test_a_token_issued_by_record_10_to_the_26_is_422(world: World) -> None:
    body = {"issuer": f"record:{TOO_BIG}", "rater": world.subject[1],
            "ratee": world.organisation, "interaction": "order-1"}  # fmt: skip
    answer = world.client.post(
        "/api/v1/ratings/tokens", json=body, headers=world.headers(Role.SOURCE)
    )
    assert _field(answer) == "issuer"


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00", "1899-12-31", "2025-02-30",
     "2025-01-01T00:00:00", "2025-01-01 00:00:00Z", "yesterday"],
)  # fmt: skip
def test_times_out_of_range_or_shape_are_422_naming_the_field(world: World, value: str) -> None:
    url = f"/api/v1/subjects/{world.subject[1]}/score"
    answer = world.client.get(url, params={"as_of": value}, headers=world.headers(Role.ADMIN))
    assert _field(answer) == "as_of"


def test_times_in_range_are_taken_in_any_zone(world: World) -> None:
    url = f"/api/v1/subjects/{world.subject[1]}/score"
    for value in ("2999-12-31T23:30:00-01:00", "2026-01-01", "2026-01-01t08:00:00.5+08:00"):
        answer = world.client.get(url, params={"as_of": value}, headers=world.headers(Role.ADMIN))
        assert answer.status_code == 200, (value, answer.text)


@pytest.mark.parametrize("amount", [True, False, "900.5x"])
def test_booleans_are_not_amounts(world: World, amount: object) -> None:
    record = {
        "subject_id": world.other[1],
        "subject_kind": "person",
        "kind": "tax_arrears",
        "occurred_at": "2026-06-01T00:00:00Z",
        "source": "tax:bureau-3",
        "amount": amount,
    }
    answer = world.client.post("/api/v1/records", json=record, headers=world.headers(Role.ADMIN))
    assert answer.status_code == 422
    if isinstance(amount, bool):
        assert _field(answer).startswith("amount")


def test_stars_and_positions_take_json_integers_only(world: World) -> None:
    for target in (True, "5", 1.5, -1):
        body = {"target": target, "grounds": "not mine"}
        answer = world.client.post("/api/v1/disputes", json=body, headers=world.headers(Role.ADMIN))
        assert _field(answer) == "target", target


def test_identifiers_are_checked_at_the_edge(world: World) -> None:
    admin = world.headers(Role.ADMIN)
    wrong_check = world.subject[1][:-1] + ("0" if world.subject[1][-1] != "0" else "1")
    for url, field in (
        (f"/api/v1/subjects/{wrong_check}/score", "subject"),
        ("/api/v1/organisations/110101198001010011", "uscc"),
        ("/api/v1/disputes/not-a-dispute", "dispute_id"),
    ):
        assert _field(world.client.get(url, headers=admin)) == field, url
    unknown = world.client.get("/api/v1/disputes/D99999999999999999-1", headers=admin)
    assert unknown.status_code == 404


def test_purposes_outside_the_whitelist_are_refused_before_any_read(world: World) -> None:
    url = f"/api/v1/subjects/{world.subject[1]}/score"
    answer = world.client.get(
        url, params={"purpose": "curiosity"}, headers=world.headers(Role.OFFICER)
    )
    assert _field(answer) == "purpose"


def test_decision_outcomes_are_the_librarys() -> None:
    from socialcredit.api._routes.rights import AppealDecisionIn, DisputeDecisionIn

    def choices(model: Any) -> tuple[str, ...]:
        return tuple(model.model_json_schema()["properties"]["outcome"]["enum"])

    assert choices(DisputeDecisionIn) == OUTCOMES and choices(AppealDecisionIn) == APPEAL_OUTCOMES


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/records/bulk", "POST"),
        ("GET", "/api/v1/ratings/tokens", "POST"),
        ("OPTIONS", "/api/v1/policy/bundles", "GET, POST"),
        ("DELETE", "/api/v1/health", "GET"),
        ("PUT", "/api/v1/disputes", "POST"),
    ],
)
def test_a_wrong_method_is_405_with_every_allowed_method(
    world: World, method: str, path: str, allowed: str
) -> None:
    answer = world.client.request(method, path, headers=world.headers(Role.ADMIN))
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == allowed and answer.json()["code"] == "method_not_allowed"


def test_every_operation_documents_every_error_answer(world: World) -> None:
    spec = world.app.openapi()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            documented = {int(status) for status in operation["responses"]} - {200, 201}
            assert documented == set(ERROR_RESPONSES), (method, path)
            schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}


def _cli(tmp_path: Path, *args: str) -> Any:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    CliRunner().invoke(cli, ["--store", store, "init"])
    return CliRunner().invoke(cli, ["--store", store, *args])


def test_the_cli_refuses_a_position_past_the_ledgers_range(tmp_path: Path) -> None:
    result = _cli(tmp_path, "dispute", "open", str(TOO_BIG), "not mine")
    assert result.exit_code == 2 and "POSITION" in result.output
    assert not isinstance(result.exception, OverflowError) and "Traceback" not in result.output


def test_the_cli_refuses_a_time_that_overflows_in_utc(tmp_path: Path) -> None:
    result = _cli(tmp_path, "score", "110101198001010011", "--as-of", "9999-12-31T23:30:00-01:00")
    assert result.exit_code == 2 and "--as-of" in result.output and "out of range" in result.output


def test_the_cli_refuses_a_token_issuer_past_the_ledgers_range(tmp_path: Path) -> None:
    result = _cli(
        tmp_path, "rating-token", "issue", "110101198001010011", "911100000000000351",
        "--issuer", f"record:{TOO_BIG}", "--interaction", "x",
    )  # fmt: skip
    assert result.exit_code == 2 and "--issuer" in result.output


def test_no_schema_name_leaks_a_module_path(world: World) -> None:
    """The description names every body by its own name, never by the module that defines it
    (FastAPI falls back to ``package__module__Name`` when two models share a name, and the
    implementation modules are private and may move)."""
    names = list(world.app.openapi()["components"]["schemas"])
    assert [name for name in names if "__" in name or name.startswith("socialcredit")] == []
    assert {"DecisionIn", "DisputeDecisionIn", "AppealDecisionIn"} <= set(names)
