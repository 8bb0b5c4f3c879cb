"""The scoring definition as one DuckDB query: every subject's total and grade at once.

The query reads the projected record rows (:class:`~.records.RecordRow`) and the compiled
per-kind table (:class:`~.definition.KindTerms`) and implements :mod:`.definition` step by
step with integer arithmetic only (``HUGEINT`` products, floor division of non-negative
numbers), so its results equal the per-subject evaluator's exactly.

Subjects scored: every subject with at least one record known at ``known_at``
(``recorded_at <= known_at``), even if none of those records counts at ``as_of`` (its total
is then the base score).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from socialcredit.scoring.definition import CompiledPolicy
from socialcredit.scoring.engine import to_us
from socialcredit.scoring.records import RecordRow

__all__ = ["BatchScore", "batch_scores", "kinds_table", "records_table"]

_RECORDS_SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("subject_kind", pa.string()),
        ("subject_id", pa.string()),
        ("kind", pa.string()),
        ("occurred_at_us", pa.int64()),
        ("recorded_at_us", pa.int64()),
        ("amount", pa.int64()),
    ]
)

_QUERY = """
WITH known AS (
    SELECT * FROM records WHERE recorded_at_us <= $known_at
), subjects AS (
    SELECT DISTINCT subject_kind, subject_id FROM known
), active AS (
    SELECT r.subject_kind, r.subject_id, k.per_unit, k.points, k.cap, k.linear, k.expiry_us,
           r.occurred_at_us + k.expiry_us - $as_of AS remaining_us,
           CAST(coalesce(r.amount, 0) AS HUGEINT) AS amount
    FROM known r JOIN kinds k ON r.kind = k.kind
    WHERE r.occurred_at_us <= $as_of AND $as_of < r.occurred_at_us + k.expiry_us
), raw AS (
    SELECT *, CASE WHEN per_unit = 0 THEN CAST(points AS HUGEINT)
                   ELSE sign(per_unit) * least(abs(per_unit) * least(amount, cap), cap)
              END AS raw
    FROM active
), decayed AS (
    SELECT subject_kind, subject_id,
           CASE WHEN linear THEN sign(raw) * ((abs(raw) * remaining_us) // expiry_us)
                ELSE raw END AS points
    FROM raw
), sums AS (
    SELECT subject_kind, subject_id, sum(points) AS points
    FROM decayed GROUP BY subject_kind, subject_id
), totals AS (
    SELECT s.subject_kind, s.subject_id,
           CAST(greatest($low, least($high, $base + coalesce(t.points, 0))) AS BIGINT) AS total
    FROM subjects s LEFT JOIN sums t USING (subject_kind, subject_id)
)
SELECT t.subject_kind, t.subject_id, t.total, g.grade
FROM totals t JOIN grades g ON t.total BETWEEN g.min AND g.max
ORDER BY t.subject_kind, t.subject_id
"""


class BatchScore(NamedTuple):
    """One subject's total and grade from the batch query."""

    subject_kind: str
    subject_id: str
    total: int
    grade: str


def records_table(rows: Iterable[RecordRow]) -> pa.Table:
    """Projected rows as an Arrow table with the schema the query expects."""
    return pa.Table.from_pylist([r._asdict() for r in rows], schema=_RECORDS_SCHEMA)


def kinds_table(policy: CompiledPolicy) -> pa.Table:
    """The compiled per-kind terms as an Arrow table."""
    columns = ("kind", "points", "per_unit", "cap", "expiry_us", "linear")
    rows = [{c: getattr(t, c) for c in columns} for t in policy.kinds.values()]
    types = [pa.string(), pa.int64(), pa.int64(), pa.int64(), pa.int64(), pa.bool_()]
    schema = pa.schema(list(zip(columns, types, strict=True)))
    return pa.Table.from_pylist(rows, schema=schema)


def _grades_table(policy: CompiledPolicy) -> pa.Table:
    rows = [{"grade": b.grade, "min": b.min, "max": b.max} for b in policy.grades]
    schema = pa.schema([("grade", pa.string()), ("min", pa.int64()), ("max", pa.int64())])
    return pa.Table.from_pylist(rows, schema=schema)


def batch_scores(
    records: pa.Table | Iterable[RecordRow],
    policy: CompiledPolicy,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> list[BatchScore]:
    """Every subject's ``(subject_kind, subject_id, total, grade)``, sorted by subject.

    Args:
        records: an Arrow table with :data:`RecordRow` columns, or the rows themselves.
        policy: the compiled policy.
        as_of: the time scored (aware).
        known_at: only records recorded at or before it count (aware; default ``as_of``).
        connection: a DuckDB connection to use (default: a fresh in-memory one).

    Raises:
        ValueError: if ``as_of`` or ``known_at`` is naive.
    """
    table = records if isinstance(records, pa.Table) else records_table(records)
    params: dict[str, Any] = {
        "as_of": to_us(as_of),
        "known_at": to_us(as_of if known_at is None else known_at),
        "base": policy.base,
        "low": policy.low,
        "high": policy.high,
    }
    con = duckdb.connect() if connection is None else connection
    try:
        con.register("records", table)
        con.register("kinds", kinds_table(policy))
        con.register("grades", _grades_table(policy))
        out = con.execute(_QUERY, params).fetchall()
    finally:
        for name in ("records", "kinds", "grades"):
            con.unregister(name)
        if connection is None:
            con.close()
    return [BatchScore(str(k), str(i), int(t), str(g)) for k, i, t, g in out]
