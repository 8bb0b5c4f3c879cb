"""Errors of the HTTP adapter, and the one place every error becomes an HTTP response.

Every error response has the same body, ``{"code", "message", "details"}``:

    ======================================  ======  =================================
    error                                   status  extra
    ======================================  ======  =================================
    ValidationError (and subclasses)        422     details.problems: [{field, reason}]
    request validation (FastAPI / pydantic) 422     code "invalid", same problems
    AuthenticationError                     401     WWW-Authenticate: Bearer
    PermissionDeniedError, CsrfError        403
    NotFoundError, unknown route            404
    method not allowed                      405
    RateLimitedError                        429     Retry-After
    LedgerOverloadedError                   503     Retry-After
    IntegrityError                          409
    other LedgerError                       409
    ConfigurationError, StorageError        500
    anything unexpected                     500     code "internal" (tests assert none occur)
    ======================================  ======  =================================
"""

from __future__ import annotations

import logging
import math
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..errors import (
    LedgerError,
    LedgerOverloadedError,
    NotFoundError,
    SocialCreditError,
    ValidationError,
)

__all__ = [
    "AuthenticationError",
    "CsrfError",
    "PermissionDeniedError",
    "RateLimitedError",
    "error_response",
    "install_error_handlers",
]

_log = logging.getLogger("socialcredit.api")


class AuthenticationError(SocialCreditError):
    """No valid credentials (bad API key, expired session, wrong password)."""

    code = "unauthenticated"


class PermissionDeniedError(SocialCreditError):
    """The caller's role may not do this, or not to this subject."""

    code = "forbidden"


class CsrfError(PermissionDeniedError):
    """An unsafe request with a session cookie lacks the session's CSRF token."""

    code = "csrf"


class RateLimitedError(SocialCreditError):
    """The caller exceeded its request rate; retry after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


def _status(error: SocialCreditError) -> int:
    table: list[tuple[type[SocialCreditError], int]] = [
        (ValidationError, 422),
        (AuthenticationError, 401),
        (PermissionDeniedError, 403),
        (NotFoundError, 404),
        (RateLimitedError, 429),
        (LedgerOverloadedError, 503),
        (LedgerError, 409),
    ]
    for kind, status in table:
        if isinstance(error, kind):
            return status
    return 500


def _body(code: str, message: str, details: Any) -> bytes:
    return orjson.dumps({"code": code, "message": message, "details": details}, default=str)


def error_response(error: SocialCreditError) -> Response:
    """The HTTP response for a library or adapter error (see the module table)."""
    headers = {}
    retry = getattr(error, "retry_after", None)
    if retry is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry)))
    if isinstance(error, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    return Response(
        _body(error.code, error.message, error.details),
        status_code=_status(error),
        media_type="application/json",
        headers=headers,
    )


def _field(location: Any) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(part) for part in location) or "request"


async def _on_library_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, SocialCreditError)
    if _status(error) >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, error)
    return error_response(error)


async def _on_request_invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [
        {"field": _field(item.get("loc", ())), "reason": str(item.get("msg", "invalid"))}
        for item in error.errors()
    ]
    body = _body("invalid", "the request is invalid", {"problems": problems})
    return Response(body, status_code=422, media_type="application/json")


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
    code = codes.get(error.status_code, "http_error")
    return Response(
        _body(code, str(error.detail), {}),
        status_code=error.status_code,
        media_type="application/json",
        headers=dict(error.headers or {}),
    )


async def _on_unexpected(request: Request, error: Exception) -> Response:
    _log.exception("unexpected error on %s %s", request.method, request.url.path)
    return Response(
        _body("internal", "internal server error", {}),
        status_code=500,
        media_type="application/json",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one error shape on ``app``."""
    app.add_exception_handler(SocialCreditError, _on_library_error)
    app.add_exception_handler(RequestValidationError, _on_request_invalid)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
