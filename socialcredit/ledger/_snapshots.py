"""Snapshots of projections, stored with the ledger and checked before they are trusted.

A projection (the consequence view, the record index) is a function of the ledger's first
``size`` entries. Rebuilding it means replaying them all, so a process saves its state as
bytes at a ``size`` and later processes load the latest snapshot and read only the entries
after it. The ledger stays the one source of truth: a snapshot is a cache of it, and one that
cannot be shown to come from this ledger is refused and the projection rebuilt.

A snapshot is stored as a header (:class:`~socialcredit.storage._port.StoredSnapshot`) and its
bytes in parts. :func:`save_snapshot` writes the parts in short transactions of their own, so
the ledger's writers wait for one part at most, and the header last: a writer killed half-way
leaves parts without a header, which no reader sees and the next save removes.

:func:`load_snapshot` trusts a snapshot only if all of these hold, and otherwise says why:

* its format is the one the caller reads (the projection's code has not changed since);
* the ledger holds at least its ``size`` entries and its signed checkpoint of that size has
  the snapshot's root (it was taken from this ledger, and the ledger was not rewritten);
* the header's Ed25519 signature verifies with the ledger's public key (only the holder of the
  ledger's signing key, who can append anyway, can make a snapshot);
* every part is there and the bytes have the signed SHA-256 digest (nothing truncated or
  altered).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidSignature

from socialcredit.storage import StoredSnapshot

from ..errors import LedgerError, NotFoundError, StorageError
from ._ledger import Ledger, utc_now_us

__all__ = ["PART_BYTES", "LoadedSnapshot", "load_snapshot", "save_snapshot", "snapshot_message"]

PART_BYTES = 4 << 20
"""Bytes per stored part (one short write transaction each)."""
_DOMAIN = b"socialcredit-snapshot/v1\n"
_log = logging.getLogger("socialcredit.snapshots")


@dataclass(frozen=True, slots=True)
class LoadedSnapshot:
    """What :func:`load_snapshot` found: the trusted snapshot's ``size`` and ``data`` (None
    when none could be trusted), and why each newer one was ``refused``."""

    size: int
    data: bytes | None
    refused: tuple[str, ...]


def snapshot_message(header: StoredSnapshot) -> bytes:
    """The bytes the ledger's key signs for ``header`` (everything but the signature)."""
    fields = (
        header.name,
        str(header.size),
        header.root.hex(),
        header.format,
        header.digest.hex(),
        str(header.parts),
        str(header.written_us),
    )
    return _DOMAIN + "\n".join(fields).encode()


def save_snapshot(
    ledger: Ledger, name: str, fmt: str, size: int, data: bytes, *, part_bytes: int = PART_BYTES
) -> StoredSnapshot:
    """Store ``data`` as the snapshot of projection ``name`` (format ``fmt``) after the first
    ``size`` entries; then remove the older snapshots of ``name``. Returns the header.

    Raises:
        LedgerError: if the ledger was opened without its signing key.
        NotFoundError: if there is no signed checkpoint of ``size`` entries.
        StorageError, LedgerOverloadedError: if the store fails or pushes back (parts already
            written are invisible without their header, and removed by the next save).
    """
    if ledger.signer is None:
        raise LedgerError("a snapshot is signed with the ledger's key; open it for writing")
    root = ledger.checkpoint_at(size).root
    parts = max(1, -(-len(data) // part_bytes))
    if any(stored.size == size for stored in ledger.store.snapshots(name)):
        with ledger.store.write() as txn:  # no header may point at parts being rewritten
            txn.delete_snapshots(name, keep=-1)
    for part in range(parts):
        with ledger.store.write() as txn:
            chunk = data[part * part_bytes : (part + 1) * part_bytes]
            txn.put_snapshot_part(name, size, part, chunk)
    digest = hashlib.sha256(data).digest()
    header = StoredSnapshot(name, size, root, fmt, digest, parts, utc_now_us(), b"")
    header = replace(header, signature=ledger.signer.sign_message(snapshot_message(header)))
    with ledger.store.write() as txn:
        txn.put_snapshot(header)
        txn.delete_snapshots(name, keep=size)
    return header


def load_snapshot(ledger: Ledger, name: str, fmt: str) -> LoadedSnapshot:
    """The newest snapshot of projection ``name`` that passes every check of the module
    docstring (its bytes), with the reasons the newer ones were refused (each is logged as a
    warning: the caller rebuilds what a refused snapshot would have given).

    Raises:
        StorageError: if the store cannot be read at all.
    """
    refused: list[str] = []
    for header in ledger.store.snapshots(name):
        try:
            data = _checked(ledger, header, fmt)
        except _Refused as exc:
            reason = f"snapshot {name!r} of {header.size} entries refused: {exc}"
            _log.warning("%s; rebuilding from the ledger", reason)
            refused.append(reason)
            continue
        return LoadedSnapshot(header.size, data, tuple(refused))
    return LoadedSnapshot(0, None, tuple(refused))


class _Refused(Exception):
    """A snapshot failed a check (the message says which)."""


def _checked(ledger: Ledger, header: StoredSnapshot, fmt: str) -> bytes:
    if header.format != fmt:
        raise _Refused(f"it is in format {header.format!r}, this code reads {fmt!r}")
    size = ledger.size()
    if header.size > size:
        raise _Refused(
            f"the ledger holds only {size} entries (a snapshot of another or a rewritten ledger)"
        )
    try:
        root = ledger.checkpoint_at(header.size).root
    except NotFoundError:
        raise _Refused(f"the ledger has no signed checkpoint of {header.size} entries") from None
    if root != header.root:
        raise _Refused("its root differs from the ledger's signed checkpoint of that size")
    try:
        ledger.public_key.verify(header.signature, snapshot_message(header))
    except InvalidSignature:
        raise _Refused("its signature does not verify with the ledger's public key") from None
    return _joined(ledger, header)


def _joined(ledger: Ledger, header: StoredSnapshot) -> bytes:
    # one growing buffer, each part dropped once copied: the peak is the snapshot's size
    # plus one part, not twice its size (a bytearray is read wherever bytes are)
    data, count = bytearray(), 0
    try:
        for expected, (part, chunk) in enumerate(
            ledger.store.read_snapshot_parts(header.name, header.size)
        ):
            if part != expected:
                raise _Refused(f"part {expected} of {header.parts} is missing")
            data += chunk
            count += 1
    except StorageError as exc:
        raise _Refused(f"its parts cannot be read ({exc})") from None
    if count != header.parts:
        raise _Refused(f"it has {count} of its {header.parts} parts (truncated)")
    if hashlib.sha256(data).digest() != header.digest:
        raise _Refused("its bytes do not have the signed digest (altered or truncated)")
    return data  # type: ignore[return-value]
