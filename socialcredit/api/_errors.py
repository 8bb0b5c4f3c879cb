"""Errors of the HTTP adapter, and the one place every error becomes an HTTP response.

Every error response has the same body, ``{"code", "message", "details"}``:

The statuses come from the one table in :mod:`socialcredit.errors` (``http_status``); the
errors of the HTTP adapter live there too, re-exported here.

    ======================================  ======  =================================
    error                                   status  extra
    ======================================  ======  =================================
    ValidationError (and subclasses)        422     details.problems: [{field, reason}]
    request validation (FastAPI / pydantic) 422     code "invalid", message REQUEST_INVALID
    a body that cannot be parsed            400     code "bad_request" (not UTF-8, bad multipart)
    AuthenticationError                     401     WWW-Authenticate: Bearer
    PermissionDeniedError, CsrfError        403
    NotFoundError, unknown route            404
    method not allowed                      405     Allow: every method the path serves
    PayloadTooLargeError                    413     details.limit (bytes)
    RateLimitedError                        429     Retry-After
    LedgerOverloadedError                   503     Retry-After
    IntegrityError                          409
    other LedgerError                       409
    ConfigurationError, StorageError        500
    anything unexpected                     500     code "internal" (tests assert none occur)
    ======================================  ======  =================================

:data:`ERROR_RESPONSES` documents these answers in the OpenAPI description of every route.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..errors import (
    AuthenticationError,
    CsrfError,
    PermissionDeniedError,
    RateLimitedError,
    SocialCreditError,
)

__all__ = [
    "ERROR_RESPONSES",
    "REQUEST_INVALID",
    "AuthenticationError",
    "CsrfError",
    "ErrorOut",
    "PermissionDeniedError",
    "RateLimitedError",
    "error_response",
    "install_error_handlers",
]

#: The message of every 422 for a request that does not match the OpenAPI description (as
#: opposed to one the library refuses, which carries the library's message).
REQUEST_INVALID = "the request is invalid"

_log = logging.getLogger("socialcredit.api")


class ErrorOut(BaseModel):
    """The one error shape."""

    code: str = Field(description="Stable, machine-readable code, e.g. record_refused.")
    message: str = Field(description="For people.")
    details: dict[str, Any] = Field(
        description="problems: [{field, reason}] for 422; limit for 413; retry_after for 429."
    )


def _documented(description: str, *headers: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"model": ErrorOut, "description": description}
    if headers:
        answer["headers"] = {name: {"schema": {"type": "string"}} for name in headers}
    return answer


#: Every error answer a route may give, for the OpenAPI description of every route.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("The body cannot be parsed (not UTF-8, broken multipart)."),
    401: _documented("No valid credentials (bad API key, or none where one is needed).",
                     "WWW-Authenticate"),
    403: _documented("The caller's role may not do this, or not to this subject; CSRF."),
    404: _documented("No such entry, subject, dispute, checkpoint, revision or route."),
    409: _documented("The ledger cannot do what was asked."),
    413: _documented("The body is over the limit (JSON 1 MiB, uploads 64 MiB by default)."),
    422: _documented("The request does not match this description, or the library refuses it; "
                     "details.problems names every field at fault."),
    429: _documented("Over the caller's rate limit.", "Retry-After"),
    500: _documented("A server error (logged; the tests assert none occurs)."),
    503: _documented("The ledger or the decision audit queue is busy.", "Retry-After"),
}  # fmt: skip


def _status(error: SocialCreditError) -> int:
    return error.http_status


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


def _reason(item: dict[str, Any]) -> str:
    """The reason of one validation error: a check's own words, without pydantic's prefix."""
    cause = item.get("ctx", {}).get("error") if item.get("type") == "value_error" else None
    return str(cause) if cause is not None else str(item.get("msg", "invalid"))


async def _on_library_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, SocialCreditError)
    if _status(error) >= 500:
        _log.error("server error on %s %s: %s", request.method, request.url.path, error)
    return error_response(error)


async def _on_request_invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [
        {"field": _field(item.get("loc", ())), "reason": _reason(item)} for item in error.errors()
    ]
    body = _body("invalid", REQUEST_INVALID, {"problems": problems})
    return Response(body, status_code=422, media_type="application/json")


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}
    code = codes.get(error.status_code, "http_error")
    headers = dict(error.headers or {})
    if error.status_code == 405 and (methods := allowed_methods(request)):
        headers["Allow"] = ", ".join(methods)
    return Response(
        _body(code, str(error.detail), {}),
        status_code=error.status_code,
        media_type="application/json",
        headers=headers,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method an API route serves at the request's path (the router names only the
    first matching route's in ``Allow``, though a path often has a GET and a POST route)."""
    routes = getattr(request.app.state, "routes", None)
    return [] if routes is None else list(routes.methods(request.scope["path"]))


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
