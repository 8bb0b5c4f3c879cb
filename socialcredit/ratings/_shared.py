"""The ratings state attached to a ledger object: started from the newest trusted snapshot
(:mod:`._snapshot`), caught up with the entries appended since, read by :func:`load_state` and
written back as a fresh snapshot by :func:`refresh_ratings_snapshot`.

It sits above both the projection (:mod:`._projection`) and the snapshot format, so that
neither needs the other.
"""

from __future__ import annotations

import pickle
import threading
import time
from typing import Any

from socialcredit.ledger import Ledger, save_snapshot

from ._projection import RatingsState, apply_entries
from ._snapshot import NAME, ratings_format, restored_ratings

__all__ = ["SharedRatings", "load_state", "refresh_ratings_snapshot"]


def load_state(ledger: Ledger, known_at_us: int | None = None) -> RatingsState:
    """The ratings state from entries recorded at or before ``known_at_us`` (None: all).

    The current state (``known_at_us`` None or not before the ledger's last entry) comes from
    a projection attached to the ledger object and caught up with the entries appended since
    the last call, so that a page view does not re-read the whole ledger; a past state is
    read from the start. Either way the result equals a rebuild from the entries. The
    returned state is the caller's (a snapshot of the projection's tables).
    """
    shared = ledger.projection("ratings_state", SharedRatings)
    with shared.lock:
        shared.catch_up(ledger)
        if known_at_us is None or known_at_us >= shared.last_recorded_us:
            return shared.snapshot()
    state = RatingsState()
    apply_entries(state, ledger, 0, None, known_at_us)
    return state


class SharedRatings:
    """The ratings state of every entry of one ledger object read so far, started from the
    newest trusted snapshot (:mod:`._snapshot`) on the first :meth:`catch_up`."""

    def __init__(self, ledger: Ledger) -> None:
        self.state = RatingsState()
        self.next_position = 0
        self.last_recorded_us = 0
        self.restored_from = 0  # the size of the snapshot the state started from (0: none)
        self._started = False
        self.lock = threading.Lock()

    def catch_up(self, ledger: Ledger) -> None:
        """Apply the entries appended since the last call (up to the size read now)."""
        if not self._started:
            self._started = True
            found = restored_ratings(ledger)
            if found is not None:
                self.state, self.next_position = found
                self.restored_from = self.next_position
        log = ledger.store.state()
        if log.size > self.next_position:
            apply_entries(self.state, ledger, self.next_position, log.size, None)
            self.next_position = log.size
        self.last_recorded_us = log.last_recorded_at_us

    def snapshot(self) -> RatingsState:
        state = self.state
        return RatingsState(dict(state.tokens), dict(state.ratings), dict(state.disputed))


def refresh_ratings_snapshot(ledger: Ledger) -> dict[str, Any]:
    """Write a fresh ratings snapshot of ``ledger`` (a writable one): start from the newest
    trusted snapshot, read the entries after it, save. Returns what was done, as
    :func:`socialcredit.consequences.refresh_snapshot` does.

    Raises:
        As :func:`~socialcredit.ledger._snapshots.save_snapshot`.
    """
    started = time.perf_counter()
    shared = SharedRatings(ledger)
    shared.catch_up(ledger)
    written = shared.restored_from < shared.next_position
    parts = None
    if written:
        data = pickle.dumps(shared.state, protocol=5)
        parts = save_snapshot(ledger, NAME, ratings_format(), shared.next_position, data).parts
    return {
        "projection": NAME,
        "written": written,
        "size": shared.next_position,
        "parts": parts,
        "started_from": shared.restored_from,
        "refused": [],
        "seconds": round(time.perf_counter() - started, 3),
    }
