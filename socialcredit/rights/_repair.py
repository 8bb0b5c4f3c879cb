"""Credit repair: a subject applies to end the publication of an administrative penalty early.

Modelled on the NDRC's 2023 measures on credit repair (``ndrc-credit-repair-2023`` in the
legal-basis registry) as a provincial credit office applies them: the rules of the bundle in
force (its optional ``repair.yaml``, :mod:`socialcredit.policy._repair`), which default to
:data:`NDRC_2023` (:func:`rules_in_force`; pass ``rules`` to override):

* only penalties of the repairable categories are published and repairable; minor ones are
  not published at all, so there is nothing to repair;
* the conditions, a pure function of the subject's records
  (:func:`repair_conditions_from_facts`; :func:`conditions` applies it to the ledger): the
  penalty ``performed`` (an ``administrative_penalty_performed`` record citing the
  penalty's decision number, if it has one); its minimum ``publicity_period`` passed since
  it was published (general 3 months, serious 1 year); a ``commitment`` made and kept (a
  ``credit_commitment_made`` record after the penalty, with no ``credit_commitment_breached``
  after it); ``training`` done for serious penalties (``credit_repair_training_completed``);
* the credit office decides within 7 business days of the application (2 to accept, 5 to
  decide; :mod:`.deadlines`); a refusal names each unmet condition; a refused application may
  be appealed once, to an officer other than the one who decided.

Entries (data version 1)::

    RepairApplied        {"repair": id, "record": pos, "subject": {"kind", "id"},
                          "grounds": str, "conditions": [{"name", "met", "detail"}]}
    RepairDecided        {"repair": id, "record": pos, "outcome": "granted"|"refused",
                          "by": str, "reason": str, "unmet": [name], "ends_scoring": bool,
                          "notice": {"to": {"kind", "id"}, "text": str}}
    RepairAppealOpened   {"appeal": id, "repair": id, "grounds": str}
    RepairAppealDecided  {"appeal": id, "repair": id, "outcome": "granted"|"confirmed", ...}
                          (the rest as RepairDecided)

A granted repair ends the penalty's publication (:func:`repaired_positions`, used by
:func:`socialcredit.consequences.public_records`). Where the rules say it also ends the
penalty's effect (``ends_scoring``, the default), the decision is appended together with a
``RecordWithdrawn`` entry naming the repair: the record lifecycle
(:class:`socialcredit.records.RecordIndex`) then leaves it out of every evaluator,
list and report, exactly as for any withdrawal. Every write checks first and appends one
atomic batch; idempotency keys make a racing second decision a no-op. Each decision is told to
the subject: the entry carries the notice's text, and the outbox queues a ``repair_outcome``
notice for it (:mod:`socialcredit.notices` reads the decisions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from socialcredit.catalogue import Catalogue
from socialcredit.errors import DisputeRefusedError, NotFoundError, Problem, ValidationError
from socialcredit.events import EVENTS, Event
from socialcredit.ledger import Entry, Ledger, PendingEntry, entry_of, ledger_now, scan_entries
from socialcredit.policy import NDRC_2023, RepairRules, bundle_in_force, default_bundle
from socialcredit.records import RecordRow, add_business_days, day_end_us, day_of
from socialcredit.records.events import RecordWithdrawnV1
from socialcredit.rights._disputes import AppealState, checked_record, record_index
from socialcredit.rights._text import checked_actor, checked_text
from socialcredit.rights.events import (
    RepairAppealDecidedV1,
    RepairAppealOpenedV1,
    RepairAppliedV1,
    RepairDecidedV1,
)
from socialcredit.timeutil import DAY_US, format_time

__all__ = [
    "FACT_KINDS",
    "NDRC_2023",
    "REPAIR_TYPES",
    "Condition",
    "RepairAppeal",
    "RepairQueueItem",
    "RepairRules",
    "RepairState",
    "appeal_repair",
    "apply_for_repair",
    "conditions",
    "decide_appeal",
    "decide_repair",
    "project_repairs",
    "repair_conditions_from_facts",
    "repair_queue",
    "repair_state",
    "repairable_kind",
    "repaired_positions",
    "repairs_of",
    "rules_in_force",
]

REPAIR_TYPES = frozenset(
    cls.TYPE
    for cls in (RepairAppliedV1, RepairDecidedV1, RepairAppealOpenedV1, RepairAppealDecidedV1)
)
OUTCOMES = ("granted", "refused")
APPEAL_OUTCOMES = ("granted", "confirmed")
PERFORMED = "administrative_penalty_performed"
COMMITMENT = "credit_commitment_made"
BREACH = "credit_commitment_breached"
TRAINING = "credit_repair_training_completed"
FACT_KINDS = frozenset({PERFORMED, COMMITMENT, BREACH, TRAINING})
"""The record kinds the conditions of repair read."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of repair, as the ledger showed it: its name, whether it is met, and a
    sentence saying why."""

    name: str
    met: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The condition as JSON-able values."""
        return {"name": self.name, "met": self.met, "detail": self.detail}


