"""Move a whole ledger between stores (SQLite ⇄ PostgreSQL) and to or from Parquet.

A transfer streams the source in batches (bounded memory whatever the ledger's size): its
metadata (origin, public key), every entry's canonical bytes in order, the subjects with
their dense ids, the idempotency keys, and every signed checkpoint as it was signed. Nothing is
re-signed — no key is needed — and nothing is trusted: the target's bundles and Merkle tiles
are rebuilt from the entry bytes, the root is recomputed while streaming and must equal the
source's latest signed checkpoint, and a store target is then checked end to end with
:func:`~socialcredit.ledger._verify.verify_ledger` (every leaf, tile and checkpoint signature).
The target must be empty. An import into SQLite is built beside the target and moved into
place only when it checks out; a failed import into PostgreSQL leaves a partial target to be
discarded.

Parquet layout (a directory, ``DIR.parquet`` by convention), one file per table:

* ``ledger.json`` — ``{"format": "socialcredit-ledger", "version": 1, "meta": {...},
  "size": n, "last_recorded_at_us": t, "root": hex}``;
* ``entries.parquet`` — ``position`` int64, ``type`` string, ``raw`` binary (the canonical
  entry bytes the Merkle tree commits to; the only column an import reads);
* ``records.parquet`` — the ``RecordFiled`` entries decoded into the scoring columns
  (``position, subject_kind, subject_id, kind, occurred_at_us, recorded_at_us, amount``),
  as filed;
* ``effective.parquet`` — the same columns, but the records as the system held them at the
  export's last entry (``last_recorded_at_us``): corrections applied, withdrawn and suspended
  records left out, grouped by subject — what a rescore reads, so DuckDB or Spark over it
  give the scores ``socialcredit rescore`` gives from the ledger
  (:mod:`socialcredit.scoring._spark`);
* ``subjects.parquet`` — ``id`` int64, ``kind``, ``external_id``;
* ``idempotency.parquet`` — ``key``, ``position`` int64;
* ``checkpoints.parquet`` — ``size`` int64, ``root`` binary, ``time_us`` int64,
  ``signature`` binary.

This module sits above the storage and ledger packages (it opens stores, rebuilds tiles and
verifies) and is imported only by the adapters; storage and ledger never import it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from socialcredit.ledger import (
    CompactRange,
    Ledger,
    append_entries,
    build_subject_index,
    leaf_hashes,
    public_key_from_text,
    unpack_bundle,
    verify_ledger,
)
from socialcredit.storage import BUNDLE_SIZE, LedgerStore, LogState, StoredCheckpoint

from .errors import ConfigurationError, StorageError
from .storage import open_store, sqlite_path

if TYPE_CHECKING:
    from .records import RecordIndex

__all__ = ["FORMAT", "TransferReport", "transfer"]

FORMAT = {"format": "socialcredit-ledger", "version": 1}
ENTRY_BATCH = 64 * BUNDLE_SIZE  # entries per write transaction / Parquet row group
ROW_BATCH = 50_000  # index rows per write transaction / row group

_SCHEMAS = {
    "entries": pa.schema([("position", pa.int64()), ("type", pa.string()), ("raw", pa.binary())]),
    "subjects": pa.schema(
        [("id", pa.int64()), ("kind", pa.string()), ("external_id", pa.string())]
    ),
    "idempotency": pa.schema([("key", pa.string()), ("position", pa.int64())]),
    "checkpoints": pa.schema(
        [
            ("size", pa.int64()),
            ("root", pa.binary()),
            ("time_us", pa.int64()),
            ("signature", pa.binary()),
        ]
    ),
}


@dataclass(slots=True)
class TransferReport:
    """What a transfer moved and what the checks found; ``ok`` only without problems."""

    source: str
    target: str
    entries: int = 0
    records: int = 0
    subjects: int = 0
    idempotency_keys: int = 0
    checkpoints: int = 0
    root: str = ""
    verified: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the root matched and (for a store target) verify found nothing."""
        return not self.problems


