"""The filed records as a persisted columnar projection, stored with the ledger.

``rescore`` reads every ``RecordFiled`` row of the ledger column-wise
(:func:`~.stream.scan_columns`). Those rows, and the positions and texts of the few lifecycle
and ``PolicyPublished`` entries, depend only on the ledger's first ``size`` entries, so they
are saved as a snapshot (:mod:`socialcredit.ledger._snapshots`: signed with the ledger's key,
checked against its signed checkpoint of that size before use). A later read loads the
newest trusted snapshot and scans only the entries after it; the lifecycle, which depends on
the cut, is applied on every read (:func:`~.stream.effective_of`).

The snapshot also keeps the lifecycle state after its entries (:class:`~.stream.Lifecycle`:
the few records that lifecycle entries name, in a :class:`RecordIndex` with every such entry
applied, and the published policies), which no cut changes; a read applies only the lifecycle
entries after it, unless they name an older record the state lacks (then it starts over).

The bytes are two Arrow IPC streams (LZ4-compressed) and a pickle of that state, after a
marker and the sizes. The pickle is loaded only after the snapshot's Ed25519 signature by the
ledger's own key and its digest are checked (:mod:`socialcredit.ledger._snapshots`), as the
consequence view's is. The format names a digest of the code that decides the content, so a
snapshot written by other code is refused, never misread; so is one whose bytes do not parse
as this format says. A refused snapshot changes no answer: the columns are rebuilt from the
ledger.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from socialcredit._collector import collector_paused
from socialcredit.ledger import PART_BYTES, Ledger, load_snapshot, save_snapshot
from socialcredit.scoring._batch import RECORDS_SCHEMA
from socialcredit.scoring._stream import (
    READ_SCHEMA,
    FiledColumns,
    Lifecycle,
    lifecycle_of,
    scan_columns,
    untouched_first,
)
from socialcredit.storage import StoredSnapshot

__all__ = [
    "NAME",
    "CurrentColumns",
    "columns_bytes",
    "columns_format",
    "columns_from_bytes",
    "current_columns",
    "refresh_columns_snapshot",
    "write_columns_snapshot",
]

NAME = "record-columns"
_MAGIC = b"socialcredit-record-columns/v1\n"
_SIZES = struct.Struct(">QQQ")
# The modules that decide which rows and entries the columns hold.
_CODE = (
    "_stream.py",
    "_entry_columns.py",
    "_record_columns.py",
    "../records/_rows.py",
    "../records/_index.py",
)
_log = logging.getLogger("socialcredit.snapshots")


@dataclass(frozen=True, slots=True)
class CurrentColumns:
    """The columns of the whole ledger, and how they were obtained.

    Attributes:
        columns: the columns of the ledger's entries as of the read.
        lifecycle: their lifecycle state.
        restored_from: the size of the snapshot they started from (0: scanned from the start).
        refused: why each newer snapshot was refused (each was also logged as a warning).
    """

    columns: FiledColumns
    lifecycle: Lifecycle
    restored_from: int
    refused: tuple[str, ...]


def columns_format() -> str:
    """The format of this code's snapshots: LZ4 Arrow IPC, and a digest of the code that
    decides their content."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return f"arrow-ipc-lz4/v1/{digest.hexdigest()[:16]}"


def columns_bytes(columns: FiledColumns, lifecycle: Lifecycle) -> bytes:
    """``columns`` and their ``lifecycle`` as snapshot bytes (the inverse of
    :func:`columns_from_bytes`)."""
    if lifecycle.size != columns.size:
        raise ValueError(f"a lifecycle of {lifecycle.size} entries for {columns.size}")
    filed, read = _ipc(columns.filed), _ipc(columns.read)
    index_ledger, lifecycle.index.ledger = lifecycle.index.ledger, None
    try:
        state = pickle.dumps(lifecycle, protocol=5)
    finally:
        lifecycle.index.ledger = index_ledger
    head = _SIZES.pack(columns.size, len(filed), len(read))
    return b"".join((_MAGIC, head, filed, read, state))


def columns_from_bytes(data: bytes, size: int) -> tuple[FiledColumns, Lifecycle]:
    """The columns and lifecycle that :func:`columns_bytes` wrote for ``size`` entries. Call
    it only on bytes whose signature and digest were checked (the state is a pickle).

    Raises:
        ValueError: naming what is wrong, if ``data`` is not such bytes (another format, a
            truncated stream, another size, rows at or past ``size``).
    """
    if not data.startswith(_MAGIC):
        raise ValueError("its bytes do not start with the record-columns marker")
    head = len(_MAGIC) + _SIZES.size
    if len(data) < head:
        raise ValueError("its bytes end inside the header (truncated)")
    held, first, second = _SIZES.unpack_from(data, len(_MAGIC))
    if held != size:
        raise ValueError(f"its bytes hold {held} entries, its header says {size}")
    buffer = pa.py_buffer(data)
    filed = _table(buffer.slice(head, first), RECORDS_SCHEMA, "filed records")
    read = _table(buffer.slice(head + first, second), READ_SCHEMA, "entries read")
    for name, table in (("filed records", filed), ("entries read", read)):
        if table.num_rows and pc.max(table.column("position")).as_py() >= size:
            raise ValueError(f"its {name} hold a position at or past {size}")
    return FiledColumns(size, filed, read), _lifecycle(data[head + first + second :], size)


