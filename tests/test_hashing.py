"""The hashing core: known answers, and the C extension and pure Python agreeing exactly."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.ledger import _hashing as hashing

PROPERTY = settings(max_examples=100, deadline=None)


def load_hashing(pure: bool) -> ModuleType:
    """A private copy of ``hashing`` that picks its implementation afresh."""
    name = f"socialcredit.ledger._test_hashing_{'pure' if pure else 'native'}"
    spec = importlib.util.spec_from_file_location(name, hashing.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = os.environ.pop("SOCIALCREDIT_PURE_PYTHON", None)
    try:
        if pure:
            os.environ["SOCIALCREDIT_PURE_PYTHON"] = "1"
        spec.loader.exec_module(module)
    finally:
        os.environ.pop("SOCIALCREDIT_PURE_PYTHON", None)
        if saved is not None:
            os.environ["SOCIALCREDIT_PURE_PYTHON"] = saved
    return module


PURE = load_hashing(pure=True)
NATIVE = load_hashing(pure=False)
needs_native = pytest.mark.skipif(
    not NATIVE.NATIVE,
    reason="the C extension socialcredit.ledger._native is not built (no compiler or OpenSSL "
    "headers at install time); only the pure-Python implementation is tested",
)


@pytest.fixture(params=["pure", pytest.param("native", marks=needs_native)])
def impl(request: pytest.FixtureRequest) -> ModuleType:
    return PURE if request.param == "pure" else NATIVE


def outcome(function: Callable[..., Any], *args: object) -> tuple[str, Any]:
    """The result of a call, or the type and message of the error it raised."""
    try:
        return "ok", function(*args)
    except ValueError as exc:
        return "ValueError", str(exc)
    except TypeError:
        return "TypeError", None  # CPython's own wording differs between C and Python


def same(name: str, *args: object) -> tuple[str, Any]:
    """Call ``name`` on both implementations; they must return or raise exactly alike."""
    pure = outcome(getattr(PURE, name), *args)
    if NATIVE.NATIVE:
        assert outcome(getattr(NATIVE, name), *args) == pure, name
    return pure


# -- known answers --------------------------------------------------------------------------


def test_flags() -> None:
    assert PURE.NATIVE is False
    assert hashing.NATIVE in (True, False)


def test_known_answers(impl: ModuleType) -> None:
    empty_leaf = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert impl.leaf_hash(b"").hex() == empty_leaf
    assert impl.EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    leaf0, leaf1 = impl.leaf_hash(b""), impl.leaf_hash(b"\x00")
    size2 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
    assert impl.node_hash(leaf0, leaf1).hex() == size2
    assert impl.parent_level(leaf0 + leaf1).hex() == size2
    assert impl.subtree_root(leaf0 + leaf1).hex() == size2
    assert impl.subtree_root(leaf0) == leaf0
    assert impl.leaf_hashes([b"", b"\x00"]) == leaf0 + leaf1
    assert impl.pack_bundle([b"ab", b""]) == b"\x00\x00\x00\x02ab\x00\x00\x00\x00"
    assert impl.bundle_leaf_hashes(b"\x00\x00\x00\x00\x00\x00\x00\x01\x00") == (leaf0 + leaf1, 2)
    assert impl.unpack_bundle(b"") == [] and impl.bundle_leaf_hashes(b"") == (b"", 0)
    assert impl.parent_level(b"") == b"" and impl.leaf_hashes([]) == b""


def test_matches_plain_hashlib(impl: ModuleType) -> None:
    entries = [bytes([i % 256]) * i for i in range(300)] + [b"x" * 70_000]
    expected = b"".join(hashlib.sha256(b"\x00" + e).digest() for e in entries)
    assert impl.leaf_hashes(entries) == expected
    assert b"".join(impl.leaf_hash(e) for e in entries) == expected
    assert impl.bundle_leaf_hashes(impl.pack_bundle(entries)) == (expected, len(entries))
    pairs = expected[: 300 * 32]
    assert impl.parent_level(pairs) == b"".join(
        hashlib.sha256(b"\x01" + pairs[i : i + 64]).digest() for i in range(0, len(pairs), 64)
    )


# -- native and pure Python agree ------------------------------------------------------------


@needs_native
@PROPERTY
@given(entries=st.lists(st.binary(max_size=600), max_size=40))
def test_entries_agree(entries: list[bytes]) -> None:
    hashes = same("leaf_hashes", entries)
    assert same("leaf_hashes", tuple(entries)) == hashes
    bundle = same("pack_bundle", entries)
    assert same("unpack_bundle", bundle[1]) == ("ok", entries)
    assert same("bundle_leaf_hashes", bundle[1]) == ("ok", (hashes[1], len(entries)))
    for entry in entries[:5]:
        same("leaf_hash", entry)


@needs_native
@PROPERTY
@given(data=st.binary(max_size=300), cut=st.integers(0, 300))
def test_malformed_bundles_agree(data: bytes, cut: int) -> None:
    same("unpack_bundle", data)
    same("bundle_leaf_hashes", data)
    valid = NATIVE.pack_bundle([data, data[:7]])
    same("unpack_bundle", valid[:cut])
    same("bundle_leaf_hashes", valid[:cut])


@needs_native
@PROPERTY
@given(count=st.integers(0, 70), extra=st.integers(0, 31), seed=st.binary(min_size=1))
def test_levels_agree(count: int, extra: int, seed: bytes) -> None:
    hashes = b"".join(hashlib.sha256(seed + i.to_bytes(2, "big")).digest() for i in range(count))
    same("parent_level", hashes)
    same("parent_level", hashes + bytes(extra))
    same("subtree_root", hashes)
    same("subtree_root", hashes + bytes(extra))
    if count >= 2:
        same("node_hash", hashes[:32], hashes[32:64])
    same("node_hash", hashes[:extra], bytes(32))
    same("node_hash", bytes(32), hashes[: 32 + extra])


@needs_native
def test_bytes_like_inputs_and_type_errors_agree() -> None:
    entries = [b"a", bytearray(b"bc"), memoryview(b"def")]
    same("leaf_hashes", entries)
    same("pack_bundle", entries)
    bundle = NATIVE.pack_bundle(entries)
    same("unpack_bundle", bytearray(bundle))
    same("bundle_leaf_hashes", memoryview(bundle))
    hashes = NATIVE.leaf_hashes([b"1", b"2", b"3"])
    same("subtree_root", memoryview(hashes))
    same("parent_level", bytearray(hashes[:64]))
    for name in ("leaf_hashes", "pack_bundle"):
        assert same(name, [b"ok", "text"])[0] == "TypeError"
    assert same("leaf_hash", "text")[0] == "TypeError"


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", "truncated at byte 0: a length prefix needs 4 bytes, only 2 remain"),
        (b"\x00\x00\x00\x01a\x00", "truncated at byte 5"),
        (b"\x00\x00\x00\x01a\x00\x00\x00\x09abc", "entry at byte 5 declares 9 bytes, only 3"),
    ],
)
def test_malformed_bundle_names_the_offset(impl: ModuleType, data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        impl.unpack_bundle(data)
    with pytest.raises(ValueError, match=message):
        impl.bundle_leaf_hashes(data)


def test_malformed_levels_raise(impl: ModuleType) -> None:
    with pytest.raises(ValueError, match="multiple of 64 bytes"):
        impl.parent_level(bytes(96))
    with pytest.raises(ValueError, match="got 0 bytes"):
        impl.subtree_root(b"")
    with pytest.raises(ValueError, match="got 40 bytes"):
        impl.subtree_root(bytes(40))
    with pytest.raises(ValueError, match="right must be a 32-byte hash, got 31 bytes"):
        impl.node_hash(bytes(32), bytes(31))


def test_entries_of_four_gibibytes_do_not_fit_a_bundle() -> None:
    class Huge(bytes):  # claims 2**32 bytes without allocating them
        def __len__(self) -> int:
            return 2**32

    with pytest.raises(ValueError, match="entry 1 is 4294967296 bytes"):
        PURE.pack_bundle([b"", Huge()])


# -- the GIL is released, the environment switch works ---------------------------------------


@needs_native
def test_concurrent_hashing_from_threads() -> None:
    entries = [i.to_bytes(4, "big") * 50 for i in range(20_000)]
    expected = PURE.leaf_hashes(entries)
    bundle = NATIVE.pack_bundle(entries)
    results: list[bytes] = []

    def work() -> None:
        results.append(NATIVE.leaf_hashes(entries))
        results.append(NATIVE.bundle_leaf_hashes(bundle)[0])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


def _run_isolated(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SOCIALCREDIT_PURE_PYTHON"}
    if env_value is not None:
        env["SOCIALCREDIT_PURE_PYTHON"] = env_value
    code = "from socialcredit.ledger._hashing import NATIVE; print(NATIVE)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_environment_forces_the_fallback() -> None:
    assert _run_isolated("1") == "False"


@needs_native
def test_native_is_used_by_default() -> None:
    assert _run_isolated(None) == "True"


@pytest.fixture(autouse=True)
def _no_leaked_environment() -> Iterator[None]:
    before = os.environ.get("SOCIALCREDIT_PURE_PYTHON")
    yield
    assert os.environ.get("SOCIALCREDIT_PURE_PYTHON") == before
