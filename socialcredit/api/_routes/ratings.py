"""Ratings of organisations and professionals (``socialcredit.ratings``): interaction records
and tokens for verified interactions, ratings, replies and disputes by the ratee, and the
public ratee page. Who may issue a token: see :mod:`socialcredit.ratings._interactions`."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from starlette.convertors import Convertor, register_url_convertor

from socialcredit.accounts import Principal, Role, require
from socialcredit.ratings import MAX_TEXT, Ratee

from ...errors import RatingRefusedError
from .._params import MAX_POSITION, Moment, Position, RateeId, ResidentId, Stars, Text, text
from . import system_of


class _RateeConvertor(Convertor[str]):
    """Only what looks like a ratee routes to ``GET /ratings/{ratee}``, so that a wrong method
    on ``/ratings/tokens`` is a 405, not a ratee called "tokens"."""

    regex = "[0-9A-Za-z]{18}(?::[a-z_]+)?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("ratee", _RateeConvertor())
router = APIRouter(prefix="/ratings", tags=["ratings"])

_ISSUERS = (Role.SOURCE, Role.SUBJECT)
_RATEES = (Role.ADMIN, Role.SOURCE, Role.SUBJECT)


def _issuer(value: str) -> str:
    kind, colon, position = value.partition(":")
    if kind == "record" and colon:
        if not position.isdigit() or int(position) > MAX_POSITION:
            raise ValueError(f"record:<position up to {MAX_POSITION}>")
        return value
    try:
        Ratee.parse(value)
    except RatingRefusedError:
        raise ValueError(
            "the ratee itself (USCC, or RESIDENT_ID:ROLE), or record:<position> of an "
            "interaction record"
        ) from None
    return value


Issuer = Annotated[
    str,
    AfterValidator(_issuer),
    WithJsonSchema(
        {
            "type": "string",
            "format": "issuer",
            "description": "The ratee itself (its USCC, or RESIDENT_ID:ROLE), issuing through "
            "its own account; or record:<position> of an interaction record (an e-invoice or "
            "payment record naming this rater as buyer and this ratee as seller), issued by the "
            "source that filed it.",
        }
    ),
]
Token = Annotated[
    str,
    Field(pattern=r"^rt_[0-9a-f]{16}\.[A-Za-z0-9_-]{24}$", description="As issued."),
]


class TokenIn(BaseModel):
    """A verified interaction: who issues the token, who may rate whom, the reference."""

    model_config = ConfigDict(extra="forbid")

    issuer: Issuer
    rater: ResidentId
    ratee: RateeId
    interaction: str = text(100)


class InteractionIn(BaseModel):
    """One interaction a third party recorded: the buyer, the seller, the source's number."""

    model_config = ConfigDict(extra="forbid")

    buyer: ResidentId
    seller: RateeId
    reference: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$",
        description="The source's number of the e-invoice or payment.",
    )


class StarsIn(BaseModel):
    """One to five stars on every dimension."""

    model_config = ConfigDict(extra="forbid")

    integrity: Stars
    professionalism: Stars
    service: Stars


class RatingIn(BaseModel):
    """A rating with its single-use token."""

    model_config = ConfigDict(extra="forbid")

    token: Token
    rater: ResidentId | None = Field(default=None, description="A subject rates as themselves.")
    ratee: RateeId
    stars: StarsIn
    text: str | None = Field(default=None, max_length=MAX_TEXT)


class ReplyIn(BaseModel):
    """The ratee's reply."""

    model_config = ConfigDict(extra="forbid")

    ratee: RateeId
    text: str = text(MAX_TEXT)


class RatingDisputeIn(BaseModel):
    """The ratee's grounds for disputing a rating."""

    model_config = ConfigDict(extra="forbid")

    ratee: RateeId
    text: Text


@router.post("/interactions", status_code=201)
def interaction(
    request: Request,
    body: InteractionIn,
    principal: Annotated[Principal, Depends(require(Role.SOURCE))],
) -> dict[str, int]:
    """File the record of one interaction naming buyer and seller (an e-invoice or payment
    record); a token against it (``record:<position>``) is third-party verified."""
    position = system_of(request).record_interaction(
        principal, body.buyer, body.seller, body.reference
    )
    return {"position": position}


@router.post("/tokens", status_code=201)
def token(
    request: Request,
    body: TokenIn,
    principal: Annotated[Principal, Depends(require(*_ISSUERS))],
) -> dict[str, Any]:
    """Issue a single-use rating token for one verified interaction (give it to the rater):
    the ratee's own account as the ratee, or a source against its interaction record."""
    issued = system_of(request).issue_rating_token(
        principal, body.issuer, body.rater, body.ratee, body.interaction
    )
    return {
        "token": issued.token,
        "token_id": issued.token_id,
        "position": issued.position,
        "expires_at": issued.expires_at.isoformat(),
    }


@router.post("", status_code=201)
def give(
    request: Request,
    body: RatingIn,
    principal: Annotated[Principal, Depends(require(Role.ADMIN, Role.SUBJECT))],
) -> dict[str, int]:
    """Rate with a token; a subject rates as themselves, an admin names the rater."""
    position = system_of(request).rate(
        principal, body.token, body.ratee, body.stars.model_dump(), body.text, rater=body.rater
    )
    return {"position": position}


@router.post("/{position}/reply", status_code=201)
def reply_(
    request: Request,
    position: Position,
    body: ReplyIn,
    principal: Annotated[Principal, Depends(require(*_RATEES))],
) -> dict[str, int]:
    """The ratee's one public reply to a rating."""
    system = system_of(request)
    return {"position": system.reply_to_rating(principal, position, body.ratee, body.text)}


@router.post("/{position}/dispute", status_code=201)
def dispute_(
    request: Request,
    position: Position,
    body: RatingDisputeIn,
    principal: Annotated[Principal, Depends(require(*_RATEES))],
) -> dict[str, str]:
    """The ratee disputes a rating (the same dispute machinery as records)."""
    system = system_of(request)
    return {"dispute": system.dispute_rating(principal, position, body.ratee, body.text)}


@router.get("/{ratee:ratee}")
def ratee_page(
    request: Request,
    ratee: RateeId,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
    at: Annotated[Moment | None, Query(description="Default: now.")] = None,
) -> dict[str, Any]:
    """A ratee's public page: aggregate with its interval, shown ratings (raters masked),
    how many are still sealed."""
    return dataclasses.asdict(system_of(request).ratee_view(ratee, at))
