"""The scoring definition on Apache Spark: the DuckDB batch query, for data beyond one machine.

:func:`spark_scores` runs :mod:`.definition` as one Spark SQL query over record rows with the
:class:`~.records.RecordRow` columns — read from a Parquet export (``records/`` of
``socialcredit export --to DIR.parquet``, see ``docs/scale.md``), from any JDBC table or query
with those columns, or handed over as rows. The query is the plan DuckDB runs,
:func:`.batch.relational_plan`, compiled from the :class:`~.definition.CompiledPolicy` in
Spark's dialect (no rule is restated here). Its result equals :func:`.batch.batch_scores` row
for row.

Integer arithmetic follows the definition exactly: 64-bit ``bigint`` where a kind's largest
products provably fit, ``decimal(38,0)`` otherwise (:func:`needs_decimal` says whether a
policy has such a kind), truncating division only of non-negative numbers (``div``), and ANSI
mode on, so an overflow is an error, never a wrong score.

PySpark is an optional dependency (``pip install 'socialcredit[spark]'``) and needs Java 17;
:func:`spark_session` raises :class:`~socialcredit.errors.ConfigurationError` naming what is
missing.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from socialcredit.errors import ConfigurationError
from socialcredit.records import RecordRow
from socialcredit.scoring._batch import (
    SPARK,
    BatchScore,
    records_table,
    relational_plan,
    scores_of_table,
)
from socialcredit.scoring._definition import CompiledPolicy
from socialcredit.timeutil import to_us

if TYPE_CHECKING:
    from pyspark import SparkConf
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "RECORD_COLUMNS",
    "needs_decimal",
    "read_jdbc_records",
    "read_parquet_records",
    "spark_batch_scores",
    "spark_scores",
    "spark_session",
]

RECORD_COLUMNS = (
    "position",
    "subject_kind",
    "subject_id",
    "kind",
    "occurred_at_us",
    "recorded_at_us",
    "amount",
)
_RECORDS_DDL = (
    "position BIGINT, subject_kind STRING, subject_id STRING, kind STRING, "
    "occurred_at_us BIGINT, recorded_at_us BIGINT, amount BIGINT"
)
_LONG_MAX = 2**63 - 1

_SCORING_SQL_CONF = {
    # An overflow is an error, never a wrong score.
    "spark.sql.ansi.enabled": "true",
    # Scoring groups by every subject: millions of keys. Spark's first-level "fast" hash map
    # holds 65,536 groups, so past that every row probes a full first level before the real
    # map; without it, 10M records over 500k subjects score 25-30 % faster (bench_spark.py).
    "spark.sql.codegen.aggregate.map.twolevel.enabled": "false",
    # Larger scan splits (still at most one per core's share of the input): fewer partial
    # aggregations, each reducing more, so fewer rows are shuffled.
    "spark.sql.files.maxPartitionBytes": str(512 * 1024 * 1024),
    # The result (one row per subject) comes back to Python in few, large Arrow batches.
    "spark.sql.execution.arrow.maxRecordsPerBatch": "1000000",
}


# The one line of start-up noise that is not log4j's: Spark's launcher always starts the JVM with
# --add-modules=jdk.incubator.vector, and the JVM then prints this, with no option to turn it off.
_JVM_NOTICES = frozenset({b"WARNING: Using incubator modules: jdk.incubator.vector"})
# PySpark 4 imports pyspark.testing.utils on its first Py4J call, which warns (once a process)
# that pandas >= 3 is not yet fully supported. Scoring never goes through pandas, only Arrow.
_PYSPARK_PANDAS_WARNING = "PySpark does not yet fully support pandas"


def _log4j2_config() -> str:
    """The ``file:`` URI of the shipped Log4j 2 configuration (errors only, to stderr)."""
    resource = resources.files(__package__).joinpath("spark_log4j2.properties")
    return Path(str(resource)).resolve().as_uri()


def _launch_conf(master: str) -> dict[str, str]:
    """Settings that only take effect when the JVMs start: the throughput garbage collector
    (a batch job, not an interactive one), the driver's quiet Log4j configuration, and — in
    local mode, where shuffle files never cross a network — no compression of shuffle and
    spill files. Measured on 10M records (bench_spark.py): together about 8 % faster."""
    gc = "-XX:+UseParallelGC"
    # The file is on this machine only, so executors elsewhere keep their own logging set-up.
    driver = f"{gc} -Dlog4j2.configurationFile={_log4j2_config()}"
    conf = {"spark.driver.extraJavaOptions": driver, "spark.executor.extraJavaOptions": gc}
    if master.startswith("local"):
        conf |= {"spark.shuffle.compress": "false", "spark.shuffle.spill.compress": "false"}
    return conf


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            "the spark engine needs PySpark: pip install 'socialcredit[spark]' (and Java 17)"
        ) from exc


def spark_session(
    master: str = "local[2]",
    *,
    driver_memory: str = "2g",
    shuffle_partitions: int = 4,
    jars: Iterable[str] = (),
) -> SparkSession:
    """A Spark session for scoring: no UI, UTC, ANSI arithmetic, few shuffle partitions, and
    an aggregation tuned for millions of groups (see :data:`_SCORING_SQL_CONF`).

    An existing active session is reused (Spark allows one per process), with these SQL
    settings applied to it. A JVM started here starts quietly: its driver logs errors only
    (``spark_log4j2.properties`` beside this module) and the JVM's notice about incubator
    modules is dropped from its standard error; everything else it writes there passes.

    Args:
        master: the Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``...).
        driver_memory: the driver JVM's heap (only effective when the JVM starts here).
        shuffle_partitions: partitions after a shuffle; small for one machine.
        jars: extra jar files for the driver and executors (e.g. a JDBC driver).

    Raises:
        ConfigurationError: if PySpark or Java is missing, or the master cannot be reached.
    """
    _require_pyspark()
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    options = {
        "spark.master": master,
        "spark.app.name": "socialcredit-rescore",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": driver_memory,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        **_launch_conf(master),
    }
    jar_list = ",".join(jars)
    if jar_list:
        options["spark.jars"] = jar_list
    conf = SparkConf().setAll(list(options.items()))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=_PYSPARK_PANDAS_WARNING, category=FutureWarning
            )
            _start_jvm(conf)
            session = SparkSession.builder.config(conf=conf).getOrCreate()
    except Exception as exc:  # Py4J / Java start-up failures have no common base class
        raise ConfigurationError(f"cannot start Spark with master {master!r}: {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    for key, value in _SCORING_SQL_CONF.items():
        session.conf.set(key, value)
    return session


def _start_jvm(conf: SparkConf) -> None:
    """Start Spark's driver JVM and its context, unless PySpark already has a JVM, with the
    JVM's standard error relayed to ours line by line, less :data:`_JVM_NOTICES`.

    The relay starts before the JVM, so a JVM that fails to start still says why.
    """
    from pyspark import SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return
    read_fd, write_fd = os.pipe()
    relay = threading.Thread(
        target=_relay_stderr, args=(read_fd, os.dup(2)), name="spark-stderr", daemon=True
    )
    relay.start()
    try:
        # popen_kwargs is PySpark's hook for capturing the JVM's output.
        gateway = launch_gateway(conf, popen_kwargs={"stderr": write_fd})
    except Exception:
        os.close(write_fd)
        relay.join(timeout=5)  # the JVM has exited: its reason is printed before our error
        raise
    os.close(write_fd)  # the JVM holds its own copy; the relay ends when the JVM does
    SparkContext(conf=conf, gateway=gateway)


def _relay_stderr(read_fd: int, write_fd: int) -> None:
    with open(read_fd, "rb") as source, open(write_fd, "wb") as sink:
        for line in source:
            if line.rstrip(b"\r\n") not in _JVM_NOTICES:
                sink.write(line)
                sink.flush()


def read_parquet_records(spark: SparkSession, path: str) -> DataFrame:
    """The record rows of a Parquet export (its ``records/`` directory, or any Parquet data
    with the :data:`RECORD_COLUMNS`)."""
    return spark.read.parquet(path).select(*RECORD_COLUMNS)


def read_jdbc_records(
    spark: SparkSession, url: str, table: str, properties: dict[str, str] | None = None
) -> DataFrame:
    """The record rows of a JDBC ``table`` (or ``(SELECT ...) AS r`` query) with the
    :data:`RECORD_COLUMNS`, e.g. ``jdbc:postgresql://host:5432/db``.

    The JDBC driver's jar must be on Spark's class path (``spark_session(jars=[...])``);
    for PostgreSQL the driver class is filled in.
    """
    options = dict(properties or {})
    if url.startswith("jdbc:postgresql:"):
        options.setdefault("driver", "org.postgresql.Driver")
    frame = spark.read.jdbc(url, table, properties=options)
    return frame.selectExpr(*(f"CAST({c} AS {t})" for c, t in _column_types()))


def _column_types() -> Iterator[tuple[str, str]]:
    for spec in _RECORDS_DDL.split(", "):
        name, kind = spec.split(" ")
        yield name, kind


def needs_decimal(policy: CompiledPolicy) -> bool:
    """True if some product of the definition may not fit in 64 bits for this policy.

    The largest products are ``|per_unit| * min(amount, cap)`` (at most ``|per_unit| * cap``)
    and ``|raw| * remaining_us`` (at most ``max(|points|, cap) * expiry_us``).
    """
    for terms in policy.kinds.values():
        largest_raw = max(abs(terms.points), terms.cap)
        if abs(terms.per_unit) * terms.cap > _LONG_MAX:
            return True
        if terms.linear and largest_raw * terms.expiry_us > _LONG_MAX:
            return True
    return False


def _as_frame(spark: SparkSession, records: Any) -> DataFrame:
    """A Spark DataFrame of record rows from a DataFrame, an Arrow table or RecordRows."""
    from pyspark.sql import DataFrame

    if isinstance(records, DataFrame):
        return records
    table = records if isinstance(records, pa.Table) else records_table(records)
    rows = [tuple(r.values()) for r in table.select(list(RECORD_COLUMNS)).to_pylist()]
    return spark.createDataFrame(rows, schema=_RECORDS_DDL)


@contextmanager
def _views(spark: SparkSession, frames: dict[str, DataFrame]) -> Iterator[None]:
    for name, frame in frames.items():
        frame.createOrReplaceTempView(name)
    try:
        yield
    finally:
        for name in frames:
            spark.catalog.dropTempView(name)


def spark_scores(
    spark: SparkSession,
    records: DataFrame | pa.Table | Iterable[RecordRow],
    policy: CompiledPolicy,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
) -> pa.Table:
    """Every subject's ``subject_kind, subject_id, total, grade`` (and a ``sector_<id>``
    grade column per sector scheme) as an Arrow table sorted by subject, computed by Spark;
    equal to :func:`.batch.batch_scores` on the same rows.

    Args:
        spark: the session (:func:`spark_session`).
        records: a DataFrame with the :data:`RECORD_COLUMNS`, an Arrow table, or the rows.
        policy: the compiled policy.
        as_of: the time scored (aware).
        known_at: only records recorded at or before it count (aware; default ``as_of``).

    Raises:
        ValueError: if ``as_of`` or ``known_at`` is naive.
    """
    values = {
        "as_of": to_us(as_of),
        "known_at": to_us(as_of if known_at is None else known_at),
        "base": policy.base,
        "low": policy.low,
        "high": policy.high,
    }
    # The same plan as DuckDB's, compiled from the policy (kind terms as constants), in
    # Spark's dialect: no join, one scan and one aggregation.
    query = relational_plan(policy, SPARK, values, records="sc_records")
    frames = {"sc_records": _as_frame(spark, records)}
    with _views(spark, frames):
        table = _to_arrow(spark.sql(query))
    # Sorting the (one row per subject) result on the driver is cheaper than a distributed
    # sort with its sampling pass, and gives the same order as DuckDB's ORDER BY.
    return table.sort_by([("subject_kind", "ascending"), ("subject_id", "ascending")])


def _to_arrow(frame: DataFrame) -> pa.Table:
    """Collect ``frame`` as Arrow batches (``toArrow`` from PySpark 4; before, the private
    collector that ``toPandas`` uses)."""
    if hasattr(frame, "toArrow"):
        return frame.toArrow()
    return pa.Table.from_batches(frame._collect_as_arrow())  # type: ignore[operator]


def spark_batch_scores(
    spark: SparkSession,
    records: DataFrame | pa.Table | Iterable[RecordRow],
    policy: CompiledPolicy,
    *,
    as_of: datetime,
    known_at: datetime | None = None,
) -> list[BatchScore]:
    """:func:`spark_scores` as the :class:`~.batch.BatchScore` list that
    :func:`.batch.batch_scores` returns.

    Raises:
        ValueError: if ``as_of`` or ``known_at`` is naive.
    """
    table = spark_scores(spark, records, policy, as_of=as_of, known_at=known_at)
    return scores_of_table(table, policy)
