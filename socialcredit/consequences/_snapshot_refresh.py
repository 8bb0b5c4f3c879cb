"""Refreshing the consequences snapshot of a ledger: a whole-ledger view started from the latest
trusted snapshot, caught up, and saved again (:mod:`socialcredit.consequences._snapshot` holds
the format, the writer and the reader; the view restores itself through it).

It sits above both the view and the snapshot code, so that neither needs the other at import.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from socialcredit.consequences._service import ConsequenceView
from socialcredit.consequences._snapshot import NAME, write_view_snapshot

if TYPE_CHECKING:
    from socialcredit.ledger import Ledger

__all__ = ["refresh_snapshot"]


def refresh_snapshot(ledger: Ledger) -> dict[str, Any]:
    """Write a fresh consequences snapshot of ``ledger`` (a writable one): start from the
    latest trusted snapshot, read the entries after it, save. Returns what was done: the
    snapshot's size, bytes and parts, the size it started from, the snapshots refused (with
    why) and the seconds taken.

    Raises:
        As :func:`~socialcredit.consequences._snapshot.write_view_snapshot`.
    """
    started = time.perf_counter()
    view = ConsequenceView(ledger, snapshot=True)
    try:
        refused = list(view.refused_snapshots)
        header = None
        if view.restored_from < ledger.size():  # else the trusted one is current
            header = write_view_snapshot(view)
    finally:
        view.close()
    return {
        "projection": NAME,
        "written": header is not None,
        "size": view.restored_from if header is None else header.size,
        "parts": None if header is None else header.parts,
        "started_from": view.restored_from,
        "refused": refused,
        "seconds": round(time.perf_counter() - started, 3),
    }
