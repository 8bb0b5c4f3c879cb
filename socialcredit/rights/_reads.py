"""Purpose-bound reads of a subject's file, each logged in the ledger before it happens.

The whitelist of permissible purposes is the data file ``purposes.yaml`` next to this module.
A read names its reader and one purpose; an unlisted purpose is refused and nothing is
written. The ``FileRead`` entry (data v1)::

    FileRead {"subject": {"kind", "id"}, "reader": str, "purpose": str, "what": str}

``what`` is ``report``, ``export``, ``file``, ``listing`` (the subject's identifier was
shown unmasked on a list, see :func:`socialcredit.consequences.identified_members_of_list`,
or on the officers' dispute queue), ``entry`` (one ledger entry about the subject, e.g. in an
inclusion proof), ``disputes``, ``consequences`` or ``notices`` (those parts of the file on
their own).

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
from socialcredit.events import EVENTS
from socialcredit.ledger import (
    Entry,
    Ledger,
    PendingEntry,
    entry_of,
    inclusion_document,
    ledger_now,
    scan_entries,
)
from socialcredit.rights._text import checked_actor
from socialcredit.rights.events import FileReadV1 as _FileRead  # this module's FileReadV1 is a view
from socialcredit.timeutil import format_time, to_us

__all__ = [
    "PURPOSES",
    "FileReadV1",
    "Purpose",
    "checked_purpose",
    "checked_reader",
    "entry_subject",
    "log_read",
    "log_reads",
    "project_reads",
    "proof_for",
    "purposes",
    "read_entry",
    "reads_of",
    "required_purpose",
]

FILE_READ = _FileRead.TYPE
# "listing": seen unmasked on a list; "entry": one entry's bytes (an inclusion proof)
WHAT = ("report", "export", "file", "listing", "entry", "disputes", "consequences", "notices")


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


def required_purpose(purpose: str | None, name: str = "purpose") -> str:
    """``purpose``, which a read of personal data must name and which must be whitelisted.

    Raises:
        ValidationError: naming ``name`` if it is missing or not on the whitelist.
    """
    if purpose is None:
        reason = f"a read of a person's file must name its purpose: one of {', '.join(PURPOSES)}"
        raise ValidationError("read refused", [Problem(name, reason)])
    try:
        return checked_purpose(purpose).id
    except ValidationError as error:
        raise ValidationError("read refused", [Problem(name, error.problems[0].reason)]) from None


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


def log_reads(
    ledger: Ledger,
    subjects: Iterable[tuple[str, str]],
    reader: str,
    purpose: str,
    what: str = "listing",
) -> list[int]:
    """Log one read per distinct person in ``subjects`` in one append (organisations' files
    are not personal data); their positions.

    Raises:
        ValidationError: as :func:`read_entry`; nothing is written then.
    """
    people = [s for s in dict.fromkeys(subjects) if s[0] == "person"]
    if not people:
        checked_purpose(purpose)
        return []
    entries = [read_entry(subject, reader, purpose, what) for subject in people]
    return [result.position for result in ledger.append(entries)]


def entry_subject(ledger: Ledger, entry: Entry) -> tuple[str, str] | None:
    """Whom ``entry`` is about: its ``subject``, else that of the record, dispute or target
    it refers to (a correction, a decision on a dispute); None for entries about nobody."""
    data = entry.data if isinstance(entry.data, dict) else {}
    subject = data.get("subject")
    if isinstance(subject, dict) and "kind" in subject and "id" in subject:
        return str(subject["kind"]), str(subject["id"])
    for key in ("record", "target"):
        referred = data.get(key)
        if isinstance(referred, int) and 0 <= referred < entry.position:
            return entry_subject(ledger, ledger.entry(referred))
    dispute = data.get("dispute")
    if isinstance(dispute, str) and dispute.startswith("D") and "-" in dispute:
        target = dispute[1:].split("-", 1)[0]
        if target.isdigit() and int(target) < entry.position:
            return entry_subject(ledger, ledger.entry(int(target)))
    return None


def proof_for(
    ledger: Ledger, position: int, size: int | None, reader: str, purpose: str | None
) -> dict[str, Any]:
    """The inclusion proof (InclusionProofV1) of the entry at ``position`` in the tree of
    ``size`` (default latest). It carries the entry itself only for a ``purpose`` that covers
    personal data, after logging the read (``entry``) of the file of the person it is about;
    without a purpose it carries the leaf hash only.

    Raises:
        ValidationError: if the purpose is not whitelisted or the reader is refused.
        NotFoundError: if there is no such entry or checkpoint.
    """
    document = inclusion_document(ledger, position, size)
    if purpose is None or not checked_purpose(purpose).personal_data:
        document.pop("entry", None)
        return document
    about = entry_subject(ledger, ledger.entry(position))
    if about is not None:
        log_reads(ledger, [about], reader, purpose, "entry")
    return document


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
    return entry_of(_FileRead(subject, who, purpose, what), None, subject)


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
    known_us = known if isinstance(known, int) else to_us(known)
    entries = scan_entries(ledger, {FILE_READ}, containing=subject[1].encode())
    return project_reads(entries, subject, known_us)


def project_reads(
    entries: Iterable[Entry], subject: tuple[str, str], known_us: int
) -> list[FileReadV1]:
    """:func:`reads_of` over already-read entries (in ledger order; other types ignored)."""
    out = []
    for entry in entries:
        if entry.type != FILE_READ or entry.recorded_at_us > known_us:
            continue
        logged = EVENTS.read_as(entry, _FileRead)
        if logged.subject == subject:
            read = FileReadV1(
                entry.position, entry.recorded_at_us, logged.reader, logged.purpose, logged.what
            )
            out.append(read)
    return out
