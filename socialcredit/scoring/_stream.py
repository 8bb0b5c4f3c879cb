"""The effective records of a whole ledger as Arrow record batches, read in bulk.

This is what :func:`~socialcredit.scoring._reports.rescore` scores. It gives exactly the rows
of :meth:`RecordIndex.effective_rows <socialcredit.records.RecordIndex.effective_rows>`
(the replay of every entry into Python objects), without the replay:

1. **Records, column-wise.** The stored bundles are read a few thousand at a time and split
   into entries as one Arrow column (:mod:`._entry_columns`); DuckDB's JSON reader extracts
   the fields of every ``RecordFiled`` entry in parallel, and its times are parsed with NumPy.
   A record whose fields are not plain JSON strings (or an integer or null amount) is read by
   :func:`~socialcredit.records.project_entry` instead, as the replay reads it.
2. **Lifecycle, per affected record.** The lifecycle entries (corrections, withdrawals,
   recertifications, disputes, appeals: few) are decoded one by one and applied, together with
   the rows of the records they name, to a :class:`RecordIndex` — the lifecycle rules live
   there and nowhere else. Its effective rows replace those records.
3. Every other record is effective as filed, once it is known (``recorded_at <= known_at``).

Step 1 gives :class:`FiledColumns`, a function of the ledger's first ``size`` entries alone
(whatever the cut): :mod:`.record_columns` keeps it as a snapshot, so that a later read scans
only the entries after it. Steps 2 and 3 depend on the cut and run on every read.

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
from socialcredit.ledger import Entry, Ledger, decode_entry
from socialcredit.policy import POLICY_PUBLISHED
from socialcredit.records import (
    LIFECYCLE_ENTRY_TYPES,
    RecordIndex,
    RecordRow,
    project_entry,
)
from socialcredit.scoring._batch import RECORDS_SCHEMA, records_table
from socialcredit.scoring._entry_columns import canonical_times_us, entry_chunks

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "READ_SCHEMA",
    "EffectiveRecords",
    "FiledColumns",
    "Lifecycle",
    "decode_read",
    "effective_of",
    "effective_records",
    "lifecycle_of",
    "scan_columns",
    "untouched_first",
]

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


READ_SCHEMA = pa.schema([("position", pa.int64()), ("raw", pa.large_string())])
"""The entries step 2 decodes: their position and canonical text (maybe after spaces)."""


@dataclass(frozen=True, slots=True)
class FiledColumns:
    """Step 1 over the ledger's first ``size`` entries: what the effective records are made of.

    Attributes:
        size: the entries read (positions below it).
        filed: every ``RecordFiled`` row as filed (:data:`~.batch.RECORDS_SCHEMA`): in
            position order as scanned; :func:`untouched_first` reorders them.
        read: the lifecycle and ``PolicyPublished`` entries (:data:`READ_SCHEMA`, not yet
            decoded), in position order.
    """

    size: int
    filed: pa.Table
    read: pa.Table

    def extended(self, tail: FiledColumns) -> FiledColumns:
        """These columns followed by ``tail``, the columns of the entries after them (from
        this ``size`` on: :func:`scan_columns` of ``size`` to the end).

        Raises:
            ValueError: if ``tail`` ends before these columns do.
        """
        if tail.size < self.size:
            raise ValueError(f"columns of {tail.size} entries cannot follow {self.size}")
        return FiledColumns(
            tail.size,
            pa.concat_tables([self.filed, tail.filed]),
            pa.concat_tables([self.read, tail.read]),
        )


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
    (as a multiset) as ``RecordIndex.build(ledger).effective_rows(known_at_us)``, read from
    the whole ledger (:func:`~.record_columns.current_columns` starts from a snapshot).

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
    return effective_of(scan_columns(ledger, 0, ledger.size(), bundles_per_batch), known_at_us)


def effective_of(
    columns: FiledColumns, known_at_us: int, lifecycle: Lifecycle | None = None
) -> EffectiveRecords:
    """The effective records at ledger time ``known_at_us`` of the entries ``columns`` hold
    (steps 2 and 3), with their ``lifecycle`` (:func:`lifecycle_of` them when not given).

    Raises:
        As :func:`effective_records`; ValueError if ``lifecycle`` is of another size.
    """
    state = lifecycle_of(columns) if lifecycle is None else lifecycle
    if state.size != columns.size:
        raise ValueError(f"a lifecycle of {state.size} entries for {columns.size}")
    changed = _rows_of(list(state.index.effective_rows(known_at_us)))
    affected = _row_numbers(columns.filed, [r.position for r in state.index.rows()])
    filed = _kept(columns.filed, known_at_us, affected)
    table = pa.Table.from_batches([*filed.to_batches(), *changed.to_batches()], RECORDS_SCHEMA)
    return EffectiveRecords(known_at_us, columns.size, table, state.policies)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Step 2 after the ledger's first ``size`` entries, whatever the cut.

    Attributes:
        size: the entries read.
        index: the records that lifecycle entries name, with every lifecycle entry applied
            (its :meth:`~RecordIndex.effective_rows` at a time are those records' rows then).
        policies: the ``PolicyPublished`` entries, decoded, in ledger order.
    """

    size: int
    index: RecordIndex
    policies: tuple[Entry, ...]


