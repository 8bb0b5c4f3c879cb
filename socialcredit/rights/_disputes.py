"""Disputes, appeals and the record lifecycle writes, all as ledger entries.

A subject disputes a record (or a rating): the dispute must be acknowledged within 5 business
days and decided within 30 days (45 if new evidence came in before the 30-day deadline; see
:mod:`socialcredit.records`). An undecided dispute past its deadline suspends the record from
scoring and lists (the rule lives in :class:`socialcredit.records.RecordIndex`). Outcomes:

* ``upheld`` — the record stands;
* ``corrected`` — written with a ``RecordCorrected`` entry in the same append;
* ``deleted`` (unverifiable) — written with ``RecordWithdrawn(recertification_required)``; the
  record comes back only through :func:`recertify`, which writes a notice to the subject.

A decided dispute may be appealed once; the appeal is decided by an officer other than the
one who decided the dispute. Entry data is documented in :mod:`socialcredit.records`
and docs/rights.md. Every write checks first and appends one atomic batch, so refused input
never half-writes; idempotency keys make a retried or racing second write a no-op.

The state of every dispute at any ledger time is a projection (:func:`disputes_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from socialcredit.errors import DisputeRefusedError, NotFoundError, Problem, ValidationError
from socialcredit.events import EVENTS, Event
from socialcredit.ledger import (
    Entry,
    Ledger,
    PendingEntry,
    decode_entry,
    entry_of,
    entry_type,
    ledger_now,
    scan_entries,
    subject_entries,
)
from socialcredit.records import (
    LIFECYCLE_ENTRY_TYPES,
    RECORD_FILED,
    DisputeDeadlines,
    RecordIndex,
    RecordRow,
    dispute_deadlines,
    project_entry,
)
from socialcredit.records.events import (
    RecordCorrectedV1,
    RecordRecertifiedV1,
    RecordWithdrawnV1,
)
from socialcredit.rights._text import checked_actor, checked_text
from socialcredit.rights.events import (
    DISPUTE_EVENTS,
    AppealDecidedV1,
    AppealOpenedV1,
    DisputeAcknowledgedV1,
    DisputeDecidedV1,
    DisputeEvidenceAddedV1,
    DisputeOpenedV1,
)
from socialcredit.timeutil import format_time, parse_time

__all__ = [
    "AppealState",
    "DisputeRefusedError",
    "DisputeState",
    "QueueItem",
    "acknowledge",
    "add_evidence",
    "appeal",
    "checked_record",
    "correct_record",
    "decide",
    "decide_appeal",
    "dispute_state",
    "disputes_of",
    "open_dispute",
    "project_disputes",
    "queue",
    "recertify",
    "record_index",
    "withdraw_record",
    "withdrawal_entry",
]

_DISPUTE_TYPES = frozenset(cls.TYPE for cls in DISPUTE_EVENTS)

RATING_GIVEN = "RatingGiven"
DISPUTABLE = (RECORD_FILED, RATING_GIVEN)
OUTCOMES = ("upheld", "corrected", "deleted")
APPEAL_OUTCOMES = ("confirmed", "corrected", "deleted")
DISPUTE_TYPES = frozenset(
    {
        "DisputeOpened",
        "DisputeAcknowledged",
        "DisputeEvidenceAdded",
        "DisputeDecided",
        "AppealOpened",
        "AppealDecided",
    }
)
_CHANGEABLE = ("amount", "occurred_at")
_SUBJECT_KINDS = ("person", "organisation")


def _refuse(name: str, reason: str) -> DisputeRefusedError:
    return DisputeRefusedError("refused", [Problem(name, reason)])


@dataclass(frozen=True, slots=True)
class AppealState:
    """An appeal of a decided dispute."""

    id: str
    opened_us: int
    grounds: str
    decided_us: int | None = None
    outcome: str | None = None
    decided_by: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DisputeState:
    """A dispute as the ledger held it at a ledger time (see :func:`disputes_of`).

    Attributes:
        state: ``open``, ``acknowledged``, ``overdue-ack``, ``overdue-decision`` (the record
            is suspended), ``decided``, ``appealed`` or ``appeal-decided``.
    """

    id: str
    target: int
    target_type: str
    subject: tuple[str, str]
    grounds: str
    opened_us: int
    state: str
    deadlines: DisputeDeadlines
    acknowledged_us: int | None = None
    evidence: tuple[tuple[int, str, str], ...] = ()
    decided_us: int | None = None
    outcome: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    appeal: AppealState | None = None

    def to_json(self) -> dict[str, Any]:
        """The dispute as JSON-able values."""
        out: dict[str, Any] = {
            "id": self.id,
            "target": self.target,
            "target_type": self.target_type,
            "state": self.state,
            "grounds": self.grounds,
            "opened_at": format_time(self.opened_us),
            "deadlines": self.deadlines.to_json(),
            "acknowledged_at": _time(self.acknowledged_us),
            "evidence": [{"at": format_time(a), "by": b, "text": t} for a, b, t in self.evidence],
            "decided_at": _time(self.decided_us),
            "outcome": self.outcome,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "appeal": None,
        }
        if self.appeal is not None:
            a = self.appeal
            out["appeal"] = {
                "id": a.id,
                "opened_at": format_time(a.opened_us),
                "grounds": a.grounds,
                "decided_at": _time(a.decided_us),
                "outcome": a.outcome,
                "decided_by": a.decided_by,
                "reason": a.reason,
            }
        return out


def _time(us: int | None) -> str | None:
    return None if us is None else format_time(us)


# -- projection -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    fields: dict[str, Any]
    evidence: list[tuple[int, str, str]] = field(default_factory=list)


def _fold(entries: Iterable[Entry], known_us: int) -> dict[str, _Draft]:
    drafts: dict[str, _Draft] = {}
    for entry in entries:
        if entry.recorded_at_us > known_us:
            break
        if entry.type not in _DISPUTE_TYPES:
            continue
        event, at = EVENTS.read_entry(entry), entry.recorded_at_us
        if isinstance(event, DisputeOpenedV1):
            drafts[event.dispute] = _Draft(
                {
                    "id": event.dispute,
                    "target": event.target,
                    "target_type": event.target_type,
                    "subject": event.subject,
                    "grounds": event.grounds,
                    "opened_us": at,
                }
            )
            continue
        draft = drafts.get(getattr(event, "dispute", ""))
        if draft is not None:
            _fold_one(draft, event, at)
    return drafts


def _fold_one(draft: _Draft, event: Event, at: int) -> None:
    """Apply one later event of a dispute to its draft."""
    if isinstance(event, DisputeAcknowledgedV1):
        draft.fields.setdefault("acknowledged_us", at)
    elif isinstance(event, DisputeEvidenceAddedV1):
        draft.evidence.append((at, event.by, event.evidence))
    elif isinstance(event, DisputeDecidedV1):
        draft.fields.update(
            decided_us=at, outcome=event.outcome, decided_by=event.by, reason=event.reason
        )
    elif isinstance(event, AppealOpenedV1):
        draft.fields["appeal"] = AppealState(event.appeal, at, event.grounds)
    elif isinstance(event, AppealDecidedV1) and draft.fields.get("appeal") is not None:
        draft.fields["appeal"] = replace(
            draft.fields["appeal"],
            decided_us=at,
            outcome=event.outcome,
            decided_by=event.by,
            reason=event.reason,
        )


def _state_of(fields: Mapping[str, Any], deadlines: DisputeDeadlines, known_us: int) -> str:
    appealed = fields.get("appeal")
    if appealed is not None:
        return "appealed" if appealed.decided_us is None else "appeal-decided"
    if fields.get("decided_us") is not None:
        return "decided"
    if known_us >= deadlines.decision_overdue_us:
        return "overdue-decision"
    if fields.get("acknowledged_us") is not None:
        return "acknowledged"
    return "overdue-ack" if known_us >= deadlines.acknowledge_overdue_us else "open"


def disputes_of(
    ledger: Ledger,
    at_us: int | None = None,
    *,
    subject: tuple[str, str] | None = None,
    holidays: frozenset[date] = frozenset(),
) -> list[DisputeState]:
    """Every dispute (of ``subject``, if given) as the ledger held it at ledger time
    ``at_us`` (default: now), in the order they were opened."""
    known_us = ledger_now(ledger) if at_us is None else at_us
    # Not filtered by the subject's id in the bytes: later entries name only the dispute.
    entries = scan_entries(ledger, DISPUTE_TYPES)
    return project_disputes(entries, known_us, subject=subject, holidays=holidays)


def project_disputes(
    entries: Iterable[Entry],
    known_us: int,
    *,
    subject: tuple[str, str] | None = None,
    holidays: frozenset[date] = frozenset(),
) -> list[DisputeState]:
    """:func:`disputes_of` over already-read entries (in ledger order; other types ignored)."""
    drafts = _fold((e for e in entries if e.type in DISPUTE_TYPES), known_us)
    out = []
    for draft in drafts.values():
        fields = draft.fields
        if subject is not None and fields["subject"] != subject:
            continue
        evidence_times = [at for at, _, _ in draft.evidence]
        deadlines = dispute_deadlines(fields["opened_us"], evidence_times, holidays)
        state = _state_of(fields, deadlines, known_us)
        evidence = tuple(draft.evidence)
        out.append(DisputeState(**fields, state=state, deadlines=deadlines, evidence=evidence))
    return out


def dispute_state(
    ledger: Ledger,
    dispute_id: str,
    at_us: int | None = None,
    holidays: frozenset[date] = frozenset(),
) -> DisputeState:
    """One dispute at ledger time ``at_us`` (default now).

    Raises:
        NotFoundError: if no such dispute was opened by then.
    """
    for found in disputes_of(ledger, at_us, holidays=holidays):
        if found.id == dispute_id:
            return found
    raise NotFoundError(f"no dispute {dispute_id!r}")


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A dispute or appeal waiting for an officer, with its next deadline."""

    dispute: DisputeState
    action: str
    due: date | None
    overdue: bool


