"""Use cases: filing records (one, a batch, a file, an upload) and reading filed records.

A source account files as itself: its name is a registered source (``court:beijing-chaoyang``),
every record it files is filed under that name, and only the kinds it may file. An operator
(an admin, the command line) files under the sources its rows name, or under one it names.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import orjson

from ..accounts import Principal, Role
from ..errors import (
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RecordRefusedError,
    ValidationError,
)
from ._core import SystemCore

if TYPE_CHECKING:
    from ..catalogue import RecordKind, Source
    from ..ingest import BatchAck, IngestSummary
    from ..ledger import AppendResult, Entry

__all__ = ["MAX_BULK", "SHOWN_REJECTS", "UPLOAD_BATCH", "Filing", "RecordUseCases"]

_T = TypeVar("_T")

#: The most records one batch of rows may hold.
MAX_BULK = 10_000
#: Rows per append of an upload: small enough that a request waiting behind one is not held
#: up noticeably (a few milliseconds of hashing and one commit).
UPLOAD_BATCH = 500
#: Refused rows an upload reports (the rest are counted in the summary).
SHOWN_REJECTS = 1000


@dataclass(frozen=True, slots=True)
class Filing:
    """What filing a batch or a file did: the ingest summary and the refused rows (row
    number from 1, every problem; an upload's first :data:`SHOWN_REJECTS`)."""

    summary: IngestSummary
    refused_rows: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The summary's counts and the refused rows (the rejects file is the system's own
        and not published: ``rejects`` is None)."""
        return {**self.summary.as_dict(), "rejects": None, "refused_rows": self.refused_rows}


class RecordUseCases(SystemCore):
    """Filing records (one, a batch, a file, an upload) and reading filed records; reads of
    a person's file are logged before they happen."""

    # ------------------------------------------------------------------------- filing

    def filing_kinds(self, who: Principal) -> list[RecordKind]:
        """The record kinds of the catalogue in force that ``who`` may file (a source: its
        allowed kinds; anyone else: every kind)."""
        kinds = list(self.catalogue())
        if who.role is not Role.SOURCE:
            return kinds
        return [kind for kind in kinds if kind.id in who.allowed_kinds]

    def file_record(self, who: Principal, row: dict[str, Any]) -> AppendResult:
        """File one record (a row as a source sends it) as ``who``: where it landed, and
        whether its idempotency key was seen before (``duplicate``).

        Raises:
            PermissionDeniedError: if a source may not file the record's kind, or has no
                authority kind.
            RecordRefusedError: with every problem, if the catalogue in force refuses it.
        """
        from ..ingest import ingest_rows

        filer = _filer(who)
        _check_kinds(who, [row])
        catalogue = self.catalogue()
        catalogue.validate(row, now=datetime.now(UTC), source=filer)  # every problem at once
        acks: list[BatchAck] = []
        with self.lock:
            summary = ingest_rows(
                self.ledger, catalogue, [(1, row)], on_batch=acks.append, source=filer
            )
        if summary.refused or not acks or not acks[0].results:
            reasons = list(summary.refusal_reasons) or ["refused"]
            raise RecordRefusedError("record refused", _problems(reasons))
        return acks[0].results[0]

    def file_records(self, who: Principal, rows: list[dict[str, Any]]) -> Filing:
        """File up to :data:`MAX_BULK` records as ``who`` in one durable batch; a refused row
        never stops the others (each is listed with every problem).

        Raises:
            PermissionDeniedError: if a source may not file a kind among them (nothing is
                filed), or has no authority kind.
        """
        from ..ingest import ingest_rows

        filer = _filer(who)
        _check_kinds(who, rows)
        catalogue = self.catalogue()
        checked = (
            catalogue.validate_batch(rows, now=datetime.now(UTC), source=filer) if rows else []
        )
        refused = [
            {"row": number, "problems": [p.as_dict() for p in result.problems]}
            for number, result in enumerate(checked, 1)
            if isinstance(result, RecordRefusedError)
        ]
        with self.lock:
            summary = ingest_rows(
                self.ledger, catalogue, enumerate(rows, 1), batch_size=MAX_BULK, source=filer
            )
        return Filing(summary, refused)

    def ingest_file(
        self,
        path: Path,
        *,
        fmt: str | None = None,
        batch_size: int = 10_000,
        rejects: Path | None = None,
        source: Source | None = None,
        on_batch: Callable[[BatchAck], None] | None = None,
        reader_process: bool | None = None,
    ) -> IngestSummary:
        """File the records of a CSV, JSON Lines or Parquet file, batch by batch (each durable
        before ``on_batch`` hears of it), under ``source`` (None: each row's own); refused
        rows go to ``rejects`` (default beside the file) with every reason. While serving,
        the lock is held per batch and handed over between batches, so other callers wait for
        one batch at most; otherwise (a command) it is held throughout, with no handover.

        Raises:
            ConfigurationError: if the file cannot be read or its format is unknown.
            ValidationError: if the header lacks a required column (nothing is filed).
        """
        from ..ingest import ingest_file

        catalogue = self.catalogue()
        serving = self.decisions is not None
        with nullcontext() if serving else self.lock:
            return ingest_file(
                self.ledger,
                catalogue,
                path,
                fmt=fmt,
                batch_size=batch_size,
                rejects_path=rejects,
                on_batch=on_batch,
                source=source,
                lock=self.lock if serving else None,
                reader_process=reader_process,
            )

    def file_upload(
        self, who: Principal, stream: IO[bytes], filename: str | None, fmt: str | None
    ) -> Filing:
        """File the records of an uploaded CSV, JSON Lines or Parquet file as ``who``, checked
        in a reader process and appended :data:`UPLOAD_BATCH` rows at a time: the summary and
        the first :data:`SHOWN_REJECTS` refused rows with every problem.

        Raises:
            ValidationError: naming ``file`` if it cannot be read or its format is unknown.
            PermissionDeniedError: if a source may not file a kind in it (nothing is filed),
                or has no authority kind.
        """
        filer = _filer(who)
        with tempfile.TemporaryDirectory(prefix="socialcredit-upload-") as directory:
            path = _saved(stream, filename, Path(directory), fmt)
            if who.role is Role.SOURCE:
                _check_kinds(who, _rows_of(path, fmt))
            rejects = Path(directory) / "rejects.jsonl"
            summary = _unreadable_is_invalid(
                lambda: self.ingest_file(
                    path,
                    fmt=fmt,
                    batch_size=UPLOAD_BATCH,
                    rejects=rejects,
                    source=filer,
                    reader_process=True,
                )
            )
            return Filing(summary, _rejects(rejects))

    # ------------------------------------------------------------------------ reading

    def record(self, who: Principal, position: int, purpose: str | None = None) -> Entry:
        """The filed record at ``position``; a logged read of its subject's file (a subject:
        only their own).

        Raises:
            NotFoundError: if there is no entry there, or it is not a record.
            PermissionDeniedError: if a subject asks about someone else's record.
            ValidationError: if the purpose is not on the whitelist.
        """
        from ..records import RECORD_FILED

        with self.lock:
            entry = self.ledger.entry(position)
        if entry.type != RECORD_FILED:
            raise NotFoundError(f"entry {position} is not a record")
        subject = entry.data.get("subject", {})
        self.log_reads(who, [(str(subject.get("kind")), str(subject.get("id")))], purpose)
        return entry

    def subject_records(
        self, who: Principal, subject: tuple[str, str], purpose: str | None = None
    ) -> list[Entry]:
        """Every record filed about SUBJECT, in ledger order; a logged read.

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
            ValidationError: if the purpose is not on the whitelist.
        """
        self.log_reads(who, [subject], purpose)
        with self.fresh_index(subject) as index:
            positions = [row.position for row in index.records(*subject)]
            return [self.ledger.entry(p) for p in positions]

    def subjects_most_recorded_first(self) -> list[tuple[str, str]]:
        """Every subject with a record, those with the most records first (the demo's
        subject login gets the fullest file)."""
        with self.fresh_index() as index:
            return sorted(index.subjects(), key=lambda s: -len(index.records(*s)))


