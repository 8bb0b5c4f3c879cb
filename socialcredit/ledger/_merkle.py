"""RFC 6962 / RFC 9162 Merkle tree algorithms, independent of how the tree is stored.

A node is addressed by ``(level, index)``: the perfect subtree of height ``level`` covering
leaves ``[index * 2**level, (index + 1) * 2**level)``; ``(0, i)`` is leaf ``i``. Stores only ever
have to produce such complete perfect subtrees: when a tree's size is not a power of two, its
right border is made of *ephemeral* nodes — the Merkle tree hash (MTH) of a run of perfect
subtrees — and the proof builders here compute those themselves from the run's nodes.

A proof is planned as a list of :data:`ProofElement`, one per proof hash: a tuple of nodes
(largest first) whose MTH is that hash. A single node stands for itself; several nodes are an
ephemeral node. :func:`inclusion_proof` and :func:`consistency_proof` plan and fetch in one go.

The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 to the letter and only return a bool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ._hashing import EMPTY_ROOT, HASH_SIZE, BytesLike, node_hash, subtree_root

__all__ = [
    "CompactRange",
    "GetNode",
    "Node",
    "ProofElement",
    "consistency_nodes",
    "consistency_proof",
    "inclusion_nodes",
    "inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

Node = tuple[int, int]
"""``(level, index)`` of a complete perfect subtree."""

ProofElement = tuple[Node, ...]
"""One proof hash: the MTH of these consecutive perfect subtrees, largest first."""

GetNode = Callable[[int, int], bytes]
"""``get_node(level, index)``: the 32-byte hash of a complete perfect subtree."""


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (RFC 6962 MTH) of a list of leaf hashes.

    The empty tree's root is ``SHA256(b"")``.

    Raises:
        ValueError: if a leaf hash is not 32 bytes.
    """
    if not leaves:
        return EMPTY_ROOT
    for i, leaf in enumerate(leaves):
        _check_hash(leaf, f"leaf hash {i}")
    return subtree_root(b"".join(leaves))


class CompactRange:
    """The right frontier of a growing tree: enough to append leaves and compute its root.

    Holds the roots of the perfect subtrees that make up a tree of ``size`` leaves (one per set
    bit of ``size``, so at most 64), largest first.

    Args:
        size: the number of leaves already covered.
        hashes: the roots of the perfect subtrees of ``size``'s binary decomposition, largest
            first.

    Raises:
        ValueError: if ``size`` is negative, or ``hashes`` are not ``size.bit_count()``
            32-byte hashes.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        if size < 0:
            raise ValueError(f"a tree size cannot be negative, got {size}")
        self._size = size
        self._hashes = [_check_hash(h, "compact range hash") for h in hashes]
        if len(self._hashes) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has {size.bit_count()} frontier hashes, "
                f"got {len(self._hashes)}"
            )

    @classmethod
    def from_nodes(cls, size: int, get_node: GetNode) -> CompactRange:
        """The compact range of the tree of ``size`` leaves, read through ``get_node``.

        ``get_node`` is asked once for each perfect subtree of ``size``'s binary
        decomposition, largest first.

        Raises:
            ValueError: if ``size`` is negative or ``get_node`` returns a non-32-byte value.
        """
        if size < 0:
            raise ValueError(f"a tree size cannot be negative, got {size}")
        return cls(size, [_fetch(get_node, node) for node in _run(0, size)])

    @property
    def size(self) -> int:
        """The number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The frontier: roots of the perfect subtrees making up the tree, largest first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash.

        Raises:
            ValueError: if ``leaf_hash`` is not 32 bytes.
        """
        self._push(0, _check_hash(leaf_hash, "leaf hash"))

    def extend(self, leaf_hashes: BytesLike) -> None:
        """Append concatenated leaf hashes, folding whole aligned blocks in one native call.

        Raises:
            ValueError: if the length of ``leaf_hashes`` is not a multiple of 32 bytes.
        """
        if len(leaf_hashes) % HASH_SIZE:
            raise ValueError(
                f"leaf hashes must be a multiple of 32 bytes, got {len(leaf_hashes)} bytes"
            )
        view = memoryview(leaf_hashes).cast("B")
        done, count = 0, len(view) // HASH_SIZE
        while done < count:
            level = self._block_level(count - done)
            block = view[done * HASH_SIZE : (done + (1 << level)) * HASH_SIZE]
            self._push(level, subtree_root(block))
            done += 1 << level

    def push_subtree(self, height: int, root: bytes) -> None:
        """Append a whole perfect subtree of ``2**height`` leaves by its root hash.

        Raises:
            ValueError: if the subtree would not start at a multiple of its own size, or the
                root is not 32 bytes.
        """
        if height < 0 or self._size % (1 << height):
            raise ValueError(f"a subtree of height {height} cannot start at size {self._size}")
        self._push(height, _check_hash(root, "subtree root"))

    def root(self) -> bytes:
        """The Merkle tree hash of every leaf appended so far (``SHA256(b"")`` when empty)."""
        if not self._hashes:
            return EMPTY_ROOT
        root = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            root = node_hash(left, root)
        return root

    def _block_level(self, remaining: int) -> int:
        """Height of the largest perfect subtree that fits ``remaining`` and starts at size."""
        level = remaining.bit_length() - 1
        if self._size:
            level = min(level, (self._size & -self._size).bit_length() - 1)
        return level

    def _push(self, level: int, node: bytes) -> None:
        """Add the root of the perfect subtree of height ``level`` that starts at ``size``."""
        hashes = self._hashes
        carry = self._size >> level
        while carry & 1:
            node = node_hash(hashes.pop(), node)
            carry >>= 1
        hashes.append(node)
        self._size += 1 << level

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, hashes=({', '.join(map(_short, self._hashes))}))"


# -- proofs ----------------------------------------------------------------------------------


def inclusion_nodes(index: int, size: int) -> list[ProofElement]:
    """The plan of the inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

    Returns:
        One :data:`ProofElement` per proof hash, from the leaf up (RFC 9162 order). At most
        one of them is an ephemeral node; O(log size) nodes in all.

    Raises:
        ValueError: unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not inside a tree of size {size}")
    return _path(0, index, size)


