"""Plain values of the consequences layer: listings, memberships, decisions, reasons and recourse.

Times inside are integer microseconds since the epoch (UTC); ``to_json`` renders them as
canonical ``...Z`` text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from socialcredit.ledger import Entry
from socialcredit.timeutil import format_time

__all__ = [
    "Decision",
    "FrozenRestriction",
    "ListTerms",
    "Listing",
    "Membership",
    "Outcome",
    "Reason",
    "Status",
    "SubjectConsequences",
    "time_text",
]


@lru_cache(maxsize=4096)
def _at_text(us: int) -> str:
    # many decisions share a time (a point of service asks "now", in whole seconds or a day)
    return format_time(us)


def time_text(us: int | None) -> str | None:
    """Canonical UTC text of ``us``, or None."""
    return None if us is None else format_time(us)


class Status(StrEnum):
    """Where a listing stands at a given time."""

    NOTICED = "noticed"  # the subject has been warned; the listing takes effect after the notice
    LISTED = "listed"  # in effect: its measures apply
    FROZEN = "frozen"  # in effect but suspended: hardship (cannot pay) was recorded
    RESTORED = "restored"  # ended early: obligation performed or restoration granted
    EXPIRED = "expired"  # ended at the end of its period


class Outcome(StrEnum):
    """What a point of service is told."""

    ALLOW = "allow"
    DENY = "deny"
    REWARD = "reward"


class Listing(NamedTuple):
    """One listing as an interval; ``until_us`` None only while a grade listing is open."""

    list_id: str
    noticed_us: int
    from_us: int
    until_us: int | None
    grounds: tuple[int, ...]
    kinds: tuple[str, ...]
    ended_by: str | None


@dataclass(frozen=True, slots=True)
class Membership:
    """One listing of a subject on a list, evaluated at ``at_us``.

    Attributes:
        list_id: the list.
        status: the status at ``at_us``.
        noticed_us: when the subject was warned (the ground became known).
        from_us: when the listing takes (or took) effect.
        until_us: when it ends (early end included); None only for a grade listing still open.
        grounds: ledger positions of the records it rests on.
        kinds: the record kinds of those grounds (``grade:AAA`` for a grade listing).
        ended_by: ``performance`` / ``restoration`` / ``expiry`` once ended, else None.
    """

    list_id: str
    status: Status
    noticed_us: int
    from_us: int
    until_us: int | None
    grounds: tuple[int, ...]
    kinds: tuple[str, ...]
    ended_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The membership as JSON-able values."""
        return {
            "list": self.list_id,
            "status": self.status.value,
            "noticed": time_text(self.noticed_us),
            "from": time_text(self.from_us),
            "until": time_text(self.until_us),
            "grounds": list(self.grounds),
            "kinds": list(self.kinds),
            "ended_by": self.ended_by,
        }


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a measure applies: the list, the records, the legal basis, in words.

    ``memorandum`` and ``memorandum_title`` name the joint memorandum in force that links the
    list to the measure across agencies (:mod:`socialcredit.agencies._memoranda`), if any.
    """

    measure: str
    list_id: str
    grounds: tuple[int, ...]
    legal_basis: str
    text: str
    memorandum: str | None = None
    memorandum_title: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The reason as JSON-able values (the memorandum keys only when one is cited, so
        that other reasons keep their shape)."""
        out: dict[str, Any] = {
            "measure": self.measure,
            "list": self.list_id,
            "grounds": list(self.grounds),
            "legal_basis": self.legal_basis,
            "text": self.text,
        }
        if self.memorandum is not None:
            out["memorandum"] = {"id": self.memorandum, "title": self.memorandum_title}
        return out