RepairAppeal = AppealState
"""The appeal of a refused repair application: the same record as a dispute's appeal."""


@dataclass(frozen=True, slots=True)
class RepairState:
    """A repair application as the ledger held it at a ledger time.

    Attributes:
        state: ``applied``, ``overdue`` (undecided past ``decide_by``), ``granted``,
            ``refused``, ``appealed``, ``appeal-granted`` or ``appeal-confirmed``.
        unmet: the conditions the last decision found unmet.
    """

    id: str
    record: int
    subject: tuple[str, str]
    grounds: str
    applied_us: int
    conditions: tuple[Condition, ...]
    decide_by: date
    state: str
    decided_us: int | None = None
    outcome: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    unmet: tuple[str, ...] = ()
    appeal: RepairAppeal | None = None

    @property
    def granted(self) -> bool:
        """True if the application or its appeal was granted."""
        return self.state in ("granted", "appeal-granted")

    def to_json(self) -> dict[str, Any]:
        """The application as JSON-able values."""
        appeal = self.appeal
        return {
            "id": self.id,
            "record": self.record,
            "subject": {"kind": self.subject[0], "id": self.subject[1]},
            "state": self.state,
            "grounds": self.grounds,
            "applied_at": format_time(self.applied_us),
            "decide_by": self.decide_by.isoformat(),
            "conditions": [c.to_json() for c in self.conditions],
            "decided_at": _time(self.decided_us),
            "outcome": self.outcome,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "unmet": list(self.unmet),
            "appeal": None
            if appeal is None
            else {
                "id": appeal.id,
                "opened_at": format_time(appeal.opened_us),
                "grounds": appeal.grounds,
                "decided_at": _time(appeal.decided_us),
                "outcome": appeal.outcome,
                "decided_by": appeal.decided_by,
                "reason": appeal.reason,
            },
        }


def _time(us: int | None) -> str | None:
    return None if us is None else format_time(us)


def _refuse(name: str, reason: str) -> DisputeRefusedError:
    return DisputeRefusedError("repair refused", [Problem(name, reason)])


def repairable_kind(catalogue: Catalogue, kind_id: str, rules: RepairRules = NDRC_2023) -> bool:
    """True if records of ``kind_id`` are published penalties that ``rules`` let a subject
    repair (what a decision's recourse offers)."""
    kind = catalogue.kinds.get(kind_id)
    return (
        kind is not None
        and kind.category in rules.categories
        and kind.gravity.value in rules.min_publicity_days
    )


# -- conditions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Penalty:
    row: RecordRow
    gravity: str
    evidence: str | None


def _penalty(ledger: Ledger, position: int, catalogue: Catalogue, rules: RepairRules) -> _Penalty:
    """The repairable, published penalty at ``position``.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a record, not of a repairable kind, not published
            (minor) or withdrawn.
    """
    row, index = checked_record(ledger, position)
    kind = catalogue.kinds.get(row.kind)
    if kind is None or kind.category not in rules.categories:
        raise _refuse("record", f"record {position} ({row.kind}) is not a repairable penalty")
    gravity = kind.gravity.value
    if gravity not in rules.min_publicity_days:
        raise _refuse("record", f"record {position} is a {gravity} penalty: it is not published")
    if index.status(position, ledger_now(ledger)).state == "withdrawn":
        raise _refuse("record", f"record {position} is withdrawn: it is not published")
    evidence = ledger.entry(position).data.get("evidence")
    return _Penalty(row, gravity, None if evidence is None else str(evidence))


def _facts(ledger: Ledger, penalty: _Penalty, known_us: int) -> list[RecordRow]:
    """The subject's effective records of the kinds repair reads at ``known_us``, in ledger
    order."""
    row = penalty.row
    index = record_index(ledger, subject_id=row.subject_id)
    return [
        fact
        for fact in index.effective(row.subject_kind, row.subject_id, known_us)
        if fact.kind in FACT_KINDS
    ]


