"""Public opinion into the score, through the policy: rating assessments filed as records.

The aggregate of verified ratings does not reach a score directly. Periodically (for example
monthly) :func:`assess` files, for each organisation whose aggregate has enough evidence, one
record of the catalogue kind ``public_rating_above_neutral`` or ``public_rating_below_neutral``
whose ``amount`` is how far the aggregate's credible interval lies from neutral (3 stars), in
tenths of a star: ``floor(10 * (low - 3))`` when the lower bound is above 3,
``floor(10 * (3 - high))`` when the upper bound is below 3, and no record when the interval
straddles neutral or the evidence is low.

From there the rulebook decides: the policy's scoring rules give the points per tenth, the cap,
the dimension and how long an assessment counts — so the scoring definition, its evaluators,
explanations and disputes treat public opinion like any other record. Each new assessment
supersedes the subject's previous one: both are appended in one atomic batch (the new record,
and the old one's ``RecordWithdrawn``), so at most one assessment counts at any time and the
history replays. Professionals are not assessed into their personal score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from socialcredit.catalogue import Catalogue
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.ratings._batch import aggregate_batch
from socialcredit.ratings._model import RatingParams
from socialcredit.ratings._projection import to_arrays
from socialcredit.ratings._service import DEFAULT_PARAMS
from socialcredit.ratings._shared import load_state
from socialcredit.records import RecordRow, ledger_index
from socialcredit.rights import withdrawal_entry
from socialcredit.timeutil import format_time, from_us, to_us

__all__ = ["ABOVE", "BELOW", "SOURCE", "AssessmentSummary", "assess", "assessment_of"]

ABOVE = "public_rating_above_neutral"
BELOW = "public_rating_below_neutral"
SOURCE = "rating_platform:assessment"  # its authority kind: the taxonomy's rating_platform
NEUTRAL = 3.0
ORGANISATION = "organisation"


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    """What one :func:`assess` run did."""

    at: datetime
    filed: int
    withdrawn: int
    unchanged: int


def assessment_of(low: float, high: float, low_evidence: bool) -> tuple[str, int] | None:
    """``(kind, tenths of a star from neutral)`` for an aggregate's credible interval, or None
    when the evidence is low or the interval does not lie clearly on one side of neutral."""
    if low_evidence:
        return None
    if low > NEUTRAL:
        kind, tenths = ABOVE, math.floor(10 * (low - NEUTRAL))
    elif high < NEUTRAL:
        kind, tenths = BELOW, math.floor(10 * (NEUTRAL - high))
    else:
        return None
    return (kind, tenths) if tenths > 0 else None


def assess(
    ledger: Ledger, at: datetime | None = None, params: RatingParams = DEFAULT_PARAMS
) -> AssessmentSummary:
    """File the organisations' rating assessments as of ``at`` (default: ledger time now),
    each superseding the organisation's standing assessment; unchanged ones are left alone.

    Raises:
        RecordRefusedError: if the policy in force does not admit the assessment kinds.
        ValueError: if ``at`` is naive.
    """
    from socialcredit.policy import catalogue_in_force

    at_us = ledger.clock() if at is None else to_us(at)
    wanted = _assessments(ledger, at_us, params)
    standing = _standing(ledger, at_us)
    catalogue = catalogue_in_force(ledger)
    filed = withdrawn = unchanged = 0
    for org in sorted(wanted.keys() | standing.keys()):
        new, old = wanted.get(org), standing.get(org)
        if old is not None and new == (old.kind, old.amount):
            unchanged += 1
            continue
        entries = []
        if old is not None:
            entries.append(withdrawal_entry(old, SOURCE, "superseded by a newer rating assessment"))
            withdrawn += 1
        if new is not None:
            entries.append(_record(catalogue, org, new, at_us))
            filed += 1
        ledger.append(entries)
    return AssessmentSummary(from_us(at_us), filed, withdrawn, unchanged)


def _assessments(ledger: Ledger, at_us: int, params: RatingParams) -> dict[str, tuple[str, int]]:
    """Each organisation's assessment at ``at_us`` from the ratings recorded by then."""
    state = load_state(ledger, at_us)
    data, _, ratees = to_arrays(state, params, at_us)
    if not ratees:
        return {}
    result = aggregate_batch(data, params, at_us)
    summary = result.summary
    found = {}
    for i, ratee in enumerate(ratees):
        if ratee.kind != ORGANISATION:
            continue
        low_evidence = bool(result.low_evidence[i])
        assessed = assessment_of(float(summary.low[i]), float(summary.high[i]), low_evidence)
        if assessed is not None:
            found[ratee.id] = assessed
    return found


def _standing(ledger: Ledger, at_us: int) -> dict[str, RecordRow]:
    """Each organisation's assessment record that counts now (not withdrawn), the latest."""
    standing: dict[str, RecordRow] = {}
    for row in ledger_index(ledger).effective_rows(max(at_us, ledger.clock())):
        if row.kind in (ABOVE, BELOW) and row.subject_kind == ORGANISATION:
            standing[row.subject_id] = row
    return standing


def _record(catalogue: Catalogue, org: str, assessed: tuple[str, int], at_us: int) -> PendingEntry:
    """The ``RecordFiled`` entry of one assessment, checked against the catalogue.

    Raises:
        RecordRefusedError: if the catalogue does not admit it.
    """
    kind, tenths = assessed
    moment = format_time(at_us)
    raw = {
        "subject_id": org,
        "subject_kind": ORGANISATION,
        "kind": kind,
        "occurred_at": moment,
        "source": SOURCE,
        "amount": str(tenths),
        "idempotency_key": f"{SOURCE}:{org}:{moment}",
    }
    valid = catalogue.validate(raw, now=from_us(at_us))
    return PendingEntry(
        "RecordFiled",
        valid.payload(),
        idempotency_key=valid.idempotency_key,
        subject=(ORGANISATION, org),
        data_json=valid.payload_json(),
    )
