"""Times at the edges (API and command line), without the web framework: the years a time may
fall in, and the API's strict RFC 3339 parser.

A time outside the years :data:`FIRST_YEAR` to :data:`LAST_YEAR` is refused where it comes in,
naming the field: it is far from the ends of what a ``datetime`` holds, so converting a time
zone or adding a decay period can never overflow deeper down.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

__all__ = ["FIRST_YEAR", "LAST_YEAR", "MOMENT_RULE", "check_year", "parse_moment"]

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
        return datetime.combine(date.fromisoformat(value), time(), UTC)
    second, micro = int(found[4]), int((found[5] or "0")[:6].ljust(6, "0"))
    if second == 60:  # a leap second: the last instant of the minute that Python can hold
        second, micro = 59, 999_999
    zone = "+00:00" if found[6] in "Zz" else found[6]
    clock = f"{found[2]}:{found[3]}:{second:02d}.{micro:06d}{zone}"
    return datetime.fromisoformat(f"{value[:10]}T{clock}").astimezone(UTC)
