"""Spark runs the same plan as DuckDB for binned rules (needs Java; slow)."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator

import pytest

from socialcredit.scoring._batch import batch_scores, records_table
from socialcredit.timeutil import from_us
from tests.scorecard.test_binned_rules import SPAN, START, compiled, random_rows, scoring_doc

if shutil.which("java") is None:
    pytest.skip("Java is not installed; Spark needs a JVM (Java 17)", allow_module_level=True)

from socialcredit.scoring._spark import spark_batch_scores, spark_session

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    # The JVM starts once per test process with the first session's jars: start it with the
    # PostgreSQL driver too, as tests/test_scoring_spark.py does, whichever module runs first.
    from tests.test_scoring_spark import JDBC_JAR

    jars = [JDBC_JAR] if JDBC_JAR else []
    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=2, jars=jars)
    yield session
    session.stop()


@pytest.mark.parametrize("seed", range(3))
def test_spark_equals_duckdb_with_binned_rules(spark: object, seed: int) -> None:
    policy = compiled(scoring_doc())
    rng = random.Random(500 + seed)
    rows = random_rows(seed, rng.randrange(50, 300))
    when = from_us(START + rng.randrange(SPAN))
    duck = batch_scores(records_table(rows), policy, as_of=when, known_at=when)
    got = spark_batch_scores(spark, rows, policy, as_of=when, known_at=when)  # type: ignore[arg-type]
    assert sorted(got) == duck and any(b.total != 1000 for b in duck)
