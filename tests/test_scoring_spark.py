"""The Spark evaluator equals the DuckDB batch query row for row, in ``local[2]`` mode.

Skips, saying why, only where Java or PySpark is absent. One Spark session serves the
module (its JVM start-up is most of the run time).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import psycopg
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from socialcredit.catalogue import default_catalogue
from socialcredit.cli import cli
from socialcredit.errors import ConfigurationError
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle
from socialcredit.records import RecordRow, record_rows
from socialcredit.scoring import CompiledPolicy, compiled_bundle, rescore
from socialcredit.scoring._batch import BatchScore, batch_scores, records_table
from socialcredit.timeutil import from_us, to_us
from socialcredit.transfer import transfer
from tests.pg import PgCluster
from tests.records_factory import valid_rows, write_csv
from tests.test_scoring import DEFAULT, LINEAR
from tests.test_scoring_batch import KINDS, SPAN, START, SUBJECTS

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (extra 'spark')")
if shutil.which("java") is None:
    pytest.skip("Java is not installed; Spark needs a JVM (Java 17)", allow_module_level=True)

from socialcredit.scoring._spark import (  # noqa: E402
    needs_decimal,
    read_jdbc_records,
    read_parquet_records,
    spark_batch_scores,
    spark_scores,
    spark_session,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning"),
]
DAY = 86_400_000_000
_JARS = sorted(Path.home().glob(".m2/repository/org/postgresql/postgresql/*/postgresql-*.jar"))
JDBC_JAR = str(_JARS[-1]) if _JARS else None


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    jars = [JDBC_JAR] if JDBC_JAR else []
    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=2, jars=jars)
    yield session
    session.stop()


def random_rows(seed: int, count: int) -> list[RecordRow]:
    """Seeded rows over the test kinds (ruled, neutral, unknown) and subjects."""
    rng = random.Random(seed)
    rows = []
    for position in range(count):
        subject_kind, subject_id = rng.choice(SUBJECTS)
        occurred = START + rng.randrange(SPAN)
        recorded = occurred + rng.randrange(400 * DAY)
        amount = rng.choice([None, rng.randrange(61), rng.randrange(2**53)])
        rows.append(
            RecordRow(
                position, subject_kind, subject_id, rng.choice(KINDS), occurred, recorded, amount
            )
        )
    return rows


def both(
    spark: object, rows: list[RecordRow], policy: CompiledPolicy, as_of: int, known: int
) -> tuple[list[BatchScore], list[BatchScore]]:
    when, known_at = from_us(as_of), from_us(known)
    duck = batch_scores(records_table(rows), policy, as_of=when, known_at=known_at)
    got = spark_batch_scores(spark, rows, policy, as_of=when, known_at=known_at)  # type: ignore[arg-type]
    return duck, got


@pytest.mark.parametrize("seed", range(4))
def test_spark_equals_duckdb_on_random_rows(spark: object, seed: int) -> None:
    rng = random.Random(1000 + seed)
    rows = random_rows(seed, rng.randrange(50, 300))
    for policy in (DEFAULT, LINEAR):
        as_of = START + rng.randrange(SPAN)
        known = as_of + rng.randrange(-100 * DAY, 400 * DAY)
        duck, got = both(spark, rows, policy, as_of, known)
        assert got == duck
        assert duck, "the case should score someone"


def test_spark_hand_example_and_empty_input(spark: object) -> None:
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    rows = [
        RecordRow(0, "person", "p1", "fare_evasion", to_us(t0), to_us(t0), 1),
        RecordRow(1, "person", "p2", "volunteering", to_us(t0), to_us(t0), 50),
        RecordRow(2, "person", "p3", "no_such_kind", to_us(t0), to_us(t0), None),
    ]
    at = t0 + timedelta(days=46)
    assert spark_batch_scores(spark, rows, LINEAR, as_of=at) == [  # type: ignore[arg-type]
        BatchScore("person", "p1", 996, "A"),
        BatchScore("person", "p2", 1000 + 20 * 319 // 365, "A"),
        BatchScore("person", "p3", 1000, "A"),
    ]
    assert spark_batch_scores(spark, [], LINEAR, as_of=at) == []  # type: ignore[arg-type]


def test_decimal_arithmetic_when_products_overflow_64_bits(spark: object) -> None:
    # A cap so large that |raw| * remaining_us needs more than 64 bits: the query switches to
    # DECIMAL(38,0) and still truncates exactly like the definition.
    terms = {
        k: replace(t, cap=2**52, per_unit=3) if t.per_unit else t for k, t in LINEAR.kinds.items()
    }
    huge = replace(
        LINEAR,
        kinds=MappingProxyType(terms),
        low=-(2**62),
        high=2**62,
        grades=(replace(LINEAR.grades[0], min=-(2**62), max=2**62),),
    )
    assert needs_decimal(huge) and not needs_decimal(LINEAR)
    rows = random_rows(7, 200)
    as_of = START + SPAN // 2
    duck, got = both(spark, rows, huge, as_of, as_of + 30 * DAY)
    assert got == duck
    assert any(abs(s.total) > 2**40 for s in got), "the case should need the wide arithmetic"


def test_spark_reads_parquet_records(spark: object, tmp_path: Path) -> None:
    rows = random_rows(11, 500)
    pq.write_table(records_table(rows), tmp_path / "records.parquet")
    frame = read_parquet_records(spark, str(tmp_path / "records.parquet"))  # type: ignore[arg-type]
    when = from_us(START + SPAN // 2)
    got = spark_scores(spark, frame, LINEAR, as_of=when)  # type: ignore[arg-type]
    duck = batch_scores(records_table(rows), LINEAR, as_of=when)
    assert [BatchScore(*r.values()) for r in got.to_pylist()] == duck


@pytest.fixture
def city_ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    ledger = make_ledger("spark")
    ingest_rows(ledger, default_catalogue(), enumerate(valid_rows(600, seed=5), 1))
    return ledger


def test_rescore_engine_spark_equals_duckdb(spark: object, city_ledger: Ledger) -> None:
    when = datetime(2026, 2, 1, tzinfo=UTC)
    duck = rescore(city_ledger, as_of=when)
    got = rescore(city_ledger, as_of=when, engine="spark", master="local[2]")
    assert got.scores == duck.scores and len(duck.scores) > 100
    with pytest.raises(ConfigurationError, match="engine 'flink'"):
        rescore(city_ledger, as_of=when, engine="flink")
    runner = CliRunner()
    args = ["--store", city_ledger.store.url, "rescore", "--as-of", "2026-02-01", "--json"]
    by_duck = runner.invoke(cli, args)
    by_spark = runner.invoke(cli, [*args, "--engine", "spark", "--master", "local[2]"])
    assert by_spark.exit_code == 0, by_spark.output
    assert by_spark.output == by_duck.output


def test_spark_scores_a_parquet_export(spark: object, city_ledger: Ledger, tmp_path: Path) -> None:
    export = tmp_path / "city.parquet"
    assert transfer(city_ledger.store.url, str(export)).ok
    when = datetime(2026, 2, 1, tzinfo=UTC)
    frame = read_parquet_records(spark, str(export / "records.parquet"))  # type: ignore[arg-type]
    got = spark_batch_scores(spark, frame, DEFAULT, as_of=when)  # type: ignore[arg-type]
    assert got == batch_scores(record_rows(city_ledger), DEFAULT, as_of=when)
    # the records in effect at the export's last entry score as rescore does from the ledger
    last = from_us(city_ledger.store.state().last_recorded_at_us)
    frame = read_parquet_records(spark, str(export / "effective.parquet"))  # type: ignore[arg-type]
    in_force = compiled_bundle(default_bundle())  # the ledger's policy, with its sector schemes
    got = spark_batch_scores(spark, frame, in_force, as_of=last)  # type: ignore[arg-type]
    assert got == rescore(city_ledger, as_of=last).scores


@pytest.mark.skipif(JDBC_JAR is None, reason="no PostgreSQL JDBC driver jar in ~/.m2")
def test_spark_reads_records_over_jdbc(spark: object, pg_cluster: PgCluster) -> None:
    url = pg_cluster.create_database("jdbc")
    rows = random_rows(21, 400)
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE records (position bigint, subject_kind text, subject_id text, "
            "kind text, occurred_at_us bigint, recorded_at_us bigint, amount bigint)"
        )
        with conn.cursor().copy("COPY records FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    jdbc = f"jdbc:postgresql://127.0.0.1:{pg_cluster.port}/{url.rsplit('/', 1)[1]}"
    frame = read_jdbc_records(spark, jdbc, "records", {"user": "postgres"})  # type: ignore[arg-type]
    when = from_us(START + SPAN // 2)
    got = spark_batch_scores(spark, frame, LINEAR, as_of=when)  # type: ignore[arg-type]
    assert got == batch_scores(rows, LINEAR, as_of=when)


def test_a_spark_rescore_prints_no_start_up_noise(tmp_path: Path) -> None:
    """Spark's JVM starts in a fresh process: no log4j banner or WARN lines, no JVM notice about
    incubator modules, no pandas FutureWarning from PySpark; the result alone on stdout."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        store = f"sqlite:///{tmp_path / 'quiet.db'}"
        command = [sys.executable, "-m", "socialcredit", "--store", store, *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)

    assert run("init").returncode == 0
    assert run("ingest", str(write_csv(tmp_path / "r.csv", valid_rows(20)))).returncode == 0
    rescored = run("rescore", "--engine", "spark", "--master", "local[1]")
    assert rescored.returncode == 0, rescored.stderr
    assert "subjects scored" in rescored.stdout
    for noise in ("log4j", "WARN", "FutureWarning", "Setting default log level"):
        assert noise not in rescored.stderr, rescored.stderr
