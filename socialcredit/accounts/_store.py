"""Accounts: API keys for machines, users and login sessions for people (API and portal alike).

One SQLite file (setting ``accounts``, default ``<store db>.accounts.db``) holds:

- ``api_keys``: an id, the SHA-256 of the key (keys are 32 random bytes, so a plain hash is
  enough; the key itself is shown once and never stored), the role, a name, the subject it
  belongs to (subject role) and the record kinds it may file (source role);
- ``users``: username, scrypt password hash with its salt, and the same role attributes;
- ``sessions``: the SHA-256 of a random session id, its user, CSRF token and expiry.

A key reads ``sck_<id>_<secret>``; the id finds the row, the hash of the whole key is compared
in constant time. Authenticated keys are cached in memory (revoking through the same store
clears the cache).

A source account (key or user) is a registered source: its name is the source's name,
``<authority kind>:<name>`` (``court:beijing-chaoyang``, see
:class:`socialcredit.catalogue.Source`), so the account carries its authority kind, and the
records it files are filed under that name -- never under one the payload gives.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from socialcredit.catalogue import mask_subject_id

from ..catalogue import Source
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    Problem,
    ValidationError,
)
from ._roles import Principal, Role

__all__ = [
    "DEMO_SOURCE",
    "SESSION_SECONDS",
    "Account",
    "AccountStore",
    "DemoLogin",
    "Session",
    "registered_source",
    "seed_demo_accounts",
    "source_authority",
]

SESSION_SECONDS = 8 * 3600
#: An account's name (a key's name or a username): a short code, no spaces anywhere, so two
#: names never differ only by padding; unique per role (see :meth:`AccountStore.create_api_key`).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,58}\Z")
#: The demo's source login: a court (a source's name carries its authority kind).
DEMO_SOURCE = "court:demo-court"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, hash BLOB NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL,
    subject_kind TEXT, subject_id TEXT, allowed_kinds TEXT NOT NULL, created_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, salt BLOB NOT NULL, hash BLOB NOT NULL, role TEXT NOT NULL,
    subject_kind TEXT, subject_id TEXT, allowed_kinds TEXT NOT NULL,
    created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    hash BLOB PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
    expires_at INTEGER NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Account:
    """An API key or user as listed (never with a secret)."""

    kind: str
    name: str
    role: Role
    subject: tuple[str, str] | None
    allowed_kinds: frozenset[str]
    id: str = ""

    @property
    def account(self) -> str:
        """The stable account id that "who did this" fields record (as :class:`Principal`)."""
        return f"key:{self.id}" if self.kind == "api_key" else f"user:{self.name}"

    @property
    def authority(self) -> str | None:
        """A source account's authority kind (from its name); None for other roles, and for
        a source account made before sources were registered (it cannot file until it is
        made again with its authority kind)."""
        return source_authority(self.role, self.name)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form; a subject account's subject is masked (the account registry is
        not anyone's file, so listing it reads no one's identifier)."""
        subject = None
        if self.subject is not None:
            subject = [self.subject[0], mask_subject_id(*self.subject)]
        return {
            "kind": self.kind,
            "id": self.id,
            "account": self.account,
            "name": self.name,
            "role": self.role.value,
            "subject": subject,
            "allowed_kinds": sorted(self.allowed_kinds),
            "authority": self.authority,
        }


def source_authority(role: Role, name: str) -> str | None:
    """The authority kind of a source account named ``name``; None if it has none."""
    if role is not Role.SOURCE:
        return None
    try:
        return Source.named(name).authority
    except ValidationError:
        return None


def registered_source(role: Role | str, name: str, authority: str | None) -> Source | None:
    """The source an account of ``role`` named ``name`` files as (None for other roles).

    Raises:
        ValidationError: naming ``authority`` if a non-source account is given one, or if it
            is not the one the name carries; naming ``name`` if a source's name is not
            ``<authority kind>:<name>`` with an authority kind of the taxonomy.
    """
    if Role(role) is not Role.SOURCE:
        if authority is not None:
            reason = "only a source account has an authority kind"
            raise ValidationError("bad account", [Problem("authority", reason)])
        return None
    try:
        return Source(name, authority) if authority is not None else Source.named(name)
    except ValidationError as exc:
        problems = [
            Problem("name" if p.field == "source" else p.field, p.reason) for p in exc.problems
        ]
        raise ValidationError("bad source account", problems) from exc


