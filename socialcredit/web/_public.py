"""Public pages: organisation search and pages, the published policy and its history.

Nothing here needs a login and nothing shows a full identifier: organisations are addressed by
their dense internal number and shown with masked ids (:func:`mask_subject_id`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..consequences import PublicListing
from ..policy import RevisionStatus
from ..system import System
from . import _access
from ._access import Principal, Role
from ._i18n import gettext as _
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_ANYONE = _access.signed_in(Role.PUBLIC)

_RESULTS = 50
#: Subjects per page of a public list.
LIST_PAGE = 50


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Principal = _ANYONE) -> Response:
    """The front page: search, public lists, the published policy, and the way in."""
    front = _access.system_of(request).front_page()
    in_force = None if front.in_force is None else front.in_force.bundle
    lists = () if in_force is None else in_force.lists
    witness = _access.witnessed(request)
    scale = _access.grade_scale(in_force)
    return render(
        request, who, "home.html", size=front.size, lists=lists, witness=witness, scale=scale
    )


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = "", who: Principal = _ANYONE) -> Response:
    """Organisations whose id matches ``q``: a whole USCC goes straight to its page, a
    fragment is matched against the visible characters of the masked ids."""
    query = q.strip().upper()
    system = _access.system_of(request)
    number = system.organisation_number(query) if len(query) == 18 else None
    hits: list[Any] = []
    total = 0
    if query and number is None:
        hits, total = system.search_organisations(query, _RESULTS)
    if number is not None:
        return RedirectResponse(f"/org/{number}", status_code=303)
    return render(request, who, "search.html", q=q, hits=hits, total=total, limit=_RESULTS)


@router.get("/org/{number}", response_class=HTMLResponse)
def organisation(request: Request, number: int, who: Principal = _ANYONE) -> Response:
    """An organisation's public page: score, grade, rating and public penalty records."""
    now = datetime.now(UTC)
    found = _access.system_of(request).organisation_page(who, number, now)
    in_force = found.in_force
    scale = _access.grade_scale(None if in_force is None else in_force.bundle)
    return render(
        request,
        who,
        "organisation.html",
        masked=found.masked,
        found=found.explanation,
        records=[{"contribution": c, "kind": kind} for c, kind in found.records],
        rating=found.rating,
        listed=found.listings,
        grade_note=_access.grade_note(scale, found.explanation.result.grade),
        now=now,
    )


@router.get("/lists/{list_id}", response_class=HTMLResponse)
def public_list(
    request: Request,
    list_id: str,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    who: Principal = _ANYONE,
) -> Response:
    """Everyone on a public list now (masked), one row per subject with each of its listings
    (status, from, until), :data:`LIST_PAGE` subjects a page; ``q`` filters by the visible
    characters of the masked ids; an organisation links to its page."""
    query = q.strip().upper()
    found = _access.system_of(request).public_list(list_id, datetime.now(UTC))
    rows = found.rows
    groups = _grouped([r for r in rows if query in r.masked_id] if query else rows)
    pages = max(1, -(-len(groups) // LIST_PAGE))
    page = min(page, pages)
    return render(
        request,
        who,
        "list.html",
        definition=found.definition,
        groups=groups[(page - 1) * LIST_PAGE : page * LIST_PAGE],
        listings=len(rows),
        subjects=len(_grouped(rows)),
        matching=len(groups),
        q=q,
        page=page,
        pages=pages,
    )


def _grouped(rows: list[PublicListing]) -> list[dict[str, Any]]:
    """One group per subject (by its internal number: two subjects whose masked ids look
    alike stay apart), its listings in order of their start."""
    groups: dict[object, dict[str, Any]] = {}
    for row in rows:
        key = (row.subject_kind, row.number if row.number is not None else row.masked_id)
        fresh = {"masked": row.masked_id, "kind": row.subject_kind, "number": row.number}
        group = groups.setdefault(key, {**fresh, "entries": []})
        group["entries"].append(row.membership.to_json())
    for group in groups.values():
        group["entries"].sort(key=lambda m: m["from"] or "")
    return list(groups.values())


@router.get("/policy", response_class=HTMLResponse)
def policy(request: Request, who: Principal = _ANYONE) -> Response:
    """The published policy: every revision with its status, the one in force, each pending
    one with its date, its changes and its impact assessment, what each one changed, and the
    governance that signs them."""
    found = _access.system_of(request).policy_overview(datetime.now(UTC))
    pending = [(r, _assessment_lines(r)) for r in found.revisions if r.status == "pending"]
    return render(
        request,
        who,
        "policy.html",
        revisions=found.revisions[::-1],
        in_force=found.in_force,
        pending=pending,
        governance=found.governance,
        history=found.history[::-1],
    )


def _assessment_lines(revision: RevisionStatus) -> list[str]:
    """A pending revision's impact assessment as text (empty when none is recorded)."""
    try:
        found = System.assessment_of(revision)
    except ValueError as error:
        return [_("(the recorded assessment cannot be read: %(error)s)") % {"error": error}]
    return [] if found is None else found.summary_lines()


@router.get("/policy/{revision}", response_class=HTMLResponse)
def policy_revision(request: Request, revision: int, who: Principal = _ANYONE) -> Response:
    """One published revision with its files as published."""
    found = _access.system_of(request).published_policy(revision)
    files = {name: raw.decode("utf-8") for name, raw in sorted(found.bundle.files.items())}
    return render(request, who, "policy_revision.html", published=found, files=files)