# ---------------------------------------------------------------------------- helpers


def _filer(who: Principal) -> Source | None:
    """The registered source a source account files as (None for anyone else: their rows
    name theirs).

    Raises:
        PermissionDeniedError: for a source account whose name is not a registered source.
    """
    if who.role is not Role.SOURCE:
        return None
    from ..catalogue import Source

    try:
        return Source.named(who.name)
    except ValidationError as exc:
        raise PermissionDeniedError(
            "this source account has no authority kind and may not file; make it again as "
            "'<authority kind>:<name>' with --authority",
            {"problems": [p.as_dict() for p in exc.problems]},
        ) from exc


def _check_kinds(who: Principal, rows: list[dict[str, Any]]) -> None:
    """Refuse a source filing a kind it may not (nothing is filed then).

    Raises:
        PermissionDeniedError: listing the first 100 such rows and the kinds allowed.
    """
    if who.role is not Role.SOURCE:
        return
    refused = [
        {"row": number, "kind": row.get("kind")}
        for number, row in enumerate(rows, 1)
        if row.get("kind") not in who.allowed_kinds
    ]
    if refused:
        raise PermissionDeniedError(
            "this source may not file these record kinds; nothing was filed",
            {"rows": refused[:100], "allowed_kinds": sorted(who.allowed_kinds)},
        )


def _problems(reasons: list[str]) -> list[Problem]:
    return [Problem(*(r.split(": ", 1) if ": " in r else ("record", r))) for r in reasons]


def _saved(stream: IO[bytes], filename: str | None, directory: Path, fmt: str | None) -> Path:
    """The upload saved in ``directory`` under its own base name.

    Raises:
        ValidationError: naming ``file`` if its format is unknown.
    """
    from ..ingest import detect_format

    name = Path(filename or "upload").name or "upload"
    path = directory / name
    _unreadable_is_invalid(lambda: detect_format(path, fmt))
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return path


def _rows_of(path: Path, fmt: str | None) -> list[dict[str, Any]]:
    from ..ingest import RowError, read_rows

    def read() -> list[dict[str, Any]]:
        return [dict(row) for _, row in read_rows(path, fmt) if not isinstance(row, RowError)]

    return _unreadable_is_invalid(read)


def _unreadable_is_invalid(action: Callable[[], _T]) -> _T:
    """Run ``action``; an unreadable or unknown file format is the caller's input problem.

    Raises:
        ValidationError: naming ``file``.
    """
    try:
        return action()
    except ConfigurationError as exc:
        raise ValidationError("cannot read the file", [Problem("file", exc.message)]) from exc


def _rejects(path: Path, limit: int = SHOWN_REJECTS) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open("rb") as handle:
        lines = [orjson.loads(line) for _, line in zip(range(limit), handle, strict=False)]
    return [{"row": line["row"], "problems": line["problems"]} for line in lines]
