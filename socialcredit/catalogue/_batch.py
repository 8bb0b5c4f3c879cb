"""Validation of a whole batch of records at once, straight to ledger-ready canonical JSON.

:meth:`Catalogue.validate` is the definition; this module is its bulk form for ingest, in two
tiers. :func:`validate_arrays` (the ingest hot path) takes the batch as Arrow arrays and runs
every check as a column kernel -- kind and source per distinct value, whether the source's
authority kind may file the kind from a (kinds x authority kinds) table, identifier check
characters and birth dates on an (n x 18) byte array, timestamps (a date, or a date-time with
``Z`` or any numeric offset, rewritten in canonical UTC form) on an (n x 32) one, text fields
by length and regular-expression kernels (evidence against the reference pattern of each
row's authority kind, one RE2 pass per authority kind) -- and assembles each accepted
record's canonical JSON by string concatenation, with no Python work per record.
It accepts a record only when every value is in a plainly acceptable form, already normal
except for the timestamp (free text that needs no JSON escaping and no stripping, a canonical
amount, ...). Every other
record goes to :func:`validate_columns`, which runs the checks per record over Python lists,
and anything it is not sure about -- an unusual value, a type it does not handle, anything
refused -- goes through :meth:`Catalogue.validate`. So the answers, refusal messages included,
and the payload bytes are those of the per-record path (tests/test_batch_validation.py checks
that on random batches, nasty text included).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socialcredit.catalogue._fast_facts import (
    ORG_FACTS,
    PARSED,
    PERSON_FACTS,
    filer_facts,
    organisation_facts_checked,
    parse_checked,
    person_facts_checked,
)
from socialcredit.catalogue._identifiers import person_facts_columns, uscc_columns
from socialcredit.catalogue._model import _json_text, encode_payload
from socialcredit.catalogue._sources import Source
from socialcredit.catalogue._taxonomy import conduct_taxonomy
from socialcredit.catalogue._timestamps import (
    COLUMN_WIDTH,
    EARLIEST_US,
    format_columns,
    parse_timestamp_columns,
)
from socialcredit.catalogue._values import (
    FUTURE_TOLERANCE_US,
    MAX_AMOUNT,
    MAX_EVIDENCE,
    MAX_IDEMPOTENCY_KEY,
    RECORD_FIELDS,
)
from socialcredit.errors import RecordRefusedError

if TYPE_CHECKING:
    from socialcredit.catalogue._records import Catalogue

__all__ = [
    "ArrayResults",
    "EncodedColumns",
    "EncodedRecord",
    "rows_to_arrays",
    "validate_arrays",
    "validate_batch",
    "validate_columns",
]

_FIELDS = frozenset(RECORD_FIELDS)


class EncodedRecord(NamedTuple):
    """A valid record, ready for the ledger: its canonical payload JSON and what to index."""

    payload_json: bytes
    idempotency_key: str | None
    subject_kind: str
    subject_id: str


def validate_batch(
    catalogue: Catalogue,
    rows: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    source: Source | None = None,
) -> list[EncodedRecord | RecordRefusedError]:
    """Validate ``rows``; one result per row, in order: the encoded record or its refusal.

    ``source`` is the registered source filing them, if known (see :meth:`Catalogue.validate`).

    Raises:
        ValueError: if ``now`` is naive.
    """
    arrays = rows_to_arrays(rows) if rows else None
    if arrays is None:
        names = dict.fromkeys(name for row in rows for name in row)
        columns = {name: [row.get(name) for row in rows] for name in names}
        return validate_columns(
            catalogue, columns, len(rows), now=now, row=rows.__getitem__, source=source
        )
    accepted, refused = validate_arrays(catalogue, arrays, len(rows), now=now, source=source)
    records = iter(zip(*accepted, strict=True))
    refusals = dict(refused)
    return [
        refusals[i] if i in refusals else EncodedRecord(*next(records)) for i in range(len(rows))
    ]


def validate_columns(
    catalogue: Catalogue,
    columns: Mapping[str, list[Any]],
    count: int,
    *,
    now: datetime,
    row: Callable[[int], Mapping[str, Any]],
    source: Source | None = None,
) -> list[EncodedRecord | RecordRefusedError]:
    """Validate ``count`` records given as columns (field → values, None where absent).

    ``row(i)`` must give record ``i`` as a mapping; it is called only for the records the
    column checks do not plainly accept, which :meth:`Catalogue.validate` then decides.
    ``source`` is the registered source filing them, if known.

    Raises:
        ValueError: if ``now`` is naive.
    """
    clock = catalogue._clock
    now_us = clock[1] if clock[0] is now else catalogue._set_clock(now)
    try:
        fast = _fast_columns(catalogue, columns, count, now_us, source)
    except TypeError:  # an unhashable value somewhere; the per-record path names it
        fast = [None] * count
    return [
        result if result is not None else _one(catalogue, row(i), now, source)
        for i, result in enumerate(fast)
    ]


def _one(
    catalogue: Catalogue, row: Mapping[str, Any], now: datetime, source: Source | None
) -> EncodedRecord | RecordRefusedError:
    try:
        record = catalogue.validate(row, now=now, source=source)
    except RecordRefusedError as refusal:
        return refusal
    return EncodedRecord(
        record.payload_json(), record.idempotency_key, record.subject_kind.value, record.subject_id
    )


def _fast_columns(
    catalogue: Catalogue,
    columns: Mapping[str, list[Any]],
    count: int,
    now_us: int,
    filer: Source | None,
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
    sources = [_source(s, filer) for s in column("source")]
    amounts = _amounts(rule, column("amount"))
    evidence = _evidence(rule, column("evidence"), sources)
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
            or source is None
            or source[1].id not in ru.authorities
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
        payload = encode_payload(ru.kind.id, kind, fact[0], us, source[0], amount, ev, key)
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
    parsed = PARSED.get(value) if value.__class__ is str else None
    if parsed is None:
        parsed = parse_checked(value)
    return None if parsed.__class__ is str else parsed


def _source(value: Any, filer: Source | None) -> Any:
    """(name, authority kind) of who files the record, or None for the per-record path."""
    if filer is None and value.__class__ is not str:
        return None
    facts = filer_facts(filer, value)
    return None if facts is None or facts.__class__ is str else facts


def _subjects(rule: list[Any], kinds: list[Any], ids: list[Any]) -> list[Any]:
    """Memoised identifier facts where kind and rule allow the subject; None elsewhere."""
    people, organisations = PERSON_FACTS, ORG_FACTS
    out: list[Any] = []
    for ru, kind, subject in zip(rule, kinds, ids, strict=True):
        fact: Any = None
        if ru is not None and subject.__class__ is str:
            if kind == "person" and ru.person:
                fact = people.get(subject) or person_facts_checked(subject)
            elif kind == "organisation" and ru.organisation:
                fact = organisations.get(subject) or organisation_facts_checked(subject)
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


def _evidence(rule: list[Any], evidence: list[Any], sources: list[Any]) -> list[str | bool | None]:
    """Stripped evidence, None when absent and allowed, False when the slow path must decide."""
    out: list[str | bool | None] = []
    for ru, text, source in zip(rule, evidence, sources, strict=True):
        if ru is None or source is None:
            out.append(False)
            continue
        if text is not None:
            if text.__class__ is not str:
                out.append(False)
                continue
            text = text.strip() or None
        if text is None:
            out.append(False if ru.evidence_required else None)
        elif (
            ru.evidence is None
            or len(text) > MAX_EVIDENCE
            or source[1].pattern.fullmatch(text) is None
        ):
            out.append(False)
        else:
            out.append(text)
    return out


# -- the column form over Arrow arrays: the ingest hot path -------------------------------------

# Python's str.strip() drops exactly these; a value that neither starts nor ends with one, and
# holds nothing JSON must escape (", \\, control characters), is its own stripped text and its
# own JSON string body (orjson escapes nothing else).
_SPACE = (
    r"\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}"
    r"\x{3000}"
)
_ESCAPED = r'["\\\x00-\x1f]'
_NEEDS_CARE = f"^[{_SPACE}]|[{_SPACE}]$|{_ESCAPED}"
_AMOUNT_TEXT = "^(0|[1-9][0-9]{0,14})$"  # canonical already: leading zeros go the slow way
_STRING_TYPES = (pa.string(), pa.large_string(), pa.null())
_RECORD_TYPE = pa.struct([(name, pa.string()) for name in RECORD_FIELDS])


class EncodedColumns(NamedTuple):
    """Accepted records of a batch, in input order, as parallel columns (cheap to pickle)."""

    payload_json: list[bytes]
    idempotency_key: list[str | None]
    subject_kind: list[str]
    subject_id: list[str]


class ArrayResults(NamedTuple):
    """The outcome of :func:`validate_arrays`: the accepted records, in order, and the refused
    ones as ``(row index, refusal)`` in order; every other row index is accepted."""

    accepted: EncodedColumns
    refused: list[tuple[int, RecordRefusedError]]


def rows_to_arrays(rows: Sequence[Mapping[str, Any]]) -> dict[str, pa.Array] | None:
    """``rows`` as one Arrow string array per record field, or None when they do not fit that
    shape (a field outside the schema, a value that is not text): then use plain columns."""
    try:
        if not _FIELDS.issuperset(set().union(*rows)):
            return None
        table = pa.array(rows, type=_RECORD_TYPE)
    except (TypeError, pa.ArrowException):
        return None
    return {name: table.field(i) for i, name in enumerate(RECORD_FIELDS)}


def validate_arrays(
    catalogue: Catalogue,
    arrays: Mapping[str, pa.Array],
    count: int,
    *,
    now: datetime,
    source: Source | None = None,
) -> ArrayResults:
    """Validate ``count`` records given as Arrow arrays (field → array, null where absent).

    The column kernels accept the records whose every value is in a usual form; the rest go
    through :func:`validate_columns` (and so, where needed, :meth:`Catalogue.validate`), which
    gives the answers and refusal messages of the per-record path. ``source`` is the
    registered source filing them, if known (see :meth:`Catalogue.validate`).

    Raises:
        ValueError: if ``now`` is naive.
    """
    clock = catalogue._clock
    now_us = clock[1] if clock[0] is now else catalogue._set_clock(now)
    sure, fast = _kernels(catalogue, arrays, count, now_us, source)
    unsure = np.flatnonzero(~sure)
    if not len(unsure):
        return ArrayResults(fast, [])
    index = _indices(unsure)
    subset = {name: array.take(index).to_pylist() for name, array in arrays.items()}

    def row(i: int) -> dict[str, Any]:
        return {name: values[i] for name, values in subset.items() if values[i] is not None}

    results = validate_columns(catalogue, subset, len(unsure), now=now, row=row, source=source)
    refused = [(int(unsure[j]), r) for j, r in enumerate(results) if isinstance(r, Exception)]
    late = [(int(unsure[j]), r) for j, r in enumerate(results) if not isinstance(r, Exception)]
    if late:
        fast = _merged(sure, fast, late)
    return ArrayResults(fast, refused)


def _merged(
    sure: np.ndarray, fast: EncodedColumns, late: list[tuple[int, EncodedRecord]]
) -> EncodedColumns:
    """The kernels' records and the late-accepted ones, interleaved in input order."""
    rows: list[Any] = [None] * len(sure)
    for at, record in zip(np.flatnonzero(sure).tolist(), zip(*fast, strict=True), strict=True):
        rows[at] = record
    for at, encoded in late:
        rows[at] = tuple(encoded)
    kept = [r for r in rows if r is not None]
    if not kept:
        return EncodedColumns([], [], [], [])
    return EncodedColumns(*(list(column) for column in zip(*kept, strict=True)))


