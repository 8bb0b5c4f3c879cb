"""Filing the penalty and repair facts of the credit-repair tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from socialcredit.catalogue import default_catalogue
from socialcredit.demo._filers import source_of
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.rights._repair import BREACH, PERFORMED, TRAINING
from tests.rights.helpers import ALICE, at, set_time

__all__ = ["ALICE", "DAY0", "DECISION", "OTHER_DECISION", "file", "file_facts", "on_day"]

DAY0 = at(2026, 1, 5, 9)  # a Monday
DECISION = "京市监罚〔2026〕56号"
OTHER_DECISION = "京市监罚〔2026〕99号"
_FACTS = {
    "performed": (PERFORMED, DECISION),
    "performed_other": (PERFORMED, OTHER_DECISION),
    "commitment": ("credit_commitment_made", DECISION),
    "breach": (BREACH, "京市监罚〔2026〕120号"),
    "training": (TRAINING, "PX-2026-000042"),
}


def on_day(clock: Any, day: int) -> datetime:
    """Move ledger time to ``day`` days after day 0; returns that moment."""
    moment = DAY0 + timedelta(days=day)
    set_time(clock, moment)
    return moment


def file(ledger: Ledger, kind: str, evidence: str | None, subject: tuple[str, str] = ALICE) -> int:
    """File one record of ``kind`` now (occurred today) from the demo's source for it."""
    catalogue = default_catalogue()
    row: dict[str, Any] = {
        "subject_kind": subject[0],
        "subject_id": subject[1],
        "kind": kind,
        "occurred_at": ledger_day(ledger),
        "source": source_of(catalogue.kind(kind)).name,
    }
    if evidence is not None:
        row["evidence"] = evidence
    summary = ingest_rows(ledger, catalogue, [(1, row)])
    assert summary.accepted == 1, summary.refusal_reasons
    return ledger.size() - 1


def ledger_day(ledger: Ledger) -> str:
    """Today in ledger time, as a record's ``occurred_at`` (midnight UTC)."""
    from socialcredit.timeutil import format_time

    return format_time(ledger.clock() // 86_400_000_000 * 86_400_000_000)


def file_facts(ledger: Ledger, facts: list[str]) -> None:
    """File the named repair facts now."""
    for name in facts:
        file(ledger, *_FACTS[name])


def penalty_evidence(kind: str) -> str | None:
    """The decision number the test's penalty carries (serious penalties must have one)."""
    return DECISION if kind.endswith("serious") else None
