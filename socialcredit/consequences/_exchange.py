"""List exchange: a public list exported for points of service outside the system, checkable
offline with nothing but the ledger's public key.

An export (format ``socialcredit-list-export/v1``) is a **manifest** and **rows**. The rows
are what the public list shows (:func:`socialcredit.consequences.memberships_of_list`),
identifiers masked, one per listing, all text (an open end is empty)::

    subject_kind, subject (masked), status, noticed, from, until

The manifest names the list, the time it was read at (``at``) and exported (``exported``), the
ledger's origin, a checkpoint the ledger signed when the list was read (so the export is tied
to one state of the ledger, which a witness can hold the log to), the ledger's public key, the
column names, the row count and ``rows_digest``: SHA-256 (hex) of the canonical JSON of the
rows (an array of arrays of text). ``signature`` is the ledger key's Ed25519 signature over
``b"socialcredit list export v1\\n"`` and the canonical JSON (sorted keys) of the manifest
without ``signature``.

Two encodings carry the same content:

* JSON: ``{"manifest": {...}, "rows": [[...], ...]}``;
* CSV: a first line ``# socialcredit-list-export/v1 <manifest as compact JSON>``, then a header
  line of the column names, then one line per row.

:func:`verify_export` detects an altered, dropped or added row (digest and count), a manifest
re-signed by a foreign key (with the key pinned; even unpinned, the checkpoint must be signed
by the same key as the manifest), a checkpoint of another log, and a checkpoint older than the
receiver's maximum age (a stale export).
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature

from socialcredit.consequences._actions import lists_in_force, memberships_of_list
from socialcredit.consequences._model import time_text
from socialcredit.consequences._service import ConsequenceView
from socialcredit.errors import ConfigurationError, LedgerError, Problem, ValidationError
from socialcredit.ledger import (
    Ledger,
    SignedCheckpoint,
    public_key_from_text,
    public_key_text,
    utc_now_us,
)
from socialcredit.timeutil import format_time, parse_time, to_us

__all__ = [
    "COLUMNS",
    "EXPORT_DOMAIN",
    "EXPORT_FORMAT",
    "ExportCheck",
    "ListExport",
    "export_list",
    "read_export",
    "verify_export",
]

EXPORT_FORMAT = "socialcredit-list-export/v1"
EXPORT_DOMAIN = b"socialcredit list export v1\n"
COLUMNS = ("subject_kind", "subject", "status", "noticed", "from", "until")
_HOUR_US = 3_600_000_000


def _canonical(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def rows_digest(rows: Sequence[Sequence[str]]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``rows``."""
    return hashlib.sha256(_canonical([list(r) for r in rows])).hexdigest()


