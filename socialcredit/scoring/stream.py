"""The effective records of a whole ledger as Arrow record batches, read in bulk.

This is what :func:`~socialcredit.scoring.reports.rescore` scores. It gives exactly the rows
of :meth:`RecordIndex.effective_rows <socialcredit.scoring.records.RecordIndex.effective_rows>`
(the replay of every entry into Python objects), without the replay:

1. **Records, column-wise.** The stored bundles are read a few thousand at a time and split
   into entries as one Arrow column (:mod:`._entry_columns`); DuckDB's JSON reader extracts
   the fields of every ``RecordFiled`` entry in parallel, and its times are parsed with NumPy.
   A record whose fields are not plain JSON strings (or an integer or null amount) is read by
   :func:`~socialcredit.scoring.records.project_entry` instead, as the replay reads it.
2. **Lifecycle, per affected record.** The lifecycle entries (corrections, withdrawals,
   recertifications, disputes, appeals: few) are decoded one by one and applied, together with
   the rows of the records they name, to a :class:`RecordIndex` — the lifecycle rules live
   there and nowhere else. Its effective rows replace those records.
3. Every other record is effective as filed, once it is known (``recorded_at <= known_at``).

Entries of other types are not decoded here (``verify`` checks the whole ledger). Entries are
read as the ledger writes them: canonical JSON, so without duplicate keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socialcredit.errors import StorageError
from socialcredit.ledger import Ledger
from socialcredit.ledger.entries import Entry, decode_entry
from socialcredit.policy.publish import ENTRY_TYPE as POLICY_PUBLISHED
from socialcredit.scoring._entry_columns import canonical_times_us, entry_chunks
from socialcredit.scoring.batch import RECORDS_SCHEMA, records_table
from socialcredit.scoring.records import (
    LIFECYCLE_ENTRY_TYPES,
    RecordIndex,
    RecordRow,
    project_entry,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["EffectiveRecords", "effective_records", "filed_records"]

_FILED_SUFFIX = ',"type":"RecordFiled","v":1}'
_STRING_FIELDS = ("at", "kind", "occurred_at", "subject_kind", "subject_id")
_PATHS = "['$.at', '$.data.kind', '$.data.occurred_at', '$.data.subject.kind', '$.data.subject.id', '$.data.amount']"  # noqa: E501
_READ_TYPES = frozenset(LIFECYCLE_ENTRY_TYPES | {POLICY_PUBLISHED})
# RecordFiled of another version is decoded too: decoding refuses it, as the replay does.
_TAIL_TYPES = sorted(_READ_TYPES | {"RecordFiled"})
_TYPE_TAIL = ',"type":"(' + "|".join(_TAIL_TYPES) + r')","v":[0-9]+\}$'


def _plain(index: int) -> str:
    """SQL: the JSON value ``j[index]`` as text if it is a string without escapes, else NULL."""
    value = f"j[{index}]"
    return f"CASE WHEN starts_with({value}, '\"') AND NOT contains({value}, '\\') THEN {value}[2:-2] END"  # noqa: E501


_FILED_SQL = f"""
SELECT position, {", ".join(f"{_plain(i + 1)} AS {n}" for i, n in enumerate(_STRING_FIELDS))},
       CASE WHEN j[6] IS NULL OR j[6] = 'null' THEN TRUE
            ELSE regexp_full_match(j[6], '-?[0-9]{{1,18}}') END AS amount_ok,
       CASE WHEN j[6] IS NOT NULL AND j[6] <> 'null' THEN try_cast(j[6] AS BIGINT) END AS amount
FROM (SELECT position, raw, CAST(json_extract(raw, {_PATHS}) AS VARCHAR[]) AS j FROM entries
      WHERE suffix(raw, '{_FILED_SUFFIX}'))
