"""The portal's route class: each page is served in the request's language, library errors
become HTML pages in it, missing logins a redirect."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import AuthenticationError, CsrfError, PermissionDeniedError, SocialCreditError
from . import _i18n
from ._i18n import N_
from ._i18n import gettext as _
from ._render import render, render_page

__all__ = ["PageRoute", "error_page", "install_page_errors", "page_router"]


#: The heading of an error page by HTTP status (the error's own message follows it).
TITLES = {
    403: N_("This page is not open to you"),
    404: N_("There is no such page"),
    405: N_("This page cannot be used that way"),
    422: N_("Some values are not valid"),
    503: N_("The ledger is busy: try again in a moment"),
}
_OTHER_TITLE = N_("Something went wrong")
_BAD_ADDRESS = N_("Some values in the address are not valid")


class PageRoute(APIRoute):
    """A route served in the request's language whose library errors become HTML pages
    instead of JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            with _i18n.using(_i18n.choose(request)):
                return await answer(request)

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthenticationError:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/login?next={target}", status_code=303)
            except (PermissionDeniedError, CsrfError) as denied:
                return error_page(403, denied.code, denied.message, request=request)
            except RequestValidationError as invalid:
                return error_page(422, "invalid", _(_BAD_ADDRESS), _query_problems(invalid),
                                  request=request)  # fmt: skip
            except SocialCreditError as error:
                problems = getattr(error, "problems", ())
                answer = error_page(
                    error.http_status, error.code, error.message, problems, request=request
                )
                retry = getattr(error, "retry_after", None)
                if retry is not None:  # the same header as the API's
                    answer.headers["Retry-After"] = str(max(1, math.ceil(retry)))
                return answer

        return page


def _query_problems(invalid: RequestValidationError) -> list[dict[str, str]]:
    """Each bad value of a page's address or form, named the way the user typed it."""
    return [
        {"field": str(item.get("loc", ("", "value"))[-1]), "reason": str(item.get("msg", ""))}
        for item in invalid.errors()
    ]


def error_page(
    status: int, code: str, message: str, problems: Any = (), *, request: Request
) -> HTMLResponse:
    """An error page inside the site's frame (who is logged in, the navigation), headed in the
    user's language, with the error's stable code, message and problems; a public frame when
    the caller is unknown (their login failed, or the page's route was never reached)."""
    with _i18n.using(_i18n.choose(request)):
        title = _(TITLES.get(status, _OTHER_TITLE))
    values = {"http_status": status, "code": code, "title": title, "message": message,
              "problems": problems}  # fmt: skip
    who = getattr(request.state, "principal", None)
    if who is not None:
        return render(request, who, "error.html", status=status, **values)
    return render_page(request, "error.html", status, role="public", **values)


def install_page_errors(app: FastAPI) -> None:
    """Answer HTTP errors (404 for an unknown page, 405) outside ``/api/`` with an error page
    inside the site's frame; API paths keep the one JSON error shape of the handler already
    installed."""
    api_handler = app.exception_handlers[StarletteHTTPException]

    async def on_http_error(request: Request, error: Exception) -> Response:
        if request.url.path.startswith("/api/") or not isinstance(error, StarletteHTTPException):
            answer = api_handler(request, error)
            return await answer if inspect.isawaitable(answer) else answer
        if error.status_code == 404:  # the heading says it all
            return error_page(404, "not_found", "", request=request)
        return error_page(error.status_code, "http_error", str(error.detail), request=request)

    app.add_exception_handler(StarletteHTTPException, on_http_error)


def page_router() -> APIRouter:
    """A router for portal pages (kept out of the OpenAPI description)."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)
