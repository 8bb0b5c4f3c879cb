"""``verify`` throughput over a whole ledger, next to a plain ``hashlib`` recompute of the same
entries (leaf hashes and the Merkle root, in Python) as the peer.

    .venv/bin/python benchmarks/bench_verify.py --entries 5000000
    .venv/bin/python benchmarks/bench_verify.py --entries 1000000 --keyed

``--keyed`` gives every entry an idempotency key (carried in its data, as ingested records
do) and one of 10,000 subjects, so the derived-table checks have rows to compare. Besides
wall-clock throughput the benchmark prints CPU time per million entries (all threads), which
a busy shared machine disturbs far less.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.ledger import Ledger, PendingEntry, create_key_file, verify_ledger
from socialcredit.ledger._hashing import NATIVE
from socialcredit.storage._sqlite import SQLiteStore


def build(directory: Path, entries: int, *, keyed: bool = False) -> Ledger:
    signer = create_key_file(directory / "k.key")
    ledger = Ledger.create(SQLiteStore(directory / "l.db"), signer, "bench/verify")
    batch = 50_000
    for start in range(0, entries, batch):
        ledger.append(
            [_entry(i, keyed) for i in range(start, min(start + batch, entries))], checked=True
        )
    return ledger


def _entry(i: int, keyed: bool) -> PendingEntry:
    subject = f"11010119800101{i % 10_000:04d}"
    data: dict[str, object] = {
        "kind": "administrative_penalty_general",
        "occurred_at": "2025-03-01T00:00:00Z",
        "source": "market_regulator:beijing",
        "subject": {"id": subject, "kind": "person"},
        "amount": i % 100_000,
    }
    if not keyed:
        return PendingEntry("RecordFiled", data)
    key = f"market_regulator:beijing/{i}"
    return PendingEntry(
        "RecordFiled", {**data, "idempotency_key": key}, key, subject=("person", subject)
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
    parser.add_argument("--keyed", action="store_true", help="idempotency keys and subjects")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = build(Path(tmp), args.entries, keyed=args.keyed)
        ours, ours_cpu, peer, ratios = [], [], [], []
        for _ in range(args.repeat):
            started = _cpu()
            report = verify_ledger(ledger.store, ledger.public_key)
            ours_cpu.append(_cpu() - started)
            assert report.ok, report.problems
            ours.append(report.seconds)
            peer.append(plain_hashlib(ledger))
            ratios.append(peer[-1] / ours[-1])
        o, p = statistics.median(ours), statistics.median(peer)
        n = args.entries
        print(
            f"verify over {n:,} {'keyed ' if args.keyed else ''}entries "
            f"(native hashing: {NATIVE}), median of {args.repeat}"
        )
        print(f"  socialcredit verify             {n / o:>12,.0f} entries/s")
        print(f"  plain hashlib leaves + root     {n / p:>12,.0f} entries/s")
        print(f"  ratio (median of per-run)       {statistics.median(ratios):>12.2f}")
        print(f"  verify CPU per 1M entries       {statistics.median(ours_cpu) * 1e6 / n:>12.2f} s")
        print(f"  verify runs (entries/s)         {', '.join(f'{n / s:,.0f}' for s in ours)}")


if __name__ == "__main__":
    main()
