"""The witness's own store: one small SQLite file, written only by the witness.

It holds the witness's name and public key, every log the witness has met (the log's public
key, and whether it was pinned by the operator or trusted on first use, with when and at which
checkpoint), every checkpoint it cosigned with its cosignature, and every checkpoint it
refused with the reason — a refused checkpoint that the log signed is evidence of a rollback
or a fork. Writes are durable when they return (``synchronous=FULL``, a rollback journal so
that the file alone is complete), and a cosigning holds the write lock from reading the last
cosigned checkpoint to storing the new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from socialcredit.ledger import SignedCheckpoint

from ..errors import ConfigurationError, StorageError
from ._cosignature import Cosignature, CosignedCheckpoint

__all__ = ["KnownLog", "Refusal", "WitnessStore"]

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE logs (
    origin TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    trust TEXT NOT NULL CHECK (trust IN ('first-use', 'pinned')),
    first_seen_s INTEGER NOT NULL,
    first_size INTEGER NOT NULL
);
CREATE TABLE cosigned (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL REFERENCES logs (origin),
    size INTEGER NOT NULL,
    checkpoint TEXT NOT NULL,
    time_s INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE INDEX cosigned_by_origin ON cosigned (origin, id);
CREATE TABLE refused (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    time_s INTEGER NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    checkpoint TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class KnownLog:
    """A log the witness has met: its key, and how that key came to be trusted."""

    origin: str
    public_key: str
    trust: str  # "first-use" (the key the log presented at first contact) or "pinned"
    first_seen_s: int
    first_size: int


@dataclass(frozen=True, slots=True)
class Refusal:
    """A checkpoint the witness refused to cosign, and why."""

    origin: str
    time_s: int
    reason: str  # rollback, fork, signature, key, future, proof, chain
    message: str
    checkpoint: SignedCheckpoint


class WitnessStore:
    """The witness's SQLite file at ``path``.

    Raises:
        StorageError: if the file cannot be opened.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
            # A rollback journal, not WAL: every commit lands in the one file, so a copy of
            # witness.db alone (what an auditor may be given) holds everything cosigned.
            self._conn.execute("PRAGMA journal_mode = DELETE")
            self._conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the witness store {path}: {exc}") from exc

    def create(self, meta: dict[str, str]) -> None:
        """Create the tables and write ``meta`` (name, public key, ...).

        Raises:
            ConfigurationError: if the file already holds a witness.
        """
        if self.is_initialised():
            raise ConfigurationError(f"{self.path} already holds a witness")
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                self._conn.execute(statement)
            rows = {**meta, "schema_version": SCHEMA_VERSION}
            self._conn.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())

    def is_initialised(self) -> bool:
        """True if the file holds a witness."""
        row = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cosigned'"
        ).fetchone()
        return row is not None

    def meta(self) -> dict[str, str]:
        """The witness's metadata (name, public_key, created_at, schema_version)."""
        return dict(self._read("SELECT key, value FROM meta"))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write holding the file's write lock from the start."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write the witness store {self.path}: {exc}") from exc
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def log(self, origin: str) -> KnownLog | None:
        """The log named ``origin``, if the witness has met it."""
        rows = self._read(
            "SELECT origin, public_key, trust, first_seen_s, first_size FROM logs WHERE origin = ?",
            (origin,),
        )
        return KnownLog(*rows[0]) if rows else None

    def logs(self) -> list[KnownLog]:
        """Every log the witness has met, by name."""
        sql = "SELECT origin, public_key, trust, first_seen_s, first_size FROM logs ORDER BY 1"
        return [KnownLog(*row) for row in self._read(sql)]

    def add_log(self, log: KnownLog) -> None:
        """Record a log met for the first time (inside :meth:`transaction`)."""
        self._conn.execute(
            "INSERT INTO logs VALUES (?, ?, ?, ?, ?)",
            (log.origin, log.public_key, log.trust, log.first_seen_s, log.first_size),
        )

    def latest(self, origin: str) -> CosignedCheckpoint | None:
        """The checkpoint of ``origin`` cosigned last, or None."""
        found = self.history(origin, latest_only=True)
        return found[0] if found else None

    def history(self, origin: str, *, latest_only: bool = False) -> list[CosignedCheckpoint]:
        """Every checkpoint of ``origin`` cosigned, oldest first (or only the latest)."""
        order = "DESC LIMIT 1" if latest_only else "ASC"
        rows = self._read(
            "SELECT checkpoint, time_s, signature FROM cosigned WHERE origin = ? "
            f"ORDER BY id {order}",
            (origin,),
        )
        meta = self.meta()
        return [self._cosigned(row, meta) for row in rows]

    def count(self, origin: str) -> int:
        """How many checkpoints of ``origin`` were cosigned."""
        rows = self._read("SELECT COUNT(*) FROM cosigned WHERE origin = ?", (origin,))
        return int(rows[0][0])

    def add_cosigned(self, cosigned: CosignedCheckpoint) -> None:
        """Keep a cosigned checkpoint (inside :meth:`transaction`)."""
        checkpoint = cosigned.checkpoint
        self._conn.execute(
            "INSERT INTO cosigned (origin, size, checkpoint, time_s, signature) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                checkpoint.checkpoint.origin,
                checkpoint.size,
                orjson.dumps(checkpoint.to_json()).decode(),
                cosigned.cosignature.time_s,
                cosigned.cosignature.signature,
            ),
        )

    def add_refusal(self, refusal: Refusal) -> None:
        """Keep a refused checkpoint and the reason (in a transaction of its own)."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO refused (origin, time_s, reason, message, checkpoint) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    refusal.origin,
                    refusal.time_s,
                    refusal.reason,
                    refusal.message,
                    orjson.dumps(refusal.checkpoint.to_json()).decode(),
                ),
            )

    def refusals(self, origin: str | None = None) -> list[Refusal]:
        """The refused checkpoints (of ``origin``, or all), oldest first."""
        sql = "SELECT origin, time_s, reason, message, checkpoint FROM refused"
        rows = (
            self._read(sql + " WHERE origin = ? ORDER BY id", (origin,))
            if origin
            else (self._read(sql + " ORDER BY id"))
        )
        return [
            Refusal(o, t, r, m, SignedCheckpoint.from_json(orjson.loads(c)))
            for o, t, r, m, c in rows
        ]

    def close(self) -> None:
        """Close the file."""
        self._conn.close()

    def _cosigned(self, row: tuple[str, int, bytes], meta: dict[str, str]) -> CosignedCheckpoint:
        text, time_s, signature = row
        try:
            checkpoint = SignedCheckpoint.from_json(orjson.loads(text))
        except orjson.JSONDecodeError as exc:
            raise StorageError(f"a cosigned checkpoint in {self.path} is corrupt: {exc}") from exc
        cosignature = Cosignature(meta["name"], meta["public_key"], time_s, bytes(signature))
        return CosignedCheckpoint(checkpoint, cosignature)

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot read the witness store {self.path}: {exc}") from exc