def queue(
    ledger: Ledger, at_us: int | None = None, holidays: frozenset[date] = frozenset()
) -> list[QueueItem]:
    """The officers' work at ledger time ``at_us`` (default now), most urgent first:
    overdue items, then by next deadline (appeals, which have no statutory deadline, last)."""
    known_us = ledger_now(ledger) if at_us is None else at_us
    items = []
    for d in disputes_of(ledger, known_us, holidays=holidays):
        if d.state in ("open", "overdue-ack"):
            due = d.deadlines.acknowledge_by
            items.append(QueueItem(d, "acknowledge", due, d.state == "overdue-ack"))
        elif d.state in ("acknowledged", "overdue-decision"):
            items.append(
                QueueItem(d, "decide", d.deadlines.decide_by, d.state == "overdue-decision")
            )
        elif d.state == "appealed":
            items.append(QueueItem(d, "decide-appeal", None, False))
    return sorted(items, key=lambda i: (not i.overdue, i.due or date.max, i.dispute.opened_us))


# -- the record side ------------------------------------------------------------------------


def record_index(
    ledger: Ledger,
    positions: Iterable[int] = (),
    *,
    subject_id: str | None = None,
    holidays: frozenset[date] = frozenset(),
) -> RecordIndex:
    """An index of just some records (by position, or every record of ``subject_id``) with
    their lifecycle, read without decoding the rest of the ledger."""
    wanted = set(positions)
    needle = None if subject_id is None else f'"id":"{subject_id}"'.encode()
    entries = []
    for position, raw in ledger.raw_entries():
        kind = entry_type(raw)
        if kind == RECORD_FILED:
            # Decode only the records asked for: most of a ledger is records of others.
            if position not in wanted and (needle is None or needle not in raw):
                continue
            entry = decode_entry(position, raw)
            if position in wanted or _holds(entry, subject_id):
                entries.append(entry)
        elif kind in LIFECYCLE_ENTRY_TYPES:
            entries.append(decode_entry(position, raw))
    index = RecordIndex(holidays)
    index.apply(entries)
    index.ledger = ledger
    return index


