"""An upload is ingested in small batches that take the shared lock one at a time, so other
writers wait for one batch at most (issue 14: a 12 MB upload held every writer for 91 s).

The latency under contention is measured by ``benchmarks/bench_upload_contention.py``; here
the mechanism is checked: the lock is taken once per batch and released between batches, and
a writer on another thread gets in while the file is being ingested.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from socialcredit.catalogue import default_catalogue
from socialcredit.ingest import BatchAck, ingest_file, ingest_rows
from socialcredit.policy import default_bundle, publish
from socialcredit.service import init_ledger
from socialcredit.settings import Settings
from socialcredit.system import UPLOAD_BATCH
from tests.records_factory import valid_rows, write_csv


class WatchedLock:
    """A re-entrant lock that counts how often it was taken and knows whether it is held."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.taken = 0
        self.holders = 0

    def __enter__(self) -> WatchedLock:
        self._lock.acquire()
        self.taken += 1
        self.holders += 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.holders -= 1
        self._lock.release()


def test_an_upload_takes_the_lock_per_batch_and_lets_another_writer_in(tmp_path: Path) -> None:
    ledger = init_ledger(Settings(store=f"sqlite:///{tmp_path / 'l.db'}"), origin="test/upload")
    publish(ledger, default_bundle())
    catalogue = default_catalogue()
    path = write_csv(tmp_path / "up.csv", valid_rows(2_400, seed=5, keys="up"))
    lock = WatchedLock()
    between: list[int] = []
    other_in: list[int] = []
    others = valid_rows(3, seed=6, keys="other")

    def after_batch(ack: BatchAck) -> None:
        between.append(lock.holders)
        if ack.batch < len(others):  # another writer files one record between batches
            with lock:
                summary = ingest_rows(ledger, catalogue, [(1, others[ack.batch])])
            other_in.append(summary.accepted)

    summary = ingest_file(
        ledger, catalogue, path, batch_size=500, lock=lock, on_batch=after_batch,
        reader_process=False, rejects_path=tmp_path / "rejects.jsonl",
    )  # fmt: skip
    assert summary.accepted == 2_400 and summary.batches == 5
    assert between == [0] * 5  # never held between batches
    assert other_in == [1, 1, 1]
    assert lock.taken == 5 + 3  # one per batch, one per other writer
    assert ledger.size() == 1 + 1 + 2_400 + 3  # genesis governance, policy, upload, others
    assert UPLOAD_BATCH <= 1_000
