"""Business-day arithmetic and the deadlines of a dispute, as pure functions of ledger time.

Business days are Monday to Friday in UTC, minus an optional set of holidays (default none;
:func:`load_holidays` reads a YAML list of dates). Every deadline is a *day*; it is met by
anything recorded before the end of that day (00:00 UTC of the next day), which is the
``..._us`` instant from which the deadline is overdue.

* Acknowledge by: the 5th business day after the day the dispute was opened (opened on a
  Friday → acknowledge by the next Friday).
* Decide by: 30 calendar days after the opening day, 45 if new evidence was recorded before
  the 30-day deadline passed; a due date that is not a business day moves to the next one.

Times are microseconds since the Unix epoch (``int``) or aware datetimes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from socialcredit.errors import Problem, ValidationError
from socialcredit.timeutil import DAY_US, to_us

__all__ = [
    "ACK_BUSINESS_DAYS",
    "DECIDE_DAYS",
    "DECIDE_DAYS_WITH_EVIDENCE",
    "DisputeDeadlines",
    "add_business_days",
    "day_end_us",
    "day_of",
    "decision_deadline_us",
    "dispute_deadlines",
    "is_business_day",
    "load_holidays",
    "roll_forward",
]

ACK_BUSINESS_DAYS = 5
DECIDE_DAYS = 30
DECIDE_DAYS_WITH_EVIDENCE = 45
_EPOCH = date(1970, 1, 1)
Holidays = frozenset[date] | set[date]
Moment = int | datetime


def _us(moment: Moment) -> int:
    return moment if isinstance(moment, int) else to_us(moment)


def day_of(moment: Moment) -> date:
    """The UTC calendar day of ``moment``."""
    return _EPOCH + timedelta(days=_us(moment) // DAY_US)


def day_end_us(day: date) -> int:
    """The end of ``day`` (exclusive): 00:00 UTC of the next day, in microseconds."""
    return ((day - _EPOCH).days + 1) * DAY_US


def is_business_day(day: date, holidays: Holidays = frozenset()) -> bool:
    """True for Monday to Friday, unless ``day`` is in ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def add_business_days(day: date, count: int, holidays: Holidays = frozenset()) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself never counts).

    Raises:
        ValueError: if ``count`` is negative.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    while count:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            count -= 1
    return day


def roll_forward(day: date, holidays: Holidays = frozenset()) -> date:
    """``day`` if it is a business day, else the next business day."""
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return day


def decision_deadline_us(
    opened: Moment, evidence: Iterable[Moment] = (), holidays: Holidays = frozenset()
) -> int:
    """The instant from which an undecided dispute is overdue (and its record suspended).

    ``evidence`` are the times new evidence was recorded; any before the 30-day deadline
    extends it to 45 days.
    """
    opening_day = day_of(opened)
    base = day_end_us(roll_forward(opening_day + timedelta(days=DECIDE_DAYS), holidays))
    if any(_us(e) < base for e in evidence):
        extended = opening_day + timedelta(days=DECIDE_DAYS_WITH_EVIDENCE)
        return day_end_us(roll_forward(extended, holidays))
    return base


@dataclass(frozen=True, slots=True)
class DisputeDeadlines:
    """The deadlines of one dispute.

    Attributes:
        acknowledge_by: the last day to acknowledge.
        acknowledge_overdue_us: from this instant an unacknowledged dispute is overdue.
        decide_by: the last day to decide.
        decision_overdue_us: from this instant an undecided dispute is overdue and its record
            is suspended from scoring and lists.
        extended: True if new evidence extended the decision deadline to 45 days.
    """

    acknowledge_by: date
    acknowledge_overdue_us: int
    decide_by: date
    decision_overdue_us: int
    extended: bool

    def to_json(self) -> dict[str, object]:
        """The deadlines as JSON-able values (days as ISO dates)."""
        return {
            "acknowledge_by": self.acknowledge_by.isoformat(),
            "decide_by": self.decide_by.isoformat(),
            "extended": self.extended,
        }


def dispute_deadlines(
    opened: Moment, evidence: Iterable[Moment] = (), holidays: Holidays = frozenset()
) -> DisputeDeadlines:
    """The acknowledgement and decision deadlines of a dispute opened at ``opened``."""
    evidence = list(evidence)
    ack = add_business_days(day_of(opened), ACK_BUSINESS_DAYS, holidays)
    decide_us = decision_deadline_us(opened, evidence, holidays)
    base_us = decision_deadline_us(opened, (), holidays)
    return DisputeDeadlines(
        acknowledge_by=ack,
        acknowledge_overdue_us=day_end_us(ack),
        decide_by=day_of(decide_us - 1),
        decision_overdue_us=decide_us,
        extended=decide_us != base_us,
    )


def load_holidays(path: str | Path) -> frozenset[date]:
    """A holiday list from a YAML file holding a list of ISO dates.

    Raises:
        ValidationError: naming the entry that is not a date.
    """
    document = yaml.safe_load(Path(path).read_text()) or []
    if not isinstance(document, list):
        raise ValidationError("bad holiday list", [Problem(str(path), "must be a list of dates")])
    days = set()
    for i, value in enumerate(document):
        try:
            days.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError as exc:
            raise ValidationError("bad holiday list", [Problem(f"{path}[{i}]", str(exc))]) from exc
    return frozenset(days)
