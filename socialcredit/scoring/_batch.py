"""The scoring definition as one DuckDB query: every subject's total and grade at once.

The query reads the projected record rows (:class:`~.records.RecordRow`); the compiled
per-kind terms (:class:`~.definition.KindTerms`) are compiled into it as constants
(:func:`relational_plan`). It implements :mod:`.definition` step by step with integer
arithmetic only (exact integer types, floor division of non-negative numbers), so its results
equal the per-subject evaluator's exactly.

Subjects scored: every subject with at least one record known at ``known_at``
(``recorded_at <= known_at``), even if none of those records counts at ``as_of`` (its total
is then the base score).

A policy with sector grade schemes (step 7 of the definition) adds one column per scheme,
``sector_<scheme id>``, holding the subject's grade in it; the SQL is generated from the
compiled scheme (:func:`_sector_sql`) as the total's is from the compiled kinds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

import pyarrow as pa

from socialcredit.records import RecordRow
from socialcredit.scoring._definition import CompiledPolicy, FeatureTerms, KindTerms, SchemeTerms
from socialcredit.timeutil import to_us

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "DUCKDB",
    "RECORDS_SCHEMA",
    "SPARK",
    "BatchScore",
    "Records",
    "SqlDialect",
    "batch_scores",
    "batch_scores_table",
    "kinds_table",
    "records_table",
    "relational_plan",
    "scores_of_table",
    "sector_column",
]

RECORDS_SCHEMA = pa.schema(
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
"""The columns of record rows (:class:`~.records.RecordRow`) that the query reads."""

_EVERY_SUBJECT_KIND = frozenset({"person", "organisation"})
_SAFE = 2**62  # products below this fit BIGINT with room to spare; larger ones use HUGEINT

_PLAN = """
WITH known AS (
    SELECT subject_kind, subject_id, kind, occurred_at_us, amount, {expiry} AS expiry_us
    FROM {records} WHERE recorded_at_us <= {known_at}
), totals AS (
    SELECT subject_kind, subject_id,
           CAST(greatest({low}, least({high}, {base} + coalesce(sum(
               CASE WHEN occurred_at_us <= {as_of} AND {as_of} < occurred_at_us + expiry_us
                    THEN {points} END), 0){features})) AS BIGINT) AS total{sector_parts}
    FROM known GROUP BY subject_kind, subject_id
)
SELECT subject_kind, subject_id, total, {grade} AS grade{sector_grades}
FROM totals{order}
"""


@dataclass(frozen=True, slots=True)
class SqlDialect:
    """What differs between the SQL engines the plan is compiled for.

    Attributes:
        wide: the exact integer type for products that may not fit 64 bits.
        div: the integer division operator (floor division of non-negative numbers).
        order: whether the plan sorts its output (else the caller sorts).
    """

    wide: str
    div: str
    order: bool


DUCKDB = SqlDialect(wide="HUGEINT", div="//", order=True)
SPARK = SqlDialect(wide="DECIMAL(38,0)", div="div", order=False)
_DUCKDB_VALUES = {k: f"${k}" for k in ("as_of", "known_at", "base", "low", "high")}


def relational_plan(
    policy: CompiledPolicy,
    dialect: SqlDialect = DUCKDB,
    values: Mapping[str, object] = _DUCKDB_VALUES,
    records: str = "records",
) -> str:
    """The definition compiled to one query for ``policy``: each kind's terms become constants
    in two ``CASE kind`` expressions (its expiry, and its points while active), so the plan
    is a single scan and aggregation with no join; each binned rule adds one conditional
    count and a ``CASE`` over its bins. ``values`` gives ``as_of``, ``known_at``
    (microseconds), ``base``, ``low``, ``high`` — DuckDB parameters by default, or literals;
    ``records`` names the relation of record rows. Grade bands become a ``CASE`` too.

    Integer types are chosen per kind: ``BIGINT`` when every intermediate product is below
    2**62, else the dialect's wide type — exact either way.
    """
    bands = " ".join(
        f"WHEN total BETWEEN {b.min} AND {b.max} THEN {_literal(b.grade)}" for b in policy.grades
    )
    common = {**values, "records": records, "grade": f"CASE {bands} END"}
    common["order"] = " ORDER BY subject_kind, subject_id" if dialect.order else ""
    as_of = str(values["as_of"])
    common["features"] = "".join(f" + {_feature_sql(f, as_of)}" for f in policy.features)
    terms = sorted(policy.kinds.values(), key=lambda t: t.kind)
    # a kind only binned rules count: its tier's expiry (the same as a per-record rule's)
    only_counted = sorted((k, c[1]) for k, c in policy.counted.items() if k not in policy.kinds)
    if not terms and not only_counted:
        _add_sectors(common, policy, dialect, as_of)
        return _PLAN.format(expiry="CAST(NULL AS BIGINT)", points="0", **common)
    expiry = " ".join(f"WHEN {_literal(t.kind)} THEN {t.expiry_us}" for t in terms)
    expiry += "".join(f" WHEN {_literal(k)} THEN {us}" for k, us in only_counted)
    points = " ".join(
        f"WHEN {_literal(t.kind)} THEN {_points_sql(t, dialect, as_of)}" for t in terms
    )
    points_sql = f"CASE kind {points} END" if terms else "CAST(NULL AS BIGINT)"
    _add_sectors(common, policy, dialect, as_of)
    return _PLAN.format(expiry=f"CASE kind {expiry.strip()} END", points=points_sql, **common)


def sector_column(scheme_id: str) -> str:
    """The name of the output column holding the grade of scheme ``scheme_id``."""
    return f"sector_{scheme_id}"


def _add_sectors(
    common: dict[str, object], policy: CompiledPolicy, dialect: SqlDialect, as_of: str
) -> None:
    """Fill the plan's sector parts (aggregates per subject, then the grade columns)."""
    parts = [_sector_sql(i, s, policy, dialect, as_of) for i, s in enumerate(policy.schemes)]
    common["sector_parts"] = "".join(aggregate for aggregate, _ in parts)
    common["sector_grades"] = "".join(
        f", {grade} AS {sector_column(s.id)}"
        for s, (_, grade) in zip(policy.schemes, parts, strict=True)
    )


