"""The app factory uvicorn calls in each worker process (``socialcredit serve``)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from ..settings import Settings
from .app import create_app
from .ratelimit import RateLimit

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment (``SOCIALCREDIT_*``), as set by ``serve``.

    Raises:
        ConfigurationError: if a setting is invalid or the ledger cannot be opened.
    """
    settings = Settings.load({})
    rate = float(os.environ.get("SOCIALCREDIT_RATE_LIMIT", "200"))
    return create_app(settings, rate_limit=RateLimit(rate, 2 * rate))
