"""Ratings of organisations and professionals (``socialcredit.ratings``): tokens for verified
interactions, ratings, replies and disputes by the ratee, and the public ratee page."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from starlette.convertors import Convertor, register_url_convertor

from ...catalogue.identifiers import validate_uscc
from ...ratings import dispute, issue_token, rate, ratee_view, reply
from ...ratings.model import MAX_TEXT, Ratee
from .._params import MAX_POSITION, Moment, Position, RateeId, ResidentId, Stars, Text, text
from ..auth import Principal, Role, require
from ..errors import PermissionDeniedError
from . import ctx_of


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

_ISSUERS = (Role.ADMIN, Role.SOURCE)
_RATEES = (Role.ADMIN, Role.SOURCE, Role.SUBJECT)


def _issuer(value: str) -> str:
    kind, colon, position = value.partition(":")
    if not colon:
        validate_uscc(value)
    elif kind != "record" or not position.isdigit() or int(position) > MAX_POSITION:
        raise ValueError(f"an organisation's USCC, or record:<position up to {MAX_POSITION}>")
    return value


Issuer = Annotated[
    str,
    AfterValidator(_issuer),
    WithJsonSchema(
        {
            "type": "string",
            "format": "issuer",
            "description": "The issuing organisation's USCC, or record:<position> of a filed "
            "record of the interaction.",
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


def _as_ratee(principal: Principal, ratee: str) -> str:
    """A subject may act only as the ratee that is themselves (a professional)."""
    if principal.role is Role.SUBJECT:
        parsed = Ratee.parse(ratee)
        if principal.subject is None or parsed.id != principal.subject[1]:
            raise PermissionDeniedError("a subject may act only for their own ratings")
    return ratee


@router.post("/tokens", status_code=201)
def token(
    request: Request, body: TokenIn, _: Annotated[Principal, Depends(require(*_ISSUERS))]
) -> dict[str, Any]:
    """Issue a single-use rating token for one verified interaction (give it to the rater)."""
    ctx = ctx_of(request)
    with ctx.lock:
        issued = issue_token(ctx.ledger, body.issuer, body.rater, body.ratee, body.interaction)
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
    if principal.role is Role.SUBJECT:
        if principal.subject is None:
            raise PermissionDeniedError("this account has no resident id to rate as")
        rater = principal.subject[1]
    else:
        rater = body.rater or ""
    ctx = ctx_of(request)
    with ctx.lock:
        stars = body.stars.model_dump()
        position = rate(ctx.ledger, body.token, rater, body.ratee, stars, body.text)
    return {"position": position}


@router.post("/{position}/reply", status_code=201)
def reply_(
    request: Request,
    position: Position,
    body: ReplyIn,
    principal: Annotated[Principal, Depends(require(*_RATEES))],
) -> dict[str, int]:
    """The ratee's one public reply to a rating."""
    ratee = _as_ratee(principal, body.ratee)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"position": reply(ctx.ledger, position, ratee, body.text)}


@router.post("/{position}/dispute", status_code=201)
def dispute_(
    request: Request,
    position: Position,
    body: RatingDisputeIn,
    principal: Annotated[Principal, Depends(require(*_RATEES))],
) -> dict[str, str]:
    """The ratee disputes a rating (the same dispute machinery as records)."""
    ratee = _as_ratee(principal, body.ratee)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"dispute": dispute(ctx.ledger, position, ratee, body.text)}


@router.get("/{ratee:ratee}")
def ratee_page(
    request: Request,
    ratee: RateeId,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
    at: Annotated[Moment | None, Query(description="Default: now.")] = None,
) -> dict[str, Any]:
    """A ratee's public page: aggregate with its interval, shown ratings (raters masked),
    how many are still sealed."""
    when = at or datetime.now(UTC)
    ctx = ctx_of(request)
    with ctx.lock:
        view = ratee_view(ctx.ledger, ratee, when)
    return dataclasses.asdict(view)
