"""``socialcredit scorecard fit`` end to end: a small city ingested month by month into a
ledger, the scorecard learned from it as known at a date, and its bundle checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.demo._credit_outcomes import credit_city, credit_city_rows
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle, load_bundle

pytestmark = pytest.mark.slow


def month_end_us(month: str) -> int:
    year, m = int(month[:4]), int(month[5:7])
    nxt = datetime(year + m // 12, m % 12 + 1, 1, tzinfo=UTC)
    return int(nxt.timestamp()) * 1_000_000


def test_fit_from_the_ledger_writes_a_checked_bundle(
    tmp_path: Path, make_ledger: Callable[..., Ledger]
) -> None:
    bundle = default_bundle()
    ledger = make_ledger()
    city = credit_city(2_500, policy=bundle.scoring, catalogue=bundle.catalogue, seed=5)
    rows = list(credit_city_rows(city, bundle.catalogue))
    for month, batch in groupby(rows, key=lambda r: r["occurred_at"][:7]):
        at = month_end_us(month)
        ledger.clock = lambda at=at: at
        summary = ingest_rows(ledger, bundle.catalogue, enumerate(batch, 1))
        assert summary.refused == 0
    store, key = f"sqlite:///{tmp_path / 'ledger.db'}", str(tmp_path / "ledger.key")
    out = tmp_path / "fit"
    args = ["--store", store, "--key-file", key, "scorecard", "fit", "--as-of", "2026-01-20"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["out_of_time"]["auc"] > 0.6 and report["features"]
    written = load_bundle(out / "bundle")
    assert written.digest == report["bundle"]["digest"] and written.scoring.binned
    assert (out / "reason_codes.csv").read_text().startswith("subject_kind,subject_id")
    again = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output
