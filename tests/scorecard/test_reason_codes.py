"""``explain``'s top reasons for binned rules: the bins that cost the subject points, the same
adverse-action reason codes the scorecard reports (issue 21), in the library, the JSON and the
command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.demo._credit_outcomes import credit_city, credit_city_rows
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.policy import Bin, BinnedRule, PolicyBundle, default_bundle, publish
from socialcredit.records import ledger_index
from socialcredit.scorecard import credit_data, learn
from socialcredit.scorecard._features import candidate_policy, candidates, count_features
from socialcredit.scorecard._publish import scorecard_bundle
from socialcredit.scorecard._validation import reason_codes, rule_points
from socialcredit.scoring import compiled_bundle, explain
from socialcredit.service import init_ledger
from socialcredit.settings import Settings
from socialcredit.timeutil import to_us

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 1, 20, tzinfo=UTC)
SPLIT = datetime(2023, 7, 1, tzinfo=UTC)
READ = ("--purpose", "subject_access")


def in_force() -> PolicyBundle:
    """A bundle with three binned finance rules, two of them able to tie."""
    rules = [
        BinnedRule("loan_default_count", ("loan_default",), "finance",
                   (Bin(0, 0), Bin(1, -30), Bin(None, -70))),
        BinnedRule("tax_arrears_count", ("tax_arrears",), "finance", (Bin(0, 0), Bin(None, -30))),
        BinnedRule("credit_card_default_count", ("credit_card_default",), "finance",
                   (Bin(0, 0), Bin(None, -20))),
    ]  # fmt: skip
    return scorecard_bundle(
        default_bundle(), rules, dimension="finance",
        effective_from=datetime(2018, 1, 1, tzinfo=UTC), provenance={"fit": "test"},
    )  # fmt: skip


def _month_end_us(month: str) -> int:
    year, m = int(month[:4]), int(month[5:7])
    return to_us(datetime(year + m // 12, m % 12 + 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Ledger, Any]:
    """A ledger whose genesis bundle has binned rules, with a credit city ingested, and the
    scorecard learned from it."""
    folder = tmp_path_factory.mktemp("reasons")
    store = f"sqlite:///{folder / 'ledger.db'}"
    ledger = init_ledger(Settings(store=store), origin="test/reasons")
    ledger.clock = lambda: to_us(datetime(2018, 1, 1, tzinfo=UTC))
    publish(ledger, in_force())
    base = default_bundle()
    city = credit_city(1_500, policy=base.scoring, catalogue=base.catalogue, seed=3)
    rows = list(credit_city_rows(city, base.catalogue))
    for month, batch in groupby(rows, key=lambda r: r["occurred_at"][:7]):
        at = _month_end_us(month)
        ledger.clock = lambda at=at: at
        assert ingest_rows(ledger, base.catalogue, enumerate(batch, 1)).refused == 0
    ledger.clock = lambda: to_us(AS_OF)
    data = credit_data(ledger, AS_OF)
    return store, ledger, (data, learn(data, base, as_of=AS_OF, split=SPLIT))


def test_explain_gives_the_scorecards_reason_codes_for_every_subject(world: Any) -> None:
    _, ledger, (data, learned) = world
    index = ledger_index(ledger)
    assert sum(1 for r in learned.reasons if r) > 50  # enough subjects lose points
    for (kind, subject), expected in zip(data.ids, learned.reasons, strict=True):
        found = explain(index, kind, subject, as_of=AS_OF, policy=learned.bundle)
        assert [f.feature for f in found.top_bins] == expected, subject
        assert all(f.points < 0 for f in found.top_bins)
        points = [f.points for f in found.top_bins]
        assert points == sorted(points)


def _expected_under_in_force(data: Any) -> list[list[str]]:
    """The scorecard's reason codes (its own functions) under the bundle in force."""
    base = default_bundle()
    found = candidates(base)
    records = (data.subject, data.kind, data.occurred_us, data.recorded_us)
    policy = candidate_policy(base, found, "finance")
    counts = count_features(policy, records, data.kinds, np.arange(data.size), to_us(AS_OF))
    compiled = compiled_bundle(in_force())
    points = rule_points(compiled, counts, [c.feature for c in found])
    return reason_codes(points, [f.feature for f in compiled.features])


def test_cli_explain_shows_the_bins_that_cost_points(world: Any) -> None:
    store, _, (data, _) = world
    expected = _expected_under_in_force(data)
    chosen = [*[i for i, r in enumerate(expected) if len(r) >= 2][:3], expected.index([])]
    assert len(chosen) == 4
    for i in chosen:
        subject = data.ids[i][1]
        args = ["--store", store, "explain", subject, "--as-of", "2026-01-20", *READ]
        result = CliRunner().invoke(cli, [*args, "--json"])
        assert result.exit_code == 0, result.output
        explained = json.loads(result.output)
        assert [b["feature"] for b in explained["top_bins"]] == expected[i]
        text = CliRunner().invoke(cli, args).output
        if expected[i]:
            lines = text.split("reason codes (binned rules that cost points):\n", 1)[1]
            first = explained["top_bins"][0]
            assert lines.startswith(
                f"  1. {first['feature']} = {first['count']}: {first['points']:+d} finance"
            )
        else:
            assert "reason codes: none (no binned rule costs points)" in text
