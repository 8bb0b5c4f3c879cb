"""Turning raw rows into ledger-ready records, one chunk at a time.

Pure and picklable, so the same code runs in the ingesting process or in a reader process
(:mod:`socialcredit.ingest._reader_process`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from socialcredit.catalogue import EncodedRecord, validate_arrays, validate_columns

from ..catalogue import Catalogue, Source
from ..errors import RecordRefusedError
from ._readers import RawChunk

__all__ = ["Accepted", "CheckedChunk", "Refusal", "check_chunk"]


class Refusal(NamedTuple):
    """A refused input row: its number, every problem (field and reason), and the raw row."""

    row: int
    problems: list[dict[str, str]]
    raw: Any


class Accepted(NamedTuple):
    """The accepted records of a chunk, as parallel columns (cheap to send between processes:
    lists of bytes and strings pickle in bulk, a list of small objects does not)."""

    payload_json: list[bytes]
    idempotency_key: list[str | None]
    subject_kind: list[str]
    subject_id: list[str]


class CheckedChunk(NamedTuple):
    """A chunk of input rows after checking: what is accepted, encoded, and what is refused."""

    last_row: int
    rows: int
    accepted: Accepted
    refused: list[Refusal]


def check_chunk(
    catalogue: Catalogue, chunk: RawChunk, source: Source | None = None
) -> CheckedChunk:
    """Check every row of ``chunk`` against the catalogue (``validate_arrays`` when the chunk
    holds Arrow arrays, else ``validate_columns``), as filed by ``source`` if given (each row
    then filed under its name; a row naming another source is refused)."""
    now = datetime.now(UTC)
    refused = [
        Refusal(number, [{"field": "row", "reason": error.reason}], error.raw)
        for number, error in chunk.errors
    ]
    if chunk.arrays is not None:
        accepted, refusals = validate_arrays(
            catalogue, chunk.arrays, len(chunk.numbers), now=now, source=source
        )
        for index, error in refusals:
            refused.append(_refusal(chunk, index, error))
        columns = Accepted(*accepted)
    else:
        results = validate_columns(
            catalogue, chunk.columns, len(chunk.numbers), now=now, row=chunk.row, source=source
        )
        columns = Accepted([], [], [], [])
        for index, result in enumerate(results):
            if isinstance(result, RecordRefusedError):
                refused.append(_refusal(chunk, index, result))
            else:
                _add(columns, result)
    if chunk.errors:
        refused.sort(key=lambda refusal: refusal.row)
    return CheckedChunk(chunk.last_row, chunk.rows, columns, refused)


def _refusal(chunk: RawChunk, index: int, error: RecordRefusedError) -> Refusal:
    problems = [p.as_dict() for p in error.problems]
    return Refusal(chunk.numbers[index], problems, chunk.row(index))


def _add(accepted: Accepted, record: EncodedRecord) -> None:
    accepted.payload_json.append(record.payload_json)
    accepted.idempotency_key.append(record.idempotency_key)
    accepted.subject_kind.append(record.subject_kind)
    accepted.subject_id.append(record.subject_id)
