"""Spark gives the sector grades DuckDB gives (the same plan, compiled from the same schemes).

Skips, saying why, only where Java or PySpark is absent.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator

import pytest

from socialcredit.policy import default_bundle
from socialcredit.records import RecordRow
from socialcredit.scoring import compiled_bundle
from socialcredit.scoring._batch import batch_scores, records_table
from socialcredit.timeutil import DAY_US, from_us
from tests.test_sector_grades import AS_OF, KINDS, POLICIES, START, SUBJECTS

pytest.importorskip("pyspark", reason="PySpark is not installed (extra 'spark')")
if shutil.which("java") is None:
    pytest.skip("Java is not installed; Spark needs a JVM (Java 17)", allow_module_level=True)

from socialcredit.scoring._spark import spark_batch_scores, spark_session
from tests.test_scoring_spark import JDBC_JAR

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    jars = [JDBC_JAR] if JDBC_JAR else []
    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=2, jars=jars)
    yield session
    session.stop()


def seeded_rows(seed: int, count: int) -> list[RecordRow]:
    rng = random.Random(seed)
    subjects = SUBJECTS + [("organisation", f"o{i}") for i in range(3, 40)]
    rows = []
    for position in range(count):
        occurred = START + rng.randrange(AS_OF + 60 * DAY_US - START)
        recorded = occurred + rng.randrange(400 * DAY_US)
        amount = rng.choice([None, rng.randrange(61)])
        kind = rng.choice(KINDS)
        rows.append(RecordRow(position, *rng.choice(subjects), kind, occurred, recorded, amount))
    return rows


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
def test_spark_sector_grades_equal_duckdb(spark: object, policy_name: str) -> None:
    policy = POLICIES[policy_name]()
    rows = seeded_rows(sorted(POLICIES).index(policy_name), 600)
    for known_lag in (0, 90 * DAY_US):
        when, known = from_us(AS_OF), from_us(AS_OF + known_lag)
        duck = batch_scores(records_table(rows), policy, as_of=when, known_at=known)
        got = spark_batch_scores(spark, rows, policy, as_of=when, known_at=known)  # type: ignore[arg-type]
        assert got == duck
        assert len({g for b in duck for _, g in b.sector_grades}) >= 3  # not all alike


def test_default_policy_has_the_shipped_schemes() -> None:
    assert [s.id for s in compiled_bundle(default_bundle()).schemes] == [
        "taxpayer_credit",
        "environmental_credit",
    ]
