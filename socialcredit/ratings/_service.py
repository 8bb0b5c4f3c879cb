"""The ratings service: issue a token, rate, reply, dispute, and the public view of a ratee.

Every write is one ledger entry (``RatingTokenIssued``, ``RatingGiven``, ``RatingReplied``,
``RatingDisputed``); every read is a projection of the ledger (:mod:`.projection`) through
the batch aggregator (:mod:`.batch`), so the CLI, the API and the scoring policy all see the
same numbers. Bad input is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from socialcredit.catalogue import mask_subject_id
from socialcredit.ledger import entry_of
from socialcredit.rights import open_dispute

from ..errors import Problem, RatingRefusedError
from ..ledger import Ledger
from ..timeutil import to_us
from ._aggregate import summarise
from ._batch import BatchResult, Status, aggregate_batch
from ._interactions import token_issuer
from ._model import DIMENSIONS, Ratee, RatingParams, check_rater, check_stars, check_text
from ._projection import RatingsState, reveal_time, to_arrays
from ._shared import load_state
from ._tokens import check_token, hash_secret, new_token, split_token
from .events import RatingGivenV1, RatingRepliedV1, RatingTokenIssuedV1

__all__ = [
    "DEFAULT_PARAMS",
    "IssuedToken",
    "PublicRating",
    "RateeView",
    "RatingAggregate",
    "dispute",
    "issue_token",
    "rate",
    "ratee_view",
    "rating_aggregate",
    "reply",
]

DEFAULT_PARAMS = RatingParams()
_MAX_INTERACTION = 100


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued: give ``token`` (id and secret) to the rater, and only to them."""

    token: str
    token_id: str
    position: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RatingAggregate:
    """A ratee's public reputation at a time.

    Attributes:
        score: expected stars (1-5), the mean of the dimensions.
        low, high: the credible interval of ``score``.
        count: counted, unsuspicious ratings.
        low_evidence: True when the effective evidence is below ``min_evidence``.
        per_dimension: ``{dimension: (score, low, high)}``.
        effective: the weighted evidence behind the score.
    """

    score: float
    low: float
    high: float
    count: int
    low_evidence: bool
    per_dimension: dict[str, tuple[float, float, float]]
    effective: float


@dataclass(frozen=True, slots=True)
class PublicRating:
    """One rating as the public sees it: the rater masked, sealed ones omitted.

    Attributes:
        status: ``counted``, or why it is not: ``repeat``, ``burst`` or ``ring``.
        disputes: the ids of the disputes opened against it, oldest first.
    """

    position: int
    at: datetime
    rater: str
    stars: dict[str, int]
    text: str | None
    status: str
    reply: str | None
    disputed: bool
    disputes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RateeView:
    """The public page of a ratee: its aggregate, its shown ratings, how many are sealed."""

    ratee: str
    aggregate: RatingAggregate
    ratings: list[PublicRating]
    sealed: int


def _now(ledger: Ledger) -> int:
    return int(ledger.clock())


def _ratee(ratee: Ratee | str) -> Ratee:
    return ratee if isinstance(ratee, Ratee) else Ratee.parse(ratee)


def issue_token(
    ledger: Ledger,
    issuer: str,
    rater: str,
    ratee: Ratee | str,
    interaction: str,
    params: RatingParams = DEFAULT_PARAMS,
    *,
    source: str | None = None,
) -> IssuedToken:
    """Issue a single-use token for one verified interaction between ``rater`` and ``ratee``.

    Who may issue is set out in :mod:`.interactions`: the ratee itself (its raters count but
    are never trust seeds), or a third party against an interaction record naming this rater
    as buyer and this ratee as seller (its rater is a trust seed).

    Args:
        ledger: a writable ledger.
        issuer: the ratee itself (its USCC, or ``RESIDENT_ID:ROLE``), or ``record:<position>``
            of an interaction record.
        rater: the rater's resident id.
        ratee: the ratee (see :meth:`Ratee.parse`).
        interaction: the issuer's reference of the interaction (1-100 characters).
        params: the token lifetime.
        source: the source account issuing against a record; it must have filed the record.

    Raises:
        RatingRefusedError: bad issuer, rater, ratee or interaction; an issuer that is neither
            the ratee nor an interaction record of this rater and ratee (filed by ``source``);
            a person outside a professional role; self-rating; a token already issued for
            this interaction.
    """
    who, whom, what = check_rater(rater), _ratee(ratee), interaction.strip()
    problems = []
    if not 0 < len(what) <= _MAX_INTERACTION:
        problems.append(Problem("interaction", f"1-{_MAX_INTERACTION} characters"))
    if whom.person_id == who:
        problems.append(Problem("rater", "a professional may not rate themselves"))
    if problems:
        raise RatingRefusedError("token refused", problems)
    issued_by = token_issuer(ledger, issuer, who, whom, source)
    token_id, secret = new_token()
    event = RatingTokenIssuedV1(
        token_id=token_id,
        token_hash=hash_secret(secret),
        issuer=issued_by,
        rater=who,
        ratee=whom.as_data(),
        interaction=what,
        valid_seconds=params.token_days * 86_400,
    )
    key = f"rating-token:{sorted(issued_by.items())}:{what}:{who}:{whom.key}"
    result = ledger.append([entry_of(event, idempotency_key=key)])[0]
    if result.duplicate:
        raise RatingRefusedError(
            "token refused",
            [Problem("interaction", f"a token was already issued (entry {result.position})")],
        )
    issued = ledger.entry(result.position).recorded_at_us
    expires = datetime.fromtimestamp((issued + params.token_us) / 1e6, UTC)
    return IssuedToken(f"{token_id}.{secret}", token_id, result.position, expires)


