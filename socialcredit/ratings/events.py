"""The entries the ratings package writes, as typed events (the schema in code): rating
tokens, ratings, replies and the interactions a third party records.

Each class is the data of one entry type at one version, registered in
:data:`socialcredit.events.EVENTS`. ``to_data()`` gives back exactly the data the entry holds,
so the canonical bytes are those written before the classes existed. A ratee is
``{"kind", "id", "role"?}`` in the data (:meth:`socialcredit.ratings._model.Ratee.as_data`);
an issuer is a ratee's mapping or ``{"source": ...}`` for a third party.

A rating is disputed through the rights machinery (``DisputeOpened`` with target type
``RatingGiven``, :mod:`socialcredit.rights.events`). ``RatingDisputed`` is the older form the
ratings projection still reads; no code writes it today.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialcredit.events import EVENTS, Event

__all__ = [
    "RATING_EVENTS",
    "InteractionRecordedV1",
    "RatingDisputedV1",
    "RatingGivenV1",
    "RatingRepliedV1",
    "RatingTokenIssuedV1",
]


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RatingTokenIssuedV1(Event):
    """A single-use token to rate ``ratee`` for one interaction; only its hash is kept."""

    TYPE: ClassVar[str] = "RatingTokenIssued"
    VERSION: ClassVar[int] = 1
    token_id: str
    token_hash: str
    issuer: dict[str, Any]
    rater: str  # resident id
    ratee: dict[str, str]
    interaction: str
    valid_seconds: int


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RatingGivenV1(Event):
    """A rating given with a token: stars per dimension, and an optional text."""

    TYPE: ClassVar[str] = "RatingGiven"
    VERSION: ClassVar[int] = 1
    OPTIONAL: ClassVar[frozenset[str]] = frozenset({"text"})
    token_id: str
    rater: str
    ratee: dict[str, str]
    interaction: str
    stars: dict[str, int]
    text: str | None = None


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RatingRepliedV1(Event):
    """The ratee's one public reply to the rating at position ``rating``."""

    TYPE: ClassVar[str] = "RatingReplied"
    VERSION: ClassVar[int] = 1
    rating: int
    ratee: dict[str, str]
    text: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class RatingDisputedV1(Event):
    """A dispute of the rating at position ``rating`` recorded outside the rights machinery
    (read, not written: see the module docstring)."""

    TYPE: ClassVar[str] = "RatingDisputed"
    VERSION: ClassVar[int] = 1
    rating: int
    grounds: str


@EVENTS.register
@dataclass(frozen=True, slots=True)
class InteractionRecordedV1(Event):
    """A tax authority or payment institution recorded a sale between ``buyer`` and
    ``seller`` (its own ``reference``), against which the buyer may rate the seller."""

    TYPE: ClassVar[str] = "InteractionRecorded"
    VERSION: ClassVar[int] = 1
    source: str
    buyer: str
    seller: dict[str, str]
    reference: str


#: The rating entry classes.
RATING_EVENTS: tuple[type[Event], ...] = (
    RatingTokenIssuedV1,
    RatingGivenV1,
    RatingRepliedV1,
    RatingDisputedV1,
    InteractionRecordedV1,
)
