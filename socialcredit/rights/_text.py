"""Checks on the free text and actor names that rights entries carry.

Free text (grounds, reasons, evidence, statements) is bounded and may not name another
person by resident identity number: rights entries hold data about their subject only.
"""

from __future__ import annotations

import re

from socialcredit.catalogue import validate_resident_id
from socialcredit.errors import Problem, ValidationError

MAX_TEXT = 2_000
_ACTOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def _third_party(text: str, own_id: str | None) -> str | None:
    for match in _RESIDENT_ID.finditer(text):
        candidate = match.group(0).upper()
        try:
            validate_resident_id(candidate)
        except ValueError:
            continue
        if candidate != own_id:
            return candidate
    return None


def checked_text(value: object, name: str, own_id: str | None, limit: int = MAX_TEXT) -> str:
    """``value`` as a stripped, non-empty text of at most ``limit`` characters that names no
    person other than ``own_id``.

    Raises:
        ValidationError: naming ``name`` and the reason.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("refused", [Problem(name, "must be a non-empty text")])
    text = value.strip()
    if len(text) > limit:
        raise ValidationError("refused", [Problem(name, f"at most {limit} characters")])
    if _third_party(text, own_id) is not None:
        reason = "names another person's identity number (no third-party personal data)"
        raise ValidationError("refused", [Problem(name, reason)])
    return text


def checked_actor(value: object, name: str, own_id: str | None = None) -> str:
    """An actor name (officer, source, reader): a short code such as ``officer:li``, or the
    subject's own identifier; never another person's identity number.

    Raises:
        ValidationError: naming ``name`` and the reason.
    """
    if not isinstance(value, str) or not _ACTOR.match(value):
        reason = "must be a short code: letters, digits and _.:@- (at most 64)"
        raise ValidationError("refused", [Problem(name, reason)])
    if _third_party(value, own_id) is not None:
        raise ValidationError("refused", [Problem(name, "may not be another person's id")])
    return value
