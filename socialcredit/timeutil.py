"""Time as the whole system counts it: integer microseconds since the Unix epoch, UTC; its
canonical text in the ledger (:func:`format_time`, :func:`parse_time`); and the one parse of
a moment given at the edges (the API's parameters, the command line's options).

The one definition of the conversions every package uses (the ledger's clock, scoring's
instants, deadlines, ratings); it depends on nothing else in socialcredit, so any package may
import it without a cycle.

A moment given from outside is an RFC 3339 date (midnight UTC) or date-time with its zone
(:func:`parse_moment`). A time outside the years :data:`FIRST_YEAR` to :data:`LAST_YEAR` is
refused where it comes in: it is far from the ends of what a ``datetime`` holds, so converting
a time zone or adding a decay period can never overflow deeper down.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache

__all__ = [
    "DAY_US",
    "EPOCH",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MOMENT_RULE",
    "check_year",
    "format_time",
    "from_us",
    "parse_moment",
    "parse_time",
    "to_us",
    "utc_now_us",
]

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


FIRST_YEAR, LAST_YEAR = 1900, 2999
MOMENT_RULE = (
    "an RFC 3339 date (midnight UTC) or time with its zone (Z or ±hh:mm), "
    f"in the years {FIRST_YEAR}-{LAST_YEAR}"
)
_MOMENT = re.compile(
    r"([0-9]{4})-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2}))?"
)


def check_year(year: int) -> None:
    """Refuse a year outside :data:`FIRST_YEAR` to :data:`LAST_YEAR`.

    Raises:
        ValueError: saying the range.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"out of range: the year must be {FIRST_YEAR}-{LAST_YEAR}")


def parse_moment(value: object) -> datetime:
    """An RFC 3339 date (midnight UTC) or date-time with a zone, as UTC.

    Raises:
        ValueError: if the value is not such a time, or falls outside the years
            :data:`FIRST_YEAR` to :data:`LAST_YEAR`.
    """
    found = _MOMENT.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"must be {MOMENT_RULE}")
    check_year(int(found[1]))
    assert isinstance(value, str)
    if found[2] is None:
        return datetime.combine(date.fromisoformat(value), clock_time(), UTC)
    second, micro = int(found[4]), int((found[5] or "0")[:6].ljust(6, "0"))
    if second == 60:  # a leap second: the last instant of the minute that Python can hold
        second, micro = 59, 999_999
    zone = "+00:00" if found[6] in "Zz" else found[6]
    clock = f"{found[2]}:{found[3]}:{second:02d}.{micro:06d}{zone}"
    return datetime.fromisoformat(f"{value[:10]}T{clock}").astimezone(UTC)


def format_time(us: int) -> str:
    """Microseconds since the Unix epoch as canonical UTC ISO 8601 (``...Z``)."""
    seconds, micros = divmod(us, 1_000_000)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{micros:06d}Z" if micros else f"{text}Z"


@lru_cache(maxsize=1 << 16)  # entries of one append share their time; records repeat theirs
def parse_time(text: str) -> int:
    """Inverse of :func:`format_time`: canonical ``...Z`` text to microseconds since the epoch.

    Raises:
        ValueError: if the text is not a UTC ISO 8601 time ending in ``Z``.
    """
    if not text.endswith("Z"):
        raise ValueError(f"time {text!r} must be UTC and end in 'Z'")
    moment = datetime.fromisoformat(text[:-1] + "+00:00")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
