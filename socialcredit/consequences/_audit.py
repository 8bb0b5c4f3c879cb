"""Group commit for audit entries: a background thread appends queued entries in batches.

:meth:`AuditWriter.submit` only enqueues (constant time); the writer thread appends whatever is
queued every ``interval`` seconds, or as soon as ``batch_size`` entries wait, as one atomic
ledger append (one signed checkpoint per batch). The queue is bounded: when ``max_queue``
entries wait, ``submit`` pushes back with :class:`LedgerOverloadedError` and the caller must
not act on an unaudited decision. :meth:`flush` returns once everything submitted before it is
durable; :meth:`close` flushes and stops the thread. Nothing is lost on a clean close.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Sequence

from socialcredit.errors import LedgerError, LedgerOverloadedError
from socialcredit.ledger import Ledger, PendingEntry

__all__ = ["AuditWriter"]


class AuditWriter:
    """Appends submitted entries to ``ledger`` in batches, from its own thread.

    Args:
        ledger: a writable ledger.
        lock: held around every append (share it with other users of the same store handle).
        batch_size: append as soon as this many entries wait.
        interval: otherwise append every ``interval`` seconds.
        max_queue: the most entries allowed to wait before ``submit`` pushes back.
        on_written: called (under ``lock``) with each durable batch and its positions.
        checked: the submitter guarantees canonical data (strings, safe integers, lists and
            string-keyed mappings only), so the ledger skips its walk over each entry.
    """

    def __init__(
        self,
        ledger: Ledger,
        lock: threading.RLock | None = None,
        *,
        batch_size: int = 500,
        interval: float = 0.005,
        max_queue: int = 200_000,
        on_written: Callable[[Sequence[PendingEntry], Sequence[int]], None] | None = None,
        checked: bool = False,
    ) -> None:
        self.checked = checked
        self.ledger = ledger
        self._on_written = on_written
        self._lock = lock or threading.RLock()
        self.batch_size, self.interval, self.max_queue = batch_size, interval, max_queue
        self._queue: deque[PendingEntry] = deque()
        self._submitted = itertools.count(1)
        self._last_submitted = 0
        self._written = 0
        self._done = threading.Condition()
        self._wake = threading.Event()
        self._closed = False
        self._error: BaseException | None = None
        self.batches = 0
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, entry: PendingEntry) -> None:
        """Queue ``entry`` for the next batch.

        Raises:
            LedgerOverloadedError: if the queue is full (nothing queued).
            LedgerError: if the writer is closed or has failed.
        """
        if self._closed or self._error is not None:
            raise LedgerError(f"the audit writer is closed ({self._error or 'close() was called'})")
        if len(self._queue) >= self.max_queue:
            raise LedgerOverloadedError("the audit queue is full; retry later", self.interval * 10)
        self._queue.append(entry)
        self._last_submitted = next(self._submitted)
        if len(self._queue) >= self.batch_size:
            self._wake.set()

    def pending(self) -> int:
        """How many entries wait to be written."""
        return len(self._queue)

    def flush(self, timeout: float | None = 60.0) -> int:
        """Wait until every entry submitted so far is durable; returns how many were written.

        Raises:
            LedgerError: if the writer failed (its error is the cause) or ``timeout`` passed.
        """
        target = self._last_submitted
        self._wake.set()
        with self._done:
            ok = self._done.wait_for(
                lambda: self._written >= target or self._error is not None, timeout
            )
        self._raise_failure()
        if not ok:
            raise LedgerError(f"audit flush timed out after {timeout} s ({self.pending()} waiting)")
        return self._written

    def close(self) -> None:
        """Flush, then stop the writer thread. Safe to call twice.

        Raises:
            LedgerError: if the writer failed before everything was written.
        """
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join()

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise LedgerError(f"the audit writer failed: {self._error}") from self._error

    def _run(self) -> None:
        while not (self._closed and (not self._queue or self._error is not None)):
            self._wake.wait(self.interval)
            self._wake.clear()
            while self._queue and self._error is None:
                self._write_batch()

    def _write_batch(self) -> None:
        take = min(len(self._queue), self.batch_size)
        batch = [self._queue.popleft() for _ in range(take)]
        try:
            with self._lock:
                results = self.ledger.append(batch, checked=self.checked)
                if self._on_written is not None:
                    self._on_written(batch, results.positions)
        except BaseException as exc:  # kept and re-raised to the caller of flush/close
            self._queue.extendleft(reversed(batch))
            self._error = exc
        else:
            self.batches += 1
        with self._done:
            if self._error is None:
                self._written += len(batch)
            self._done.notify_all()
