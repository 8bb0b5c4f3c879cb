"""The Merkle tree laid out in bundles and tiles (see ``socialcredit.storage._port``).

Appending writes the new entries into bundles and their leaf hashes into level-0 tiles; every
tile that becomes full contributes its subtree root to the tile one level up. Any node of the
tree that covers a complete perfect subtree can then be read from one tile: node
``(height, index)`` lies in tile ``(height // 8, (index << height % 8) // 256)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

from socialcredit.storage import BUNDLE_SIZE, WriteTransaction

from ..errors import LedgerError, StorageError
from ._hashing import leaf_hashes, pack_bundle, subtree_root
from ._merkle import CompactRange

__all__ = ["TILE_HEIGHT", "TileReader", "append_entries", "node_reader", "root_at"]

TILE_HEIGHT = 8
_HASH = 32


class TileReader(Protocol):
    """Anything that can read a stored tile (a store, or a write transaction)."""

    def read_tile(self, level: int, index: int) -> bytes | None: ...


def node_reader(source: TileReader, size: int) -> Callable[[int, int], bytes]:
    """A ``get_node(height, index)`` over the tiles of a tree of ``size`` leaves.

    Only complete perfect subtrees inside the tree may be asked for.

    Raises (from the returned function):
        LedgerError: if the node is not a complete subtree of the tree of ``size``.
        StorageError: if the tile that must hold it is missing or too short.
    """

    @lru_cache(maxsize=128)
    def tile(level: int, index: int) -> bytes:
        hashes = source.read_tile(level, index)
        if hashes is None:
            raise StorageError(f"tile ({level}, {index}) is missing")
        return hashes

    def get_node(height: int, index: int) -> bytes:
        if (index + 1) << height > size:
            raise LedgerError(f"node ({height}, {index}) is outside a tree of size {size}")
        level, sub = divmod(height, TILE_HEIGHT)
        first = index << sub
        hashes = tile(level, first // BUNDLE_SIZE)
        offset = (first % BUNDLE_SIZE) * _HASH
        span = hashes[offset : offset + (_HASH << sub)]
        if len(span) != _HASH << sub:
            raise StorageError(f"tile ({level}, {first // BUNDLE_SIZE}) is too short")
        return span if sub == 0 else subtree_root(span)

    return get_node


def root_at(source: TileReader, size: int) -> bytes:
    """The Merkle root of the first ``size`` entries, from stored tiles."""
    return CompactRange.from_nodes(size, node_reader(source, size)).root()


def append_entries(txn: WriteTransaction, size: int, entries: Sequence[bytes]) -> bytes:
    """Write ``entries`` at positions ``size, size + 1, ...``; return their leaf hashes.

    Writes the affected bundles and tiles of every level; does not change the log state.
    """
    leaves = leaf_hashes(entries)
    completed = _append_level0(txn, size, entries, leaves)
    level, before = 1, size >> TILE_HEIGHT
    while completed:
        completed = _append_level(txn, level, before, completed)
        level, before = level + 1, before >> TILE_HEIGHT
    return leaves


def _append_level0(
    txn: WriteTransaction, size: int, entries: Sequence[bytes], leaves: bytes
) -> bytes:
    """Bundles and level-0 tiles; returns the roots of the tiles this append completed."""
    index, used = divmod(size, BUNDLE_SIZE)
    bundle_prefix = _existing(txn.read_bundle(index), used, f"bundle {index}") if used else b""
    tile_prefix = _existing_tile(txn, 0, index, used)
    completed = []
    done = 0
    while done < len(entries):
        take = min(BUNDLE_SIZE - used, len(entries) - done)
        txn.put_bundle(index, bundle_prefix + pack_bundle(entries[done : done + take]))
        tile = tile_prefix + leaves[done * _HASH : (done + take) * _HASH]
        txn.put_tile(0, index, tile)
        if used + take == BUNDLE_SIZE:
            completed.append(subtree_root(tile))
        done, index, used = done + take, index + 1, 0
        bundle_prefix = tile_prefix = b""
    return b"".join(completed)


def _append_level(txn: WriteTransaction, level: int, before: int, nodes: bytes) -> bytes:
    """Append complete-subtree ``nodes`` to tiles of ``level``; return newly completed roots."""
    index, used = divmod(before, BUNDLE_SIZE)
    prefix = _existing_tile(txn, level, index, used)
    completed = []
    done, count = 0, len(nodes) // _HASH
    while done < count:
        take = min(BUNDLE_SIZE - used, count - done)
        tile = prefix + nodes[done * _HASH : (done + take) * _HASH]
        txn.put_tile(level, index, tile)
        if used + take == BUNDLE_SIZE:
            completed.append(subtree_root(tile))
        done, index, used, prefix = done + take, index + 1, 0, b""
    return b"".join(completed)


def _existing_tile(txn: WriteTransaction, level: int, index: int, used: int) -> bytes:
    if not used:
        return b""
    return _existing(txn.read_tile(level, index), used * _HASH, f"tile ({level}, {index})")


def _existing(data: bytes | None, expected: int, what: str) -> bytes:
    """The stored partial bundle or tile, refusing to build on one that is missing."""
    if data is None:
        raise StorageError(f"{what} is missing; run `socialcredit verify`")
    if what.startswith("tile") and len(data) != expected:
        raise StorageError(f"{what} has {len(data)} bytes, expected {expected}")
    return data
