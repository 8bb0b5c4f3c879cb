"""The subject's rights: disputes with deadlines, appeals, statements and purpose-bound reads.

Modules: :mod:`.disputes` (open, acknowledge, evidence, decide, appeal, recertify, queue),
:mod:`.statements`, :mod:`.reads` (purpose whitelist, ``FileRead``), :mod:`.events` (every
entry the package writes, as typed events: its writers build entries from them and its readers
read them).
The deadline rules live in :mod:`socialcredit.records`, below scoring and rights. The subject
access report, which also shows the consequences, lives above both in
:mod:`socialcredit.reports`.
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
    reads_of,
)
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
    "log_read",
    "log_reads",
    "open_dispute",
    "queue",
    "reads_of",
    "recertify",
    "statements_of",
    "withdraw_record",
]
