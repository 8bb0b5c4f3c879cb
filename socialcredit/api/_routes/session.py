"""Health, who am I, login and logout, and API keys (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator
from starlette.responses import Response

from socialcredit.accounts import (
    SESSION_COOKIE,
    Principal,
    Role,
    clear_session_cookie,
    require,
    set_session_cookie,
)

from .._json import OrjsonResponse
from .._params import SubjectId, subject_of
from . import system_of

router = APIRouter(tags=["session"])


class LoginIn(BaseModel):
    """A username and password."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=128)
    password: str = Field(max_length=1024)


_KEY_ROLES: list[JsonValue] = [role.value for role in Role if role is not Role.PUBLIC]


class KeyIn(BaseModel):
    """A new API key: its role, a name, the subject (subject role), the kinds (source role)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"role": {"const": Role.SUBJECT.value}}},
            "then": {"required": ["subject"], "properties": {"subject": {"type": "string"}}},
        },
    )

    role: Role = Field(json_schema_extra={"enum": _KEY_ROLES})
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,58}$")
    subject: SubjectId | None = Field(default=None, description="Required for role subject.")
    allowed_kinds: list[str] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _subject_has_one(self) -> KeyIn:
        if self.role is Role.PUBLIC:
            raise ValueError("the public needs no key")
        if self.role is Role.SUBJECT and self.subject is None:
            raise ValueError("a subject key needs the subject")
        return self


def principal_json(principal: Principal) -> dict[str, Any]:
    """Who the caller is."""
    subject = principal.subject
    return {
        "role": principal.role.value,
        "name": principal.name,
        "account": principal.account,
        "subject": None if subject is None else {"kind": subject[0], "id": subject[1]},
        "allowed_kinds": sorted(principal.allowed_kinds),
    }


@router.get("/health", response_model=None, responses={200: {"description": "Up"}})
async def health(_: Annotated[Principal, Depends(require(Role.PUBLIC))]) -> Response:
    """A trivial JSON answer: the server is up."""
    return OrjsonResponse({"status": "ok"})


@router.get("/me")
async def me(principal: Annotated[Principal, Depends(require(Role.PUBLIC))]) -> dict[str, Any]:
    """The caller as the server sees them (role, name, own subject, kinds it may file)."""
    return principal_json(principal)


@router.post("/auth/login")
def login(
    request: Request,
    response: Response,
    body: LoginIn,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
) -> dict[str, Any]:
    """Log in: sets the session cookie and returns the CSRF token unsafe requests must send
    (header ``X-CSRF-Token``)."""
    session = system_of(request).login(body.username, body.password)
    set_session_cookie(response, request, session.id)
    return {**principal_json(session.principal), "csrf_token": session.csrf}


@router.post("/auth/logout")
def logout(
    request: Request, response: Response, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> dict[str, bool]:
    """End the session (if any) and clear the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is not None:
        system_of(request).logout(cookie)
    clear_session_cookie(response)
    return {"logged_out": True}


@router.get("/accounts")
def list_accounts(
    request: Request, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> list[dict[str, Any]]:
    """Every API key and user (never a secret)."""
    return [account.to_json() for account in system_of(request).account_list()]


@router.post("/accounts/keys", status_code=201)
def create_key(
    request: Request, body: KeyIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Create an API key; the key is in this response only."""
    subject = subject_of(body.subject) if body.subject else None
    made = system_of(request).create_api_key(
        body.role, body.name, subject=subject, allowed_kinds=body.allowed_kinds
    )
    return {"key": made.key, "id": made.id, "role": made.role.value, "name": made.name}


_KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="The key's id.")]


@router.post("/accounts/keys/{key_id}/rotate", status_code=201)
def rotate_key(
    request: Request, key_id: _KeyId, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Replace a key by a new one with the same role, name, subject and kinds; the new key is
    in this response only, and the old one stops working."""
    made = system_of(request).rotate_api_key(key_id)
    return {"key": made.key, "id": made.id, "replaces": key_id}


@router.post("/accounts/keys/{key_id}/revoke")
def revoke_key(
    request: Request, key_id: _KeyId, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Revoke a key: it stops working at once."""
    system_of(request).revoke_api_key(key_id)
    return {"revoked": key_id}
