"""The public enterprise credit report of an organisation, as Credit China offers it: only
what the portal's organisation page publishes, as data (``EnterpriseCreditReportV1``) and as
a PDF.

It holds the organisation's masked id, its score and grade, its entries on public lists (in
effect, frozen or noticed) with their legal basis, measures and end dates, its published
records (general and serious penalties, and commendations, while they count) with legal basis
and the date their publication ends, and its public rating aggregate. Each published record
comes with its inclusion proof (the leaf hash, never the entry's bytes) against the latest
signed checkpoint. Reading it is not logged: an organisation's public page is not personal
data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from socialcredit.catalogue import mask_subject_id, validate_uscc
from socialcredit.ledger import inclusion_document, public_key_text
from socialcredit.rights import repaired_positions
from socialcredit.timeutil import to_us

from ..consequences import PUBLIC_STATUSES, public_records, subject_consequences
from ..errors import NotFoundError, Problem, ValidationError
from ..ledger import Ledger
from ..policy import PolicyBundle, bundle_in_force
from ..ratings import ratee_view
from ..records import RecordIndex
from ..scoring import explain
from ..timeutil import format_time
from ._credit_report import draw_checkpoint, proof_payload
from ._layout import FontChoice, Page, choose_font

__all__ = [
    "ENTERPRISE_REPORT_VERSION",
    "enterprise_report",
    "enterprise_report_pdf",
    "render_enterprise_report",
]

ENTERPRISE_REPORT_VERSION = "EnterpriseCreditReportV1"
_ORGANISATION = "organisation"
_QR = 36.0


def enterprise_report(
    ledger: Ledger,
    organisation_id: str,
    at: datetime | None = None,
    *,
    index: RecordIndex | None = None,
) -> dict[str, Any]:
    """The public enterprise credit report of the organisation with USCC ``organisation_id``
    at ``at`` (default now, as known then), as JSON-able data.

    ``index`` is a caught-up record index to score from (the portal's); by default the
    organisation's own entries are read.

    Raises:
        ValidationError: naming ``organisation`` if the id is not a valid USCC.
        NotFoundError: if the ledger has never seen the organisation.
        ValueError: if ``at`` is naive.
    """
    uscc = _uscc(organisation_id)
    if ledger.subject_id(_ORGANISATION, uscc) is None:
        raise NotFoundError(f"no organisation {mask_subject_id(_ORGANISATION, uscc)} in the ledger")
    now = datetime.now(UTC) if at is None else at
    to_us(now)  # refuse a naive time before reading anything
    found = explain(ledger if index is None else index, _ORGANISATION, uscc, as_of=now)
    published = bundle_in_force(ledger, now, now)
    bundle = None if published is None else published.bundle
    consequences = subject_consequences(ledger, _ORGANISATION, uscc, now).to_json()
    rating = ratee_view(ledger, uscc, now).aggregate
    return {
        "version": ENTERPRISE_REPORT_VERSION,
        "organisation": {"kind": _ORGANISATION, "id": mask_subject_id(_ORGANISATION, uscc)},
        "as_of": format_time(to_us(now)),
        "score": {
            "total": found.result.total,
            "grade": found.result.grade,
            "policy_revision": found.result.revision,
        },
        "listings": _listings(consequences["memberships"], bundle),
        "records": _records(
            ledger,
            found.result.contributions,
            bundle,
            repaired_positions(ledger, to_us(now), subject=(_ORGANISATION, uscc)),
        ),
        "rating": None
        if rating.count == 0
        else {
            "score": rating.score,
            "low": rating.low,
            "high": rating.high,
            "count": rating.count,
            "low_evidence": rating.low_evidence,
            "per_dimension": {k: list(v) for k, v in sorted(rating.per_dimension.items())},
        },
        "checkpoint": ledger.latest_checkpoint().to_json(),
        "public_key": public_key_text(ledger.public_key),
    }


def _uscc(value: str) -> str:
    uscc = value.strip().upper()
    try:
        validate_uscc(uscc)
    except ValueError as exc:
        raise ValidationError(
            "not an organisation", [Problem("organisation", f"not a valid USCC: {exc}")]
        ) from exc
    return uscc


def _listings(
    memberships: list[dict[str, Any]], bundle: PolicyBundle | None
) -> list[dict[str, Any]]:
    """The entries a public list shows (in effect, frozen, noticed), each with its list's
    legal basis and Chinese name."""
    shown = {status.value for status in PUBLIC_STATUSES}
    out = []
    for m in memberships:
        if m["status"] not in shown:
            continue
        definition = None if bundle is None else bundle.list_definition(m["list"])
        out.append(
            {
                "list": m["list"],
                "name": m.get("list_name") or m["list"],
                "name_zh": "" if bundle is None else bundle.label("lists", m["list"], "zh-CN"),
                "colour": m.get("colour"),
                "status": m["status"],
                "noticed": m["noticed"],
                "from": m["from"],
                "until": m["until"],
                "measures": [x["name"] for x in m.get("measures", ())],
                "legal_basis": "" if definition is None else definition.legal_basis,
            }
        )
    return out


def _records(
    ledger: Ledger, contributions: Any, bundle: PolicyBundle | None, repaired: frozenset[int]
) -> list[dict[str, Any]]:
    """The published records (:func:`public_records`; none whose repair was granted, even
    where the bundle keeps its effect), each with its legal basis, the date its publication
    ends and its inclusion proof without the entry's bytes."""
    if bundle is None:
        return []
    out = []
    for c, kind in public_records(contributions, bundle.catalogue, repaired=repaired):
        proof = inclusion_document(ledger, c.position)
        del proof["entry"]  # the entry names the full USCC and the evidence: not published
        out.append(
            {
                "position": c.position,
                "kind": c.kind,
                "name": bundle.label("kinds", c.kind, "en"),
                "name_zh": bundle.label("kinds", c.kind, "zh-CN"),
                "gravity": kind.gravity.value,
                "occurred_at": format_time(to_us(c.occurred_at)),
                "published_until": None
                if c.expires_at is None
                else format_time(to_us(c.expires_at)),
                "points": c.points,
                "legal_basis": kind.citation,
                "inclusion_proof": proof,
            }
        )
    return out


def enterprise_report_pdf(
    ledger: Ledger,
    organisation_id: str,
    at: datetime | None = None,
    *,
    font: FontChoice | None = None,
) -> tuple[dict[str, Any], bytes]:
    """:func:`enterprise_report` and its PDF.

    Raises:
        ValidationError, NotFoundError, ValueError: as :func:`enterprise_report`.
    """
    report = enterprise_report(ledger, organisation_id, at)
    return report, render_enterprise_report(report, font=font)


def render_enterprise_report(report: Mapping[str, Any], *, font: FontChoice | None = None) -> bytes:
    """The PDF of an ``EnterpriseCreditReportV1``.

    Raises:
        KeyError: if ``report`` lacks one of its fields.
    """
    chosen = font or choose_font()
    who = report["organisation"]["id"]
    page = Page(
        "Enterprise credit report",
        chosen,
        f"Public enterprise credit report of {who} as of {report['as_of']}",
    )
    page.metadata(
        f"Public enterprise credit report ({report['version']}) of organisation {who}",
        [report["version"], f"checkpoint {report['checkpoint']['size']}"],
        datetime.fromisoformat(report["as_of"]),
    )
    _front(page, report)
    _public_listings(page, report["listings"])
    _public_records(page, report["records"])
    _rating(page, report["rating"])
    _anchor(page, report)
    return page.output()


def _front(page: Page, report: Mapping[str, Any]) -> None:
    score, checkpoint = report["score"], report["checkpoint"]
    page.title(
        "Enterprise credit report" + (" 企业信用报告" if page.font.cjk else ""),
        "What the public may see about this organisation: its public list entries, its "
        "published penalties and commendations while they count, and its public rating. Each "
        "published record's QR code holds its inclusion proof (`socialcredit check-proof`).",
    )
    page.facts(
        [
            ("Organisation", report["organisation"]["id"]),
            ("As of", report["as_of"]),
            ("Grade", f"{score['grade']} (score {score['total']})"),
            ("Policy revision", score["policy_revision"]),
            (
                "Anchored to",
                f"checkpoint of size {checkpoint['size']}, signed {checkpoint['time']}",
            ),
            ("Checkpoint root", checkpoint["root"]),
            ("Public key", report["public_key"]),
        ]
    )


def _public_listings(page: Page, listings: list[dict[str, Any]]) -> None:
    page.heading("On public lists")
    if not listings:
        page.paragraph("Not on any public list.")
        return
    rows = [
        (
            page.both(m["name"], m["name_zh"]),
            m["status"],
            (m["from"] or "")[:10],
            (m["until"] or "")[:10] or "until the obligation is performed",
        )
        for m in listings
    ]
    page.table(("List", "Status", "From", "Until"), rows, (90, 24, 26, 40))
    for m in {m["list"]: m for m in listings}.values():
        page.heading(m["name"], level=2)
        page.facts(
            [
                ("Restricts", "; ".join(m["measures"]) or "—"),
                ("Legal basis", m["legal_basis"] or "—"),
            ]
        )


def _public_records(page: Page, records: list[dict[str, Any]]) -> None:
    page.heading("Published records")
    page.paragraph(
        "Administrative penalties (general and serious) and commendations, while they count; "
        "minor penalties are not published.",
        muted=True,
    )
    if not records:
        page.paragraph("No published record.")
    for r in records:
        page.room(_QR + 10)
        page.heading(f"Entry {r['position']} · {page.both(r['name'], r['name_zh'])}", level=2)
        top, first = page.pdf.get_y(), page.pdf.page_no()
        left = page.usable - _QR - 4
        page.qr(proof_payload(r["inclusion_proof"]), _QR, x=page.MARGIN + left + 4, y=top)
        page.facts(
            [
                ("Gravity", r["gravity"]),
                ("Occurred", r["occurred_at"][:10]),
                ("Published until", (r["published_until"] or "")[:10] or "—"),
                ("Points", f"{r['points']:+d}"),
                ("Legal basis", r["legal_basis"]),
            ],
            width=left,
            label=30,
        )
        if page.pdf.page_no() == first:
            page.pdf.set_y(max(page.pdf.get_y(), top + _QR) + 2)


def _rating(page: Page, rating: Mapping[str, Any] | None) -> None:
    page.heading("Public rating")
    if rating is None:
        page.paragraph("No verified ratings yet.")
        return
    note = ": too little evidence to rank" if rating["low_evidence"] else ""
    page.paragraph(
        f"{rating['score']:.2f} of 5 stars (credible interval {rating['low']:.2f}–"
        f"{rating['high']:.2f}) from {rating['count']} verified ratings{note}."
    )
    rows = [
        (name.replace("_", " "), f"{v[0]:.2f}", f"{v[1]:.2f}–{v[2]:.2f}")
        for name, v in rating["per_dimension"].items()
    ]
    page.table(("Dimension", "Stars", "Interval"), rows, (80, 40, 60))


def _anchor(page: Page, report: Mapping[str, Any]) -> None:
    checkpoint = report["checkpoint"]
    page.heading("The signed checkpoint")
    draw_checkpoint(page, report)
    if report["records"]:
        page.heading("Inclusion proofs of the published records", level=2)
    for r in report["records"]:
        proof = r["inclusion_proof"]
        page.room(14)
        head = f"entry {r['position']}: leaf {proof['index']} of {checkpoint['size']}, leaf hash"
        page.code([head, proof["leaf_hash"] + ";", "audit path, leaf to root:"])
        page.code(proof["hashes"] or ["(none: the tree has one leaf)"])
