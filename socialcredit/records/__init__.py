"""Records: the rows of filed records, their lifecycle and the deadline rules, which both
scoring and rights depend on.

This package sits above :mod:`socialcredit.ledger` and below :mod:`socialcredit.scoring` and
:mod:`socialcredit.rights` (it imports neither), so a record's lifecycle can use the dispute
deadlines without an import cycle. Its surface:

* record rows: :class:`RecordRow` (a ``RecordFiled`` entry as plain values),
  :func:`project_entry`, :func:`project_entries`, :func:`record_rows`, and the entry types
  :data:`RECORD_FILED` and :data:`LIFECYCLE_ENTRY_TYPES`;
* the record index: :class:`RecordIndex` (rows per subject with each record's lifecycle,
  bitemporal in ledger time), :class:`RecordStatus`, :func:`ledger_index` (the index shared by
  one ledger object) and :func:`subject_index` (one subject's, read through the per-subject
  index);
* business days and the deadlines of a dispute (:func:`dispute_deadlines`,
  :func:`decision_deadline_us` …).
"""

from socialcredit.records._deadlines import (
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
from socialcredit.records._index import RecordIndex, RecordStatus, ledger_index, subject_index
from socialcredit.records._rows import (
    LIFECYCLE_ENTRY_TYPES,
    RECORD_FILED,
    RecordRow,
    project_entries,
    project_entry,
    record_rows,
)

__all__ = [
    "ACK_BUSINESS_DAYS",
    "DECIDE_DAYS",
    "DECIDE_DAYS_WITH_EVIDENCE",
    "LIFECYCLE_ENTRY_TYPES",
    "RECORD_FILED",
    "DisputeDeadlines",
    "RecordIndex",
    "RecordRow",
    "RecordStatus",
    "add_business_days",
    "day_end_us",
    "day_of",
    "decision_deadline_us",
    "dispute_deadlines",
    "is_business_day",
    "ledger_index",
    "load_holidays",
    "project_entries",
    "project_entry",
    "record_rows",
    "roll_forward",
    "subject_index",
]
