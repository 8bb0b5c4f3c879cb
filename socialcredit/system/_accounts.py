"""Use cases: accounts (:class:`socialcredit.accounts.AccountStore`): logging in and out, and
the administrator's API keys, made, listed, revoked and rotated (a key's secret is returned
only when it is made). The command line's account commands need no ledger: they call the
static methods (:meth:`AccountUseCases.add_api_key`, :meth:`~AccountUseCases.add_user`,
:meth:`~AccountUseCases.list_accounts`), which open only the accounts file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..accounts import Principal, Role
from ._core import SystemCore

if TYPE_CHECKING:
    from ..accounts import Account, AccountStore
    from ..settings import Settings

__all__ = ["AccountUseCases", "IssuedKey", "OpenedSession"]


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A session just opened: its id (for the cookie, never stored), who logged in and the
    CSRF token its unsafe requests must carry."""

    id: str
    principal: Principal
    csrf: str


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """An API key just made: the key itself (shown this once), its id, role and name."""

    key: str
    role: Role
    name: str

    @property
    def id(self) -> str:
        """The key's id (the part of the key that names it)."""
        return self.key.split("_", 2)[1]


class AccountUseCases(SystemCore):
    """Logging in and out, and the API keys."""

    def login(self, username: str, password: str) -> OpenedSession:
        """Check the credentials and open a session.

        Raises:
            AuthenticationError: if the username or password is wrong (one message for both).
        """
        session_id = self.accounts.login(username, password)
        session = self.accounts.session(session_id)
        assert session is not None  # just opened
        return OpenedSession(session_id, session.principal, session.csrf)

    def logout(self, session_id: str) -> None:
        """End the session ``session_id`` (nothing happens if there is none)."""
        self.accounts.logout(session_id)

    def account_list(self) -> list[Account]:
        """Every live API key and every user, keys first (never a secret)."""
        return self.accounts.accounts()

    @staticmethod
    def key_kinds() -> list[str]:
        """The record kinds a source key may be limited to (the engine's catalogue), sorted."""
        from ..catalogue import default_catalogue

        return sorted(kind.id for kind in default_catalogue())

    def create_api_key(
        self,
        role: Role | str,
        name: str,
        *,
        subject: tuple[str, str] | None = None,
        allowed_kinds: Iterable[str] = (),
    ) -> IssuedKey:
        """Make an API key of ``role`` called ``name``: a subject key for ``subject``, a
        source key limited to ``allowed_kinds`` (none: every kind it may file).

        Raises:
            ValidationError: naming the field: an unknown role or the public's, a bad or
                taken name, a subject key without its subject, a source name of no authority
                kind; nothing is made then.
        """
        key = self.accounts.create_api_key(role, name, subject=subject, allowed_kinds=allowed_kinds)
        return IssuedKey(key, Role(role), name)

    def revoke_api_key(self, key_id: str) -> None:
        """Revoke the key ``key_id``: it stops working at once.

        Raises:
            NotFoundError: if there is no such key.
        """
        self.accounts.revoke_key(key_id)

    def rotate_api_key(self, key_id: str) -> IssuedKey:
        """Replace the key ``key_id`` by a new one with the same role, name, subject and kinds
        (returned, shown this once); the old one stops working.

        Raises:
            NotFoundError: if there is no live key ``key_id``.
            ValidationError: if the key's name predates the rules for names: nothing is
                revoked then; make a new key instead.
        """
        old = next((a for a in self.account_list() if a.kind == "api_key" and a.id == key_id), None)
        key = self.accounts.rotate_key(key_id)
        assert old is not None  # a key that was not live is refused above
        return IssuedKey(key, old.role, old.name)

    # ------------------------------------------- without a ledger: the accounts file alone

    @staticmethod
    def add_api_key(
        settings: Settings,
        role: Role | str,
        name: str,
        *,
        subject: tuple[str, str] | None = None,
        allowed_kinds: Iterable[str] = (),
        authority: str | None = None,
    ) -> IssuedKey:
        """Make an API key of ``role`` called ``name`` in the accounts file ``settings`` names
        (no ledger is opened; the file is made if there is none): as :meth:`create_api_key`,
        and a source's ``authority`` kind, if given, is the one its name must carry.

        Raises:
            ConfigurationError: if the accounts file cannot be opened or is not named.
            ValidationError: naming the field, as :meth:`create_api_key`; nothing is made.
        """
        with _account_store(settings) as store:
            key = store.create_api_key(
                role, name, subject=subject, allowed_kinds=allowed_kinds, authority=authority
            )
        return IssuedKey(key, Role(role), name)

    @staticmethod
    def add_user(
        settings: Settings,
        username: str,
        password: str,
        role: Role | str,
        *,
        subject: tuple[str, str] | None = None,
        allowed_kinds: Iterable[str] = (),
        authority: str | None = None,
    ) -> None:
        """Make a portal user ``username`` with ``role`` (its password hashed with scrypt) in
        the accounts file ``settings`` names (no ledger is opened).

        Raises:
            ConfigurationError: if the accounts file cannot be opened or is not named.
            ValidationError: naming the field: an empty or taken username, a password under
                8 characters, an unknown role, a subject user without its subject, a source
                name of no authority kind; nothing is made then.
        """
        with _account_store(settings) as store:
            store.create_user(
                username,
                password,
                role,
                subject=subject,
                allowed_kinds=allowed_kinds,
                authority=authority,
            )

    @staticmethod
    def list_accounts(settings: Settings) -> list[Account]:
        """Every live API key and every user in the accounts file ``settings`` names, keys
        first, never a secret (no ledger is opened).

        Raises:
            ConfigurationError: if the accounts file cannot be opened or is not named.
        """
        with _account_store(settings) as store:
            return store.accounts()


@contextmanager
def _account_store(settings: Settings) -> Iterator[AccountStore]:
    """The accounts file ``settings`` names, open for the block and closed after it."""
    from ..accounts import AccountStore

    store = AccountStore(settings.accounts_path())
    try:
        yield store
    finally:
        store.close()
