"""Streaming readers for record files: CSV, JSON Lines and Parquet.

Each reader yields ``(row_number, row)`` one at a time — never the whole file — where ``row``
is a mapping of field to value, or a :class:`RowError` when the row cannot even be parsed.
Row numbers count data rows from 1 (a CSV header is not a data row).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigurationError

__all__ = ["FORMATS", "RowError", "detect_format", "read_rows"]

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be parsed, with the reason (and the raw text where there is one)."""

    reason: str
    raw: str | None = None


Row = Mapping[str, Any] | RowError


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """The file format, from ``fmt`` if given, else from the file's suffix.

    Raises:
        ConfigurationError: if the format is unknown or cannot be told from the name.
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise ConfigurationError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        return fmt
    found = _SUFFIXES.get(Path(path).suffix.lower())
    if found is None:
        raise ConfigurationError(
            f"cannot tell the format of {path} from its name; pass --format ({', '.join(FORMATS)})"
        )
    return found


def read_rows(path: str | Path, fmt: str | None = None) -> Iterator[tuple[int, Row]]:
    """Stream the rows of ``path``.

    Raises:
        ConfigurationError: if the file cannot be opened or its format is unknown.
    """
    readers = {"csv": _csv_rows, "jsonl": _jsonl_rows, "parquet": _parquet_rows}
    try:
        yield from readers[detect_format(path, fmt)](Path(path))
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc


def _csv_rows(path: Path) -> Iterator[tuple[int, Row]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        width = len(header)
        for number, values in enumerate(reader, start=1):
            if len(values) != width:
                yield (
                    number,
                    RowError(
                        f"row has {len(values)} values but the header has {width}", ",".join(values)
                    ),
                )
                continue
            yield number, {k: v for k, v in zip(header, values, strict=True) if v != ""}


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Row]]:
    with path.open("rb") as handle:
        number = 0
        for line in handle:
            if not line.strip():
                continue
            number += 1
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, RowError(f"not valid JSON: {exc}", line.decode("utf-8", "replace"))
                continue
            if isinstance(value, dict):
                yield number, value
            else:
                yield number, RowError("a JSON Lines row must be an object", line.decode())


def _parquet_rows(path: Path) -> Iterator[tuple[int, Row]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise ConfigurationError(f"cannot read Parquet file {path}: {exc}") from exc
    number = 0
    for batch in parquet.iter_batches(batch_size=8192):
        for row in batch.to_pylist():
            number += 1
            yield number, {k: v for k, v in row.items() if v is not None}