def consistency_nodes(size1: int, size2: int) -> list[ProofElement]:
    """The plan of the consistency proof from the tree of ``size1`` to that of ``size2``.

    Empty when ``size1`` is 0 or equals ``size2`` (nothing to prove).

    Raises:
        ValueError: unless ``0 <= size1 <= size2``.
    """
    if not 0 <= size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    if size1 in (0, size2):
        return []
    # The old tree's smallest perfect subtree, whose path to the new root is the proof.
    level = (size1 & -size1).bit_length() - 1
    index = (size1 >> level) - 1
    path = _path(level, index, size2)
    # When size1 is a power of two that node is the old root, which the verifier has already.
    return path if index == 0 else [((level, index),), *path]


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """The RFC 9162 inclusion proof (audit path) of leaf ``index`` in the tree of ``size``.

    ``get_node`` is only asked for complete perfect subtrees inside the tree, O(log size)
    times; ephemeral nodes are hashed here.

    Raises:
        ValueError: unless ``0 <= index < size``, or if ``get_node`` returns a non-32-byte value.
    """
    return [_element_hash(element, get_node) for element in inclusion_nodes(index, size)]


def consistency_proof(size1: int, size2: int, get_node: GetNode) -> list[bytes]:
    """The RFC 9162 consistency proof from the tree of ``size1`` to that of ``size2``.

    ``get_node`` is asked as by :func:`inclusion_proof`, for nodes of the tree of ``size2``.

    Raises:
        ValueError: unless ``0 <= size1 <= size2``, or if ``get_node`` returns a non-32-byte
            value.
    """
    return [_element_hash(element, get_node) for element in consistency_nodes(size1, size2)]


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf ``index`` of the tree (``size``, ``root``) is ``leaf_hash``.

    RFC 9162 §2.1.3.2. Never raises for a wrong proof, index or size: returns False (also for
    hashes that are not 32 bytes).
    """
    if not 0 <= index < size or not _all_hashes(leaf_hash, root, *proof):
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (``size2``, ``root2``) extends (``size1``, ``root1``).

    RFC 9162 §2.1.4.2 for ``0 < size1 < size2``. Around it: equal sizes need an empty proof and
    equal roots; the empty tree (``size1 == 0``) is extended by every tree, but needs an empty
    proof and ``root1 == SHA256(b"")``. Never raises for a wrong proof, size or root: returns
    False (also for hashes that are not 32 bytes).
    """
    if not 0 <= size1 <= size2 or not _all_hashes(root1, root2, *proof):
        return False
    if size1 == 0:
        return not proof and root1 == EMPTY_ROOT and (size2 > 0 or root2 == EMPTY_ROOT)
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == root1 and sr == root2 and sn == 0


# -- helpers ---------------------------------------------------------------------------------


def _path(level: int, index: int, size: int) -> list[ProofElement]:
    """The audit path of node ``(level, index)`` to the root of the tree of ``size``, bottom up.

    Below the level where the node's path and the last leaf's path part, every sibling is a
    complete subtree, except that at the parting level the right sibling may be cut off by the
    end of the tree: that one is the ephemeral MTH of the leaves from its start to ``size``.
    Above it, the node is on the right border and only has left siblings, all complete.
    """
    inner = (index ^ ((size - 1) >> level)).bit_length()
    path: list[ProofElement] = []
    for i in range(inner):
        height, sibling = level + i, (index >> i) ^ 1
        start = sibling << height
        complete = start + (1 << height) <= size
        path.append(((height, sibling),) if complete else _run(start, size))
    for i in range(inner, index.bit_length()):
        if index >> i & 1:
            path.append(((level + i, (index >> i) ^ 1),))
    return path


def _run(start: int, end: int) -> ProofElement:
    """The perfect subtrees covering leaves ``[start, end)``, largest first.

    ``start`` must be a multiple of a power of two larger than ``end - start``.
    """
    nodes = []
    remaining = end - start
    for level in reversed(range(remaining.bit_length())):
        if remaining >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return tuple(nodes)


def _element_hash(element: ProofElement, get_node: GetNode) -> bytes:
    """The MTH of a run of perfect subtrees: fold their roots from the right."""
    root = _fetch(get_node, element[-1])
    for node in reversed(element[:-1]):
        root = node_hash(_fetch(get_node, node), root)
    return root


def _fetch(get_node: GetNode, node: Node) -> bytes:
    return _check_hash(get_node(*node), f"node {node}")


def _check_hash(value: bytes, what: str) -> bytes:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be 32 bytes, got {len(value)}")
    return bytes(value)


def _all_hashes(*values: bytes) -> bool:
    return all(len(v) == HASH_SIZE for v in values)


def _short(value: bytes) -> str:
    return value.hex()[:12] + "…"
