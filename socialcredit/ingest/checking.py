"""Turning raw rows into ledger-ready records, one chunk at a time.

Pure and picklable, so the same code runs in the ingesting process or in a reader process
(:mod:`socialcredit.ingest.reader_process`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..catalogue import Catalogue
from ..catalogue.batch import EncodedRecord, validate_columns
from ..errors import RecordRefusedError
from .readers import RawChunk

__all__ = ["CheckedChunk", "Refusal", "check_chunk"]


class Refusal(NamedTuple):
    """A refused input row: its number, every problem (field and reason), and the raw row."""

    row: int
    problems: list[dict[str, str]]
    raw: Any


class CheckedChunk(NamedTuple):
    """A chunk of input rows after checking: what is accepted, encoded, and what is refused."""

    last_row: int
    rows: int
    accepted: list[EncodedRecord]
    refused: list[Refusal]


def check_chunk(catalogue: Catalogue, chunk: RawChunk) -> CheckedChunk:
    """Check every row of ``chunk`` against the catalogue (``validate_columns``)."""
    results = validate_columns(
        catalogue, chunk.columns, len(chunk.numbers), now=datetime.now(UTC), row=chunk.row
    )
    refused = [
        Refusal(number, [{"field": "row", "reason": error.reason}], error.raw)
        for number, error in chunk.errors
    ]
    accepted = []
    for index, result in enumerate(results):
        if isinstance(result, RecordRefusedError):
            problems = [p.as_dict() for p in result.problems]
            refused.append(Refusal(chunk.numbers[index], problems, chunk.row(index)))
        else:
            accepted.append(result)
    if chunk.errors:
        refused.sort(key=lambda refusal: refusal.row)
    return CheckedChunk(chunk.last_row, chunk.rows, accepted, refused)
