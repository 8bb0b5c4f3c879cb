"""The dispute deadlines, kept here for compatibility: they live in
:mod:`socialcredit.records.deadlines`, below both scoring and rights."""

from socialcredit.records.deadlines import (
    ACK_BUSINESS_DAYS,
    DAY_US,
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
    "DAY_US",
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
