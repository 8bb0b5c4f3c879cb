"""Credit commitments: a subject's signed promise, lodged with the competent authority, as a
record of its own kind.

A commitment (``credit_commitment_made``) cites the decision number of the penalty or licence
condition it concerns (its ``evidence``) and is filed by the authority that holds the signed
letter. A breach (``credit_commitment_breached``) is established by that authority and filed
as an ordinary record; the rules weigh it more heavily than the plain offence. A commitment
with no breach after it is *kept*, and counts for credit repair (:mod:`.repair`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from socialcredit.catalogue import Catalogue, Source
from socialcredit.errors import Problem, RecordRefusedError
from socialcredit.ingest import BatchAck, ingest_rows
from socialcredit.ledger import Ledger, ledger_now
from socialcredit.rights._repair import COMMITMENT
from socialcredit.timeutil import format_time

__all__ = ["commitment_row", "file_commitment"]


def commitment_row(
    subject_kind: str, subject_id: str, concerns: str, source: str, occurred_at: str
) -> dict[str, str]:
    """The record row of a commitment by the subject, concerning decision ``concerns``, lodged
    with ``source`` (``market_regulator:<name>``) on ``occurred_at``."""
    return {
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "kind": COMMITMENT,
        "occurred_at": occurred_at,
        "evidence": concerns,
        "source": source,
    }


def file_commitment(
    ledger: Ledger,
    catalogue: Catalogue,
    subject: tuple[str, str],
    concerns: str,
    source: str,
    occurred_at: str | None = None,
) -> int:
    """File a credit commitment as a record; returns its ledger position.

    Args:
        subject: ``(subject_kind, subject_id)`` of the subject who signed it.
        concerns: the decision number of the penalty (or licence) it concerns.
        source: the authority that holds the signed letter (``market_regulator:<name>``).
        occurred_at: when it was signed (canonical UTC text; default: now).

    Raises:
        ValidationError: if ``source`` is not a registrable source name.
        RecordRefusedError: with every problem, if the catalogue refuses the record (a
            subject kind, reference or source it does not allow).
    """
    filer = Source.named(source)
    when = occurred_at or format_time(ledger_now(ledger))
    row = commitment_row(subject[0], subject[1], concerns, filer.name, when)
    catalogue.validate(row, now=datetime.now(UTC), source=filer)
    acks: list[BatchAck] = []
    summary = ingest_rows(ledger, catalogue, [(1, row)], on_batch=acks.append, source=filer)
    if summary.refused or not acks or not acks[0].results:
        reasons = list(summary.refusal_reasons) or ["record: refused"]
        raise RecordRefusedError("commitment refused", [_problem(r) for r in reasons])
    return acks[0].results[0].position


def _problem(reason: str) -> Problem:
    field, _, text = reason.partition(": ")
    return Problem(field, text) if text else Problem("record", reason)
