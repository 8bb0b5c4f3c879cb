"""The subject access report and the export of the whole file.

:func:`subject_report` logs the read (``FileRead``, purpose-bound, see
:mod:`socialcredit.rights._reads`) and then returns a JSON-able ``SubjectReportV1`` as the
ledger held it at ``at``:

* every record with its source, legal basis (from the catalogue of the policy in force),
  contribution to the score (:func:`socialcredit.scoring.explain`), lifecycle status and
  history, the subject's statements, and an inclusion proof against the latest signed
  checkpoint (checkable offline with :func:`socialcredit.ledger._proofs.check_inclusion_proof`);
* every dispute and appeal, and every recertification notice;
* every read of the file: who, when, for which permitted purpose (this one included);
* every enquiry about the subject (a decision at a point of service): who asked, for which
  service and purpose, when, and the outcome;
* the consequences (:func:`socialcredit.consequences.subject_consequences`): list
  memberships with their end dates and what each list restricts, an open hardship period and
  the restrictions it freezes, and decisions.

:func:`export_file` is the same report plus every ledger entry about the subject, and
:func:`read_file` the report read under the name ``file``.
Only the subject's own entries are read (the per-subject index), or, in a store whose index
is not yet built, the whole ledger once, decoding only the entries a report needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socialcredit.catalogue import Catalogue, mask_subject_id
from socialcredit.consequences import DECISION_MADE, project_enquiries, subject_consequences
from socialcredit.errors import NotFoundError
from socialcredit.ledger import (
    Entry,
    Ledger,
    decode_entry,
    entry_type,
    inclusion_document,
    ledger_now,
    public_key_text,
    subject_entries,
)
from socialcredit.policy import bundle_in_force, default_bundle
from socialcredit.records import LIFECYCLE_ENTRY_TYPES, RECORD_FILED, RecordIndex
from socialcredit.rights import (
    DISPUTE_TYPES,
    FILE_READ,
    STATEMENT_ATTACHED,
    checked_purpose,
    log_read,
    project_disputes,
    project_reads,
    statements_by_position,
)
from socialcredit.scoring import Explanation, explain
from socialcredit.timeutil import format_time, from_us, to_us

__all__ = ["REPORT_VERSION", "build_report", "export_file", "read_file", "subject_report"]

REPORT_VERSION = "SubjectReportV1"
_PER_SUBJECT = frozenset({RECORD_FILED, STATEMENT_ATTACHED, FILE_READ, DECISION_MADE})
_SHARED = LIFECYCLE_ENTRY_TYPES | DISPUTE_TYPES

Subject = tuple[str, str]


@dataclass(slots=True)
class _File:
    """The entries a report needs, read in one pass."""

    subject: Subject
    filed: dict[int, Entry] = field(default_factory=dict)
    shared: list[Entry] = field(default_factory=list)
    own: list[Entry] = field(default_factory=list)  # statements, reads, enquiries about them

    def ordered(self) -> list[Entry]:
        return sorted([*self.filed.values(), *self.shared, *self.own], key=_position)


def _position(entry: Entry) -> int:
    return entry.position


def _about(entry: Entry, subject: Subject) -> bool:
    who = entry.data.get("subject") or {}
    return (who.get("kind"), who.get("id")) == subject


def _read(ledger: Ledger, subject: Subject) -> _File:
    """The entries the report needs: through the per-subject index when the store's index is
    complete (every entry about the subject is indexed under them), else from one pass over
    the whole ledger. Both give the same report: lifecycle and dispute entries about other
    subjects' records are ignored by everything that reads ``shared``."""
    own = subject_entries(ledger, [subject], with_global=False)
    if own is not None:
        return _sorted_file(subject, ((e.position, e.type, e) for e in own[1]))
    return _sorted_file(subject, _scanned(ledger, subject))


def _scanned(ledger: Ledger, subject: Subject) -> Iterator[tuple[int, str, Entry | bytes]]:
    needle = subject[1].encode()
    for position, raw in ledger.raw_entries():
        kind = entry_type(raw)
        if kind in _SHARED or (kind in _PER_SUBJECT and needle in raw):
            yield position, kind, raw


