"""A published scorecard is an ordinary bundle revision: governed publication, and scoring at
any past date uses the rules in force then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from socialcredit.demo import credit_city
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle, publish
from socialcredit.scorecard import from_city, learn
from socialcredit.scoring import score
from socialcredit.scoring._projection import LiveScores
from socialcredit.timeutil import from_us
from tests.conftest import Clock
from tests.records_factory import person
from tests.test_governance import publish_governed

ALICE = person(1)
pytestmark = pytest.mark.slow


def test_scores_before_the_effective_date_use_the_old_rules(
    make_ledger: Callable[..., Ledger], clock: Clock
) -> None:
    base = default_bundle()
    ledger = make_ledger()
    publish(ledger, base)  # genesis: revision 1 in force at once
    row = {
        "subject_id": ALICE,
        "subject_kind": "person",
        "kind": "loan_default",
        "occurred_at": "2025-12-15T00:00:00Z",
        "source": "creditor_under_contract:example-commercial-bank",
        "amount": "900",
    }
    assert ingest_rows(ledger, base.catalogue, enumerate([row], 1)).refused == 0
    now = datetime(2026, 1, 1, tzinfo=UTC)  # the ledger clock (conftest)
    city = credit_city(20_000, policy=base.scoring, catalogue=base.catalogue, seed=2)
    learned = learn(from_city(city), base, as_of=now, split=datetime(2023, 7, 1, tzinfo=UTC))
    publish_governed(ledger, learned.bundle)  # assessed, signed, 31 days' notice
    rule = next(r for r in learned.bundle.scoring.binned if "loan_default" in r.kinds)

    before = score(ledger, "person", ALICE, as_of=datetime(2026, 1, 20, tzinfo=UTC))
    clock.advance(40 * 86_400)
    after = score(ledger, "person", ALICE, as_of=datetime(2026, 2, 10, tzinfo=UTC))
    replayed = score(ledger, "person", ALICE, as_of=datetime(2026, 1, 20, tzinfo=UTC))

    assert (before.revision, before.total) == (1, 1000 - 30)  # loan_default: -30 per record
    assert after.revision == 2 and after.total == 1000 + rule.points(1)
    assert [f.feature for f in after.features if f.points] == [rule.feature]
    assert replayed.to_json() == before.to_json()  # the past is scored as it was
    live = LiveScores.follow(ledger)  # the incremental projection agrees, under the scorecard
    try:
        now_us = live.now_us()
        exact = score(ledger, "person", ALICE, as_of=from_us(now_us))
        assert live.score("person", ALICE, now_us).total == exact.total == after.total
    finally:
        live.close()