def rate(
    ledger: Ledger,
    token: str,
    rater: str,
    ratee: Ratee | str,
    stars: Mapping[str, Any],
    text: str | None = None,
) -> int:
    """Record a rating with a valid, unused token; return its ledger position.

    Raises:
        RatingRefusedError: every problem with the stars, text, rater or ratee; an unknown,
            used or expired token, a wrong secret, or a token bound to another rater or ratee.
    """
    token_id, secret = split_token(token)
    who, whom = check_rater(rater), _ratee(ratee)
    given, said = check_stars(stars), check_text(text)
    state = load_state(ledger)
    check_token(state.tokens.get(token_id), secret, who, whom, _now(ledger))
    found = state.tokens[token_id]
    event = RatingGivenV1(token_id, who, whom.as_data(), found.interaction, given, said or None)
    subject = ("organisation", whom.id) if whom.kind == "organisation" else ("person", whom.id)
    entry = entry_of(event, f"rating-given:{token_id}", subject)
    result = ledger.append([entry])[0]
    if result.duplicate:
        raise RatingRefusedError("rating refused", [Problem("token", "already used")])
    return result.position


def _rating_of(state: RatingsState, position: int, ratee: Ratee, field: str) -> None:
    rating = state.ratings.get(position)
    if rating is None:
        raise RatingRefusedError(f"{field} refused", [Problem("rating", "no such rating")])
    if rating.ratee != ratee:
        raise RatingRefusedError(
            f"{field} refused", [Problem("ratee", "only the rated party may do this")]
        )


def reply(ledger: Ledger, rating: int, ratee: Ratee | str, text: str) -> int:
    """Post the ratee's one public reply to the rating at position ``rating``.

    Raises:
        RatingRefusedError: no such rating, not the ratee's, empty or too long text, or a
            reply already posted.
    """
    whom, said = _ratee(ratee), check_text(text)
    if said is None:
        raise RatingRefusedError("reply refused", [Problem("text", "must not be empty")])
    _rating_of(load_state(ledger), rating, whom, "reply")
    event = RatingRepliedV1(rating, whom.as_data(), said)
    result = ledger.append([entry_of(event, f"rating-reply:{rating}")])[0]
    if result.duplicate:
        raise RatingRefusedError("reply refused", [Problem("rating", "already replied to")])
    return result.position


def dispute(ledger: Ledger, rating: int, ratee: Ratee | str, grounds: str) -> str:
    """The ratee disputes the rating at position ``rating`` through the same dispute
    machinery as records (:func:`socialcredit.rights._disputes.open_dispute`); returns the
    dispute id. A dispute decided ``deleted`` removes the rating from view and aggregate.

    Raises:
        RatingRefusedError: no such rating, or not the ratee's.
        DisputeRefusedError, ValidationError: as ``open_dispute`` (a dispute already open,
            empty or overlong grounds).
    """
    whom = _ratee(ratee)
    _rating_of(load_state(ledger), rating, whom, "dispute")
    return open_dispute(ledger, rating, grounds)


def _aggregate_of(result: BatchResult | None, index: int | None) -> RatingAggregate:
    """One ratee's aggregate from a batch result (the prior alone when it has no ratings)."""
    if result is None or index is None:
        prior = summarise(
            np.zeros((1, 3, 5)), DEFAULT_PARAMS.prior_strength, DEFAULT_PARAMS.credible
        )
        s, i, count = prior, 0, 0
    else:
        s, i, count = result.summary, index, int(result.count[index])
    per = {
        d: (float(s.dim_score[i, k]), float(s.dim_low[i, k]), float(s.dim_high[i, k]))
        for k, d in enumerate(DIMENSIONS)
    }
    effective = float(s.effective[i])
    low_evidence = True if result is None or index is None else bool(result.low_evidence[index])
    return RatingAggregate(
        float(s.score[i]), float(s.low[i]), float(s.high[i]), count, low_evidence, per, effective
    )


