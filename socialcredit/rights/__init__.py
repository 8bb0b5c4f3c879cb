"""The subject's rights: disputes with deadlines, appeals, statements, purpose-bound reads,
and the subject access report.

Modules: :mod:`.deadlines` (business days, dispute deadlines), :mod:`.disputes` (open,
acknowledge, evidence, decide, appeal, recertify, queue), :mod:`.statements`, :mod:`.reads`
(purpose whitelist, ``FileRead``), :mod:`.report` (subject access report and export).

The names below are imported on first use, so that :mod:`socialcredit.scoring.records` can
use :mod:`.deadlines` without importing the rest of this package (which builds on scoring).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real types for checkers; at run time the names load on first use
    from .deadlines import dispute_deadlines
    from .disputes import (
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
    from .reads import PURPOSES, enquiries_of, log_read, log_reads, read_file, reads_of
    from .report import export_file, subject_report
    from .statements import attach_statement, statements_of

_EXPORTS = {
    "DisputeRefusedError": "disputes",
    "DisputeState": "disputes",
    "acknowledge": "disputes",
    "add_evidence": "disputes",
    "appeal": "disputes",
    "correct_record": "disputes",
    "decide": "disputes",
    "decide_appeal": "disputes",
    "dispute_state": "disputes",
    "disputes_of": "disputes",
    "open_dispute": "disputes",
    "queue": "disputes",
    "recertify": "disputes",
    "withdraw_record": "disputes",
    "attach_statement": "statements",
    "statements_of": "statements",
    "PURPOSES": "reads",
    "log_read": "reads",
    "log_reads": "reads",
    "enquiries_of": "reads",
    "read_file": "reads",
    "reads_of": "reads",
    "export_file": "report",
    "subject_report": "report",
    "dispute_deadlines": "deadlines",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