def _holds(entry: Entry, subject_id: str | None) -> bool:
    return subject_id is not None and entry.data["subject"]["id"] == subject_id


def _target(ledger: Ledger, position: int) -> Entry:
    if not isinstance(position, int) or position < 0:
        raise ValidationError("refused", [Problem("target", "must be a ledger position")])
    try:
        entry = ledger.entry(position)
    except NotFoundError:
        raise NotFoundError(f"no entry at position {position}") from None
    if entry.type not in DISPUTABLE:
        raise _refuse("target", f"entry {position} is a {entry.type}, not a record or rating")
    return entry


def checked_record(ledger: Ledger, position: int) -> tuple[RecordRow, RecordIndex]:
    """The record at ``position`` and an index of it with its lifecycle.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if the entry is not a record.
    """
    entry = _target(ledger, position)
    row = project_entry(entry)
    if row is None:
        raise _refuse("record", f"entry {position} is a {entry.type}, not a record")
    return row, record_index(ledger, [position])


def _subject_of(entry: Entry) -> tuple[str, str]:
    subject = entry.data.get("subject") or entry.data.get("ratee")
    if not isinstance(subject, Mapping):
        raise _refuse("target", f"entry {entry.position} names no subject")
    kind = str(subject["kind"])
    # A rated professional (doctor, lawyer, ...) is a person.
    return kind if kind in _SUBJECT_KINDS else "person", str(subject["id"])


