"""Per-subject scoring speed: a new record's effect on a score, and score with explanation.

Builds a ledger with one subject holding 100 records among ~20,000 others, then measures
(medians over many repetitions, in process):

* **live projection** (the incremental path): after a durable append of one more record for
  the subject, the time the in-process projection takes to apply it (its ledger listener) plus
  answering the subject's current score (target < 1 ms);
* **peer: catch-up + re-score**: the same effect through the record index — catch it up
  (reading only the new entry back from the store) and re-score from the subject's records;
* **explain**: score with explanation for the subject with 100 records (target < 5 ms).

The durable append itself (a committed, checkpointed SQLite transaction) is reported separately.

    .venv/bin/python benchmarks/bench_scoring.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.catalogue import default_catalogue, make_resident_id
from socialcredit.demo._city import build_city
from socialcredit.demo._filers import source_of
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger, create_key_file
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.scoring import compiled_bundle, explain, score
from socialcredit.scoring._projection import LiveScores
from socialcredit.storage._sqlite import SQLiteStore
from socialcredit.timeutil import from_us

CATALOGUE = default_catalogue()
SUBJECT = make_resident_id("110101", datetime(1980, 5, 17).date(), 123)
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def subject_rows(n: int, start: int) -> list[dict[str, str]]:
    kinds = ["fare_evasion", "volunteering", "administrative_penalty_minor", "blood_donation"]
    return [
        {
            "subject_id": SUBJECT,
            "subject_kind": "person",
            "kind": kinds[i % 4],
            "occurred_at": f"2026-{1 + (start + i) % 10:02d}-{1 + i % 28:02d}T09:00:00Z",
            "source": source_of(CATALOGUE.kind(kinds[i % 4])).name,
            **({"amount": "3"} if kinds[i % 4] == "volunteering" else {}),
        }
        for i in range(n)
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.create(
            SQLiteStore(Path(tmp) / "l.db"), create_key_file(Path(tmp) / "k"), "bench/scoring"
        )
        catalogue = default_catalogue()
        build_city(
            ledger,
            catalogue,
            residents=15_000,
            organisations=1_000,
            seed=1,
            policy=default_bundle(),
        )
        ingest_rows(ledger, catalogue, enumerate(subject_rows(100, 0), 1))
        policy = compiled_bundle(default_bundle())
        index = RecordIndex.build(ledger)
        print(
            f"ledger: {ledger.size():,} entries; subject has "
            f"{len(index.records('person', SUBJECT))} records"
        )
        now = datetime.now(UTC)
        explains = []
        for _ in range(200):
            t0 = time.perf_counter()
            found = explain(index, "person", SUBJECT, as_of=AS_OF, known_at=now, policy=policy)
            explains.append(time.perf_counter() - t0)
        counted = len(found.result.contributions)
        live = LiveScores.follow(ledger, policy)
        listener_times: list[float] = []
        follow = live.on_append
        ledger.remove_listener(follow)

        def timed_listener(first: int, encoded: Sequence[bytes]) -> None:
            t = time.perf_counter()
            follow(first, encoded)
            listener_times.append(time.perf_counter() - t)

        ledger.add_listener(timed_listener)
        appends, updates, lives = [], [], []
        for i in range(200):
            row = subject_rows(1, 100 + i)[0]
            t0 = time.perf_counter()
            ingest_rows(ledger, catalogue, [(1, row)])
            t1 = time.perf_counter()
            live.score("person", SUBJECT)
            t2 = time.perf_counter()
            index.catch_up(ledger)
            result = score(
                index, "person", SUBJECT, as_of=AS_OF, known_at=datetime.now(UTC), policy=policy
            )
            t3 = time.perf_counter()
            appends.append(t1 - t0 - listener_times[-1])
            lives.append(listener_times[-1] + t2 - t1)
            updates.append(t3 - t2)
        assert len(result.contributions) == counted + 200, "the new records must count"
        now_us = live.now_us()
        exact = score(index, "person", SUBJECT, as_of=from_us(now_us), policy=policy)
        assert live.score("person", SUBJECT, now_us).total == exact.total, "must agree"
        print(
            f"durable append of one record (commit + checkpoint): median "
            f"{statistics.median(appends) * 1e3:.2f} ms"
        )
        live_ms, peer_ms = statistics.median(lives) * 1e3, statistics.median(updates) * 1e3
        print(f"live projection: apply + score:   median {live_ms:.3f} ms (target < 1 ms)")
        print(f"peer: catch up index + re-score:  median {peer_ms:.3f} ms")
        print(f"ratio live / peer: {live_ms / peer_ms:.3f}")
        print(
            f"explain ({counted} records):       median "
            f"{statistics.median(explains) * 1e3:.3f} ms (target < 5 ms)"
        )


if __name__ == "__main__":
    main()
