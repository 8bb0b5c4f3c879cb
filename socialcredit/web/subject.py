"""The subject's own pages: my file, my score over time, my grade and how to improve it.

A subject sees only their own file: every page takes the subject from the logged-in
principal, never from the URL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..errors import NotFoundError, SocialCreditError
from ..ledger import Ledger, inclusion_document
from ..policy import PerUnit, PublishedBundle, bundle_in_force
from ..rights import (
    appeal,
    attach_statement,
    dispute_state,
    disputes_of,
    enquiries_of,
    export_file,
    log_read,
    open_dispute,
    reads_of,
    statements_of,
)
from ..rights.statements import MAX_STATEMENT
from ..scoring import Contribution, RecordIndex, ScoreResult, explain, score
from ..scoring.engine import to_us
from ..scoring.records import RecordStatus
from . import _access
from ._access import Principal, Role
from ._i18n import gettext as _
from ._render import render
from ._routing import page_router
from .charts import line_chart

__all__ = ["router"]

router = page_router()

#: How far back the score chart goes, and how often it samples.
HISTORY_SPAN = timedelta(days=3 * 365)
HISTORY_STEP = timedelta(days=30)
#: The purpose of a subject reading their own file (from the rights whitelist).
SUBJECT_ACCESS = "subject_access"


_SUBJECT = _access.signed_in(Role.SUBJECT)


def _subject(who: Principal) -> tuple[str, str]:
    assert who.subject is not None  # a subject account always has its file
    return who.subject


@router.get("/me", response_class=HTMLResponse)
def my_file(request: Request, who: Principal = _SUBJECT) -> Response:
    """My file: grade and reasons, the way up, the score chart, every record with its status,
    statements and proof, my disputes, who read my file and who enquired about me (the
    decisions asked about me). Viewing it is a logged read."""
    return _my_page(request, who, chosen=_chosen(request))


def _chosen(request: Request) -> int | None:
    """The record a row's "dispute or comment" link chose (``?record=N``), if any."""
    value = request.query_params.get("record", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _my_page(request: Request, who: Principal, status: int = 200, **values: Any) -> Response:
    subject = _subject(who)
    now = datetime.now(UTC)
    with _access.system(request) as (ledger, index):
        log_read(ledger, subject, who.account, SUBJECT_ACCESS, "file")
        found = explain(index, *subject, as_of=now, known_at=now)
        points = score_history(index, subject, now)
        in_force = bundle_in_force(ledger, now, now)
        statuses = _statuses(index, found.result.contributions, now)
        # Filtered here rather than with disputes_of(subject=...), which (for now) misses
        # decisions: their entries do not carry the subject's id.
        disputes = [d for d in disputes_of(ledger) if d.subject == subject]
        statements = statements_of(ledger, subject)
        reads = reads_of(ledger, subject)
        enquiries = enquiries_of(ledger, subject)
        consequences = _access.consequences_of(request, ledger, subject, now)
    chart = line_chart(
        [(p.as_of, p.total) for p in points],
        title=_("My score over the last three years"),
        bands=_bands(in_force),
    )
    return render(
        request,
        who,
        "me.html",
        status,
        found=found,
        points=points,
        chart=chart,
        now=now,
        statuses=statuses,
        disputes=disputes,
        statements=statements,
        reads=[r for r in reads[::-1] if r.reader not in _my_names(who)],
        own_visits=[r for r in reads if r.reader in _my_names(who)],
        enquiries=enquiries[::-1],
        open_targets={d.target for d in disputes if d.decided_us is None},
        max_statement=MAX_STATEMENT,
        consequences=consequences,
        positive=_positive_rules(in_force),
        grade_note=_access.grade_note(
            _access.grade_scale(None if in_force is None else in_force.bundle),
            found.result.grade,
        ),
        **values,
    )


def _my_names(who: Principal) -> set[str]:
    """The reader names of my own visits: my account id (and, for reads logged before account
    ids, my user name)."""
    return {who.account, who.name}


def score_history(index: RecordIndex, subject: tuple[str, str], now: datetime) -> list[ScoreResult]:
    """My score every :data:`HISTORY_STEP` over :data:`HISTORY_SPAN`, each as known on its
    date: what :func:`socialcredit.scoring.history` computes, scored on the app's index
    (kept caught up) instead of an index rebuilt from the whole ledger on every call."""
    start = now - HISTORY_SPAN
    steps = int(HISTORY_SPAN / HISTORY_STEP)
    return [score(index, *subject, as_of=start + i * HISTORY_STEP) for i in range(steps + 1)]


def _bands(in_force: PublishedBundle | None) -> list[tuple[str, int]]:
    """The lower bound of each grade of the policy in force, for the chart's guide lines."""
    if in_force is None:
        return []
    return [(band.grade, band.min) for band in in_force.bundle.scoring.grades]


def _positive_rules(in_force: PublishedBundle | None) -> list[tuple[str, str]]:
    """The record kinds that earn points under the policy in force, with the points, for
    "how to improve my grade"."""
    if in_force is None:
        return []
    out = []
    for rule in in_force.bundle.scoring.rules:
        points = rule.points
        if isinstance(points, PerUnit) and points.per_unit > 0:
            each = _("+%(points)d per unit, at most +%(cap)d")
            out.append((rule.kind, each % {"points": points.per_unit, "cap": points.cap}))
        elif isinstance(points, int) and points > 0:
            out.append((rule.kind, f"+{points}"))
    return out


def _statuses(
    index: RecordIndex, contributions: tuple[Contribution, ...], now: datetime
) -> dict[int, RecordStatus]:
    """Each record's lifecycle status (active, disputed, suspended, corrected, withdrawn)."""
    at = to_us(now)
    return {c.position: index.status(c.position, at) for c in contributions}


@router.get("/me/proof/{position}", response_class=JSONResponse)
def my_proof(request: Request, position: int, who: Principal = _SUBJECT) -> Response:
    """The inclusion proof of one of my records, as a JSON document to check offline.

    Raises:
        NotFoundError: if the entry is not a record about me.
    """
    subject = _subject(who)
    with _access.system(request) as (ledger, index):
        if position not in {row.position for row in index.records(*subject)}:
            raise NotFoundError(f"entry {position} is not a record in your file")
        document = inclusion_document(ledger, position)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="proof-{position}.json"'},
    )


