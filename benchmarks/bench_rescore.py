"""``rescore`` from the ledger vs the hand-written DuckDB query over the same records in Parquet.

Builds a ledger of N entries with a fast bulk builder (the same entries the product writes:
canonical ``RecordFiled`` data through :meth:`Ledger.append_encoded`, and the lifecycle entries
— corrections, withdrawals, recertifications, disputes with evidence, decisions and appeals —
in the shapes :mod:`socialcredit.rights._disputes` writes, through :meth:`Ledger.append`), or
takes an existing ledger (``--store``). Then, in the same run and process, medians over repeats:

* **ours**: :func:`socialcredit.scoring.rescore` from the ledger, whole (the effective records
  streamed from the store into the compiled DuckDB plan), three ways: *cold* (no snapshot: the
  whole ledger scanned), *behind* (a record-columns snapshot about ``--behind`` entries old:
  the entries after it scanned) and *warm* (a snapshot of the whole ledger); the snapshots
  are written by :mod:`socialcredit.scoring._record_columns` (write time reported);
* **peer**: the same effective records exported once to Parquet (export timed separately),
  then a hand-written DuckDB query over the Parquet file (the policy's rules inlined as
  ``CASE`` constants, generated from the same compiled policy so that it cannot drift).

Results are checked identical before any timing counts.

    .venv/bin/python benchmarks/bench_rescore.py --entries 1000000 [--repeat 3] [--replay]

A generated ledger goes to a temporary directory (or ``--keep DIR``; keep it under /tmp).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch_scoring import hand_written_query

from socialcredit.catalogue import default_catalogue
from socialcredit.demo import ORGANISATION_KINDS, PERSON_KINDS
from socialcredit.demo._filers import reference_of, source_of
from socialcredit.ledger import EncodedBatch, Ledger, PendingEntry, Signer, create_key_file
from socialcredit.policy import default_bundle, publish
from socialcredit.records import RecordIndex
from socialcredit.scoring import rescore
from socialcredit.scoring._batch import batch_scores_table, records_table
from socialcredit.scoring._engine import compiled_bundle, resolve_policy
from socialcredit.scoring._record_columns import (
    NAME,
    CurrentColumns,
    refresh_columns_snapshot,
    write_columns_snapshot,
)
from socialcredit.scoring._stream import effective_records, lifecycle_of, scan_columns
from socialcredit.storage._sqlite import SQLiteStore
from socialcredit.timeutil import format_time, to_us

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
START = date(2023, 11, 1)
MONTHS = 36
LIFECYCLE_SHARE = 0.01  # lifecycle entries per record filed
_US_DAY = 86_400_000_000
_AMOUNTS = {"CNY": (200, 200_000), "hours": (1, 40), "ml": (200, 400)}


# -- the bulk builder ------------------------------------------------------------------------


@dataclass
class _Kinds:
    """Per subject kind: the kinds filed, their weights, and how each is filed."""

    names: list[str]
    probabilities: np.ndarray
    sources: list[str]
    amounts: list[tuple[float, int, int] | None]  # (chance present, low, high)
    references: list[list[str]]


def _kinds(weights: dict[str, float]) -> _Kinds:
    catalogue = default_catalogue()
    names = list(weights)
    total = sum(weights.values())
    kinds = [catalogue.kind(n) for n in names]
    amounts: list[tuple[float, int, int] | None] = []
    for kind in kinds:
        if kind.amount is None:
            amounts.append(None)
            continue
        low, high = _AMOUNTS.get(kind.amount.unit or "CNY", (1, 1000))
        amounts.append((1.0 if kind.amount.required else 0.5, low, high))
    references = [
        [reference_of(k, 2025, s) for s in range(1, 200)] if k.evidence is not None else []
        for k in kinds
    ]
    return _Kinds(
        names,
        np.array([weights[n] / total for n in names]),
        [source_of(k).name for k in kinds],
        amounts,
        references,
    )


Subject = tuple[str, str]
Target = tuple[int, Subject]


@dataclass
class _State:
    """What the builder has written so far, so that the lifecycle it writes is coherent."""

    rng: np.random.Generator
    recent: list[Target] = field(default_factory=list)  # the last records filed
    withdrawn: dict[int, Subject] = field(default_factory=dict)
    open_disputes: dict[str, Target] = field(default_factory=dict)
    decided: dict[str, Target] = field(default_factory=dict)
    disputed: dict[int, int] = field(default_factory=dict)  # position -> disputes opened
    in_dispute: set[int] = field(default_factory=set)

    def target(self) -> Target | None:
        """A recent record that is neither withdrawn nor under an open dispute."""
        position, subject = self.recent[int(self.rng.integers(len(self.recent)))]
        busy = position in self.withdrawn or position in self.in_dispute
        return None if busy else (position, subject)


def build_ledger(directory: Path, entries: int, seed: int = 2026) -> Ledger:
    """A ledger of ``entries`` entries: a policy at genesis, then 36 months of records (filed
    at each month's end) and about 1 % lifecycle entries (filed mid-month)."""
    clock = _Clock(_us(START))
    store, key = SQLiteStore(directory / "l.db"), create_key_file(directory / "k.key")
    ledger = Ledger.create(store, key, "bench/rescore", clock)
    publish(ledger, default_bundle())
    state = _State(np.random.default_rng(seed))
    kinds = (_kinds(PERSON_KINDS), _kinds(ORGANISATION_KINDS))
    subjects = max(entries // 8, 10)
    per_month = max(entries // MONTHS, 1)
    for month in range(MONTHS):
        first = _add_months(START, month)
        clock.now = _us(first) + 15 * _US_DAY
        _file_lifecycle(ledger, state, int(per_month * LIFECYCLE_SHARE))
        clock.now = _us(_add_months(START, month + 1))
        left = entries - ledger.size()
        count = (
            left if month == MONTHS - 1 else min(left, per_month - int(per_month * LIFECYCLE_SHARE))
        )
        _file_records(ledger, state, kinds, subjects, _us(first), max(count, 0))
    return ledger


class _Clock:
    """A settable ledger clock."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def _us(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp()) * 1_000_000


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, 1)


def _file_records(
    ledger: Ledger,
    state: _State,
    kinds: tuple[_Kinds, _Kinds],
    subjects: int,
    month_us: int,
    count: int,
) -> None:
    """``count`` records that occurred in the month starting at ``month_us``."""
    rng, batch = state.rng, 50_000
    for start in range(0, count, batch):
        n = min(batch, count - start)
        who = (rng.zipf(1.3, n) - 1 + rng.integers(0, subjects, n)) % subjects
        org = who % 20 == 0
        occurred = month_us + rng.integers(0, 28 * 86_400, n) * 1_000_000
        data, keys = [], []
        for i in range(n):
            subject = (
                ("organisation", f"91110{int(who[i]):012d}X")
                if org[i]
                else ("person", f"110101{int(who[i]):012d}")
            )
            data.append(_record_json(rng, kinds[int(org[i])], subject, int(occurred[i])))
            keys.append(subject)
        done = ledger.append_encoded(EncodedBatch("RecordFiled", data, [None] * n, keys))
        state.recent = list(zip(done.positions, keys, strict=True))[-100_000:]


def _record_json(rng: np.random.Generator, table: _Kinds, subject: Subject, at: int) -> bytes:
    """A record's data in canonical JSON, as ingest writes it."""
    k = int(rng.choice(len(table.names), p=table.probabilities))
    data: dict[str, Any] = {
        "kind": table.names[k],
        "occurred_at": format_time(at),
        "source": table.sources[k],
        "subject": {"id": subject[1], "kind": subject[0]},
    }
    amount = table.amounts[k]
    if amount is not None and rng.random() < amount[0]:
        data["amount"] = int(rng.integers(amount[1], amount[2]))
    if table.references[k]:
        data["evidence"] = table.references[k][int(rng.integers(len(table.references[k])))]
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _file_lifecycle(ledger: Ledger, state: _State, count: int) -> None:
    """About ``count`` lifecycle entries about records filed earlier, in one append."""
    if not state.recent or count <= 0:
        return
    out: list[PendingEntry] = []
    names = list(_OPS)
    for pick in state.rng.choice(len(names), size=count, p=[_OPS[n][0] for n in names]):
        out.extend(_OPS[names[pick]][1](state))
    if out:
        ledger.append(out)


def _correct(state: _State) -> list[PendingEntry]:
    found = state.target()
    if found is None:
        return []
    data = {"record": found[0], "changes": _changes(state), "by": "source", "reason": "typo"}
    return [PendingEntry("RecordCorrected", data, None, found[1])]


def _changes(state: _State) -> dict[str, Any]:
    pick = int(state.rng.integers(3))
    if pick == 0:
        return {"amount": int(state.rng.integers(0, 5000))}
    if pick == 1:
        return {"amount": None}
    return {"occurred_at": format_time(_us(START) + int(state.rng.integers(0, 900)) * _US_DAY)}


def _withdraw(state: _State) -> list[PendingEntry]:
    found = state.target()
    if found is None:
        return []
    state.withdrawn[found[0]] = found[1]
    data = {"record": found[0], "by": "source", "reason": "filed in error"}
    return [
        PendingEntry("RecordWithdrawn", data | {"recertification_required": False}, None, found[1])
    ]


def _recertify(state: _State) -> list[PendingEntry]:
    if not state.withdrawn:
        return []
    position, subject = state.withdrawn.popitem()
    notice = {"to": {"kind": subject[0], "id": subject[1]}, "text": "It counts again."}
    data = {"record": position, "by": "source", "evidence": "certified", "notice": notice}
    return [PendingEntry("RecordRecertified", data, None, subject)]


def _open(state: _State) -> list[PendingEntry]:
    found = state.target()
    if found is None:
        return []
    position, subject = found
    state.disputed[position] = state.disputed.get(position, 0) + 1
    dispute = f"D{position}-{state.disputed[position]}"
    state.open_disputes[dispute] = found
    state.in_dispute.add(position)
    data = {
        "dispute": dispute,
        "target": position,
        "target_type": "RecordFiled",
        "subject": {"kind": subject[0], "id": subject[1]},
        "grounds": "not me",
    }
    return [PendingEntry("DisputeOpened", data, f"dispute:{dispute}", subject)]


def _evidence(state: _State) -> list[PendingEntry]:
    if not state.open_disputes:
        return []
    dispute, (_, subject) = next(iter(state.open_disputes.items()))
    data = {"dispute": dispute, "by": "subject", "evidence": "a receipt"}
    return [PendingEntry("DisputeEvidenceAdded", data, None, subject)]


def _decide(state: _State) -> list[PendingEntry]:
    """Decide the oldest open dispute (often after its deadline: suspended meanwhile)."""
    if not state.open_disputes:
        return []
    dispute = next(iter(state.open_disputes))
    target = state.open_disputes.pop(dispute)
    state.in_dispute.discard(target[0])
    outcome = ("upheld", "corrected", "deleted")[int(state.rng.integers(3))]
    data = {"dispute": dispute, "outcome": outcome, "by": "officer", "reason": "reviewed"}
    state.decided[dispute] = target
    out = [PendingEntry("DisputeDecided", data, f"decide:{dispute}", target[1])]
    return out + _effect(state, dispute, target, outcome, {})


def _effect(
    state: _State, dispute: str, target: Target, outcome: str, extra: dict[str, Any]
) -> list[PendingEntry]:
    base = {"record": target[0], "by": "officer", "reason": "reviewed", "dispute": dispute}
    if outcome == "corrected":
        data = base | extra | {"changes": _changes(state)}
        return [PendingEntry("RecordCorrected", data, None, target[1])]
    if outcome == "deleted":
        state.withdrawn[target[0]] = target[1]
        data = base | extra | {"recertification_required": True}
        return [PendingEntry("RecordWithdrawn", data, None, target[1])]
    return []


def _appeal(state: _State) -> list[PendingEntry]:
    """Open and decide the appeal of a decided dispute."""
    if not state.decided:
        return []
    dispute, target = state.decided.popitem()
    if target[0] in state.withdrawn:
        return []
    appeal = f"A{dispute}"
    outcome = ("confirmed", "corrected", "deleted")[int(state.rng.integers(3))]
    opened = {"appeal": appeal, "dispute": dispute, "grounds": "unfair"}
    data = {"appeal": appeal, "dispute": dispute, "outcome": outcome, "by": "judge", "reason": "r"}
    return [
        PendingEntry("AppealOpened", opened, f"appeal:{dispute}", target[1]),
        PendingEntry("AppealDecided", data, f"appeal-decided:{dispute}", target[1]),
        *_effect(state, dispute, target, outcome, {"appeal": appeal}),
    ]


_OPS: dict[str, tuple[float, Callable[[_State], list[PendingEntry]]]] = {
    "correct": (0.2, _correct),
    "withdraw": (0.1, _withdraw),
    "recertify": (0.05, _recertify),
    "open": (0.3, _open),
    "evidence": (0.1, _evidence),
    "decide": (0.2, _decide),
    "appeal": (0.05, _appeal),
}


# -- the measurement --------------------------------------------------------------------------


def ours(store: Path, snapshot: bool, expect_from: int) -> tuple[float, pa.Table]:
    """Whole ``rescore`` from the ledger (a fresh ledger object: nothing cached), from the
    record-columns snapshot of ``expect_from`` entries (or with none)."""
    ledger = Ledger(SQLiteStore(store))
    started = time.perf_counter()
    done = rescore(ledger, as_of=AS_OF, snapshot=snapshot)
    elapsed = time.perf_counter() - started
    ledger.store.close()
    if done.restored_from != expect_from or done.refused:
        raise SystemExit(f"expected the snapshot of {expect_from}: {done.refused}")
    return elapsed, done.table


def _signed(store: Path) -> Ledger:
    """The ledger opened with its key (``k.key`` beside the store, as the builder writes it)."""
    return Ledger(SQLiteStore(store), Signer.from_key_file(store.parent / "k.key"))


def snapshot_behind(store: Path, behind: int) -> int:
    """Write the record-columns snapshot at the last signed size at least ``behind`` entries
    before the end; returns that size."""
    ledger = _signed(store)
    size = ledger.size()
    sizes = [c.size for c in ledger.store.checkpoints(max(0, size - 4 * behind))]
    at = max((s for s in sizes if s <= size - behind), default=sizes[0])
    columns = scan_columns(ledger, 0, at)  # as `socialcredit snapshot` wrote it then
    write_columns_snapshot(ledger, CurrentColumns(columns, lifecycle_of(columns), 0, ()))
    ledger.store.close()
    return at


def snapshot_now(store: Path) -> tuple[float, int]:
    """Write the record-columns snapshot of the whole ledger from scratch; seconds, bytes."""
    ledger = _signed(store)
    with ledger.store.write() as txn:
        txn.delete_snapshots(NAME, keep=-1)
    started = time.perf_counter()
    refresh_columns_snapshot(ledger)
    seconds = time.perf_counter() - started
    parts = ledger.store.read_snapshot_parts(NAME, ledger.size())
    size = sum(len(chunk) for _, chunk in parts)
    ledger.store.close()
    return seconds, size


def export(store: Path, target: Path) -> tuple[float, int]:
    """The effective records written to Parquet once; seconds and rows."""
    ledger = Ledger(SQLiteStore(store))
    started = time.perf_counter()
    records = effective_records(ledger, to_us(AS_OF)).table
    pq.write_table(records, target)
    ledger.store.close()
    return time.perf_counter() - started, records.num_rows


def peer(source: Path) -> tuple[float, pa.Table]:
    """The hand-written DuckDB query over the Parquet file (connection opened untimed)."""
    import duckdb

    policy = compiled_bundle(default_bundle())
    con = duckdb.connect()
    started = time.perf_counter()
    table = con.sql(hand_written_query(policy, str(source)), params={"as_of": to_us(AS_OF)})
    out = table.to_arrow_table()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, out


def replay_seconds(store: Path) -> float:
    """The replay this replaced: every entry decoded into Python objects, then scored."""
    ledger = Ledger(SQLiteStore(store))
    started = time.perf_counter()
    rows = list(RecordIndex.build(ledger).effective_rows(to_us(AS_OF)))
    batch_scores_table(records_table(rows), resolve_policy(ledger, AS_OF, AS_OF), as_of=AS_OF)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, help="an existing ledger (SQLite) to measure")
    parser.add_argument("--keep", type=Path, help="build the ledger in this directory")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--behind", type=int, default=100_000, help="entries after a snapshot")
    parser.add_argument("--replay", action="store_true", help="also time the old replay once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or _built(args.keep or Path(tmp), args.entries)
        size = Ledger(SQLiteStore(store)).size()
        parquet = Path(tmp) / "records.parquet"
        exported, rows = export(store, parquet)
        with _signed(store).store.write() as txn:
            txn.delete_snapshots(NAME, keep=-1)
        cold, subjects = _measure(store, parquet, args.repeat, False, 0)
        at = snapshot_behind(store, args.behind)
        behind = _measure(store, parquet, args.repeat, True, at)[0]
        written, stored = snapshot_now(store)
        warm = _measure(store, parquet, args.repeat, True, size)[0]
        print(
            f"rescore over {size:,} entries ({rows:,} effective records, {subjects:,} "
            f"subjects), medians of {args.repeat}; each run of ours followed by one of the peer"
        )
        print(f"  export to Parquet (once)       {exported:8.2f} s")
        for label, (o, p) in (
            ("cold (no snapshot)", cold),
            (f"behind ({size - at:,} after)", behind),
            ("warm (snapshot current)", warm),
        ):
            print(
                f"  rescore, {label:26s} {o:7.2f} s; DuckDB over Parquet {p:6.2f} s "
                f"({rows / p:>10,.0f} rows/s); ratio {o / p:5.2f}"
            )
        print(f"  snapshot written from scratch  {written:8.2f} s  {stored / 2**20:,.1f} MiB")
        if args.replay:
            r = replay_seconds(store)
            print(f"  the replay it replaced (once)  {r:8.2f} s  {size / r:>12,.0f} entries/s")


def _measure(
    store: Path, parquet: Path, repeat: int, snapshot: bool, expect_from: int
) -> tuple[tuple[float, float], int]:
    """Median seconds of ``rescore`` (``snapshot`` as given) and of the peer, each run of ours
    followed by one of the peer (the same load); results checked equal. Also the subjects."""
    ours_s, peer_s = [], []
    for _ in range(repeat):
        seconds, got = ours(store, snapshot, expect_from)
        ours_s.append(seconds)
        seconds, want = peer(parquet)
        peer_s.append(seconds)
        same = got.select(want.column_names)  # the plan adds sector grades the peer lacks
        if not same.equals(want.cast(same.schema)):
            raise SystemExit("rescore and the hand-written query disagree")
    return (statistics.median(ours_s), statistics.median(peer_s)), got.num_rows


def _built(directory: Path, entries: int) -> Path:
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    build_ledger(directory, entries).store.close()
    print(f"built {entries:,} entries in {time.perf_counter() - started:.1f} s")
    return directory / "l.db"


if __name__ == "__main__":
    main()
