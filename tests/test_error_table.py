"""The one error table: the statuses documented in ``socialcredit.errors`` are the ones every
error carries, and every adapter answers with them (API, portal, CLI)."""

from __future__ import annotations

import re

import pytest

import socialcredit.errors as errors
from socialcredit.errors import SocialCreditError


def _documented() -> dict[str, tuple[str, int, int]]:
    """``name -> (code, HTTP status, exit status)`` from the module docstring's table."""
    rows = re.findall(r"(\w+Error)\s+\"(\w+)\"\s+(\d{3})\s+(\d)", errors.__doc__ or "")
    return {name: (code, int(http), int(exit_)) for name, code, http, exit_ in rows}


def _classes() -> list[type[SocialCreditError]]:
    found = [getattr(errors, name) for name in errors.__all__]
    return [c for c in found if isinstance(c, type) and issubclass(c, SocialCreditError)]


@pytest.mark.parametrize("error", _classes(), ids=lambda c: c.__name__)
def test_every_error_is_in_the_table_with_its_statuses(error: type[SocialCreditError]) -> None:
    code, http, exit_ = _documented()[error.__name__]
    assert (error.code, error.http_status, error.exit_status) == (code, http, exit_)


def test_the_api_and_the_portal_read_the_table() -> None:
    from socialcredit.api._errors import error_response
    from socialcredit.errors import LedgerError, LedgerOverloadedError

    busy = error_response(LedgerOverloadedError("busy", 2.5))
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "3"
    assert error_response(LedgerError("no")).status_code == 409
    import socialcredit.web._routing as routing

    assert "_status" not in vars(routing), "the portal keeps no table of its own"
