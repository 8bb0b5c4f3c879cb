"""The portal's route class: library errors become HTML pages, missing logins a redirect."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from ..api.errors import AuthenticationError, CsrfError, PermissionDeniedError
from ..errors import LedgerOverloadedError, NotFoundError, SocialCreditError, ValidationError
from ._render import render_text

__all__ = ["PageRoute", "error_page", "page_router"]


def _status(error: SocialCreditError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ValidationError):
        return 422
    if isinstance(error, LedgerOverloadedError):
        return 503
    return 500


class PageRoute(APIRoute):
    """A route whose library errors become HTML pages instead of JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthenticationError:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/login?next={target}", status_code=303)
            except (PermissionDeniedError, CsrfError) as denied:
                return error_page(403, denied.code, denied.message)
            except SocialCreditError as error:
                problems = getattr(error, "problems", ())
                return error_page(_status(error), error.code, error.message, problems)

        return page


def error_page(status: int, code: str, message: str, problems: Any = ()) -> HTMLResponse:
    """A plain error page with the error's stable code, message and problems."""
    body = render_text("error.html", status=status, code=code, message=message, problems=problems)
    return HTMLResponse(body, status_code=status)


def page_router() -> APIRouter:
    """A router for portal pages (kept out of the OpenAPI description)."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)
