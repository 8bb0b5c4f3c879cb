"""Whole-ledger views built on the scoring definition: batch rescoring and score history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socialcredit.errors import ConfigurationError
from socialcredit.ledger import Entry, Ledger
from socialcredit.policy.publish import in_force, read_published
from socialcredit.scoring.batch import BatchScore, batch_scores_table
from socialcredit.scoring.definition import CompiledPolicy
from socialcredit.scoring.engine import ScoreResult, resolve_policy, score, to_us
from socialcredit.scoring.records import ledger_index
from socialcredit.scoring.stream import effective_records
from socialcredit.scoring.vectorised import KindTable, record_points

__all__ = ["Rescore", "history", "policy_in_force", "reasons", "rescore"]


@dataclass(frozen=True, slots=True)
class Rescore:
    """Every subject's score at ``as_of`` (batch), with the grade distribution.

    Attributes:
        table: the scores as an Arrow table (subject_kind, subject_id, total, grade), sorted
            by subject: the form for millions of subjects.
        reasons: record kinds by how many known records of that kind count against someone
            at ``as_of``, most first (ties by kind).
    """

    as_of: datetime
    known_at: datetime
    revision: int | None
    table: pa.Table
    reasons: list[tuple[str, int]]

    @property
    def scores(self) -> list[BatchScore]:
        """Every subject's score as Python objects (built on each access)."""
        columns = (self.table.column(c).to_pylist() for c in _SCORE_COLUMNS)
        return [BatchScore(*row) for row in zip(*columns, strict=True)]

    def grades(self) -> dict[str, int]:
        """How many subjects hold each grade."""
        counts = pc.value_counts(self.table.column("grade")).to_pylist()
        return {c["values"]: c["counts"] for c in counts}


_SCORE_COLUMNS = ("subject_kind", "subject_id", "total", "grade")
_SCORES_SCHEMA = pa.schema(
    list(zip(_SCORE_COLUMNS, [pa.string(), pa.string(), pa.int64(), pa.string()], strict=True))
)


def rescore(
    ledger: Ledger,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    engine: str = "duckdb",
    master: str = "local[2]",
) -> Rescore:
    """Score every subject of the ledger at once with the DuckDB evaluator, over the
    effective records at ``known_at`` (corrections applied, withdrawn and suspended left out).

    The effective records are read from the store in bulk and handed to the evaluator as
    Arrow batches (:func:`~socialcredit.scoring.stream.effective_records`), never replayed
    into Python objects; they are the records the replay gives (``RecordIndex``).
    Uses the policy in force at ``as_of`` as known at ``known_at`` (default ``as_of``).
    ``engine`` ``"spark"`` runs the same definition on Apache Spark at ``master`` instead
    (:mod:`socialcredit.scoring.spark`); the scores are identical.

    Raises:
        ValueError: if a time is naive.
        ConfigurationError: if the engine is unknown, or Spark cannot start.
        LedgerError, StorageError: if the stored entries cannot be read.
    """
    known = as_of if known_at is None else known_at
    if as_of.tzinfo is None or known.tzinfo is None:
        raise ValueError("as_of and known_at must be timezone-aware")
    if engine not in ("duckdb", "spark"):
        raise ConfigurationError(f"engine {engine!r} is unknown; expected 'duckdb' or 'spark'")
    found = effective_records(ledger, to_us(known))
    policy = policy_in_force(found.policies, as_of, known)
    table = _engine_scores(engine, master, found.table, policy, as_of, known)
    return Rescore(as_of, known, policy.revision, table, reasons(found.table, policy, as_of, known))


def policy_in_force(
    published: Iterable[Entry], as_of: datetime, known_at: datetime
) -> CompiledPolicy:
    """The compiled policy in force at ``as_of`` as known at ``known_at``, among the
    ``PolicyPublished`` entries ``published`` (the whole ledger's, in order); the default
    policy when none is, as :func:`~socialcredit.scoring.engine.resolve_policy` decides.

    Raises:
        PolicyError: if a published entry no longer loads or its digest does not match.
    """
    bundles = [read_published(entry) for entry in published]
    chosen = in_force(bundles, as_of, known_at)
    return resolve_policy(None, as_of, known_at, None if chosen is None else chosen.bundle)


def _engine_scores(
    engine: str,
    master: str,
    table: pa.Table,
    policy: CompiledPolicy,
    as_of: datetime,
    known_at: datetime,
) -> pa.Table:
    """The batch scores from the named evaluator (DuckDB in process, or Spark at ``master``),
    as an Arrow table sorted by subject."""
    if engine == "spark":
        from socialcredit.scoring.spark import spark_batch_scores, spark_session

        session = spark_session(master)
        scores = spark_batch_scores(session, table, policy, as_of=as_of, known_at=known_at)
        return pa.Table.from_pylist([s._asdict() for s in scores], schema=_SCORES_SCHEMA)
    return batch_scores_table(table, policy, as_of=as_of, known_at=known_at)


def reasons(
    records: pa.Table, policy: CompiledPolicy, as_of: datetime, known_at: datetime
) -> list[tuple[str, int]]:
    """Record kinds by how many of ``records`` (known at ``known_at``) count against their
    subject at ``as_of`` (negative points), most first, ties by kind; evaluated with the
    NumPy evaluator of the scoring definition (:mod:`.vectorised`)."""
    known = records.filter(pc.less_equal(records.column("recorded_at_us"), to_us(known_at)))
    if known.num_rows == 0:
        return []
    kinds = pc.dictionary_encode(known.column("kind").combine_chunks())
    table = KindTable.of(policy)
    codes = table.encode(kinds.dictionary.to_pylist())[np.asarray(kinds.indices, np.int64)]
    amount = pc.fill_null(known.column("amount"), 0).to_numpy()
    occurred = known.column("occurred_at_us").to_numpy()
    points = record_points(table, codes, amount, occurred, to_us(as_of))
    counts = np.bincount(codes[points < 0], minlength=table.neutral + 1)
    found = [(table.kinds[c], int(n)) for c, n in enumerate(counts[: table.neutral]) if n]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))


def history(
    ledger: Ledger,
    subject_kind: str,
    subject_id: str,
    *,
    start: datetime,
    end: datetime,
    every: timedelta = timedelta(days=30),
) -> list[ScoreResult]:
    """The subject's score at ``start``, ``start + every``, ... up to ``end``, each as known
    at that date (what the subject could have been told then).

    Raises:
        ValueError: if ``every`` is not positive or a time is naive.
    """
    if every <= timedelta(0):
        raise ValueError("every must be a positive duration")
    index = ledger_index(ledger)
    points = []
    moment = start
    while moment <= end:
        points.append(moment)
        moment += every
    return [
        score(index, subject_kind, subject_id, as_of=at, policy=resolve_policy(ledger, at, at))
        for at in points
    ]
