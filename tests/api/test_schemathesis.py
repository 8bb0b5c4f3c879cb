"""Schemathesis against the OpenAPI description: generated (and malformed) requests to every
operation never get a 5xx, and every error has the one error shape.

The app is built when the module is imported (Schemathesis reads the schema at collection),
over a seeded ledger in a temporary directory removed at the end of the module.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from socialcredit.api import Role
from tests.api.conftest import make_world

_DIRECTORY = Path(tempfile.mkdtemp(prefix="socialcredit-fuzz-"))
atexit.register(shutil.rmtree, _DIRECTORY, True)  # also when the tests are deselected
_WORLDS = make_world(_DIRECTORY)
WORLD = next(_WORLDS)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", WORLD.app)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    deterministic=True,
)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    for _ in _WORLDS:
        pass
    shutil.rmtree(_DIRECTORY, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_server_errors(case: Any) -> None:
    response = case.call(headers=WORLD.headers(Role.ADMIN))
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "details"}
