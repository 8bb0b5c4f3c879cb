"""Ingest of conduct records from files (CSV, JSON Lines, Parquet) into the ledger."""

from .pipeline import BatchAck, IngestSummary, ingest_file, ingest_rows, rejects_path_for
from .readers import FORMATS, RowError, detect_format, read_rows

__all__ = [
    "FORMATS",
    "BatchAck",
    "IngestSummary",
    "RowError",
    "detect_format",
    "ingest_file",
    "ingest_rows",
    "read_rows",
    "rejects_path_for",
]