def conditions(
    ledger: Ledger,
    position: int,
    catalogue: Catalogue,
    rules: RepairRules | None = None,
    at_us: int | None = None,
) -> tuple[Condition, ...]:
    """The conditions of repair of the penalty at ``position`` at ledger time ``at_us``
    (default now), as :func:`repair_conditions_from_facts` finds them from the subject's
    effective records and the decision numbers they cite.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a published, repairable penalty.
    """
    known_us = ledger_now(ledger) if at_us is None else at_us
    rules = rules or rules_in_force(ledger, known_us)
    penalty = _penalty(ledger, position, catalogue, rules)
    facts = _facts(ledger, penalty, known_us)
    cited: dict[int, str | None] = {}
    if penalty.evidence is not None:  # only then does a fact's decision number matter
        cited = {f.position: _evidence(ledger, f.position) for f in facts}
    return repair_conditions_from_facts(
        penalty.row, penalty.gravity, facts, rules, known_us, penalty.evidence, cited
    )


def _evidence(ledger: Ledger, position: int) -> str | None:
    """The decision number the entry at ``position`` cites, if any."""
    evidence = ledger.entry(position).data.get("evidence")
    return None if evidence is None else str(evidence)


def repair_conditions_from_facts(
    penalty: RecordRow,
    gravity: str,
    facts: Iterable[RecordRow],
    rules: RepairRules,
    known_us: int,
    evidence: str | None = None,
    cited: Mapping[int, str | None] | None = None,
) -> tuple[Condition, ...]:
    """The conditions of repair of ``penalty``, a published penalty of ``gravity``, at
    ``known_us``: ``performed``, ``publicity_period``, ``commitment`` and, where ``rules``
    require it for ``gravity``, ``training``. A pure function of its arguments, and the one
    definition of the conditions: :func:`conditions` calls it with what the ledger holds,
    the lab (:mod:`socialcredit.simulation._repair`) with its agents' records.

    Args:
        facts: the subject's effective records, in ledger order; only those of the kinds
            repair reads (:data:`FACT_KINDS`) occurring at or after the penalty count.
        evidence: the penalty's decision number, if it has one: then a performance record
            or a commitment counts only if it cites that number.
        cited: the decision number each fact cites, by position (read only when
            ``evidence`` is given; a fact missing from it cites none).

    Raises:
        KeyError: if ``rules`` publish no penalty of ``gravity`` (no publicity period).
    """
    by_kind: dict[str, list[RecordRow]] = {k: [] for k in FACT_KINDS}
    for fact in facts:
        if fact.kind in by_kind and fact.occurred_at_us >= penalty.occurred_at_us:
            by_kind[fact.kind].append(fact)
    numbers = cited or {}

    def cites(fact: RecordRow) -> bool:
        return evidence is None or numbers.get(fact.position) == evidence

    out = [
        _performed([f for f in by_kind[PERFORMED] if cites(f)], evidence),
        _period(penalty, gravity, rules, known_us),
        _commitment([f for f in by_kind[COMMITMENT] if cites(f)], by_kind[BREACH]),
    ]
    if gravity in rules.training_for:
        out.append(_training(gravity, by_kind[TRAINING]))
    return tuple(out)


def _performed(done: list[RecordRow], evidence: str | None) -> Condition:
    if done:
        return Condition("performed", True, f"performed: record {done[0].position}")
    cited = f" citing {evidence}" if evidence else ""
    return Condition("performed", False, f"no record that the penalty was performed{cited}")


def _period(penalty: RecordRow, gravity: str, rules: RepairRules, known_us: int) -> Condition:
    days = rules.min_publicity_days[gravity]
    since = penalty.recorded_at_us
    ends = day_of(since + days * DAY_US)
    detail = f"published since {day_of(since)}; the minimum of {days} days ends on {ends}"
    return Condition("publicity_period", known_us >= since + days * DAY_US, detail)


def _commitment(made: list[RecordRow], breaches: list[RecordRow]) -> Condition:
    if not made:
        return Condition("commitment", False, "no credit commitment made after the penalty")
    last = made[-1]
    broken = [b for b in breaches if b.occurred_at_us >= last.occurred_at_us]
    if broken:
        detail = f"commitment {last.position} was breached (record {broken[0].position})"
        return Condition("commitment", False, detail)
    return Condition("commitment", True, f"commitment made and kept: record {last.position}")


