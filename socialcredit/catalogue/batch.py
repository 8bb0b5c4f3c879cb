"""Validation of a whole batch of records at once, straight to ledger-ready canonical JSON.

:meth:`Catalogue.validate` is the definition; this module is its bulk form for ingest. It runs
each check over the whole batch as a column (a list comprehension per field), accepts a row
only when every check plainly passes, and builds the row's canonical payload JSON without an
intermediate :class:`ValidRecord`. Any row it is not sure about — an unusual value, a type it
does not handle, anything refused — goes through :meth:`Catalogue.validate`, so the answers,
refusal messages included, are those of the per-record path (tests/test_batch_validation.py
checks that on random batches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from socialcredit.catalogue import records as _records
from socialcredit.catalogue._timestamps import EARLIEST_US
from socialcredit.catalogue._values import (
    FUTURE_TOLERANCE_US,
    MAX_EVIDENCE,
    MAX_IDEMPOTENCY_KEY,
    RECORD_FIELDS,
)
from socialcredit.catalogue.model import encode_payload
from socialcredit.errors import RecordRefusedError

if TYPE_CHECKING:
    from socialcredit.catalogue.records import Catalogue

__all__ = ["EncodedRecord", "validate_batch", "validate_columns"]

_FIELDS = frozenset(RECORD_FIELDS)


class EncodedRecord(NamedTuple):
    """A valid record, ready for the ledger: its canonical payload JSON and what to index."""

    payload_json: bytes
    idempotency_key: str | None
    subject_kind: str
    subject_id: str


def validate_batch(
    catalogue: Catalogue, rows: Sequence[Mapping[str, Any]], *, now: datetime
) -> list[EncodedRecord | RecordRefusedError]:
    """Validate ``rows``; one result per row, in order: the encoded record or its refusal.

    Raises:
        ValueError: if ``now`` is naive.
    """
    names = dict.fromkeys(name for row in rows for name in row)
    columns = {name: [row.get(name) for row in rows] for name in names}
    return validate_columns(catalogue, columns, len(rows), now=now, row=rows.__getitem__)


def validate_columns(
    catalogue: Catalogue,
    columns: Mapping[str, list[Any]],
    count: int,
    *,
    now: datetime,
    row: Callable[[int], Mapping[str, Any]],
) -> list[EncodedRecord | RecordRefusedError]:
    """Validate ``count`` records given as columns (field → values, None where absent).

    ``row(i)`` must give record ``i`` as a mapping; it is called only for the records the
    column checks do not plainly accept, which :meth:`Catalogue.validate` then decides.

    Raises:
        ValueError: if ``now`` is naive.
    """
    clock = catalogue._clock
    now_us = clock[1] if clock[0] is now else catalogue._set_clock(now)
    try:
        fast = _fast_columns(catalogue, columns, count, now_us)
    except TypeError:  # an unhashable value somewhere; the per-record path names it
        fast = [None] * count
    return [
        result if result is not None else _one(catalogue, row(i), now)
        for i, result in enumerate(fast)
    ]


def _one(
    catalogue: Catalogue, row: Mapping[str, Any], now: datetime
) -> EncodedRecord | RecordRefusedError:
    try:
        record = catalogue.validate(row, now=now)
    except RecordRefusedError as refusal:
        return refusal
    return EncodedRecord(
        record.payload_json(), record.idempotency_key, record.subject_kind.value, record.subject_id
    )


def _fast_columns(
    catalogue: Catalogue, columns: Mapping[str, list[Any]], count: int, now_us: int
) -> list[EncodedRecord | None]:
    """The records every check plainly accepts, encoded; None for the rest."""
    absent = [None] * count

    def column(name: str) -> list[Any]:
        return columns.get(name) or absent

    rules = catalogue._rules
    shape = _shape(columns, count)
    rule = [rules.get(k) if k.__class__ is str else None for k in column("kind")]
    subject_kind = column("subject_kind")
    facts = _subjects(rule, subject_kind, column("subject_id"))
    times = [_time(w) for w in column("occurred_at")]
    sources = [_source(s) for s in column("source")]
    amounts = _amounts(rule, column("amount"))
    evidence = _evidence(rule, column("evidence"))
    keys = column("idempotency_key")
    latest = now_us + FUTURE_TOLERANCE_US
    earliest = EARLIEST_US
    out: list[EncodedRecord | None] = []
    for ok, ru, kind, fact, time, source, amount, ev, key in zip(
        shape, rule, subject_kind, facts, times, sources, amounts, evidence, keys, strict=True
    ):
        if (
            not ok
            or fact is None
            or time is None
            or not source
            or amount is False
            or ev is False
            or (key is not None and not _good_key(key))
        ):
            out.append(None)
            continue
        us = time[1]
        if us > latest or us < earliest or (len(fact) == 3 and (us < fact[2] or now_us < fact[2])):
            out.append(None)
            continue
        key = key or None
        payload = encode_payload(ru.kind.id, kind, fact[0], us, source, amount, ev, key)
        out.append(EncodedRecord(payload, key, kind, fact[0]))
    return out


def _shape(columns: Mapping[str, list[Any]], count: int) -> list[bool]:
    """False for the records that carry a value in a field outside the record schema."""
    extra = [values for name, values in columns.items() if name not in _FIELDS]
    if not extra:
        return [True] * count
    return [all(values[i] is None for values in extra) for i in range(count)]


def _good_key(key: object) -> bool:
    return key.__class__ is str and len(key) <= MAX_IDEMPOTENCY_KEY


def _time(value: Any) -> Any:
    """(datetime, microseconds) from the shared memo, or None for the per-record path."""
    parsed = _records._PARSED.get(value) if value.__class__ is str else None
    if parsed is None:
        parsed = _records._parse_checked(value)
    return None if parsed.__class__ is str else parsed


def _source(value: Any) -> str:
    """The normalised source, or "" for the per-record path."""
    if value.__class__ is not str:
        return ""
    return _records._SOURCES.get(value) or _records._source_checked(value)


def _subjects(rule: list[Any], kinds: list[Any], ids: list[Any]) -> list[Any]:
    """Memoised identifier facts where kind and rule allow the subject; None elsewhere."""
    people, organisations = _records._PERSON_FACTS, _records._ORG_FACTS
    out: list[Any] = []
    for ru, kind, subject in zip(rule, kinds, ids, strict=True):
        fact: Any = None
        if ru is not None and subject.__class__ is str:
            if kind == "person" and ru.person:
                fact = people.get(subject) or _records._person_facts_checked(subject)
            elif kind == "organisation" and ru.organisation:
                fact = organisations.get(subject) or _records._organisation_facts_checked(subject)
        out.append(None if fact.__class__ is str else fact)
    return out


def _amounts(rule: list[Any], amounts: list[Any]) -> list[int | bool | None]:
    """The whole amount, None when absent and allowed, False when the slow path must decide."""
    out: list[int | bool | None] = []
    for ru, amount in zip(rule, amounts, strict=True):
        if ru is None:
            out.append(False)
        elif amount is None or amount == "":
            out.append(False if ru.amount_required else None)
        elif ru.amount is None:
            out.append(False)
        elif (
            amount.__class__ is str and len(amount) <= 15 and amount.isdigit() and amount.isascii()
        ):
            out.append(int(amount))
        elif amount.__class__ is int and 0 <= amount <= 10**15:
            out.append(amount)
        else:
            out.append(False)
    return out


def _evidence(rule: list[Any], evidence: list[Any]) -> list[str | bool | None]:
    """Stripped evidence, None when absent and allowed, False when the slow path must decide."""
    out: list[str | bool | None] = []
    for ru, text in zip(rule, evidence, strict=True):
        if ru is None:
            out.append(False)
            continue
        if text is not None:
            if text.__class__ is not str:
                out.append(False)
                continue
            text = text.strip() or None
        if text is None:
            out.append(False if ru.evidence_required else None)
        elif ru.evidence is None or len(text) > MAX_EVIDENCE:
            out.append(False)
        else:
            out.append(text)
    return out