def _text(arrays: Mapping[str, pa.Array], name: str, count: int) -> pa.Array | None:
    """The field as a string array (all null if absent), or None if it holds other types."""
    array = arrays.get(name)
    if array is None:
        return pa.nulls(count, pa.string())
    if array.type not in _STRING_TYPES:
        return None
    return array.cast(pa.string()) if array.type != pa.string() else array


def _bits(buffer: pa.Buffer, offset: int, count: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), bitorder="little")
    return bits[offset : offset + count].astype(bool)


def _valid(array: pa.Array) -> np.ndarray:
    """True where the value is not null."""
    if not array.null_count:
        return np.ones(len(array), dtype=bool)
    return _bits(array.buffers()[0], array.offset, len(array))


def _bools(values: pa.Array) -> np.ndarray:
    """A boolean Arrow array as NumPy, null as False."""
    return _bits(values.buffers()[1], values.offset, len(values)) & _valid(values)


def _numbers(array: pa.Array) -> np.ndarray:
    """An integer Arrow array's values as NumPy (undefined where null)."""
    kind = "i" if pa.types.is_signed_integer(array.type) else "u"
    dtype = np.dtype(f"{kind}{array.type.bit_width // 8}")
    return np.frombuffer(array.buffers()[1], dtype=dtype)[array.offset : array.offset + len(array)]