"""
_DECODED_SQL = f"""
SELECT position, raw FROM entries
WHERE NOT suffix(raw, '{_FILED_SUFFIX}') AND regexp_matches(right(raw, 64), '{_TYPE_TAIL}')
"""


@dataclass(frozen=True, slots=True)
class EffectiveRecords:
    """The records of a ledger as the system held them at ``known_at_us``.

    Attributes:
        known_at_us: the ledger time of the cut.
        size: the number of ledger entries read.
        table: the effective rows (:data:`~.batch.RECORDS_SCHEMA`), as record batches: the
            records untouched by any lifecycle entry, then the rows the lifecycle left
            (corrected versions; withdrawn and suspended records left out). Row order is not
            position order.
        policies: the ``PolicyPublished`` entries read on the way, decoded, in ledger order
            (so that the policy in force needs no second pass over the ledger).
    """

    known_at_us: int
    size: int
    table: pa.Table
    policies: tuple[Entry, ...]


def effective_records(
    ledger: Ledger, known_at_us: int, *, bundles_per_batch: int = 2048
) -> EffectiveRecords:
    """The effective records of ``ledger`` at ledger time ``known_at_us``: the same rows
    (as a multiset) as ``RecordIndex.build(ledger).effective_rows(known_at_us)``.

    Args:
        ledger: the ledger to read (its entries up to its size now).
        known_at_us: only entries recorded at or before it count.
        bundles_per_batch: stored bundles (256 entries each) read per batch.

    Raises:
        LedgerError: if a stored bundle is missing.
        StorageError: if an entry that is read is not a valid EntryV1.
        KeyError, ValueError: if a record or lifecycle entry lacks a field the replay needs
            (as the replay raises).
    """
    size = ledger.size()
    filed, decoded = filed_records(ledger, size, bundles_per_batch)
    lifecycle = [e for e in decoded if e.type in LIFECYCLE_ENTRY_TYPES]
    policies = tuple(e for e in decoded if e.type == POLICY_PUBLISHED)
    changed, affected = _lifecycle_rows(filed, lifecycle, known_at_us)
    known = pc.less_equal(filed.column("recorded_at_us"), known_at_us)
    if affected:
        untouched = pc.invert(pc.is_in(filed.column("position"), pa.array(affected, pa.int64())))
        known = pc.and_(known, untouched)
    batches = [*filed.filter(known).to_batches(), *changed.to_batches()]
    table = pa.Table.from_batches(batches, RECORDS_SCHEMA)
    return EffectiveRecords(known_at_us, size, table, policies)


def filed_records(
    ledger: Ledger, size: int, bundles_per_batch: int = 2048
) -> tuple[pa.Table, list[Entry]]:
    """Every ``RecordFiled`` row as filed at positions below ``size`` (a table with
    :data:`~.batch.RECORDS_SCHEMA`, in position order), and the lifecycle and
    ``PolicyPublished`` entries, decoded, in position order.

    Raises:
        As :func:`effective_records`.
    """
    import duckdb  # imported on use: it is slow to import (CLI start-up)

    con = duckdb.connect()
    batches: list[pa.RecordBatch] = []
    decoded: list[Entry] = []
    try:
        for chunk in entry_chunks(ledger, size, bundles_per_batch):
            con.register("entries", chunk)
            try:
                found = list(_filed_batches(con, chunk))
                found_decoded = list(_decoded(con.sql(_DECODED_SQL).to_arrow_table()))
            except duckdb.Error:  # an entry is not JSON: read each as the replay does
                found, found_decoded = _exact_chunk(chunk)
            batches.extend(found)
            decoded.extend(found_decoded)
            con.unregister("entries")
    finally:
        con.close()
    return pa.Table.from_batches(batches, RECORDS_SCHEMA), decoded


def _filed_batches(con: duckdb.DuckDBPyConnection, chunk: pa.Table) -> Iterator[pa.RecordBatch]:
    """The record rows of ``chunk`` (registered as ``entries``): read column-wise where
    every field is plain, by :func:`project_entry` where not."""
    found = con.sql(_FILED_SQL).to_arrow_table()
    plain = _plain_mask(found)
    if plain.all():
        yield from _rows_table(found).to_batches()
        return
    yield from _rows_table(found.filter(pa.array(plain))).to_batches()
    odd = found.column("position").filter(pa.array(~plain))
    entries = _decoded(chunk.filter(pc.is_in(chunk.column("position"), odd)))
    rows = (project_entry(e) for e in entries)
    yield from records_table(r for r in rows if r is not None).to_batches()


def _plain_mask(found: pa.Table) -> np.ndarray:
    """Which extracted rows the column-wise path reads (every string field plain, the amount
    an integer or null)."""
    plain = pc.fill_null(found.column("amount_ok"), False)
    for name in _STRING_FIELDS:
        plain = pc.and_(plain, pc.is_valid(found.column(name)))
    return np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)


def _rows_table(found: pa.Table) -> pa.Table:
    """Extracted plain rows as record rows (times read as :func:`parse_time` reads them)."""
    try:
        recorded = _times(found.column("at"))
    except ValueError as exc:
        raise StorageError(f"an entry's ledger time is not valid: {exc}") from exc
    occurred = _times(found.column("occurred_at"))
    return pa.Table.from_arrays(
        [
            found.column("position"),
            found.column("subject_kind"),
            found.column("subject_id"),
            found.column("kind"),
            pa.array(occurred, pa.int64()),
            pa.array(recorded, pa.int64()),
            found.column("amount"),
        ],
        schema=RECORDS_SCHEMA,
    )


def _times(column: pa.ChunkedArray) -> np.ndarray:
    """Microseconds of time texts, as :func:`parse_time` reads them."""
    return canonical_times_us(column.combine_chunks())


def _decoded(found: pa.Table) -> Iterator[Entry]:
    """The entries of a ``(position, raw)`` table, decoded one by one.

    Raises:
        StorageError: if one is not a valid EntryV1.
    """
    positions = found.column("position").to_pylist()
    raws = found.column("raw").to_pylist()
    for position, raw in zip(positions, raws, strict=True):
        yield decode_entry(position, raw.lstrip(" ").encode())


def _exact_chunk(chunk: pa.Table) -> tuple[list[pa.RecordBatch], list[Entry]]:
    """A chunk read entry by entry: its record rows, and its entries of the types read.

    Raises:
        StorageError: for the first entry that is not a valid EntryV1 (as the replay).
    """
    entries = list(_decoded(chunk))
    rows = (project_entry(e) for e in entries)
    table = records_table(r for r in rows if r is not None)
    return table.to_batches(), [e for e in entries if e.type in _READ_TYPES]


def _lifecycle_rows(
    filed: pa.Table, lifecycle: list[Entry], known_at_us: int
) -> tuple[pa.Table, list[int]]:
    """The effective rows of the records that lifecycle entries name, and those records'
    positions (whose filed rows they replace).

    The entries and the rows they name are applied to a :class:`RecordIndex` in ledger
    order, so the lifecycle rules are the index's own.
    """
    named = sorted(_named_positions(lifecycle))
    if not named:
        return records_table([]), []
    pick = pc.is_in(filed.column("position"), pa.array(named, pa.int64()))
    rows = [RecordRow(**r) for r in filed.filter(pick).to_pylist()]
    index = RecordIndex()
    for item in _merged(rows, lifecycle):
        if isinstance(item, RecordRow):
            index.add([item])
        else:
            index.apply([item])
    return records_table(index.effective_rows(known_at_us)), [r.position for r in rows]


def _named_positions(lifecycle: Iterable[Entry]) -> set[int]:
    """The record positions lifecycle entries name (``record``, or a dispute's ``target``)."""
    out: set[int] = set()
    for entry in lifecycle:
        named: Any = entry.data.get("target" if entry.type == "DisputeOpened" else "record")
        try:
            out.add(int(named))
        except (TypeError, ValueError):
            continue  # the index raises on it, as the replay does
    return out


def _merged(rows: list[RecordRow], entries: list[Entry]) -> Iterator[RecordRow | Entry]:
    """Rows and entries in position order (both lists already are)."""
    i = 0
    for entry in entries:
        while i < len(rows) and rows[i].position < entry.position:
            yield rows[i]
            i += 1
        yield entry
    yield from rows[i:]
