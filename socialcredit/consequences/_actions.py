"""Facts the consequences layer records: hardship, restoration, legal representatives.

Each function checks its input completely before appending, and appends one atomic batch, so
bad input never half-writes. The read functions build a :class:`ConsequenceView` of the whole
ledger (use a long-lived :class:`DecisionService` for repeated questions).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from functools import partial
from typing import NamedTuple

from socialcredit.catalogue import Catalogue, Gravity, RecordKind, mask_subject_id, subject_kind_of
from socialcredit.consequences._decisions import CompiledConsequences
from socialcredit.consequences._model import Membership, Status, SubjectConsequences
from socialcredit.consequences._projection import restoration_refusal
from socialcredit.consequences._service import ConsequenceView
from socialcredit.consequences.events import (
    HardshipEndedV1,
    HardshipRecordedV1,
    LegalRepresentativeRecordedV1,
    RestorationGrantedV1,
    RestorationRequestedV1,
)
from socialcredit.errors import NotFoundError, Problem, ValidationError
from socialcredit.ledger import Ledger, entry_of, utc_now_us
from socialcredit.policy import ListDefinition, bundle_in_force, default_bundle
from socialcredit.rights import checked_reader, read_entry
from socialcredit.scoring import Contribution
from socialcredit.timeutil import format_time, from_us, to_us

__all__ = [
    "PUBLIC_STATUSES",
    "PUBLISHED_GRAVITIES",
    "IdentifiedListing",
    "PublicListing",
    "check_service",
    "end_hardship",
    "identified_members_of_list",
    "lists_in_force",
    "memberships_of_list",
    "public_records",
    "record_hardship",
    "record_legal_representative",
    "request_restoration",
    "subject_consequences",
]


def _at(at: datetime | None) -> int:
    return utc_now_us() if at is None else to_us(at)


def _subject(subject_kind: str, subject_id: str, field: str = "subject") -> dict[str, str]:
    try:
        kind = subject_kind_of(subject_id)
    except ValueError as exc:
        raise ValidationError("bad subject", [Problem(field, str(exc))]) from exc
    if kind != subject_kind:
        raise ValidationError(
            "bad subject", [Problem(field, f"{subject_id} is a {kind}, not a {subject_kind}")]
        )
    return {"kind": subject_kind, "id": subject_id}


def _pair(subject: dict[str, str]) -> tuple[str, str]:
    return subject["kind"], subject["id"]


def _view(ledger: Ledger) -> ConsequenceView:
    """The consequence view attached to this ledger object, caught up (built once, from the
    ledger's latest trusted snapshot if there is one, then only new entries are read)."""
    view = ledger.projection("consequences", partial(ConsequenceView, snapshot=True))
    view.catch_up()
    return view


def check_service(ledger: Ledger, service: str, at: datetime | None = None) -> None:
    """Refuse a service the policy in force at ``at`` (default now, as known then) does not
    have, reading only the published policies: a decision about an unknown service is
    refused before any subject's entries are loaded.

    Raises:
        ValidationError: naming ``service`` (with the services in force).
        ValueError: if ``at`` is naive.
    """
    _compiled_in_force(ledger, at).triggers(service)


def _compiled_in_force(ledger: Ledger, at: datetime | None) -> CompiledConsequences:
    """The compiled bundle in force at ``at`` (default now, as known then), read from the
    published policies alone (the per-subject index lists them)."""
    moment = from_us(_at(at))
    published = bundle_in_force(ledger, moment, moment)
    return CompiledConsequences(default_bundle() if published is None else published.bundle)


def subject_consequences(
    ledger: Ledger, subject_kind: str, subject_id: str, at: datetime | None = None
) -> SubjectConsequences:
    """The subject's list memberships at ``at`` (default now, as known then) and every
    ``DecisionMade`` entry about the subject.

    Raises:
        ValueError: if ``at`` is naive.
    """
    at_us = _at(at)
    if ledger.has_projection("consequences"):  # a long-lived view is already there
        return _view(ledger).consequences(subject_kind, subject_id, at_us)
    view = ConsequenceView(ledger, subjects=[(subject_kind, subject_id)])
    try:
        return view.consequences(subject_kind, subject_id, at_us)
    finally:
        view.close()


class PublicListing:
    """One row of a public list: the subject masked, never its full identifier.

    ``number`` is the ledger's internal number of the subject (what an organisation's public
    page is addressed by, ``/org/{number}``): it tells two subjects whose masked ids look the
    same apart, and reveals nothing about the identifier. None when not known.
    """

    __slots__ = ("masked_id", "membership", "number", "subject_kind")

    def __init__(
        self,
        subject_kind: str,
        masked_id: str,
        membership: Membership,
        number: int | None = None,
    ) -> None:
        self.subject_kind, self.masked_id, self.membership = subject_kind, masked_id, membership
        self.number = number

    def to_json(self) -> dict[str, object]:
        """The row as JSON-able values."""
        return {
            "subject": {"kind": self.subject_kind, "id": self.masked_id},
            **self.membership.to_json(),
        }


def lists_in_force(ledger: Ledger, at: datetime | None = None) -> tuple[ListDefinition, ...]:
    """The list definitions of the policy in force at ``at`` (default now), as known then,
    read from the published policies alone."""
    return tuple(_compiled_in_force(ledger, at).lists.values())


#: The list statuses a public list shows: in effect, frozen by hardship, or noticed.
PUBLIC_STATUSES = frozenset({Status.LISTED, Status.FROZEN, Status.NOTICED})
#: The record gravities published on an organisation's public page: general and serious
#: penalties and commendations; minor penalties are never published (the market regulator's
#: tiered publicity).
PUBLISHED_GRAVITIES = frozenset({Gravity.GENERAL, Gravity.SERIOUS, Gravity.POSITIVE})


def memberships_of_list(
    ledger: Ledger,
    list_id: str,
    at: datetime | None = None,
    *,
    view: ConsequenceView | None = None,
) -> list[PublicListing]:
    """Everyone on ``list_id`` at ``at`` (:data:`PUBLIC_STATUSES`), masked for publication.

    Args:
        view: a consequence view the caller keeps current (e.g. a server's decision
            service); default: the one attached to ``ledger``.

    Raises:
        NotFoundError: if the policy in force has no such list.
    """
    at_us = _at(at)
    if view is None:
        _require_list(ledger, list_id, at_us)  # before the whole ledger is read
    members = _shown(_view(ledger) if view is None else view, list_id, at_us)
    numbers = ledger.store.find_subjects(list({key for key, _ in members}))
    return [
        PublicListing(key[0], mask_subject_id(key[0], key[1]), member, numbers.get(key))
        for key, member in members
    ]


def _require_list(ledger: Ledger, list_id: str, at_us: int) -> None:
    """Refuse a list the policy in force at ``at_us`` (as known then) does not define,
    reading only the published policies.

    Raises:
        NotFoundError: if there is no such list.
    """
    moment = from_us(at_us)
    published = bundle_in_force(ledger, moment, moment)
    bundle = default_bundle() if published is None else published.bundle
    if list_id not in CompiledConsequences(bundle).lists:
        raise NotFoundError(f"no list {list_id!r} in the policy in force")


def _shown(
    view: ConsequenceView, list_id: str, at_us: int
) -> list[tuple[tuple[str, str], Membership]]:
    """The subjects a list shows at ``at_us`` (:data:`PUBLIC_STATUSES`), unmasked.

    Raises:
        NotFoundError: if the policy in force has no such list.
    """
    with view.lock:
        view.refresh()
        if list_id not in view.compiled_at(at_us).lists:
            raise NotFoundError(f"no list {list_id!r} in the policy in force")
        members = view.subjects_on(list_id, at_us)
    return [(key, member) for key, member in members if member.status in PUBLIC_STATUSES]


class IdentifiedListing(NamedTuple):
    """One row of a list read with a purpose: the subject's real identifier, its membership,
    and the position of the ``FileRead`` entry that logged the read."""

    subject_kind: str
    subject_id: str
    membership: Membership
    read_position: int

    def to_json(self) -> dict[str, object]:
        """The row as JSON-able values."""
        return {
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            **self.membership.to_json(),
            "read": self.read_position,
        }


def identified_members_of_list(
    ledger: Ledger, list_id: str, reader: str, purpose: str, at: datetime | None = None
) -> list[IdentifiedListing]:
    """Everyone on ``list_id`` at ``at`` (:data:`PUBLIC_STATUSES`) with their real identifiers,
    for an officer with a whitelisted purpose that may see personal data. A ``FileRead``
    (``what: listing``) is logged for every subject shown, in one append, before the rows are
    returned; the subject sees it in their report.

    Raises:
        NotFoundError: if the policy in force has no such list.
        ValidationError: naming ``purpose`` if it is not whitelisted or may not see identifying
            data, or ``reader`` if it is not a short code; nothing is written then.
    """
    if not checked_reader(reader, purpose).personal_data:
        reason = f"{purpose!r} may not see identifying data: read the masked list"
        raise ValidationError("read refused", [Problem("purpose", reason)])
    at_us = _at(at)
    _require_list(ledger, list_id, at_us)  # before the whole ledger is read
    members = _shown(_view(ledger), list_id, at_us)
    if not members:
        return []
    logged = ledger.append([read_entry(key, reader, purpose, "listing") for key, _ in members])
    return [
        IdentifiedListing(key[0], key[1], member, result.position)
        for (key, member), result in zip(members, logged, strict=True)
    ]


def public_records(
    contributions: Iterable[Contribution],
    catalogue: Catalogue,
    *,
    repaired: Collection[int] = frozenset(),
) -> list[tuple[Contribution, RecordKind]]:
    """The records of an organisation the public may see, with their kinds: those of
    :data:`PUBLISHED_GRAVITIES` that count now (an expired record is no longer published),
    except the penalties whose credit repair was granted (``repaired``: their positions, from
    :func:`socialcredit.rights._repair.repaired_positions`)."""
    out = []
    for c in contributions:
        kind = catalogue.kinds.get(c.kind)
        if c.position in repaired:
            continue
        if c.points and kind is not None and kind.gravity in PUBLISHED_GRAVITIES:
            out.append((c, kind))
    return out


def record_hardship(
    ledger: Ledger, subject_kind: str, subject_id: str, reason: str, evidence: str | None = None
) -> int:
    """Record that the subject cannot pay (as opposed to will not pay); restrictions of lists
    that ``hardship_freezes`` are frozen from now until :func:`end_hardship`. Returns the
    entry's position.

    Raises:
        ValidationError: naming the field (bad subject, empty reason).
    """
    subject = _subject(subject_kind, subject_id)
    if not reason.strip():
        raise ValidationError("hardship refused", [Problem("reason", "must be non-empty text")])
    key = (subject_kind, subject_id)
    event = HardshipRecordedV1(_pair(subject), reason, evidence or None)
    return ledger.append([entry_of(event, subject=key)])[0].position


def end_hardship(ledger: Ledger, subject_kind: str, subject_id: str, reason: str) -> int:
    """End the subject's hardship period; frozen restrictions apply again. Returns the position.

    Raises:
        ValidationError: naming the field (bad subject, empty reason, no open hardship).
    """
    subject = _subject(subject_kind, subject_id)
    if not reason.strip():
        raise ValidationError("hardship not ended", [Problem("reason", "must be non-empty text")])
    view = _view(ledger)
    facts = view._facts.get((subject_kind, subject_id))
    if facts is None or not facts.hardship or not facts.hardship[-1][1]:
        raise ValidationError(
            "hardship not ended", [Problem("subject", "has no open hardship period")]
        )
    entry = entry_of(HardshipEndedV1(_pair(subject), reason), subject=(subject_kind, subject_id))
    return ledger.append([entry])[0].position


def request_restoration(
    ledger: Ledger,
    subject_kind: str,
    subject_id: str,
    list_id: str,
    reason: str,
    at: datetime | None = None,
) -> int:
    """Apply for early restoration from ``list_id``. Where the list allows restoration on
    application and its waiting time has passed, the application and the grant are appended
    together (the rule is formal: no discretion); returns the grant's position. The rule is
    :func:`~socialcredit.consequences._projection.restoration_refusal`, applied to the
    subject's memberships at ``at``.

    Raises:
        ValidationError: naming the field: unknown list, not listed, the list allows no early
            restoration, or the waiting time has not passed (with the date it does).
    """
    _subject(subject_kind, subject_id)
    at_us = _at(at)
    view = _view(ledger)
    definition = view.compiled_at(at_us).lists.get(list_id)
    listed = [] if definition is None else view.memberships(subject_kind, subject_id, at_us)
    problem = restoration_refusal(list_id, definition, listed, at_us)
    if problem is not None:
        raise ValidationError("restoration refused", [problem])
    assert definition is not None  # a refusal otherwise
    key = (subject_kind, subject_id)
    basis = f"{list_id}: on application after {definition.restoration.on_application_after}"
    results = ledger.append(
        [
            entry_of(RestorationRequestedV1(key, list_id, reason), subject=key),
            entry_of(RestorationGrantedV1(key, list_id, reason, basis), subject=key),
        ]
    )
    return results[1].position


def record_legal_representative(
    ledger: Ledger, organisation_id: str, representative_id: str | None, since: datetime
) -> int:
    """Record who legally represents an organisation from ``since`` (None: nobody). Only the
    role-bound measures of the organisation's listings reach that person, and never their
    score. Returns the entry's position.

    Raises:
        ValidationError: naming the field (an id of the wrong kind, a naive time).
    """
    _subject("organisation", organisation_id, "organisation")
    if representative_id is not None:
        _subject("person", representative_id, "representative")
    if since.tzinfo is None:
        raise ValidationError("bad time", [Problem("from", "must be timezone-aware (UTC)")])
    event = LegalRepresentativeRecordedV1(
        organisation_id, representative_id, format_time(to_us(since))
    )
    entry = entry_of(event, subject=("organisation", organisation_id))
    return ledger.append([entry])[0].position