def _now(ledger: Ledger) -> int:
    return ledger_now(ledger)


def _append_one(ledger: Ledger, entries: list[PendingEntry]) -> int:
    return ledger.append(entries)[0].position


# -- writes -----------------------------------------------------------------------------------


def open_dispute(
    ledger: Ledger, target_position: int, grounds: str, *, holidays: frozenset[date] = frozenset()
) -> str:
    """Open a dispute against the record (``RecordFiled``) or rating (``RatingGiven``) at
    ``target_position``; returns the dispute id.

    Raises:
        NotFoundError: if there is no entry at that position.
        DisputeRefusedError: if the entry is neither a record nor a rating, the record is
            withdrawn, or a dispute is already open on it.
        ValidationError: if ``grounds`` is empty, too long or names another person.
    """
    entry = _target(ledger, target_position)
    subject = _subject_of(entry)
    text = checked_text(grounds, "grounds", subject[1])
    if entry.type == RECORD_FILED:
        index = record_index(ledger, [target_position], holidays=holidays)
        if index.status(target_position, _now(ledger)).state == "withdrawn":
            raise _refuse("target", f"record {target_position} is withdrawn")
    earlier = [d for d in disputes_of(ledger, holidays=holidays) if d.target == target_position]
    if any(d.decided_us is None for d in earlier):
        raise _refuse("target", f"a dispute is already open on entry {target_position}")
    dispute_id = f"D{target_position}-{len(earlier) + 1}"
    event = DisputeOpenedV1(dispute_id, target_position, entry.type, subject, text)
    ledger.append([entry_of(event, f"dispute:{dispute_id}", subject)])
    return dispute_id


def _open(ledger: Ledger, dispute_id: str) -> DisputeState:
    found = dispute_state(ledger, dispute_id)
    if found.decided_us is not None:
        raise _refuse("dispute", f"dispute {dispute_id} was already decided ({found.outcome})")
    return found


def acknowledge(ledger: Ledger, dispute_id: str, by: str) -> int:
    """Acknowledge an open dispute; returns the entry position.

    Raises:
        NotFoundError: if there is no such dispute.
        DisputeRefusedError: if it is already acknowledged or decided.
    """
    found = _open(ledger, dispute_id)
    officer = checked_actor(by, "by")
    if found.acknowledged_us is not None:
        raise _refuse("dispute", f"dispute {dispute_id} is already acknowledged")
    event = DisputeAcknowledgedV1(dispute_id, officer)
    return _append_one(ledger, [entry_of(event, f"ack:{dispute_id}", found.subject)])


def add_evidence(ledger: Ledger, dispute_id: str, evidence: str, by: str) -> int:
    """Add new evidence to an undecided dispute (before the 30-day deadline it extends the
    decision deadline to 45 days); returns the entry position.

    Raises:
        NotFoundError: if there is no such dispute.
        DisputeRefusedError: if it is decided.
        ValidationError: if the evidence text is empty, too long or names another person.
    """
    found = _open(ledger, dispute_id)
    event = DisputeEvidenceAddedV1(
        dispute_id,
        checked_actor(by, "by", found.subject[1]),
        checked_text(evidence, "evidence", found.subject[1]),
    )
    return _append_one(ledger, [entry_of(event, None, found.subject)])


