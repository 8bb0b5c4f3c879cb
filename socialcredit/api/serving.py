"""The app factory uvicorn calls in each worker process (``socialcredit serve``)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from ..accounts import RateLimit
from ..errors import ConfigurationError
from ..settings import Settings
from .app import create_app
from .gate import BodyLimits

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    """The app for the settings in the environment (``SOCIALCREDIT_*``), as set by ``serve``.

    Raises:
        ConfigurationError: if a setting is invalid or the ledger cannot be opened.
    """
    settings = Settings.load({})
    rate = float(os.environ.get("SOCIALCREDIT_RATE_LIMIT", "200"))
    defaults = BodyLimits()
    limits = BodyLimits(
        _bytes("SOCIALCREDIT_MAX_BODY", defaults.json),
        _bytes("SOCIALCREDIT_MAX_UPLOAD", defaults.upload),
    )
    witness = os.environ.get("SOCIALCREDIT_WITNESS_DIR", "").strip()
    every = os.environ.get("SOCIALCREDIT_SNAPSHOT_EVERY", "0").strip()
    if not every.isdigit():
        raise ConfigurationError(
            f"SOCIALCREDIT_SNAPSHOT_EVERY must be a whole number of entries, not {every!r}"
        )
    return create_app(
        settings,
        rate_limit=RateLimit(rate, 2 * rate),
        body_limits=limits,
        witness_dir=Path(witness) if witness else None,
        snapshot_every=int(every),
    )


def _bytes(name: str, default: int) -> int:
    """The whole number of bytes in environment variable ``name`` (``default`` if unset).

    Raises:
        ConfigurationError: naming the variable if it is not a positive whole number.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise ConfigurationError(f"{name} must be a positive number of bytes, not {text!r}")
    return int(text)
