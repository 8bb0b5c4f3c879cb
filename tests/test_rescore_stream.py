"""``rescore`` streams the effective records from the store: the same records and the same
scores as the replay into a :class:`RecordIndex`, on a city with every kind of lifecycle."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import default_catalogue
from socialcredit.demo._city import build_city
from socialcredit.errors import SocialCreditError
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.rights import _disputes as d
from socialcredit.scoring import record_points, rescore
from socialcredit.scoring._batch import batch_scores_table, records_table
from socialcredit.scoring._engine import resolve_policy
from socialcredit.scoring._entry_columns import canonical_times_us
from socialcredit.scoring._stream import effective_records
from socialcredit.timeutil import format_time, parse_time, to_us

from .conftest import Clock

MakeLedger = Callable[..., Ledger]
OFFICERS = ("officer:li", "officer:wang")


def _day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def _lifecycle(ledger: Ledger, clock: Clock, rng: random.Random, steps: int) -> None:
    """Random corrections, withdrawals, recertifications, disputes (some decided late, some
    never), evidence and appeals through the rights API, a day or a week apart."""
    index = RecordIndex.build(ledger)
    positions = [r.position for r in index.rows()]
    disputes: list[str] = []
    for _ in range(steps):
        clock.advance(rng.choice([3600, 86_400, 7 * 86_400]))
        position = rng.choice(positions)
        action = rng.randrange(9)
        try:
            if action == 0:
                change: dict[str, Any] = rng.choice(
                    [
                        {"amount": rng.randrange(0, 9000)},
                        {"amount": None},
                        {"occurred_at": format_time(to_us(_day(2025, rng.randrange(1, 13), 3)))},
                    ]
                )
                d.correct_record(ledger, position, change, OFFICERS[0], "Corrected at source.")
            elif action == 1:
                d.withdraw_record(ledger, position, OFFICERS[0], "Filed in error.")
            elif action == 2:
                d.recertify(ledger, position, OFFICERS[0], "Certified accurate.")
            elif action in (3, 4):
                disputes.append(d.open_dispute(ledger, position, "This is not mine."))
            elif action == 5 and disputes:
                d.add_evidence(ledger, rng.choice(disputes), "A receipt.", OFFICERS[1])
            elif action in (6, 7) and disputes:
                outcome = rng.choice(["upheld", "corrected", "deleted"])
                d.decide(
                    ledger,
                    rng.choice(disputes),
                    outcome,
                    OFFICERS[0],
                    "Reviewed.",
                    {"amount": rng.randrange(0, 500)} if outcome == "corrected" else None,
                )
            elif action == 8 and disputes:
                dispute = rng.choice(disputes)
                d.appeal(ledger, dispute, "The decision was wrong.")
                outcome = rng.choice(["confirmed", "corrected", "deleted"])
                d.decide_appeal(
                    ledger,
                    dispute,
                    outcome,
                    OFFICERS[1],
                    "On appeal.",
                    {"amount": 7} if outcome == "corrected" else None,
                )
        except SocialCreditError:
            continue  # refused (already withdrawn, not decided yet...): try something else


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """A small demo city, then three months of lifecycle."""
    from socialcredit.ledger import create_key_file
    from socialcredit.storage._sqlite import SQLiteStore

    directory = tmp_path_factory.mktemp("city")
    clock = Clock(to_us(_day(2026, 11, 2)))
    ledger = Ledger.create(
        SQLiteStore(directory / "l.db"), create_key_file(directory / "k.key"), "test/city", clock
    )
    build_city(
        ledger,
        default_catalogue(),
        residents=800,
        organisations=60,
        seed=11,
        policy=default_bundle(),
    )
    _lifecycle(ledger, clock, random.Random(5), 400)
    return ledger


def _replayed(ledger: Ledger, known_us: int) -> list[tuple[Any, ...]]:
    return sorted(RecordIndex.build(ledger).effective_rows(known_us))


def _streamed(ledger: Ledger, known_us: int, **options: Any) -> list[tuple[Any, ...]]:
    table = effective_records(ledger, known_us, **options).table
    return sorted(tuple(row.values()) for row in table.to_pylist())


def _moments(ledger: Ledger) -> list[int]:
    last = ledger.store.state().last_recorded_at_us
    return [
        last,
        last - 20 * 86_400_000_000,
        last - 60 * 86_400_000_000,
        to_us(_day(2025, 6, 1)),
        to_us(_day(2023, 1, 1)),
    ]


def test_the_city_has_every_kind_of_lifecycle(city: Ledger) -> None:
    types = Counter(e.type for e in city.entries())
    for kind in (
        "RecordCorrected",
        "RecordWithdrawn",
        "RecordRecertified",
        "DisputeOpened",
        "DisputeEvidenceAdded",
        "DisputeDecided",
        "AppealDecided",
    ):
        assert types[kind] > 0, kind
    index = RecordIndex.build(city)
    last = city.store.state().last_recorded_at_us
    states = Counter(index.status(r.position, last).state for r in index.rows())
    assert {"corrected", "withdrawn", "suspended", "active"} <= set(states), states


@pytest.mark.parametrize(("bundles", "run"), [(1, 8192), (3, 1), (2048, 40)])
def test_streamed_records_equal_the_replay(
    city: Ledger, bundles: int, run: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialcredit.scoring import _stream as stream

    monkeypatch.setattr(stream, "_RUN", run)  # runs of kept rows this long are sliced
    for known in _moments(city):
        assert _streamed(city, known, bundles_per_batch=bundles) == _replayed(city, known)


def _replay_rescore(ledger: Ledger, as_of: datetime, known: datetime) -> tuple[pa.Table, list]:
    """The rescore as it was: replay, then the batch plan; reasons counted row by row."""
    policy = resolve_policy(ledger, as_of, known)
    rows = list(RecordIndex.build(ledger).effective_rows(to_us(known)))
    table = batch_scores_table(records_table(rows), policy, as_of=as_of, known_at=known)
    counts = Counter(
        r.kind
        for r in rows
        if record_points(policy, r.kind, r.amount, r.occurred_at_us, to_us(as_of)) < 0
    )
    return table, sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


def test_rescore_equals_the_replay(city: Ledger) -> None:
    for known_us in _moments(city):
        known = datetime.fromtimestamp(known_us / 1e6, UTC)
        for as_of in (known, known + timedelta(days=200)):
            done = rescore(city, as_of=as_of, known_at=known)
            table, reasons = _replay_rescore(city, as_of, known)
            assert done.table.equals(table)
            assert done.reasons == reasons
            assert done.revision == resolve_policy(city, as_of, known).revision


def test_records_off_the_plain_path_are_read_as_the_replay_reads_them(
    make_ledger: MakeLedger, clock: Clock
) -> None:
    ledger = make_ledger()
    odd = [
        {
            "kind": "loan_default",
            "occurred_at": "2025-03-01T00:00:00.123Z",
            "subject": {"kind": "person", "id": 'quote"d\\id'},
            "amount": "12",
        },
        {
            "kind": "fare_evasion",
            "occurred_at": "2025-03-01T00:00:00.000001Z",
            "subject": {"kind": "person", "id": "p\u00e9\n"},
            "amount": None,
        },
        {
            "kind": "volunteering",
            "occurred_at": "2025-02-28T23:59:59Z",
            "subject": {"kind": "person", "id": "p2"},
            "amount": 2**53 - 1,
            "extra": {"at": "x"},
        },
        {
            "kind": "volunteering",
            "occurred_at": "2025-02-28T23:59:59Z",
            "subject": {"kind": "person", "id": "p3"},
            "amount": True,
        },
    ]
    ledger.append([PendingEntry("RecordFiled", data) for data in odd])
    ledger.append([PendingEntry("RecordWithdrawn", {"record": 1, "by": "x", "reason": "r"})])
    known = ledger.store.state().last_recorded_at_us
    assert _streamed(ledger, known) == _replayed(ledger, known)
    assert len(_streamed(ledger, known)) == 3


def test_an_empty_ledger_rescores_to_nothing(make_ledger: MakeLedger) -> None:
    done = rescore(make_ledger(), as_of=_day(2026, 1, 1))
    assert done.table.num_rows == 0 and done.scores == [] and done.reasons == []


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    style=st.sampled_from(["canonical", "fraction", "short", "bad"]),
)
def test_canonical_times_read_as_parse_time_reads_them(moment: datetime, style: str) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    text = {
        "canonical": text + "Z",
        "fraction": f"{text}.{moment.microsecond:06d}Z",
        "short": f"{text}.{moment.microsecond // 1000:03d}Z",
        "bad": text[:-2] + "61Z",
    }[style]
    try:
        expected: int | None = parse_time(text)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            canonical_times_us(pa.array([text]))
    else:
        assert canonical_times_us(pa.array(["2025-01-01T00:00:00Z", text])).tolist()[1] == expected


def test_rescore_from_a_record_columns_snapshot_equals_the_replay(city: Ledger) -> None:
    from socialcredit.scoring import refresh_columns_snapshot

    done = refresh_columns_snapshot(city)
    assert done["size"] == city.size() and done["refused"] == []
    for known_us in _moments(city):
        known = datetime.fromtimestamp(known_us / 1e6, UTC)
        for as_of in (known, known + timedelta(days=200)):
            warm = rescore(city, as_of=as_of, known_at=known)
            cold = rescore(city, as_of=as_of, known_at=known, snapshot=False)
            table, reasons = _replay_rescore(city, as_of, known)
            assert warm.restored_from == city.size() and cold.restored_from == 0
            assert warm.table.equals(table) and cold.table.equals(table)
            assert warm.reasons == cold.reasons == reasons