def _changes(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    if not changes:
        raise ValidationError("refused", [Problem("changes", "a correction must change something")])
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in _CHANGEABLE:
            raise ValidationError("refused", [Problem(f"changes.{key}", "cannot be corrected")])
        if key == "amount":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValidationError(
                    "refused", [Problem("changes.amount", "must be a whole number >= 0 or null")]
                )
            out[key] = value
        else:
            try:
                out[key] = format_time(parse_time(str(value)))
            except ValueError as exc:
                raise ValidationError(
                    "refused", [Problem("changes.occurred_at", str(exc))]
                ) from exc
    return out


def _effect(
    found: DisputeState,
    outcome: str,
    by: str,
    reason: str,
    changes: Mapping[str, Any] | None,
    appeal_id: str | None = None,
) -> list[PendingEntry]:
    """The Record* entry that carries a decision's effect on a record (none for ratings),
    keyed like its decision so that a racing second decision appends neither."""
    key = f"{'appeal-effect' if appeal_id else 'decide-effect'}:{found.id}"
    if outcome not in ("corrected", "deleted"):
        return []
    if found.target_type != RECORD_FILED:
        if outcome == "corrected":
            raise _refuse("outcome", "a rating cannot be corrected: uphold or delete it")
        return []
    event: RecordCorrectedV1 | RecordWithdrawnV1
    if outcome == "corrected":
        event = RecordCorrectedV1(
            found.target, _changes(changes), by, reason, dispute=found.id, appeal=appeal_id
        )
    else:
        event = RecordWithdrawnV1(
            found.target, by, reason, True, dispute=found.id, appeal=appeal_id
        )
    return [entry_of(event, key, found.subject)]


def decide(
    ledger: Ledger,
    dispute_id: str,
    outcome: str,
    by: str,
    reason: str,
    changes: Mapping[str, Any] | None = None,
) -> int:
    """Decide a dispute: ``upheld``, ``corrected`` (with ``changes`` to ``amount`` and/or
    ``occurred_at``) or ``deleted``; returns the position of the ``DisputeDecided`` entry.

    Raises:
        NotFoundError: if there is no such dispute.
        DisputeRefusedError: if it is already decided, or a rating is to be corrected.
        ValidationError: on a bad outcome, reason or change.
    """
    found = _open(ledger, dispute_id)
    if outcome not in OUTCOMES:
        raise ValidationError("refused", [Problem("outcome", f"must be one of {OUTCOMES}")])
    officer = checked_actor(by, "by")
    text = checked_text(reason, "reason", found.subject[1])
    effect = _effect(found, outcome, officer, text, changes)
    event = DisputeDecidedV1(dispute_id, outcome, officer, text)
    decided = entry_of(event, f"decide:{dispute_id}", found.subject)
    return _append_one(ledger, [decided, *effect])


def appeal(ledger: Ledger, dispute_id: str, grounds: str) -> str:
    """Appeal a decided dispute (once); returns the appeal id.

    Raises:
        NotFoundError: if there is no such dispute.
        DisputeRefusedError: if it is not decided yet or was already appealed.
    """
    found = dispute_state(ledger, dispute_id)
    if found.decided_us is None:
        raise _refuse("dispute", f"dispute {dispute_id} is not decided yet: nothing to appeal")
    if found.appeal is not None:
        raise _refuse("dispute", f"dispute {dispute_id} was already appealed ({found.appeal.id})")
    appeal_id = f"A{dispute_id}"
    text = checked_text(grounds, "grounds", found.subject[1])
    event = AppealOpenedV1(appeal_id, dispute_id, text)
    ledger.append([entry_of(event, f"appeal:{dispute_id}", found.subject)])
    return appeal_id


def decide_appeal(
    ledger: Ledger,
    dispute_id: str,
    outcome: str,
    by: str,
    reason: str,
    changes: Mapping[str, Any] | None = None,
) -> int:
    """Decide the appeal of ``dispute_id``: ``confirmed``, ``corrected`` or ``deleted``, by an
    officer other than the one who decided the dispute; returns the entry position.

    Raises:
        NotFoundError: if there is no such dispute.
        DisputeRefusedError: if it has no open appeal, ``by`` decided the dispute, or the
            record is withdrawn already (recertify it first).
        ValidationError: on a bad outcome, reason or change.
    """
    found = dispute_state(ledger, dispute_id)
    if found.appeal is None or found.appeal.decided_us is not None:
        raise _refuse("dispute", f"dispute {dispute_id} has no open appeal")
    if outcome not in APPEAL_OUTCOMES:
        raise ValidationError("refused", [Problem("outcome", f"must be one of {APPEAL_OUTCOMES}")])
    officer = checked_actor(by, "by")
    if officer == found.decided_by:
        raise _refuse(
            "by", f"{officer} decided the dispute; another officer must decide the appeal"
        )
    if outcome != "confirmed" and found.target_type == RECORD_FILED:
        _, index = checked_record(ledger, found.target)
        if index.status(found.target, _now(ledger)).state == "withdrawn":
            raise _refuse("outcome", f"record {found.target} is withdrawn: recertify it first")
    text = checked_text(reason, "reason", found.subject[1])
    effect = _effect(found, outcome, officer, text, changes, found.appeal.id)
    event = AppealDecidedV1(found.appeal.id, dispute_id, outcome, officer, text)
    decided = entry_of(event, f"appeal-decided:{dispute_id}", found.subject)
    return _append_one(ledger, [decided, *effect])


def recertify(ledger: Ledger, position: int, by: str, evidence: str) -> int:
    """Bring a withdrawn record back, on the source's certification that it is accurate, with
    a notice to the subject in the same entry; returns the entry position.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a record or the record is not withdrawn.
    """
    row, index = checked_record(ledger, position)
    if index.status(position, _now(ledger)).state != "withdrawn":
        raise _refuse("record", f"record {position} is not withdrawn: nothing to recertify")
    repair = _repair_of_withdrawal(ledger, (row.subject_kind, row.subject_id), position)
    if repair is not None:
        raise _refuse(
            "record",
            f"record {position} was withdrawn by granted credit repair {repair}: "
            "a repaired penalty is not brought back by recertification",
        )
    source = checked_actor(by, "by")
    text = checked_text(evidence, "evidence", row.subject_id)
    day = format_time(_now(ledger))[:10]
    notice = (
        f"Record {position} ({row.kind}) was recertified as accurate by {source} on {day} "
        "and counts again. You may dispute it."
    )
    event = RecordRecertifiedV1(
        position,
        source,
        text,
        {"to": {"kind": row.subject_kind, "id": row.subject_id}, "text": notice},
    )
    subject = (row.subject_kind, row.subject_id)
    return _append_one(ledger, [entry_of(event, None, subject)])


def _repair_of_withdrawal(ledger: Ledger, subject: tuple[str, str], position: int) -> str | None:
    """The credit repair whose grant withdrew record ``position`` last, if that is why."""
    found = subject_entries(ledger, [subject], with_global=False)
    entries = ledger.entries(0, ledger.size()) if found is None else found[1]
    last = None
    for entry in entries:
        if entry.type == RecordWithdrawnV1.TYPE:
            withdrawn = EVENTS.read_as(entry, RecordWithdrawnV1)
            if withdrawn.record == position:
                last = withdrawn.repair
    return last


def correct_record(
    ledger: Ledger, position: int, changes: Mapping[str, Any], by: str, reason: str
) -> int:
    """The source corrects a record (``amount`` and/or ``occurred_at``); returns the position.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a record or is withdrawn.
        ValidationError: on a bad change or reason.
    """
    row, index = checked_record(ledger, position)
    if index.status(position, _now(ledger)).state == "withdrawn":
        raise _refuse("record", f"record {position} is withdrawn")
    event = RecordCorrectedV1(
        position,
        _changes(changes),
        checked_actor(by, "by"),
        checked_text(reason, "reason", row.subject_id),
    )
    subject = (row.subject_kind, row.subject_id)
    return _append_one(ledger, [entry_of(event, None, subject)])


def withdraw_record(ledger: Ledger, position: int, by: str, reason: str) -> int:
    """The source withdraws a record; it stops counting until recertified. Returns the position.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a record or is already withdrawn.
    """
    row, index = checked_record(ledger, position)
    if index.status(position, _now(ledger)).state == "withdrawn":
        raise _refuse("record", f"record {position} is already withdrawn")
    return _append_one(ledger, [withdrawal_entry(row, by, reason)])


def withdrawal_entry(row: RecordRow, by: str, reason: str) -> PendingEntry:
    """The ``RecordWithdrawn`` entry by which a source withdraws ``row`` (for callers that
    append it together with other entries, atomically).

    Raises:
        ValidationError: on a bad actor or reason.
    """
    event = RecordWithdrawnV1(
        row.position,
        checked_actor(by, "by"),
        checked_text(reason, "reason", row.subject_id),
        recertification_required=False,
    )
    return entry_of(event, None, (row.subject_kind, row.subject_id))
