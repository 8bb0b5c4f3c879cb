"""The consequence view's snapshot: its state after ``size`` entries, stored with the ledger.

A server (or any whole-ledger view) starts from the latest trusted snapshot and reads only the
entries after it, instead of replaying the whole ledger (:mod:`socialcredit.ledger._snapshots`
says when a snapshot is trusted; any other is refused and the view rebuilt). What is saved is
the view's own state — record index, facts, listings, decisions, representatives — never the
policies: those are read again from the ledger's ``PolicyPublished`` entries (through the
per-subject index), and the listings are recomputed if the bundle in force has changed since.
The record columns are stored as a snapshot of their own (:data:`COLUMNS`, of the same size,
written first): a reader loads them and drops their bytes before it loads the rest, so its
peak memory is the larger part plus what is loaded, not both parts at once. A writer killed
between the two leaves the older snapshot without its columns: it is refused (the view
replays once), never misread.

The bytes are a pickle, loaded only after the snapshot's Ed25519 signature by the ledger's own
key and its digest have been checked: a store writer without that key cannot plant one. The
format names a fingerprint of the code whose objects are pickled, so a snapshot written by
other code is refused, never misread.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialcredit.ledger import (
    PART_BYTES,
    TYPE_KIND,
    LoadedSnapshot,
    index_complete,
    load_snapshot,
    save_snapshot,
)
from socialcredit.ledger import entries_at as _entries_at
from socialcredit.policy import POLICY_PUBLISHED, PublishedBundle, read_published
from socialcredit.storage import StoredSnapshot

from .._collector import collector_paused

if TYPE_CHECKING:
    from socialcredit.scoring import ColumnarRecords

    from ..ledger import Ledger
    from ._service import ConsequenceView

__all__ = [
    "COLUMNS",
    "NAME",
    "restore_view",
    "view_format",
    "write_view_snapshot",
]

NAME = "consequences"
COLUMNS = "consequences-columns"
"""The snapshot of the view's record columns, stored apart from the rest (same size)."""
_FIELDS = (
    "_index",
    "_next",
    "_facts",
    "_listings",
    "_decisions",
    "_volatile",
    "_disputes",
    "_represents",
    "_representative",
)
# The modules whose objects (or whose meaning of the state) the pickle holds.
_CODE = (
    "_service.py",
    "_projection.py",
    "_model.py",
    "../records/_rows.py",
    "../records/_index.py",
    "../scoring/_columnar.py",
)


def view_format() -> str:
    """The format of this code's snapshots: pickle protocol 5, this Python, and a digest of
    the code whose objects they hold."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((here / name).read_bytes())
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"pickle5/py{version}/{digest.hexdigest()[:16]}"


def view_bytes(view: ConsequenceView, *, columns: bool = True) -> tuple[int, bytes]:
    """The whole-ledger view caught up, as ``(size, bytes)``; without its record columns
    (``_index``) if ``columns`` is False (:func:`write_view_snapshot` stores them apart).

    Raises:
        ValueError: if the view is scoped to some subjects (only a whole view is saved).
    """
    if view._scope is not None:
        raise ValueError("only a view of every subject is saved as a snapshot")
    with view.lock:
        view.catch_up()
        fields = _FIELDS if columns else tuple(f for f in _FIELDS if f != "_index")
        state: dict[str, Any] = {field: getattr(view, field) for field in fields}
        state["policy"] = view._current.bundle.digest
        data = pickle.dumps(state, protocol=5)  # the columns drop their ledger when pickled
    return state["_next"], data


def write_view_snapshot(view: ConsequenceView, *, part_bytes: int = PART_BYTES) -> StoredSnapshot:
    """Catch ``view`` up and store it as the ledger's consequences snapshot: the record
    columns as a snapshot of their own (:data:`COLUMNS`, first), then the rest (:data:`NAME`,
    whose header is returned). A reader loads the columns and drops their bytes before it
    loads the rest, so its peak memory is not the sum of both.

    Raises:
        As :func:`~socialcredit.ledger._snapshots.save_snapshot` and :func:`view_bytes`.
    """
    with view.lock:
        size, data = view_bytes(view, columns=False)
        columns = pickle.dumps(view._index, protocol=5)
    fmt = view_format()
    save_snapshot(view.ledger, COLUMNS, fmt, size, columns, part_bytes=part_bytes)
    del columns
    return save_snapshot(view.ledger, NAME, fmt, size, data, part_bytes=part_bytes)


def _columns_at(ledger: Ledger, size: int) -> tuple[ColumnarRecords | None, tuple[str, ...]]:
    """The trusted record columns stored apart for the snapshot of ``size`` entries (None if
    there are none of that size), and why newer ones were refused."""
    found = load_snapshot(ledger, COLUMNS, view_format())
    if found.data is None or found.size != size:
        return None, found.refused
    with collector_paused():
        columns = pickle.loads(found.data)  # trusted: signed by the ledger's key, digest checked
    return columns, found.refused


def restore_view(view: ConsequenceView) -> LoadedSnapshot:
    """Load the latest trusted snapshot into ``view`` (which has read nothing yet); the view
    then catches up from the snapshot's size. Without a trusted snapshot, or while the
    per-subject index cannot list the policies, the view is left empty (it replays)."""
    found = load_snapshot(view.ledger, NAME, view_format())
    if found.data is None:
        return found
    published = _policies_below(view.ledger, found.size)
    if published is None:
        return LoadedSnapshot(0, None, (*found.refused, "the per-subject index is incomplete"))
    columns, refused = _columns_at(view.ledger, found.size)  # first: its bytes are dropped
    with collector_paused():
        state = pickle.loads(found.data)  # trusted: signed by the ledger's key, digest checked
    if "_index" not in state:
        if columns is None:
            missing = f"the record columns of the snapshot of {found.size} entries are missing"
            return LoadedSnapshot(0, None, (*found.refused, *refused, missing))
        state["_index"] = columns
    for field in _FIELDS:
        setattr(view, field, state[field])
    view._index.ledger = view.ledger
    view._published = published
    view._compiled = {}
    view._rebuild(set())  # the bundle in force now
    if view._current.bundle.digest != state["policy"]:
        view._rebuild(None)  # another bundle took effect since: every listing again
    return found


def _policies_below(ledger: Ledger, size: int) -> list[PublishedBundle] | None:
    """The policies published in the first ``size`` entries, in ledger order (None if the
    per-subject index is incomplete)."""
    _, complete = index_complete(ledger)
    if not complete:
        return None
    positions = ledger.store.subject_positions([(TYPE_KIND, POLICY_PUBLISHED)], size)
    return [read_published(entry) for entry in _entries_at(ledger, positions)]
