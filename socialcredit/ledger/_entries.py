"""Ledger entries: typed, versioned facts and their canonical byte encoding (EntryV1).

An entry is the unit the Merkle tree commits to. Its canonical bytes are compact JSON with
sorted keys, UTF-8, no insignificant whitespace, and only strings, integers (|n| < 2**53),
booleans, null, arrays and objects — no floats — so that the encoding is unique and matches
RFC 8785 (JSON Canonicalization Scheme) for every value the ledger accepts::

    {"at":"2026-11-27T19:18:38.123456Z","data":{...},"type":"RecordFiled","v":1}

``at`` is ledger time (``recorded_at``), assigned by the ledger when the entry is appended.
Entry types are named in the past tense. The ledger knows only "an entry of type T, version V"
(:func:`check_entry_type`): the packages that write entries own their schemas as typed events,
registered in :data:`socialcredit.events.EVENTS`, which a reader asks for the typed event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from ..errors import Problem, StorageError, ValidationError
from ..events import Event
from ..timeutil import parse_time

__all__ = [
    "ENCODING_VERSION",
    "EncodedBatch",
    "Entry",
    "EntryTemplate",
    "PendingEntry",
    "check_canonical",
    "check_entry_type",
    "decode_entry",
    "encode_batch",
    "encode_entry",
    "entry_of",
]

ENCODING_VERSION = 1
_MAX_SAFE_INT = 2**53 - 1

_MAX_VERSION = 2**31 - 1


def check_entry_type(type_: object, version: object) -> str | None:
    """Why ``type_`` and ``version`` cannot head an entry, or None if they can.

    The ledger knows only "an entry of type T, version V": T a CamelCase name (past tense by
    convention), V a positive integer. Which types and versions exist, and what their data
    holds, is the business of the packages that write them and of the event registry
    (:data:`socialcredit.events.EVENTS`), which refuses unknown ones when a reader asks.
    """
    if not isinstance(type_, str) or not type_[:1].isupper() or not type_.isalnum():
        return f"entry type {type_!r} must be a CamelCase name"
    if not type_.isascii():
        return f"entry type {type_!r} must be ASCII"
    if isinstance(version, bool) or not isinstance(version, int):
        return f"entry version {version!r} must be an integer"
    if not 1 <= version <= _MAX_VERSION:
        return f"entry version {version} must be between 1 and {_MAX_VERSION}"
    return None


# (type, version) pairs found well formed: decoding millions of entries checks each pair once.
_WELL_FORMED: set[tuple[str, int]] = set()


def _refusal(type_: object, version: object) -> str | None:
    """:func:`check_entry_type`, remembered for the pairs that pass."""
    if type(type_) is str and type(version) is int and (type_, version) in _WELL_FORMED:
        return None
    reason = check_entry_type(type_, version)
    if reason is None and len(_WELL_FORMED) < 4096:
        _WELL_FORMED.add((type_, version))  # type: ignore[arg-type]
    return reason


def entry_of(
    event: Event, idempotency_key: str | None = None, subject: tuple[str, str] | None = None
) -> PendingEntry:
    """The entry to append for a typed ``event`` (its type, version and ``to_data()``)."""
    return PendingEntry(event.TYPE, event.to_data(), idempotency_key, subject, event.VERSION)


class PendingEntry(NamedTuple):
    """An entry waiting to be appended: its type, data, and what the ledger should index.

    A named tuple rather than a frozen dataclass: ingest makes one per record, and a frozen
    dataclass costs four times as much to construct.

    Attributes:
        type: a CamelCase entry type, e.g. ``"RecordFiled"``.
        data: JSON-able content (no floats).
        idempotency_key: a client key; appending the same key again is a no-op.
        subject: ``(subject_kind, external_id)`` when the entry concerns a subject, so the
            ledger can give that subject a dense internal id.
        version: the version of ``data``'s schema.
        data_json: ``data`` already in canonical JSON, when the caller has it (ingest); the
            ledger then uses it as is. It must equal the canonical encoding of ``data``.
    """

    type: str
    data: Mapping[str, Any]
    idempotency_key: str | None = None
    subject: tuple[str, str] | None = None
    version: int = 1
    data_json: bytes | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A decoded ledger entry at a known position."""

    position: int
    type: str
    version: int
    recorded_at_us: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def recorded_at(self) -> datetime:
        """Ledger time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.recorded_at_us / 1_000_000, UTC)


def encode_entry(entry: PendingEntry, recorded_at: str, *, checked: bool = False) -> bytes:
    """The canonical bytes of ``entry`` recorded at ``recorded_at`` (canonical UTC text).

    ``checked=True`` skips the walk over ``data`` for callers whose data is canonical by
    construction (validated records on the ingest hot path).

    Raises:
        ValidationError: if the type or version is malformed (:func:`check_entry_type`) or the
            data holds a float, a non-string key or an integer outside ±(2**53 - 1).
    """
    _check_type(entry)
    if entry.data_json is not None:
        # Keys "at" < "data" < "type" < "v": this concatenation is the canonical encoding.
        return b"".join(
            (
                b'{"at":"',
                recorded_at.encode(),
                b'","data":',
                entry.data_json,
                b',"type":"',
                entry.type.encode(),
                b'","v":',
                b"%d}" % entry.version,
            )
        )
    if not checked:
        check_canonical(entry.data)
    document = {"at": recorded_at, "data": entry.data, "type": entry.type, "v": entry.version}
    try:
        return orjson.dumps(
            document, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER, default=_refuse
        )
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise ValidationError("entry refused", [Problem("data", str(exc))]) from exc


class EncodedBatch(NamedTuple):
    """Entries of one type whose data is already canonical JSON, as parallel columns.

    Attributes:
        type: a CamelCase entry type.
        data_json: each entry's data in canonical JSON.
        idempotency_keys: each entry's client key, or None.
        subjects: each entry's ``(subject_kind, external_id)``, or None.
        version: the version of the data's schema.
    """

    type: str
    data_json: Sequence[bytes]
    idempotency_keys: Sequence[str | None]
    subjects: Sequence[tuple[str, str] | None]
    version: int = 1


class EntryTemplate:
    """Encodes many entries of one type and version from canonical data JSON.

    Raises:
        ValidationError: on construction, if the type or version is malformed.
    """

    def __init__(self, type: str, version: int = 1) -> None:
        _check_type(PendingEntry(type, {}, version=version))
        self._suffix = b',"type":"%s","v":%d}' % (type.encode(), version)

    def encode(self, data_json: Sequence[bytes], recorded_at: str) -> list[bytes]:
        """The canonical entries (keys "at" < "data" < "type" < "v": plain concatenation)."""
        prefix, suffix = b'{"at":"' + recorded_at.encode() + b'","data":', self._suffix
        return [prefix + data + suffix for data in data_json]


def encode_batch(
    entries: Sequence[PendingEntry], recorded_at: str, *, checked: bool = False
) -> list[bytes]:
    """:func:`encode_entry` for every entry of one append (same ledger time), done in bulk.

    Entries that carry ``data_json`` are assembled from a shared prefix and a per-type
    suffix, which is most of the cost saved on the ingest path.

    Raises:
        ValidationError: as :func:`encode_entry`.
    """
    templates: dict[tuple[str, int], EntryTemplate] = {}
    out = []
    for entry in entries:
        if entry.data_json is None:
            out.append(encode_entry(entry, recorded_at, checked=checked))
            continue
        template = templates.get((entry.type, entry.version))
        if template is None:
            template = templates[(entry.type, entry.version)] = EntryTemplate(
                entry.type, entry.version
            )
        out.extend(template.encode((entry.data_json,), recorded_at))
    return out


def _check_type(entry: PendingEntry) -> None:
    reason = _refusal(entry.type, entry.version)
    if reason is not None:
        raise ValidationError("entry refused", [Problem("type", reason)])


def check_canonical(data: Any, path: str = "data") -> None:
    """Raise ValidationError if ``data`` holds a value the canonical encoding does not allow."""
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return
    if isinstance(data, int):
        if abs(data) > _MAX_SAFE_INT:
            raise ValidationError("entry refused", [Problem(path, "integer out of range")])
        return
    if isinstance(data, Mapping):
        for key, value in data.items():
            if not isinstance(key, str):
                raise ValidationError("entry refused", [Problem(path, "keys must be strings")])
            check_canonical(value, f"{path}.{key}")
        return
    if isinstance(data, list | tuple):
        for i, value in enumerate(data):
            check_canonical(value, f"{path}[{i}]")
        return
    raise ValidationError("entry refused", [Problem(path, f"{type(data).__name__} not allowed")])


def _refuse(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not allowed in a ledger entry")


def decode_entry(position: int, raw: bytes) -> Entry:
    """Decode the canonical bytes of the entry at ``position``.

    Raises:
        StorageError: if the bytes are not a well-formed EntryV1 (any CamelCase type and
            positive version: the event registry, not the ledger, knows which exist).
    """
    try:
        document = orjson.loads(raw)
        entry = Entry(
            position=position,
            type=document["type"],
            version=document["v"],
            recorded_at_us=parse_time(document["at"]),
            data=document["data"],
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise StorageError(f"entry {position} is not a valid EntryV1: {exc}") from exc
    type_, version = entry.type, entry.version
    if type(type_) is str and type(version) is int and (type_, version) in _WELL_FORMED:
        return entry  # the usual case, checked inline
    reason = _refusal(entry.type, entry.version)
    if reason is not None:
        raise StorageError(f"entry {position} is not a valid EntryV1: {reason}")
    return entry
