"""Where a subject wants their notices sent: an e-mail address they registered, and the
language of the e-mails.

Addresses are personal data that must be erasable, so they never enter the ledger: they live
in a small SQLite file beside the accounts store (``<store db>.contacts.db`` by default, see
:func:`contacts_path`). Registering an address is the subject's consent to notices by e-mail;
removing it erases the row (and the subject still sees every notice in the portal).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigurationError, Problem, ValidationError
from ..settings import Settings

__all__ = ["LANGUAGE_TAGS", "Contact", "ContactStore", "checked_address", "contacts_path"]

#: The languages a notice is sent in (BCP 47 tags, as the portal's switch names them).
LANGUAGE_TAGS = ("zh-CN", "en")
_MAX_ADDRESS = 254
# A deliverable mailbox: local part and domain, no spaces, quotes, angle brackets or line
# breaks (anything that could smuggle a header or a second recipient).
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\Z"
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS notice_contacts (
    subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, address TEXT NOT NULL,
    language TEXT NOT NULL, consented_at INTEGER NOT NULL,
    PRIMARY KEY (subject_kind, subject_id));
"""


def contacts_path(settings: Settings) -> Path:
    """The contacts file beside the accounts store: ``<store db>.contacts.db``.

    Raises:
        ConfigurationError: if the accounts path cannot be derived (see Settings).
    """
    accounts = settings.accounts_path()
    name = accounts.name.removesuffix(".db").removesuffix(".accounts")
    return accounts.with_name(f"{name}.contacts.db")


def checked_address(address: object, field: str = "address") -> str:
    """``address`` if it is a plain mailbox (``local@domain``, at most 254 characters).

    Raises:
        ValidationError: naming ``field`` otherwise.
    """
    if not isinstance(address, str) or not address.strip():
        raise ValidationError("bad contact", [Problem(field, "an e-mail address is required")])
    text = address.strip()
    if len(text) > _MAX_ADDRESS or not _ADDRESS.match(text) or ".." in text.split("@")[1]:
        reason = "not a plain e-mail address (local@domain, at most 254 characters)"
        raise ValidationError("bad contact", [Problem(field, reason)])
    return text


def _checked_language(language: object) -> str:
    if language not in LANGUAGE_TAGS:
        reason = f"must be one of {', '.join(LANGUAGE_TAGS)}, got {language!r}"
        raise ValidationError("bad contact", [Problem("language", reason)])
    return str(language)


@dataclass(frozen=True, slots=True)
class Contact:
    """A subject's registered address and language; ``consented_at`` in Unix seconds."""

    subject: tuple[str, str]
    address: str
    language: str
    consented_at: int


class ContactStore:
    """The registered addresses (thread-safe; one SQLite connection under a lock).

    Raises:
        ConfigurationError: on construction, if the file cannot be opened.
    """

    def __init__(self, path: str | Path, *, clock: object = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the contacts store {path}: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def register(self, subject: tuple[str, str], address: str, language: str = "zh-CN") -> Contact:
        """Register (or replace) the subject's address and language: their consent.

        Raises:
            ValidationError: naming ``address`` or ``language`` if it is not acceptable.
        """
        found = Contact(
            subject, checked_address(address), _checked_language(language),
            int(self._clock()),  # type: ignore[operator]
        )  # fmt: skip
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO notice_contacts VALUES (?, ?, ?, ?, ?)",
                (*subject, found.address, found.language, found.consented_at),
            )
        return found

    def erase(self, subject: tuple[str, str]) -> bool:
        """Withdraw consent: delete the subject's address; True if there was one."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM notice_contacts WHERE subject_kind = ? AND subject_id = ?", subject
            )
        return cursor.rowcount > 0

    def get(self, subject: tuple[str, str]) -> Contact | None:
        """The subject's contact, or None if they registered none."""
        return self.many([subject]).get(subject)

    def many(self, subjects: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Contact]:
        """The contacts of those of ``subjects`` that registered one."""
        wanted = list(dict.fromkeys(subjects))
        out: dict[tuple[str, str], Contact] = {}
        with self._lock:
            for start in range(0, len(wanted), 400):
                chunk = wanted[start : start + 400]
                marks = ",".join("(?, ?)" for _ in chunk)
                rows = self._db.execute(
                    "SELECT subject_kind, subject_id, address, language, consented_at FROM "
                    f"notice_contacts WHERE (subject_kind, subject_id) IN (VALUES {marks})",
                    [part for subject in chunk for part in subject],
                ).fetchall()
                for kind, ident, address, language, at in rows:
                    out[(kind, ident)] = Contact((kind, ident), address, language, at)
        return out

    def register_many(self, contacts: Iterable[tuple[tuple[str, str], str, str]]) -> int:
        """Register many ``(subject, address, language)`` at once (imports, benchmarks); all
        are checked before any is written.

        Raises:
            ValidationError: naming the first bad one (``[i].address``); nothing is written.
        """
        rows = []
        now = int(self._clock())  # type: ignore[operator]
        for i, (subject, address, language) in enumerate(contacts):
            try:
                rows.append((*subject, checked_address(address), _checked_language(language), now))
            except ValidationError as exc:
                problem = exc.problems[0]
                raise ValidationError(
                    "bad contact", [Problem(f"[{i}].{problem.field}", problem.reason)]
                ) from None
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO notice_contacts VALUES (?, ?, ?, ?, ?)", rows
            )
        return len(rows)
