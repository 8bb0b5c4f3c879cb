"""Ledger entries: typed, versioned facts and their canonical byte encoding (EntryV1).

An entry is the unit the Merkle tree commits to. Its canonical bytes are compact JSON with
sorted keys, UTF-8, no insignificant whitespace, and only strings, integers (|n| < 2**53),
booleans, null, arrays and objects — no floats — so that the encoding is unique and matches
RFC 8785 (JSON Canonicalization Scheme) for every value the ledger accepts::

    {"at":"2026-11-27T19:18:38.123456Z","data":{...},"type":"RecordFiled","v":1}

``at`` is ledger time (``recorded_at``), assigned by the ledger when the entry is appended.
Entry types are named in the past tense. Later parts of the system register their own types
with :func:`register_entry_type`; decoding an unregistered type is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

from ..errors import Problem, StorageError, ValidationError

__all__ = [
    "ENCODING_VERSION",
    "EncodedBatch",
    "Entry",
    "EntryTemplate",
    "PendingEntry",
    "check_canonical",
    "decode_entry",
    "encode_batch",
    "encode_entry",
    "entry_types",
    "format_time",
    "parse_time",
    "register_entry_type",
]

ENCODING_VERSION = 1
_MAX_SAFE_INT = 2**53 - 1

# Entry type -> the versions of its data the code understands.
_ENTRY_TYPES: dict[str, frozenset[int]] = {}


def register_entry_type(name: str, versions: frozenset[int] = frozenset({1})) -> None:
    """Declare an entry type (past-tense name) and the data versions the code understands.

    Raises:
        ValueError: if the name is not CamelCase.
    """
    if not name[:1].isupper() or not name.isalnum():
        raise ValueError(f"entry type {name!r} must be CamelCase")
    _ENTRY_TYPES[name] = _ENTRY_TYPES.get(name, frozenset()) | versions


def entry_types() -> dict[str, frozenset[int]]:
    """The registered entry types and their known versions."""
    return dict(_ENTRY_TYPES)


# Every entry type the system writes is declared here, so that any reader (whatever packages
# it imported) can decode the whole ledger. Add new types to this tuple.
CORE_ENTRY_TYPES = (
    # records and policy
    "RecordFiled",
    "RecordCorrected",
    "RecordWithdrawn",
    "RecordRecertified",
    "PolicyPublished",
    "GovernanceRecorded",
    "ImpactAssessed",
    # rights: disputes, appeals, statements, reads
    "DisputeOpened",
    "DisputeAcknowledged",
    "DisputeEvidenceAdded",
    "DisputeDecided",
    "AppealOpened",
    "AppealDecided",
    "StatementAttached",
    "FileRead",
    # rights: credit repair and its appeal
    "RepairApplied",
    "RepairDecided",
    "RepairAppealOpened",
    "RepairAppealDecided",
    # consequences: lists, restoration, hardship, decisions
    "ListingNoticed",
    "RestorationRequested",
    "RestorationGranted",
    "HardshipRecorded",
    "HardshipEnded",
    "DecisionMade",
    "LegalRepresentativeRecorded",
    # ratings
    "RatingTokenIssued",
    "RatingGiven",
    "RatingReplied",
    "RatingDisputed",
    "InteractionRecorded",
    # notices: the outbox and its delivery attempts
    "NoticeQueued",
    "NoticeDelivered",
    "NoticeDeliveryFailed",
    # agencies and their joint memoranda
    "AgencyRegistered",
    "AgencyKeyRotated",
    "MemorandumConcluded",
    "MemorandumEnded",
)
for _name in CORE_ENTRY_TYPES:
    register_entry_type(_name)


def format_time(us: int) -> str:
    """Microseconds since the Unix epoch as canonical UTC ISO 8601 (``...Z``)."""
    seconds, micros = divmod(us, 1_000_000)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{micros:06d}Z" if micros else f"{text}Z"


@lru_cache(maxsize=1 << 16)  # entries of one append share their time; records repeat theirs
def parse_time(text: str) -> int:
    """Inverse of :func:`format_time`: canonical ``...Z`` text to microseconds since the epoch.

    Raises:
        ValueError: if the text is not a UTC ISO 8601 time ending in ``Z``.
    """
    if not text.endswith("Z"):
        raise ValueError(f"time {text!r} must be UTC and end in 'Z'")
    moment = datetime.fromisoformat(text[:-1] + "+00:00")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class PendingEntry(NamedTuple):
    """An entry waiting to be appended: its type, data, and what the ledger should index.

    A named tuple rather than a frozen dataclass: ingest makes one per record, and a frozen
    dataclass costs four times as much to construct.

    Attributes:
        type: a registered entry type, e.g. ``"RecordFiled"``.
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
        ValidationError: if the type is unregistered or the data holds a float, a non-string
            key or an integer outside ±(2**53 - 1).
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
        type: a registered entry type.
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
        ValidationError: on construction, if the type and version are not registered.
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
    if entry.version not in _ENTRY_TYPES.get(entry.type, ()):
        raise ValidationError(
            "entry refused",
            [Problem("type", f"unknown entry type {entry.type!r} v{entry.version}")],
        )


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
        StorageError: if the bytes are not a well-formed EntryV1 of a registered type.
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
    if entry.version not in _ENTRY_TYPES.get(entry.type, ()):
        raise StorageError(f"entry {position} has unknown type {entry.type!r} v{entry.version}")
    return entry
