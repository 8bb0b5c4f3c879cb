"""The scoring definition, the per-subject engine, the record index and the DuckDB batch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from socialcredit.catalogue import default_catalogue
from socialcredit.demo._filers import source_of
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.policy import (
    PolicyBundle,
    default_bundle,
    file_hash,
    load_bundle_from_files,
    publish,
)
from socialcredit.policy._scoring import check_scoring
from socialcredit.records import RecordIndex, RecordRow
from socialcredit.scoring import CompiledPolicy, compile_policy, explain, score
from socialcredit.timeutil import to_us
from tests.records_factory import person
from tests.test_governance import publish_governed

DAY = timedelta(days=1)
US = timedelta(microseconds=1)
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def compiled(**tiers: dict[str, str]) -> CompiledPolicy:
    """The default policy, with some tiers replaced."""
    bundle = default_bundle()
    doc = yaml.safe_load(bundle.files["scoring.yaml"])
    doc["tiers"].update(tiers)
    policy, problems = check_scoring(doc, bundle.catalogue)
    assert policy is not None, problems
    return compile_policy(policy, bundle.catalogue)


DEFAULT = compiled()
LINEAR = compiled(
    minor={"expiry": "3m", "decay": "linear"}, positive={"expiry": "1y", "decay": "linear"}
)


def index_of(*records: tuple[str, datetime, int | None], subject: str = "p1") -> RecordIndex:
    """An index of ``(kind, occurred_at, amount)`` records of one person, recorded at once."""
    rows = [
        RecordRow(i, "person", subject, kind, to_us(at), to_us(at), amount)
        for i, (kind, at, amount) in enumerate(records)
    ]
    return RecordIndex.from_rows(rows)


def total(index: RecordIndex, as_of: datetime, policy: CompiledPolicy = DEFAULT) -> int:
    return score(index, "person", "p1", as_of=as_of, policy=policy).total


# --- hand-computed examples ----------------------------------------------------------------


def test_fixed_points_count_in_their_dimension() -> None:
    result = score(
        index_of(("loan_default", T0, 500)), "person", "p1", as_of=T0 + DAY, policy=DEFAULT
    )
    assert (result.total, result.grade) == (970, "A")
    assert result.dimensions["finance"] == -30
    assert result.dimensions["civic"] == 0
    [part] = result.contributions
    assert (part.position, part.kind, part.points) == (0, "loan_default", -30)
    assert part.expires_at == T0 + 365 * DAY


@pytest.mark.parametrize(("amount", "points"), [(7, 7), (20, 20), (50, 20), (None, 0), (0, 0)])
def test_per_unit_points_are_capped(amount: int | None, points: int) -> None:
    assert total(index_of(("volunteering", T0, amount)), T0) == 1000 + points


def test_expiry_boundary_is_exclusive() -> None:
    index = index_of(("fare_evasion", T0, 2))  # minor: 3m = 90 days
    assert total(index, T0 - US) == 1000  # not yet occurred
    assert total(index, T0) == 990
    assert total(index, T0 + 90 * DAY - US) == 990
    assert total(index, T0 + 90 * DAY) == 1000
    expired = score(index, "person", "p1", as_of=T0 + 90 * DAY, policy=DEFAULT)
    assert expired.contributions[0].points == 0
    assert "expired" in expired.contributions[0].reason


@pytest.mark.parametrize(
    ("elapsed", "points"),
    [
        (timedelta(0), -10),
        (US, -9),  # -10 * (E - 1us) / E = -9.99.. truncates toward zero
        (45 * DAY, -5),
        (46 * DAY, -4),  # -10 * 44 / 90 = -4.89
        (89 * DAY, 0),  # -10 * 1 / 90 = -0.11
        (90 * DAY, 0),
    ],
)
def test_linear_decay_truncates_toward_zero(elapsed: timedelta, points: int) -> None:
    index = index_of(("fare_evasion", T0, None))
    assert total(index, T0 + elapsed, LINEAR) == 1000 + points


def test_linear_decay_of_positive_points() -> None:
    index = index_of(("blood_donation", T0, 1))  # +20 over 365 days
    assert total(index, T0 + 100 * DAY, LINEAR) == 1000 + (20 * 265) // 365


def test_total_is_clamped_to_bounds() -> None:
    crimes = [("debtor_obstructs_enforcement", T0, None)] * 7  # 7 * -150 = -1050
    result = score(index_of(*crimes), "person", "p1", as_of=T0, policy=DEFAULT)
    assert (result.total, result.grade) == (0, "D")
    assert result.dimensions["judicial"] == -1050


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([("civic_award", T0, None)], (1050, "AAA")),
        (
            [("civic_award", T0, None), ("volunteering", T0, 9), ("fare_evasion", T0, 1)],
            (1049, "AA"),
        ),
        ([("a_grade_taxpayer", T0, None)], (1030, "AA")),
        ([("blood_donation", T0, 1), ("volunteering", T0, 9)], (1029, "A")),
        ([("fare_evasion", T0, 1), ("fare_evasion", T0, 1)] * 2, (960, "A")),
        ([("fare_evasion", T0, 1)] * 5, (950, "B")),
    ],
)
def test_grade_boundaries(
    records: list[tuple[str, datetime, int | None]], expected: tuple[int, str]
) -> None:
    result = score(index_of(*records), "person", "p1", as_of=T0, policy=DEFAULT)
    assert (result.total, result.grade) == expected


def test_neutral_and_unknown_kinds_contribute_nothing() -> None:
    index = index_of(("judgment_performed", T0, 5), ("no_such_kind", T0, None))
    result = score(index, "person", "p1", as_of=T0, policy=DEFAULT)
    assert result.total == 1000
    assert [c.points for c in result.contributions] == [0, 0]
    assert result.contributions[0].expires_at is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        score(index_of(), "person", "p1", as_of=datetime(2025, 1, 1), policy=DEFAULT)


# --- explanations --------------------------------------------------------------------------


def test_explanation_gives_reasons_and_recourse() -> None:
    index = index_of(
        ("loan_default", datetime(2025, 1, 10, tzinfo=UTC), 100),
        ("fare_evasion", T0, 1),
        ("charitable_donation", T0, 1),
    )
    as_of = datetime(2025, 4, 1, tzinfo=UTC)
    why = explain(index, "person", "p1", as_of=as_of, policy=DEFAULT)
    assert (why.result.total, why.result.grade) == (970, "A")
    assert [c.kind for c in why.top_reasons] == ["loan_default", "fare_evasion"]
    assert (why.next_grade, why.points_to_next_grade) == ("AA", 60)
    steps = [(s.at, s.positions, s.total, s.grade) for s in why.expiries]
    assert steps == [
        (datetime(2025, 5, 30, tzinfo=UTC), (1,), 980, "A"),
        # the donation (1y, +10) expires on 2026-03-01, after the loan default
        (datetime(2026, 1, 10, tzinfo=UTC), (0,), 1010, "A"),
    ]


def test_explanation_at_the_top_grade_has_no_next_grade() -> None:
    why = explain(index_of(("civic_award", T0, None)), "person", "p1", as_of=T0, policy=DEFAULT)
    assert (why.next_grade, why.points_to_next_grade, why.expiries) == (None, None, ())


# --- ledger: bitemporal and incremental ----------------------------------------------------


def row(subject: str, kind: str, occurred: str, amount: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"subject_id": subject, "subject_kind": "person", "kind": kind}
    out |= {"occurred_at": occurred, "source": source_of(default_catalogue().kind(kind)).name}
    if amount is not None:
        out["amount"] = str(amount)
    return out


def ingest(ledger: Ledger, *rows: dict[str, Any]) -> None:
    summary = ingest_rows(ledger, default_catalogue(), enumerate(rows, 1))
    assert not summary.refusal_reasons, summary


def test_bitemporal_known_at_and_as_of(make_ledger: Callable[..., Ledger], clock: Any) -> None:
    ledger, who = make_ledger(), person(1)
    recorded_first = datetime.fromtimestamp(clock.now_us / 1e6, UTC)  # 2026-01-01
    ingest(ledger, row(who, "loan_default", "2025-12-01T00:00:00Z", 10))
    clock.advance(10 * 86_400)
    ingest(ledger, row(who, "fare_evasion", "2025-12-15T00:00:00Z", 1))
    recorded_second = recorded_first + 10 * DAY
    index = RecordIndex.build(ledger)
    now = recorded_second + DAY

    def total_at(as_of: datetime, known_at: datetime | None = None) -> int:
        return score(index, "person", who, as_of=as_of, known_at=known_at).total

    assert total_at(now) == 960  # known_at defaults to as_of; policy: the default bundle
    assert total_at(now, known_at=recorded_second - US) == 970  # fare evasion not yet known
    assert total_at(recorded_first + DAY) == 970  # as known then
    assert total_at(recorded_first + DAY, known_at=now) == 960  # as known now
    assert total_at(datetime(2025, 12, 10, tzinfo=UTC), known_at=now) == 970  # not occurred
    assert total_at(datetime(2025, 11, 30, tzinfo=UTC), known_at=now) == 1000
    assert score(ledger, "person", who, as_of=now).total == 960  # straight from the ledger


def test_incremental_catch_up_equals_rebuild(make_ledger: Callable[..., Ledger]) -> None:
    from tests.records_factory import valid_rows

    ledger = make_ledger()
    rows = valid_rows(300, seed=3)
    ingest_rows(ledger, default_catalogue(), enumerate(rows[:120], 1))
    index = RecordIndex.build(ledger)
    first = len(index)
    seen = index.next_position
    ingest_rows(ledger, default_catalogue(), enumerate(rows[120:], 121))
    starts: list[int] = []
    entries = ledger.entries

    def spy(start: int = 0, stop: int | None = None) -> Any:
        starts.append(start)
        return entries(start, stop)

    ledger.entries = spy  # type: ignore[method-assign]
    added = index.catch_up(ledger)
    assert starts == [seen]  # only entries after the last one seen are read
    assert first + added == len(index) == 300
    assert index.catch_up(ledger) == 0
    ledger.entries = entries  # type: ignore[method-assign]
    assert index.snapshot() == RecordIndex.build(ledger).snapshot()
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    for kind, subject in index.subjects()[:20]:
        fresh = score(ledger, kind, subject, as_of=as_of, policy=DEFAULT)
        assert score(index, kind, subject, as_of=as_of, policy=DEFAULT) == fresh


def loan_default_doubled(revision: int, effective_from: str) -> PolicyBundle:
    """The default bundle with loan defaults at -60, as another revision."""
    files = dict(default_bundle().files)
    scoring = (
        files["scoring.yaml"]
        .decode()
        .replace(
            "{kind: loan_default, dimension: finance, points: -30}",
            "{kind: loan_default, dimension: finance, points: -60}",
        )
    )
    files["scoring.yaml"] = scoring.encode()
    manifest = yaml.safe_load(files["manifest.yaml"])
    manifest |= {"revision": revision, "effective_from": effective_from}
    manifest["files"]["scoring.yaml"] = file_hash(files["scoring.yaml"])
    files["manifest.yaml"] = yaml.safe_dump(manifest).encode()
    return load_bundle_from_files(files)


def test_policy_defaults_to_the_bundle_in_force(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger, who = make_ledger(), person(2)
    start = datetime.fromtimestamp(clock.now_us / 1e6, UTC)  # 2026-01-01
    publish(ledger, default_bundle())  # the genesis: revision 1 (in force since 2020)
    ingest(ledger, row(who, "loan_default", "2025-12-01T00:00:00Z", 10))
    clock.advance(86_400)  # revision 2 is published on 2026-01-02, in force 45 days later
    publish_governed(ledger, loan_default_doubled(2, "2026-02-16T00:00:00Z"))
    in_force = datetime(2026, 2, 16, tzinfo=UTC)
    index = RecordIndex.build(ledger)

    def result(as_of: datetime, known_at: datetime | None = None) -> tuple[int, int | None]:
        found = score(index, "person", who, as_of=as_of, known_at=known_at)
        return found.total, found.revision

    assert result(start + DAY / 2) == (970, 1)  # revision 2 not yet published
    assert result(start + DAY / 2, known_at=start + 2 * DAY) == (970, 1)  # never retroactive
    assert result(start + 2 * DAY) == (970, 1)  # published, pending until its date
    assert result(in_force - DAY / 2) == (970, 1)
    assert result(in_force) == (940, 2)
    assert result(in_force, known_at=start + DAY / 2) == (970, 1)  # as known before it
    before = datetime(2025, 5, 1, tzinfo=UTC)  # the record had not occurred
    assert result(before, known_at=in_force) == (1000, 1)
    bundle = loan_default_doubled(3, "2025-01-01T00:00:00Z")
    assert score(index, "person", who, as_of=start + 2 * DAY, policy=bundle).revision == 3


def test_expiry_schedule_equals_scoring_at_each_date() -> None:
    """The schedule's fast path (no decay) equals a full evaluation on each expiry date."""
    import random

    from socialcredit.scoring import compiled_bundle
    from socialcredit.scoring._engine import evaluate

    policy = compiled_bundle(default_bundle())
    kinds = [
        "fare_evasion",
        "loan_default",
        "volunteering",
        "blood_donation",
        "administrative_penalty_serious",
        "tax_evasion",
        "civic_award",
    ]
    rng = random.Random(3)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    for trial in range(20):
        rows = tuple(
            RecordRow(i, "person", "s", kind, to_us(at), to_us(at), rng.choice([None, 5, 5000]))
            for i, (kind, at) in enumerate(
                (rng.choice(kinds), now - timedelta(days=rng.randrange(0, 1200)))
                for _ in range(rng.randrange(1, 40))
            )
        )
        found = explain(RecordIndex.from_rows(rows), "person", "s", as_of=now, policy=policy)
        for step in found.expiries:
            again = evaluate(policy, rows, ("person", "s"), step.at, now)
            assert (step.total, step.grade) == (again.total, again.grade), trial
