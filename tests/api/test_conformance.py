"""Schemathesis with every check over every operation: the OpenAPI description tells the truth.

Each operation gets at least 50 generated requests (valid and invalid, deterministic) on top of
the examples and coverage phases, sent as an admin; every Schemathesis check runs on every
answer (no server error, documented status codes and headers, response schemas, valid data
accepted, invalid data refused, 405 with the right ``Allow`` for an undeclared method, ...).

Identifiers with check characters cannot be spelled as a pattern, so the description names
them as formats (``resident-id``, ``uscc``, ``subject-id``, ``ratee``, ``issuer``); the
strategies below generate valid ones, built with the library's own check-character functions.

One check is refined, not dropped: "valid data is accepted". Some operations can refuse a
request that matches the description because of the ledger's state or the policy in force,
which no schema can describe (:data:`DOMAIN_REFUSALS`, each with its reason). For those, and
only those, a 422 *from the library* (its own message, never :data:`REQUEST_INVALID`, which
marks a request that does not match the description) counts as accepted data.

As in ``test_schemathesis.py``, the app is built at import (Schemathesis reads the schema at
collection) but no thread starts until the module fixture does.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from socialcredit.accounts import Role
from socialcredit.api._errors import REQUEST_INVALID
from socialcredit.api._params import MAX_POSITION
from socialcredit.catalogue._identifiers import (
    RESIDENT_ID_PROVINCES,
    USCC_ALPHABET,
    make_resident_id,
    uscc_check_char,
)
from socialcredit.ratings import PROFESSIONAL_ROLES
from tests.api.conftest import World, build_app, world_over

# 50 examples x 57 operations with every check: about a minute, so it runs in `make validate`
# (CI runs it); the suite keeps the quick 5xx guard of test_schemathesis.py.
pytestmark = [pytest.mark.slow, pytest.mark.validation]

#: Operations whose acceptance of a well-formed request depends on what no schema describes.
DOMAIN_REFUSALS = {
    "POST /api/v1/decisions": "the service must be one of the policy in force",
    "POST /api/v1/records": "the catalogue in force decides which records it takes",
    "POST /api/v1/records/file": "the file's format and rows are checked by the catalogue",
    "POST /api/v1/records/{position}/correction": "the entry must be a record, not withdrawn",
    "POST /api/v1/records/{position}/withdrawal": "the entry must be a record, not withdrawn",
    "POST /api/v1/records/{position}/recertification": "the entry must be a withdrawn record",
    "POST /api/v1/disputes": "the target must be a record or rating not already disputed",
    "POST /api/v1/subjects/{subject}/hardship/end": "only an open hardship period can end",
    "POST /api/v1/subjects/{subject}/restoration": "the list, the listing and its waiting time",
    "GET /api/v1/subjects/{subject}/history": "'from' before 'to', at most 400 points",
    "POST /api/v1/ratings/tokens": "a filed issuing record, one token per interaction",
    "POST /api/v1/ratings": "an issued, unused, unexpired token for this rater and ratee",
    "POST /api/v1/ratings/{position}/reply": "the entry must be a rating of this ratee",
    "POST /api/v1/ratings/{position}/dispute": "the entry must be a rating of this ratee",
    "POST /api/v1/policy/check": "a bundle's files are checked as a whole",
    "POST /api/v1/policy/bundles": "a bundle's files are checked as a whole",
    "POST /api/v1/accounts/keys": "a source's name is a registered source, screened for "
    "prohibited grounds",
    "POST /api/v1/agencies": "the name is a registered source of an authority kind, the key a "
    "valid Ed25519 public key, each agency registered once",
    "POST /api/v1/memoranda": "every signature verifies over the document by a registered "
    "agency; its lists, measures and legal bases exist in the policy and registry in force",
    "POST /api/v1/agencies/{name}/keys": "the agency is registered, the new key a valid Ed25519 "
    "key signed by its key in force",
    "POST /api/v1/memoranda/{memo_id}/end": "the memorandum is recorded and not ended, the "
    "signer a party signing with its key in force",
    "GET /api/v1/records/{position}/repair": "the entry must be a published administrative penalty",
    "POST /api/v1/repairs": "the record must be a published penalty of the applicant, with no "
    "application open",
}

_AREAS = st.builds(
    str.__add__, st.sampled_from(sorted(RESIDENT_ID_PROVINCES)), st.from_regex(r"\A[0-9]{4}\Z")
)
RESIDENT_IDS = st.builds(
    make_resident_id, _AREAS, st.dates(date(1900, 1, 1), date(2030, 12, 31)), st.integers(0, 999)
)
USCCS = st.builds(
    lambda body: body + uscc_check_char(body),
    st.builds(
        "{}{}{}".format,
        st.text(USCC_ALPHABET, min_size=2, max_size=2),
        st.from_regex(r"\A[0-9]{6}\Z"),
        st.text(USCC_ALPHABET, min_size=9, max_size=9),
    ),
)
FORMATS = {
    "resident-id": RESIDENT_IDS,
    "uscc": USCCS,
    "subject-id": RESIDENT_IDS | USCCS,
    "ratee": USCCS
    | st.builds("{}:{}".format, RESIDENT_IDS, st.sampled_from(sorted(PROFESSIONAL_ROLES))),
    "issuer": USCCS | st.integers(0, MAX_POSITION).map("record:{}".format),
}
for _name, _strategy in FORMATS.items():
    schemathesis.openapi.format(_name, _strategy)

_DIRECTORY = Path(tempfile.mkdtemp(prefix="socialcredit-conformance-"))
atexit.register(shutil.rmtree, _DIRECTORY, True)  # also when the tests are deselected
_APP, _ACCOUNTS = build_app(_DIRECTORY)
atexit.register(_ACCOUNTS.close)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    deterministic=True,
)


def refused_by_the_domain(case: Any, response: Any) -> bool:
    """A 422 the library gave a well-formed request to an operation of DOMAIN_REFUSALS."""
    if response.status_code != 422 or f"{case.method} {case.path}" not in DOMAIN_REFUSALS:
        return False
    return bool(response.json().get("message") != REQUEST_INVALID)


def valid_data_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' ``positive_data_acceptance``, refined by :data:`DOMAIN_REFUSALS`."""
    try:
        return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]
    except RejectedPositiveData:
        if refused_by_the_domain(case, response):
            return True
        raise


@pytest.fixture(scope="module")
def conformance_world() -> Iterator[World]:
    yield from world_over(_APP, _ACCOUNTS)


@schema.parametrize()
@settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_conforms(case: Any, conformance_world: World) -> None:
    case.call_and_validate(
        headers=conformance_world.headers(Role.ADMIN),
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_data_is_accepted],
    )


def test_every_domain_refusal_names_a_served_operation() -> None:
    served = {
        f"{method.upper()} {path}"
        for path, item in _APP.openapi()["paths"].items()
        for method in item
    }
    assert set(DOMAIN_REFUSALS) <= served
