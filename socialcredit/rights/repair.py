"""Credit repair: a subject applies to end the publication of an administrative penalty early.

Modelled on the NDRC's 2023 measures on credit repair (``ndrc-credit-repair-2023`` in the
legal-basis registry) as a provincial credit office applies them: the rules of the bundle in
force (its optional ``repair.yaml``, :mod:`socialcredit.policy.repair`), which default to
:data:`NDRC_2023` (:func:`rules_in_force`; pass ``rules`` to override):

* only penalties of the repairable categories are published and repairable; minor ones are
  not published at all, so there is nothing to repair;
* the conditions, each checked from the ledger (:func:`conditions`): the penalty
  ``performed`` (an ``administrative_penalty_performed`` record citing the penalty's decision
  number, if it has one); its minimum ``publicity_period`` passed since it was published
  (general 3 months, serious 1 year); a ``commitment`` made and kept (a
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
(:class:`socialcredit.scoring.records.RecordIndex`) then leaves it out of every evaluator,
list and report, exactly as for any withdrawal. Every write checks first and appends one
atomic batch; idempotency keys make a racing second decision a no-op. Each decision is told to
the subject: the entry carries the notice's text, and the outbox queues a ``repair_outcome``
notice for it (this module registers that source with :mod:`socialcredit.notices`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from socialcredit.catalogue import Catalogue
from socialcredit.errors import DisputeRefusedError, NotFoundError, Problem, ValidationError
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.ledger.entries import Entry, format_time
from socialcredit.notices.sources import Candidate, candidate, register_source
from socialcredit.policy import bundle_in_force, default_bundle
from socialcredit.policy.repair import NDRC_2023, RepairRules
from socialcredit.records.deadlines import add_business_days, day_end_us, day_of
from socialcredit.rights._scan import ledger_now, scan
from socialcredit.rights._text import checked_actor, checked_text
from socialcredit.rights.disputes import AppealState, checked_record, record_index
from socialcredit.scoring.records import RecordRow
from socialcredit.timeutil import DAY_US

__all__ = [
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
    "repair_queue",
    "repair_state",
    "repairable_kind",
    "repaired_positions",
    "repairs_of",
    "rules_in_force",
]

REPAIR_TYPES = frozenset(
    {"RepairApplied", "RepairDecided", "RepairAppealOpened", "RepairAppealDecided"}
)
OUTCOMES = ("granted", "refused")
APPEAL_OUTCOMES = ("granted", "confirmed")
PERFORMED = "administrative_penalty_performed"
COMMITMENT = "credit_commitment_made"
BREACH = "credit_commitment_breached"
TRAINING = "credit_repair_training_completed"


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


def _facts(ledger: Ledger, penalty: _Penalty, known_us: int) -> dict[str, list[RecordRow]]:
    """The subject's effective repair facts at ``known_us``, by kind, in ledger order."""
    row = penalty.row
    index = record_index(ledger, subject_id=row.subject_id)
    wanted = {PERFORMED, COMMITMENT, BREACH, TRAINING}
    out: dict[str, list[RecordRow]] = {k: [] for k in wanted}
    for fact in index.effective(row.subject_kind, row.subject_id, known_us):
        if fact.kind in wanted and fact.occurred_at_us >= row.occurred_at_us:
            out[fact.kind].append(fact)
    return out


def _cites(ledger: Ledger, fact: RecordRow, penalty: _Penalty) -> bool:
    """True if ``fact`` concerns ``penalty``: it cites its decision number, if it has one."""
    return penalty.evidence is None or ledger.entry(fact.position).data.get("evidence") == (
        penalty.evidence
    )


def conditions(
    ledger: Ledger,
    position: int,
    catalogue: Catalogue,
    rules: RepairRules | None = None,
    at_us: int | None = None,
) -> tuple[Condition, ...]:
    """The conditions of repair of the penalty at ``position`` at ledger time ``at_us``
    (default now): ``performed``, ``publicity_period``, ``commitment`` and, where the rules
    require it, ``training``.

    Raises:
        NotFoundError: if there is no entry at ``position``.
        DisputeRefusedError: if it is not a published, repairable penalty.
    """
    known_us = ledger_now(ledger) if at_us is None else at_us
    rules = rules or rules_in_force(ledger, known_us)
    penalty = _penalty(ledger, position, catalogue, rules)
    facts = _facts(ledger, penalty, known_us)
    out = [
        _performed(ledger, penalty, facts[PERFORMED]),
        _period(penalty, rules, known_us),
        _commitment(ledger, penalty, facts[COMMITMENT], facts[BREACH]),
    ]
    if penalty.gravity in rules.training_for:
        out.append(_training(penalty, facts[TRAINING]))
    return tuple(out)


def _performed(ledger: Ledger, penalty: _Penalty, found: list[RecordRow]) -> Condition:
    done = [f for f in found if _cites(ledger, f, penalty)]
    if done:
        return Condition("performed", True, f"performed: record {done[0].position}")
    cited = f" citing {penalty.evidence}" if penalty.evidence else ""
    return Condition("performed", False, f"no record that the penalty was performed{cited}")


def _period(penalty: _Penalty, rules: RepairRules, known_us: int) -> Condition:
    days = rules.min_publicity_days[penalty.gravity]
    since = penalty.row.recorded_at_us
    ends = day_of(since + days * DAY_US)
    detail = f"published since {day_of(since)}; the minimum of {days} days ends on {ends}"
    return Condition("publicity_period", known_us >= since + days * DAY_US, detail)


