"""Streaming readers for record files: CSV, JSON Lines and Parquet, chunk by chunk.

:func:`read_chunks` yields :class:`RawChunk` s of at most ``size`` rows — never the whole file —
held as columns (field → list of values, None where absent), which is how the catalogue checks
them fastest. CSV and Parquet are parsed by Apache Arrow (CSV with every column read as text,
so values reach the catalogue exactly as written); JSON Lines row by row. A row that cannot
even be parsed becomes a :class:`RowError` with its number. Rows are numbered from 1 in file
order (a CSV header is not a row; blank lines are skipped and not counted).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigurationError

__all__ = [
    "FORMATS",
    "RawChunk",
    "RowError",
    "chunks_from_rows",
    "detect_format",
    "estimate_rows",
    "read_chunks",
    "read_rows",
]

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
             ".parquet": "parquet", ".pq": "parquet"}
_CSV_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be parsed, with the reason (and the raw text where there is one)."""

    reason: str
    raw: str | None = None


Row = Mapping[str, Any] | RowError


@dataclass(slots=True)
class RawChunk:
    """Consecutive input rows: the parsed ones as columns, the unparseable ones as errors.

    Attributes:
        numbers: the row number of each parsed row (the columns' order).
        columns: field name → one value per parsed row (None where the row has none).
        errors: ``(row number, RowError)`` for the rows that could not be parsed.
    """

    numbers: list[int] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict)
    errors: list[tuple[int, RowError]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """How many input rows the chunk covers."""
        return len(self.numbers) + len(self.errors)

    @property
    def last_row(self) -> int:
        """The number of the chunk's last input row."""
        return max(self.numbers[-1] if self.numbers else 0,
                   self.errors[-1][0] if self.errors else 0)

    def row(self, index: int) -> dict[str, Any]:
        """The parsed row at ``index`` as a mapping (absent fields left out)."""
        return {name: values[index] for name, values in self.columns.items()
                if values[index] is not None}


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


def read_chunks(path: str | Path, fmt: str | None, size: int) -> Iterator[RawChunk]:
    """Stream ``path`` as chunks of at most ``size`` rows.

    Raises:
        ConfigurationError: if the file cannot be opened or parsed, or its format is unknown.
    """
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    kind = detect_format(path, fmt)
    try:
        if kind == "jsonl":
            yield from chunks_from_rows(_jsonl_rows(Path(path)), size)
        else:
            source = _csv_columns(Path(path)) if kind == "csv" else _parquet_columns(Path(path))
            yield from _rechunk(source, size)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc


def estimate_rows(path: str | Path, fmt: str | None = None) -> int:
    """How many rows ``path`` holds: exact for Parquet, counted lines for CSV and JSON Lines
    (a quoted value spanning lines makes that an overestimate). For progress display only.

    Raises:
        ConfigurationError: if the format is unknown.
    """
    kind = detect_format(path, fmt)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # an unreadable file: ingest itself will say why
            return 0
    lines = 0
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - (kind == "csv"), 0)


def read_rows(path: str | Path, fmt: str | None = None) -> Iterator[tuple[int, Row]]:
    """Stream ``path`` row by row as ``(row number, row or RowError)``, in file order.

    Raises:
        ConfigurationError: as :func:`read_chunks`.
    """
    for chunk in read_chunks(path, fmt, 8192):
        rows: list[tuple[int, Row]] = [(n, chunk.row(i)) for i, n in enumerate(chunk.numbers)]
        rows.extend(chunk.errors)
        yield from sorted(rows, key=lambda item: item[0])


def chunks_from_rows(rows: Iterable[tuple[int, Row]], size: int) -> Iterator[RawChunk]:
    """Group numbered rows (mappings or RowErrors) into column chunks of ``size`` rows."""
    batch: list[tuple[int, Row]] = []
    for item in rows:
        batch.append(item)
        if len(batch) == size:
            yield _chunk_of(batch)
            batch = []
    if batch:
        yield _chunk_of(batch)


