"""Shared helpers for the consequences tests: build a ledger from a readable event list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from socialcredit.catalogue import default_catalogue
from socialcredit.consequences import (
    end_hardship,
    record_hardship,
    record_legal_representative,
    request_restoration,
)
from socialcredit.demo._filers import reference_of, source_of
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.timeutil import to_us

from ..records_factory import organisation, person

CATALOGUE = default_catalogue()


def moment(value: object) -> datetime:
    """A YAML date or ISO text as an aware UTC datetime (dates are midnight UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value)
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def subject(name: str) -> tuple[str, str]:
    """``person:3`` / ``organisation:1`` as (kind, id), from the shared records factory."""
    kind, number = name.split(":")
    return (kind, person(int(number)) if kind == "person" else organisation(int(number)))


def record_row(kind: str, who: tuple[str, str], occurred: object, n: int) -> dict[str, Any]:
    """A valid input row of ``kind`` about ``who``, with what the kind requires."""
    spec = CATALOGUE.kind(kind)
    row: dict[str, Any] = {
        "subject_id": who[1],
        "subject_kind": who[0],
        "kind": kind,
        "occurred_at": moment(occurred).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source_of(spec).name,
        "evidence": reference_of(spec, moment(occurred).year, 1 + n),
    }
    if spec.amount is not None:
        row["amount"] = "10"
    return row


def play(ledger: Ledger, clock: Any, events: Sequence[Mapping[str, Any]], default: str) -> None:
    """Append ``events`` in order, each at its ledger time ``at`` (the clock is set to it).

    An event is a record ``{kind, occurred, at, subject?}`` or one of
    ``{hardship: record|end}``, ``{restore: LIST}``,
    ``{representative: person:N, of: organisation:M}``.
    """
    for n, event in enumerate(events):
        clock.now_us = to_us(moment(event["at"]))
        who = subject(event.get("subject", default))
        if "kind" in event:
            row = record_row(event["kind"], who, event.get("occurred", event["at"]), n)
            summary = ingest_rows(ledger, CATALOGUE, [(n, row)])
            assert summary.accepted == 1, summary.refusal_reasons
        elif "hardship" in event:
            if event["hardship"] == "record":
                record_hardship(ledger, *who, "income lost")
            else:
                end_hardship(ledger, *who, "income restored")
        elif "restore" in event:
            request_restoration(ledger, *who, event["restore"], "corrected", moment(event["at"]))
        elif "representative" in event:
            org = subject(event["of"])[1]
            record_legal_representative(
                ledger, org, subject(event["representative"])[1], moment(event["at"])
            )
        else:
            raise AssertionError(f"unknown event {event}")
