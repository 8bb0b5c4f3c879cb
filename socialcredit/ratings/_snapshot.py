"""Snapshots of the ratings state, stored with the ledger, so that no process replays the whole
ledger to answer its first ratings page (issue 17).

The state (tokens, ratings with their replies and disputes, mutual-rating reveal times) after
the first ``size`` entries is pickled and stored through :mod:`socialcredit.ledger._snapshots`
as projection ``ratings-state``: signed by the ledger's key, checked against the signed
checkpoint of its size and against this code's digest (the format). A snapshot that fails a
check, or whose bytes do not unpickle to a ratings state, is refused with its reason and the
state is read from the ledger instead: the answers are the same either way (tested). The
ledger-attached projection of :func:`~._shared.load_state` starts from the newest trusted
snapshot; ``socialcredit snapshot`` (and ``serve --snapshot-every``) writes a fresh one through
:func:`~._shared.refresh_ratings_snapshot`.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import sys
from pathlib import Path

from socialcredit._collector import collector_paused
from socialcredit.ledger import Ledger, load_snapshot

from ._projection import RatingsState

__all__ = ["NAME", "ratings_format", "restored_ratings"]

NAME = "ratings-state"
_CODE = ("_projection.py", "_model.py", "_tokens.py", "_snapshot.py")
_log = logging.getLogger("socialcredit.snapshots")


def ratings_format() -> str:
    """The snapshot format: the pickle protocol, the Python version and a digest of the code
    whose classes are pickled (a change to any of them refuses older snapshots)."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((here / name).read_bytes())
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"pickle5/py{version}/{digest.hexdigest()[:16]}"


def restored_ratings(ledger: Ledger) -> tuple[RatingsState, int] | None:
    """The newest trusted snapshot's state and its size in entries (None if none can be
    trusted: every refusal is logged as a warning)."""
    found = load_snapshot(ledger, NAME, ratings_format())
    if found.data is None:
        return None
    try:
        with collector_paused():
            state = pickle.loads(found.data)  # trusted: signed by the ledger's key, digest checked
    except Exception as exc:  # any unpickling failure means the same: not this format
        _log.warning("snapshot %r of %d entries refused: %r", NAME, found.size, exc)
        return None
    if not isinstance(state, RatingsState):
        _log.warning("snapshot %r of %d entries refused: not a ratings state", NAME, found.size)
        return None
    return state, found.size
