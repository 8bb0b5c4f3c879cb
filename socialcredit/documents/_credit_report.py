"""The subject's credit report as a PDF: a rendering of the subject access report
(:func:`socialcredit.reports.subject_report`, ``SubjectReportV1``), never a second
computation.

Each record carries a QR code holding its inclusion proof (``InclusionProofV1`` without the
entry's bytes: its leaf hash, audit path and the signed checkpoint), which
``socialcredit check-proof FILE --public-key KEY`` checks offline once scanned into FILE.
The appendices give the checkpoint the report is anchored to (with a QR code of it and the
public key) and every proof in text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import orjson

from ..ledger import Ledger
from ..policy import bundle_in_force, default_bundle
from ..reports import subject_report
from ._layout import FontChoice, Page, choose_font

__all__ = [
    "checkpoint_payload",
    "credit_report_pdf",
    "kind_labels",
    "proof_payload",
    "render_credit_report",
]

_QR = 44.0  # mm: a proof of ~1.9 kB (120,000 entries) is a version-32 symbol, 0.29 mm a module


def credit_report_pdf(
    ledger: Ledger,
    subject_kind: str,
    subject_id: str,
    at: datetime | None = None,
    reader: str = "subject",
    purpose: str = "subject_access",
    *,
    font: FontChoice | None = None,
) -> tuple[dict[str, Any], bytes]:
    """Log the read and return the subject access report and its PDF.

    The read is logged as any report read is (``FileRead``, ``what="report"``), with
    ``reader`` and ``purpose``; a purpose without personal data gets the redacted report.

    Raises:
        ValidationError: if the purpose is not whitelisted or the reader is refused; nothing
            is written or read then.
        ValueError: if ``at`` is naive.
    """
    report = subject_report(ledger, subject_kind, subject_id, at, reader, purpose)
    return report, render_credit_report(report, labels=kind_labels(ledger, report), font=font)


def kind_labels(ledger: Ledger, report: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The English and Chinese names of the record kinds in ``report``, from the labels of the
    policy in force at the report's time (the default policy's if none is published)."""
    moment = datetime.fromisoformat(report["as_of"])
    published = bundle_in_force(ledger, moment, moment)
    bundle = default_bundle() if published is None else published.bundle
    kinds = {r["kind"] for r in report["records"]}
    return {k: (bundle.label("kinds", k, "en"), bundle.label("kinds", k, "zh-CN")) for k in kinds}


def proof_payload(proof: Mapping[str, Any]) -> bytes:
    """What a record's QR code holds: its inclusion proof without the entry's bytes (the
    leaf hash stands for them), as compact JSON that ``check-proof`` accepts."""
    return orjson.dumps({k: v for k, v in proof.items() if k != "entry"})


def checkpoint_payload(report: Mapping[str, Any]) -> bytes:
    """What the report's own QR code holds: the signed checkpoint and the public key."""
    return orjson.dumps({"checkpoint": report["checkpoint"], "public_key": report["public_key"]})


def render_credit_report(
    report: Mapping[str, Any],
    *,
    labels: Mapping[str, tuple[str, str]] | None = None,
    font: FontChoice | None = None,
) -> bytes:
    """The PDF of a ``SubjectReportV1`` (as :func:`subject_report` returns it).

    ``labels`` gives each record kind's English and Chinese names (default: the kind's id in
    words; the Chinese name only with a CJK font); ``font`` defaults to :func:`choose_font`.

    Raises:
        KeyError: if ``report`` lacks a field of ``SubjectReportV1``.
    """
    subject = report["subject"]
    page = Page(
        "Credit report",
        font or choose_font(),
        f"Credit report of {subject['kind']} {subject['id']} as of {report['as_of']}",
    )
    page.metadata(
        f"Credit report ({report['version']}) of {subject['kind']} {subject['id']}",
        [report["version"], f"checkpoint {report['checkpoint']['size']}"],
        datetime.fromisoformat(report["as_of"]),
    )
    names = {k: page.both(en, zh) for k, (en, zh) in (labels or {}).items()}
    _front(page, report)
    _records(page, report["records"], names)
    _consequences(page, report["consequences"])
    _disputes(page, report["disputes"])
    _notices(page, report["notices"])
    _reads(page, report["reads"], report["enquiries"])
    _checkpoint(page, report)
    _proofs(page, report["records"], names)
    return page.output()


def _label(names: Mapping[str, str], kind: str) -> str:
    return names.get(kind) or kind.replace("_", " ").capitalize()


def _day(value: str | None) -> str:
    return (value or "")[:10] or "—"


