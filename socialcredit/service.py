"""Opening the system: the few calls every adapter makes before doing anything else."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from socialcredit.ledger import public_key_from_text

from .errors import ConfigurationError
from .ledger import Ledger, Signer, create_key_file
from .settings import Settings
from .storage import open_store, sqlite_path

__all__ = [
    "PinnedKey",
    "check_store_exists",
    "init_ledger",
    "open_ledger",
    "pinned_public_key",
]


def init_ledger(settings: Settings, origin: str | None = None) -> Ledger:
    """Create a new ledger in the configured store, with a new signing key if there is none.

    Raises:
        ConfigurationError: if the store already holds a ledger.
    """
    path = sqlite_path(settings.store)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.store)
    if store.is_initialised():
        store.close()
        raise ConfigurationError(f"{settings.store} already holds a ledger")
    key_path = settings.signing_key_path()
    signer = Signer.from_key_file(key_path) if key_path.exists() else create_key_file(key_path)
    name = origin or f"socialcredit.local/{secrets.token_hex(8)}"
    return Ledger.create(store, signer, name)


def check_store_exists(url: str, option: str = "--store") -> None:
    """Make sure there is a store at ``url`` to read, without creating one.

    Opening an SQLite file creates it; only :func:`init_ledger` (and an import into a new
    store) may do that, so every other caller checks first. ``option`` is the command-line
    option that names the store, for the message.

    Raises:
        ConfigurationError: if ``url`` names an SQLite file that does not exist.
    """
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise ConfigurationError(
            f"no ledger at {url}; create one with `socialcredit init` or pass {option}"
        )


def open_ledger(settings: Settings, *, write: bool = False) -> Ledger:
    """Open the configured ledger; with ``write``, load the signing key too. Never creates
    a store.

    Raises:
        ConfigurationError: if there is no store, the store holds no ledger, or the key does
            not match it.
    """
    check_store_exists(settings.store)
    store = open_store(settings.store)
    signer = Signer.from_key_file(settings.signing_key_path()) if write else None
    return Ledger(store, signer)


@dataclass(frozen=True, slots=True)
class PinnedKey:
    """The public key to verify against, and where it came from."""

    key: Ed25519PublicKey
    source: str

    @property
    def from_store(self) -> bool:
        """True when no independent key was available and the store's own copy is used."""
        return self.source == "store"


def pinned_public_key(settings: Settings, ledger: Ledger, explicit: str | None = None) -> PinnedKey:
    """The key to trust: an explicit one, else the signing key file's, else the store's copy.

    Raises:
        ConfigurationError: if an explicit key is malformed.
    """
    if explicit:
        return PinnedKey(public_key_from_text(explicit), "given")
    try:
        key_path = settings.signing_key_path()
    except ConfigurationError:  # a server store with no key file set: only the store's copy
        return PinnedKey(ledger.public_key, "store")
    if key_path.exists():
        return PinnedKey(Signer.from_key_file(key_path).public_key, str(key_path))
    return PinnedKey(ledger.public_key, "store")
