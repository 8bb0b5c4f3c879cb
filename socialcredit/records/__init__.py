"""Records: the rules about filed records that both scoring and rights depend on.

This package sits below :mod:`socialcredit.scoring` and :mod:`socialcredit.rights` (it imports
neither), so a record's lifecycle can use the dispute deadlines without an import cycle.
Today it holds :mod:`.deadlines` (business days and the deadlines of a dispute); the record rows,
the record index and the lifecycle move here next (issue 19).
"""

from socialcredit.records.deadlines import (
    ACK_BUSINESS_DAYS,
    DECIDE_DAYS,
    DECIDE_DAYS_WITH_EVIDENCE,
    DisputeDeadlines,
    add_business_days,
    day_end_us,
    day_of,
    decision_deadline_us,
    dispute_deadlines,
    is_business_day,
    load_holidays,
    roll_forward,
)

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
