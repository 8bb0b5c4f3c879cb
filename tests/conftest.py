"""Shared fixtures: one factory for ledgers on a fresh store, on the test's backend
(SQLite, or both SQLite and PostgreSQL in modules marked ``both_backends``: tests/backends.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from socialcredit.ledger import Ledger, create_key_file

if TYPE_CHECKING:  # imported by pytest as a plugin below, so that its asserts are rewritten
    from .backends import Stores

# The backend plugin (the `backend` and `stores` fixtures, the both_backends marker) and the
# one session cluster it starts PostgreSQL on (`pg_cluster`).
pytest_plugins = ("tests.pg", "tests.backends")


class Clock:
    """A settable ledger clock (microseconds since the epoch) for bitemporal tests."""

    def __init__(self, start_us: int = 1_767_225_600_000_000) -> None:  # 2026-01-01T00:00:00Z
        self.now_us = start_us

    def __call__(self) -> int:
        return self.now_us

    def advance(self, seconds: float) -> None:
        self.now_us += int(seconds * 1_000_000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_ledger(tmp_path: Path, clock: Clock, stores: Stores) -> Callable[..., Ledger]:
    """``make_ledger(name="ledger")`` creates a fresh ledger on the test's backend, with its
    own key (``<tmp_path>/<name>.key``); its store is closed when the test ends."""

    def factory(name: str = "ledger") -> Ledger:
        signer = create_key_file(tmp_path / f"{name}.key")
        return Ledger.create(stores.open(stores.url(name)), signer, f"test/{name}", clock)

    return factory
