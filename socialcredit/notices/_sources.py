"""Where notices come from, and queueing them into the outbox.

:func:`queue_notices` reads the ledger and puts every notice the rules require that is not yet
in the outbox into it, as ``NoticeQueued`` entries:

* ``record_recertified`` — a deleted record came back by recertification (``RecordRecertified``);
* ``adverse_decision`` — a point of service was refused something (``DecisionMade``, outcome
  ``deny``): the measures, reason codes (list, records, legal basis) and recourse;
* ``dispute_deadlines`` — a dispute was opened: by when it must be acknowledged and decided;
* ``dispute_overdue`` — a dispute was not decided in time, so its record is suspended;
* ``listing_noticed`` — the advance notice of a listing (from the consequences projection):
  when it takes effect, on which records, and how to avoid or end it;
* ``repair_outcome`` — credit repair was decided, or its appeal (``RepairDecided``,
  ``RepairAppealDecided``): the outcome and, for a refusal, the conditions not met.

Each candidate carries a *trigger key* (kind + the entry or listing that calls for it); the
notice's id and the entry's idempotency key derive from it, so queueing twice, or in two
processes at once, queues each notice once. Nothing is queued about a minor (a person under 18
at the time of queueing), and nothing whose codes betray a prohibited ground (the catalogue's
firewall screen): such candidates are skipped and reported, and never abort the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from socialcredit.catalogue import person_facts, screen

from ..consequences.events import DecisionMadeV1
from ..events import EVENTS
from ..ledger import Entry, Ledger
from ..records.events import RecordRecertifiedV1
from ..rights.events import DisputeOpenedV1, RepairAppealDecidedV1, RepairDecidedV1
from ..timeutil import format_time
from ._model import QUEUED, Notice, notice_id, queued_entry, scan_types
from .events import NoticeQueuedV1

__all__ = [
    "Candidate",
    "QueueReport",
    "candidate",
    "list_recourse",
    "queue_notices",
    "refusal",
]

_BATCH = 1_000
_RECERTIFIED = RecordRecertifiedV1.TYPE
_DECISION = DecisionMadeV1.TYPE
_DISPUTE_OPENED = DisputeOpenedV1.TYPE
_SCANNED = (_RECERTIFIED, _DECISION, _DISPUTE_OPENED, QUEUED)


class Candidate(NamedTuple):
    """A notice a source says is due: its trigger key and the notice (id from the key)."""

    key: str
    notice: Notice


def candidate(
    kind: str, key: str, subject: tuple[str, str], trigger: int | None, content: dict[str, Any]
) -> Candidate:
    """A candidate of ``kind`` whose trigger key is ``kind:key``."""
    full = f"{kind}:{key}"
    return Candidate(full, Notice(notice_id(full), kind, subject, trigger, content))


@dataclass(slots=True)
class QueueReport:
    """What one queueing run did: notices queued, already there, and skipped (with why)."""

    queued: list[str] = field(default_factory=list)
    already: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (trigger key, reason)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-able values."""
        return {
            "queued": len(self.queued),
            "already_queued": self.already,
            "skipped": [{"trigger": k, "reason": r} for k, r in self.skipped],
        }


@dataclass(slots=True)
class _Read:
    """What one scan of the ledger gathered for the sources."""

    recertified: list[Entry] = field(default_factory=list)
    decisions: list[tuple[Entry, DecisionMadeV1]] = field(default_factory=list)  # denials
    disputes: dict[str, int] = field(default_factory=dict)  # dispute id -> DisputeOpened position
    queued: set[str] = field(default_factory=set)  # ids already in the outbox


Source = Callable[[Ledger, _Read, int], Iterable[Candidate]]


def _day(us: int) -> str:
    return format_time(us)[:10]


def _subject(data: Mapping[str, Any]) -> tuple[str, str]:
    return str(data["kind"]), str(data["id"])


def _recertified(ledger: Ledger, read: _Read, now_us: int) -> Iterator[Candidate]:
    for entry in read.recertified:
        recertified = EVENTS.read_as(entry, RecordRecertifiedV1)
        record = recertified.record
        kind = ledger.entry(record).data.get("kind")
        content = {
            "record": record,
            "record_kind": kind,
            "by": recertified.by,
            "day": _day(entry.recorded_at_us),
            "recourse": [{"code": "dispute_record", "records": [record]}],
        }
        subject = _subject(recertified.notice["to"])
        yield candidate("record_recertified", str(entry.position), subject, entry.position, content)


