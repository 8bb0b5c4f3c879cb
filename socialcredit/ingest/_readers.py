"""Streaming readers for record files: CSV, JSON Lines and Parquet, chunk by chunk.

:func:`read_chunks` yields :class:`RawChunk` s of at most ``size`` rows — never the whole file —
held as columns (field → Arrow array, null where absent), which is how the catalogue checks
them fastest. CSV and Parquet are parsed by Apache Arrow (CSV with every column read as text,
so values reach the catalogue exactly as written) and stay Arrow arrays; JSON Lines and rows
given in memory are parsed row by row and converted to text arrays where they fit (else kept
as Python lists). A row that cannot even be parsed becomes a :class:`RowError` with its
number. Rows are numbered from 1 in file order (a CSV header is not a row; blank lines are
skipped and not counted).

The readers take any columns; :func:`check_header` is what refuses a file of records whose
header lacks a record field every record needs (so no row of it could be accepted).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from socialcredit.catalogue import rows_to_arrays

from ..catalogue import RECORD_FIELDS
from ..errors import ConfigurationError, Problem, ValidationError

__all__ = [
    "FORMATS",
    "RawChunk",
    "RowError",
    "check_header",
    "chunks_from_rows",
    "detect_format",
    "estimate_rows",
    "read_chunks",
    "read_rows",
]

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_CSV_BLOCK = 1 << 20
# The record fields every record needs (the others are optional).
_REQUIRED = ("subject_id", "subject_kind", "kind", "occurred_at", "source")


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be parsed, with the reason (and the raw text where there is one)."""

    reason: str
    raw: str | None = None


Row = Mapping[str, Any] | RowError


class RawChunk:
    """Consecutive input rows: the parsed ones as columns, the unparseable ones as errors.

    The columns are held as Arrow arrays where the rows came as such (CSV, Parquet, or rows
    that convert to text arrays), which the catalogue checks fastest, else as Python lists;
    :attr:`columns` gives Python lists either way.

    Attributes:
        numbers: the row number of each parsed row (the columns' order).
        errors: ``(row number, RowError)`` for the rows that could not be parsed.
        arrays: field name → Arrow array, one value per parsed row (null where absent), or
            None when the chunk is held as Python lists only.
    """

    __slots__ = ("_columns", "arrays", "errors", "numbers")

    def __init__(
        self,
        numbers: list[int] | None = None,
        columns: dict[str, list[Any]] | None = None,
        errors: list[tuple[int, RowError]] | None = None,
        *,
        arrays: dict[str, Any] | None = None,
    ) -> None:
        self.numbers = numbers if numbers is not None else []
        self.errors = errors if errors is not None else []
        self.arrays = arrays
        self._columns = columns if columns is not None or arrays is not None else {}

    @property
    def columns(self) -> dict[str, list[Any]]:
        """Field name → one Python value per parsed row (None where the row has none)."""
        if self._columns is None:
            assert self.arrays is not None
            self._columns = {name: array.to_pylist() for name, array in self.arrays.items()}
        return self._columns

    @property
    def rows(self) -> int:
        """How many input rows the chunk covers."""
        return len(self.numbers) + len(self.errors)

    @property
    def last_row(self) -> int:
        """The number of the chunk's last input row."""
        return max(
            self.numbers[-1] if self.numbers else 0, self.errors[-1][0] if self.errors else 0
        )

    def row(self, index: int) -> dict[str, Any]:
        """The parsed row at ``index`` as a mapping (absent fields left out)."""
        if self._columns is None:
            assert self.arrays is not None
            values = {name: array[index].as_py() for name, array in self.arrays.items()}
            return {name: value for name, value in values.items() if value is not None}
        return {
            name: values[index]
            for name, values in self._columns.items()
            if values[index] is not None
        }


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