def _training(gravity: str, found: list[RecordRow]) -> Condition:
    if found:
        return Condition("training", True, f"training completed: record {found[0].position}")
    detail = f"credit-repair training is required for a {gravity} penalty"
    return Condition("training", False, detail)


# -- projection ---------------------------------------------------------------------------------


def _fold(entries: Iterable[Entry], known_us: int) -> dict[str, dict[str, Any]]:
    drafts: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.recorded_at_us > known_us:
            break
        if entry.type not in REPAIR_TYPES:
            continue
        event, at = EVENTS.read_entry(entry), entry.recorded_at_us
        if isinstance(event, RepairAppliedV1):
            drafts[event.repair] = {
                "id": event.repair,
                "record": event.record,
                "subject": event.subject,
                "grounds": event.grounds,
                "applied_us": at,
                "conditions": tuple(Condition(**c) for c in event.conditions),
            }
            continue
        draft = drafts.get(getattr(event, "repair", ""))
        if draft is not None:
            _fold_one(draft, event, at)
    return drafts


def _fold_one(draft: dict[str, Any], event: Event, at: int) -> None:
    """Apply one later event of a repair application to its draft."""
    if isinstance(event, RepairAppealOpenedV1):
        draft["appeal"] = RepairAppeal(event.appeal, at, event.grounds)
        return
    if not isinstance(event, RepairDecidedV1 | RepairAppealDecidedV1):
        return
    decided = {"outcome": event.outcome, "decided_by": event.by, "reason": event.reason}
    if isinstance(event, RepairDecidedV1):
        draft.update(decided, decided_us=at, unmet=tuple(event.unmet))
    elif draft.get("appeal") is not None:
        draft["appeal"] = replace(draft["appeal"], decided_us=at, **decided)
        draft["unmet"] = tuple(event.unmet)


def _state_of(fields: Mapping[str, Any], overdue_us: int, known_us: int) -> str:
    appeal = fields.get("appeal")
    if appeal is not None:
        return "appealed" if appeal.decided_us is None else f"appeal-{appeal.outcome}"
    if fields.get("decided_us") is not None:
        return str(fields["outcome"])
    return "overdue" if known_us >= overdue_us else "applied"


def project_repairs(
    entries: Iterable[Entry],
    known_us: int,
    *,
    subject: tuple[str, str] | None = None,
    rules: RepairRules = NDRC_2023,
    holidays: frozenset[date] = frozenset(),
) -> list[RepairState]:
    """:func:`repairs_of` over already-read entries (in ledger order; other types ignored)."""
    drafts = _fold((e for e in entries if e.type in REPAIR_TYPES), known_us)
    out = []
    for fields in drafts.values():
        if subject is not None and fields["subject"] != subject:
            continue
        due = add_business_days(day_of(fields["applied_us"]), rules.decide_business_days, holidays)
        state = _state_of(fields, day_end_us(due), known_us)
        out.append(RepairState(**fields, decide_by=due, state=state))
    return out


def repairs_of(
    ledger: Ledger,
    at_us: int | None = None,
    *,
    subject: tuple[str, str] | None = None,
    rules: RepairRules | None = None,
    holidays: frozenset[date] = frozenset(),
) -> list[RepairState]:
    """Every repair application (of ``subject``, if given) as the ledger held it at ledger
    time ``at_us`` (default now), in the order they were made."""
    known_us = ledger_now(ledger) if at_us is None else at_us
    rules = rules or rules_in_force(ledger, known_us)
    entries = scan_entries(ledger, REPAIR_TYPES)
    return project_repairs(entries, known_us, subject=subject, rules=rules, holidays=holidays)


def rules_in_force(ledger: Ledger, at_us: int | None = None) -> RepairRules:
    """The credit-repair rules of the bundle in force at ledger time ``at_us`` (default now),
    as then known: its ``repair.yaml``, or the NDRC 2023 defaults (also when no bundle is
    published)."""
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=ledger_now(ledger) if at_us is None else at_us
    )
    found = bundle_in_force(ledger, at, at)
    return (default_bundle() if found is None else found.bundle).repair


