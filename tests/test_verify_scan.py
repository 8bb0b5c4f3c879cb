"""``verify``'s one-pass C reading of a bundle agrees with the exact Python decoding.

The C extension hashes each entry and scans it for the index checks (ledger time, carried
idempotency key). Its scanner vouches only for entries it reads exactly as orjson and
``parse_time`` do; for anything else it hands the bundle back to the Python decoding. These
tests hold it to that: whenever it vouches, the Python path finds the same facts and no
error; hashes and roots match the hashing core; malformed bundles give the same errors.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.ledger import _verify_index
from socialcredit.ledger._hashing import (
    bundle_leaf_hashes,
    pack_bundle,
    subtree_root,
    unpack_bundle,
)
from socialcredit.timeutil import format_time

native = pytest.mark.skipif(
    _verify_index._verify_bundle is None, reason="the C extension is not built"
)
PROPERTY = settings(max_examples=300, deadline=None)
AT = "2026-11-27T19:18:38.123456Z"


def entry(data: Any, at: Any = AT, type_: Any = "RecordFiled", v: Any = 1) -> bytes:
    return orjson.dumps({"at": at, "data": data, "type": type_, "v": v})


def scanned(bundle: bytes) -> Any:
    assert _verify_index._verify_bundle is not None
    return _verify_index._verify_bundle(bundle)


def assert_agrees(entries: list[bytes]) -> bool:
    """The C pass over a bundle of ``entries`` agrees with Python; True if it vouched."""
    bundle = pack_bundle(entries)
    leaves, count, root, facts = scanned(bundle)
    assert (leaves, count) == bundle_leaf_hashes(bundle)
    assert root == (subtree_root(leaves) if count else None)
    decoded = _verify_index._decoded_facts(unpack_bundle(bundle))
    if facts is None:
        return False
    first, last, keys, times = facts
    assert decoded.errors == {}
    assert decoded.ordered
    assert keys == decoded.keys
    assert list(memoryview(times).cast("q")) == decoded.times
    assert (first, last) == (decoded.first_us, decoded.last_us)
    return True


@native
def test_ledger_entries_are_vouched_for() -> None:
    entries = [
        entry({"idempotency_key": f"k{i}", "n": i, "s": "é€😀 \u007f"}, format_time(10**15 + i))
        for i in range(300)
    ] + [entry({"idempotency_key": None, "list": [1, -2, [], {}, True, False, None]})]
    assert assert_agrees(entries)
    _, count, _, facts = scanned(pack_bundle(entries))
    assert count == 301 and facts[2][:2] == [(0, "k0"), (1, "k1")]


@native
@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b"",
        entry({"n": 1}) + b"x",
        entry({"n": 1.5}),
        entry({"n": 10**19}),
        entry({"n": 1}, v=True),
        entry({"n": 1}, v=1.0),
        entry({"n": 1}, type_=3),
        entry([1]),
        entry({"idempotency_key": 5}),
        entry({"idempotency_key": "a\\nb"}),
        entry({"n": 1}, at="2026-02-29T00:00:00Z"),
        entry({"n": 1}, at="2024-02-30T00:00:00Z"),
        entry({"n": 1}, at="2026-01-01T24:00:00Z"),
        entry({"n": 1}, at="2026-01-01T00:00:60Z"),
        entry({"n": 1}, at="0000-01-01T00:00:00Z"),
        entry({"n": 1}, at="2026-01-01T00:00:00.12345Z"),
        entry({"n": 1}, at="2026-01-01T00:00:00+00:00"),
        entry({"n": 1}, at="2026-01-01 00:00:00Z"),
        entry({"n": 1}, at=12),
        b'{"at":"2026-01-01T00:00:00Z","data":{},"type":"T","v":1,"v":2}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"idempotency_key":"a","idempotency_key":"b"},'
        b'"type":"T","v":1}',
        b'{"\\u0061t":"2026-01-01T00:00:00Z","data":{},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"idempotency\\u005fkey":"k"},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"s":"\\ud83d\\ude00"},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"s":"\\ud800"},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"s":"\xed\xa0\x80"},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"s":"\xc0\xaf"},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"s":"\xf4\x90\x80\x80"},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"s":"\x01"},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"n":01},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"n":-},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"n":1,},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{"n":tru},"type":"T","v":1}',
        b'{"at":"2026-01-01T00:00:00Z","data":{},"type":"T"}',
        b'{"at":"2026-01-01T00:00:00Z","data":{},"type":"T","v":1',
        b'\xef\xbb\xbf{"at":"2026-01-01T00:00:00Z","data":{},"type":"T","v":1}',
        entry({"deep": json.loads("[" * 70 + "]" * 70)}),
    ],
)
def test_anything_unusual_goes_to_python(raw: bytes) -> None:
    """Each of these is an error, or a value the scanner leaves to Python; either way the
    bundle is decoded in Python, and the answer is Python's."""
    assert not assert_agrees([entry({"n": 0}), raw])