def _decisions(ledger: Ledger, read: _Read, now_us: int) -> Iterator[Candidate]:
    view = _consequence_view(ledger) if read.decisions else None
    for entry, decision in read.decisions:
        reasons = [
            {"measure": r["measure"], "list": r["list"], "grounds": list(r["grounds"]),
             "legal_basis": r["legal_basis"]}
            for r in decision.reasons
        ]  # fmt: skip
        grounds = sorted({g for r in reasons for g in r["grounds"]})
        recourse: list[dict[str, Any]] = []
        if grounds:
            recourse.append({"code": "dispute_record", "records": grounds})
        assert view is not None
        compiled = view.compiled_at(entry.recorded_at_us)
        for list_id in dict.fromkeys(r["list"] for r in reasons):
            definition = compiled.lists.get(list_id)
            if definition is not None:
                recourse += list_recourse(definition, None)
        recourse.append({"code": "human_review"})
        content = {
            "decision": entry.position,
            "service": decision.service,
            "day": decision.at[:10],
            "measures": list(decision.measures),
            "reasons": reasons,
            "recourse": recourse,
        }
        subject = decision.subject
        yield candidate("adverse_decision", str(entry.position), subject, entry.position, content)


def list_recourse(definition: Any, until: str | None) -> list[dict[str, Any]]:
    """The language-neutral recourse of a listing on ``definition`` (a ListDefinition): how
    the obligation ends it, when restoration may be asked for, hardship, and its last day."""
    out: list[dict[str, Any]] = []
    restoration = definition.restoration
    if restoration.performed_by:
        out.append({"code": "perform_obligation", "list": definition.id,
                    "kinds": list(restoration.performed_by),
                    "days": restoration.within_working_days})  # fmt: skip
    if restoration.on_application_after_days is not None:
        out.append({"code": "apply_restoration", "list": definition.id,
                    "after_days": restoration.on_application_after_days})  # fmt: skip
    if definition.hardship_freezes:
        out.append({"code": "hardship", "list": definition.id})
    if until is not None:
        out.append({"code": "listing_ends", "list": definition.id, "until": until})
    return out


def _disputes(ledger: Ledger, read: _Read, now_us: int) -> Iterator[Candidate]:
    if not read.disputes:
        return
    from socialcredit.rights import disputes_of

    for state in disputes_of(ledger, now_us):
        opened = read.disputes.get(state.id)
        if opened is None:
            continue
        deadlines = state.deadlines
        content = {
            "dispute": state.id,
            "record": state.target,
            "opened": _day(state.opened_us),
            "acknowledge_by": deadlines.acknowledge_by.isoformat(),
            "decide_by": deadlines.decide_by.isoformat(),
        }
        yield candidate("dispute_deadlines", state.id, state.subject, opened, content)
        if state.state == "overdue-decision":
            overdue = {**content, "suspended": True}
            yield candidate("dispute_overdue", state.id, state.subject, opened, overdue)


def _consequence_view(ledger: Ledger) -> Any:
    from socialcredit.consequences import ConsequenceView

    view = ledger.projection("consequences", ConsequenceView)
    view.catch_up()
    return view


def _listings(ledger: Ledger, read: _Read, now_us: int) -> Iterator[Candidate]:
    view = _consequence_view(ledger)
    compiled = view.compiled_at(now_us)
    for list_id, definition in compiled.lists.items():
        for subject, member in view.subjects_on(list_id, now_us):
            if member.status.value not in ("noticed", "listed", "frozen"):
                continue
            until = None if member.until_us is None else _day(member.until_us)
            content = {
                "list": list_id,
                "noticed": _day(member.noticed_us),
                "effective": _day(member.from_us),
                "until": until,
                "grounds": list(member.grounds),
                "kinds": list(member.kinds),
                "recourse": _listing_recourse(definition, member.grounds, until),
            }
            key = f"{subject[0]}:{subject[1]}:{list_id}:{member.noticed_us}"
            trigger = max(member.grounds) if member.grounds else None
            yield candidate("listing_noticed", key, subject, trigger, content)


def _listing_recourse(
    definition: Any, grounds: Iterable[int], until: str | None
) -> list[dict[str, Any]]:
    records = sorted(grounds)
    head = [{"code": "dispute_record", "records": records}] if records else []
    return head + list_recourse(definition, until)


