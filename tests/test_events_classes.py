"""Each registered event class round-trips its data, refuses bad data by key, and the line
between the ledger (any well-formed "type T, version V") and the registry (which types and
versions exist) holds."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest

import socialcredit.agencies.events
import socialcredit.consequences.events
import socialcredit.notices.events
import socialcredit.policy.events
import socialcredit.ratings.events
import socialcredit.records.events
import socialcredit.rights.events  # noqa: F401  (each module registers its classes)
from socialcredit.consequences.events import DecisionMadeV1, LegalRepresentativeRecordedV1
from socialcredit.errors import StorageError, ValidationError
from socialcredit.events import EVENTS, Event
from socialcredit.ledger import Entry, Ledger, PendingEntry
from socialcredit.ledger._entries import check_canonical, check_entry_type, decode_entry
from socialcredit.records.events import RecordFiledV1, RecordWithdrawnV1

CLASSES = sorted(EVENTS.classes().values(), key=lambda cls: (cls.TYPE, cls.VERSION))


def example(cls: type[Event], *, optional: bool) -> Event:
    """An instance of ``cls`` with a value of the right shape in every field (optional
    fields None unless ``optional``)."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        key = f.name.rstrip("_")
        if key in cls.OPTIONAL and not optional:
            values[f.name] = None
            continue
        values[f.name] = _value(hints[f.name], key in cls.SUBJECTS, f.name)
    return cls(**values)


def _value(hint: Any, subject: bool, name: str) -> Any:
    if subject:
        return ("person", "110101199003070011")
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = options[0]
    origin = typing.get_origin(hint) or hint
    made: dict[type, Callable[[], Any]] = {
        str: lambda: f"{name}-1",
        int: lambda: 7,
        bool: lambda: True,
        dict: lambda: {"k": "v"},
        list: lambda: [{"k": "v"}],
    }
    return made[origin]()


@pytest.mark.parametrize("cls", CLASSES, ids=[f"{c.TYPE}V{c.VERSION}" for c in CLASSES])
@pytest.mark.parametrize("optional", [True, False], ids=["all keys", "no options"])
def test_each_class_round_trips_its_data(cls: type[Event], optional: bool) -> None:
    event = example(cls, optional=optional)
    data = event.to_data()
    check_canonical(data)  # JSON the ledger accepts
    assert EVENTS.read(cls.TYPE, cls.VERSION, data) == event
    assert EVENTS.read_as(Entry(0, cls.TYPE, cls.VERSION, 0, data), cls) == event
    not_data = {"attributed"} if cls is DecisionMadeV1 else set()  # a field, not a key
    absent = {f.name.rstrip("_") for f in fields(cls)} - set(data) - not_data
    assert absent == (set() if optional else set(cls.OPTIONAL))
    for key in cls.SUBJECTS:
        assert data[key] == {"kind": "person", "id": "110101199003070011"}


@pytest.mark.parametrize("cls", CLASSES, ids=[f"{c.TYPE}V{c.VERSION}" for c in CLASSES])
def test_each_class_names_a_missing_and_an_unknown_key(cls: type[Event]) -> None:
    data = example(cls, optional=True).to_data()
    required = next(k for k in data if k not in cls.OPTIONAL)
    del data[required]
    data["surplus"] = 1
    with pytest.raises(ValidationError) as refused:
        EVENTS.read(cls.TYPE, cls.VERSION, data)
    assert {p.field for p in refused.value.problems} == {f"data.{required}", "data.surplus"}


def test_a_subject_must_be_kind_and_id() -> None:
    data = example(RecordFiledV1, optional=False).to_data()
    with pytest.raises(ValidationError, match=r"data.subject: must be \{kind, id\}"):
        EVENTS.read("RecordFiled", 1, {**data, "subject": {"kind": "person"}})


def test_a_keyword_key_maps_to_a_field_with_an_underscore() -> None:
    data = {"organisation": "91110000600037341L", "representative": None, "from": "2026-01-01Z"}
    event = EVENTS.read("LegalRepresentativeRecorded", 1, data)
    assert isinstance(event, LegalRepresentativeRecordedV1) and event.from_ == "2026-01-01Z"
    assert event.to_data() == data


