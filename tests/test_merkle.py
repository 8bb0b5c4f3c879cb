"""The Merkle algorithms against a reference written straight from RFC 6962's recursions.

The reference (``ref_*``) uses hashlib directly and the RFC's recursive definitions of MTH,
PATH and PROOF/SUBPROOF; ``socialcredit.ledger._merkle`` computes the same things bottom-up from
perfect-subtree nodes and verifies them with RFC 9162's iterative algorithms.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcredit.ledger._merkle import (
    CompactRange,
    consistency_nodes,
    consistency_proof,
    inclusion_nodes,
    inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EMPTY = hashlib.sha256(b"").digest()

# -- the reference: RFC 6962 section 2.1, verbatim recursions -------------------------------


def ref_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes (the RFC's MTH with the leaf hashing already done)."""
    if not leaves:
        return EMPTY
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return ref_node(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = split(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def ref_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return ref_subproof(m, leaves, True) if 0 < m < len(leaves) else []


def ref_verify_inclusion(leaf: bytes, m: int, n: int, path: list[bytes], root: bytes) -> bool:
    """PATH run backwards: rebuild the root the path implies for leaf m of a tree of n."""

    def rebuild(m: int, n: int, path: list[bytes]) -> bytes | None:
        if n == 1:
            return None if path else leaf
        if not path:
            return None
        k, last = split(n), path[-1]
        if m < k:
            sub = rebuild(m, k, path[:-1])
            return None if sub is None else ref_node(sub, last)
        sub = rebuild(m - k, n - k, path[:-1])
        return None if sub is None else ref_node(last, sub)

    return 0 <= m < n and rebuild(m, n, path) == root


def ref_verify_consistency(m: int, n: int, root1: bytes, root2: bytes, proof: list[bytes]) -> bool:
    """SUBPROOF run backwards: rebuild the (old, new) roots the proof implies."""

    def rebuild(m: int, n: int, proof: list[bytes], b: bool) -> tuple[bytes, bytes] | None:
        if m == n:
            if b:
                return None if proof else (root1, root1)
            return (proof[0], proof[0]) if len(proof) == 1 else None
        if not proof:
            return None
        k, last = split(n), proof[-1]
        if m <= k:
            sub = rebuild(m, k, proof[:-1], b)
            return None if sub is None else (sub[0], ref_node(sub[1], last))
        sub = rebuild(m - k, n - k, proof[:-1], False)
        return None if sub is None else (ref_node(last, sub[0]), ref_node(last, sub[1]))

    if not 0 <= m <= n:
        return False
    if m == 0:
        return not proof and root1 == EMPTY and (n > 0 or root2 == EMPTY)
    if m == n:
        return not proof and root1 == root2
    return rebuild(m, n, proof, True) == (root1, root2)


# -- helpers --------------------------------------------------------------------------------


def node_source(
    leaves: list[bytes], size: int
) -> tuple[Callable[[int, int], bytes], list[tuple[int, int]]]:
    """A get_node over the first ``size`` leaves that refuses anything but complete subtrees."""
    calls: list[tuple[int, int]] = []

    def get_node(level: int, index: int) -> bytes:
        assert level >= 0 and index >= 0 and (index + 1) << level <= size, (level, index, size)
        calls.append((level, index))
        return ref_mth(leaves[index << level : (index + 1) << level])

    return get_node, calls


def flip(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


entry_lists = st.lists(st.binary(max_size=12), max_size=300)
CT_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [  # the Certificate Transparency reference test vectors
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


# -- roots ----------------------------------------------------------------------------------


def test_known_roots() -> None:
    assert root_from_leaf_hashes([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    leaves = [ref_leaf(e) for e in CT_ENTRIES]
    for n, expected in enumerate(CT_ROOTS, start=1):
        assert root_from_leaf_hashes(leaves[:n]).hex() == expected
        assert ref_mth(leaves[:n]).hex() == expected


@PROPERTY
@given(entries=entry_lists)
def test_root_matches_reference(entries: list[bytes]) -> None:
    leaves = [ref_leaf(e) for e in entries]
    assert root_from_leaf_hashes(leaves) == ref_mth(leaves)


def test_root_rejects_bad_leaf_hashes() -> None:
    with pytest.raises(ValueError, match="leaf hash 1 must be 32 bytes"):
        root_from_leaf_hashes([bytes(32), bytes(31)])


# -- compact ranges -------------------------------------------------------------------------


@PROPERTY
@given(entries=entry_lists)
def test_compact_range_root_after_every_append(entries: list[bytes]) -> None:
    leaves = [ref_leaf(e) for e in entries]
    compact = CompactRange()
    assert compact.root() == EMPTY
    for n, leaf in enumerate(leaves, start=1):
        compact.append(leaf)
        assert compact.size == n
        assert len(compact.hashes) == n.bit_count()
        assert compact.root() == ref_mth(leaves[:n])


@PROPERTY
@given(entries=entry_lists, data=st.data())
def test_compact_range_extend_with_random_chunks(entries: list[bytes], data: st.DataObject) -> None:
    leaves = [ref_leaf(e) for e in entries]
    compact, by_append, done = CompactRange(), CompactRange(), 0
    while done < len(leaves):
        # at least one leaf per chunk: empty chunks only make Hypothesis draw until it gives up
        take = data.draw(st.integers(1, len(leaves) - done), label="chunk")
        compact.extend(b"".join(leaves[done : done + take]))
        compact.extend(b"")  # an empty chunk changes nothing
        for leaf in leaves[done : done + take]:
            by_append.append(leaf)
        done += take
        assert compact == by_append
        assert compact.root() == ref_mth(leaves[:done])


@PROPERTY
@given(entries=entry_lists)
def test_compact_range_from_nodes_round_trips(entries: list[bytes]) -> None:
    leaves = [ref_leaf(e) for e in entries]
    built = CompactRange()
    built.extend(b"".join(leaves))
    get_node, calls = node_source(leaves, len(leaves))
    rebuilt = CompactRange.from_nodes(len(leaves), get_node)
    assert rebuilt == built
    assert len(calls) == len(leaves).bit_count()
    assert CompactRange(rebuilt.size, rebuilt.hashes) == built
    rebuilt.append(ref_leaf(b"next"))
    assert rebuilt.root() == ref_mth([*leaves, ref_leaf(b"next")])


def test_compact_range_rejects_malformed_state() -> None:
    with pytest.raises(ValueError, match="size 3 has 2 frontier hashes, got 1"):
        CompactRange(3, [bytes(32)])
    with pytest.raises(ValueError, match="negative"):
        CompactRange(-1)
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange(1, [bytes(31)])
    compact = CompactRange()
    with pytest.raises(ValueError, match="multiple of 32"):
        compact.extend(bytes(33))
    with pytest.raises(ValueError, match="32 bytes"):
        compact.append(bytes(33))
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange.from_nodes(1, lambda level, index: b"short")
    assert compact == CompactRange() and compact.size == 0 and "size=0" in repr(compact)


# -- inclusion ------------------------------------------------------------------------------


@PROPERTY
@given(entries=entry_lists.filter(bool), data=st.data())
def test_inclusion_proof_matches_reference_and_verifies(
    entries: list[bytes], data: st.DataObject
) -> None:
    leaves = [ref_leaf(e) for e in entries]
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    get_node, calls = node_source(leaves, size)
    proof = inclusion_proof(index, size, get_node)
    assert proof == ref_path(index, leaves[:size])
    assert len(calls) <= 2 * size.bit_length()
    root = ref_mth(leaves[:size])
    assert verify_inclusion(leaves[index], index, size, proof, root)


@PROPERTY
@given(entries=entry_lists.filter(bool), data=st.data())
def test_inclusion_rejects_any_bit_flip(entries: list[bytes], data: st.DataObject) -> None:
    leaves = [ref_leaf(e) for e in entries]
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = ref_path(index, leaves)
    root, leaf = ref_mth(leaves), leaves[index]
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_inclusion(flip(leaf, bit), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip(root, bit))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        tampered = [flip(p, bit) if i == at else p for i, p in enumerate(proof)]
        assert not verify_inclusion(leaf, index, size, tampered, root)


@PROPERTY
@given(
    entries=st.lists(st.binary(max_size=12), min_size=1, max_size=300, unique=True), data=st.data()
)
def test_inclusion_rejects_wrong_index_or_size(entries: list[bytes], data: st.DataObject) -> None:
    leaves = [ref_leaf(e) for e in entries]
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    proof, root = ref_path(index, leaves), ref_mth(leaves)
    other = data.draw(st.integers(-2, size + 2).filter(lambda i: i != index), label="other")
    assert not verify_inclusion(leaves[index], other, size, proof, root)
    # A different size is rejected unless the path has the very same shape in both trees
    # (e.g. leaf 0 of 5 and of 6): the size is bound by the signed checkpoint, not the proof.
    wrong = data.draw(st.integers(0, 2 * size + 2).filter(lambda s: s != size), label="size")
    expected = ref_verify_inclusion(leaves[index], index, wrong, proof, root)
    assert verify_inclusion(leaves[index], index, wrong, proof, root) == expected


def test_inclusion_size_is_bound_by_the_root_not_the_proof() -> None:
    leaves = [ref_leaf(bytes([i])) for i in range(6)]
    proof, root = ref_path(0, leaves[:5]), ref_mth(leaves[:5])
    assert verify_inclusion(leaves[0], 0, 5, proof, root)
    assert verify_inclusion(leaves[0], 0, 6, proof, root)  # the same shape: RFC 9162 agrees
    assert not verify_inclusion(leaves[0], 0, 6, proof, ref_mth(leaves))


@PROPERTY
@given(
    leaf=st.binary(max_size=40),
    index=st.integers(-5, 2**64),
    size=st.integers(-5, 2**64),
    proof=st.lists(st.binary(max_size=40), max_size=70),
    root=st.binary(max_size=40),
)
def test_verify_inclusion_never_raises(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    assert verify_inclusion(leaf, index, size, proof, root) is False


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 4), (5, 2)])
def test_inclusion_proof_rejects_leaves_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError, match=f"leaf index {index} is not inside a tree of size {size}"):
        inclusion_proof(index, size, lambda level, i: bytes(32))


# -- consistency ----------------------------------------------------------------------------


@PROPERTY
@given(entries=entry_lists, data=st.data())
def test_consistency_proof_matches_reference_and_verifies(
    entries: list[bytes], data: st.DataObject
) -> None:
    leaves = [ref_leaf(e) for e in entries]
    size2 = data.draw(st.integers(0, len(leaves)), label="size2")
    size1 = data.draw(st.integers(0, size2), label="size1")
    get_node, calls = node_source(leaves, size2)
    proof = consistency_proof(size1, size2, get_node)
    assert proof == ref_proof(size1, leaves[:size2])
    assert len(calls) <= 2 * size2.bit_length() + 1
    root1, root2 = ref_mth(leaves[:size1]), ref_mth(leaves[:size2])
    assert verify_consistency(size1, size2, root1, root2, proof)


@PROPERTY
@given(entries=entry_lists, data=st.data())
def test_consistency_rejects_any_bit_flip(entries: list[bytes], data: st.DataObject) -> None:
    leaves = [ref_leaf(e) for e in entries]
    size2 = len(leaves)
    size1 = data.draw(st.integers(0, size2), label="size1")
    proof = ref_proof(size1, leaves)
    root1, root2 = ref_mth(leaves[:size1]), ref_mth(leaves)
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_consistency(size1, size2, flip(root1, bit), root2, proof)
    if size1 > 0 or size2 == 0:  # every tree extends the empty one, whatever its root
        assert not verify_consistency(size1, size2, root1, flip(root2, bit), proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        tampered = [flip(p, bit) if i == at else p for i, p in enumerate(proof)]
        assert not verify_consistency(size1, size2, root1, root2, tampered)
        assert not verify_consistency(size1, size2, root1, root2, proof[:-1])
    assert not verify_consistency(size1, size2, root1, root2, [*proof, root2])


@PROPERTY
@given(entries=st.lists(st.binary(max_size=12), max_size=300, unique=True), data=st.data())
def test_consistency_with_wrong_sizes_agrees_with_the_reference(
    entries: list[bytes], data: st.DataObject
) -> None:
    leaves = [ref_leaf(e) for e in entries]
    size2 = len(leaves)
    size1 = data.draw(st.integers(0, size2), label="size1")
    proof = ref_proof(size1, leaves)
    root1, root2 = ref_mth(leaves[:size1]), ref_mth(leaves)
    wrong1 = data.draw(st.integers(-1, size2 + 2), label="wrong1")
    wrong2 = data.draw(st.integers(-1, 2 * size2 + 2), label="wrong2")
    for m, n in ((wrong1, size2), (size1, wrong2), (wrong1, wrong2)):
        expected = ref_verify_consistency(m, n, root1, root2, proof)
        assert verify_consistency(m, n, root1, root2, proof) == expected, (m, n)


def test_consistency_edge_cases() -> None:
    leaves = [ref_leaf(bytes([i])) for i in range(8)]
    root4, root8 = ref_mth(leaves[:4]), ref_mth(leaves)
    assert verify_consistency(0, 0, EMPTY, EMPTY, [])
    assert verify_consistency(0, 8, EMPTY, root8, [])
    assert not verify_consistency(0, 8, EMPTY, root8, [root8])
    assert not verify_consistency(0, 8, root4, root8, [])
    assert verify_consistency(8, 8, root8, root8, [])
    assert not verify_consistency(8, 8, root8, root8, [root8])
    assert not verify_consistency(8, 8, root4, root8, [])
    assert not verify_consistency(4, 8, root4, root8, [])  # 0 < m < n needs a proof
    assert not verify_consistency(8, 4, root8, root4, [])
    assert consistency_nodes(4, 8) == [((2, 1),)]  # a power of two: the old root is implied
    assert consistency_nodes(3, 8)[0] == ((0, 2),)  # otherwise the proof starts from a node


@pytest.mark.parametrize(("size1", "size2"), [(5, 4), (-1, 3), (0, -1)])
def test_consistency_proof_rejects_bad_sizes(size1: int, size2: int) -> None:
    with pytest.raises(ValueError, match=f"no consistency proof from size {size1} to size {size2}"):
        consistency_proof(size1, size2, lambda level, i: bytes(32))


@PROPERTY
@given(
    size1=st.integers(-3, 2**64),
    size2=st.integers(-3, 2**64),
    root1=st.binary(max_size=40),
    root2=st.binary(max_size=40),
    proof=st.lists(st.binary(min_size=31, max_size=33), max_size=70),
)
def test_verify_consistency_never_raises(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    assert isinstance(verify_consistency(size1, size2, root1, root2, proof), bool)


# -- plans for trees too large to build -----------------------------------------------------


def spans(elements: list[tuple[tuple[int, int], ...]]) -> list[tuple[int, int]]:
    """The leaf ranges of every node of a plan, checking each element's nodes are adjacent."""
    out: list[tuple[int, int]] = []
    for element in elements:
        for (level, index), (next_level, next_index) in itertools.pairwise(element):
            assert next_level < level and (index + 1) << level == next_index << next_level
        out.extend(((index << level), (index + 1) << level) for level, index in element)
    return out


def assert_tiles(ranges: list[tuple[int, int]], size: int) -> None:
    """The ranges are disjoint and cover exactly [0, size)."""
    position = 0
    for start, end in sorted(ranges):
        assert start == position and end > start
        position = end
    assert position == size


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 2**63), data=st.data())
def test_inclusion_plan_tiles_the_tree(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    plan = inclusion_nodes(index, size)
    assert sum(len(element) for element in plan) <= 2 * size.bit_length()
    assert_tiles([*spans(plan), (index, index + 1)], size)


@settings(max_examples=300, deadline=None)
@given(size2=st.integers(1, 2**63), data=st.data())
def test_consistency_plan_tiles_the_tree(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.integers(1, size2 - 1) if size2 > 1 else st.just(1), label="size1")
    plan = consistency_nodes(size1, size2)
    assert sum(len(element) for element in plan) <= 2 * size2.bit_length() + 1
    ranges = spans(plan)
    if size1 & (size1 - 1) == 0:
        ranges.append((0, size1))  # the old root, which the verifier holds
    assert_tiles(ranges if size1 < size2 else [(0, size2)], size2)
