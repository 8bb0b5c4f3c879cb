"""Hashing throughput: the C extension vs the pure-Python fallback vs a plain hashlib loop.

Leaf hashes of ~200-byte entries (from a list, and straight from a packed bundle), one parent
level of the resulting leaf hashes, and the root of the whole tree; medians of a few runs, all
in one process so the numbers compare.

    .venv/bin/python benchmarks/bench_hashing.py --entries 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.ledger import _hashing as hashing


def load_hashing(pure: bool) -> ModuleType:
    """A private copy of ``hashing`` that picks its implementation afresh."""
    spec = importlib.util.spec_from_file_location(
        f"socialcredit.ledger._bench_hashing_{pure}", hashing.__file__
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = os.environ.pop("SOCIALCREDIT_PURE_PYTHON", None)
    if pure:
        os.environ["SOCIALCREDIT_PURE_PYTHON"] = "1"
    try:
        spec.loader.exec_module(module)
    finally:
        os.environ.pop("SOCIALCREDIT_PURE_PYTHON", None)
        if saved is not None:
            os.environ["SOCIALCREDIT_PURE_PYTHON"] = saved
    return module


def make_entries(count: int, size: int) -> list[bytes]:
    """``count`` distinct entries of ``size`` +- 25% bytes, like canonical JSON records."""
    rng = random.Random(2026)
    blob = rng.randbytes(2 * size + 64)
    entries = []
    for i in range(count):
        length = size + rng.randint(-size // 4, size // 4)
        start = rng.randint(0, len(blob) - length)
        entries.append(i.to_bytes(8, "big") + blob[start : start + length - 8])
    return entries


def median_rate(work: Callable[[], Any], items: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return items / statistics.median(times)


def plain_leaves(entries: list[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(b"\x00" + e).digest() for e in entries]


def plain_parents(level: list[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    return [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]


def plain_root(level: list[bytes]) -> bytes:
    while len(level) > 1:
        level = plain_parents(level) + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=200, help="mean entry size in bytes")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    native, pure = load_hashing(pure=False), load_hashing(pure=True)
    entries = make_entries(args.entries, args.size)
    bundle = pure.pack_bundle(entries)
    leaves = pure.leaf_hashes(entries)
    leaf_list = plain_leaves(entries)
    pairs = leaves[: len(leaves) // 64 * 64]
    n, half = len(entries), len(pairs) // 64
    backend = f"{native._native.BACKEND}, {native._native.OPENSSL_VERSION}" if native.NATIVE else ""
    print(
        f"{n:,} entries of ~{args.size} bytes, median of {args.repeat} runs; "
        f"native extension: {'yes (' + backend + ')' if native.NATIVE else 'NOT BUILT'}"
    )
    impls = [("native", native)] if native.NATIVE else []
    impls.append(("pure Python", pure))
    rows: list[tuple[str, str, float]] = []
    for name, impl in impls:
        rows.append(
            ("leaf hashes", name, median_rate(partial(impl.leaf_hashes, entries), n, args.repeat))
        )
        rows.append(
            (
                "leaf hashes from a bundle",
                name,
                median_rate(partial(impl.bundle_leaf_hashes, bundle), n, args.repeat),
            )
        )
        rows.append(
            (
                "parent level",
                name,
                median_rate(partial(impl.parent_level, pairs), half, args.repeat),
            )
        )
        rows.append(
            (
                "root of all leaves (nodes)",
                name,
                median_rate(partial(impl.subtree_root, leaves), n - 1, args.repeat),
            )
        )
    rows.append(
        ("leaf hashes", "plain hashlib", median_rate(lambda: plain_leaves(entries), n, args.repeat))
    )
    rows.append(
        (
            "parent level",
            "plain hashlib",
            median_rate(lambda: plain_parents(leaf_list), half, args.repeat),
        )
    )
    rows.append(
        (
            "root of all leaves (nodes)",
            "plain hashlib",
            median_rate(lambda: plain_root(leaf_list), n - 1, args.repeat),
        )
    )
    for what in dict.fromkeys(row[0] for row in rows):
        print(f"\n  {what}")
        for row_what, name, rate in rows:
            if row_what == what:
                print(f"    {name:<14} {rate:>14,.0f} hashes/s")


if __name__ == "__main__":
    main()
