"""Timestamps with any offset on the column-wise fast path: the same answers as per record.

The Arrow kernels read dates and date-times with ``Z`` or a numeric offset as columns; these
tests hold them to the scalar parse (instant and canonical text) and, through whole batches,
to :meth:`Catalogue.validate` (acceptance, payload bytes and refusal messages), across offsets,
zones without daylight saving time, and the boundaries: leap days, year ends, the earliest
date the catalogue accepts, the future tolerance, an 18th birthday, and Python's range.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import default_catalogue, make_resident_id
from socialcredit.catalogue._batch import _kernels, rows_to_arrays
from socialcredit.catalogue._timestamps import (
    COLUMN_WIDTH,
    EARLIEST,
    format_columns,
    format_us,
    parse_timestamp,
    parse_timestamp_columns,
)

from .records_factory import valid_rows
from .test_batch_validation import outcome, per_record
from .test_records import _BASES, ADULT, NOW

FAST = settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
# Zones that keep one offset all year (today), from UTC-12 to UTC+14, half and quarter hours too.
STEADY_ZONES = [
    "Etc/GMT+12",
    "Pacific/Pago_Pago",
    "America/Bogota",
    "UTC",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Shanghai",
    "Australia/Eucla",
    "Asia/Tokyo",
    "Pacific/Kiritimati",
]
# The grammar the kernels promise to read in full (offsets within ±23:59).
READ = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]{1,6})?(Z|[+-][0-9]{2}(:?[0-5][0-9])?))?"
)
MINOR = make_resident_id("110105", datetime(2006, 12, 31).date(), 7)  # 18 on 2024-12-31


def zone_text(minutes: int, style: str) -> str:
    """An offset of ``minutes`` written as ``Z``, ``±HH:MM``, ``±HHMM`` or ``±HH``."""
    if style == "Z":
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    if style == "hours":
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}{':' if style == 'colon' else ''}{rest:02d}"


@st.composite
def written(draw: st.DrawFn, instant: datetime, minutes: int) -> str:
    """``instant`` written in local time at an offset of ``minutes``, in one of the forms."""
    style = "Z" if minutes == 0 and draw(st.booleans()) else draw(st.sampled_from(STYLES))
    if style == "hours":
        minutes -= minutes % 60 if minutes >= 0 else -(-minutes % 60)
    local = instant + timedelta(minutes=minutes)
    separator = draw(st.sampled_from("TTTt "))
    fraction = draw(st.sampled_from(["", "", ".5", ",25", ".123", ".000001", ".1234567"]))
    return f"{local:%Y-%m-%d}{separator}{local:%H:%M:%S}{fraction}{zone_text(minutes, style)}"


STYLES = ["colon", "colon", "packed", "hours"]
OFFSETS = st.one_of(
    st.sampled_from([0, 480, -480, 330, 345, -210, 840, -720, 1439, -1439]),
    st.integers(-1439, 1439),
)


@st.composite
def any_instant_text(draw: st.DrawFn) -> str:
    """A date-time in any form, anywhere in Python's range, the year ends and leap days most."""
    day = draw(
        st.one_of(
            st.sampled_from(["0001-01-01", "1949-10-01", "2000-02-29", "2024-02-29", "9999-12-31"]),
            st.sampled_from(["1900-02-28", "2023-12-31", "2024-01-01", "2100-03-01"]),
            st.dates().map(str),
        )
    )
    local = datetime.fromisoformat(day) + timedelta(seconds=draw(st.integers(0, 86_399)))
    minutes = draw(OFFSETS)
    try:
        instant = local.replace(tzinfo=UTC) - timedelta(minutes=minutes)
        return draw(written(instant, minutes))
    except OverflowError:  # the UTC instant is out of Python's range: write the local text
        return f"{local:%Y-%m-%dT%H:%M:%S}{zone_text(minutes, 'colon')}"


def broken(text: str) -> st.SearchStrategy[str]:
    """``text`` with one character replaced, or an impossible field (month 13, +24:00, ...)."""
    swaps = st.tuples(st.integers(0, max(len(text) - 1, 0)), st.sampled_from("0957:+-.TZz ٣"))
    edited = swaps.map(lambda s: text[: s[0]] + s[1] + text[s[0] + 1 :])
    fields = st.sampled_from(
        [
            re.sub(r"-\d\d-", "-13-", text, count=1),
            re.sub(r"-\d\d(?=[Tt ])", "-31", text, count=1),
            re.sub(r"[Tt ]\d\d", "T24", text, count=1),
            re.sub(r"[+-]\d\d(:?)\d\d$", r"+24\g<1>00", text),
            re.sub(r"[+-](\d\d)(:?)\d\d$", r"+\g<1>\g<2>60", text),
            text + ":00",
            text.strip("Z") + "+08:00:30",
            " " + text,
        ]
    )
    return st.one_of(edited, fields)


@st.composite
def zoned_text(draw: st.DrawFn) -> str:
    """An instant as a zone without daylight saving time writes it (``isoformat``)."""
    zone = ZoneInfo(draw(st.sampled_from(STEADY_ZONES)))
    moment = draw(st.datetimes(datetime(1950, 1, 1), datetime(2200, 1, 1))).replace(tzinfo=UTC)
    separator = draw(st.sampled_from("T t"))
    spec = draw(st.sampled_from(["seconds", "milliseconds", "microseconds", "auto"]))
    return moment.astimezone(zone).isoformat(separator, spec)


