"""Business days and dispute deadlines, from a table of hand-checked cases."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from socialcredit.errors import ValidationError
from socialcredit.records import (
    add_business_days,
    day_end_us,
    decision_deadline_us,
    dispute_deadlines,
    is_business_day,
    load_holidays,
)
from socialcredit.timeutil import to_us
from tests.rights.helpers import at

XMAS = frozenset({date(2026, 12, 25), date(2027, 1, 1)})

# opened at, holidays, acknowledge by, decide by, decide by with new evidence
CASES = [
    (at(2026, 1, 2, 10), frozenset(), "2026-01-09", "2026-02-02", "2026-02-16"),  # Fri; 30th a Sun
    (at(2026, 3, 2, 9), frozenset(), "2026-03-09", "2026-04-01", "2026-04-16"),  # Mon
    (at(2026, 1, 3, 12), frozenset(), "2026-01-09", "2026-02-02", "2026-02-17"),  # Sat
    (at(2026, 3, 1, 23, 59), frozenset(), "2026-03-06", "2026-03-31", "2026-04-15"),  # Sun
    (at(2026, 12, 23, 8), XMAS, "2026-12-31", "2027-01-22", "2027-02-08"),  # over Christmas
    (at(2026, 12, 31, 8), XMAS, "2027-01-08", "2027-02-01", "2027-02-15"),  # New Year holiday
]


@pytest.mark.parametrize(("opened", "holidays", "ack", "decide", "extended"), CASES)
def test_deadline_table(
    opened: object, holidays: frozenset[date], ack: str, decide: str, extended: str
) -> None:
    plain = dispute_deadlines(opened, (), holidays)  # type: ignore[arg-type]
    assert plain.acknowledge_by.isoformat() == ack
    assert plain.decide_by.isoformat() == decide
    assert not plain.extended
    evidence = to_us(opened) + 86_400_000_000  # type: ignore[arg-type]
    late = dispute_deadlines(opened, [evidence], holidays)  # type: ignore[arg-type]
    assert late.decide_by.isoformat() == extended and late.extended
    assert late.acknowledge_by == plain.acknowledge_by
    assert plain.acknowledge_overdue_us == day_end_us(plain.acknowledge_by)
    assert plain.decision_overdue_us == day_end_us(plain.decide_by)


def test_evidence_after_the_30_day_deadline_does_not_extend() -> None:
    opened = to_us(at(2026, 3, 2, 9))
    base = decision_deadline_us(opened)
    assert decision_deadline_us(opened, [base]) == base
    assert decision_deadline_us(opened, [base - 1]) > base


def test_business_days() -> None:
    friday = date(2026, 1, 2)
    assert is_business_day(friday) and not is_business_day(friday + timedelta(days=1))
    assert not is_business_day(date(2026, 12, 25), XMAS)
    assert add_business_days(friday, 0) == friday
    assert add_business_days(friday, 1) == date(2026, 1, 5)
    assert add_business_days(friday, 10) == date(2026, 1, 16)
    with pytest.raises(ValueError, match="count"):
        add_business_days(friday, -1)


def test_holiday_file(tmp_path: Path) -> None:
    good = tmp_path / "holidays.yaml"
    good.write_text("- 2026-12-25\n- '2027-01-01'\n")
    assert load_holidays(good) == XMAS
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 2026-12-25\n- christmas\n")
    with pytest.raises(ValidationError) as caught:
        load_holidays(bad)
    assert caught.value.problems[0].field.endswith("[1]")


def test_naive_datetimes_are_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        dispute_deadlines(datetime(2026, 1, 1))
