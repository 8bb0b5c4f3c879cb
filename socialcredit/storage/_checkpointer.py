"""Checkpointing an SQLite write-ahead log off the request path.

By default SQLite checkpoints the WAL inside the commit that pushes it past
``wal_autocheckpoint`` pages: that one commit copies megabytes into the database file and
syncs it, and a server whose writers share a lock with its readers stalls for that long (a
decision's audit batch, say). A :class:`WalCheckpointer` runs passive checkpoints from a
thread and a connection of its own instead; a passive checkpoint never waits for readers or
writers, and copies what it can.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["WalCheckpointer"]

_log = logging.getLogger("socialcredit.storage")


class WalCheckpointer:
    """Passive WAL checkpoints of the SQLite file at ``path`` every ``interval`` seconds,
    from a daemon thread with its own connection, until :meth:`stop`."""

    def __init__(self, path: Path, interval: float = 0.5) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # busy or locked: the next round tries again
                    _log.debug("WAL checkpoint of %s skipped: %s", self.path, exc)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()

    def stop(self) -> None:
        """Run a last checkpoint and stop the thread."""
        self._stop.set()
        self._thread.join()