def _sector_sql(
    i: int, scheme: SchemeTerms, policy: CompiledPolicy, dialect: SqlDialect, as_of: str
) -> tuple[str, str]:
    """Step 7 for one scheme: three aggregates over the subject's known rows (sector score,
    worst trigger rank or -1, whether the sector knows the subject), and the grade expression
    over them — the order of :func:`.definition.sector_grade`."""
    active = f"occurred_at_us <= {as_of} AND {as_of} < occurred_at_us + expiry_us"
    happened = f"occurred_at_us <= {as_of}"
    points = "0"
    if scheme.kinds:
        # the points of the scheme's kinds only: a short CASE, null for every other kind
        each = " ".join(
            f"WHEN {_literal(k)} THEN {_points_sql(policy.kinds[k], dialect, as_of)}"
            for k in sorted(scheme.kinds)
        )
        points = f"coalesce(sum(CASE WHEN {active} THEN CASE kind {each} END END), 0)"
    binned = "".join(f" + {_feature_sql(policy.features[f], as_of)}" for f in scheme.features)
    score = f"greatest({scheme.low}, least({scheme.high}, {scheme.base} + {points}{binned}))"
    triggers = " ".join(
        f"WHEN kind = {_literal(kind)} AND {happened} AND {as_of} < occurred_at_us + {window} "
        f"THEN {rank}"
        for kind, (rank, window) in sorted(scheme.triggers.items())
    )
    trigger = f"coalesce(max(CASE {triggers} END), -1)" if triggers else "-1"
    history = ", ".join(_literal(k) for k in sorted(scheme.history))
    known = f"count(CASE WHEN kind IN ({history}) AND {happened} THEN 1 END)" if history else "0"
    aggregates = (
        f", CAST({score} AS BIGINT) AS s{i}_score, CAST({trigger} AS BIGINT) AS s{i}_trigger"
        f", CAST({known} AS BIGINT) AS s{i}_known"
    )
    by_rank = " ".join(f"WHEN {r} THEN {_literal(g)}" for r, g in enumerate(scheme.grades))
    bands = " ".join(
        f"WHEN s{i}_score BETWEEN {low} AND {high} THEN {_literal(scheme.grades[rank])}"
        for low, high, rank in scheme.bands
    )
    no_history = _literal(scheme.grades[scheme.no_history])
    grade = (
        f"CASE WHEN s{i}_trigger >= 0 THEN (CASE s{i}_trigger {by_rank} END) "
        f"WHEN s{i}_known = 0 THEN {no_history} {bands} END"
    )
    if scheme.subject_kinds != _EVERY_SUBJECT_KIND:  # no grade for the kinds it does not grade
        graded = ", ".join(_literal(k) for k in sorted(scheme.subject_kinds))
        grade = f"CASE WHEN subject_kind IN ({graded}) THEN {grade} END"
    return aggregates, grade


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _feature_sql(feature: FeatureTerms, as_of: str) -> str:
    """Step 6 for one binned rule: the bin of the count of active records of its kinds, as
    an expression over the group's aggregate (grouped by subject)."""
    kinds = ", ".join(_literal(kind) for kind in sorted(feature.expiry_us))
    # expiry_us of the known rows is the kind's tier expiry: the one the rule counts with
    active = f"occurred_at_us <= {as_of} AND {as_of} < occurred_at_us + expiry_us"
    count = f"count(CASE WHEN kind IN ({kinds}) AND {active} THEN 1 END)"
    bins = " ".join(
        f"WHEN {count} <= {upper} THEN {points}"
        for upper, points in zip(feature.uppers, feature.points, strict=False)
    )
    return f"(CASE {bins} ELSE {feature.points[-1]} END)"


