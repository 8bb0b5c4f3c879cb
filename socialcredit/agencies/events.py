"""The entries the agencies package writes, as typed events (the schema in code): agencies
and their keys, and the joint memoranda they conclude and end.

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`. ``to_data()`` gives back exactly the data the entry holds,
so the canonical bytes are those written before the classes existed. Keys are Ed25519 public
keys and signatures in base64; digests SHA-256 hex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialcredit.events import EVENTS, Event

__all__ = [
    "AGENCY_EVENTS",
    "AgencyKeyRotatedV1",
    "AgencyRegisteredV1",
    "MemorandumConcludedV1",
    "MemorandumEndedV1",
]


@EVENTS.register
@dataclass(frozen=True, slots=True)
class AgencyRegisteredV1(Event):
    """An agency (``<authority kind>:<name>``) registered with its first signing key."""

    TYPE: ClassVar[str] = "AgencyRegistered"
    VERSION: ClassVar[int] = 1
    name: str
    authority: str
    title: str
    public_key: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class AgencyKeyRotatedV1(Event):
    """An agency's new key, signed by the key it replaces."""

    TYPE: ClassVar[str] = "AgencyKeyRotated"
    VERSION: ClassVar[int] = 1
    agency: str
    public_key: str
    previous_key: str
    signature: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class MemorandumConcludedV1(Event):
    """A joint memorandum signed by every party: the document's keys (``id``, ``title``,
    ``reference``, ``effective``, ``ends``, ``links``), its digest and the signatures
    (``{"agency", "public_key", "signature"}`` each)."""

    TYPE: ClassVar[str] = "MemorandumConcluded"
    VERSION: ClassVar[int] = 1
    id: str
    title: str
    reference: str | None
    effective: str | None
    ends: str | None
    links: list[dict[str, Any]]
    digest: str
    signatures: list[dict[str, str]]

    def document(self) -> dict[str, Any]:
        """The memorandum without digest and signatures (what the parties sign)."""
        return {
            "id": self.id,
            "title": self.title,
            "reference": self.reference,
            "effective": self.effective,
            "ends": self.ends,
            "links": self.links,
        }


@EVENTS.register
@dataclass(frozen=True, slots=True)
class MemorandumEndedV1(Event):
    """A party ended a memorandum early, signing the ending with its key in force."""

    TYPE: ClassVar[str] = "MemorandumEnded"
    VERSION: ClassVar[int] = 1
    memorandum: str
    memorandum_digest: str
    reason: str
    agency: str
    public_key: str
    signature: str


#: The agency entry classes.
AGENCY_EVENTS: tuple[type[Event], ...] = (
    AgencyRegisteredV1,
    AgencyKeyRotatedV1,
    MemorandumConcludedV1,
    MemorandumEndedV1,
)
