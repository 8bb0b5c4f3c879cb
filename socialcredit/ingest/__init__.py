"""Ingest of conduct records from files (CSV, JSON Lines, Parquet) into the ledger."""

from ._pipeline import BatchAck, IngestSummary, ingest_file, ingest_rows, rejects_path_for
from ._readers import (
    FORMATS,
    RawChunk,
    RowError,
    detect_format,
    estimate_rows,
    read_chunks,
    read_rows,
)

__all__ = [
    "FORMATS",
    "BatchAck",
    "IngestSummary",
    "RawChunk",
    "RowError",
    "detect_format",
    "estimate_rows",
    "ingest_file",
    "ingest_rows",
    "read_chunks",
    "read_rows",
    "rejects_path_for",
]
