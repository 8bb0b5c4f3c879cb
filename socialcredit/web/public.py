"""Public pages: organisation search and pages, the published policy and its history.

Nothing here needs a login and nothing shows a full identifier: organisations are addressed by
their dense internal number and shown with masked ids (:func:`mask_subject_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..catalogue import mask_subject_id, validate_uscc
from ..consequences import PUBLIC_STATUSES, PublicListing, memberships_of_list, public_records
from ..errors import NotFoundError
from ..ledger import Ledger
from ..policy import (
    PublishedBundle,
    RevisionStatus,
    bundle_in_force,
    diff,
    governance_in_force,
    policy_revisions,
    published_bundle,
    published_bundles,
)
from ..ratings import RateeView, ratee_view
from ..rights.repair import repaired_positions
from ..scoring import Contribution, RecordIndex, explain
from . import _access
from ._access import Principal, Role
from ._i18n import gettext as _
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_ANYONE = _access.signed_in(Role.PUBLIC)

_ORGANISATION = "organisation"
_RESULTS = 50
#: Subjects per page of a public list.
LIST_PAGE = 50


@dataclass(frozen=True, slots=True)
class OrganisationHit:
    """One search result: the organisation's number (its page) and its masked id."""

    number: int
    masked: str


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Principal = _ANYONE) -> Response:
    """The front page: search, public lists, the published policy, and the way in."""
    now = datetime.now(UTC)
    with _access.system(request) as (ledger, _):
        size = ledger.size()
        in_force = bundle_in_force(ledger, now, now)
    lists = () if in_force is None else in_force.bundle.lists
    witness = _access.witnessed(request)
    scale = _access.grade_scale(None if in_force is None else in_force.bundle)
    return render(request, who, "home.html", size=size, lists=lists, witness=witness, scale=scale)


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = "", who: Principal = _ANYONE) -> Response:
    """Organisations whose id matches ``q``: a whole USCC goes straight to its page, a
    fragment is matched against the visible characters of the masked ids."""
    query = q.strip().upper()
    with _access.system(request) as (ledger, index):
        number = _number_of(ledger, query) if len(query) == 18 else None
        hits, total = _matches(ledger, index, query) if query and number is None else ([], 0)
    if number is not None:
        return RedirectResponse(f"/org/{number}", status_code=303)
    return render(request, who, "search.html", q=q, hits=hits, total=total, limit=_RESULTS)


def _number_of(ledger: Ledger, uscc: str) -> int | None:
    try:
        validate_uscc(uscc)
    except ValueError:
        return None
    return ledger.subject_id(_ORGANISATION, uscc)


def _matches(ledger: Ledger, index: RecordIndex, query: str) -> tuple[list[OrganisationHit], int]:
    """The first :data:`_RESULTS` organisations with records whose masked id shows
    ``query``, and how many match in all."""
    found: list[tuple[str, str]] = []
    total = 0
    for kind, subject_id in index.subjects():
        if kind != _ORGANISATION:
            continue
        if query in mask_subject_id(kind, subject_id).replace("*", " "):
            total += 1
            if len(found) < _RESULTS:
                found.append((kind, subject_id))
    numbers = ledger.store.find_subjects(found)
    hits = [OrganisationHit(numbers[s], mask_subject_id(*s)) for s in found if s in numbers]
    return hits, total


@router.get("/org/{number}", response_class=HTMLResponse)
def organisation(request: Request, number: int, who: Principal = _ANYONE) -> Response:
    """An organisation's public page: score, grade, rating and public penalty records."""
    now = datetime.now(UTC)
    with _access.system(request) as (ledger, index):
        subject = _organisation_at(ledger, number)
        found = explain(index, *subject, as_of=now)
        in_force = bundle_in_force(ledger, now, now)
        repaired = repaired_positions(ledger, subject=subject)
        records = _public_records(found.result.contributions, in_force, repaired)
        rating = _rating(ledger, subject, now)
        listed = _public_listings(_access.consequences_of(request, ledger, subject, now), in_force)
    scale = _access.grade_scale(None if in_force is None else in_force.bundle)
    return render(
        request,
        who,
        "organisation.html",
        masked=mask_subject_id(*subject),
        found=found,
        records=records,
        rating=rating,
        listed=listed,
        grade_note=_access.grade_note(scale, found.result.grade),
        now=now,
    )