def _sorted_file(subject: Subject, entries: Iterable[tuple[int, str, Entry | bytes]]) -> _File:
    found = _File(subject)
    for position, kind, item in entries:
        if kind not in _SHARED and kind not in _PER_SUBJECT:
            continue
        entry = item if isinstance(item, Entry) else decode_entry(position, item)
        if kind in _SHARED:
            found.shared.append(entry)
        elif not _about(entry, subject):
            continue
        elif kind == RECORD_FILED:
            found.filed[position] = entry
        else:
            found.own.append(entry)
    return found


def _catalogue(ledger: Ledger, at: datetime) -> Catalogue:
    """The catalogue of the policy in force at ``at`` as known then (default bundle if none)."""
    published = bundle_in_force(ledger, at, at)
    return (default_bundle() if published is None else published.bundle).catalogue


def _kind_terms(catalogue: Catalogue, kind: str) -> dict[str, Any]:
    try:
        found = catalogue.kind(kind)
    except NotFoundError:
        return {"legal_basis": None, "context": None}
    return {"legal_basis": found.citation, "context": found.context}


def _history(shared: list[Entry], position: int, known_us: int) -> list[dict[str, Any]]:
    out = []
    for entry in shared:
        data = entry.data
        if entry.recorded_at_us > known_us:
            break
        if data.get("record") != position and data.get("target") != position:
            continue
        event = {
            "position": entry.position,
            "type": entry.type,
            "at": format_time(entry.recorded_at_us),
        }
        for key in ("reason", "changes", "by", "dispute", "recertification_required"):
            if key in data:
                event[key] = data[key]
        out.append(event)
    return out


def _records(
    ledger: Ledger, file: _File, index: RecordIndex, found: Explanation, known_us: int
) -> Iterator[dict[str, Any]]:
    subject = file.subject
    catalogue = _catalogue(ledger, found.result.as_of)
    effective = {r.position: r for r in index.effective(*subject, known_us)}
    parts = {c.position: c for c in found.result.contributions}
    statements = statements_by_position(file.own, subject, known_us)
    for row in index.records(*subject):
        if row.recorded_at_us > known_us:
            continue
        data = file.filed[row.position].data
        status = index.status(row.position, known_us)
        now = effective.get(row.position)
        part = parts.get(row.position)
        yield {
            "position": row.position,
            "kind": row.kind,
            "source": data.get("source"),
            "evidence": data.get("evidence"),
            **_kind_terms(catalogue, row.kind),
            "occurred_at": data["occurred_at"],
            "recorded_at": format_time(row.recorded_at_us),
            "amount": data.get("amount"),
            "effective": None
            if now is None
            else {"occurred_at": format_time(now.occurred_at_us), "amount": now.amount},
            "status": {
                "state": status.state,
                "since": format_time(status.since_us),
                "reason": status.reason,
                "dispute": status.dispute,
            },
            "contribution": None
            if part is None
            else {"points": part.points, "dimension": part.dimension, "reason": part.reason},
            "history": _history(file.shared, row.position, known_us),
            "statements": [s.to_json() for s in statements.get(row.position, [])],
            "inclusion_proof": inclusion_document(ledger, row.position),
        }


def _notices(file: _File, known_us: int) -> list[dict[str, Any]]:
    out = []
    for entry in file.shared:
        if entry.type != "RecordRecertified" or entry.recorded_at_us > known_us:
            continue
        notice = entry.data["notice"]
        if (notice["to"]["kind"], notice["to"]["id"]) == file.subject:
            out.append(
                {
                    "position": entry.position,
                    "at": format_time(entry.recorded_at_us),
                    "record": entry.data["record"],
                    "text": notice["text"],
                }
            )
    return out


