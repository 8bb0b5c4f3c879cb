"""Time as the whole system counts it: integer microseconds since the Unix epoch, UTC.

The one definition of the conversions every package uses (the ledger's clock, scoring's
instants, deadlines, ratings); it depends on nothing else in socialcredit, so any package may
import it without a cycle.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["DAY_US", "EPOCH", "from_us", "to_us", "utc_now_us"]

DAY_US = 86_400_000_000
"""Microseconds in a day."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, no float).

    Raises:
        ValueError: if ``moment`` is naive.
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} must be timezone-aware (UTC)")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime (exact)."""
    return EPOCH + timedelta(microseconds=us)


def utc_now_us() -> int:
    """The current UTC time in microseconds since the Unix epoch."""
    return time.time_ns() // 1_000
