"""Occurrence times: parsing incoming values to UTC, and the canonical ``...Z`` text form.

Both directions are on the ingest hot path, so parsing is cached per input string and
formatting is assembled from cached day and time-of-day texts instead of ``strftime``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from socialcredit.catalogue._cache import BoundedMemo
from socialcredit.timeutil import DAY_US

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = EPOCH.toordinal()
US_PER_DAY = DAY_US
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

    H. Hinnant's ``days_from_civil``: integer arithmetic only, valid for years within a
    million of 0 (computed in 32 bits, several times faster than in 64).
    """
    year, month, day = (np.asarray(v, dtype=np.int32) for v in (year, month, day))
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    return days.astype(np.int64)


#: How many bytes of each value :func:`parse_timestamp_columns` reads: its longest form,
#: ``YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM``.
COLUMN_WIDTH = 32
_SEPARATORS = (ord("T"), ord("t"), ord(" "))  # what _parse_timestamp allows between date and time
_FRACTION_WEIGHTS = 10 ** np.arange(5, -1, -1, dtype=np.int64)
_FIRST_US = to_us(datetime.min.replace(tzinfo=UTC))
_LAST_US = to_us(datetime.max.replace(tzinfo=UTC))
_ZONE = {"Z": ord("Z"), "+": ord("+"), "-": ord("-"), ":": ord(":")}


class _Bytes:
    """The first :data:`COLUMN_WIDTH` bytes of each value (undefined past its end), with digit
    views. Every reader below decides from bytes inside the value, given its length."""

    def __init__(self, chars: np.ndarray, lengths: np.ndarray) -> None:
        if chars.shape[1] < COLUMN_WIDTH:
            chars = np.pad(chars, ((0, 0), (0, COLUMN_WIDTH - chars.shape[1])))
        self.chars = chars
        self.lengths = lengths
        self.digits = chars - np.uint8(48)  # wraps around: a digit is exactly a value <= 9
        self.is_digit = self.digits <= 9
        self.rows = np.arange(len(chars))

    def number(self, *at: int) -> np.ndarray:
        """The decimal number written at byte positions ``at`` (meaningful where all digits)."""
        value = np.zeros(len(self.chars), dtype=np.int64)
        for i in at:
            value = value * 10 + self.digits[:, i]
        return value

    def byte_at(self, at: np.ndarray | int, step: int) -> np.ndarray:
        """Each row's byte at position ``at + step``: one for all rows, or each row's own."""
        if isinstance(at, int):
            return self.chars[:, at + step]
        return self.chars[self.rows, np.minimum(at + step, COLUMN_WIDTH - 1)]

    def digit_at(self, at: np.ndarray | int, step: int) -> tuple[np.ndarray, np.ndarray]:
        """``(is a digit, its value)`` of each row's byte at ``at + step``."""
        value = self.byte_at(at, step) - np.uint8(48)
        return value <= 9, value.astype(np.int64)


def _date_part(b: _Bytes) -> tuple[np.ndarray, np.ndarray]:
    """``(well formed, epoch day)`` of the leading ``YYYY-MM-DD`` of each value."""
    shaped = b.is_digit[:, _DIGIT_AT_DATE].all(axis=1) & (b.chars[:, 4] == 45)
    shaped &= (b.chars[:, 7] == 45) & (b.lengths >= 10)
    year, month, day = b.number(0, 1, 2, 3), b.number(5, 6), b.number(8, 9)
    valid = shaped & calendar_dates(year, month, day)
    return valid, epoch_days(np.where(valid, year, 1970), month.clip(1, 12), day)


def _time_part(b: _Bytes) -> tuple[np.ndarray, np.ndarray]:
    """``(well formed, second of the day)`` of the ``THH:MM:SS`` after the date."""
    separator = b.chars[:, 10]
    shaped = (separator == _SEPARATORS[0]) | (separator == _SEPARATORS[1])
    shaped |= separator == _SEPARATORS[2]
    shaped &= b.is_digit[:, _DIGIT_AT_TIME].all(axis=1) & (b.lengths >= 20)
    shaped &= (b.chars[:, 13] == 58) & (b.chars[:, 16] == 58)
    hour, minute, second = b.number(11, 12), b.number(14, 15), b.number(17, 18)
    shaped &= (hour <= 23) & (minute <= 59) & (second <= 59)
    return shaped, hour * 3_600 + minute * 60 + second


def _fraction(b: _Bytes) -> tuple[np.ndarray | bool, np.ndarray | int, np.ndarray | int]:
    """``(well formed, microseconds, where the zone starts)``: an optional ``.f`` to
    ``.ffffff`` (or ``,``) after the seconds. Longer fractions, which Python truncates, and a
    mark without digits, which it ignores, are left to the scalar parse."""
    mark = (b.chars[:, 19] == 46) | (b.chars[:, 19] == 44)
    if not mark.any():  # the usual case: whole seconds, the zone right after them
        return True, 0, 19
    run = np.cumprod(b.is_digit[:, 20:26], axis=1)  # 1 while the digits last
    count = np.minimum(run.sum(axis=1), b.lengths - 20)  # never past the value's end
    run &= np.arange(6) < count[:, None]
    micro = (b.digits[:, 20:26] * run * _FRACTION_WEIGHTS).sum(axis=1)
    has = mark & (count >= 1)
    return ~mark | has, np.where(has, micro, 0), np.where(has, 20 + count, 19)


