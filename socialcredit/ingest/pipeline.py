"""Batched, streaming ingest of conduct records into the ledger.

Rows are read one at a time, checked against the catalogue, and appended in batches; each batch
is one durable, checkpointed append. A refused row goes to the rejects file with every reason
and never stops the rows around it; a batch is acknowledged (``on_batch``) only after it is
durable, so a crash loses at most the batch in flight — and ingesting the same file again with
idempotency keys fills exactly the gap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from ..catalogue import Catalogue
from ..errors import LedgerOverloadedError, RecordRefusedError
from ..ledger import AppendResult, Ledger, PendingEntry
from .readers import Row, RowError, read_rows

__all__ = ["BatchAck", "IngestSummary", "ingest_file", "ingest_rows", "rejects_path_for"]

DEFAULT_BATCH_SIZE = 10_000
_RETRIES = 5


@dataclass(frozen=True, slots=True)
class BatchAck:
    """A durable batch: the last input row it covers and where its entries landed."""

    batch: int
    last_row: int
    results: tuple[AppendResult, ...]


@dataclass(slots=True)
class IngestSummary:
    """Counts of one ingest run."""

    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    batches: int = 0
    first_position: int | None = None
    last_position: int | None = None
    rejects_path: Path | None = None
    seconds: float = 0.0
    refusal_reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able form for the CLI and the API."""
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "refused": self.refused,
            "batches": self.batches,
            "first_position": self.first_position,
            "last_position": self.last_position,
            "rejects": str(self.rejects_path) if self.rejects_path and self.refused else None,
            "seconds": round(self.seconds, 3),
            "refusal_reasons": self.refusal_reasons,
        }


def rejects_path_for(path: str | Path) -> Path:
    """Where refused rows of ``path`` go by default: ``<path>.rejects.jsonl``."""
    return Path(f"{path}.rejects.jsonl")


def ingest_file(
    ledger: Ledger,
    catalogue: Catalogue,
    path: str | Path,
    *,
    fmt: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    rejects_path: str | Path | None = None,
    on_batch: Callable[[BatchAck], None] | None = None,
) -> IngestSummary:
    """Ingest the records of a CSV, JSON Lines or Parquet file; see the module docstring.

    Raises:
        ConfigurationError: if the file cannot be read or its format is unknown.
        LedgerOverloadedError: if the ledger keeps pushing back; earlier batches are durable.
    """
    target = Path(rejects_path) if rejects_path is not None else rejects_path_for(path)
    with _Rejects(target) as rejects:
        summary = ingest_rows(
            ledger,
            catalogue,
            read_rows(path, fmt),
            rejects=rejects,
            batch_size=batch_size,
            on_batch=on_batch,
        )
    summary.rejects_path = target
    return summary


def ingest_rows(
    ledger: Ledger,
    catalogue: Catalogue,
    rows: Iterable[tuple[int, Row]],
    *,
    rejects: _Rejects | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[BatchAck], None] | None = None,
) -> IngestSummary:
    """Ingest numbered rows (as from :func:`read_rows`); refused rows go to ``rejects``."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    summary = IngestSummary()
    for number, chunk in enumerate(_batches(rows, batch_size)):
        entries = _validate(catalogue, chunk, summary, rejects)
        results = _append_with_retry(ledger, entries) if entries else []
        _count(summary, results)
        summary.batches += 1
        if on_batch is not None:
            on_batch(BatchAck(number, chunk[-1][0], tuple(results)))
    summary.seconds = time.perf_counter() - started
    return summary


def _batches(rows: Iterable[tuple[int, Row]], size: int) -> Iterator[list[tuple[int, Row]]]:
    batch: list[tuple[int, Row]] = []
    for item in rows:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _validate(
    catalogue: Catalogue,
    chunk: list[tuple[int, Row]],
    summary: IngestSummary,
    rejects: _Rejects | None,
) -> list[PendingEntry]:
    now = datetime.now(UTC)
    entries = []
    validate = catalogue.validate
    for number, row in chunk:
        summary.rows += 1
        if isinstance(row, RowError):
            _refuse(summary, rejects, number, [{"field": "row", "reason": row.reason}], row.raw)
            continue
        try:
            record = validate(row, now=now)
        except RecordRefusedError as exc:
            problems = [p.as_dict() for p in exc.problems]
            _refuse(summary, rejects, number, problems, row)
            continue
        entries.append(
            PendingEntry(
                "RecordFiled",
                record.payload(),
                record.idempotency_key,
                (record.subject_kind.value, record.subject_id),
            )
        )
    return entries


def _refuse(
    summary: IngestSummary,
    rejects: _Rejects | None,
    number: int,
    problems: list[dict[str, str]],
    raw: Mapping[str, Any] | str | None,
) -> None:
    summary.refused += 1
    for problem in problems:
        reason = f"{problem['field']}: {problem['reason']}"
        summary.refusal_reasons[reason] = summary.refusal_reasons.get(reason, 0) + 1
    if rejects is not None:
        rejects.write(number, problems, raw)


def _append_with_retry(ledger: Ledger, entries: list[PendingEntry]) -> list[AppendResult]:
    for attempt in range(_RETRIES):
        try:
            return ledger.append(entries, checked=True)
        except LedgerOverloadedError as exc:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(exc.retry_after * (attempt + 1))
    raise AssertionError("unreachable")


def _count(summary: IngestSummary, results: list[AppendResult]) -> None:
    for result in results:
        if result.duplicate:
            summary.duplicates += 1
            continue
        summary.accepted += 1
        if summary.first_position is None:
            summary.first_position = result.position
        summary.last_position = result.position


class _Rejects:
    """The rejects file: one JSON line per refused row, created only if a row is refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None
        path.unlink(missing_ok=True)

    def write(self, row: int, problems: list[dict[str, str]], raw: object) -> None:
        if self._handle is None:
            self._handle = self.path.open("wb")
        line = {"row": row, "problems": problems, "record": raw}
        self._handle.write(orjson.dumps(line, default=str) + b"\n")

    def __enter__(self) -> _Rejects:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