def _points_sql(terms: KindTerms, dialect: SqlDialect, as_of: str) -> str:
    """Steps 3 and 4 of the definition for one kind, as SQL over a record's columns."""
    if terms.per_unit == 0:
        raw, largest = str(terms.points), abs(terms.points)
    else:
        largest = terms.cap
        wide = abs(terms.per_unit) * terms.cap >= _SAFE
        amount = f"CAST(coalesce(amount, 0) AS {dialect.wide})" if wide else "coalesce(amount, 0)"
        sign = "-" if terms.per_unit < 0 else ""
        raw = f"{sign}least({abs(terms.per_unit)} * least({amount}, {terms.cap}), {terms.cap})"
    if not terms.linear:
        return raw
    remaining = f"(occurred_at_us + {terms.expiry_us} - {as_of})"
    if largest * terms.expiry_us >= _SAFE:
        remaining = f"CAST({remaining} AS {dialect.wide})"
    # sign(raw) * ((|raw| * remaining) div expiry), without a floating-point sign function
    fade = f"(({{r}}) * {remaining}) {dialect.div} {terms.expiry_us}"
    positive, negative = fade.format(r=raw), fade.format(r=f"-({raw})")
    return f"CASE WHEN ({raw}) >= 0 THEN {positive} ELSE -({negative}) END"


class BatchScore(NamedTuple):
    """One subject's total and grade from the batch query, and its grade in each sector
    scheme that grades its kind, as ``(scheme id, grade)`` pairs in policy order (none
    without schemes)."""

    subject_kind: str
    subject_id: str
    total: int
    grade: str
    sector_grades: tuple[tuple[str, str], ...] = ()


def records_table(rows: Iterable[RecordRow]) -> pa.Table:
    """Projected rows as an Arrow table with the schema the query expects."""
    return pa.Table.from_pylist([r._asdict() for r in rows], schema=RECORDS_SCHEMA)