class _Source(Protocol):
    def meta(self) -> dict[str, str]: ...
    def state(self) -> LogState: ...
    def entries(self) -> Iterator[list[bytes]]: ...
    def subjects(self) -> Iterator[tuple[int, str, str]]: ...
    def idempotency_keys(self) -> Iterator[tuple[str, int]]: ...
    def checkpoints(self) -> Iterator[StoredCheckpoint]: ...
    def close(self) -> None: ...


class _StoreSource:
    """A ledger store read as a source; entries come out of the stored bundles."""

    def __init__(self, store: LedgerStore) -> None:
        self.store = store
        self.meta, self.state = store.meta, store.state
        self.subjects, self.idempotency_keys = store.subjects, store.idempotency_keys
        self.checkpoints, self.close = store.checkpoints, store.close

    def entries(self) -> Iterator[list[bytes]]:
        size = self.store.state().size
        batch: list[bytes] = []
        bundles = self.store.read_bundles(0, -(-size // BUNDLE_SIZE))
        for expected, (index, data) in enumerate(bundles):
            if index != expected:
                raise StorageError(f"bundle {expected} is missing; run `socialcredit verify`")
            batch.extend(unpack_bundle(data)[: size - index * BUNDLE_SIZE])
            if len(batch) >= ENTRY_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


class _ParquetSource:
    """A Parquet export (see the module docstring) read as a source."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            header = json.loads((directory / "ledger.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{directory} is not a ledger export: {exc}") from exc
        if {k: header.get(k) for k in FORMAT} != FORMAT:
            raise ConfigurationError(
                f"{directory}/ledger.json: format {header.get('format')!r} version "
                f"{header.get('version')!r} is not {FORMAT}"
            )
        self.header = header

    def meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.header["meta"].items()}

    def state(self) -> LogState:
        return LogState(int(self.header["size"]), int(self.header["last_recorded_at_us"]))

    def _rows(self, name: str, columns: list[str], batch: int) -> Iterator[dict[str, list[Any]]]:
        path = self.directory / f"{name}.parquet"
        try:
            for chunk in pq.ParquetFile(path).iter_batches(batch_size=batch, columns=columns):
                yield {c: chunk.column(c).to_pylist() for c in columns}
        except (OSError, pa.ArrowException) as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc

    def entries(self) -> Iterator[list[bytes]]:
        expected = 0
        for rows in self._rows("entries", ["position", "raw"], ENTRY_BATCH):
            if rows["position"] != list(range(expected, expected + len(rows["raw"]))):
                raise StorageError(f"{self.directory}/entries.parquet: positions not in order")
            expected += len(rows["raw"])
            yield rows["raw"]

    def subjects(self) -> Iterator[tuple[int, str, str]]:
        for rows in self._rows("subjects", ["id", "kind", "external_id"], ROW_BATCH):
            yield from zip(rows["id"], rows["kind"], rows["external_id"], strict=True)

    def idempotency_keys(self) -> Iterator[tuple[str, int]]:
        for rows in self._rows("idempotency", ["key", "position"], ROW_BATCH):
            yield from zip(rows["key"], rows["position"], strict=True)

    def checkpoints(self) -> Iterator[StoredCheckpoint]:
        for rows in self._rows("checkpoints", ["size", "root", "time_us", "signature"], ROW_BATCH):
            for values in zip(*rows.values(), strict=True):
                yield StoredCheckpoint(*values)

    def close(self) -> None:
        pass


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _is_parquet(location: str) -> bool:
    return location.endswith(".parquet") or location.endswith(".parquet/")


def _open_source(location: str) -> _Source:
    if _is_parquet(location):
        return _ParquetSource(Path(location))
    store = open_store(location)
    if not store.is_initialised():
        store.close()
        raise ConfigurationError(f"{location} holds no ledger to export")
    return _StoreSource(store)


def _refuse_a_ledger_at(location: str) -> None:
    """Raise ConfigurationError if the store at ``location`` already holds a ledger."""
    path = sqlite_path(location)
    if path is not None and not path.exists():
        return  # nothing there (and nothing created by looking)
    store = open_store(location)
    try:
        if store.is_initialised():
            raise ConfigurationError(
                f"{location} already holds a ledger; import needs an empty store"
            )
    finally:
        store.close()


def transfer(source: str, target: str) -> TransferReport:
    """Copy the whole ledger at ``source`` to the empty ``target`` and check it arrived whole.

    Each of ``source`` and ``target`` is a store URL (``sqlite:///...``, ``postgresql://...``)
    or a Parquet export directory (a path ending in ``.parquet``).

    Returns the report; ``report.ok`` is False (with the reasons) if the recomputed root
    differs from the source's latest signed checkpoint or the target fails verification.

    Raises:
        ConfigurationError: if the source holds no ledger, the target is not empty, or a
            location is malformed.
        StorageError: if a store or file fails while reading or writing.
    """
    report = TransferReport(source, target)
    reader = _open_source(source)
    try:
        if _is_parquet(target):
            _to_parquet(reader, Path(target), report)
        else:
            _to_store(reader, target, report)
    finally:
        reader.close()
    return report


def _check_root(reader: _Source, compact: CompactRange, report: TransferReport) -> None:
    """Compare the recomputed root with the source's signed checkpoint of its size."""
    size = reader.state().size
    signed = [c for c in reader.checkpoints() if c.size == size]
    report.root = compact.root().hex()
    if compact.size != size:
        report.problems.append(f"{compact.size} entries read, the source holds {size}")
    elif not signed:
        report.problems.append(f"the source has no signed checkpoint for its size {size}")
    elif bytes(signed[-1].root) != compact.root():
        report.problems.append(
            f"recomputed root {report.root} differs from the source's signed checkpoint "
            f"{bytes(signed[-1].root).hex()}"
        )


def _to_store(reader: _Source, location: str, report: TransferReport) -> None:
    """Import into the store at ``location``. A SQLite ledger is built in a sibling file and
    moved into place only once it checks out, so a failed or interrupted import leaves no
    half-written ledger at the target; a PostgreSQL target is left partial and must be
    discarded (``report.ok`` is False, or the error propagates)."""
    _refuse_a_ledger_at(location)
    path = sqlite_path(location)
    if path is None:
        partial = f"the target {location} holds a partial ledger: drop it before retrying"
        try:
            _import_into(reader, location, report)
        except StorageError as exc:
            raise StorageError(f"{exc}; {partial}") from exc
        if not report.ok:
            report.problems.append(partial)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.importing-{os.getpid()}")
    try:
        _import_into(reader, f"sqlite:///{staging}", report)
        if report.ok:
            os.replace(staging, path)
        else:
            report.problems.append(f"nothing was written to {path}")
    except OSError as exc:
        raise StorageError(f"cannot move the imported ledger to {path}: {exc}") from exc
    finally:
        for leftover in (staging, *(Path(f"{staging}{end}") for end in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def _import_into(reader: _Source, location: str, report: TransferReport) -> None:
    store = open_store(location)
    try:
        meta = reader.meta()
        store.initialise({k: v for k, v in meta.items() if k not in _STORE_OWNED_META})
        compact = CompactRange()
        for batch in reader.entries():
            with store.write() as txn:
                append_entries(txn, compact.size, batch)
                txn.set_state(LogState(compact.size + len(batch), 0))
            compact.extend(leaf_hashes(batch))
            report.entries += len(batch)
        _copy_index_rows(reader, store, report)
        with store.write() as txn:
            txn.set_state(reader.state())
        # Entries were copied as bytes, not appended: derive their per-subject index once.
        build_subject_index(Ledger(store))
        _check_root(reader, compact, report)
        found = verify_ledger(store, public_key_from_text(meta["public_key"]))
        report.verified = found.ok
        report.problems.extend(f"verify: {problem}" for problem in found.problems)
    finally:
        store.close()


# Metadata a store writes for itself (its own schema and partition layout).
_STORE_OWNED_META = frozenset(
    {"schema_version", "partition_span", "partitions_end", "subject_index_size"}
)


def _copy_index_rows(reader: _Source, store: LedgerStore, report: TransferReport) -> None:
    for subjects in _batches(reader.subjects(), ROW_BATCH):
        with store.write() as txn:
            txn.put_subjects(subjects)
        report.subjects += len(subjects)
    for keys in _batches(reader.idempotency_keys(), ROW_BATCH):
        with store.write() as txn:
            txn.put_idempotency_keys(keys)
        report.idempotency_keys += len(keys)
    for checkpoints in _batches(reader.checkpoints(), ROW_BATCH):
        with store.write() as txn:
            for checkpoint in checkpoints:
                txn.put_checkpoint(checkpoint)
        report.checkpoints += len(checkpoints)


def _to_parquet(reader: _Source, directory: Path, report: TransferReport) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise ConfigurationError(f"{directory} is not empty; export needs a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    try:
        compact = _write_entries(reader, directory, report)
        report.subjects = _write_rows(directory, "subjects", reader.subjects())
        report.idempotency_keys = _write_rows(directory, "idempotency", reader.idempotency_keys())
        report.checkpoints = _write_rows(
            directory,
            "checkpoints",
            ((c.size, bytes(c.root), c.time_us, bytes(c.signature)) for c in reader.checkpoints()),
        )
    except OSError as exc:
        raise StorageError(f"cannot write the export in {directory}: {exc}") from exc
    _check_root(reader, compact, report)
    state = reader.state()
    header = {
        **FORMAT,
        "meta": {k: v for k, v in reader.meta().items() if k not in _STORE_OWNED_META},
        "size": state.size,
        "last_recorded_at_us": state.last_recorded_at_us,
        "root": report.root,
    }
    (directory / "ledger.json").write_text(json.dumps(header, indent=2) + "\n", encoding="utf-8")


def _write_entries(reader: _Source, directory: Path, report: TransferReport) -> CompactRange:
    """Write ``entries.parquet`` and ``records.parquet``; return the recomputed tree."""
    from socialcredit.ledger import decode_entry
    from socialcredit.scoring import records_table

    from .records import RecordIndex, project_entry

    compact = CompactRange()
    index = RecordIndex()  # each record's lifecycle, for effective.parquet
    with (
        pq.ParquetWriter(directory / "entries.parquet", _SCHEMAS["entries"]) as entries,
        pq.ParquetWriter(directory / "records.parquet", records_table([]).schema) as records,
    ):
        for batch in reader.entries():
            decoded = [decode_entry(compact.size + i, raw) for i, raw in enumerate(batch)]
            positions = list(range(compact.size, compact.size + len(batch)))
            entries.write_table(
                pa.table([positions, [e.type for e in decoded], batch], schema=_SCHEMAS["entries"])
            )
            rows = [row for row in map(project_entry, decoded) if row is not None]
            records.write_table(records_table(rows))
            index.apply(decoded)
            compact.extend(leaf_hashes(batch))
            report.entries += len(batch)
            report.records += len(rows)
    _write_effective(directory, index, reader.state().last_recorded_at_us)
    return compact


def _write_effective(directory: Path, index: RecordIndex, known_us: int) -> None:
    """Write ``effective.parquet``: the records in effect at ledger time ``known_us``."""
    from socialcredit.scoring import records_table

    schema = records_table([]).schema
    with pq.ParquetWriter(directory / "effective.parquet", schema) as writer:
        writer.write_table(schema.empty_table())
        for rows in _batches(index.effective_rows(known_us), ROW_BATCH):
            writer.write_table(records_table(rows))


def _write_rows(directory: Path, name: str, rows: Iterable[tuple[Any, ...]]) -> int:
    schema = _SCHEMAS[name]
    count = 0
    with pq.ParquetWriter(directory / f"{name}.parquet", schema) as writer:
        for batch in _batches(rows, ROW_BATCH):
            writer.write_table(
                pa.Table.from_pylist(
                    [dict(zip(schema.names, row, strict=True)) for row in batch], schema=schema
                )
            )
            count += len(batch)
        if not count:
            writer.write_table(schema.empty_table())
    return count
