"""Scoring: one definition (:mod:`.definition`), evaluated per subject (:mod:`.engine`) and in
batch with DuckDB (:mod:`.batch`), over records projected from the ledger (:mod:`.records`).
"""

from socialcredit.scoring.definition import CompiledPolicy, KindTerms, compile_policy
from socialcredit.scoring.engine import (
    Contribution,
    ExpiryStep,
    Explanation,
    ScoreResult,
    explain,
    score,
)
from socialcredit.scoring.records import RecordIndex, RecordRow, record_rows
from socialcredit.scoring.reports import Rescore, history, rescore

__all__ = [
    "CompiledPolicy",
    "Contribution",
    "ExpiryStep",
    "Explanation",
    "KindTerms",
    "RecordIndex",
    "RecordRow",
    "Rescore",
    "ScoreResult",
    "compile_policy",
    "explain",
    "history",
    "record_rows",
    "rescore",
    "score",
]