def lifecycle_of(columns: FiledColumns, since: Lifecycle | None = None) -> Lifecycle:
    """The lifecycle of the entries ``columns`` hold: the entries after ``since`` applied to
    it (which is consumed), or, without it or when those entries name a record below its size
    that it does not hold, every entry applied to a fresh index. Either way the entries and
    the rows they name reach a :class:`RecordIndex` in ledger order, so the lifecycle rules
    are the index's own.

    Raises:
        As :func:`effective_records`.
    """
    start = 0 if since is None else since.size
    read = columns.read
    if start:
        read = read.filter(pc.greater_equal(read.column("position"), start))
    decoded = list(decode_read(read))
    lifecycle = [e for e in decoded if e.type in LIFECYCLE_ENTRY_TYPES]
    policies = tuple(e for e in decoded if e.type == POLICY_PUBLISHED)
    named = _named_positions(lifecycle)
    index = RecordIndex()
    if since is not None:
        held = {r.position for r in since.index.rows()}
        if any(p < since.size and p not in held for p in named):
            return lifecycle_of(columns)  # a record the index lacks: start over
        index, policies = since.index, since.policies + policies
        named = {p for p in named if p >= since.size}
    picked = columns.filed.take(pa.array(_row_numbers(columns.filed, named)))
    picked = picked.sort_by("position")
    values = (picked.column(name).to_pylist() for name in RECORDS_SCHEMA.names)
    rows = [RecordRow(*row) for row in zip(*values, strict=True)]
    for item in _merged(rows, lifecycle):
        if isinstance(item, RecordRow):
            index.add([item])
        else:
            index.apply([item])
    return Lifecycle(columns.size, index, policies)


def _row_numbers(filed: pa.Table, positions: Iterable[int]) -> np.ndarray:
    """The row numbers in ``filed`` of the rows at ``positions`` (those it holds)."""
    named = pa.array(sorted(positions), pa.int64())
    if not len(named):
        return np.zeros(0, dtype=np.int64)
    mask = pc.is_in(filed.column("position"), value_set=named)
    return np.flatnonzero(mask.to_numpy(zero_copy_only=False))


def untouched_first(columns: FiledColumns, lifecycle: Lifecycle) -> FiledColumns:
    """The same columns, their filed rows reordered: first the records that ``lifecycle``
    (theirs) does not hold, then the ones it holds (each part in position order). A read
    whose lifecycle holds no other record then keeps the first part without a copy.
    """
    named = pa.array(sorted(r.position for r in lifecycle.index.rows()), pa.int64())
    mask = pc.is_in(columns.filed.column("position"), value_set=named)
    parts = [columns.filed.filter(pc.invert(mask)), columns.filed.filter(mask)]
    return FiledColumns(columns.size, pa.concat_tables(parts), columns.read)


_RUN = 8192  # kept rows in a run at least this long are sliced, not copied


def _kept(filed: pa.Table, known_at_us: int, affected: np.ndarray) -> pa.Table:
    """The rows of ``filed`` known at ``known_at_us``, but for the rows numbered ``affected``.

    Long runs of kept rows are zero-copy slices of ``filed``; the rows of short runs are
    copied into one more table (row order is not kept).
    """
    recorded = filed.column("recorded_at_us")
    latest = pc.max(recorded).as_py() if filed.num_rows else None
    if (latest is None or latest <= known_at_us) and not len(affected):
        return filed
    keep = np.ones(filed.num_rows, dtype=bool)
    if latest is not None and latest > known_at_us:
        keep = recorded.to_numpy() <= known_at_us
    keep[affected] = False
    edges = np.flatnonzero(np.diff(keep, prepend=False, append=False))
    starts, ends = edges[0::2], edges[1::2]
    long = ends - starts >= _RUN
    starts, ends = starts[long], ends[long]
    pieces = [filed.slice(int(a), int(b - a)) for a, b in zip(starts, ends, strict=True)]
    marks = np.zeros(filed.num_rows + 1, dtype=np.int64)
    marks[starts], marks[ends] = 1, -1  # runs do not touch: no index is both
    rest = keep & (np.cumsum(marks[:-1]) == 0)
    if rest.any():
        pieces.append(filed.filter(pa.array(rest)))
    return pa.concat_tables(pieces) if pieces else filed.slice(0, 0)