def _chunk_of(batch: list[tuple[int, Row]]) -> RawChunk:
    chunk = RawChunk()
    parsed: list[Mapping[str, Any]] = []
    for number, row in batch:
        if isinstance(row, RowError):
            chunk.errors.append((number, row))
        else:
            chunk.numbers.append(number)
            parsed.append(row)
    names = dict.fromkeys(name for row in parsed for name in row)
    chunk.columns = {name: [row.get(name) for row in parsed] for name in names}
    return chunk


def _rechunk(source: Iterator[RawChunk], size: int) -> Iterator[RawChunk]:
    """Cut or join the parser's chunks into chunks of exactly ``size`` rows (the last fewer)."""
    pending = RawChunk()
    for piece in source:
        _extend(pending, piece)
        while pending.rows >= size:
            head, pending = _split(pending, size)
            yield head
    if pending.rows:
        yield pending


def _extend(target: RawChunk, piece: RawChunk) -> None:
    count = len(target.numbers)
    for name in piece.columns.keys() - target.columns.keys():
        target.columns[name] = [None] * count
    for name, values in target.columns.items():
        values.extend(piece.columns.get(name) or [None] * len(piece.numbers))
    target.numbers.extend(piece.numbers)
    target.errors.extend(piece.errors)


def _split(chunk: RawChunk, size: int) -> tuple[RawChunk, RawChunk]:
    """The first ``size`` input rows of ``chunk``, and the rest."""
    if chunk.errors:
        cut = sorted([*chunk.numbers, *(n for n, _ in chunk.errors)])[size - 1]
        parsed = sum(1 for n in chunk.numbers if n <= cut)
    else:
        cut, parsed = chunk.numbers[size - 1], size
    head = RawChunk(chunk.numbers[:parsed],
                    {name: values[:parsed] for name, values in chunk.columns.items()},
                    [e for e in chunk.errors if e[0] <= cut])
    tail = RawChunk(chunk.numbers[parsed:],
                    {name: values[parsed:] for name, values in chunk.columns.items()},
                    [e for e in chunk.errors if e[0] > cut])
    return head, tail


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        line = handle.readline()
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"cannot parse CSV file {path}: header is not UTF-8") from exc
    return next(csv.reader([text]), [])


def _csv_columns(path: Path) -> Iterator[RawChunk]:
    """CSV parsed by Arrow, every column as text, empty values as absent."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = _csv_header(path)
    if not header:
        return
    bad: list[tuple[int, RowError]] = []

    def on_invalid(row: Any) -> str:
        reason = f"row has {row.actual_columns} values but the header has {row.expected_columns}"
        bad.append((row.number or 0, RowError(reason, row.text)))
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1,
                                           block_size=_CSV_BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True),
        )
        numbering = _Numbering()
        for batch in reader:
            # Arrow counts the header as line 1; rows are numbered from 1 after it.
            errors = [(n - 1, error) for n, error in bad]
            bad.clear()
            numbers = numbering.take(batch.num_rows, {n for n, _ in errors})
            columns = {name: batch.column(i).to_pylist() for i, name in enumerate(header)}
            yield RawChunk(numbers, columns, errors)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot parse CSV file {path}: {exc}") from exc


class _Numbering:
    """Numbers parsed rows consecutively, skipping the numbers of rows that failed to parse."""

    def __init__(self) -> None:
        self.next = 1

    def take(self, count: int, skipped: set[int]) -> list[int]:
        if not skipped:
            numbers = list(range(self.next, self.next + count))
        else:
            numbers = []
            candidate = self.next
            while len(numbers) < count:
                if candidate not in skipped:
                    numbers.append(candidate)
                candidate += 1
        self.next = (numbers[-1] if numbers else self.next - 1) + 1
        while self.next in skipped:
            self.next += 1
        return numbers


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


def _parquet_columns(path: Path) -> Iterator[RawChunk]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise ConfigurationError(f"cannot read Parquet file {path}: {exc}") from exc
    number = 0
    for batch in parquet.iter_batches(batch_size=8192):
        numbers = list(range(number + 1, number + 1 + batch.num_rows))
        number += batch.num_rows
        columns = {name: batch.column(i).to_pylist() for i, name in enumerate(batch.schema.names)}
        yield RawChunk(numbers, columns, [])
