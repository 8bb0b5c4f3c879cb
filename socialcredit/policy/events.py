"""The entries the policy package writes, as typed events (the schema in code): published
bundles, the governance of publication, and impact assessments.

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`. ``to_data()`` gives back exactly the data the entry holds,
so the canonical bytes are those written before the classes existed. Digests are SHA-256 hex;
a signature is ``{"role", "public_key", "signature"}`` (base64).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialcredit.events import EVENTS, Event

__all__ = ["POLICY_EVENTS", "GovernanceRecordedV1", "ImpactAssessedV1", "PolicyPublishedV1"]


@EVENTS.register
@dataclass(frozen=True, slots=True)
class PolicyPublishedV1(Event):
    """A policy bundle was published: its files in full (so it replays), its digest and
    the signatures of the governance in force.

    ``signatures`` is absent from entries written before publication was governed, and
    ``governance`` (``{"version", "digest"}``) is absent when no governance was in force.
    """

    TYPE: ClassVar[str] = "PolicyPublished"
    VERSION: ClassVar[int] = 1
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"signatures", "governance"})
    revision: int
    effective_from: str
    digest: str
    files: dict[str, str]  # file name -> UTF-8 text
    signatures: list[dict[str, str]] | None = None
    governance: dict[str, Any] | None = None


@EVENTS.register
@dataclass(frozen=True, slots=True)
class GovernanceRecordedV1(Event):
    """The governance of publication from now on: the document's keys (``version``,
    ``roles`` as ``{"role", "public_key"}``, ``threshold``, ``notice_days``), its digest and
    the signatures of the governance it replaces (none for the first)."""

    TYPE: ClassVar[str] = "GovernanceRecorded"
    VERSION: ClassVar[int] = 1
    version: int
    roles: list[dict[str, str]]
    threshold: int
    notice_days: int
    digest: str
    signatures: list[dict[str, str]]

    def document(self) -> dict[str, Any]:
        """The governance document without digest and signatures (what is signed)."""
        return {
            "version": self.version,
            "roles": self.roles,
            "threshold": self.threshold,
            "notice_days": self.notice_days,
        }


@EVENTS.register
@dataclass(frozen=True, slots=True)
class ImpactAssessedV1(Event):
    """The impact assessment of the bundle with ``digest``, compared with the bundle in force
    (``in_force_digest``, null at genesis); ``assessment`` is JSON without floats."""

    TYPE: ClassVar[str] = "ImpactAssessed"
    VERSION: ClassVar[int] = 1
    digest: str
    revision: int
    in_force_digest: str | None
    assessment: dict[str, Any]


#: The policy entry classes.
POLICY_EVENTS: tuple[type[Event], ...] = (
    PolicyPublishedV1,
    GovernanceRecordedV1,
    ImpactAssessedV1,
)