def scan_columns(
    ledger: Ledger, start: int, stop: int, bundles_per_batch: int = 2048
) -> FiledColumns:
    """Step 1 over the entries ``start <= position < stop``: their ``RecordFiled`` rows as
    filed, and their lifecycle and ``PolicyPublished`` entries, undecoded (a
    :class:`FiledColumns` of size ``stop``; the caller joins the columns below ``start``).

    Raises:
        As :func:`effective_records` (an entry that is not JSON, or a record off the plain
        path, is decoded here).
    """
    import duckdb  # imported on use: it is slow to import (CLI start-up)

    con = duckdb.connect()
    batches: list[pa.RecordBatch] = []
    read: list[pa.Table] = [READ_SCHEMA.empty_table()]
    try:
        for chunk in entry_chunks(ledger, stop, bundles_per_batch, start=start):
            con.register("entries", chunk)
            try:
                found = list(_filed_batches(con, chunk))
                found_read = con.sql(_DECODED_SQL).to_arrow_table()
            except duckdb.Error:  # an entry is not JSON: read each as the replay does
                found, found_read = _exact_chunk(chunk)
            batches.extend(found)
            read.append(found_read.cast(READ_SCHEMA))
            con.unregister("entries")
    finally:
        con.close()
    filed = pa.Table.from_batches(batches, RECORDS_SCHEMA)
    return FiledColumns(max(start, stop), filed, pa.concat_tables(read))


def _filed_batches(con: duckdb.DuckDBPyConnection, chunk: pa.Table) -> Iterator[pa.RecordBatch]:
    """The record rows of ``chunk`` (registered as ``entries``): read column-wise where
    every field is plain, by :func:`project_entry` where not."""
    found = con.sql(_FILED_SQL).to_arrow_table()
    plain = _plain_mask(found)
    if plain.all():
        yield from _rows_table(found).to_batches()
        return
    odd = found.column("position").filter(pa.array(~plain))
    entries = decode_read(chunk.filter(pc.is_in(chunk.column("position"), odd)))
    rows = (project_entry(e) for e in entries)
    both = [
        _rows_table(found.filter(pa.array(plain))),
        records_table(r for r in rows if r is not None),
    ]
    yield from pa.concat_tables(both).sort_by("position").to_batches()  # in position order


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


def decode_read(found: pa.Table) -> Iterator[Entry]:
    """The entries of a ``(position, raw)`` table (:data:`READ_SCHEMA`), decoded one by one.

    Raises:
        StorageError: if one is not a valid EntryV1.
    """
    positions = found.column("position").to_pylist()
    raws = found.column("raw").to_pylist()
    for position, raw in zip(positions, raws, strict=True):
        yield decode_entry(position, raw.lstrip(" ").encode())


def _exact_chunk(chunk: pa.Table) -> tuple[list[pa.RecordBatch], pa.Table]:
    """A chunk read entry by entry: its record rows, and its entries of the types read.

    Raises:
        StorageError: for the first entry that is not a valid EntryV1 (as the replay).
    """
    entries = list(decode_read(chunk))
    rows = (project_entry(e) for e in entries)
    table = records_table(r for r in rows if r is not None)
    kept = pa.array([e.position for e in entries if e.type in _READ_TYPES], pa.int64())
    return table.to_batches(), chunk.filter(pc.is_in(chunk.column("position"), kept))


def _rows_of(rows: list[RecordRow]) -> pa.Table:
    """Record rows as a table (:data:`~.batch.RECORDS_SCHEMA`), column by column."""
    values = list(zip(*rows, strict=True)) if rows else [()] * len(RECORDS_SCHEMA)
    arrays = [pa.array(v, f.type) for v, f in zip(values, RECORDS_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=RECORDS_SCHEMA)


def _named_positions(lifecycle: Iterable[Entry]) -> set[int]:
    """The record positions lifecycle entries name (``record``, or a dispute's ``target``)."""
    out: set[int] = set()
    for entry in lifecycle:
        named: Any = entry.data.get("target" if entry.type == "DisputeOpened" else "record")
        try:
            position = int(named)
        except (TypeError, ValueError):
            continue  # the index raises on it, as the replay does
        if 0 <= position < 2**63:  # else it names no record
            out.add(position)
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
