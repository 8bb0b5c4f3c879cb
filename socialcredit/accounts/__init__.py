"""Accounts, roles and who is calling: shared by the HTTP API and the portal.

* Roles and the principal (:class:`Role`, :class:`Principal`): who a caller is and what it may do.
* The account store (:class:`AccountStore`): API keys for machines, users and login sessions for
  people, in one SQLite file; :func:`seed_demo_accounts` makes the demo's logins.
* Rate limits (:class:`RateLimit`, :class:`RateLimiter`): a token bucket per caller.
* Authentication over HTTP (API keys, session cookies, CSRF,
  the ``require`` dependency). It loads the web framework, so it is a submodule of its own and
  this package imports it only when asked (the command line needs roles, not FastAPI).

The roles load with the package; the store and the rate limits on first use.

This package sits below the adapters (API, portal, CLI) and above the errors and the catalogue;
it knows nothing of the ledger.
"""

import importlib as _importlib
import typing as _typing

from socialcredit.accounts._roles import PUBLIC, Principal, Role

if _typing.TYPE_CHECKING:  # the real names for type checkers; at run time on first use
    from socialcredit.accounts._auth import (
        SECURITY_SCHEMES,
        SESSION_COOKIE,
        admit,
        admitted_roles,
        check_admitted,
        check_login_csrf,
        clear_session_cookie,
        csrf_token,
        current_principal,
        document_roles,
        issue_login_csrf,
        require,
        route_roles,
        set_login_csrf_cookie,
        set_session_cookie,
    )
    from socialcredit.accounts._ratelimit import RateLimit, RateLimiter
    from socialcredit.accounts._store import (
        DEMO_SOURCE,
        SESSION_SECONDS,
        Account,
        AccountStore,
        DemoLogin,
        Session,
        registered_source,
        seed_demo_accounts,
        source_authority,
    )

#: The names that load on first use, and their private module: the command line imports the
#: roles at start-up and must not pay for the account store (its import floor stays put).
_LAZY = {
    "SECURITY_SCHEMES": "_auth",
    "SESSION_COOKIE": "_auth",
    "admit": "_auth",
    "admitted_roles": "_auth",
    "check_admitted": "_auth",
    "check_login_csrf": "_auth",
    "clear_session_cookie": "_auth",
    "csrf_token": "_auth",
    "current_principal": "_auth",
    "document_roles": "_auth",
    "issue_login_csrf": "_auth",
    "require": "_auth",
    "route_roles": "_auth",
    "set_login_csrf_cookie": "_auth",
    "set_session_cookie": "_auth",
    "RateLimit": "_ratelimit",
    "RateLimiter": "_ratelimit",
    "DEMO_SOURCE": "_store",
    "SESSION_SECONDS": "_store",
    "Account": "_store",
    "AccountStore": "_store",
    "DemoLogin": "_store",
    "Session": "_store",
    "registered_source": "_store",
    "seed_demo_accounts": "_store",
    "source_authority": "_store",
}


__all__ = [
    "DEMO_SOURCE",
    "PUBLIC",
    "SECURITY_SCHEMES",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "Account",
    "AccountStore",
    "DemoLogin",
    "Principal",
    "RateLimit",
    "RateLimiter",
    "Role",
    "Session",
    "admit",
    "admitted_roles",
    "check_admitted",
    "check_login_csrf",
    "clear_session_cookie",
    "csrf_token",
    "current_principal",
    "document_roles",
    "issue_login_csrf",
    "registered_source",
    "require",
    "route_roles",
    "seed_demo_accounts",
    "set_login_csrf_cookie",
    "set_session_cookie",
    "source_authority",
]


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