def _zone(b: _Bytes, at: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """``(well formed, offset in seconds)`` of the zone from ``at`` to the value's end: ``Z``
    or ``±HH``, ``±HHMM``, ``±HH:MM`` within ±23:59 (the offsets Python accepts exactly as
    written; ``+08:60`` and seconds in an offset are left to the scalar parse)."""
    span = b.lengths - at
    sign = b.byte_at(at, 0)
    utc = (span == 1) & (sign == _ZONE["Z"])
    h1, h1v = b.digit_at(at, 1)
    h2, h2v = b.digit_at(at, 2)
    hours = h1v * 10 + h2v
    signed = ((sign == _ZONE["+"]) | (sign == _ZONE["-"])) & h1 & h2 & (hours <= 23)
    packed, colon = span == 5, span == 6
    minutes_at = _minutes_at(at, colon)
    m1, m1v = b.digit_at(minutes_at, 0)
    m2, m2v = b.digit_at(minutes_at, 1)
    minutes = np.where(packed | colon, m1v * 10 + m2v, 0)
    signed &= (span == 3) | (packed & m1 & m2) | (colon & m1 & m2 & (b.byte_at(at, 3) == 58))
    offset = np.where(signed, hours * 3_600 + minutes * 60, 0)
    return utc | (signed & (minutes <= 59)), np.where(sign == _ZONE["-"], -offset, offset)


def _minutes_at(at: np.ndarray | int, colon: np.ndarray) -> np.ndarray | int:
    """Where an offset's minutes start: after ``±HH:``, else after ``±HH`` (one position for
    every row when they agree, as they do in a feed of one form)."""
    if isinstance(at, int) and (colon.all() or not colon.any()):
        return at + (4 if colon.any() else 3)
    return at + np.where(colon, 4, 3)


def parse_timestamp_columns(
    chars: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse many timestamps at once: ``YYYY-MM-DD``, or a date-time with ``T`` (``t``,
    space), seconds, an optional fraction of up to six digits and ``Z`` or a numeric offset
    (``±HH:MM``, ``±HHMM``, ``±HH``), such as ``2024-03-01T18:00:00+08:00``.

    Args:
        chars: (n, w) uint8 array, the first bytes of each UTF-8 value (padding is ignored);
            :data:`COLUMN_WIDTH` bytes are enough for every form read here.
        lengths: the byte length of each value.

    Returns:
        ``(parsed, us, plain)``: True where the value is in one of these forms and denotes a
        real instant, its microseconds since the epoch there (0 elsewhere), and True where
        its canonical text (:func:`format_us`) is the value itself, or for a bare date the
        value and ``T00:00:00Z``. Exactly what :func:`parse_timestamp` gives for those values;
        every other value is left to it (an offset that takes the instant out of Python's
        range of years is refused there, so it is left to it too).
    """
    b = _Bytes(chars, lengths)
    dated, days = _date_part(b)
    timed, second = _time_part(b)
    fraction_ok, micro, zone_at = _fraction(b)
    zone_ok, offset = _zone(b, zone_at)
    timed &= fraction_ok & zone_ok
    bare = lengths == 10
    parsed = dated & (bare | timed)
    seconds = np.where(bare, 0, second - offset)
    us = days * US_PER_DAY + seconds * 1_000_000 + micro
    parsed &= (us >= _FIRST_US) & (us <= _LAST_US)  # else shifting to UTC overflows in Python
    us = np.where(parsed, us, 0)
    plain = bare | ((lengths == 20) & (b.chars[:, 10] == 84) & (b.chars[:, 19] == _ZONE["Z"]))
    return parsed, us, parsed & plain


def civil_dates(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of each epoch day: the inverse of :func:`epoch_days` (H. Hinnant's
    ``civil_from_days``, integer arithmetic only, in 32 bits: for years within a million of 0).
    """
    z = days.astype(np.int32) + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


_CANONICAL = np.frombuffer(b"0000-00-00T00:00:00.000000Z", dtype=np.uint8)
_PAIRS = np.array([divmod(v, 10) for v in range(100)], dtype=np.uint8) + np.uint8(48)  # "00".."99"


def format_columns(us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical texts of many instants, as :func:`format_us` writes them (years 1-9999).

    Returns:
        ``(chars, lengths)``: an (n, 27) uint8 array holding each text from its start, and
        each text's length (20, or 27 with a fraction).
    """
    seconds, micro = np.divmod(us, 1_000_000)
    days, second_of_day = np.divmod(seconds, 86_400)
    year, month, day = civil_dates(days)
    minutes, second = np.divmod(second_of_day, 60)
    hour, minute = np.divmod(minutes, 60)
    # Two digits at a time, from a table; the position of each pair in _CANONICAL.
    pairs = [(0, year // 100 % 100), (2, year % 100), (5, month), (8, day)]
    pairs += [(11, hour), (14, minute), (17, second)]
    has_fraction = micro != 0
    if has_fraction.any():
        pairs += [(20, micro // 10_000), (22, micro // 100 % 100), (24, micro % 100)]
    chars = np.tile(_CANONICAL, (len(us), 1))
    for at, value in pairs:
        chars[:, at : at + 2] = np.take(_PAIRS, value, axis=0)
    chars[~has_fraction, 19] = _ZONE["Z"]
    return chars, np.where(has_fraction, 27, 20)