@dataclass(frozen=True, slots=True)
class ListExport:
    """A signed export: its manifest (with ``signature``) and its rows."""

    manifest: Mapping[str, Any]
    rows: tuple[tuple[str, ...], ...]

    def to_json_bytes(self) -> bytes:
        """The JSON encoding."""
        document = {"manifest": dict(self.manifest), "rows": [list(r) for r in self.rows]}
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"

    def to_csv_bytes(self) -> bytes:
        """The CSV encoding (manifest on the first line)."""
        out = io.StringIO()
        out.write(f"# {EXPORT_FORMAT} {_canonical(dict(self.manifest)).decode()}\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(self.rows)
        return out.getvalue().encode("utf-8")

    def encode(self, fmt: str) -> bytes:
        """The ``csv`` or ``json`` encoding.

        Raises:
            ValidationError: naming ``format`` for any other.
        """
        if fmt == "csv":
            return self.to_csv_bytes()
        if fmt == "json":
            return self.to_json_bytes()
        raise ValidationError("unknown format", [Problem("format", f"csv or json, not {fmt!r}")])


def export_list(
    ledger: Ledger,
    list_id: str,
    at: datetime | None = None,
    *,
    view: ConsequenceView | None = None,
) -> ListExport:
    """Export the public view of ``list_id`` at ``at`` (default now), signed with the ledger's
    key, with a checkpoint signed after the list was read.

    Args:
        view: a consequence view the caller keeps current (a server's decision service);
            default: the one attached to ``ledger``.

    Raises:
        NotFoundError: if the policy in force has no such list.
        LedgerError: if the ledger was opened without its signing key.
        ValueError: if ``at`` is naive.
    """
    if ledger.signer is None:
        raise LedgerError("exporting a list needs the ledger's signing key (--key-file)")
    at_us = utc_now_us() if at is None else to_us(at)
    members = memberships_of_list(ledger, list_id, at, view=view)
    definition = next(d for d in lists_in_force(ledger, at) if d.id == list_id)
    rows = tuple(
        (
            p.subject_kind, p.masked_id, p.membership.status.value,
            time_text(p.membership.noticed_us) or "", time_text(p.membership.from_us) or "",
            time_text(p.membership.until_us) or "",
        )
        for p in members
    )  # fmt: skip
    checkpoint = ledger.checkpoint()
    manifest: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "list": {
            "id": definition.id, "name": definition.name, "colour": definition.colour.value,
            "context": definition.context, "legal_basis": definition.legal_basis,
        },
        "at": format_time(at_us),
        "exported": format_time(utc_now_us()),
        "origin": ledger.origin,
        "checkpoint": checkpoint.to_json(),
        "public_key": public_key_text(ledger.signer.public_key),
        "columns": list(COLUMNS),
        "count": len(rows),
        "rows_digest": rows_digest(rows),
    }  # fmt: skip
    signature = ledger.signer.sign_message(EXPORT_DOMAIN + _canonical(manifest))
    manifest["signature"] = base64.b64encode(signature).decode()
    return ListExport(manifest, rows)