def _front(page: Page, report: Mapping[str, Any]) -> None:
    subject, score, checkpoint = report["subject"], report["score"], report["checkpoint"]
    page.title(
        "Credit report",
        f"The file as the ledger held it at {report['as_of']} ({report['version']}). Each "
        "record's QR code holds its inclusion proof: save the scanned text to a file and check "
        f"it offline with `socialcredit check-proof FILE --public-key {report['public_key']}`.",
    )
    read = report.get("read") or {}
    rows: list[tuple[str, object]] = [
        ("Subject", f"{subject['kind']} {subject['id']}"),
        ("As of", report["as_of"]),
        ("Score", f"{score['total']} (grade {score['grade']})"),
        ("Policy revision", score["policy_revision"]),
        ("Records", len(report["records"])),
        ("Anchored to", f"checkpoint of size {checkpoint['size']}, signed {checkpoint['time']}"),
        ("Checkpoint root", checkpoint["root"]),
    ]
    if read:
        rows.append(("Read by", f"{read['reader']} for the purpose {read['purpose']} (logged)"))
    if report.get("redacted"):
        rows.append(("Redacted", "this purpose may not see identifying data: it is withheld"))
    page.facts(rows)
    dimensions = ", ".join(f"{k.replace('_', ' ')} {v:+}" for k, v in score["dimensions"].items())
    page.paragraph(f"Points by dimension: {dimensions}.", muted=True)


def _records(page: Page, records: list[dict[str, Any]], names: Mapping[str, str]) -> None:
    page.heading(f"Records ({len(records)})")
    if not records:
        page.paragraph("No record is on file.")
    for record in records:
        page.room(62)
        page.heading(f"Entry {record['position']} · {_label(names, record['kind'])}", level=2)
        top, first = page.pdf.get_y(), page.pdf.page_no()
        left = page.usable - _QR - 4
        page.qr(proof_payload(record["inclusion_proof"]), _QR, x=page.MARGIN + left + 4, y=top)
        page.facts(_record_rows(record), width=left, label=30)
        if page.pdf.page_no() == first:
            page.pdf.set_y(max(page.pdf.get_y(), top + _QR) + 2)


