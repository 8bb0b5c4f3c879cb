"""Ledger entries as Arrow columns, read from the stored bundles in bulk.

The bundles of a range of positions are concatenated into one buffer and split into entries
without a Python object per entry: the chain of 4-byte length prefixes is walked in every
bundle at once with NumPy (one step per entry of a bundle, 256 at most). The prefixes are
then overwritten with spaces, which JSON readers skip, so the entries become one Arrow string
column over the same buffer.

Canonical times (``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``) are read column-wise as well; any other
text is left to :func:`~socialcredit.timeutil.parse_time`, which decides exactly as the
per-entry path does.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socialcredit.errors import LedgerError, StorageError
from socialcredit.ledger import Ledger
from socialcredit.storage import BUNDLE_SIZE
from socialcredit.timeutil import parse_time

__all__ = ["canonical_times_us", "entry_chunks"]

_SPACE = 0x20


def entry_chunks(
    ledger: Ledger, stop: int, bundles: int = 2048, *, start: int = 0
) -> Iterator[pa.Table]:
    """The entries at positions ``start <= position < stop`` as tables of ``position``
    (int64) and ``raw`` (the canonical entry as text, preceded by up to 4 spaces), ``bundles``
    stored bundles at a time, in position order.

    Raises:
        LedgerError: if a stored bundle is missing.
        StorageError: if a bundle is malformed or an entry is not UTF-8 text.
    """
    if start >= stop:
        return
    last = -(-stop // BUNDLE_SIZE)
    for first in range(start // BUNDLE_SIZE, last, bundles):
        end = min(first + bundles, last)
        datas = _read_bundles(ledger, first, end)
        base = first * BUNDLE_SIZE
        table = _entries_table(datas, base, min(stop, end * BUNDLE_SIZE) - base)
        yield table.slice(start - base) if start > base else table


def _read_bundles(ledger: Ledger, first: int, end: int) -> list[bytes]:
    """Bundles ``first <= index < end``, every one present.

    Raises:
        LedgerError: if one is missing (as :meth:`Ledger.raw_entries` reports it).
    """
    out: list[bytes] = []
    for index, data in ledger.store.read_bundles(first, end):
        if index != first + len(out):
            break
        out.append(data)
    if len(out) != end - first:
        missing = first + len(out)
        raise LedgerError(f"bundle {missing} is missing; run `socialcredit verify`")
    return out


def _entries_table(datas: list[bytes], base: int, count: int) -> pa.Table:
    """The first ``count`` entries of the concatenated bundles ``datas`` (positions from
    ``base``), as a table of ``position`` and ``raw``.

    Raises:
        StorageError: if a bundle is malformed or holds too few entries.
    """
    buffer = np.concatenate([np.frombuffer(d, dtype=np.uint8) for d in datas])
    sizes = np.array([len(d) for d in datas], dtype=np.int64)
    starts = _entry_starts(buffer, np.cumsum(sizes) - sizes, sizes)
    if len(starts) < count:
        raise StorageError(f"bundles from position {base} hold {len(starts)} of {count} entries")
    ends = np.append(starts[1:] - 4, len(buffer))[:count]
    starts = starts[:count]
    buffer[(starts[:, None] - 4 + np.arange(4)).ravel()] = _SPACE
    offsets = np.append(starts - 4, ends[-1:]) if count else np.zeros(1, dtype=np.int64)
    raw = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(buffer))
    try:
        raw.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise StorageError(f"an entry from position {base} is not UTF-8 text: {exc}") from exc
    positions = pa.array(np.arange(base, base + count, dtype=np.int64))
    return pa.table({"position": positions, "raw": raw})


def _entry_starts(buffer: np.ndarray, firsts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Where every entry starts in the concatenated bundles (bundle ``b`` spans
    ``firsts[b] .. firsts[b] + sizes[b]``), in order: the chain of 4-byte big-endian length
    prefixes walked in every bundle at once, as ``unpack_bundle`` walks one.

    Raises:
        StorageError: if a prefix is truncated or overruns its bundle.
    """
    at, ends = firsts.copy(), firsts + sizes
    found: list[np.ndarray] = []
    live = np.flatnonzero(at < ends)
    while len(live):
        here = at[live]
        if np.any(here + 4 > ends[live]):
            raise StorageError("a stored bundle is malformed: a length prefix is truncated")
        prefix = buffer[here[:, None] + np.arange(4)].astype(np.int64)
        lengths = (prefix[:, 0] << 24) | (prefix[:, 1] << 16) | (prefix[:, 2] << 8) | prefix[:, 3]
        after = here + 4 + lengths
        if np.any(after > ends[live]):
            raise StorageError("a stored bundle is malformed: an entry overruns it")
        found.append(np.stack([live, here + 4], axis=1))
        at[live] = after
        live = live[after < ends[live]]
    if not found:
        return np.zeros(0, dtype=np.int64)
    every = np.concatenate(found)
    return np.sort(every[:, 1])


