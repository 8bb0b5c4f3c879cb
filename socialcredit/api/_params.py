"""Parsing of request parameters the OpenAPI types cannot express: times and subject ids."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Path

from ..catalogue.identifiers import subject_kind_of
from ..errors import Problem, ValidationError

__all__ = ["Position", "moment", "subject_of", "times"]


def moment(value: str | None, field: str) -> datetime:
    """An ISO 8601 time with a zone, or a date (midnight UTC); None means now.

    Raises:
        ValidationError: naming ``field`` if the value is not such a time.
    """
    if value is None:
        return datetime.now(UTC)
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError("bad time", [Problem(field, str(exc))]) from exc
    if parsed.tzinfo is None:
        raise ValidationError("bad time", [Problem(field, "give a time zone, e.g. Z")])
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationError("bad time", [Problem(field, "out of range")]) from exc


def times(as_of: str | None, known_at: str | None) -> tuple[datetime, datetime]:
    """``as_of`` (default now) and ``known_at`` (default ``as_of``)."""
    when = moment(as_of, "as_of")
    return when, moment(known_at, "known_at") if known_at else when


def subject_of(value: str, field: str = "subject") -> tuple[str, str]:
    """``(kind, id)`` of a resident id or USCC.

    Raises:
        ValidationError: naming ``field`` if the value is neither.
    """
    try:
        return subject_kind_of(value), value.strip().upper()
    except ValueError as exc:
        raise ValidationError("bad subject", [Problem(field, str(exc))]) from exc


Position = Annotated[int, Path(ge=0, le=2**53, description="A ledger position.")]