def repair_state(
    ledger: Ledger, repair_id: str, at_us: int | None = None, rules: RepairRules | None = None
) -> RepairState:
    """One repair application at ledger time ``at_us`` (default now).

    Raises:
        NotFoundError: if no such application was made by then.
    """
    for found in repairs_of(ledger, at_us, rules=rules):
        if found.id == repair_id:
            return found
    raise NotFoundError(f"no repair application {repair_id!r}")


def repaired_positions(
    ledger: Ledger, at_us: int | None = None, *, subject: tuple[str, str] | None = None
) -> frozenset[int]:
    """The positions of the penalties whose repair was granted by ledger time ``at_us``
    (default now): they are no longer published."""
    return frozenset(r.record for r in repairs_of(ledger, at_us, subject=subject) if r.granted)


@dataclass(frozen=True, slots=True)
class RepairQueueItem:
    """A repair application or appeal waiting for an officer."""

    repair: RepairState
    action: str
    due: date | None
    overdue: bool


def repair_queue(
    ledger: Ledger,
    at_us: int | None = None,
    rules: RepairRules | None = None,
    holidays: frozenset[date] = frozenset(),
) -> list[RepairQueueItem]:
    """The officers' repair work at ledger time ``at_us`` (default now), most urgent first:
    overdue applications, then by deadline, appeals last."""
    items = []
    for r in repairs_of(ledger, at_us, rules=rules, holidays=holidays):
        if r.state in ("applied", "overdue"):
            items.append(RepairQueueItem(r, "decide", r.decide_by, r.state == "overdue"))
        elif r.state == "appealed":
            items.append(RepairQueueItem(r, "decide-appeal", None, False))
    return sorted(items, key=lambda i: (not i.overdue, i.due or date.max, i.repair.applied_us))


# -- writes ---------------------------------------------------------------------------------------


def apply_for_repair(
    ledger: Ledger,
    position: int,
    grounds: str,
    catalogue: Catalogue,
    *,
    subject_id: str | None = None,
    rules: RepairRules | None = None,
) -> str:
    """Apply to end the publication of the penalty at ``position`` early; returns the
    application id. The conditions as they stand are recorded with the application.

    Args:
        subject_id: if given, the applicant, who must be the penalty's subject.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a published, repairable penalty (of
            ``subject_id``), already repaired, or an application on it is undecided.
        ValidationError: if ``grounds`` is empty, too long or names another person.
    """
    rules = rules or rules_in_force(ledger)
    penalty = _penalty(ledger, position, catalogue, rules)
    row = penalty.row
    if subject_id is not None and subject_id != row.subject_id:
        raise _refuse("record", f"record {position} is not a record of {subject_id}")
    text = checked_text(grounds, "grounds", row.subject_id)
    earlier = [r for r in repairs_of(ledger, rules=rules) if r.record == position]
    if any(r.granted for r in earlier):
        raise _refuse("record", f"record {position} was already repaired")
    if any(r.state in ("applied", "overdue", "appealed") for r in earlier):
        raise _refuse("record", f"an application to repair record {position} is undecided")
    repair_id = f"R{position}-{len(earlier) + 1}"
    found = conditions(ledger, position, catalogue, rules)
    subject = (row.subject_kind, row.subject_id)
    event = RepairAppliedV1(repair_id, position, subject, text, [c.to_json() for c in found])
    ledger.append([entry_of(event, f"repair:{repair_id}", subject)])
    return repair_id


def _decision(
    ledger: Ledger,
    found: RepairState,
    outcome: str,
    by: str,
    reason: str,
    catalogue: Catalogue,
    rules: RepairRules,
) -> tuple[RepairDecidedV1, list[PendingEntry]]:
    """The decision's event and the entry carrying its effect on the record (if any).

    Raises:
        DisputeRefusedError: if a grant is asked for while a condition is unmet.
    """
    officer = checked_actor(by, "by")
    text = checked_text(reason, "reason", found.subject[1])
    now = conditions(ledger, found.record, catalogue, rules)
    unmet = [c for c in now if not c.met]
    if outcome == "granted" and unmet:
        problems = [Problem(f"conditions.{c.name}", c.detail) for c in unmet]
        raise DisputeRefusedError("repair cannot be granted: conditions unmet", problems)
    granted = outcome == "granted"
    notice = (
        f"Your application {found.id} to end the publication of record {found.record} early "
        + ("was granted: it is no longer published." if granted else "was refused: ")
        + ("" if granted else "; ".join(c.detail for c in unmet) or text)
    )
    subject = {"kind": found.subject[0], "id": found.subject[1]}
    decided = RepairDecidedV1(
        repair=found.id,
        record=found.record,
        outcome=outcome,
        by=officer,
        reason=text,
        unmet=[c.name for c in unmet],
        ends_scoring=granted and rules.ends_scoring,
        notice={"to": subject, "text": notice},
    )
    effect = []
    if granted and rules.ends_scoring:
        withdrawn = RecordWithdrawnV1(
            found.record,
            officer,
            f"credit repair {found.id} granted: publication and effect ended early",
            recertification_required=False,
            repair=found.id,
        )
        effect.append(entry_of(withdrawn, f"repair-effect:{found.id}", found.subject))
    return decided, effect