@dataclass(frozen=True, slots=True)
class FrozenRestriction:
    """A restriction of a list that does not apply while hardship (cannot pay) is recorded.

    Attributes:
        measure, measure_name: the restriction.
        list_id, list_name: the list that would impose it.
        since_us: when the hardship period began (None if not known).
    """

    measure: str
    measure_name: str
    list_id: str
    list_name: str
    since_us: int | None

    @property
    def text(self) -> str:
        """The freeze in words, e.g. for a person reading a decision."""
        since = "" if self.since_us is None else f" (since {format_time(self.since_us)[:10]})"
        return (
            f'restriction "{self.measure_name}" ({self.measure}) of list {self.list_id} '
            f"({self.list_name}) is frozen while hardship is recorded{since}"
        )

    def to_json(self) -> dict[str, Any]:
        """The freeze as JSON-able values."""
        return {
            "measure": self.measure,
            "measure_name": self.measure_name,
            "list": self.list_id,
            "list_name": self.list_name,
            "since": time_text(self.since_us),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class ListTerms:
    """What a list is and what it does to its members: its name and its measures.

    Attributes:
        measures: ``(measure id, name, effect)`` of every measure the list triggers.
    """

    list_id: str
    name: str
    colour: str
    measures: tuple[tuple[str, str, str], ...]
    hardship_freezes: bool

    def to_json(self) -> dict[str, Any]:
        """The terms as JSON-able values."""
        return {
            "list_name": self.name,
            "colour": self.colour,
            "measures": [{"id": i, "name": n, "effect": e} for i, n, e in self.measures],
            "hardship_freezes": self.hardship_freezes,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to ``decide``: outcome, reasons, recourse, and the policy it was made under.

    Attributes:
        subject_kind, subject_id: who asked about.
        service: the service asked about.
        at_us: the time the decision is for.
        outcome: allow, deny or reward.
        measures: the measures that apply.
        reasons: one per applied measure (empty for allow).
        recourse: what the subject can do, by when, and when the measure ends.
        revision: the policy revision in force; digest its content hash.
        frozen: the restrictions that bear on the service but are frozen by hardship.
    """

    subject_kind: str
    subject_id: str
    service: str
    at_us: int
    outcome: Outcome
    measures: tuple[str, ...]
    reasons: tuple[Reason, ...]
    recourse: tuple[str, ...]
    revision: int
    digest: str
    frozen: tuple[FrozenRestriction, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The decision as JSON-able values; also the data of its ``DecisionMade`` entry
        (``frozen`` only when hardship freezes something, so that other entries keep their
        shape)."""
        out: dict[str, Any] = {
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            "service": self.service,
            "at": _at_text(self.at_us),
            "outcome": self.outcome.value,
            "measures": list(self.measures),
            "reasons": [r.to_json() for r in self.reasons],
            "recourse": list(self.recourse),
            "revision": self.revision,
            "digest": self.digest,
        }
        if self.frozen:
            out["frozen"] = [f.to_json() for f in self.frozen]
        return out


@dataclass(frozen=True, slots=True)
class SubjectConsequences:
    """A subject's listings at ``at_us`` and every decision made about them so far.

    Attributes:
        terms: the name and measures of each list the subject is on, by list id.
        hardship_since_us: when the hardship period open at ``at_us`` began, else None.
        frozen: the restrictions that hardship freezes at ``at_us``.
    """

    subject_kind: str
    subject_id: str
    at_us: int
    memberships: tuple[Membership, ...]
    decisions: tuple[Entry, ...]
    terms: Mapping[str, ListTerms] = field(default_factory=dict)
    hardship_since_us: int | None = None
    frozen: tuple[FrozenRestriction, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The whole view as JSON-able values; each membership with its list's terms."""
        hardship = None
        if self.hardship_since_us is not None:
            hardship = {
                "since": format_time(self.hardship_since_us),
                "frozen": [f.to_json() for f in self.frozen],
            }
        return {
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            "at": format_time(self.at_us),
            "memberships": [self._membership(m) for m in self.memberships],
            "hardship": hardship,
            "decisions": [
                {"position": e.position, "recorded_at": format_time(e.recorded_at_us), **e.data}
                for e in self.decisions
            ],
        }

    def _membership(self, member: Membership) -> dict[str, Any]:
        terms = self.terms.get(member.list_id)
        return {**member.to_json(), **({} if terms is None else terms.to_json())}