TEXTS = st.one_of(
    any_instant_text(),
    zoned_text(),
    any_instant_text().flatmap(broken),
    st.text(alphabet="0123456789-:+.,TZtz ", min_size=10, max_size=COLUMN_WIDTH + 2),
)


def columns(values: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = [v.encode().ljust(COLUMN_WIDTH, b"9")[:COLUMN_WIDTH] for v in values]
    chars = np.frombuffer(b"".join(data), dtype=np.uint8).reshape(-1, COLUMN_WIDTH)
    return parse_timestamp_columns(chars, np.array([len(v.encode()) for v in values]))


@FAST
@given(st.lists(TEXTS, min_size=1, max_size=40))
def test_columns_give_the_scalar_instant_and_text(values: list[str]) -> None:
    parsed, us, plain = columns(values)
    chars, lengths = format_columns(us)
    for i, value in enumerate(values):
        scalar = parse_timestamp(value)
        if parsed[i]:
            assert not isinstance(scalar, str), value
            assert scalar[1] == us[i], value
            assert bytes(chars[i, : lengths[i]]).decode() == format_us(scalar[1]), value
            if plain[i]:
                assert format_us(scalar[1]) in (value, value + "T00:00:00Z")
        else:
            # Whatever the kernels promise to read, they read; the rest Python decides.
            assert isinstance(scalar, str) or not READ.fullmatch(value), value


def near(boundary: datetime) -> st.SearchStrategy[datetime]:
    """Instants within two days of ``boundary``, most within a few seconds."""
    seconds = st.one_of(st.integers(-3, 3), st.integers(-172_800, 172_800))
    return seconds.map(lambda s: boundary + timedelta(seconds=s))


BOUNDARIES = [EARLIEST, NOW + timedelta(minutes=5), datetime(2024, 12, 31, tzinfo=UTC)]
INSTANTS = st.one_of(
    *(near(b) for b in BOUNDARIES),
    st.datetimes(datetime(1949, 1, 1), datetime(2025, 2, 1)).map(lambda d: d.replace(tzinfo=UTC)),
)


@st.composite
def offset_rows(draw: st.DrawFn) -> dict[str, Any]:
    """A valid row (a minor's too) with its time near a boundary, written at some offset."""
    raw = {k: v for k, v in draw(st.sampled_from(_BASES)).items() if isinstance(v, str)}
    if raw.get("subject_id") == ADULT and draw(st.booleans()):
        raw["subject_id"] = MINOR
    text = draw(st.one_of(INSTANTS.flatmap(lambda i: written(i, draw(OFFSETS))), TEXTS))
    raw["occurred_at"] = text
    return raw


@settings(FAST, max_examples=80)
@given(st.lists(offset_rows(), min_size=1, max_size=8))
def test_batches_with_offsets_agree_with_per_record_validation(
    rows: list[dict[str, Any]],
) -> None:
    assert rows_to_arrays(rows) is not None  # the Arrow kernels see the whole batch
    catalogue = default_catalogue()
    expected = [per_record(r) for r in rows]
    assert [outcome(r) for r in catalogue.validate_batch(rows, now=NOW)] == expected
    # Each row alone too: a batch's texts are written afresh only when one of them needs it.
    alone = [outcome(catalogue.validate_batch([r], now=NOW)[0]) for r in rows]
    assert alone == expected


@pytest.mark.parametrize("zone", ["+08:00", "+0800", "+08", "-05:30", "+05:45", "-00:00"])
def test_rows_with_an_offset_never_leave_the_kernels(zone: str) -> None:
    rows = [{k: v for k, v in r.items() if v is not None} for r in valid_rows(300)]
    for row in rows:
        row["occurred_at"] = row["occurred_at"].removesuffix("Z") + zone
    arrays = rows_to_arrays(rows)
    assert arrays is not None
    catalogue = default_catalogue()
    now = datetime.now(UTC)
    sure, encoded = _kernels(catalogue, arrays, len(rows), catalogue._set_clock(now))
    assert sure.all()
    assert encoded.payload_json == [catalogue.validate(r, now=now).payload_json() for r in rows]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2024-01-01T07:59:59+08:00", "2023-12-31T23:59:59Z"),
        ("2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00Z"),
        ("2023-03-01T00:30:00+0100", "2023-02-28T23:30:00Z"),
        ("2000-02-28T20:00:00-0800", "2000-02-29T04:00:00Z"),
        ("1949-10-01T08:00:00.5+08", "1949-10-01T00:00:00.500000Z"),
        ("9999-12-31T23:59:59-00:00", "9999-12-31T23:59:59Z"),
        ("0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00Z"),
    ],
)
def test_boundaries_shift_across_days_years_and_leap_days(text: str, canonical: str) -> None:
    parsed, us, _ = columns([text])
    chars, lengths = format_columns(us)
    assert parsed[0] and bytes(chars[0, : lengths[0]]).decode() == canonical


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+00:01",  # before year 1 in UTC
        "9999-12-31T23:59:59-00:01",  # after year 9999 in UTC
        "2024-03-01T10:00:00+24:00",
        "2024-03-01T10:00:00+08:60",  # Python reads +09:00; left to it
        "2023-02-29T10:00:00+08:00",
        "2024-03-01T10:00:00.1234567+08:00",  # Python truncates; left to it
    ],
)
def test_what_the_kernels_leave_to_python(text: str) -> None:
    assert not columns([text])[0][0]