def kinds_table(policy: CompiledPolicy) -> pa.Table:
    """The compiled per-kind terms as an Arrow table."""
    columns = ("kind", "points", "per_unit", "cap", "expiry_us", "linear")
    rows = [{c: getattr(t, c) for c in columns} for t in policy.kinds.values()]
    types = [pa.string(), pa.int64(), pa.int64(), pa.int64(), pa.int64(), pa.bool_()]
    schema = pa.schema(list(zip(columns, types, strict=True)))
    return pa.Table.from_pylist(rows, schema=schema)


Records: TypeAlias = pa.Table | Iterable[RecordRow] | str | Path
"""Record rows: an Arrow table with :data:`RecordRow` columns, the rows themselves, or the path
of Parquet file(s) with those columns (a glob is fine; read lazily, so larger than memory)."""


def batch_scores(
    records: Records,
    policy: CompiledPolicy,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> list[BatchScore]:
    """Every subject's ``(subject_kind, subject_id, total, grade)``, sorted by subject.

    Args:
        records: the record rows (see :data:`Records`).
        policy: the compiled policy.
        as_of: the time scored (aware).
        known_at: only records recorded at or before it count (aware; default ``as_of``).
        connection: a DuckDB connection to use (default: a fresh in-memory one).

    Raises:
        ValueError: if ``as_of`` or ``known_at`` is naive.
    """
    out = batch_scores_table(records, policy, as_of=as_of, known_at=known_at, connection=connection)
    return scores_of_table(out, policy)


def scores_of_table(table: pa.Table, schemes: CompiledPolicy | Sequence[str]) -> list[BatchScore]:
    """The rows of a scores table (DuckDB's or Spark's) as :class:`BatchScore` objects; the
    sector grade columns are those of ``schemes`` (a policy's schemes, or their ids)."""
    base = ("subject_kind", "subject_id", "total", "grade")
    columns = [table.column(c).to_pylist() for c in base]
    ids = [s.id for s in schemes.schemes] if isinstance(schemes, CompiledPolicy) else list(schemes)
    sectors = [table.column(sector_column(i)).to_pylist() for i in ids]
    # a scheme that does not grade the subject's kind gives NULL: no pair for it
    grades = [
        tuple((i, g) for i, g in zip(ids, row, strict=True) if g is not None)
        for row in zip(*sectors, strict=True)
    ]
    if not ids:
        grades = [()] * table.num_rows
    return [
        BatchScore(str(k), str(i), int(t), str(g), s)
        for k, i, t, g, s in zip(*columns, grades, strict=True)
    ]


def batch_scores_table(
    records: Records,
    policy: CompiledPolicy,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """:func:`batch_scores` as an Arrow table (columns subject_kind, subject_id, total, grade),
    without a Python object per subject — the form for millions of subjects.

    Raises:
        ValueError: if ``as_of`` or ``known_at`` is naive.
    """
    params: dict[str, Any] = {
        "as_of": to_us(as_of),
        "known_at": to_us(as_of if known_at is None else known_at),
        "base": policy.base,
        "low": policy.low,
        "high": policy.high,
    }
    import duckdb  # imported on use: it is slow to import (CLI start-up)

    con = duckdb.connect() if connection is None else connection
    try:
        _register_records(con, records)
        return con.sql(relational_plan(policy), params=params).to_arrow_table()
    finally:
        con.execute("DROP VIEW IF EXISTS records")
        with contextlib.suppress(duckdb.Error):
            con.unregister("records")
        if connection is None:
            con.close()


def _register_records(con: duckdb.DuckDBPyConnection, records: Records) -> None:
    """Make ``records`` visible to the query as the relation ``records``."""
    if isinstance(records, str | Path):
        path = str(records).replace("'", "''")
        con.execute(f"CREATE TEMP VIEW records AS SELECT * FROM read_parquet('{path}')")
        return
    table = records if isinstance(records, pa.Table) else records_table(records)
    con.register("records", table)