def _lifecycle(data: bytes, size: int) -> Lifecycle:
    """The pickled lifecycle state (of ``size`` entries).

    Raises:
        ValueError: if it does not unpickle to one.
    """
    try:
        with collector_paused():
            state = pickle.loads(data)  # trusted: signed by the ledger's key, digest checked
    except Exception as exc:  # any unpickling failure means the same: not this format
        raise ValueError(f"its lifecycle state does not load ({exc!r})") from None
    if not isinstance(state, Lifecycle) or state.size != size:
        raise ValueError("its lifecycle state is not one of its entries")
    return state


def current_columns(
    ledger: Ledger, *, snapshot: bool = True, bundles_per_batch: int = 2048
) -> CurrentColumns:
    """The columns of every entry of ``ledger`` (its size after the snapshot is loaded): the
    newest trusted snapshot (when ``snapshot``) followed by a scan of the entries after it,
    else a scan of the whole ledger. Equal either way.

    Raises:
        As :func:`~.stream.scan_columns`; a snapshot that fails a check is refused, not raised.
    """
    start, refused = _restored(ledger) if snapshot else (None, ())
    size = ledger.size()  # read after the snapshot: never below its size
    if start is None:
        columns = scan_columns(ledger, 0, size, bundles_per_batch)
        return CurrentColumns(columns, lifecycle_of(columns), 0, refused)
    restored, since = start
    columns = restored.extended(scan_columns(ledger, restored.size, size, bundles_per_batch))
    return CurrentColumns(columns, lifecycle_of(columns, since), restored.size, refused)


def write_columns_snapshot(
    ledger: Ledger, current: CurrentColumns, *, part_bytes: int = PART_BYTES
) -> StoredSnapshot:
    """Store ``current`` (of ``ledger``, a writable one) as its record-columns snapshot, its
    rows reordered by :func:`~.stream.untouched_first`.

    Raises:
        As :func:`~socialcredit.ledger._snapshots.save_snapshot`.
    """
    columns = untouched_first(current.columns, current.lifecycle)
    data = columns_bytes(columns, current.lifecycle)
    return save_snapshot(ledger, NAME, columns_format(), columns.size, data, part_bytes=part_bytes)


def refresh_columns_snapshot(ledger: Ledger) -> dict[str, Any]:
    """Write a fresh record-columns snapshot of ``ledger`` (a writable one): start from the
    latest trusted snapshot, scan the entries after it, save. Returns what was done, as
    :func:`~socialcredit.consequences.refresh_snapshot` does.

    Raises:
        As :func:`current_columns` and :func:`write_columns_snapshot`.
    """
    started = time.perf_counter()
    current = current_columns(ledger)
    header = None
    if current.restored_from < current.columns.size:  # else the trusted one is current
        header = write_columns_snapshot(ledger, current)
    return {
        "projection": NAME,
        "written": header is not None,
        "size": current.columns.size,
        "parts": None if header is None else header.parts,
        "started_from": current.restored_from,
        "refused": list(current.refused),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _restored(
    ledger: Ledger,
) -> tuple[tuple[FiledColumns, Lifecycle] | None, tuple[str, ...]]:
    """The newest trusted snapshot's columns and lifecycle (None if none), and why newer ones
    were refused."""
    found = load_snapshot(ledger, NAME, columns_format())
    if found.data is None:
        return None, found.refused
    try:
        return columns_from_bytes(found.data, found.size), found.refused
    except ValueError as exc:
        reason = f"snapshot {NAME!r} of {found.size} entries refused: {exc}"
        _log.warning("%s; rebuilding from the ledger", reason)
        return None, (*found.refused, reason)


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    options = ipc.IpcWriteOptions(compression="lz4")
    with ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _table(buffer: pa.Buffer, schema: pa.Schema, what: str) -> pa.Table:
    """The table in an IPC stream, with ``schema``.

    Raises:
        ValueError: if the stream does not parse or has another schema.
    """
    try:
        # One thread: with LZ4 on two cores, the threaded read is 3x slower (measured).
        options = ipc.IpcReadOptions(use_threads=False)
        table = ipc.open_stream(buffer, options=options).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"its {what} are not a readable Arrow stream ({exc})") from None
    if not table.schema.equals(schema):
        raise ValueError(f"its {what} have the columns {table.schema.names}, not {schema.names}")
    return table