# -- canonical times --------------------------------------------------------------------------

_SHORT, _LONG = 20, 27


def canonical_times_us(texts: pa.Array) -> np.ndarray:
    """Microseconds since the epoch of every time text, exactly as
    :func:`~socialcredit.timeutil.parse_time` reads it.

    Canonical texts (``YYYY-MM-DDTHH:MM:SSZ``, optionally with six fraction digits) are read
    column-wise; any other text is read by ``parse_time`` itself.

    Raises:
        ValueError: as ``parse_time``, for a text it refuses (or a missing one).
    """
    texts = texts.cast(pa.large_string())
    count = len(texts)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    ok, us = _parse_fixed(texts)
    for i in np.flatnonzero(~ok):
        text = texts[int(i)].as_py()
        if text is None:
            raise ValueError("a time is missing")
        us[i] = parse_time(text)
    return us


def _parse_fixed(texts: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """``(ok, us)``: which texts are canonical, and their microseconds (where ok)."""
    count = len(texts)
    ok, us = np.zeros(count, dtype=bool), np.zeros(count, dtype=np.int64)
    lengths = pc.fill_null(pc.binary_length(texts), 0).to_numpy()
    for width in (_SHORT, _LONG):
        rows = np.flatnonzero(lengths == width)
        if not len(rows):
            continue
        same = texts if len(rows) == count else texts.take(pa.array(rows))
        start = int(np.frombuffer(same.buffers()[1], dtype=np.int64)[same.offset])
        grid = np.frombuffer(same.buffers()[2], dtype=np.uint8)[start : start + width * len(rows)]
        ok[rows], us[rows] = _grid_times(grid.reshape(len(rows), width))
    return ok, us


def _grid_times(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(ok, us)`` of fixed-width time texts, one per row of ``grid`` (20 or 27 bytes)."""
    long = grid.shape[1] == _LONG
    ok = _punctuated(grid, long)

    def number(first: int, width: int) -> np.ndarray:
        nonlocal ok
        value = np.zeros(len(grid), dtype=np.int64)
        for i in range(first, first + width):
            digit = grid[:, i].astype(np.int64) - ord("0")
            ok &= (digit >= 0) & (digit <= 9)
            value = value * 10 + digit
        return value

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    hour, minute, second = number(11, 2), number(14, 2), number(17, 2)
    micros = number(20, 6) if long else 0
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (day <= _days_in_month(year, month)) & (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    return ok, np.where(ok, seconds * 1_000_000 + micros, 0)


def _punctuated(grid: np.ndarray, long: bool) -> np.ndarray:
    """Whether the separators sit where a canonical time has them."""
    fixed = (
        (grid[:, 4] == ord("-"))
        & (grid[:, 7] == ord("-"))
        & (grid[:, 10] == ord("T"))
        & (grid[:, 13] == ord(":"))
        & (grid[:, 16] == ord(":"))
    )
    if long:
        return fixed & (grid[:, 19] == ord(".")) & (grid[:, 26] == ord("Z"))
    return fixed & (grid[:, 19] == ord("Z"))


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    return days[np.clip(month, 0, 12)] + ((month == 2) & leap)


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468