def _public_listings(
    consequences: dict[str, Any], in_force: PublishedBundle | None
) -> list[dict[str, Any]]:
    """The organisation's list entries a public list shows (in effect, frozen, noticed), each
    with its list's legal basis and what it restricts."""
    shown = {status.value for status in PUBLIC_STATUSES}
    out = []
    for member in consequences["memberships"]:
        if member["status"] not in shown:
            continue
        definition = None if in_force is None else in_force.bundle.list_definition(member["list"])
        legal_basis = "" if definition is None else definition.legal_basis
        out.append({**member, "legal_basis": legal_basis})
    return out


def _organisation_at(ledger: Ledger, number: int) -> tuple[str, str]:
    """The organisation with internal ``number``.

    Raises:
        NotFoundError: if there is none (a person's number is not found either).
    """
    for found, kind, subject_id in ledger.store.subjects(max(number, 0)):
        if found == number and kind == _ORGANISATION:
            return kind, subject_id
        break
    raise NotFoundError(f"no organisation number {number}")


def _public_records(
    contributions: tuple[Contribution, ...],
    in_force: PublishedBundle | None,
    repaired: frozenset[int],
) -> list[dict[str, Any]]:
    """The organisation's published records (:func:`consequences.public_records`), without
    the penalties whose repair was granted (even where the bundle keeps their effect)."""
    if in_force is None:
        return []
    published = public_records(contributions, in_force.bundle.catalogue, repaired=repaired)
    return [{"contribution": c, "kind": kind} for c, kind in published]


def _rating(ledger: Ledger, subject: tuple[str, str], now: datetime) -> RateeView:
    """The organisation's public rating: aggregate with its interval, and the shown ratings
    (raters masked)."""
    return ratee_view(ledger, subject[1], now)


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
    now = datetime.now(UTC)
    with _access.system(request) as (ledger, _):
        in_force = bundle_in_force(ledger, now, now)
        definition = None if in_force is None else in_force.bundle.list_definition(list_id)
        if definition is None:
            raise NotFoundError(f"no list {list_id!r} in the policy in force")
        rows = _listed(request, ledger, list_id, now)
    groups = _grouped([r for r in rows if query in r.masked_id] if query else rows)
    pages = max(1, -(-len(groups) // LIST_PAGE))
    page = min(page, pages)
    return render(
        request,
        who,
        "list.html",
        definition=definition,
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


def _listed(request: Request, ledger: Ledger, list_id: str, now: datetime) -> list[PublicListing]:
    """The public rows of a list, from the app's decision service's projection (kept current
    in memory) when there is one."""
    return memberships_of_list(ledger, list_id, now, view=_access.context(request).decisions)


@router.get("/policy", response_class=HTMLResponse)
def policy(request: Request, who: Principal = _ANYONE) -> Response:
    """The published policy: every revision with its status, the one in force, each pending
    one with its date, its changes and its impact assessment, what each one changed, and the
    governance that signs them."""
    now = datetime.now(UTC)
    with _access.system(request) as (ledger, _):
        bundles = published_bundles(ledger)
        in_force = bundle_in_force(ledger, now, now)
        revisions = policy_revisions(ledger, now)
        governance = governance_in_force(ledger)
    changes = [(new, diff(old.bundle, new.bundle)) for old, new in pairwise(bundles)]
    pending = [(r, _assessment_lines(r)) for r in revisions if r.status == "pending"]
    return render(
        request,
        who,
        "policy.html",
        revisions=revisions[::-1],
        in_force=in_force,
        pending=pending,
        governance=governance,
        history=changes[::-1],
    )


def _assessment_lines(revision: RevisionStatus) -> list[str]:
    """A pending revision's impact assessment as text (empty when none is recorded)."""
    if revision.assessment is None:
        return []
    from ..simulation.impact import ImpactAssessment  # slow import, only when needed

    try:
        return ImpactAssessment.from_json(revision.assessment.assessment).summary_lines()
    except ValueError as error:
        return [_("(the recorded assessment cannot be read: %(error)s)") % {"error": error}]


@router.get("/policy/{revision}", response_class=HTMLResponse)
def policy_revision(request: Request, revision: int, who: Principal = _ANYONE) -> Response:
    """One published revision with its files as published."""
    with _access.system(request) as (ledger, _):
        found = published_bundle(ledger, revision)
    files = {name: raw.decode("utf-8") for name, raw in sorted(found.bundle.files.items())}
    return render(request, who, "policy_revision.html", published=found, files=files)