@native
@pytest.mark.parametrize(
    "raw",
    [
        b' { "at" : "2026-01-01T00:00:00Z" , "data" : { "k" : [ 1 , { } ] } ,\n"type":"T",'
        b'"v":-0 }\r\n',
        b'{"v":1,"type":"T\\n","data":{"s":"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"},'
        b'"at":"2026-01-01T00:00:00.000000Z","extra":null}',
        b'{"at":"2024-02-29T23:59:59.999999Z","data":{"idempotency_key":"\xe6\x97\xa5"},'
        b'"type":"T","v":1}',
        b'{"at":"0001-01-01T00:00:00Z","data":{},"type":"T","v":1}',
        b'{"at":"9999-12-31T23:59:59.999999Z","data":{},"type":"T","v":1}',
    ],
)
def test_valid_entries_in_other_shapes_are_read_exactly(raw: bytes) -> None:
    assert assert_agrees([raw])


@native
def test_times_going_back_go_to_python() -> None:
    entries = [entry({"n": 1}, "2026-01-02T00:00:00Z"), entry({"n": 2}, "2026-01-01T00:00:00Z")]
    assert not assert_agrees(entries)
    assert not _verify_index._decoded_facts(entries).ordered


@native
@pytest.mark.parametrize(
    "bundle", [b"\x00\x00\x00", b"\x00\x00\x00\x05abc", pack_bundle([b"a"]) + b"\x00\x00\x01"]
)
def test_malformed_bundles_give_the_hashing_core_s_errors(bundle: bytes) -> None:
    with pytest.raises(ValueError) as expected:
        bundle_leaf_hashes(bundle)
    with pytest.raises(ValueError) as found:
        scanned(bundle)
    assert str(found.value) == str(expected.value)


@native
def test_an_empty_bundle_has_no_root() -> None:
    assert scanned(b"") == (b"", 0, None, None)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)
ledger_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)
times = st.integers(-(10**16), 2 * 10**17)
keys = st.none() | st.text(max_size=8) | st.integers(-(2**63), 2**64 - 1)


def encode(document: dict[str, Any], how: int) -> bytes:
    if how == 0:
        return orjson.dumps(document)
    return json.dumps(document, ensure_ascii=how == 1, indent=None if how < 3 else 1).encode()


@native
@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.text(max_size=5), json_values | ledger_values, max_size=4),
            keys,
            times,
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 3),
)
def test_any_entries_agree(items: list[tuple[dict[str, Any], Any, int]], how: int) -> None:
    entries = []
    ordered = sorted(at for _, _, at in items)
    for (data, key, _), at in zip(items, map(format_time, ordered), strict=True):
        if key is not None:
            data = {**data, "idempotency_key": key}
        entries.append(encode({"at": at, "data": data, "type": "T", "v": 1}, how))
    assert_agrees(entries)


@native
@PROPERTY
@given(st.data())
def test_damaged_entries_agree(data: st.DataObject) -> None:
    raw = bytearray(entry({"idempotency_key": "k1", "s": "é😀", "n": [1, {"a": None}]}))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["set", "insert", "delete"]))
        if action == "delete":
            del raw[at]
        else:
            byte = data.draw(st.sampled_from(b'"\\{}[],:0 -.eEut\x00\x80\xc3\xed\xff'))
            if action == "set":
                raw[at] = byte
            else:
                raw.insert(at, byte)
    assert_agrees([bytes(raw)])


plain_text = st.text(
    st.characters(min_codepoint=0x20, codec="utf-8", exclude_characters='"\\'), max_size=8
)


@native
@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.dictionaries(plain_text, ledger_values, max_size=4), st.none() | plain_text, times
        ),
        min_size=1,
        max_size=6,
    )
)
def test_ledger_shaped_entries_are_vouched_for(
    items: list[tuple[dict[str, Any], Any, int]],
) -> None:
    entries = []
    ordered = sorted(at for _, _, at in items)
    for (data, key, _), at in zip(items, map(format_time, ordered), strict=True):
        entries.append(entry({**data, "idempotency_key": key} if key is not None else data, at))
    assert assert_agrees(entries)
