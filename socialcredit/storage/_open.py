"""Open and migrate a ledger store from its URL: SQLite by default, or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from ..errors import ConfigurationError
from ._port import (
    LedgerStore,
)


def sqlite_path(url: str) -> Path | None:
    """The file path of a ``sqlite:///`` URL (three slashes: relative; four: absolute), else None.

    Raises:
        ConfigurationError: if the URL is ``sqlite:`` but names no file.
    """
    if not url.startswith("sqlite:"):
        return None
    if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
        raise ConfigurationError(
            f"store URL {url!r}: expected sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    return Path(url[len("sqlite:///") :])


def open_store(url: str) -> LedgerStore:
    """Open the store named by ``url``: ``sqlite:///path.db`` or ``postgresql://user@host/db``.

    Raises:
        ConfigurationError: if the scheme is unknown or the URL malformed.
        StorageError: if the store cannot be opened.
    """
    path = sqlite_path(url)
    if path is not None:
        from ._sqlite import SQLiteStore

        return SQLiteStore(path)
    scheme = urlparse(url).scheme or "(none)"
    if scheme in ("postgresql", "postgres"):
        # Imported here so that the embedded default never needs the PostgreSQL driver.
        try:
            from ._postgres import PostgresStore
        except ImportError as exc:
            raise ConfigurationError(
                f"store URL {url!r} needs the PostgreSQL driver: pip install 'psycopg[binary]>=3.1'"
            ) from exc
        return PostgresStore(url)
    raise ConfigurationError(
        f"store URL {url!r}: unknown scheme {scheme!r}; "
        "supported: sqlite:///path.db, postgresql://user@host:port/db"
    )


def migrate_store(url: str) -> tuple[int, list[int]]:
    """Bring the store at ``url`` to the latest schema; ``(version before, versions applied)``.

    Raises:
        ConfigurationError: if the store holds no ledger or its schema is newer than known.
        StorageError: if the store fails (a failed migration leaves nothing behind).
    """
    store = open_store(url)
    try:
        return store.schema_version(), store.migrate()
    finally:
        store.close()