def decide_repair(
    ledger: Ledger,
    repair_id: str,
    outcome: str,
    by: str,
    reason: str,
    catalogue: Catalogue,
    rules: RepairRules | None = None,
) -> int:
    """Decide a repair application: ``granted`` (every condition met now) or ``refused``
    (the unmet conditions are recorded and told to the subject); returns the position of the
    ``RepairDecided`` entry.

    Raises:
        NotFoundError: if there is no such application.
        DisputeRefusedError: if it is already decided, or a grant is asked for while a
            condition is unmet (each unmet condition named).
        ValidationError: on a bad outcome, officer or reason.
    """
    rules = rules or rules_in_force(ledger)
    found = repair_state(ledger, repair_id, rules=rules)
    if found.decided_us is not None:
        raise _refuse("repair", f"application {repair_id} was already decided ({found.outcome})")
    if outcome not in OUTCOMES:
        raise ValidationError("refused", [Problem("outcome", f"must be one of {OUTCOMES}")])
    event, effect = _decision(ledger, found, outcome, by, reason, catalogue, rules)
    decided = entry_of(event, f"repair-decided:{repair_id}", found.subject)
    return ledger.append([decided, *effect])[0].position


def appeal_repair(ledger: Ledger, repair_id: str, grounds: str) -> str:
    """Appeal a refused repair application (once); returns the appeal id.

    Raises:
        NotFoundError: if there is no such application.
        DisputeRefusedError: if it is undecided, was granted, or was already appealed.
    """
    found = repair_state(ledger, repair_id)
    if found.decided_us is None:
        raise _refuse("repair", f"application {repair_id} is not decided yet: nothing to appeal")
    if found.outcome != "refused":
        raise _refuse("repair", f"application {repair_id} was granted: nothing to appeal")
    if found.appeal is not None:
        raise _refuse("repair", f"application {repair_id} was already appealed")
    appeal_id = f"A{repair_id}"
    event = RepairAppealOpenedV1(
        appeal_id, repair_id, checked_text(grounds, "grounds", found.subject[1])
    )
    ledger.append([entry_of(event, f"repair-appeal:{repair_id}", found.subject)])
    return appeal_id


def decide_appeal(
    ledger: Ledger,
    repair_id: str,
    outcome: str,
    by: str,
    reason: str,
    catalogue: Catalogue,
    rules: RepairRules | None = None,
) -> int:
    """Decide the appeal of a refused application: ``granted`` (every condition met now) or
    ``confirmed``, by an officer other than the one who refused it; returns the position.

    Raises:
        NotFoundError: if there is no such application.
        DisputeRefusedError: if it has no open appeal, ``by`` decided the application, or a
            grant is asked for while a condition is unmet.
        ValidationError: on a bad outcome, officer or reason.
    """
    rules = rules or rules_in_force(ledger)
    found = repair_state(ledger, repair_id, rules=rules)
    if found.appeal is None or found.appeal.decided_us is not None:
        raise _refuse("repair", f"application {repair_id} has no open appeal")
    if outcome not in APPEAL_OUTCOMES:
        raise ValidationError("refused", [Problem("outcome", f"must be one of {APPEAL_OUTCOMES}")])
    if checked_actor(by, "by") == found.decided_by:
        raise _refuse("by", f"{by} decided the application; another officer must decide the appeal")
    first, effect = _decision(
        ledger,
        found,
        "granted" if outcome == "granted" else "refused",
        by,
        reason,
        catalogue,
        rules,
    )
    event = RepairAppealDecidedV1(
        **{**first.to_data(), "appeal": found.appeal.id, "outcome": outcome}
    )
    key = f"repair-appeal-decided:{repair_id}"
    decided = entry_of(event, key, found.subject)
    return ledger.append([decided, *effect])[0].position
