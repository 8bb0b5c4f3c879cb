"""RFC 6962 / RFC 9162 Merkle hashing: leaf and node hashes, whole levels, entry bundles.

All hashes are 32-byte SHA-256 digests; "concatenated" hashes are one ``bytes`` of ``n * 32``
bytes, so that whole levels of a tree move between storage and the hashing core without a
Python object per hash.

The work is done by the C extension ``socialcredit.ledger._native`` (OpenSSL SHA-256, the GIL
released while hashing) when it was built, and otherwise by an equivalent pure-Python
implementation over :mod:`hashlib`. Both give identical results and identical ``ValueError``
messages; :data:`NATIVE` says which one is in use. Setting the environment variable
``SOCIALCREDIT_PURE_PYTHON=1`` before the first import forces the pure-Python one.

An entry bundle is the storage format of a run of entries: each entry as a 4-byte big-endian
unsigned length followed by its bytes, concatenated.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NATIVE",
    "BytesLike",
    "bundle_leaf_hashes",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "pack_bundle",
    "parent_level",
    "subtree_root",
    "unpack_bundle",
]

BytesLike = bytes | bytearray | memoryview
"""Anything exposing a contiguous byte buffer; every input below accepts one."""

HASH_SIZE = 32
"""The size of every hash, in bytes."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The Merkle tree hash of the empty tree: SHA-256 of the empty string."""

_MAX_ENTRY = 0xFFFFFFFF
_sha256 = hashlib.sha256
_read_length = struct.Struct(">I").unpack_from


NATIVE: bool
"""True when the C extension does the hashing, False for the pure-Python fallback."""

try:
    if os.environ.get("SOCIALCREDIT_PURE_PYTHON") == "1":
        raise ImportError("SOCIALCREDIT_PURE_PYTHON=1 forces the pure-Python implementation")
    from . import _native

    NATIVE = True
except ImportError:  # not built (no compiler or OpenSSL headers at install time), or forced
    NATIVE = False


def leaf_hash(entry: BytesLike) -> bytes:
    """The RFC 6962 leaf hash ``SHA256(0x00 || entry)`` of one entry.

    Raises:
        TypeError: if ``entry`` is not bytes-like.
    """
    if NATIVE:
        return _native.leaf_hash(entry)
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: BytesLike, right: BytesLike) -> bytes:
    """The RFC 6962 interior node hash ``SHA256(0x01 || left || right)``.

    Raises:
        ValueError: if ``left`` or ``right`` is not exactly 32 bytes.
    """
    if NATIVE:
        return _native.node_hash(left, right)
    for name, value in (("left", left), ("right", right)):
        if len(value) != HASH_SIZE:
            raise ValueError(f"{name} must be a 32-byte hash, got {len(value)} bytes")
    return _sha256(b"\x01" + left + right).digest()


def leaf_hashes(entries: Sequence[BytesLike]) -> bytes:
    """The leaf hashes of ``entries``, in order, concatenated (``32 * len(entries)`` bytes).

    Raises:
        TypeError: if an entry is not bytes-like.
    """
    if NATIVE:
        return _native.leaf_hashes(entries)
    sha = _sha256
    return b"".join([sha(b"\x00" + entry).digest() for entry in entries])


def pack_bundle(entries: Sequence[BytesLike]) -> bytes:
    """An entry bundle holding ``entries`` in order (the inverse of :func:`unpack_bundle`).

    Raises:
        ValueError: if an entry is 2**32 bytes or longer (its length does not fit the prefix).
        TypeError: if an entry is not bytes-like.
    """
    if NATIVE:
        return _native.pack_bundle(entries)
    parts: list[BytesLike] = []
    for i, entry in enumerate(entries):
        size = len(entry)
        if size > _MAX_ENTRY:
            raise ValueError(
                f"entry {i} is {size} bytes; a bundle entry must be shorter than 2**32 bytes"
            )
        parts.append(size.to_bytes(4, "big"))
        parts.append(entry)
    return b"".join(parts)


def unpack_bundle(data: BytesLike) -> list[bytes]:
    """The entries of an entry bundle, in order (the inverse of :func:`pack_bundle`).

    Raises:
        ValueError: if the bundle is truncated or a length prefix overruns it; the message
            names the byte offset of the bad prefix.
    """
    if NATIVE:
        return _native.unpack_bundle(data)
    data = bytes(data)
    return [data[start:end] for start, end in _entry_spans(data)]


def bundle_leaf_hashes(data: BytesLike) -> tuple[bytes, int]:
    """The leaf hashes of every entry of an entry bundle, concatenated, and their count.

    Same as ``leaf_hashes(unpack_bundle(data))`` with its length, without the entry objects.

    Raises:
        ValueError: if the bundle is malformed, as :func:`unpack_bundle`.
    """
    if NATIVE:
        return _native.bundle_leaf_hashes(data)
    data = bytes(data)
    sha = _sha256
    hashes = [sha(b"\x00" + data[start:end]).digest() for start, end in _entry_spans(data)]
    return b"".join(hashes), len(hashes)


def parent_level(hashes: BytesLike) -> bytes:
    """The parents of consecutive pairs of hashes: ``node_hash(h[2i], h[2i+1])``, concatenated.

    Args:
        hashes: ``2m`` concatenated 32-byte hashes.

    Returns:
        The ``m`` concatenated parent hashes (empty for empty input).

    Raises:
        ValueError: if the length of ``hashes`` is not a multiple of 64 bytes.
    """
    if NATIVE:
        return _native.parent_level(hashes)
    if len(hashes) % (2 * HASH_SIZE):
        raise ValueError(
            "parent_level() needs whole pairs of 32-byte hashes (a multiple of 64 bytes), "
            f"got {len(hashes)} bytes"
        )
    view = memoryview(hashes).cast("B")
    sha = _sha256
    return b"".join([sha(b"\x01" + view[i : i + 64]).digest() for i in range(0, len(view), 64)])


def subtree_root(hashes: BytesLike) -> bytes:
    """The RFC 6962 Merkle tree hash (MTH) of one or more concatenated leaf hashes.

    For ``n`` hashes that are not a power of two this is RFC 6962's split at the largest
    power of two below ``n``; for a perfect subtree's leaves it is that subtree's root.

    Raises:
        ValueError: if ``hashes`` is empty or its length is not a multiple of 32 bytes.
    """
    if NATIVE:
        return _native.subtree_root(hashes)
    size = len(hashes)
    if size == 0 or size % HASH_SIZE:
        raise ValueError(
            "subtree_root() needs one or more 32-byte hashes (a non-zero multiple of 32 bytes), "
            f"got {size} bytes"
        )
    level = bytes(hashes)
    # Pairing left to right and carrying an odd last node up unchanged builds exactly the
    # RFC's tree, whose split point is always the largest power of two below n.
    while len(level) > HASH_SIZE:
        odd = len(level) % (2 * HASH_SIZE)
        parents = parent_level(level[: len(level) - odd])
        level = parents + level[len(level) - odd :] if odd else parents
    return level


def _entry_spans(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each entry in a bundle; the same errors as the C scanner."""
    spans: list[tuple[int, int]] = []
    append, read = spans.append, _read_length
    pos, total = 0, len(data)
    while pos < total:
        if total - pos < 4:
            raise ValueError(
                f"bundle is truncated at byte {pos}: a length prefix needs 4 bytes, "
                f"only {total - pos} remain"
            )
        (size,) = read(data, pos)
        start = pos + 4
        if size > total - start:
            raise ValueError(
                f"bundle entry at byte {pos} declares {size} bytes, only {total - start} remain"
            )
        pos = start + size
        append((start, pos))
    return spans
