"""Scoring: one definition (:mod:`.definition`), evaluated per subject (:mod:`.engine`) and in
batch with DuckDB (:mod:`.batch`), over the record rows and the record index of
:mod:`socialcredit.records`.
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
from socialcredit.scoring.reports import Rescore, history, rescore

__all__ = [
    "CompiledPolicy",
    "Contribution",
    "ExpiryStep",
    "Explanation",
    "KindTerms",
    "Rescore",
    "ScoreResult",
    "compile_policy",
    "explain",
    "history",
    "rescore",
    "score",
]
