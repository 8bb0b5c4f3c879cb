"""Occurrence times: parsing incoming values to UTC, and the canonical ``...Z`` text form.

Both directions are on the ingest hot path, so parsing is cached per input string and
formatting is assembled from cached day and time-of-day texts instead of ``strftime``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from socialcredit.catalogue._cache import BoundedMemo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = EPOCH.toordinal()
US_PER_DAY = 86_400_000_000
#: Founding of the PRC: nothing the catalogue records can have happened earlier.
EARLIEST = datetime(1949, 10, 1, tzinfo=UTC)
EARLIEST_US = (EARLIEST.toordinal() - _EPOCH_ORDINAL) * US_PER_DAY

NAIVE = (
    "date-time has no timezone; give an offset such as Z or +08:00 (naive date-times are refused)"
)


def to_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware UTC datetime (integer arithmetic only)."""
    seconds = (moment.toordinal() - _EPOCH_ORDINAL) * 86_400 + (
        moment.hour * 3_600 + moment.minute * 60 + moment.second
    )
    return seconds * 1_000_000 + moment.microsecond


def from_datetime(moment: datetime) -> tuple[datetime, int] | str:
    """UTC datetime and its epoch microseconds, or why ``moment`` cannot be used."""
    if moment.utcoffset() is None:
        return NAIVE
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return "date-time is out of range"
    return utc, to_us(utc)


def from_date(day: date) -> tuple[datetime, int]:
    """A bare date is taken as 00:00 UTC that day."""
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment, to_us(moment)


def _parse_timestamp(text: str) -> tuple[datetime, int] | str:
    """Parse ISO 8601 text to a UTC datetime and epoch microseconds, or say why not.

    Accepts a timezone-aware date-time (``T`` or space separator, ``Z`` or a numeric offset) or
    a bare ``YYYY-MM-DD`` date (taken as 00:00 UTC). A date-time without an offset is refused,
    because guessing its zone would silently move the event by up to a day.
    """
    if len(text) == 20 and text[19] == "Z" and text[10] == "T":
        # The most common form in feeds; fromisoformat gives it the UTC singleton directly.
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return f"{text!r} is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SSZ)"
        return from_datetime(moment) if moment.tzinfo is not UTC else (moment, to_us(moment))
    text = text.strip()
    if len(text) == 10:
        try:
            return from_date(date.fromisoformat(text))
        except ValueError:
            return f"{text!r} is not an ISO 8601 date (YYYY-MM-DD)"
    if len(text) < 16 or text[10] not in "Tt ":
        return f"{text!r} is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SSZ)"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return f"{text!r} is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SSZ)"
    return from_datetime(moment)


# Memoised _parse_timestamp. Feeds repeat timestamps close together (one batch time, one date per
# day), so a small memo catches the repeats and stays in CPU cache; a large one was measured to
# cost more than it saves when timestamps are distinct, as second-resolution ones mostly are.
parse_timestamp: BoundedMemo[str, tuple[datetime, int] | str] = BoundedMemo(
    _parse_timestamp, maxsize=2**12
)


def _day_to_text(days: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + days).isoformat()


def _second_to_text(second_of_day: int) -> str:
    hours, rest = divmod(second_of_day, 3_600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


_day_text: BoundedMemo[int, str] = BoundedMemo(_day_to_text, maxsize=2**15)
_time_text: BoundedMemo[int, str] = BoundedMemo(_second_to_text, maxsize=86_400)


def format_us(us: int) -> str:
    """Canonical text of an instant: ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (fraction if non-zero)."""
    seconds, micro = divmod(us, 1_000_000)
    days, second_of_day = divmod(seconds, 86_400)
    text = _day_text(days) + "T" + _time_text(second_of_day)
    return f"{text}.{micro:06d}Z" if micro else text + "Z"


def parse_canonical(text: str) -> tuple[datetime, int] | None:
    """Inverse of :func:`format_us`; None unless ``text`` is exactly in canonical form."""
    if not text.endswith("Z"):
        return None
    parsed = parse_timestamp(text)
    if isinstance(parsed, str) or format_us(parsed[1]) != text:
        return None
    return parsed
