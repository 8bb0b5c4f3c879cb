"""Dispute entries as typed events: what the rights functions write reads back as the typed
event and encodes to the same data; bad data and unknown versions are refused by name; an
old version is lifted by its upcaster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from socialcredit.errors import ValidationError
from socialcredit.events import EVENTS, Event, EventRegistry
from socialcredit.ledger import Entry, Ledger
from socialcredit.rights import _disputes as d
from socialcredit.rights.events import (
    DISPUTE_EVENTS,
    AppealDecidedV1,
    DisputeOpenedV1,
    dispute_event,
    pending,
)
from tests.rights.helpers import ALICE, at, file_record, set_time


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger], clock: Any) -> Ledger:
    made = make_ledger()
    file_record(made)  # position 0, Alice
    set_time(clock, at(2026, 3, 2, 10))
    dispute = d.open_dispute(made, 0, "Not my loan.")
    d.acknowledge(made, dispute, "officer:li")
    d.add_evidence(made, dispute, "Bank statement of March.", "subject")
    d.decide(made, dispute, "upheld", "officer:li", "Contract signed by the subject.")
    d.appeal(made, dispute, "The signature is forged.")
    d.decide_appeal(made, dispute, "confirmed", "officer:wang", "Handwriting expert's report.")
    return made


def dispute_entries(ledger: Ledger) -> list[Entry]:
    types = {cls.TYPE for cls in DISPUTE_EVENTS}
    return [e for e in ledger.entries() if e.type in types]


def test_every_dispute_entry_written_reads_back_typed_and_encodes_the_same(
    ledger: Ledger,
) -> None:
    entries = dispute_entries(ledger)
    assert [e.type for e in entries] == [cls.TYPE for cls in DISPUTE_EVENTS]
    for entry in entries:
        event = dispute_event(entry)
        assert (entry.type, entry.version) == (event.TYPE, event.VERSION)
        assert event.to_data() == entry.data
    opened = dispute_event(entries[0])
    assert isinstance(opened, DisputeOpenedV1)
    assert (opened.dispute, opened.target, opened.subject) == ("D0-1", 0, ALICE)
    decided = dispute_event(entries[-1])
    assert isinstance(decided, AppealDecidedV1) and decided.by == "officer:wang"


def test_an_event_appends_as_the_same_entry(ledger: Ledger) -> None:
    entry = dispute_entries(ledger)[1]
    again = pending(dispute_event(entry), "typed:ack", ALICE)
    position = ledger.append([again]).positions[0]
    written = ledger.entry(position)
    assert (written.type, written.version, written.data) == (entry.type, 1, entry.data)


def test_bad_data_is_refused_naming_each_key() -> None:
    with pytest.raises(ValidationError) as refused:
        EVENTS.read("DisputeDecided", 1, {"dispute": "D0-1", "outcome": "upheld", "x": 1})
    fields = [p.field for p in refused.value.problems]
    assert fields == ["data.by", "data.reason", "data.x"]
    with pytest.raises(ValidationError, match="subject"):
        EVENTS.read("DisputeOpened", 1, {"subject": "person:1"})


def test_unknown_types_and_versions_are_refused() -> None:
    with pytest.raises(ValidationError) as unknown:
        EVENTS.read("DisputeForgotten", 1, {})
    assert unknown.value.problems[0].field == "type"
    with pytest.raises(ValidationError, match="newer than this code"):
        EVENTS.read("DisputeAcknowledged", 2, {"dispute": "D0-1", "by": "officer:li"})
    with pytest.raises(ValidationError, match="not a dispute event"):
        dispute_event(Entry(0, "RecordFiled", 1, 0, {}))


def test_an_old_version_is_lifted_by_its_upcasters() -> None:
    registry = EventRegistry()

    @registry.register
    @dataclass(frozen=True, slots=True)
    class ThingNotedV1(Event):
        TYPE: ClassVar[str] = "ThingNoted"
        VERSION: ClassVar[int] = 1
        by: str

    @registry.register
    @dataclass(frozen=True, slots=True)
    class ThingNotedV2(Event):
        TYPE: ClassVar[str] = "ThingNoted"
        VERSION: ClassVar[int] = 2
        by: str
        reason: str

    with pytest.raises(ValidationError, match="no upcaster from ThingNoted v1 to v2"):
        registry.read("ThingNoted", 1, {"by": "officer:li"})

    @registry.upcaster("ThingNoted", 1)
    def _add_reason(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "reason": "(none recorded before v2)"}

    lifted = registry.read("ThingNoted", 1, {"by": "officer:li"})
    assert lifted == ThingNotedV2("officer:li", "(none recorded before v2)")
    assert registry.read("ThingNoted", 2, {"by": "a", "reason": "b"}) == ThingNotedV2("a", "b")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(ThingNotedV2)
    with pytest.raises(ValueError, match="already has an upcaster"):
        registry.upcaster("ThingNoted", 1)(_add_reason)