def _us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise RatingRefusedError("bad time", [Problem("at", "must be timezone-aware (UTC)")])
    return to_us(moment)


def _source_state(source: Ledger | RatingsState, at_us: int) -> RatingsState:
    return source if isinstance(source, RatingsState) else load_state(source, at_us)


def _resolve(state: RatingsState, kind: str, ident: str, role: str | None) -> Ratee | None:
    """The ratee named by a subject kind and id (a person: in ``role``, else the role they
    were most rated in; None for a person never rated in any role)."""
    if kind == "organisation":
        return Ratee.checked(kind, ident, None)
    if kind not in ("professional", "person"):
        reason = f"must be organisation, professional or person, not {kind!r}"
        raise RatingRefusedError("rating refused", [Problem("ratee_kind", reason)])
    if role is None and ":" in ident:
        ident, _, role = ident.partition(":")
    if role is None:
        roles = sorted(
            str(r.ratee.role) for r in state.ratings.values() if r.ratee.person_id == ident
        )
        if not roles:
            Ratee.checked("professional", ident, "doctor")  # still refuse a malformed id
            return None
        role = max(sorted(set(roles)), key=roles.count)
    return Ratee.checked("professional", ident, role)


def rating_aggregate(
    source: Ledger | RatingsState,
    ratee_kind: str,
    ratee_id: str,
    at: datetime,
    *,
    role: str | None = None,
    params: RatingParams = DEFAULT_PARAMS,
) -> RatingAggregate:
    """The ratee's rating aggregate at ``at``, from the entries recorded by then.

    This is the hook for the scoring policy: a pure function of the ledger, the parameters
    and the time. ``ratee_kind`` is ``organisation`` or ``professional`` (``person`` is
    accepted for a professional); a professional's role comes from ``role``, a ``:role``
    suffix of the id, or else is the role they were most rated in (a person never rated
    gets the prior, with ``low_evidence``). A :class:`RatingsState` is used as loaded (load
    it with ``known_at_us`` for a past view).

    Raises:
        RatingRefusedError: if the ratee or its kind is invalid or ``at`` is naive.
    """
    at_us = _us(at)
    state = _source_state(source, at_us)
    ratee = _resolve(state, ratee_kind, ratee_id, role)
    if ratee is None:
        return _aggregate_of(None, None)
    result, index = _batch_for(state, ratee, params, at_us)
    return _aggregate_of(result, index)


def _batch_for(
    state: RatingsState, ratee: Ratee, params: RatingParams, at_us: int
) -> tuple[BatchResult | None, int | None]:
    data, _, ratees = to_arrays(state, params, at_us)
    if ratee not in ratees:
        return None, None
    return aggregate_batch(data, params, at_us), ratees.index(ratee)


def ratee_view(
    ledger: Ledger, ratee: Ratee | str, at: datetime, params: RatingParams = DEFAULT_PARAMS
) -> RateeView:
    """The public page of ``ratee`` at ``at``: aggregate, shown ratings (raters masked, each
    with its status, reply and whether disputed) and the number still sealed.

    Raises:
        RatingRefusedError: if the ratee is invalid or ``at`` is naive.
    """
    whom, at_us = _ratee(ratee), _us(at)
    state = load_state(ledger, at_us)
    data, _, ratees = to_arrays(state, params, at_us)
    result = aggregate_batch(data, params, at_us) if whom in ratees else None
    index = ratees.index(whom) if whom in ratees else None
    ordered = [r for r in sorted(state.ratings.values(), key=lambda r: r.position) if not r.deleted]
    shown, sealed = [], 0
    for row, rating in enumerate(ordered):
        if rating.ratee != whom:
            continue
        if reveal_time(rating, params) > at_us:
            sealed += 1
            continue
        status = Status(int(result.status[row])).name.lower() if result is not None else "counted"
        shown.append(_public(rating, status))
    return RateeView(whom.masked(), _aggregate_of(result, index), shown, sealed)


def _public(rating: Any, status: str) -> PublicRating:
    return PublicRating(
        position=rating.position,
        at=datetime.fromtimestamp(rating.t_us / 1e6, UTC),
        rater=mask_subject_id("person", rating.rater),
        stars=dict(rating.stars),
        text=rating.text,
        status=status,
        reply=rating.reply[2] if rating.reply else None,
        disputed=bool(rating.disputes),
        disputes=tuple(rating.disputes),
    )
