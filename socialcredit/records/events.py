"""The entries of filed records and their lifecycle, as typed events (the schema in code).

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`. ``to_data()`` gives back exactly the data the entry holds.
Positions are ledger positions of ``RecordFiled`` entries; times are canonical UTC text.

These four types are the hot path: ingest writes ``RecordFiled`` from pre-encoded JSON
(:meth:`socialcredit.catalogue._model.ValidRecord.payload_json`), and the record index,
rescoring, the columnar projections and verify read them as dicts or bytes at millions of
entries. Those loops do not build these classes (a dataclass per record would cost more than
the rest of the loop); the classes hold the schema, and the writers of lifecycle entries
(corrections, withdrawals, recertifications, a few a day) build their entries from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialcredit.events import EVENTS, Event

__all__ = [
    "RECORD_EVENTS",
    "RecordCorrectedV1",
    "RecordFiledV1",
    "RecordRecertifiedV1",
    "RecordWithdrawnV1",
]


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RecordFiledV1(Event):
    """A source filed a record about a subject (checked by the catalogue before writing)."""

    TYPE: ClassVar[str] = "RecordFiled"
    VERSION: ClassVar[int] = 1
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"amount", "evidence", "idempotency_key"})
    SUBJECTS: ClassVar[frozenset[str]] = frozenset({"subject"})
    subject: tuple[str, str]  # (kind, id)
    kind: str  # a record kind of the catalogue
    occurred_at: str  # when the conduct happened
    source: str  # <authority kind>:<name>
    amount: int | None = None  # in fen, where the kind has an amount
    evidence: str | None = None  # the source's document number
    idempotency_key: str | None = None  # the source's key for the row


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RecordCorrectedV1(Event):
    """A record was corrected by its source, or by a dispute's (or appeal's) decision."""

    TYPE: ClassVar[str] = "RecordCorrected"
    VERSION: ClassVar[int] = 1
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"dispute", "appeal"})
    record: int
    changes: dict[str, Any]  # {"amount"?: int | None, "occurred_at"?: time}
    by: str
    reason: str
    dispute: str | None = None
    appeal: str | None = None


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RecordWithdrawnV1(Event):
    """A record stopped counting: withdrawn by its source, deleted by a dispute's decision,
    or ended by a granted credit repair (``repair``)."""

    TYPE: ClassVar[str] = "RecordWithdrawn"
    VERSION: ClassVar[int] = 1
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"dispute", "appeal", "repair"})
    record: int
    by: str
    reason: str
    recertification_required: bool
    dispute: str | None = None
    appeal: str | None = None
    repair: str | None = None


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RecordRecertifiedV1(Event):
    """The source recertified a withdrawn record as accurate; it counts again, and the
    subject is told (``notice``: ``{"to": {"kind", "id"}, "text"}``)."""

    TYPE: ClassVar[str] = "RecordRecertified"
    VERSION: ClassVar[int] = 1
    record: int
    by: str
    evidence: str
    notice: dict[str, Any]


#: The record entry classes: the filing and its lifecycle.
RECORD_EVENTS: tuple[type[Event], ...] = (
    RecordFiledV1,
    RecordCorrectedV1,
    RecordWithdrawnV1,
    RecordRecertifiedV1,
)
