"""Whole-ledger views built on the scoring definition: batch rescoring and score history."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from socialcredit.errors import ConfigurationError
from socialcredit.ledger import Ledger
from socialcredit.scoring.batch import BatchScore, batch_scores, records_table
from socialcredit.scoring.definition import CompiledPolicy, record_points
from socialcredit.scoring.engine import ScoreResult, resolve_policy, score, to_us
from socialcredit.scoring.records import RecordRow, ledger_index

__all__ = ["Rescore", "history", "rescore"]


@dataclass(frozen=True, slots=True)
class Rescore:
    """Every subject's score at ``as_of`` (batch), with the grade distribution."""

    as_of: datetime
    known_at: datetime
    revision: int | None
    scores: list[BatchScore]
    reasons: list[tuple[str, int]]

    def grades(self) -> dict[str, int]:
        """How many subjects hold each grade."""
        return dict(Counter(s.grade for s in self.scores))


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

    Uses the policy in force at ``as_of`` as known at ``known_at`` (default ``as_of``).
    ``engine`` ``"spark"`` runs the same definition on Apache Spark at ``master`` instead
    (:mod:`socialcredit.scoring.spark`); the scores are identical.

    Raises:
        ValueError: if a time is naive.
        ConfigurationError: if the engine is unknown, or Spark cannot start.
    """
    known = as_of if known_at is None else known_at
    policy = resolve_policy(ledger, as_of, known)
    rows = list(ledger_index(ledger).effective_rows(to_us(known)))
    scores = _engine_scores(engine, master, records_table(rows), policy, as_of, known)
    return Rescore(as_of, known, policy.revision, scores, _reasons(rows, policy, as_of, known))


def _engine_scores(
    engine: str,
    master: str,
    table: pa.Table,
    policy: CompiledPolicy,
    as_of: datetime,
    known_at: datetime,
) -> list[BatchScore]:
    """The batch scores from the named evaluator (DuckDB in process, or Spark at ``master``)."""
    if engine == "duckdb":
        return batch_scores(table, policy, as_of=as_of, known_at=known_at)
    if engine == "spark":
        from socialcredit.scoring.spark import spark_batch_scores, spark_session

        session = spark_session(master)
        return spark_batch_scores(session, table, policy, as_of=as_of, known_at=known_at)
    raise ConfigurationError(f"engine {engine!r} is unknown; expected 'duckdb' or 'spark'")


def _reasons(
    rows: list[RecordRow], policy: CompiledPolicy, as_of: datetime, known_at: datetime
) -> list[tuple[str, int]]:
    """Record kinds by how many known records of that kind count against someone now."""
    as_of_us, known_us = to_us(as_of), to_us(known_at)
    counts = Counter(
        row.kind
        for row in rows
        if row.recorded_at_us <= known_us
        and record_points(policy, row.kind, row.amount, row.occurred_at_us, as_of_us) < 0
    )
    return counts.most_common()


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