def test_a_decision_from_before_attribution_reads_and_writes_back_without_it() -> None:
    attributed = example(DecisionMadeV1, optional=False).to_data()
    assert attributed["requested_by"] == "requested_by-1"
    old = {k: v for k, v in attributed.items() if k not in ("requested_by", "purpose")}
    event = EVENTS.read_as(Entry(0, "DecisionMade", 1, 0, old), DecisionMadeV1)
    assert (event.attributed, event.requested_by, event.purpose) == (False, None, None)
    assert event.to_data() == old
    unnamed = {**attributed, "requested_by": None}  # attributed, but nobody named: null kept
    assert EVENTS.read("DecisionMade", 1, unnamed).to_data() == unnamed
    with pytest.raises(ValidationError, match=r"data\.attributed"):
        EVENTS.read("DecisionMade", 1, {**attributed, "attributed": True})


def test_the_decision_service_writes_the_data_of_the_event() -> None:
    decision = example(DecisionMadeV1, optional=True).to_data()
    del decision["requested_by"], decision["purpose"]  # as Decision.to_json() gives it
    for who in ("bank:example", None):
        data = DecisionMadeV1.data_of(decision, who, "credit_decision_with_consent")
        event = DecisionMadeV1.of(decision, who, "credit_decision_with_consent")
        assert data == event.to_data()
        assert EVENTS.read("DecisionMade", 1, data) == event


def test_optional_keys_are_absent_exactly_when_none() -> None:
    withdrawn = RecordWithdrawnV1(3, "bank:x", "error", False, repair="R3-1")
    assert withdrawn.to_data() == {
        "record": 3,
        "by": "bank:x",
        "reason": "error",
        "recertification_required": False,
        "repair": "R3-1",
    }


def test_read_as_refuses_another_type() -> None:
    data = example(RecordWithdrawnV1, optional=False).to_data()
    with pytest.raises(ValidationError, match="'RecordWithdrawn' is not RecordFiled"):
        EVENTS.read_as(Entry(0, "RecordWithdrawn", 1, 0, data), RecordFiledV1)


def test_the_ledger_takes_any_well_formed_type_and_the_registry_knows_which_exist(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    position = ledger.append([PendingEntry("ThingNoted", {"by": "x"}, version=3)]).positions[0]
    entry = ledger.entry(position)  # the ledger reads it back: it is an entry of T, V
    assert (entry.type, entry.version) == ("ThingNoted", 3)
    with pytest.raises(ValidationError) as unknown:
        EVENTS.read_entry(entry)
    assert unknown.value.problems[0].field == "type"
    newer = PendingEntry("RecordWithdrawn", {"record": 1}, version=2)
    with pytest.raises(ValidationError, match="newer than this code"):
        EVENTS.read_entry(ledger.entry(ledger.append([newer]).positions[0]))


@pytest.mark.parametrize(
    ("type_", "version", "reason"),
    [
        ("recordFiled", 1, "CamelCase"),
        ("Record Filed", 1, "CamelCase"),
        ("Récord", 1, "ASCII"),
        (7, 1, "CamelCase"),
        ("RecordFiled", 0, "between 1"),
        ("RecordFiled", True, "integer"),
        ("RecordFiled", "1", "integer"),
    ],
)
def test_a_malformed_type_or_version_is_refused(type_: Any, version: Any, reason: str) -> None:
    found = check_entry_type(type_, version)
    assert found is not None and reason in found
    raw = b'{"at":"2026-01-01T00:00:00Z","data":{},"type":%s,"v":%s}' % (
        b'"%s"' % type_.encode() if isinstance(type_, str) else str(type_).encode(),
        b'"1"' if version == "1" else (b"true" if version is True else str(version).encode()),
    )
    with pytest.raises(StorageError, match="not a valid EntryV1"):
        decode_entry(0, raw)
    assert check_entry_type("RecordFiled", 1) is None
