"""Settings, declared once (name, environment variable, default, help) and validated once.

Adapters read them (CLI options, later the API's configuration) and pass a :class:`Settings`
into the library; nothing deep down reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError
from .storage import sqlite_path

__all__ = ["SETTINGS", "Setting", "Settings"]


@dataclass(frozen=True, slots=True)
class Setting:
    """One declared setting."""

    name: str
    env: str
    default: str | None
    help: str


SETTINGS = (
    Setting(
        "store",
        "SOCIALCREDIT_STORE",
        "sqlite:///socialcredit.db",
        "Store URL: sqlite:///relative.db, sqlite:////absolute.db or postgresql://user@host/db.",
    ),
    Setting(
        "key_file",
        "SOCIALCREDIT_KEY_FILE",
        None,
        "Ed25519 signing key (PEM). Default for SQLite: the database path + '.key'.",
    ),
    Setting(
        "accounts",
        "SOCIALCREDIT_ACCOUNTS",
        None,
        "API keys, users and sessions (SQLite file). Default: the database path + '.accounts.db'.",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated settings for one process."""

    store: str = "sqlite:///socialcredit.db"
    key_file: Path | None = None
    accounts: Path | None = None

    @classmethod
    def load(
        cls, values: Mapping[str, str | None], env: Mapping[str, str] = os.environ
    ) -> Settings:
        """Settings from explicit ``values`` (None = unset), then ``env``, then defaults.

        Raises:
            ConfigurationError: naming the setting that is invalid.
        """
        resolved = {}
        for setting in SETTINGS:
            value = values.get(setting.name) or env.get(setting.env) or setting.default
            resolved[setting.name] = value
        store = resolved["store"] or ""
        if not store:
            raise ConfigurationError("setting 'store' is empty")
        sqlite_path(store)  # validates sqlite URLs early, with the URL in the message
        key = resolved["key_file"]
        accounts = resolved["accounts"]
        return cls(
            store=store,
            key_file=Path(key) if key else None,
            accounts=Path(accounts) if accounts else None,
        )

    def signing_key_path(self) -> Path:
        """Where the signing key is.

        Raises:
            ConfigurationError: if it is not set and cannot be derived from the store URL.
        """
        if self.key_file is not None:
            return self.key_file
        path = sqlite_path(self.store)
        if path is None:
            raise ConfigurationError("setting 'key_file' (SOCIALCREDIT_KEY_FILE) is required")
        return Path(f"{path}.key")

    def accounts_path(self) -> Path:
        """Where the API's accounts (keys, users, sessions) are kept.

        Raises:
            ConfigurationError: if it is not set and cannot be derived from the store URL.
        """
        if self.accounts is not None:
            return self.accounts
        path = sqlite_path(self.store)
        if path is None:
            raise ConfigurationError("setting 'accounts' (SOCIALCREDIT_ACCOUNTS) is required")
        return Path(f"{path}.accounts.db")
