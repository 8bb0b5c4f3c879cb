"""The portal's router: every page module's routes under one router."""

from __future__ import annotations

from fastapi import APIRouter


def _router() -> APIRouter:
    from . import (
        _admin,
        _admin_accounts,
        _audit,
        _downloads,
        _login,
        _memoranda,
        _notices,
        _officer,
        _public,
        _repair,
        _service_point,
        _source,
        _subject,
    )

    main = APIRouter(include_in_schema=False)
    modules = (_public, _login, _subject, _notices, _source, _officer, _service_point, _audit,
               _admin, _admin_accounts, _downloads, _memoranda, _repair)  # fmt: skip
    for module in modules:
        main.include_router(module.router)
    return main


router = _router()
