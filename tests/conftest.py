"""Shared fixtures: one factory for ledgers on a fresh store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socialcredit.ledger import Ledger, create_key_file
from socialcredit.storage.sqlite import SQLiteStore


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
def make_ledger(tmp_path: Path, clock: Clock) -> Iterator[Callable[..., Ledger]]:
    """``make_ledger(name="ledger")`` creates a fresh SQLite ledger with its own key."""
    opened: list[Ledger] = []

    def factory(name: str = "ledger") -> Ledger:
        signer = create_key_file(tmp_path / f"{name}.key")
        ledger = Ledger.create(SQLiteStore(tmp_path / f"{name}.db"), signer, f"test/{name}", clock)
        opened.append(ledger)
        return ledger

    yield factory
    for ledger in opened:
        ledger.store.close()
