"""Ratings of organisations and professionals (``socialcredit.ratings``): tokens for verified
interactions, ratings, replies and disputes by the ratee, and the public ratee page."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ...ratings import dispute, issue_token, rate, ratee_view, reply
from ...ratings.model import Ratee
from .._params import Position, moment
from ..auth import Principal, Role, require
from ..errors import PermissionDeniedError
from . import ctx_of

router = APIRouter(prefix="/ratings", tags=["ratings"])

_ISSUERS = (Role.ADMIN, Role.SOURCE)
_RATEES = (Role.ADMIN, Role.SOURCE, Role.SUBJECT)


class TokenIn(BaseModel):
    """A verified interaction: who issues the token, who may rate whom, the reference."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(max_length=64, description="The issuer's USCC or record:<position>.")
    rater: str = Field(max_length=64, description="The rater's resident id.")
    ratee: str = Field(max_length=128, description="USCC, or RESIDENT_ID:ROLE.")
    interaction: str = Field(max_length=128)


class RatingIn(BaseModel):
    """A rating with its single-use token."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=256)
    rater: str | None = Field(
        default=None, max_length=64, description="The rater's resident id (a subject: own)."
    )
    ratee: str = Field(max_length=128)
    stars: dict[str, int] = Field(max_length=16)
    text: str | None = Field(default=None, max_length=4000)


class RateeText(BaseModel):
    """The ratee's reply or dispute grounds."""

    model_config = ConfigDict(extra="forbid")

    ratee: str = Field(max_length=128)
    text: str = Field(max_length=4000)


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
        position = rate(ctx.ledger, body.token, rater, body.ratee, body.stars, body.text)
    return {"position": position}


@router.post("/{position}/reply", status_code=201)
def reply_(
    request: Request,
    position: Position,
    body: RateeText,
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
    body: RateeText,
    principal: Annotated[Principal, Depends(require(*_RATEES))],
) -> dict[str, str]:
    """The ratee disputes a rating (the same dispute machinery as records)."""
    ratee = _as_ratee(principal, body.ratee)
    ctx = ctx_of(request)
    with ctx.lock:
        return {"dispute": dispute(ctx.ledger, position, ratee, body.text)}


@router.get("/{ratee}")
def ratee_page(
    request: Request,
    ratee: str,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
    at: Annotated[str | None, Query(description="ISO 8601 time or date; default now.")] = None,
) -> dict[str, Any]:
    """A ratee's public page: aggregate with its interval, shown ratings (raters masked),
    how many are still sealed."""
    when = moment(at, "at") if at else datetime.now(UTC)
    ctx = ctx_of(request)
    with ctx.lock:
        view = ratee_view(ctx.ledger, ratee, when)
    return dataclasses.asdict(view)
