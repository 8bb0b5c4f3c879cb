"""The API's edge: every identifier, time and number a request carries, checked and described.

Each type here is a pydantic annotation that both validates a value (a 422 naming the field
when it fails) and describes it in the OpenAPI description, so that the description tells the
truth: a request that matches it passes these checks, and one that does not is refused.
Identifiers whose rules a pattern cannot hold (check characters, calendar dates) carry a named
``format``: ``resident-id``, ``uscc``, ``subject-id`` (either), ``ratee``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import Path
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    StrictInt,
    WithJsonSchema,
)

from socialcredit.catalogue import (
    subject_key,
    subject_kind_of,
    validate_resident_id,
    validate_uscc,
)

from ..errors import RatingRefusedError
from ..ratings import PROFESSIONAL_ROLES, Ratee
from ..timeutil import FIRST_YEAR, LAST_YEAR, MOMENT_RULE, parse_moment

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_POSITION",
    "Amount",
    "Moment",
    "Position",
    "PositionValue",
    "RateeId",
    "ResidentId",
    "Stars",
    "SubjectId",
    "Text",
    "Uscc",
    "WholeNumber",
    "parse_moment",
    "subject_of",
    "text",
    "times",
]

#: The largest ledger position the API takes (positions are below 2**63 in the ledger; the API
#: keeps to integers every JSON client reads exactly).
MAX_POSITION = 2**53
# Whitespace as Python's str.strip() sees it, spelled out so JSON Schema, Rust and Python regex
# engines agree on what "a visible character" is.
_SPACE = r"\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
VISIBLE = f"[^{_SPACE}]"
_YEAR = "^(19|2[0-9])[0-9]{2}-"  # FIRST_YEAR to LAST_YEAR


def times(as_of: datetime | None, known_at: datetime | None) -> tuple[datetime, datetime]:
    """``as_of`` (default now) and ``known_at`` (default ``as_of``)."""
    when = as_of or datetime.now(UTC)
    return when, known_at or when


def subject_of(value: str, field: str = "subject") -> tuple[str, str]:
    """``(kind, id)`` of a resident id or USCC.

    Raises:
        ValidationError: naming ``field`` if the value is neither.
    """
    return subject_key(value, field)


def _checked(check: Any) -> Any:
    """A validator running ``check`` on the value and keeping the value."""

    def validate(value: str) -> str:
        check(value)
        return value

    return AfterValidator(validate)


def _ratee(value: str) -> None:
    try:
        Ratee.parse(value)
    except RatingRefusedError as exc:
        raise ValueError("; ".join(problem.reason for problem in exc.problems)) from None


def _described(fmt: str, description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "format": fmt, "description": description})


_RID = "an 18-character PRC resident identity number (GB 11643: area, birth date, check digit)"
_USCC = "an 18-character Unified Social Credit Code (GB 32100, with its check character)"

ResidentId = Annotated[
    str, _checked(validate_resident_id), _described("resident-id", f"A{_RID[1:]}.")
]
Uscc = Annotated[str, _checked(validate_uscc), _described("uscc", f"A{_USCC[1:]}.")]
SubjectId = Annotated[
    str, _checked(subject_kind_of), _described("subject-id", f"A subject: {_RID}, or {_USCC}.")
]
RateeId = Annotated[
    str,
    _checked(_ratee),
    _described(
        "ratee",
        f"An organisation's USCC, or RESIDENT_ID:ROLE of a professional "
        f"(role: {', '.join(sorted(PROFESSIONAL_ROLES))}).",
    ),
]
Moment = Annotated[
    datetime,
    PlainValidator(parse_moment),
    WithJsonSchema(
        {
            "type": "string",
            "anyOf": [
                {"format": "date", "pattern": _YEAR},
                {"format": "date-time", "pattern": _YEAR},
            ],
            "description": MOMENT_RULE[0].upper() + MOMENT_RULE[1:] + ".",
        }
    ),
]


def _whole(value: object) -> object:
    """A JSON integer: ``5`` or ``5.0``; never ``true`` (Python's bool is an int) or ``"5"``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: An integer as JSON Schema means it (``5.0`` is one); booleans and numeric strings are not.
WholeNumber = Annotated[StrictInt, BeforeValidator(_whole)]
#: A whole number >= 0.
Amount = Annotated[StrictInt, Ge(0), BeforeValidator(_whole)]
#: One to five stars.
Stars = Annotated[StrictInt, Ge(1), Le(5), BeforeValidator(_whole)]
PositionValue = Annotated[
    StrictInt,
    Ge(0),
    Le(MAX_POSITION),
    BeforeValidator(_whole),
    Field(description="A ledger position."),
]
Position = Annotated[int, Path(ge=0, le=MAX_POSITION, description="A ledger position.")]


def text(limit: int, minimum: int = 1) -> Any:
    """A free text of ``minimum`` to ``limit`` characters with a visible character (the
    library strips the rest, and refuses a text that is only space)."""
    return Field(min_length=minimum, max_length=limit, pattern=VISIBLE)


Text = Annotated[str, text(2000)]