def _offsets(array: pa.Array) -> np.ndarray:
    """The value offsets of a string array, as NumPy (n + 1 of them)."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    return offsets[array.offset : array.offset + len(array) + 1]


def _byte_lengths(array: pa.Array) -> np.ndarray:
    """Each value's length in bytes; -1 where null."""
    return np.where(_valid(array), np.diff(_offsets(array)), -1)


def _char_lengths(array: pa.Array) -> np.ndarray:
    """Each value's length in code points (Python's ``len``); undefined where null."""
    return _numbers(pc.utf8_length(array))


def _fixed_width(array: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(bytes, lengths)``: the first ``width`` bytes of each value as an (n, width) uint8
    array (padding undefined) and each value's byte length (-1 where null)."""
    count = len(array)
    offsets = _offsets(array)
    lengths = np.where(_valid(array), np.diff(offsets), -1)
    data_buffer = array.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else None
    if data is None or not len(data):
        return np.zeros((count, width), dtype=np.uint8), lengths
    first = int(offsets[0])
    if (np.diff(offsets) == width).all():  # every value exactly width bytes: a view
        return data[first : first + count * width].reshape(count, width), lengths
    padded = np.concatenate([data[first : int(offsets[-1])], np.zeros(width, dtype=np.uint8)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    return windows[offsets[:-1] - first], lengths


def _per_value(
    array: pa.Array, function: Callable[[Any], Any]
) -> tuple[list[Any], np.ndarray, pa.Array]:
    """``function`` of each distinct value plus of None (last), and each row's index into
    that list, as NumPy and as Arrow."""
    encoded = pc.dictionary_encode(array)
    distinct = encoded.dictionary.to_pylist()
    results = [function(value) for value in distinct]
    results.append(function(None))
    indices = encoded.indices
    raw = np.frombuffer(indices.buffers()[1], dtype=np.int32)[: len(indices)]
    at = np.where(_valid(indices), raw, len(distinct)) if indices.null_count else raw
    return results, at, _indices(at)


def _kernels(
    catalogue: Catalogue,
    arrays: Mapping[str, pa.Array],
    count: int,
    now_us: int,
    filer: Source | None = None,
) -> tuple[np.ndarray, EncodedColumns]:
    """Which records every column check plainly accepts, and those records encoded."""
    texts = {name: _text(arrays, name, count) for name in RECORD_FIELDS if name != "amount"}
    if any(array is None for array in texts.values()):
        return np.zeros(count, dtype=bool), EncodedColumns([], [], [], [])
    kind, subject_kind = texts["kind"], texts["subject_kind"]
    subject_id, occurred_at = texts["subject_id"], texts["occurred_at"]
    source, evidence, key = texts["source"], texts["evidence"], texts["idempotency_key"]
    assert kind is not None and subject_kind is not None and subject_id is not None
    assert occurred_at is not None and source is not None
    assert evidence is not None and key is not None
    sure = np.ones(count, dtype=bool)
    for name, array in arrays.items():
        if name not in _FIELDS:
            sure &= ~_valid(array)

    rules, pick, at = _per_value(kind, catalogue._rules.get)

    def per_rule(test: Callable[[Any], bool]) -> np.ndarray:
        return np.array([r is not None and test(r) for r in rules], dtype=bool)[pick]

    sure &= per_rule(lambda r: True)
    kind_text = _strings([r.kind.id if r is not None else "" for r in rules]).take(at)
    kinds, kind_pick, _ = _per_value(subject_kind, lambda v: v if v in _SUBJECT_KINDS else "")
    person = np.array([k == "person" for k in kinds])[kind_pick] & per_rule(lambda r: r.person)
    organisation = np.array([k == "organisation" for k in kinds])[kind_pick]
    organisation &= per_rule(lambda r: r.organisation)
    sure &= person | organisation

    chars, lengths = _fixed_width(subject_id, 18)
    valid_person, _, adult_us = person_facts_columns(chars)
    valid_id = valid_person & person
    if organisation.any():
        valid_id[organisation] = uscc_columns(chars[organisation])
    sure &= (lengths == 18) & valid_id

    chars, lengths = _fixed_width(occurred_at, COLUMN_WIDTH)
    parsed, us, plain = parse_timestamp_columns(chars, lengths)
    sure &= parsed & (us <= now_us + FUTURE_TOLERANCE_US) & (us >= EARLIEST_US)
    sure &= ~person | ((us >= adult_us) & (now_us >= adult_us))
    occurred_text = _occurred_text(occurred_at, lengths, us, sure & ~plain)

    sources, source_pick, source_at = _per_value(source, lambda value: _source(value, filer))
    sure &= np.array([s is not None for s in sources], dtype=bool)[source_pick]
    source_json = _strings([_json_text(s[0] if s else "").decode() for s in sources])
    source_json = source_json.take(source_at)
    authority = np.array([_AUTHORITY_INDEX[s[1].id] if s else -1 for s in sources])[source_pick]
    sure &= _may_file(rules, pick, authority)

    amount_present, amount_ok, amount_text = _amount(arrays.get("amount"), count)
    sure &= np.where(
        amount_present,
        amount_ok & per_rule(lambda r: r.amount is not None),
        ~per_rule(lambda r: r.amount_required),
    )
    evidence_present = _byte_lengths(evidence) > 0
    evidence_ok = ~_bools(pc.match_substring_regex(evidence, _NEEDS_CARE))
    evidence_ok &= _char_lengths(evidence) <= MAX_EVIDENCE
    evidence_ok &= _references(evidence, evidence_present, authority)
    sure &= np.where(
        evidence_present,
        evidence_ok & per_rule(lambda r: r.evidence is not None),
        ~per_rule(lambda r: r.evidence_required),
    )
    key_present = _byte_lengths(key) > 0
    key_ok = ~_bools(pc.match_substring_regex(key, _ESCAPED))
    key_ok &= _char_lengths(key) <= MAX_IDEMPOTENCY_KEY
    sure &= ~key_present | key_ok

    key = _only(key_present, key)
    payload = pc.binary_join_element_wise(
        _S["{"],
        _wrapped('"amount":', _only(amount_present, amount_text), ","),
        _wrapped('"evidence":"', _only(evidence_present, evidence), '",'),
        _wrapped('"idempotency_key":"', key, '",'),
        _S['"kind":"'],
        kind_text,
        _S['","occurred_at":"'],
        occurred_text,
        _S['","source":'],
        source_json,
        _S[',"subject":{"id":"'],
        subject_id,
        _S['","kind":"'],
        subject_kind,
        _S['"}}'],
        _S[""],
        null_handling="replace",
        null_replacement="",
    )
    keep = _mask(sure)
    # Two distinct subject kinds: a list of the same two objects is cheaper to build and pickle.
    kind_objects = np.array([k or None for k in kinds], dtype=object)
    return sure, EncodedColumns(
        payload.filter(keep).cast(pa.binary()).to_pylist(),
        key.filter(keep).to_pylist(),
        kind_objects[kind_pick[sure]].tolist(),
        subject_id.filter(keep).to_pylist(),
    )


def _occurred_text(
    occurred_at: pa.Array, lengths: np.ndarray, us: np.ndarray, rewrite: np.ndarray
) -> pa.Array:
    """Each value's canonical text (meaningful where it parsed): the value itself, or with
    ``T00:00:00Z`` after a bare date, unless some accepted value is written otherwise (with
    an offset, a fraction, ...): then every text is written afresh from its instant."""
    if rewrite.any():
        return _ragged_strings(*format_columns(us))
    midnight = pc.binary_join_element_wise(occurred_at, _S["T00:00:00Z"], _S[""])
    return pc.if_else(_mask(lengths == 10), midnight, occurred_at)


_SUBJECT_KINDS = frozenset({"person", "organisation"})
_AUTHORITIES = tuple(conduct_taxonomy().authority_kinds.values())
_AUTHORITY_INDEX = {a.id: i for i, a in enumerate(_AUTHORITIES)}
# RE2 searches; anchored, it matches whole values, as Python's fullmatch does (the patterns keep
# to the syntax both read alike, and RE2's $ is the end of the text, never before a newline).
_REFERENCE = [f"^(?:{a.pattern.pattern})$" for a in _AUTHORITIES]


def _may_file(rules: list[Any], pick: np.ndarray, authority: np.ndarray) -> np.ndarray:
    """True where the row's kind may be filed by a source of the row's authority kind."""
    table = np.array(
        [[r is not None and a.id in r.authorities for a in _AUTHORITIES] for r in rules],
        dtype=bool,
    ).reshape(len(rules), len(_AUTHORITIES))
    return table[pick, np.maximum(authority, 0)] & (authority >= 0)


def _references(evidence: pa.Array, present: np.ndarray, authority: np.ndarray) -> np.ndarray:
    """True where present evidence has the reference form of its row's authority kind: one
    regular-expression pass per authority kind, over that kind's rows."""
    ok = np.zeros(len(evidence), dtype=bool)
    for index in np.unique(authority[present & (authority >= 0)]).tolist():
        rows = np.flatnonzero(present & (authority == index))
        if len(rows) == len(evidence):  # one filer's feed: no need to gather its rows
            return _bools(pc.match_substring_regex(evidence, _REFERENCE[index]))
        matched = pc.match_substring_regex(evidence.take(_indices(rows)), _REFERENCE[index])
        ok[rows] = _bools(matched)
    return ok


# Arrays and scalars are built from buffers: pa.array() and pa.scalar() on Python or NumPy
# values first probe for pandas, and importing pandas costs a reader process most of a second.
def _mask(values: np.ndarray) -> pa.Array:
    """A NumPy boolean array as an Arrow one."""
    bits = np.packbits(values, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def _indices(values: np.ndarray) -> pa.Array:
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def _strings(values: list[str]) -> pa.Array:
    encoded = [value.encode() for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def _ragged_strings(chars: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """A string array of row ``i``'s first ``lengths[i]`` bytes of ``chars`` (ASCII)."""
    if len(lengths) and (lengths == lengths[0]).all():  # one length, as whole seconds have
        data = chars[:, : lengths[0]].ravel()
    else:
        data = chars[np.arange(chars.shape[1]) < lengths[:, None]]  # row by row, in order
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))]
    return pa.Array.from_buffers(pa.string(), len(lengths), buffers)


_LITERALS = [
    "",
    "{",
    "T00:00:00Z",
    '"amount":',
    '"evidence":"',
    '"idempotency_key":"',
    ",",
    '",',
    '"kind":"',
    '","occurred_at":"',
    '","source":',
    ',"subject":{"id":"',
    '","kind":"',
    '"}}',
]
_S = dict(zip(_LITERALS, _strings(_LITERALS), strict=True))


def _wrapped(before: str, values: pa.Array, after: str) -> pa.Array:
    """``before + value + after``, null where the value is null."""
    return pc.binary_join_element_wise(_S[before], values, _S[after], _S[""])


def _only(present: np.ndarray, values: pa.Array) -> pa.Array:
    """``values`` where ``present``, null elsewhere (the same buffers, a new validity map)."""
    if values.null_count == len(values) - int(present.sum()):
        return values  # null exactly where absent already (no empty strings)
    validity = pa.py_buffer(np.packbits(present & _valid(values), bitorder="little"))
    _, offsets, data = values.buffers()
    return pa.Array.from_buffers(
        values.type, len(values), [validity, offsets, data], offset=values.offset
    )


def _amount(array: pa.Array | None, count: int) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``(present, plainly whole, canonical digits)`` of the amount column."""
    if array is None or array.type == pa.null():
        nothing = np.zeros(count, dtype=bool)
        return nothing, nothing, pa.nulls(count, pa.string())
    if pa.types.is_integer(array.type):
        present = _valid(array)
        value = _numbers(array).astype(np.float64)  # exact up to 2**53, far above MAX_AMOUNT
        return present, (value >= 0) & (value <= MAX_AMOUNT), array.cast(pa.string())
    if array.type not in _STRING_TYPES:
        present = _valid(array)
        return present, np.zeros(count, dtype=bool), pa.nulls(count, pa.string())
    text = array.cast(pa.string())
    present = _byte_lengths(text) > 0
    return present, _bools(pc.match_substring_regex(text, _AMOUNT_TEXT)), text
