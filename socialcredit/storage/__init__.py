"""Stores behind one port, selected by URL: ``sqlite:///path.db`` (the embedded default).

``open_store(url)`` is the only place that knows the concrete backends; the domain packages
depend on :class:`LedgerStore` alone.
"""

from ._open import migrate_store, open_store, sqlite_path
from ._port import (
    BUNDLE_SIZE,
    LedgerStore,
    LogState,
    StoredCheckpoint,
    StoredSnapshot,
    WriteTransaction,
)

__all__ = [
    "BUNDLE_SIZE",
    "LedgerStore",
    "LogState",
    "StoredCheckpoint",
    "StoredSnapshot",
    "WriteTransaction",
    "migrate_store",
    "open_store",
    "sqlite_path",
]
