"""The subject's rights: disputes with deadlines, appeals, statements, purpose-bound reads,
and the subject access report.

Modules: :mod:`.disputes` (open, acknowledge, evidence, decide, appeal, recertify, queue),
:mod:`.statements`, :mod:`.reads` (purpose whitelist, ``FileRead``), :mod:`.report` (subject
access report and export), :mod:`.events` (every entry the package writes, as typed events: its
writers build entries from them and its readers read them).
The deadline rules live in :mod:`socialcredit.records`, below scoring and rights.
"""

from socialcredit.records import dispute_deadlines
from socialcredit.rights.disputes import (
    DisputeRefusedError,
    DisputeState,
    acknowledge,
    add_evidence,
    appeal,
    correct_record,
    decide,
    decide_appeal,
    dispute_state,
    disputes_of,
    open_dispute,
    queue,
    recertify,
    withdraw_record,
)
from socialcredit.rights.reads import (
    PURPOSES,
    enquiries_of,
    log_read,
    log_reads,
    read_file,
    reads_of,
)
from socialcredit.rights.report import export_file, subject_report
from socialcredit.rights.statements import attach_statement, statements_of

__all__ = [
    "PURPOSES",
    "DisputeRefusedError",
    "DisputeState",
    "acknowledge",
    "add_evidence",
    "appeal",
    "attach_statement",
    "correct_record",
    "decide",
    "decide_appeal",
    "dispute_deadlines",
    "dispute_state",
    "disputes_of",
    "enquiries_of",
    "export_file",
    "log_read",
    "log_reads",
    "open_dispute",
    "queue",
    "read_file",
    "reads_of",
    "recertify",
    "statements_of",
    "subject_report",
    "withdraw_record",
]
