"""Occurrence times: parsing incoming values to UTC, and the canonical ``...Z`` text form.

Both directions are on the ingest hot path, so parsing is cached per input string and
formatting is assembled from cached day and time-of-day texts instead of ``strftime``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

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


# -- the column form: many timestamps at once -------------------------------------------------

_DIGIT_AT_DATE = [0, 1, 2, 3, 5, 6, 8, 9]
_DIGIT_AT_TIME = [11, 12, 14, 15, 17, 18]


def is_leap_year(year: np.ndarray) -> np.ndarray:
    """Gregorian leap years, element-wise."""
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def calendar_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """True where (year, month, day) is a date Python's ``date`` accepts (years 1-9999)."""
    good_month = (month >= 1) & (month <= 12)
    days = _MONTH_DAYS[np.where(good_month, month, 0)] + ((month == 2) & is_leap_year(year))
    return (year >= 1) & (year <= 9999) & good_month & (day >= 1) & (day <= days)


def epoch_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from 1970-01-01 to each (valid) proleptic Gregorian date, element-wise (int64).

    H. Hinnant's ``days_from_civil``: integer arithmetic only, valid for any year.
    """
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def parse_canonical_columns(
    chars: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Parse many timestamps in the two usual forms, ``YYYY-MM-DD`` and ``YYYY-MM-DDTHH:MM:SSZ``.

    Args:
        chars: (n, 20) uint8 array, the first bytes of each UTF-8 value (padding is ignored).
        lengths: the byte length of each value.

    Returns:
        ``(parsed, us)``: True where the value is in one of the two forms and denotes a real
        instant, and its microseconds since the epoch there (0 elsewhere). Exactly what
        :func:`parse_timestamp` gives for those values; every other value is left to it.
    """
    digits = chars - np.uint8(48)  # wraps around: a digit is exactly a value <= 9
    is_digit = digits <= 9
    is_date = (lengths == 10) | (lengths == 20)
    is_date &= is_digit[:, _DIGIT_AT_DATE].all(axis=1) & (chars[:, 4] == 45) & (chars[:, 7] == 45)
    is_time = (lengths == 20) & is_digit[:, _DIGIT_AT_TIME].all(axis=1)
    is_time &= (chars[:, 10] == 84) & (chars[:, 13] == 58) & (chars[:, 16] == 58)
    is_time &= chars[:, 19] == 90

    def number(*at: int) -> np.ndarray:
        value = np.zeros(len(chars), dtype=np.int64)
        for i in at:
            value = value * 10 + digits[:, i]
        return value

    year, month, day = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    hour, minute, second = number(11, 12), number(14, 15), number(17, 18)
    is_time &= (hour <= 23) & (minute <= 59) & (second <= 59)
    parsed = is_date & calendar_dates(year, month, day) & ((lengths == 10) | is_time)
    seconds = np.where(lengths == 20, hour * 3_600 + minute * 60 + second, 0)
    days = epoch_days(np.where(parsed, year, 1970), month.clip(1, 12), day)
    us = np.where(parsed, days * US_PER_DAY + seconds * 1_000_000, 0)
    return parsed, us