def check_header(path: str | Path, fmt: str | None = None, *, with_source: bool = True) -> None:
    """Refuse a CSV or Parquet file of records whose header lacks a required field.

    Such a file cannot yield a single record, so it is refused whole before any row is read;
    the columns it has that are not record fields are named too (often the misspelt ones).
    A header with every required field passes, extra columns and all (each row is then
    refused naming them). JSON Lines has no header and always passes. With
    ``with_source=False`` (the ingest knows who files) the ``source`` column may be absent.

    Raises:
        ValidationError: naming each missing and each unknown column.
        ConfigurationError: if the file cannot be read or its format is unknown.
    """
    kind = detect_format(path, fmt)
    if kind == "jsonl":
        return
    try:
        names = _csv_header(Path(path)) if kind == "csv" else _parquet_names(Path(path))
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    required = _REQUIRED if with_source else _REQUIRED[:-1]
    missing = [name for name in required if name not in names]
    if not missing or not names:  # an empty file holds no rows to refuse
        return
    unknown = [name for name in names if name not in RECORD_FIELDS]
    message = f"the header of {path} lacks the columns {', '.join(missing)}"
    if unknown:
        message += f" and has unknown columns {', '.join(unknown)}"
    problems = [Problem(name, "missing column (every record needs it)") for name in missing]
    problems += [Problem(name, "unknown column (not a record field)") for name in unknown]
    raise ValidationError(message + "; no row was ingested", problems)


def _parquet_names(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise ConfigurationError(f"cannot read Parquet file {path}: {exc}") from exc


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
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield _chunk_of(batch)


def _chunk_of(batch: list[tuple[int, Row]]) -> RawChunk:
    numbers = [number for number, _ in batch]
    parsed: list[Any] = [row for _, row in batch]
    errors: list[tuple[int, RowError]] = []
    if RowError in set(map(type, parsed)):
        errors = [(n, row) for n, row in batch if isinstance(row, RowError)]
        numbers = [n for n, row in batch if not isinstance(row, RowError)]
        parsed = [row for row in parsed if not isinstance(row, RowError)]
    arrays = rows_to_arrays(parsed) if parsed else None
    if arrays is not None:
        return RawChunk(numbers, None, errors, arrays=arrays)
    names = dict.fromkeys(name for row in parsed for name in row)
    return RawChunk(numbers, {name: [row.get(name) for row in parsed] for name in names}, errors)


def _rechunk(source: Iterator[RawChunk], size: int) -> Iterator[RawChunk]:
    """Cut or join the parser's chunks (of Arrow arrays) into chunks of exactly ``size`` rows
    (the last fewer)."""
    pending = RawChunk(arrays={})
    for piece in source:
        pending = _joined(pending, piece)
        while pending.rows >= size:
            head, pending = _split(pending, size)
            yield head
    if pending.rows:
        yield pending


def _joined(first: RawChunk, second: RawChunk) -> RawChunk:
    import pyarrow as pa

    a, b = first.arrays or {}, second.arrays or {}
    types = {name: array.type for name, array in (*b.items(), *a.items())}
    sizes = (len(first.numbers), len(second.numbers))

    def column(name: str) -> Any:
        parts = [arrays.get(name) for arrays in (a, b)]
        parts = [
            p if p is not None else pa.nulls(n, types[name])
            for p, n in zip(parts, sizes, strict=True)
        ]
        return pa.concat_arrays(parts) if sizes[0] else parts[1]

    return RawChunk(
        [*first.numbers, *second.numbers],
        None,
        [*first.errors, *second.errors],
        arrays={name: column(name) for name in types},
    )


def _split(chunk: RawChunk, size: int) -> tuple[RawChunk, RawChunk]:
    """The first ``size`` input rows of ``chunk``, and the rest."""
    if chunk.errors:
        cut = sorted([*chunk.numbers, *(n for n, _ in chunk.errors)])[size - 1]
        parsed = sum(1 for n in chunk.numbers if n <= cut)
    else:
        cut, parsed = chunk.numbers[size - 1], size
    arrays = chunk.arrays or {}
    head = RawChunk(
        chunk.numbers[:parsed],
        None,
        [e for e in chunk.errors if e[0] <= cut],
        arrays={name: array.slice(0, parsed) for name, array in arrays.items()},
    )
    tail = RawChunk(
        chunk.numbers[parsed:],
        None,
        [e for e in chunk.errors if e[0] > cut],
        arrays={name: array.slice(parsed) for name, array in arrays.items()},
    )
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
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=1, block_size=_CSV_BLOCK, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
            ),
        )
        numbering = _Numbering()
        for batch in reader:
            # Arrow counts the header as line 1; rows are numbered from 1 after it.
            errors = [(n - 1, error) for n, error in bad]
            bad.clear()
            numbers = numbering.take(batch.num_rows, {n for n, _ in errors})
            arrays = {name: batch.column(i) for i, name in enumerate(header)}
            yield RawChunk(numbers, None, errors, arrays=arrays)
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
        arrays = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
        yield RawChunk(numbers, None, [], arrays=arrays)
