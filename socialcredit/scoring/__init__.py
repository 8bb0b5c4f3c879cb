"""Scoring: one definition (:mod:`.definition`), evaluated per subject (:mod:`.engine`) and in
batch with DuckDB (:mod:`.batch`), over the record rows and the record index of
:mod:`socialcredit.records`.
"""

from socialcredit.scoring._batch import records_table
from socialcredit.scoring._columnar import ColumnarRecords
from socialcredit.scoring._definition import (
    CompiledPolicy,
    KindTerms,
    SchemeTerms,
    bin_points,
    clamp,
    compile_policy,
    feature_counts,
    raw_points,
    record_points,
    sector_grades,
)
from socialcredit.scoring._engine import (
    Contribution,
    ExpiryStep,
    Explanation,
    ScoreResult,
    compiled_bundle,
    explain,
    score,
)
from socialcredit.scoring._record_columns import refresh_columns_snapshot
from socialcredit.scoring._reports import Rescore, history, rescore
from socialcredit.scoring._vectorised import KindTable, RunningScores
from socialcredit.scoring._vectorised import bin_points as bin_points_array
from socialcredit.scoring._vectorised import evaluate as evaluate_arrays
from socialcredit.scoring._vectorised import feature_counts as feature_counts_array

__all__ = [
    "ColumnarRecords",
    "CompiledPolicy",
    "Contribution",
    "ExpiryStep",
    "Explanation",
    "KindTable",
    "KindTerms",
    "Rescore",
    "RunningScores",
    "SchemeTerms",
    "ScoreResult",
    "bin_points",
    "bin_points_array",
    "clamp",
    "compile_policy",
    "compiled_bundle",
    "evaluate_arrays",
    "explain",
    "feature_counts",
    "feature_counts_array",
    "history",
    "raw_points",
    "record_points",
    "records_table",
    "refresh_columns_snapshot",
    "rescore",
    "score",
    "sector_grades",
]
