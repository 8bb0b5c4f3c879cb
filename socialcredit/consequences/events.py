"""The entries the consequences package writes, as typed events (the schema in code):
restoration, hardship, legal representatives and the audited decisions.

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`. ``to_data()`` gives back exactly the data the entry holds,
so the canonical bytes are those written before the classes existed. A subject is
``{"kind", "id"}`` in the data and a ``(kind, id)`` pair here; times are canonical UTC text.

``ListingNoticed`` was declared when the ledger listed every type but no code ever wrote it
(a listing's notice is computed from the records, not recorded), so it has no class: a reader
asking for one is refused by the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from socialcredit.errors import Problem, ValidationError
from socialcredit.events import EVENTS, Event

__all__ = [
    "CONSEQUENCE_EVENTS",
    "DecisionMadeV1",
    "HardshipEndedV1",
    "HardshipRecordedV1",
    "LegalRepresentativeRecordedV1",
    "RestorationGrantedV1",
    "RestorationRequestedV1",
]

_SUBJECT: frozenset[str] = frozenset({"subject"})


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RestorationRequestedV1(Event):
    """The subject applied for early restoration from a list."""

    TYPE: ClassVar[str] = "RestorationRequested"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    subject: tuple[str, str]
    list_: str  # the list id ("list" in the data)
    reason: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RestorationGrantedV1(Event):
    """Early restoration from a list was granted under the list's formal rule (``basis``)."""

    TYPE: ClassVar[str] = "RestorationGranted"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    subject: tuple[str, str]
    list_: str
    reason: str
    basis: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class HardshipRecordedV1(Event):
    """The subject cannot pay (as opposed to will not): a hardship period begins."""

    TYPE: ClassVar[str] = "HardshipRecorded"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"evidence"})
    subject: tuple[str, str]
    reason: str
    evidence: str | None = None


@EVENTS.register
@dataclass(frozen=True, slots=True)
class HardshipEndedV1(Event):
    """The subject's hardship period ended."""

    TYPE: ClassVar[str] = "HardshipEnded"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    subject: tuple[str, str]
    reason: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class LegalRepresentativeRecordedV1(Event):
    """Who legally represents an organisation from ``from_`` on (None: nobody)."""

    TYPE: ClassVar[str] = "LegalRepresentativeRecorded"
    VERSION: ClassVar[int] = 1
    organisation: str  # USCC
    representative: str | None  # resident id
    from_: str  # canonical UTC time ("from" in the data)


@EVENTS.register
@dataclass(frozen=True, slots=True)
class DecisionMadeV1(Event):
    """A service asked about the subject and was allowed, denied or rewarded, with the
    reasons and recourse, under the bundle ``revision``/``digest``
    (:meth:`socialcredit.consequences._model.Decision.to_json`).

    ``frozen`` is present only when hardship froze a restriction. ``requested_by`` (null
    when the caller named nobody) and ``purpose`` are in every decision recorded since
    decisions were attributed; ``attributed`` is False for the earlier entries, which hold
    neither key (it is not part of the data).
    """

    TYPE: ClassVar[str] = "DecisionMade"
    VERSION: ClassVar[int] = 1
    SUBJECTS: ClassVar[frozenset[str]] = _SUBJECT
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"frozen"})
    subject: tuple[str, str]
    service: str
    at: str
    outcome: str  # allow, deny or reward
    measures: list[str]
    reasons: list[dict[str, Any]]
    recourse: list[str]
    revision: int
    digest: str
    requested_by: str | None
    purpose: str | None
    frozen: list[dict[str, Any]] | None = None
    attributed: bool = True

    def to_data(self) -> dict[str, Any]:
        """The entry's data (without ``requested_by`` and ``purpose`` if not attributed)."""
        out: dict[str, Any] = {
            "subject": {"kind": self.subject[0], "id": self.subject[1]},
            "service": self.service,
            "at": self.at,
            "outcome": self.outcome,
            "measures": self.measures,
            "reasons": self.reasons,
            "recourse": self.recourse,
            "revision": self.revision,
            "digest": self.digest,
        }
        if self.frozen is not None:
            out["frozen"] = self.frozen
        if self.attributed:
            out["requested_by"], out["purpose"] = self.requested_by, self.purpose
        return out

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """The event of ``data`` (an entry from before attribution holds neither key).

        Raises:
            ValidationError: naming each missing or unexpected key, or a malformed subject.
        """
        if "attributed" in data:  # a field, but not a data key
            problem = Problem("data.attributed", "not in the schema")
            raise ValidationError("not a DecisionMade v1 entry", [problem])
        if "requested_by" in data or "purpose" in data:
            flat = {**data, "attributed": True}
        else:
            flat = {**data, "requested_by": None, "purpose": None, "attributed": False}
        return super(DecisionMadeV1, cls).from_data(flat)

    @staticmethod
    def data_of(
        decision: Mapping[str, Any], requested_by: str | None, purpose: str
    ) -> dict[str, Any]:
        """``of(decision, requested_by, purpose).to_data()`` without building the event: the
        decision service writes one per decision, where a dataclass would cost a fifth of the
        call (``tests/test_events_classes.py`` holds the two equal)."""
        return {**decision, "requested_by": requested_by, "purpose": purpose}

    @classmethod
    def of(cls, decision: Mapping[str, Any], requested_by: str | None, purpose: str) -> Self:
        """The event of a decision's JSON (``Decision.to_json()``, trusted: it is not checked
        key by key) made for ``requested_by`` and ``purpose``."""
        subject = decision["subject"]
        return cls(
            (subject["kind"], subject["id"]), decision["service"], decision["at"],
            decision["outcome"], decision["measures"], decision["reasons"],
            decision["recourse"], decision["revision"], decision["digest"],
            requested_by, purpose, decision.get("frozen"),
        )  # fmt: skip


#: The consequence entry classes.
CONSEQUENCE_EVENTS: tuple[type[Event], ...] = (
    RestorationRequestedV1,
    RestorationGrantedV1,
    HardshipRecordedV1,
    HardshipEndedV1,
    LegalRepresentativeRecordedV1,
    DecisionMadeV1,
)