@dataclass(frozen=True, slots=True)
class Session:
    """A live login session: who, and the CSRF token its forms must carry."""

    principal: Principal
    csrf: str
    expires_at: float


@dataclass(slots=True)
class _KeyCache:
    by_id: dict[str, tuple[bytes, Principal]] = field(default_factory=dict)


def _sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _check_role(role: Role | str, subject: tuple[str, str] | None) -> Role:
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise ValidationError("bad role", [Problem("role", f"unknown role {role!r}")]) from exc
    if parsed is Role.PUBLIC:
        raise ValidationError("bad role", [Problem("role", "public needs no account")])
    if parsed is Role.SUBJECT and subject is None:
        raise ValidationError("bad account", [Problem("subject", "a subject account needs one")])
    return parsed


class AccountStore:
    """API keys, users and sessions in one SQLite file; safe to share between threads.

    Raises:
        ConfigurationError: if the file cannot be opened.
    """

    def __init__(self, path: str | Path, *, clock: Any = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._cache = _KeyCache()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(f"cannot open the accounts file {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._conn.close()

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # -- API keys -------------------------------------------------------------------------

    def create_api_key(
        self,
        role: Role | str,
        name: str,
        subject: tuple[str, str] | None = None,
        allowed_kinds: Iterable[str] = (),
        authority: str | None = None,
    ) -> str:
        """Create an API key and return it (the only time it is shown).

        Args:
            role: what the key may do.
            name: its name; for a source, the registered source's name
                (``<authority kind>:<name>``), under which its records are filed.
            subject: the subject's own file (subject role).
            allowed_kinds: the record kinds a source may file.
            authority: a source's authority kind; if given, the one its name must carry.

        Raises:
            ValidationError: for an unknown role, a subject role without a subject, or a
                source whose name or authority kind is not a registrable source.
        """
        parsed = _check_role(role, subject)
        registered_source(parsed, _checked_name(name, "name"), authority)
        self._check_unique(parsed, name, "name")
        key_id = secrets.token_hex(8)
        key = f"sck_{key_id}_{secrets.token_urlsafe(32)}"
        kind, sid = subject if subject else (None, None)
        self._execute(
            "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                key_id,
                _sha(key),
                parsed.value,
                name,
                kind,
                sid,
                orjson.dumps(sorted(allowed_kinds)).decode(),
                int(self._clock()),
            ),
        )
        return key

    def _check_unique(self, role: Role, name: str, field: str) -> None:
        """Refuse ``name`` if a live key or user of ``role`` already has it.

        Raises:
            ValidationError: naming ``field``.
        """
        taken = self._execute(
            "SELECT 1 FROM api_keys WHERE name = ? AND role = ? AND revoked = 0 "
            "UNION ALL SELECT 1 FROM users WHERE username = ? AND role = ?",
            (name, role.value, name, role.value),
        )
        if taken:
            reason = f"a {role.value} account named {name!r} exists; names are unique per role"
            raise ValidationError("bad account", [Problem(field, reason)])

    def authenticate_key(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key, else None (constant-time hash compare)."""
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "sck":
            return None
        key_id, digest = parts[1], _sha(key)
        cached = self._cache.by_id.get(key_id)
        if cached is None:
            rows = self._execute(
                "SELECT hash, role, name, subject_kind, subject_id, allowed_kinds "
                "FROM api_keys WHERE id = ? AND revoked = 0",
                (key_id,),
            )
            if not rows:
                return None
            stored, *rest = rows[0]
            cached = (bytes(stored), _principal(*rest, account=f"key:{key_id}"))
            self._cache.by_id[key_id] = cached
        return cached[1] if hmac.compare_digest(cached[0], digest) else None

    def revoke_key(self, key_id: str) -> None:
        """Revoke the key with ``key_id``. Raises NotFoundError if there is none."""
        with self._lock:
            done = self._conn.execute(
                "UPDATE api_keys SET revoked = 1 WHERE id = ?", (key_id,)
            ).rowcount
            self._cache.by_id.pop(key_id, None)
        if not done:
            raise NotFoundError(f"no API key {key_id}")

    def rotate_key(self, key_id: str) -> str:
        """Replace the key ``key_id`` by a new one with the same role, name, subject and kinds:
        the old key stops working and the new one is returned (the only time it is shown).

        Raises:
            NotFoundError: if there is no live key ``key_id``.
            ValidationError: if the key's name predates the rules for names (or a source's
                name has no authority kind): nothing is revoked; make a new key instead.
        """
        rows = self._execute(
            "SELECT role, name, subject_kind, subject_id, allowed_kinds FROM api_keys "
            "WHERE id = ? AND revoked = 0",
            (key_id,),
        )
        if not rows:
            raise NotFoundError(f"no API key {key_id}")
        role, name, kind, sid, kinds = rows[0]
        registered_source(role, _checked_name(name, "name"), None)  # a legacy name: refused
        self.revoke_key(key_id)
        subject = (kind, sid) if kind and sid else None
        return self.create_api_key(role, name, subject, orjson.loads(kinds))

    # -- users and sessions ---------------------------------------------------------------

    def create_user(
        self,
        username: str,
        password: str,
        role: Role | str,
        *,
        subject: tuple[str, str] | None = None,
        allowed_kinds: Iterable[str] = (),
        authority: str | None = None,
    ) -> None:
        """Create a user with a scrypt password hash (a source user: as :meth:`create_api_key`).

        Raises:
            ValidationError: for an empty username, a password under 8 characters, an unknown
                role, a source whose name or authority kind is not a registrable source, or a
                username that exists.
        """
        problems = []
        if not isinstance(username, str) or not _NAME.match(username):
            problems.append(Problem("username", _NAME_REASON))
        if len(password) < 8:
            problems.append(Problem("password", "must have at least 8 characters"))
        if problems:
            raise ValidationError("bad user", problems)
        parsed = _check_role(role, subject)
        registered_source(parsed, username, authority)
        self._check_unique(parsed, username, "username")
        salt = secrets.token_bytes(16)
        kind, sid = subject if subject else (None, None)
        try:
            self._execute(
                "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    username,
                    salt,
                    _scrypt(password, salt),
                    parsed.value,
                    kind,
                    sid,
                    orjson.dumps(sorted(allowed_kinds)).decode(),
                    int(self._clock()),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise ValidationError(
                "bad user", [Problem("username", f"{username!r} already exists")]
            ) from exc

    def login(self, username: str, password: str) -> str:
        """Check the password and open a session; return the session id (for the cookie).

        Raises:
            AuthenticationError: if the username or password is wrong (same message for both).
        """
        rows = self._execute("SELECT salt, hash FROM users WHERE username = ?", (username,))
        salt, stored = rows[0] if rows else (b"\0" * 16, b"\0" * 32)
        valid = hmac.compare_digest(_scrypt(password, bytes(salt)), bytes(stored))
        if not (rows and valid):
            raise AuthenticationError("wrong username or password")
        session = secrets.token_urlsafe(32)
        self._execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?)",
            (
                _sha(session),
                username,
                secrets.token_urlsafe(24),
                int(self._clock()) + SESSION_SECONDS,
            ),
        )
        return session

    def session(self, session_id: str) -> Session | None:
        """The live session with ``session_id``, or None if unknown or expired."""
        rows = self._execute(
            "SELECT s.csrf, s.expires_at, u.role, u.username, u.subject_kind, u.subject_id, "
            "u.allowed_kinds FROM sessions s JOIN users u ON u.username = s.username "
            "WHERE s.hash = ?",
            (_sha(session_id),),
        )
        if not rows:
            return None
        csrf, expires, role, username, *rest = rows[0]
        if expires <= self._clock():
            self.logout(session_id)
            return None
        principal = _principal(role, username, *rest, account=f"user:{username}")
        return Session(principal, csrf, expires)

    def logout(self, session_id: str) -> None:
        """End the session (no error if it does not exist)."""
        self._execute("DELETE FROM sessions WHERE hash = ?", (_sha(session_id),))

    def accounts(self) -> list[Account]:
        """Every API key (unrevoked) and user, keys first."""
        keys = self._execute(
            "SELECT id, role, name, subject_kind, subject_id, allowed_kinds FROM api_keys "
            "WHERE revoked = 0 ORDER BY created_at, id"
        )
        users = self._execute(
            "SELECT username, role, subject_kind, subject_id, allowed_kinds FROM users "
            "ORDER BY username"
        )
        found = [
            _account("api_key", name, (role, kind, sid, kinds), key_id)
            for key_id, role, name, kind, sid, kinds in keys
        ]
        found += [
            _account("user", name, (role, kind, sid, kinds), name)
            for name, role, kind, sid, kinds in users
        ]
        return found


def _principal(
    role: str,
    name: str,
    subject_kind: str | None,
    subject_id: str | None,
    kinds: str,
    *,
    account: str,
) -> Principal:
    subject = (subject_kind, subject_id) if subject_kind and subject_id else None
    return Principal(Role(role), name, subject, frozenset(orjson.loads(kinds)), account)


_NAME_REASON = (
    "must be a short code: a letter or digit, then letters, digits and _.:@- "
    "(no spaces, at most 59 characters)"
)


def _checked_name(name: object, field: str) -> str:
    """``name`` if it is a valid account name.

    Raises:
        ValidationError: naming ``field`` and the rule.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError("bad account", [Problem(field, _NAME_REASON)])
    return name


def _account(kind: str, name: str, row: tuple[Any, ...], key_id: str) -> Account:
    role, subject_kind, subject_id, kinds = row
    subject = (subject_kind, subject_id) if subject_kind and subject_id else None
    return Account(kind, name, Role(role), subject, frozenset(orjson.loads(kinds)), key_id)


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """One demo login: its role, username and password (printed by the demo)."""

    role: Role
    username: str
    password: str
    subject: tuple[str, str] | None = None


def seed_demo_accounts(
    accounts: AccountStore, city: Iterable[tuple[str, str]] | None = None, *, seed: int = 2026
) -> list[DemoLogin]:
    """Create one user per role (except public) for the demo, with seeded passwords.

    Args:
        accounts: the store to create them in.
        city: the city's subjects as ``(kind, id)``; the first person becomes the
            ``subject`` login's own file (a made-up resident id if none is given).
        seed: the passwords are drawn from it, so a demo prints the same logins each time.

    Raises:
        ValidationError: if the demo users already exist in ``accounts``.
    """
    import random

    from socialcredit.catalogue import make_resident_id

    from ..catalogue import conduct_taxonomy, default_catalogue

    rng = random.Random(seed)
    person = next((s for s in (city or ()) if s[0] == "person"), None)
    if person is None:
        from datetime import date

        person = ("person", make_resident_id("110101", date(1980, 1, 1), 1))
    categories = conduct_taxonomy().categories
    # The demo source is a court: it may file the kinds whose category a court may establish.
    kinds = frozenset(
        kind.id for kind in default_catalogue() if "court" in categories[kind.category].authorities
    )
    logins = []
    for role in Role:
        if role is Role.PUBLIC:
            continue
        username = f"demo-{role.value.replace('_', '-')}"
        if role is Role.SOURCE:
            username = DEMO_SOURCE
        password = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(12))
        subject = person if role is Role.SUBJECT else None
        allowed = kinds if role is Role.SOURCE else frozenset()
        accounts.create_user(username, password, role, subject=subject, allowed_kinds=allowed)
        logins.append(DemoLogin(role, username, password, subject))
    return logins
