"""Purpose-bound reads of a subject's file, each logged in the ledger before it happens.

The whitelist of permissible purposes is the data file ``purposes.yaml`` next to this module.
A read names its reader and one purpose; an unlisted purpose is refused and nothing is
written. The ``FileRead`` entry (data v1)::

    FileRead {"subject": {"kind", "id"}, "reader": str, "purpose": str, "what": str}

``what`` is ``report``, ``export``, ``file``, or ``listing`` (the subject's identifier was
shown unmasked on a list, see :func:`socialcredit.consequences.identified_members_of_list`).

The subject sees every read of their file (who, when, why) in their report (:func:`reads_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from socialcredit.errors import Problem, ValidationError
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.ledger.entries import Entry, format_time
from socialcredit.rights._scan import ledger_now, scan
from socialcredit.rights._text import checked_actor

__all__ = [
    "PURPOSES",
    "FileReadV1",
    "Purpose",
    "checked_purpose",
    "checked_reader",
    "log_read",
    "project_reads",
    "purposes",
    "read_entry",
    "read_file",
    "reads_of",
]

FILE_READ = "FileRead"
WHAT = ("report", "export", "file", "listing")  # "listing": seen unmasked on a list


@dataclass(frozen=True, slots=True)
class Purpose:
    """A permissible purpose: its id, what it covers, and whether it sees personal data."""

    id: str
    description: str
    personal_data: bool


@cache
def purposes() -> dict[str, Purpose]:
    """The whitelist, read once from ``purposes.yaml``."""
    document = yaml.safe_load(files("socialcredit.rights").joinpath("purposes.yaml").read_text())
    return {
        p["id"]: Purpose(p["id"], p["description"], bool(p["personal_data"]))
        for p in document["purposes"]
    }


PURPOSES = tuple(purposes())


def checked_purpose(purpose: str) -> Purpose:
    """The whitelisted purpose ``purpose``.

    Raises:
        ValidationError: naming ``purpose`` if it is not on the whitelist.
    """
    found = purposes().get(purpose)
    if found is None:
        reason = f"{purpose!r} is not a permissible purpose; one of: {', '.join(PURPOSES)}"
        raise ValidationError("read refused", [Problem("purpose", reason)])
    return found


def checked_reader(reader: str, purpose: str) -> Purpose:
    """The whitelisted ``purpose``, after checking that ``reader`` is a short code that is
    nobody's identity number (for reads about several subjects at once).

    Raises:
        ValidationError: naming ``purpose`` or ``reader``.
    """
    found = checked_purpose(purpose)
    checked_actor(reader, "reader")
    return found


def log_read(
    ledger: Ledger, subject: tuple[str, str], reader: str, purpose: str, what: str = "file"
) -> int:
    """Check the purpose and append the ``FileRead`` entry; returns its position.

    Raises:
        ValidationError: as :func:`read_entry`; nothing is written then.
    """
    return ledger.append([read_entry(subject, reader, purpose, what)])[0].position


def read_entry(
    subject: tuple[str, str], reader: str, purpose: str, what: str = "file"
) -> PendingEntry:
    """The checked ``FileRead`` entry of one read, for callers that log several reads in
    one append (:func:`log_read` logs one).

    Raises:
        ValidationError: if the purpose is not whitelisted, the reader is not a short code
            (or is another person's identity number), or ``what`` is unknown.
    """
    checked_purpose(purpose)
    who = checked_actor(reader, "reader", subject[1])
    if what not in WHAT:
        raise ValidationError("read refused", [Problem("what", f"must be one of {WHAT}")])
    data = {
        "subject": {"kind": subject[0], "id": subject[1]},
        "reader": who,
        "purpose": purpose,
        "what": what,
    }
    return PendingEntry(FILE_READ, data, None, subject)


def read_file(
    ledger: Ledger, subject: tuple[str, str], reader: str, purpose: str
) -> dict[str, Any]:
    """The subject's file (the subject access report, now), after logging the read.

    Raises:
        ValidationError: as :func:`log_read`; nothing is read or written then.
    """
    from socialcredit.rights.report import subject_report  # the report builds on this module

    return subject_report(ledger, subject[0], subject[1], None, reader, purpose, what="file")


@dataclass(frozen=True, slots=True)
class FileReadV1:
    """One logged read of a file."""

    position: int
    at_us: int
    reader: str
    purpose: str
    what: str

    def to_json(self) -> dict[str, Any]:
        """The read as JSON-able values."""
        return {
            "position": self.position,
            "at": format_time(self.at_us),
            "reader": self.reader,
            "purpose": self.purpose,
            "what": self.what,
        }


def reads_of(
    ledger: Ledger, subject: tuple[str, str], at: datetime | int | None = None
) -> list[FileReadV1]:
    """Every logged read of the subject's file recorded by ``at`` (default now), oldest first."""
    known = ledger_now(ledger) if at is None else at
    known_us = known if isinstance(known, int) else _us(known)
    entries = scan(ledger, {FILE_READ}, containing=subject[1].encode())
    return project_reads(entries, subject, known_us)


def project_reads(
    entries: Iterable[Entry], subject: tuple[str, str], known_us: int
) -> list[FileReadV1]:
    """:func:`reads_of` over already-read entries (in ledger order; other types ignored)."""
    out = []
    for entry in entries:
        d = entry.data
        if entry.type != FILE_READ or entry.recorded_at_us > known_us:
            continue
        if (d["subject"]["kind"], d["subject"]["id"]) == subject:
            read = FileReadV1(
                entry.position, entry.recorded_at_us, d["reader"], d["purpose"], d["what"]
            )
            out.append(read)
    return out


def _us(moment: datetime) -> int:
    from socialcredit.scoring.engine import to_us

    return to_us(moment)
