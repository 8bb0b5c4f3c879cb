"""Schemathesis against the OpenAPI description: generated (and malformed) requests to every
operation never get a 5xx, and every error has the one error shape.

Schemathesis reads the schema at collection, so the app is built when the module is imported,
over a seeded ledger in a temporary directory; but nothing that runs a thread (the app's
lifespan, the client's event loop) starts until the module fixture does, so an invocation that
only collects this module, or deselects its tests, exits by itself.
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

from socialcredit.accounts import Role
from tests.api.conftest import World, build_app, world_over

_DIRECTORY = Path(tempfile.mkdtemp(prefix="socialcredit-fuzz-"))
atexit.register(shutil.rmtree, _DIRECTORY, True)  # also when the tests are deselected
_APP, _ACCOUNTS = build_app(_DIRECTORY)
atexit.register(_ACCOUNTS.close)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    deterministic=True,
)


@pytest.fixture(scope="module")
def fuzz_world() -> Iterator[World]:
    yield from world_over(_APP, _ACCOUNTS)


@schema.parametrize()
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_server_errors(case: Any, fuzz_world: World) -> None:
    response = case.call(headers=fuzz_world.headers(Role.ADMIN))
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "details"}
