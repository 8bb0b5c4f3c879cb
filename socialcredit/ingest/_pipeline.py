"""Batched, streaming ingest of conduct records into the ledger.

Rows are read one at a time, checked against the catalogue, and appended in batches; each batch
is one durable, checkpointed append. A refused row goes to the rejects file with every reason
and never stops the rows around it; a batch is acknowledged (``on_batch``) only after it is
durable, so a crash loses at most the batch in flight — and ingesting the same file again with
idempotency keys fills exactly the gap.

Who files: with ``source`` (a registered :class:`~socialcredit.catalogue.Source`, as the API's
source account or the CLI's configuration gives it) every row is filed under that source's
name, and a row whose ``source`` column names another is refused (the column may be absent or
repeat the name, so older files keep working). Without it each row's own ``source`` says who
files (an operator importing a multi-source file, as the demo does with its sample). Either
way the source's authority kind must be one that may establish the kind's category, and the
row's evidence must be a reference of that kind's form.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

import orjson

from .._collector import collector_paused
from ..catalogue import Catalogue, Source
from ..errors import LedgerOverloadedError
from ..ledger import AppendResults, EncodedBatch, Ledger
from ._checking import Accepted, CheckedChunk, Refusal, check_chunk
from ._reader_process import checked_chunks_from_process
from ._readers import RawChunk, Row, check_header, chunks_from_rows, read_chunks

__all__ = ["BatchAck", "IngestSummary", "ingest_file", "ingest_rows", "rejects_path_for"]

DEFAULT_BATCH_SIZE = 10_000
READER_PROCESS_MIN_BYTES = 8 * 2**20
#: How long a shared-lock ingest pauses after each batch, so that waiting writers get a turn.
_HANDOFF_SECONDS = 0.002
_NOTHING = AppendResults([], set())
_NO_DATA: Mapping[str, Any] = MappingProxyType({})
_RETRIES = 5


@dataclass(frozen=True, slots=True)
class BatchAck:
    """A durable batch: the last input row it covers and where its entries landed."""

    batch: int
    last_row: int
    results: AppendResults


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
    reader_process: bool | None = None,
    source: Source | None = None,
    lock: AbstractContextManager[Any] | None = None,
) -> IngestSummary:
    """Ingest the records of a CSV, JSON Lines or Parquet file; see the module docstring.

    Args:
        reader_process: read and check the file in a second process, so that checking and
            appending use a core each; None decides by file size (worth it from a few MiB).
        source: the registered source filing the file, if known: every row is filed under
            its name, and a row naming another source is refused.
        lock: held around each batch's append and released between batches, so that other
            writers sharing ``ledger`` (a server's requests) wait for one batch at most, never
            for the whole file; the caller must not hold it. None: the ingest is the only
            writer.

    Raises:
        ConfigurationError: if the file cannot be read or its format is unknown.
        ValidationError: naming each missing and unknown column, if the header lacks a
            required column (the file is refused whole; nothing is written).
        LedgerOverloadedError: if the ledger keeps pushing back; earlier batches are durable.
    """
    # An unknown format or a header without a record: refused whole.
    check_header(path, fmt, with_source=source is None)
    if reader_process is None:
        reader_process = Path(path).stat().st_size >= READER_PROCESS_MIN_BYTES
    target = Path(rejects_path) if rejects_path is not None else rejects_path_for(path)
    if reader_process:
        chunks = checked_chunks_from_process(catalogue, path, fmt, batch_size, source=source)
    else:
        chunks = _checked_here(catalogue, read_chunks(path, fmt, batch_size), source)
    with _Rejects(target) as rejects:
        summary = _ingest_chunks(ledger, chunks, rejects, on_batch, lock)
    summary.rejects_path = target
    return summary


def ingest_rows(
    ledger: Ledger,
    catalogue: Catalogue,
    rows: Iterable[tuple[int, Row]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[BatchAck], None] | None = None,
    source: Source | None = None,
) -> IngestSummary:
    """Ingest numbered rows (as from :func:`read_rows`), checked in this process.

    Refused rows are counted in the summary (``refusal_reasons``) but not written anywhere.
    ``source``, if given, is the registered source filing every row (see the module
    docstring).

    Raises:
        ValueError: if ``batch_size`` is below 1.
        LedgerOverloadedError: if the ledger keeps pushing back; earlier batches are durable.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    chunks = _checked_here(catalogue, chunks_from_rows(rows, batch_size), source)
    return _ingest_chunks(ledger, chunks, None, on_batch)


def _checked_here(
    catalogue: Catalogue, chunks: Iterable[RawChunk], source: Source | None
) -> Iterator[CheckedChunk]:
    for chunk in chunks:
        yield check_chunk(catalogue, chunk, source)


def _ingest_chunks(
    ledger: Ledger,
    chunks: Iterable[CheckedChunk],
    rejects: _Rejects | None,
    on_batch: Callable[[BatchAck], None] | None,
    lock: AbstractContextManager[Any] | None = None,
) -> IngestSummary:
    started = time.perf_counter()
    summary = IngestSummary()
    with collector_paused(), _Writer(ledger, summary, on_batch, lock) as writer:
        for number, checked in enumerate(chunks):
            summary.rows += checked.rows
            for refusal in checked.refused:
                _refuse(summary, rejects, refusal)
            writer.submit(number, checked.last_row, _entries(checked.accepted))
            if number % 16 == 15:
                gc.collect(1)  # whatever cycles refused rows' exceptions left behind
    summary.seconds = time.perf_counter() - started
    return summary


def _entries(accepted: Accepted) -> EncodedBatch:
    subjects = list(zip(accepted.subject_kind, accepted.subject_id, strict=True))
    return EncodedBatch("RecordFiled", accepted.payload_json, accepted.idempotency_key, subjects)


class _Writer:
    """Appends batches on a second thread, so that checking batch n+1 overlaps the durable
    commit of batch n (SQLite and the native hashing release the GIL while they work).

    At most one batch waits; a batch is acknowledged only after its commit. An error on the
    writer thread stops the ingest and is raised in the caller's thread.
    """

    def __init__(
        self,
        ledger: Ledger,
        summary: IngestSummary,
        on_batch: Callable[[BatchAck], None] | None,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._ledger = ledger
        self._lock = lock
        self._summary = summary
        self._on_batch = on_batch
        self._queue: queue.Queue[tuple[int, int, EncodedBatch] | None] = queue.Queue(1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)

    def submit(self, number: int, last_row: int, entries: EncodedBatch) -> None:
        while True:
            self._raise_if_failed()
            try:
                self._queue.put((number, last_row, entries), timeout=0.1)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                number, last_row, entries = item
                has_any = bool(entries.data_json)
                results = (
                    _append_with_retry(self._ledger, entries, self._lock) if has_any else _NOTHING
                )
                _count(self._summary, results)
                self._summary.batches += 1
                if self._on_batch is not None:
                    self._on_batch(BatchAck(number, last_row, results))
        except BaseException as error:  # handed to the caller's thread, never lost
            self._error = error

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if self._error is None:
            self._queue.put(None)
        self._thread.join()
        if kind is None:
            self._raise_if_failed()


def _refuse(summary: IngestSummary, rejects: _Rejects | None, refusal: Refusal) -> None:
    summary.refused += 1
    for problem in refusal.problems:
        reason = f"{problem['field']}: {problem['reason']}"
        summary.refusal_reasons[reason] = summary.refusal_reasons.get(reason, 0) + 1
    if rejects is not None:
        rejects.write(refusal)


def _append_with_retry(
    ledger: Ledger, entries: EncodedBatch, lock: AbstractContextManager[Any] | None = None
) -> AppendResults:
    for attempt in range(_RETRIES):
        try:
            with lock if lock is not None else nullcontext():
                results = ledger.append_encoded(entries)
            if lock is not None:
                # A lock is not fair: without a pause the next batch would take it again
                # before a waiting request thread wakes up.
                time.sleep(_HANDOFF_SECONDS)
            return results
        except LedgerOverloadedError as exc:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(exc.retry_after * (attempt + 1))
    raise AssertionError("unreachable")


def _count(summary: IngestSummary, results: AppendResults) -> None:
    summary.duplicates += len(results.duplicates)
    summary.accepted += results.appended
    fresh = (
        [p for i, p in enumerate(results.positions) if i not in results.duplicates]
        if results.duplicates
        else results.positions
    )
    if fresh:
        if summary.first_position is None:
            summary.first_position = fresh[0]
        summary.last_position = fresh[-1]


class _Rejects:
    """The rejects file: one JSON line per refused row, created only if a row is refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None
        path.unlink(missing_ok=True)

    def write(self, refusal: Refusal) -> None:
        if self._handle is None:
            self._handle = self.path.open("wb")
        line = {"row": refusal.row, "problems": refusal.problems, "record": refusal.raw}
        self._handle.write(orjson.dumps(line, default=str) + b"\n")

    def __enter__(self) -> _Rejects:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
