"""Interaction records, and who may issue a rating token.

A rating token is issued in one of two ways, and no other:

* **By the ratee itself** (``issuer`` = the ratee: its USCC, or ``RESIDENT_ID:ROLE`` for a
  professional), through the ratee's own account: an organisation invites its own customers.
  Such ratings count, but their raters are never trust seeds -- the ratee chose them.
* **By a third party**, against an ``InteractionRecorded`` entry (``issuer`` =
  ``record:<position>``): a record, filed by a source whose authority kind issues such records
  (:data:`INTERACTION_AUTHORITIES`: the tax authority's e-invoices, a payment institution's
  payment records), that names **both** parties of one interaction, the buyer and the seller.
  The token is for that buyer (rater) and that seller (ratee) only, and only the source that
  filed the record may issue it. Its rater becomes a trust seed (:mod:`.projection`).

Any other ``record:N`` -- a fare evasion, a court record, any entry that is not an interaction
record -- is refused with the reason.

An interaction record is not a credit record: it has no subject, is in nobody's credit file,
no score reads it, and the conduct taxonomy's rule that nothing is recorded about "what lawful
things they buy" is kept (a ``RecordFiled`` names one subject, so it could not name both
parties anyway). Like a token, it is read only by the ratings projection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from socialcredit.ledger import entry_of

from ..catalogue import Source
from ..errors import NotFoundError, Problem, RatingRefusedError, ValidationError
from ..events import EVENTS
from ..ledger import Ledger
from ._model import Ratee, check_rater
from .events import InteractionRecordedV1

__all__ = [
    "INTERACTION_AUTHORITIES",
    "Interaction",
    "interaction_at",
    "issues_interactions",
    "record_interaction",
    "token_issuer",
]

#: Authority kinds whose sources file interaction records, and what such a record is.
INTERACTION_AUTHORITIES = {
    "tax_authority": "e-invoice naming buyer and seller",
    "payment_institution": "payment record naming payer and payee",
}
ENTRY_TYPE = InteractionRecordedV1.TYPE
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


@dataclass(frozen=True, slots=True)
class Interaction:
    """One interaction record as the ledger holds it.

    Attributes:
        position: ledger position of its ``InteractionRecorded`` entry.
        source: the filing source, ``<authority kind>:<name>``.
        buyer: the buyer's resident id (the only one who may rate).
        seller: the seller (the only one who may be rated).
        reference: the source's reference (e-invoice or payment number).
    """

    position: int
    source: str
    buyer: str
    seller: Ratee
    reference: str


def issues_interactions(authority: str | None) -> bool:
    """Whether sources of this authority kind file interaction records (and so issue tokens)."""
    return authority in INTERACTION_AUTHORITIES


def _refused(field: str, reason: str, message: str = "interaction refused") -> RatingRefusedError:
    return RatingRefusedError(message, [Problem(field, reason)])


def _source(name: str) -> str:
    """The source's name, if its authority kind files interaction records.

    Raises:
        RatingRefusedError: naming ``source`` if it is malformed or of another authority kind.
    """
    try:
        source = Source.named(name)
    except ValidationError as exc:
        raise _refused("source", exc.problems[0].reason) from None
    if not issues_interactions(source.authority):
        kinds = ", ".join(sorted(INTERACTION_AUTHORITIES))
        reason = f"a {source.authority} does not file interaction records (only {kinds})"
        raise _refused("source", reason)
    return source.name


def record_interaction(
    ledger: Ledger, source: str, buyer: str, seller: Ratee | str, reference: str
) -> int:
    """File the record of one interaction between ``buyer`` and ``seller``; its position.

    Args:
        ledger: a writable ledger.
        source: the filing source, ``<authority kind>:<name>`` of an authority kind in
            :data:`INTERACTION_AUTHORITIES`.
        buyer: the buyer's resident id.
        seller: the seller (USCC, or ``RESIDENT_ID:ROLE``).
        reference: the source's number for it (1-64 letters, digits, ``._/-``); one record per
            source and reference.

    Raises:
        RatingRefusedError: naming each bad field: a source of another authority kind, a bad
            buyer, seller or reference, a buyer selling to themselves, a reference already
            recorded by this source.
    """
    name = _source(source)
    who = check_rater(buyer, "buyer")
    whom = seller if isinstance(seller, Ratee) else Ratee.parse(seller, "seller")
    what = reference.strip()
    if _REFERENCE.fullmatch(what) is None:
        raise _refused("reference", "1-64 letters, digits and ._/- (the source's own number)")
    if whom.person_id == who:
        raise _refused("buyer", "the buyer is the seller")
    event = InteractionRecordedV1(name, who, whom.as_data(), what)
    key = f"interaction:{name}:{what}"
    result = ledger.append([entry_of(event, idempotency_key=key)])[0]
    if result.duplicate:
        raise _refused("reference", f"already recorded by this source (entry {result.position})")
    return result.position


def interaction_at(ledger: Ledger, position: int) -> Interaction:
    """The interaction record at ``position``.

    Raises:
        RatingRefusedError: naming ``issuer`` if there is no entry there, or it is not an
            interaction record (a record of conduct, a token, anything else).
    """
    try:
        entry = ledger.entry(position)
    except NotFoundError:
        entry = None
    if entry is None:
        raise _refused("issuer", f"there is no entry {position}", "token refused")
    if entry.type != ENTRY_TYPE:
        what = f"a {entry.data.get('kind')} record" if entry.type == "RecordFiled" else entry.type
        reason = (
            f"entry {position} is {what}, not an interaction record naming buyer and seller "
            f"({'; '.join(INTERACTION_AUTHORITIES.values())})"
        )
        raise _refused("issuer", reason, "token refused")
    recorded = EVENTS.read_as(entry, InteractionRecordedV1)
    return Interaction(
        position,
        recorded.source,
        recorded.buyer,
        Ratee.from_data(recorded.seller),
        recorded.reference,
    )


def token_issuer(
    ledger: Ledger, issuer: str, rater: str, ratee: Ratee, source: str | None = None
) -> dict[str, Any]:
    """The ``issuer`` of a token for ``rater`` to rate ``ratee``, as ledger data.

    ``{"kind": "interaction", "position": n, "source": name}`` for a third-party token, else
    the ratee's own data (``{"kind": "organisation", "id": USCC}`` or the professional's).

    Args:
        ledger: the ledger holding the interaction record, if any.
        issuer: ``record:<position>``, or the ratee itself (USCC or ``RESIDENT_ID:ROLE``).
        rater, ratee: the validated rater and ratee.
        source: the source account issuing a third-party token (None: not checked, e.g. the
            operator's CLI); it must be the source that filed the record.

    Raises:
        RatingRefusedError: naming ``issuer`` if it is neither the ratee nor an interaction
            record, or the record was filed by another source; naming ``rater`` / ``ratee`` if
            the record names another buyer / seller.
    """
    kind, colon, rest = issuer.strip().partition(":")
    if kind == "record" and colon:
        if not rest.isdigit():
            raise _refused("issuer", "record:<position> needs a position", "token refused")
        found = interaction_at(ledger, int(rest))
        return _third_party(found, rater, ratee, source)
    try:
        own = Ratee.parse(issuer, "issuer")
    except RatingRefusedError:
        own = None
    if own != ratee:
        reason = (
            "must be the ratee itself (an organisation or professional invites its own "
            "customers), or record:<position> of an interaction record naming this rater "
            "as buyer and this ratee as seller"
        )
        raise _refused("issuer", reason, "token refused")
    return ratee.as_data()


def _third_party(
    found: Interaction, rater: str, ratee: Ratee, source: str | None
) -> dict[str, Any]:
    problems = []
    if source is not None and found.source != source:
        problems.append(Problem("issuer", f"entry {found.position} was filed by another source"))
    if found.buyer != rater:
        problems.append(Problem("rater", "the interaction record names another buyer"))
    if found.seller != ratee:
        problems.append(Problem("ratee", "the interaction record names another seller"))
    if problems:
        raise RatingRefusedError("token refused", problems)
    return {"kind": "interaction", "position": found.position, "source": found.source}