@router.get("/me/export", response_class=JSONResponse)
def my_export(request: Request, who: Principal = _SUBJECT) -> Response:
    """My whole file as one JSON document (the report plus every entry about me): a logged
    read with the purpose ``subject_access``."""
    subject = _subject(who)
    with _access.system(request) as (ledger, _):
        document = export_file(ledger, *subject, reader=who.account, purpose=SUBJECT_ACCESS)
    return JSONResponse(
        document, headers={"Content-Disposition": 'attachment; filename="my-file.json"'}
    )


def _mine(index: RecordIndex, subject: tuple[str, str], position: int) -> None:
    """Refuse a position that is not one of the subject's records.

    Raises:
        NotFoundError: if it is not.
    """
    if position not in {row.position for row in index.records(*subject)}:
        raise NotFoundError(f"entry {position} is not a record in your file")


def _act(
    request: Request, who: Principal, action: Any, done: str, place: str, **typed: Any
) -> Response:
    """Run a write on the subject's behalf; show the file again with the outcome next to the
    form in section ``place`` (``act`` or ``appeal``) — on a refusal with what was typed kept."""
    try:
        with _access.system(request) as (ledger, index):
            action(ledger, index)
    except SocialCreditError as error:
        status = 404 if isinstance(error, NotFoundError) else 422
        return _my_page(request, who, status, error=error, acted=place, **typed)
    target = f"/me?done={quote(done)}&at={place}#{place}-result"
    return RedirectResponse(target, status_code=303)


@router.post("/me/disputes", response_class=HTMLResponse)
def my_dispute(
    request: Request,
    position: Annotated[int, Form()],
    grounds: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Dispute one of my records."""
    subject = _subject(who)

    def action(ledger: Ledger, index: RecordIndex) -> None:
        _mine(index, subject, position)
        open_dispute(ledger, position, grounds)

    done = _("dispute of entry %(position)d opened") % {"position": position}
    return _act(request, who, action, done, "act",
                chosen=position, typed_grounds=grounds)  # fmt: skip


@router.post("/me/statements", response_class=HTMLResponse)
def my_statement(
    request: Request,
    position: Annotated[int, Form()],
    text: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Attach my statement to one of my records (it travels with the record)."""
    subject = _subject(who)

    def action(ledger: Ledger, index: RecordIndex) -> None:
        _mine(index, subject, position)
        attach_statement(ledger, subject, position, text)

    done = _("statement attached to entry %(position)d") % {"position": position}
    return _act(request, who, action, done, "act",
                chosen=position, typed_text=text)  # fmt: skip


@router.post("/me/appeals", response_class=HTMLResponse)
def my_appeal(
    request: Request,
    dispute: Annotated[str, Form()],
    grounds: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Appeal the decision on one of my disputes (once)."""
    subject = _subject(who)

    def action(ledger: Ledger, index: RecordIndex) -> None:
        if dispute_state(ledger, dispute).subject != subject:
            raise NotFoundError(f"no dispute {dispute!r} in your file")
        appeal(ledger, dispute, grounds)

    done = _("appeal of %(dispute)s opened") % {"dispute": dispute}
    return _act(request, who, action, done, "appeal")
