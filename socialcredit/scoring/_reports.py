"""Whole-ledger views built on the scoring definition: batch rescoring and score history."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from socialcredit.errors import ConfigurationError
from socialcredit.ledger import Entry, Ledger
from socialcredit.policy import in_force, read_published
from socialcredit.records import ledger_index
from socialcredit.scoring._batch import BatchScore, batch_scores_table, scores_of_table
from socialcredit.scoring._definition import CompiledPolicy
from socialcredit.scoring._engine import ScoreResult, resolve_policy, score
from socialcredit.scoring._record_columns import current_columns
from socialcredit.scoring._stream import effective_of
from socialcredit.scoring._vectorised import KindTable, record_points
from socialcredit.timeutil import to_us

__all__ = ["Rescore", "history", "policy_in_force", "reasons", "rescore"]


@dataclass(frozen=True, slots=True)
class Rescore:
    """Every subject's score at ``as_of`` (batch), with the grade distribution.

    Attributes:
        table: the scores as an Arrow table (subject_kind, subject_id, total, grade, and a
            ``sector_<id>`` column per sector scheme), sorted by subject: the form for
            millions of subjects.
        reasons: record kinds by how many known records of that kind count against someone
            at ``as_of``, most first (ties by kind).
        restored_from: the size of the record-columns snapshot the read started from (0:
            the whole ledger was scanned).
        refused: why newer record-columns snapshots were refused (the scores are the same).
        schemes: the ids of the policy's sector grade schemes, in policy order.
    """

    as_of: datetime
    known_at: datetime
    revision: int | None
    table: pa.Table
    reasons: list[tuple[str, int]]
    restored_from: int = 0
    refused: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()

    @property
    def scores(self) -> list[BatchScore]:
        """Every subject's score, with its sector grades, as Python objects (built on each
        access)."""
        return scores_of_table(self.table, self.schemes)

    def grades(self) -> dict[str, int]:
        """How many subjects hold each grade."""
        counts = pc.value_counts(self.table.column("grade")).to_pylist()
        return {c["values"]: c["counts"] for c in counts}


def rescore(
    ledger: Ledger,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    engine: str = "duckdb",
    master: str = "local[2]",
    snapshot: bool = True,
) -> Rescore:
    """Score every subject of the ledger at once with the DuckDB evaluator, over the
    effective records at ``known_at`` (corrections applied, withdrawn and suspended left out).

    The effective records are read from the store in bulk and handed to the evaluator as
    Arrow batches (:func:`~socialcredit.scoring._stream.effective_records`), never replayed
    into Python objects; they are the records the replay gives (``RecordIndex``). With
    ``snapshot``, the filed records come from the newest trusted record-columns snapshot
    (:mod:`~socialcredit.scoring._record_columns`) and only the entries after it are read;
    the scores are the same either way.
    Uses the policy in force at ``as_of`` as known at ``known_at`` (default ``as_of``).
    ``engine`` ``"spark"`` runs the same definition on Apache Spark at ``master`` instead
    (:mod:`socialcredit.scoring._spark`); the scores are identical.

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
    current = current_columns(ledger, snapshot=snapshot)
    found = effective_of(current.columns, to_us(known), current.lifecycle)
    policy = policy_in_force(found.policies, as_of, known)
    # The reasons (NumPy) are counted while the engine runs: both release the GIL.
    with ThreadPoolExecutor(1, thread_name_prefix="rescore-reasons") as pool:
        counting = pool.submit(reasons, found.table, policy, as_of, known)
        table = _engine_scores(engine, master, found.table, policy, as_of, known)
        why = counting.result()
    schemes = tuple(s.id for s in policy.schemes)
    return Rescore(
        as_of, known, policy.revision, table, why, current.restored_from, current.refused, schemes
    )


def policy_in_force(
    published: Iterable[Entry], as_of: datetime, known_at: datetime
) -> CompiledPolicy:
    """The compiled policy in force at ``as_of`` as known at ``known_at``, among the
    ``PolicyPublished`` entries ``published`` (the whole ledger's, in order); the default
    policy when none is, as :func:`~socialcredit.scoring._engine.resolve_policy` decides.

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
        from socialcredit.scoring._spark import spark_scores, spark_session

        session = spark_session(master)
        return spark_scores(session, table, policy, as_of=as_of, known_at=known_at)
    return batch_scores_table(table, policy, as_of=as_of, known_at=known_at)


def reasons(
    records: pa.Table, policy: CompiledPolicy, as_of: datetime, known_at: datetime
) -> list[tuple[str, int]]:
    """Record kinds by how many of ``records`` (known at ``known_at``) count against their
    subject at ``as_of`` (negative points), most first, ties by kind; evaluated with the
    NumPy evaluator of the scoring definition (:mod:`.vectorised`)."""
    known = _known(records, to_us(known_at))
    if known.num_rows == 0:
        return []
    kinds = pc.dictionary_encode(known.column("kind").combine_chunks())
    table = KindTable.of(policy)
    codes = table.encode(kinds.dictionary.to_pylist())[np.asarray(kinds.indices)]
    amount = pc.fill_null(known.column("amount"), 0).to_numpy()
    occurred = known.column("occurred_at_us").to_numpy()
    points = record_points(table, codes, amount, occurred, to_us(as_of))
    counts = np.bincount(codes[points < 0], minlength=table.neutral + 1)
    found = [(table.kinds[c], int(n)) for c, n in enumerate(counts[: table.neutral]) if n]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))


def _known(records: pa.Table, known_at_us: int) -> pa.Table:
    """The rows of ``records`` recorded at or before ``known_at_us`` (``records`` itself when
    that is all of them: no copy)."""
    recorded = records.column("recorded_at_us")
    latest = pc.max(recorded).as_py() if records.num_rows else None
    if latest is None or latest <= known_at_us:
        return records
    return records.filter(pc.less_equal(recorded, known_at_us))


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
