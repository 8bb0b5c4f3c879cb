"""The memoised facts the fast validation paths read, shared by one record and a batch.

:meth:`Catalogue.validate <socialcredit.catalogue.Catalogue.validate>` and the per-record tier
of :mod:`socialcredit.catalogue._batch` look up identifier, source and timestamp facts here
first (``PERSON_FACTS.get(value)`` inline, a plain dict read) and call the ``*_checked``
function on a miss. Each answer is the facts tuple, a string when the value is refused (the
thorough path then names the problem), or None when the value is not something to memoise
(junk is kept out of the bounded memos).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socialcredit.catalogue._identifiers import organisation_facts, person_facts
from socialcredit.catalogue._sources import MAX_SOURCE, Source, source_facts
from socialcredit.catalogue._taxonomy import AuthorityKind
from socialcredit.catalogue._timestamps import UTC, parse_timestamp, to_us

__all__ = [
    "ORG_FACTS",
    "PARSED",
    "PERSON_FACTS",
    "SOURCES",
    "filer_facts",
    "organisation_facts_checked",
    "parse_checked",
    "person_facts_checked",
]

PERSON_FACTS = person_facts.values
ORG_FACTS = organisation_facts.values
PARSED = parse_timestamp.values
# Sources are few: their facts are memoised (sources.source_facts).
SOURCES = source_facts.values
_fromisoformat = datetime.fromisoformat


def person_facts_checked(value: object) -> tuple[str, int, int] | str | None:
    """Memoised resident-id facts, or None when the value is not something to memoise."""
    if value.__class__ is not str or len(value) > 32:
        return None  # keeps junk out of the memo; the thorough path explains the problem
    return person_facts.compute(value)


def organisation_facts_checked(value: object) -> tuple[str] | str | None:
    """Memoised USCC facts, or None when the value is not something to memoise."""
    if value.__class__ is not str or len(value) > 32:
        return None
    return organisation_facts.compute(value)


def _source_checked(value: object) -> tuple[str, AuthorityKind] | str | None:
    """Memoised source facts, or None when the value is not something to memoise."""
    if value.__class__ is not str or len(value) > 4 * MAX_SOURCE:
        return None
    return source_facts.compute(value)


def filer_facts(filer: Source | None, value: Any) -> tuple[str, AuthorityKind] | str | None:
    """Who files the record, as (name, authority kind), for the fast path; None or a string
    when the thorough path must decide. Raises TypeError for an unhashable value."""
    if filer is None:
        return SOURCES.get(value) or _source_checked(value)
    if value is None or value == "" or value == filer.name:
        return filer.name, filer.authority_kind
    return None


def parse_checked(value: object) -> tuple[datetime, int] | str:
    """Parse a timestamp the memo missed, or say the fast path cannot use it."""
    if value.__class__ is not str or len(value) > 40:
        return "not handled by the fast path"
    if len(value) == 20 and value[19] == "Z" and value[10] == "T":
        # The usual form costs less to parse than to memoise (second-resolution timestamps are
        # mostly distinct), so it is parsed here and not remembered.
        try:
            moment = _fromisoformat(value)
        except ValueError:
            return "not an ISO 8601 date-time"
        if moment.tzinfo is UTC:  # always so for ...Z; to_us relies on it
            return moment, to_us(moment)
    return parse_timestamp.compute(value)
