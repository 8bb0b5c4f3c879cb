"""Who may issue a rating token (issue 15): the ratee itself, or a third party against an
interaction record naming this rater as buyer and this ratee as seller; nothing else. Through
the library and through the HTTP API with real keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from socialcredit.accounts import Role
from socialcredit.errors import RatingRefusedError
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.ratings import DEFAULT_PARAMS, issue_token, load_state, rate, record_interaction
from socialcredit.ratings._drift import cusum
from socialcredit.ratings._projection import to_arrays
from tests.api.conftest import World, make_world

from ..conftest import Clock
from ..records_factory import organisation, person

SHOP, OTHER = organisation(7), organisation(8)
TAX = "tax_authority:e-invoice-platform"
STARS = {"integrity": 4, "professionalism": 5, "service": 3}


def fields(error: RatingRefusedError) -> list[str]:
    return [p.field for p in error.problems]


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()


def test_an_unrelated_filed_record_is_refused_with_the_reason(ledger: Ledger) -> None:
    fare = {"kind": "fare_evasion", "source": "transport_operator:metro"}
    position = ledger.append([PendingEntry("RecordFiled", fare)])[0].position
    with pytest.raises(RatingRefusedError) as unrelated:
        issue_token(ledger, f"record:{position}", person(1), SHOP, "order-1")
    assert fields(unrelated.value) == ["issuer"]
    assert "fare_evasion record, not an interaction record" in str(unrelated.value)
    with pytest.raises(RatingRefusedError, match="there is no entry 99"):
        issue_token(ledger, "record:99", person(1), SHOP, "order-1")


def test_an_interaction_record_gives_a_token_for_its_buyer_and_seller_only(
    ledger: Ledger,
) -> None:
    position = record_interaction(ledger, TAX, person(1), SHOP, "INV-2026-0001")
    with pytest.raises(RatingRefusedError) as other:
        issue_token(ledger, f"record:{position}", person(2), OTHER, "INV-2026-0001", source=TAX)
    assert fields(other.value) == ["rater", "ratee"]
    with pytest.raises(RatingRefusedError) as filer:
        issue_token(
            ledger, f"record:{position}", person(1), SHOP, "x", source="tax_authority:another"
        )
    assert fields(filer.value) == ["issuer"]
    issued = issue_token(ledger, f"record:{position}", person(1), SHOP, "INV-2026-0001", source=TAX)
    rate(ledger, issued.token, person(1), SHOP, STARS)


def test_only_interaction_authorities_file_interaction_records(ledger: Ledger) -> None:
    with pytest.raises(RatingRefusedError) as fare:
        record_interaction(ledger, "transport_operator:metro", person(1), SHOP, "T1")
    assert fields(fare.value) == ["source"] and "does not file interaction" in str(fare.value)
    with pytest.raises(RatingRefusedError) as bad:
        record_interaction(ledger, TAX, "not-a-person", SHOP, "a reference with spaces")
    assert fields(bad.value) == ["buyer.id"]
    record_interaction(ledger, "payment_institution:card-issuer", person(1), SHOP, "CC-1")
    with pytest.raises(RatingRefusedError, match="already recorded"):
        record_interaction(ledger, "payment_institution:card-issuer", person(2), SHOP, "CC-1")


def test_an_organisation_issues_only_for_itself(ledger: Ledger) -> None:
    with pytest.raises(RatingRefusedError) as other:
        issue_token(ledger, OTHER, person(1), SHOP, "order-1")
    assert fields(other.value) == ["issuer"]
    issue_token(ledger, SHOP, person(1), SHOP, "order-1")


def test_only_third_party_verified_raters_are_seeds(ledger: Ledger, clock: Clock) -> None:
    for i, shop in enumerate((SHOP, OTHER)):  # a verified customer of two shops
        position = record_interaction(ledger, TAX, person(1), shop, f"INV-{i}")
        issued = issue_token(ledger, f"record:{position}", person(1), shop, f"INV-{i}", source=TAX)
        rate(ledger, issued.token, person(1), shop, STARS)
    invited = issue_token(ledger, SHOP, person(2), SHOP, "order-2")  # invited by the shop
    rate(ledger, invited.token, person(2), SHOP, STARS)
    data, raters, _ = to_arrays(load_state(ledger), DEFAULT_PARAMS, clock.now_us)
    assert data.seeds is not None
    assert [raters[i] for i in np.flatnonzero(data.seeds)] == [person(1)]


def test_cusum_restarts_per_group_and_matches_the_recursion() -> None:
    rng = np.random.default_rng(5)
    group = np.sort(rng.integers(0, 20, 400))
    step = rng.normal(0.0, 2.0, 400)
    expected, s = np.zeros(400), 0.0
    for i in range(400):
        s = max(0.0, (0.0 if i == 0 or group[i] != group[i - 1] else s) + step[i])
        expected[i] = s
    assert cusum(group, step) == pytest.approx(expected)


# --- through the HTTP API, with real keys ------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("issuance"))


def _post(w: World, key: str, path: str, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    answer = w.client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {key}"})
    return answer.status_code, answer.json()


def test_through_the_api_only_the_ratee_and_interaction_sources_issue(api: World) -> None:
    fare = api.accounts.create_api_key(
        Role.SOURCE, "transport_operator:metro", allowed_kinds={"fare_evasion"}
    )
    tax = api.accounts.create_api_key(Role.SOURCE, TAX)
    shop = api.accounts.create_api_key(Role.SUBJECT, "shop", subject=("organisation", SHOP))
    rater = api.subject[1]
    token = {"issuer": f"record:{api.own_position}", "rater": rater, "ratee": SHOP}
    status, body = _post(api, fare, "/ratings/tokens", {**token, "interaction": "o-1"})
    assert status == 403 and "transport_operator" in str(body["message"])
    status, _ = _post(api, api.keys[Role.ADMIN], "/ratings/tokens", {**token, "interaction": "o"})
    assert status == 403
    status, body = _post(api, tax, "/ratings/tokens", {**token, "interaction": "o-2"})
    assert status == 422 and "loan_default record" in str(body)
    invoice = {"buyer": rater, "seller": SHOP, "reference": "INV-9"}
    assert _post(api, fare, "/ratings/interactions", invoice)[0] == 403
    status, filed = _post(api, tax, "/ratings/interactions", invoice)
    assert status == 201
    verified = {**token, "issuer": f"record:{filed['position']}", "interaction": "INV-9"}
    assert _post(api, shop, "/ratings/tokens", verified)[0] == 403  # not the record's filer
    assert _post(api, tax, "/ratings/tokens", verified)[0] == 201
    own = {"issuer": SHOP, "rater": rater, "ratee": SHOP, "interaction": "order-3"}
    assert _post(api, shop, "/ratings/tokens", own)[0] == 201
    other = {**own, "issuer": OTHER, "ratee": OTHER}
    assert _post(api, shop, "/ratings/tokens", other)[0] == 403  # not its own account
