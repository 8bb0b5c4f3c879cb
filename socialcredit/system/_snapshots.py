"""The server's snapshot schedule: a fresh consequences snapshot, written by a process of its
own, whenever the ledger has grown by ``every`` entries since the last one.

The writer is ``python -m socialcredit snapshot`` (the same command an operator can run from
cron): it starts from the latest trusted snapshot, reads the entries after it and stores the
new one in short transactions (:mod:`socialcredit.ledger._snapshots`). It runs beside the
server, so the server's requests, its decision audit writer and the ledger's other writers
never wait for the pickling; the next process to start (a restart, another worker) reads
only the entries after it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable

from ..settings import Settings

__all__ = ["SnapshotSchedule"]

_log = logging.getLogger("socialcredit.system")


class SnapshotSchedule:
    """Checks the ledger's size every ``interval`` seconds, and writes a snapshot when it has
    grown by at least ``every`` entries since ``start_size`` (the size of the snapshot the
    server started from) or since the last snapshot written.

    Args:
        settings: the server's store and signing key (the writer needs both).
        size: reads the ledger's current size.
    """

    def __init__(
        self,
        settings: Settings,
        size: Callable[[], int],
        *,
        every: int,
        interval: float = 30.0,
        start_size: int = 0,
    ) -> None:
        self.settings = settings
        self.every = every
        self.interval = interval
        self.last_size = start_size
        self.written = 0
        self._size = size
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot-schedule", daemon=True)

    def start(self) -> None:
        """Start checking (a daemon thread)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop checking; a writer already running finishes on its own."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 1)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                size = self._size()
                if size - self.last_size >= self.every and self.write_now():
                    self.last_size = size
            except Exception:  # a failing check must not end the schedule
                _log.exception("the snapshot schedule could not check the ledger")

    def write_now(self) -> bool:
        """Run the snapshot writer and wait for it; True if it succeeded (a failure is
        logged: the server goes on, and a later start replays a little more)."""
        command = [sys.executable, "-m", "socialcredit", "--store", self.settings.store]
        command += ["--key-file", str(self.settings.signing_key_path()), "snapshot", "--json"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            _log.warning("writing a snapshot failed: %s", done.stderr.strip()[-500:])
            return False
        self.written += 1
        return True
