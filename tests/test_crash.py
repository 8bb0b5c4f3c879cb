"""A SIGKILL at any point of an ingest leaves a ledger that verifies, with every acknowledged
batch present; ingesting the same file again fills the gap without duplicating anything."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from socialcredit.ledger import Ledger, verify_ledger
from socialcredit.storage import open_store

from .backends import Stores
from .records_factory import valid_rows, write_csv

pytestmark = pytest.mark.both_backends

ROWS = 100_000


def ingest_and_kill(cli: list[str], source: Path, delay: float, after_first_ack: bool) -> int:
    """Start an ingest and SIGKILL it ``delay`` seconds after it started (or after its first
    durable batch, so that start-up time does not decide where the kill lands); return the
    last acknowledged row."""
    process = subprocess.Popen(
        [*cli, "ingest", str(source), "--progress", "lines", "--batch-size", "1000"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    acked = [0]
    first_ack = threading.Event()

    def read_acks() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("durable"):
                acked[0] = int(line.split("rows_to=")[1].split()[0])
                first_ack.set()

    reader = threading.Thread(target=read_acks)
    reader.start()
    if after_first_ack:
        first_ack.wait(timeout=120)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    reader.join()
    assert process.stdout is not None
    process.stdout.close()
    return acked[0]


@pytest.mark.slow
def test_sigkill_during_ingest_never_loses_or_duplicates(stores: Stores, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "records.csv", valid_rows(ROWS, keys="crash"))
    url = stores.url()
    cli = [sys.executable, "-m", "socialcredit", "--store", url]
    cli += ["--key-file", str(tmp_path / "l.key")]
    subprocess.run([*cli, "init"], check=True, capture_output=True)
    rng = random.Random(7)
    partial = 0
    kills = [(0.05, False), (0.0, True), *((rng.uniform(0.02, 1.0), True) for _ in range(6))]
    for delay, after_first_ack in kills:
        acked = ingest_and_kill(cli, source, delay, after_first_ack)
        partial += 0 < acked < ROWS
        store = open_store(url)
        ledger = Ledger(store)
        report = verify_ledger(store, ledger.public_key)
        assert report.ok, (delay, report.problems)
        keys = [f"crash-{i}" for i in range(acked)]
        assert len(store.find_idempotency_keys(keys)) == acked, delay
        assert ledger.size() <= ROWS
        store.close()
    assert partial >= 2, "the kills should land in the middle of ingests"
    subprocess.run([*cli, "ingest", str(source)], check=True, capture_output=True)
    store = open_store(url)
    ledger = Ledger(store)
    assert ledger.size() == ROWS
    assert verify_ledger(store, ledger.public_key).ok
    keys = [f"crash-{i}" for i in range(ROWS)]
    assert sorted(store.find_idempotency_keys(keys).values()) == list(range(ROWS))
    store.close()