def read_export(data: bytes) -> ListExport:
    """Parse an export in either encoding (CSV if it starts with ``#``).

    Raises:
        ValidationError: naming ``file`` if it is neither encoding or is malformed.
    """
    try:
        text = data.decode("utf-8")
        if text.startswith("#"):
            return _read_csv(text)
        document = orjson.loads(data)
        manifest, rows = document["manifest"], document["rows"]
        if not isinstance(manifest, dict) or not isinstance(rows, list):
            raise TypeError("manifest must be an object and rows an array")
        return ListExport(manifest, tuple(tuple(str(v) for v in r) for r in rows))
    except (UnicodeDecodeError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValidationError("not a list export", [Problem("file", str(exc))]) from None


def _read_csv(text: str) -> ListExport:
    head, _, body = text.partition("\n")
    prefix = f"# {EXPORT_FORMAT} "
    if not head.startswith(prefix):
        raise ValueError(f"the first line must start with {prefix.strip()!r}")
    manifest = orjson.loads(head[len(prefix) :])
    reader = csv.reader(io.StringIO(body))
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise ValueError(f"the header must be {','.join(COLUMNS)}")
    return ListExport(manifest, tuple(tuple(r) for r in reader))


@dataclass(frozen=True, slots=True)
class ExportCheck:
    """The result of :func:`verify_export`.

    Attributes:
        problems: everything that failed (empty: the export checks).
        pinned: whether the key was pinned by the receiver (else the file's own key was used).
        list_id, count, checkpoint_size, checkpoint_time: what the export says.
    """

    problems: tuple[Problem, ...]
    pinned: bool
    list_id: str | None = None
    count: int = 0
    checkpoint_size: int | None = None
    checkpoint_time: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The check as JSON-able values."""
        return {
            "ok": self.ok,
            "pinned": self.pinned,
            "list": self.list_id,
            "count": self.count,
            "checkpoint": {"size": self.checkpoint_size, "time": self.checkpoint_time},
            "problems": [p.as_dict() for p in self.problems],
            "notes": list(self.notes),
        }


def verify_export(
    data: bytes,
    public_key: str | None = None,
    *,
    now_us: int | None = None,
    max_age_hours: float = 24.0,
) -> ExportCheck:
    """Check an export offline: signature, checkpoint, rows, freshness.

    Args:
        public_key: the ledger's public key (base64) as the receiver pinned it; without it,
            the key in the file is used (and the check says it was not pinned).
        now_us: the receiver's time (default now).
        max_age_hours: how old the checkpoint may be, against ``now_us``.

    Raises:
        ValidationError: naming ``file`` if it is not an export at all, or ``public_key`` if
            the pinned key is malformed.
    """
    export = read_export(data)
    manifest = dict(export.manifest)
    problems: list[Problem] = []
    if manifest.get("format") != EXPORT_FORMAT:
        problems.append(
            Problem("format", f"must be {EXPORT_FORMAT}, got {manifest.get('format')!r}")
        )
    key_text = _key_text(manifest, public_key, problems)
    checkpoint = _checkpoint(manifest, key_text, problems)
    _check_rows(export, manifest, problems)
    notes = []
    if checkpoint is not None:
        notes += _freshness(manifest, checkpoint, now_us, max_age_hours, problems)
    listed = manifest.get("list")
    return ExportCheck(
        tuple(problems), public_key is not None,
        listed.get("id") if isinstance(listed, dict) else None, len(export.rows),
        None if checkpoint is None else checkpoint.size,
        None if checkpoint is None else format_time(checkpoint.checkpoint.time_us), tuple(notes),
    )  # fmt: skip


def _key_text(manifest: dict[str, Any], pinned: str | None, problems: list[Problem]) -> str | None:
    """The key to verify under, once the manifest's signature verifies under it."""
    own = manifest.get("public_key")
    if pinned is not None:
        try:
            public_key_from_text(pinned)
        except ConfigurationError as exc:
            raise ValidationError("bad key", [Problem("public_key", exc.message)]) from None
        if own != pinned.strip():
            problems.append(Problem("public_key", "signed by a foreign key, not the pinned one"))
    key = pinned.strip() if pinned is not None else own
    if not isinstance(key, str):
        problems.append(Problem("public_key", "missing"))
        return None
    body = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        signature = base64.b64decode(str(manifest.get("signature")), validate=True)
        public_key_from_text(key).verify(signature, EXPORT_DOMAIN + _canonical(body))
    except (ConfigurationError, InvalidSignature, binascii.Error, ValueError):
        problems.append(Problem("signature", "does not verify over the manifest under the key"))
    return key


def _checkpoint(
    manifest: dict[str, Any], key: str | None, problems: list[Problem]
) -> SignedCheckpoint | None:
    try:
        checkpoint = SignedCheckpoint.from_json(manifest.get("checkpoint"))
    except ValidationError as exc:
        problems += [Problem("checkpoint", p.reason) for p in exc.problems]
        return None
    if key is not None:
        try:
            if not checkpoint.is_signed_by(public_key_from_text(key)):
                problems.append(Problem("checkpoint", "not signed by the ledger's key"))
        except ConfigurationError as exc:
            problems.append(Problem("public_key", exc.message))
    if checkpoint.checkpoint.origin != manifest.get("origin"):
        problems.append(Problem("checkpoint", "is the checkpoint of another log"))
    return checkpoint


def _check_rows(export: ListExport, manifest: dict[str, Any], problems: list[Problem]) -> None:
    if manifest.get("count") != len(export.rows):
        reason = f"{len(export.rows)} rows, the manifest says {manifest.get('count')}"
        problems.append(Problem("rows", f"{reason} (a row was dropped or added)"))
    if rows_digest(export.rows) != manifest.get("rows_digest"):
        problems.append(Problem("rows", "do not match the signed digest (a row was altered)"))


def _freshness(
    manifest: dict[str, Any],
    checkpoint: SignedCheckpoint,
    now_us: int | None,
    max_age_hours: float,
    problems: list[Problem],
) -> list[str]:
    now = utc_now_us() if now_us is None else now_us
    signed_us = checkpoint.checkpoint.time_us
    age_hours = (now - signed_us) / _HOUR_US
    if age_hours > max_age_hours:
        reason = (
            f"stale: signed at {format_time(signed_us)}, {age_hours:.1f} hours ago "
            f"(more than {max_age_hours:g}); ask for a fresh export"
        )
        problems.append(Problem("checkpoint", reason))
    try:
        read_us = parse_time(str(manifest.get("at")))
    except ValueError:
        problems.append(Problem("at", "must be a UTC time"))
        return []
    if read_us > signed_us:
        return [f"the list is as of {format_time(read_us)}, after its checkpoint (a forecast)"]
    return []
