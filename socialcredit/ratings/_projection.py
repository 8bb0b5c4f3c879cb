"""The ratings projection: tokens, ratings, replies and disputes, rebuilt from the ledger.

:func:`apply_entries` reads the ``Rating*`` entries recorded by ``known_at`` into plain objects
(:func:`~._shared.load_state` keeps them per ledger object); :func:`to_arrays` turns them into
the dense arrays of :mod:`.batch`, with the simultaneous reveal applied. Both are pure functions
of the entries (and parameters and time), so the projection can always be rebuilt and is then
identical.

**Simultaneous reveal (sealed until the window ends).** When both sides of one interaction
hold a token to rate each other (a professional and a client who is also rated in a
professional role), neither rating is shown or counted until both are in, or until
``reveal_days`` after the first of the two tokens was issued, whichever is first. Public
views show only that a rating is sealed. The entry itself is in the ledger from the start
(auditors with ledger access can read it); sealing is a property of the public views.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..events import EVENTS, Event
from ..ledger import Entry, Ledger, decode_entry
from ..rights.events import AppealDecidedV1, DisputeDecidedV1, DisputeOpenedV1
from ._batch import RatingArrays
from ._model import DIMENSIONS, Ratee, RatingParams
from ._tokens import TokenState
from .events import RatingDisputedV1, RatingGivenV1, RatingRepliedV1, RatingTokenIssuedV1

__all__ = [
    "RatingRecord",
    "RatingsState",
    "apply_entries",
    "counterpart",
    "reveal_time",
    "to_arrays",
]

_TYPES = frozenset(
    cls.TYPE
    for cls in (
        RatingTokenIssuedV1,
        RatingGivenV1,
        RatingRepliedV1,
        RatingDisputedV1,
        DisputeOpenedV1,
        DisputeDecidedV1,
        AppealDecidedV1,
    )
)

_MARKERS = (b'"type":"Rating', b'"type":"Dispute', b'"type":"Appeal')


@dataclass(slots=True)
class RatingRecord:
    """One given rating with its reply and disputes.

    Attributes:
        position: ledger position of the ``RatingGiven`` entry.
        t_us: its ledger time.
        token_id, rater, ratee, interaction: what the token bound it to.
        stars: per dimension, 1-5.
        text: the optional short text.
        reply: ``(position, t_us, text)`` of the ratee's public reply, if any.
        disputes: ids of the disputes opened against it (rights machinery).
        deleted: True once a dispute (or its appeal) decided to delete it: it is then
            neither shown nor counted.
        mutual_from_us: for a mutual rating, when the first of the two tokens was issued.
        both_in_us: for a mutual rating, when the second of the two ratings came in.
    """

    position: int
    t_us: int
    token_id: str
    rater: str
    ratee: Ratee
    interaction: str
    stars: dict[str, int]
    text: str | None
    reply: tuple[int, int, str] | None = None
    disputes: list[str] = field(default_factory=list)
    deleted: bool = False
    mutual_from_us: int | None = None
    both_in_us: int | None = None


@dataclass(slots=True)
class RatingsState:
    """Everything the ledger says about ratings, by id and position."""

    tokens: dict[str, TokenState] = field(default_factory=dict)
    ratings: dict[int, RatingRecord] = field(default_factory=dict)
    disputed: dict[str, int] = field(default_factory=dict)

    def by_ratee(self, ratee: Ratee) -> list[RatingRecord]:
        """The ratings of one ratee, in ledger order."""
        return [r for r in self.ratings.values() if r.ratee == ratee and not r.deleted]


def apply_entries(
    state: RatingsState, ledger: Ledger, start: int, stop: int | None, known_at_us: int | None
) -> None:
    """Apply to ``state`` the rating entries at ``start <= position < stop`` (``stop`` None:
    to the end) recorded at or before ``known_at_us`` (None: all), then mark its mutual
    ratings; ``state`` then equals a rebuild from those entries."""
    _read(state, ledger, start, stop, known_at_us)
    _set_reveal(state)


def _read(
    state: RatingsState, ledger: Ledger, start: int, stop: int | None, known_at_us: int | None
) -> None:
    """Apply the rating entries at ``start <= position < stop`` recorded by ``known_at_us``.

    Only entries whose canonical bytes name one of the types read here are decoded (a quote
    inside a JSON string is escaped, so ``"type":"Rating`` cannot occur inside a value).
    """
    for position, raw in ledger.raw_entries(start, stop):
        if not any(marker in raw for marker in _MARKERS):
            continue
        entry = decode_entry(position, raw)
        if known_at_us is not None and entry.recorded_at_us > known_at_us:
            break
        if entry.type in _TYPES:
            _apply(state, entry)


def _apply(state: RatingsState, entry: Entry) -> None:
    if entry.type == RatingTokenIssuedV1.TYPE:
        issued = EVENTS.read_as(entry, RatingTokenIssuedV1)
        state.tokens[issued.token_id] = TokenState(
            position=entry.position,
            token_id=issued.token_id,
            token_hash=issued.token_hash,
            issuer=dict(issued.issuer),
            rater=issued.rater,
            ratee=Ratee.from_data(issued.ratee),
            interaction=issued.interaction,
            issued_us=entry.recorded_at_us,
            expires_us=entry.recorded_at_us + issued.valid_seconds * 1_000_000,
        )
    elif entry.type == RatingGivenV1.TYPE:
        _given(state, entry, EVENTS.read_as(entry, RatingGivenV1))
    elif entry.type == RatingRepliedV1.TYPE:
        replied = EVENTS.read_as(entry, RatingRepliedV1)
        rating = state.ratings.get(replied.rating)
        if rating is not None and rating.reply is None:
            rating.reply = (entry.position, entry.recorded_at_us, replied.text)
    else:
        _disputed(state, EVENTS.read_entry(entry))


def _disputed(state: RatingsState, event: Event) -> None:
    """Disputes of ratings, opened and decided through the rights machinery."""
    if isinstance(event, DisputeOpenedV1):
        rating = state.ratings.get(event.target)
        if event.target_type == RatingGivenV1.TYPE and rating is not None:
            rating.disputes.append(event.dispute)
            state.disputed[event.dispute] = rating.position
    elif isinstance(event, RatingDisputedV1):  # recorded without the rights machinery
        rating = state.ratings.get(event.rating)
        if rating is not None:
            rating.disputes.append(f"R{rating.position}")
    elif isinstance(event, DisputeDecidedV1 | AppealDecidedV1) and event.dispute in state.disputed:
        rating = state.ratings[state.disputed[event.dispute]]
        if event.outcome != "confirmed":  # an appeal that confirms leaves the decision
            rating.deleted = event.outcome == "deleted"


def _given(state: RatingsState, entry: Entry, given: RatingGivenV1) -> None:
    token = state.tokens.get(given.token_id)
    if token is not None:
        state.tokens[token.token_id] = _used(token, entry.position)
    state.ratings[entry.position] = RatingRecord(
        position=entry.position,
        t_us=entry.recorded_at_us,
        token_id=given.token_id,
        rater=given.rater,
        ratee=Ratee.from_data(given.ratee),
        interaction=given.interaction,
        stars={k: int(given.stars[k]) for k in DIMENSIONS},
        text=given.text,
    )


def _used(token: TokenState, position: int) -> TokenState:
    return TokenState(
        **{**{s: getattr(token, s) for s in TokenState.__slots__}, "used_at": position}
    )


def _side(token: TokenState) -> tuple[str, str, str, str | None]:
    """Key of one side of an interaction: issuer, interaction, rater, ratee's person.

    Tokens a professional issued to be rated themselves share the issuer key ``self``: two
    professionals who each invite the other to rate one engagement rate each other."""
    issuer = token.issuer
    return (
        "self" if issuer == token.ratee.as_data() else repr(sorted(issuer.items())),
        token.interaction,
        token.rater,
        token.ratee.person_id,
    )


def counterpart(state: RatingsState, token: TokenState) -> TokenState | None:
    """The token for the other side of the same interaction, if both sides rate each other."""
    return _sides(state).get(_other_side(token))


def _other_side(token: TokenState) -> tuple[str, str, str, str | None]:
    issuer, interaction, rater, ratee_person = _side(token)
    return issuer, interaction, ratee_person or "", rater


def _sides(state: RatingsState) -> dict[tuple[str, str, str, str | None], TokenState]:
    return {_side(t): t for t in state.tokens.values() if t.ratee.person_id}


def _set_reveal(state: RatingsState) -> None:
    """Mark mutual ratings (both sides of one interaction rate each other)."""
    by_token = {r.token_id: r for r in state.ratings.values()}
    sides = _sides(state)
    for rating in state.ratings.values():
        token = state.tokens.get(rating.token_id)
        if token is None or not token.ratee.person_id:
            continue
        other = sides.get(_other_side(token))
        if other is None:
            continue
        rating.mutual_from_us = min(token.issued_us, other.issued_us)
        theirs = by_token.get(other.token_id)
        rating.both_in_us = max(rating.t_us, theirs.t_us) if theirs is not None else None


def reveal_time(rating: RatingRecord, params: RatingParams) -> int:
    """When ``rating`` may be shown: at once, or (mutual) when both sides are in or the
    window after the first token ends, whichever is first."""
    if rating.mutual_from_us is None:
        return rating.t_us
    window_end = rating.mutual_from_us + params.reveal_us
    return window_end if rating.both_in_us is None else min(rating.both_in_us, window_end)


def to_arrays(
    state: RatingsState, params: RatingParams, at_us: int
) -> tuple[RatingArrays, list[str], list[Ratee]]:
    """Dense arrays of every rating, with the raters' ids and the ratees behind the indices.

    Seeds (pre-trusted raters) are the raters holding a third-party-verified token: one
    issued against an interaction record naming them as buyer (issuer kind ``interaction``,
    see :mod:`.interactions`). Tokens the ratee issued itself, and tokens of the retired
    ``record`` issuer kind (issued against any filed record), never make a seed. With no
    seeds, every rater starts with equal trust.
    """
    ratings = [r for r in sorted(state.ratings.values(), key=lambda r: r.position) if not r.deleted]
    raters: dict[str, int] = {}
    ratees: dict[Ratee, int] = {}
    rater = np.array([raters.setdefault(r.rater, len(raters)) for r in ratings], np.int32)
    ratee = np.array([ratees.setdefault(r.ratee, len(ratees)) for r in ratings], np.int32)
    stars = np.array([[r.stars[d] for d in DIMENSIONS] for r in ratings], np.int8).reshape(-1, 3)
    t_us = np.array([r.t_us for r in ratings], np.int64)
    sealed = np.array([reveal_time(r, params) > at_us for r in ratings], dtype=bool)
    seeds = np.zeros(len(raters), dtype=bool)
    for token in state.tokens.values():
        if token.issuer.get("kind") == "interaction" and token.rater in raters:
            seeds[raters[token.rater]] = True
    data = RatingArrays(
        rater, ratee, stars, t_us, len(raters), len(ratees), sealed, seeds if seeds.any() else None
    )
    return data, list(raters), list(ratees)
