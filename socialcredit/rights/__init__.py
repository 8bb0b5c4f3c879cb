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
from socialcredit.rights._commitments import file_commitment
from socialcredit.rights._disputes import APPEAL_OUTCOMES as DISPUTE_APPEAL_OUTCOMES
from socialcredit.rights._disputes import (
    DISPUTE_TYPES,
    RATING_GIVEN,
    DisputeRefusedError,
    DisputeState,
    QueueItem,
    acknowledge,
    add_evidence,
    appeal,
    correct_record,
    decide,
    decide_appeal,
    dispute_state,
    disputes_of,
    open_dispute,
    project_disputes,
    queue,
    recertify,
    withdraw_record,
    withdrawal_entry,
)
from socialcredit.rights._disputes import OUTCOMES as DISPUTE_OUTCOMES
from socialcredit.rights._reads import (
    FILE_READ,
    PURPOSES,
    FileReadV1,
    Purpose,
    checked_purpose,
    checked_reader,
    entry_subject,
    log_read,
    log_reads,
    project_reads,
    purposes,
    read_entry,
    reads_of,
    required_purpose,
)
from socialcredit.rights._repair import APPEAL_OUTCOMES as REPAIR_APPEAL_OUTCOMES
from socialcredit.rights._repair import (
    FACT_KINDS,
    Condition,
    RepairQueueItem,
    RepairState,
    appeal_repair,
    apply_for_repair,
    decide_repair,
    repair_conditions_from_facts,
    repair_queue,
    repair_state,
    repairable_kind,
    repaired_positions,
    repairs_of,
)
from socialcredit.rights._repair import OUTCOMES as REPAIR_OUTCOMES
from socialcredit.rights._repair import conditions as repair_conditions
from socialcredit.rights._repair import decide_appeal as decide_repair_appeal
from socialcredit.rights._statements import (
    MAX_STATEMENT,
    STATEMENT_ATTACHED,
    Statement,
    attach_statement,
    statements_by_position,
    statements_of,
)

__all__ = [
    "DISPUTE_APPEAL_OUTCOMES",
    "DISPUTE_OUTCOMES",
    "DISPUTE_TYPES",
    "FACT_KINDS",
    "FILE_READ",
    "MAX_STATEMENT",
    "PURPOSES",
    "RATING_GIVEN",
    "REPAIR_APPEAL_OUTCOMES",
    "REPAIR_OUTCOMES",
    "STATEMENT_ATTACHED",
    "Condition",
    "DisputeRefusedError",
    "DisputeState",
    "FileReadV1",
    "Purpose",
    "QueueItem",
    "RepairQueueItem",
    "RepairState",
    "Statement",
    "acknowledge",
    "add_evidence",
    "appeal",
    "appeal_repair",
    "apply_for_repair",
    "attach_statement",
    "checked_purpose",
    "checked_reader",
    "correct_record",
    "decide",
    "decide_appeal",
    "decide_repair",
    "decide_repair_appeal",
    "dispute_deadlines",
    "dispute_state",
    "disputes_of",
    "entry_subject",
    "file_commitment",
    "log_read",
    "log_reads",
    "open_dispute",
    "project_disputes",
    "project_reads",
    "purposes",
    "queue",
    "read_entry",
    "reads_of",
    "recertify",
    "repair_conditions",
    "repair_conditions_from_facts",
    "repair_queue",
    "repair_state",
    "repairable_kind",
    "repaired_positions",
    "repairs_of",
    "required_purpose",
    "statements_by_position",
    "statements_of",
    "withdraw_record",
    "withdrawal_entry",
]