def _commitment(
    ledger: Ledger, penalty: _Penalty, made: list[RecordRow], breaches: list[RecordRow]
) -> Condition:
    made = [m for m in made if _cites(ledger, m, penalty)]
    if not made:
        return Condition("commitment", False, "no credit commitment made after the penalty")
    last = made[-1]
    broken = [b for b in breaches if b.occurred_at_us >= last.occurred_at_us]
    if broken:
        detail = f"commitment {last.position} was breached (record {broken[0].position})"
        return Condition("commitment", False, detail)
    return Condition("commitment", True, f"commitment made and kept: record {last.position}")


def _training(penalty: _Penalty, found: list[RecordRow]) -> Condition:
    if found:
        return Condition("training", True, f"training completed: record {found[0].position}")
    detail = f"credit-repair training is required for a {penalty.gravity} penalty"
    return Condition("training", False, detail)


# -- projection ---------------------------------------------------------------------------------


def _fold(entries: Iterable[Entry], known_us: int) -> dict[str, dict[str, Any]]:
    drafts: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.recorded_at_us > known_us:
            break
        data, at = entry.data, entry.recorded_at_us
        if entry.type == "RepairApplied":
            subject = data["subject"]
            drafts[data["repair"]] = {
                "id": data["repair"],
                "record": int(data["record"]),
                "subject": (subject["kind"], subject["id"]),
                "grounds": data["grounds"],
                "applied_us": at,
                "conditions": tuple(Condition(**c) for c in data["conditions"]),
            }
            continue
        draft = drafts.get(data.get("repair", ""))
        if draft is None:
            continue
        decided = {
            "outcome": data.get("outcome"),
            "decided_by": data.get("by"),
            "reason": data.get("reason"),
        }
        if entry.type == "RepairDecided":
            draft.update(decided, decided_us=at, unmet=tuple(data.get("unmet", ())))
        elif entry.type == "RepairAppealOpened":
            draft["appeal"] = RepairAppeal(data["appeal"], at, data["grounds"])
        elif entry.type == "RepairAppealDecided" and draft.get("appeal") is not None:
            draft["appeal"] = replace(draft["appeal"], decided_us=at, **decided)
            draft["unmet"] = tuple(data.get("unmet", ()))
    return drafts


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
    entries = scan(ledger, REPAIR_TYPES)
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
    data = {
        "repair": repair_id,
        "record": position,
        "subject": {"kind": subject[0], "id": subject[1]},
        "grounds": text,
        "conditions": [c.to_json() for c in found],
    }
    ledger.append([PendingEntry("RepairApplied", data, f"repair:{repair_id}", subject)])
    return repair_id


def _decision(
    ledger: Ledger,
    found: RepairState,
    outcome: str,
    by: str,
    reason: str,
    catalogue: Catalogue,
    rules: RepairRules,
) -> tuple[dict[str, Any], list[PendingEntry]]:
    """The decision's data and the entry carrying its effect on the record (if any).

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
    data = {
        "repair": found.id,
        "record": found.record,
        "outcome": outcome,
        "by": officer,
        "reason": text,
        "unmet": [c.name for c in unmet],
        "ends_scoring": granted and rules.ends_scoring,
        "notice": {"to": subject, "text": notice},
    }
    effect = []
    if granted and rules.ends_scoring:
        withdrawn = {
            "record": found.record,
            "by": officer,
            "reason": f"credit repair {found.id} granted: publication and effect ended early",
            "recertification_required": False,
            "repair": found.id,
        }
        key = f"repair-effect:{found.id}"
        effect.append(PendingEntry("RecordWithdrawn", withdrawn, key, found.subject))
    return data, effect


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
    data, effect = _decision(ledger, found, outcome, by, reason, catalogue, rules)
    decided = PendingEntry("RepairDecided", data, f"repair-decided:{repair_id}", found.subject)
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
    data = {
        "appeal": appeal_id,
        "repair": repair_id,
        "grounds": checked_text(grounds, "grounds", found.subject[1]),
    }
    key = f"repair-appeal:{repair_id}"
    ledger.append([PendingEntry("RepairAppealOpened", data, key, found.subject)])
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
    data, effect = _decision(
        ledger,
        found,
        "granted" if outcome == "granted" else "refused",
        by,
        reason,
        catalogue,
        rules,
    )
    data = {**data, "appeal": found.appeal.id, "outcome": outcome}
    key = f"repair-appeal-decided:{repair_id}"
    decided = PendingEntry("RepairAppealDecided", data, key, found.subject)
    return ledger.append([decided, *effect])[0].position


# -- notices --------------------------------------------------------------------------------------


def _outcome_notices(ledger: Ledger, read: object, now_us: int) -> Iterator[Candidate]:
    """The ``repair_outcome`` notices: one per decision and one per appeal decision, to the
    subject, with the unmet conditions of a refusal (a source of
    :func:`socialcredit.notices.queue_notices`)."""
    for entry in scan(ledger, ("RepairDecided", "RepairAppealDecided")):
        if entry.recorded_at_us > now_us:
            break
        data = entry.data
        to = data["notice"]["to"]
        content = {
            "application": data["repair"],
            "record": data["record"],
            "day": format_time(entry.recorded_at_us)[:10],
            "outcome": data["outcome"],
            "appeal": entry.type == "RepairAppealDecided",
            "unmet": list(data.get("unmet", ())),
        }
        key = f"{data['repair']}:{'appeal' if content['appeal'] else 'decision'}"
        subject = (str(to["kind"]), str(to["id"]))
        yield candidate("repair_outcome", key, subject, entry.position, content)


register_source(_outcome_notices)
