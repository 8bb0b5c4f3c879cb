"""Filing records and moving ledger time for the rights tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from socialcredit.catalogue import default_catalogue
from socialcredit.demo._filers import source_of
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.timeutil import to_us
from tests.records_factory import person

ALICE = ("person", person(1))
BOB = ("person", person(2))


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def set_time(clock: Any, moment: datetime) -> None:
    """Set the ledger clock (ledger time of the next append)."""
    clock.now_us = to_us(moment)


def file_record(
    ledger: Ledger,
    subject: tuple[str, str] = ALICE,
    kind: str = "loan_default",
    occurred_at: str = "2025-12-01T00:00:00Z",
    amount: int | None = 5_000,
) -> int:
    """File one record now; returns its ledger position."""
    row: dict[str, Any] = {
        "subject_kind": subject[0],
        "subject_id": subject[1],
        "kind": kind,
        "occurred_at": occurred_at,
        "source": source_of(default_catalogue().kind(kind)).name,
    }
    if amount is not None:
        row["amount"] = str(amount)
    summary = ingest_rows(ledger, default_catalogue(), [(1, row)])
    assert summary.accepted == 1, summary.refusal_reasons
    return ledger.size() - 1
