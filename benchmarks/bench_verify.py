"""``verify`` throughput over a whole ledger, next to a plain ``hashlib`` recompute of the same
entries (leaf hashes and the Merkle root, in Python) as the peer.

    .venv/bin/python benchmarks/bench_verify.py --entries 5000000
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.ledger import Ledger, PendingEntry, create_key_file, verify_ledger
from socialcredit.ledger.hashing import NATIVE
from socialcredit.storage.sqlite import SQLiteStore


def build(directory: Path, entries: int) -> Ledger:
    signer = create_key_file(directory / "k.key")
    ledger = Ledger.create(SQLiteStore(directory / "l.db"), signer, "bench/verify")
    batch = 50_000
    for start in range(0, entries, batch):
        ledger.append(
            [
                PendingEntry(
                    "RecordFiled",
                    {
                        "kind": "administrative_penalty_general",
                        "occurred_at": "2025-03-01T00:00:00Z",
                        "source": "market_regulator:beijing",
                        "subject": {"id": f"11010119800101{i % 10_000:04d}", "kind": "person"},
                        "amount": i % 100_000,
                    },
                )
                for i in range(start, min(start + batch, entries))
            ],
            checked=True,
        )
    return ledger


def plain_hashlib(ledger: Ledger) -> float:
    started = time.perf_counter()
    sha = hashlib.sha256
    level = [sha(b"\x00" + raw).digest() for _, raw in ledger.raw_entries()]
    while len(level) > 1:
        nxt = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        level = nxt + ([level[-1]] if len(level) % 2 else [])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = build(Path(tmp), args.entries)
        ours, peer = [], []
        for _ in range(args.repeat):
            report = verify_ledger(ledger.store, ledger.public_key)
            assert report.ok, report.problems
            ours.append(report.seconds)
            peer.append(plain_hashlib(ledger))
        o, p = statistics.median(ours), statistics.median(peer)
        print(
            f"verify over {args.entries:,} entries (native hashing: {NATIVE}), "
            f"median of {args.repeat}"
        )
        print(f"  socialcredit verify             {args.entries / o:>12,.0f} entries/s")
        print(f"  plain hashlib leaves + root     {args.entries / p:>12,.0f} entries/s")
        print(f"  ratio                           {p / o:>12.2f}")


if __name__ == "__main__":
    main()
