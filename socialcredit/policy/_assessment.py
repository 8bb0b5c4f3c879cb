"""Impact assessments in the ledger: what a bundle would do, recorded before it may take effect.

An ``ImpactAssessed`` entry (:class:`socialcredit.policy.events.ImpactAssessedV1`) holds the
assessment of one bundle, keyed by the bundle's digest::

    {"digest": "<sha256 hex of the assessed bundle>", "revision": 2,
     "in_force_digest": "<digest of the bundle it was compared with, or null>",
     "assessment": {...}}

The assessment itself (grade distributions, subjects newly restricted per measure, false-listing
rate, effect by subject group) is computed by the policy lab
(``socialcredit.simulation._impact``); this module only records and finds it, so that
:func:`socialcredit.policy._publish.publish` can refuse a bundle nobody assessed.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from socialcredit.events import EVENTS
from socialcredit.ledger import Entry, Ledger, check_canonical, entry_of
from socialcredit.policy.events import ImpactAssessedV1

__all__ = ["ENTRY_TYPE", "RecordedAssessment", "assessment_for", "record_assessment"]

ENTRY_TYPE = ImpactAssessedV1.TYPE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RecordedAssessment:
    """An assessment as read back from the ledger."""

    digest: str
    revision: int
    in_force_digest: str | None
    assessment: Mapping[str, Any]
    position: int
    recorded_at: datetime


def record_assessment(
    ledger: Ledger,
    digest: str,
    revision: int,
    assessment: Mapping[str, Any],
    in_force_digest: str | None = None,
) -> int:
    """Append the assessment of the bundle with ``digest``; return its ledger position.

    Recording the same assessment (same bundle, same bundle in force, same content) again is
    idempotent: the entry is not appended twice and the first position is returned. A
    different assessment of the same bundle (another city size or seed) is a new entry;
    :func:`assessment_for` gives the latest.

    Args:
        ledger: a writable ledger.
        digest: the assessed bundle's digest.
        revision: the assessed bundle's revision.
        assessment: JSON-able content without floats (give rates as strings or parts per
            million), e.g. ``ImpactAssessment.to_json()``.
        in_force_digest: the digest of the bundle in force it was compared with.

    Raises:
        ValidationError: if the content holds a float or another value the ledger's
            canonical JSON refuses (nothing is appended).
        LedgerError: if the ledger is read-only.
    """
    event = ImpactAssessedV1(digest, revision, in_force_digest, dict(assessment))
    check_canonical(event.to_data())
    content = hashlib.sha256(orjson.dumps(event.assessment, option=orjson.OPT_SORT_KEYS))
    key = f"assessment:{digest}:{in_force_digest or '-'}:{content.hexdigest()[:32]}"
    entry = entry_of(event, idempotency_key=key)
    return ledger.append([entry])[0].position


def assessment_for(ledger: Ledger, digest: str) -> RecordedAssessment | None:
    """The latest assessment recorded for the bundle with ``digest``, or None."""
    latest = None
    for found in _read_all(ledger):
        if found.digest == digest:
            latest = found
    return latest


# Per ledger object: the assessments found so far and the first position not yet scanned.
_SEEN: weakref.WeakKeyDictionary[Ledger, tuple[int, list[RecordedAssessment]]] = (
    weakref.WeakKeyDictionary()
)


def _read_all(ledger: Ledger) -> list[RecordedAssessment]:
    scanned, found = _SEEN.get(ledger, (0, []))
    size = ledger.size()
    if scanned < size:
        found = found + [_read(e) for e in ledger.entries(scanned, size) if e.type == ENTRY_TYPE]
        _SEEN[ledger] = (size, found)
    return found


def _read(entry: Entry) -> RecordedAssessment:
    event = EVENTS.read_as(entry, ImpactAssessedV1)
    return RecordedAssessment(
        digest=event.digest,
        revision=event.revision,
        in_force_digest=event.in_force_digest,
        assessment=event.assessment,
        position=entry.position,
        recorded_at=_EPOCH + timedelta(microseconds=entry.recorded_at_us),
    )