def build_report(
    ledger: Ledger, subject_kind: str, subject_id: str, at: datetime | None = None
) -> dict[str, Any]:
    """The subject access report as the ledger held it at ``at`` (default now), without
    logging a read: use :func:`subject_report` for any read on behalf of someone.

    Raises:
        ValueError: if ``at`` is naive.
    """
    subject = (subject_kind, subject_id)
    known_us = ledger_now(ledger) if at is None else to_us(at)
    moment = from_us(known_us)
    file = _read(ledger, subject)
    index = RecordIndex()
    index.apply(file.ordered())
    index.ledger = ledger
    found = explain(index, subject_kind, subject_id, as_of=moment, known_at=moment)
    checkpoint = ledger.latest_checkpoint()
    return {
        "version": REPORT_VERSION,
        "subject": {"kind": subject_kind, "id": subject_id},
        "as_of": format_time(known_us),
        "score": {
            "total": found.result.total,
            "grade": found.result.grade,
            "dimensions": found.result.dimensions,
            "policy_revision": found.result.revision,
        },
        "records": list(_records(ledger, file, index, found, known_us)),
        "disputes": [d.to_json() for d in project_disputes(file.shared, known_us, subject=subject)],
        "notices": _notices(file, known_us),
        "reads": [r.to_json() for r in project_reads(file.own, subject, known_us)],
        "enquiries": [e.to_json() for e in project_enquiries(file.own, subject, known_us)],
        "consequences": subject_consequences(ledger, subject_kind, subject_id, moment).to_json(),
        "checkpoint": checkpoint.to_json(),
        "public_key": public_key_text(ledger.public_key),
    }


def _redacted(report: dict[str, Any]) -> dict[str, Any]:
    """The report without identifying data, for purposes that may not see it."""
    subject = report["subject"]
    report["subject"] = {
        "kind": subject["kind"],
        "id": mask_subject_id(subject["kind"], subject["id"]),
    }
    for record in report["records"]:
        record["evidence"] = None
        record["statements"] = [
            {"position": s["position"], "at": s["at"]} for s in record["statements"]
        ]
        record["inclusion_proof"] = {
            k: v for k, v in record["inclusion_proof"].items() if k != "entry"
        }
    for dispute in report["disputes"]:
        dispute["grounds"] = None
        dispute["evidence"] = [{"at": e["at"], "by": e["by"]} for e in dispute["evidence"]]
    report["notices"] = [{k: v for k, v in n.items() if k != "text"} for n in report["notices"]]
    consequences = report["consequences"]  # it and every decision in it name the subject
    consequences["subject"] = report["subject"]
    for decision in consequences["decisions"]:
        decision["subject"] = report["subject"]
    report["redacted"] = True
    return report


def subject_report(
    ledger: Ledger,
    subject_kind: str,
    subject_id: str,
    at: datetime | None = None,
    reader: str = "subject",
    purpose: str = "subject_access",
    *,
    what: str = "report",
) -> dict[str, Any]:
    """Log the read (``FileRead``) and return the report at ``at`` (default: now, so the
    report lists this read too). Purposes without personal data get a redacted report.

    Raises:
        ValidationError: if the purpose is not whitelisted or the reader is refused; nothing
            is written or read then.
        ValueError: if ``at`` is naive.
    """
    purpose_terms = checked_purpose(purpose)
    if at is not None:
        to_us(at)
    log_read(ledger, (subject_kind, subject_id), reader, purpose, what)
    report = build_report(ledger, subject_kind, subject_id, at)
    report["read"] = {"reader": reader, "purpose": purpose}
    return report if purpose_terms.personal_data else _redacted(report)


def read_file(
    ledger: Ledger, subject: tuple[str, str], reader: str, purpose: str
) -> dict[str, Any]:
    """The subject's file (the subject access report, now), after logging the read.

    Raises:
        ValidationError: as :func:`subject_report`; nothing is read or written then.
    """
    return subject_report(ledger, subject[0], subject[1], None, reader, purpose, what="file")


def export_file(
    ledger: Ledger,
    subject_kind: str,
    subject_id: str,
    reader: str = "subject",
    purpose: str = "subject_access",
) -> dict[str, Any]:
    """The whole file: the report now plus every ledger entry about the subject (decoded),
    after logging the read.

    Raises:
        ValidationError: as :func:`subject_report`.
    """
    report = subject_report(ledger, subject_kind, subject_id, None, reader, purpose, what="export")
    if report.get("redacted"):
        return report
    subject = (subject_kind, subject_id)
    file = _read(ledger, subject)
    records = set(file.filed)
    own = {e.position for e in file.own}
    disputes = {d.id for d in project_disputes(file.shared, ledger_now(ledger), subject=subject)}
    entries = [
        e
        for e in file.ordered()
        if e.position in records
        or e.position in own
        or e.data.get("record") in records
        or e.data.get("dispute") in disputes
    ]
    report["entries"] = [
        {
            "position": e.position,
            "type": e.type,
            "at": format_time(e.recorded_at_us),
            "data": e.data,
        }
        for e in entries
    ]
    return report
