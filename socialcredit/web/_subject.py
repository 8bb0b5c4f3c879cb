"""The subject's own pages: my file, my score over time, my grade and how to improve it.

A subject sees only their own file: every page takes the subject from the logged-in
principal, never from the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from socialcredit.rights import MAX_STATEMENT

from ..errors import NotFoundError, SocialCreditError
from ..policy import PerUnit, PublishedBundle
from ..system import System
from . import _access
from ._access import Principal, Role
from ._charts import line_chart
from ._i18n import gettext as _
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()


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
    now = datetime.now(UTC)
    mine = _access.system_of(request).own_file(who, now)
    found, in_force, disputes, reads = mine.explanation, mine.in_force, mine.disputes, mine.reads
    chart = line_chart(
        [(p.as_of, p.total) for p in mine.history],
        title=_("My score over the last three years"),
        bands=_bands(in_force),
    )
    return render(
        request,
        who,
        "me.html",
        status,
        found=found,
        points=mine.history,
        chart=chart,
        now=now,
        statuses=mine.statuses,
        disputes=disputes,
        statements=mine.statements,
        reads=[r for r in reads[::-1] if r.reader not in _my_names(who)],
        own_visits=[r for r in reads if r.reader in _my_names(who)],
        enquiries=mine.enquiries[::-1],
        open_targets={d.target for d in disputes if d.decided_us is None},
        max_statement=MAX_STATEMENT,
        consequences=mine.consequences,
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


@router.get("/me/proof/{position}", response_class=JSONResponse)
def my_proof(request: Request, position: int, who: Principal = _SUBJECT) -> Response:
    """The inclusion proof of one of my records, as a JSON document to check offline.

    Raises:
        NotFoundError: if the entry is not a record about me.
    """
    document = _access.system_of(request).own_proof(who, position)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="proof-{position}.json"'},
    )


@router.get("/me/export", response_class=JSONResponse)
def my_export(request: Request, who: Principal = _SUBJECT) -> Response:
    """My whole file as one JSON document (the report plus every entry about me): a logged
    read with the purpose ``subject_access``."""
    document = _access.system_of(request).export_file(who, _subject(who))
    return JSONResponse(
        document, headers={"Content-Disposition": 'attachment; filename="my-file.json"'}
    )


def _act(
    request: Request,
    who: Principal,
    action: Callable[[System], object],
    done: str,
    place: str,
    **typed: Any,
) -> Response:
    """Run a write on the subject's behalf; show the file again with the outcome next to the
    form in section ``place`` (``act`` or ``appeal``) — on a refusal with what was typed kept."""
    try:
        action(_access.system_of(request))
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
    done = _("dispute of entry %(position)d opened") % {"position": position}
    return _act(request, who, lambda system: system.dispute_own_record(who, position, grounds),
                done, "act", chosen=position, typed_grounds=grounds)  # fmt: skip


@router.post("/me/statements", response_class=HTMLResponse)
def my_statement(
    request: Request,
    position: Annotated[int, Form()],
    text: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Attach my statement to one of my records (it travels with the record)."""
    done = _("statement attached to entry %(position)d") % {"position": position}
    return _act(request, who, lambda system: system.state_on_own_record(who, position, text),
                done, "act", chosen=position, typed_text=text)  # fmt: skip


@router.post("/me/appeals", response_class=HTMLResponse)
def my_appeal(
    request: Request,
    dispute: Annotated[str, Form()],
    grounds: Annotated[str, Form()] = "",
    who: Principal = _SUBJECT,
) -> Response:
    """Appeal the decision on one of my disputes (once)."""
    done = _("appeal of %(dispute)s opened") % {"dispute": dispute}
    return _act(request, who, lambda system: system.appeal_own_dispute(who, dispute, grounds),
                done, "appeal")  # fmt: skip