def _repairs(ledger: Ledger, read: _Read, now_us: int) -> Iterator[Candidate]:
    """The ``repair_outcome`` notices: one per decision and one per appeal decision, to the
    subject, with the unmet conditions of a refusal."""
    for entry in scan_types(ledger, _REPAIR_DECIDED):
        if entry.recorded_at_us > now_us:
            break
        appeal = entry.type == RepairAppealDecidedV1.TYPE
        decided: RepairDecidedV1 | RepairAppealDecidedV1 = (
            EVENTS.read_as(entry, RepairAppealDecidedV1)
            if appeal
            else EVENTS.read_as(entry, RepairDecidedV1)
        )
        content = {
            "application": decided.repair,
            "record": decided.record,
            "day": _day(entry.recorded_at_us),
            "outcome": decided.outcome,
            "appeal": appeal,
            "unmet": list(decided.unmet),
        }
        key = f"{decided.repair}:{'appeal' if appeal else 'decision'}"
        to = _subject(decided.notice["to"])
        yield candidate("repair_outcome", key, to, entry.position, content)


_REPAIR_DECIDED = (RepairDecidedV1.TYPE, RepairAppealDecidedV1.TYPE)
_SOURCES: tuple[Source, ...] = (_recertified, _decisions, _disputes, _listings, _repairs)


def _read(ledger: Ledger) -> _Read:
    read = _Read()
    for entry in scan_types(ledger, _SCANNED):
        if entry.type == QUEUED:
            read.queued.add(EVENTS.read_as(entry, NoticeQueuedV1).notice)
        elif entry.type == _RECERTIFIED:
            read.recertified.append(entry)
        elif entry.type == _DECISION:
            decision = EVENTS.read_as(entry, DecisionMadeV1)
            if decision.outcome == "deny":
                read.decisions.append((entry, decision))
        elif entry.type == _DISPUTE_OPENED:
            read.disputes[EVENTS.read_as(entry, DisputeOpenedV1).dispute] = entry.position
    return read


def refusal(notice: Notice, now_us: int) -> str | None:
    """Why ``notice`` must not be written (a minor; a prohibited ground), else None."""
    kind, ident = notice.subject
    if kind == "person":
        facts = person_facts(ident)
        if isinstance(facts, str):
            return f"not a valid resident identity number: {facts}"
        if now_us < facts[2]:
            return "the subject is a minor: nothing is written about a minor"
    elif kind != "organisation":
        return f"unknown subject kind {kind!r}"
    for text in _codes(notice.content):
        found = screen(text)
        if found:
            return f"names a prohibited ground ({found[0][1]}): refused by the firewall"
    return None


def _codes(value: Any) -> Iterator[str]:
    """The code-like strings of ``content`` (legal bases are the registry's prose: skipped)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key != "legal_basis":
                yield from _codes(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _codes(item)


def queue_notices(
    ledger: Ledger, *, now_us: int | None = None, kinds: Iterable[str] | None = None
) -> QueueReport:
    """Queue every notice the rules require that is not in the outbox yet; idempotent.

    Args:
        ledger: a writable ledger.
        now_us: the time the projections (listings, dispute deadlines) are read at; default
            the ledger's clock.
        kinds: only these kinds (default: every kind).

    Raises:
        LedgerError: if the ledger is read-only.
        LedgerOverloadedError: if the ledger pushes back (notices queued before stay queued).
    """
    now = ledger.clock() if now_us is None else now_us
    wanted = None if kinds is None else set(kinds)
    read = _read(ledger)
    report = QueueReport()
    pending = []
    for source in _SOURCES:
        for found in source(ledger, read, now):
            if wanted is not None and found.notice.kind not in wanted:
                continue
            if found.notice.id in read.queued:
                report.already += 1
                continue
            reason = refusal(found.notice, now)
            if reason is not None:
                report.skipped.append((found.key, reason))
                continue
            read.queued.add(found.notice.id)
            pending.append(queued_entry(found.key, found.notice))
    for start in range(0, len(pending), _BATCH):
        results = ledger.append(pending[start : start + _BATCH])
        for entry, result in zip(pending[start : start + _BATCH], results, strict=True):
            if result.duplicate:  # another process queued it since we read
                report.already += 1
            else:
                report.queued.append(entry.data["notice"])
    return report