def _record_rows(record: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    status = record["status"]
    yield "Kind", record["kind"]
    yield "Occurred", record["occurred_at"]
    yield "Recorded", record["recorded_at"]
    yield "Source", record["source"]
    if record.get("evidence"):
        yield "Evidence", record["evidence"]
    if record.get("amount") is not None:
        yield "Amount", record["amount"]
    yield "Legal basis", record.get("legal_basis") or "—"
    state = f"{status['state']} since {_day(status['since'])}: {status['reason']}"
    yield "Status", state + (f" (dispute {status['dispute']})" if status.get("dispute") else "")
    part = record.get("contribution")
    if part is None:
        yield "Contribution", "does not count now"
    else:
        yield "Contribution", f"{part['points']:+d} ({part['dimension']}): {part['reason']}"
    for event in record.get("history", ()):
        yield "History", f"{_day(event['at'])} {event['type']} (entry {event['position']})"
    for statement in record.get("statements", ()):
        yield "Your statement", statement.get("text", "(withheld)")


def _consequences(page: Page, found: Any) -> None:
    page.heading("Lists and measures")
    memberships = (found or {}).get("memberships", ())
    if not memberships:
        page.paragraph("On no list.")
    else:
        page.table(
            ("List", "Status", "From", "Until", "Grounds"),
            [_membership_row(m) for m in memberships],
            (62, 34, 22, 22, 40),
        )
    for m in {m["list"]: m for m in memberships}.values():
        for effect, verb in (("restriction", "restricts"), ("reward", "rewards")):
            names = [x["name"] for x in m.get("measures", ()) if x["effect"] == effect]
            if names:
                page.paragraph(f"{m.get('list_name') or m['list']} {verb}: {'; '.join(names)}.")
    hardship = (found or {}).get("hardship")
    if hardship:
        frozen = "; ".join(f"{f['measure_name']} ({f['list']})" for f in hardship["frozen"])
        page.paragraph(f"Hardship recorded since {_day(hardship['since'])}; frozen: {frozen}.")
    decisions = (found or {}).get("decisions", ())
    if decisions:
        page.heading("Decisions", level=2)
        rows = [
            (
                _day(d["at"]),
                d["service"],
                d["outcome"],
                d["position"],
                " ".join(r["text"] for r in [*d["reasons"], *d.get("frozen", ())]),
            )
            for d in decisions
        ]
        page.table(("Date", "Service", "Outcome", "Entry", "Because"), rows, (20, 35, 18, 15, 92))


def _membership_row(m: Mapping[str, Any]) -> tuple[str, ...]:
    status = m["status"] + (f" ({m['ended_by']})" if m.get("ended_by") else "")
    until = _day(m["until"]) if m["until"] else "until performed"
    grounds = ", ".join(f"entry {g}" for g in m["grounds"]) or ", ".join(m["kinds"])
    return (m.get("list_name") or m["list"], status, _day(m["from"]), until, grounds)


def _disputes(page: Page, disputes: list[dict[str, Any]]) -> None:
    page.heading("Disputes and appeals")
    if not disputes:
        page.paragraph("No dispute.")
        return
    rows = []
    for d in disputes:
        appeal = d.get("appeal") or {}
        outcome = d.get("outcome") or "—"
        if appeal:
            outcome += f"; appeal {appeal['id']}: {appeal.get('outcome') or 'open'}"
        deadline = d["deadlines"]["decide_by"]
        rows.append((d["id"], d["target"], d["state"], _day(d["opened_at"]), deadline, outcome))
    widths = (22, 14, 30, 22, 22, 70)
    page.table(("Dispute", "Entry", "State", "Opened", "Decide by", "Outcome"), rows, widths)


def _notices(page: Page, notices: list[dict[str, Any]]) -> None:
    page.heading("Notices")
    if not notices:
        page.paragraph("No notice was sent.")
        return
    rows = [(_day(n["at"]), n["record"], n.get("text", "(withheld)")) for n in notices]
    page.table(("Date", "Record", "Notice"), rows, (22, 18, 140))


def _reads(page: Page, reads: list[dict[str, Any]], enquiries: list[dict[str, Any]]) -> None:
    page.heading("Who read this file")
    rows = [(r["at"][:19], r["reader"], r["purpose"], r["what"]) for r in reads]
    if rows:
        page.table(("When (UTC)", "Reader", "Purpose", "What"), rows, (36, 54, 60, 30))
    else:
        page.paragraph("Nobody read it.")
    page.heading("Enquiries (decisions asked about you)")
    asked = [
        (e["at"][:19], e["requested_by"] or "—", e["purpose"] or "—", e["service"], e["outcome"])
        for e in enquiries
    ]
    if asked:
        widths = (36, 40, 44, 40, 20)
        page.table(("When (UTC)", "Asked by", "Purpose", "Service", "Outcome"), asked, widths)
    else:
        page.paragraph("No enquiry.")


def _checkpoint(page: Page, report: Mapping[str, Any]) -> None:
    page.pdf.add_page()
    page.heading("Appendix A: the signed checkpoint")
    page.paragraph(
        "Every proof in this report leads to this checkpoint's root. Its signature is checked "
        "with the ledger's public key; the QR code holds both as JSON. A witness or anyone "
        "holding a later checkpoint can check that the ledger only grew since "
        "(`socialcredit consistency`)."
    )
    draw_checkpoint(page, report)


def draw_checkpoint(page: Page, report: Mapping[str, Any]) -> None:
    """The report's signed checkpoint, field by field with the public key, beside a QR code
    of both (:func:`checkpoint_payload`)."""
    checkpoint = report["checkpoint"]
    page.room(56)
    top = page.pdf.get_y()
    page.qr(checkpoint_payload(report), 50, x=page.WIDTH - page.MARGIN - 50, y=top)
    rows: list[tuple[str, object]] = [
        (name, checkpoint[name]) for name in ("origin", "size", "root", "time", "signature")
    ]
    rows += [(f"chain.{k}", v) for k, v in (checkpoint.get("chain") or {}).items()]
    rows.append(("public key", report["public_key"]))
    page.facts(rows, width=page.usable - 54, label=32)
    page.pdf.set_y(max(page.pdf.get_y(), top + 52))


def _proofs(page: Page, records: list[dict[str, Any]], names: Mapping[str, str]) -> None:
    page.heading("Appendix B: inclusion proofs")
    page.paragraph(
        "For each record: its leaf index in the tree, the hash of its entry, and the audit "
        "path (sibling hashes, leaf to root) that leads to the checkpoint's root."
    )
    for record in records:
        proof = record["inclusion_proof"]
        page.room(20)
        page.heading(f"Entry {record['position']} · {_label(names, record['kind'])}", level=2)
        size = proof["checkpoint"]["size"]
        leaf = [f"leaf {proof['index']} of {size};", "leaf hash", proof["leaf_hash"] + ";"]
        page.code([*leaf, "audit path, leaf to root:"])
        page.code(proof["hashes"] or ["(none: the tree has one leaf)"])
