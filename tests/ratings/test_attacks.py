"""The corpus of attacks (``cases/attacks.yaml``): each must move the target's public score by
at most a third of what it moves the plain mean, leave rank correlation with true quality at
least as high as the plain mean's, and keep its ratings visible with a suspicious status; the
attack-free world must mark at most 1 % of honest ratings suspicious.

Every case is replayed through the real service functions on a real SQLite ledger with the
settable clock (:class:`socialcredit.ratings._scenarios.LedgerDriver`); the HTTP version with
real keys is ``benchmarks/experiment_ratings_api.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.ledger import Ledger, create_key_file
from socialcredit.ratings._scenarios import (
    LedgerDriver,
    Outcome,
    World,
    attack_plan,
    measure,
    replay,
    world,
)
from socialcredit.storage._sqlite import SQLiteStore

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "cases/attacks.yaml").read_text()
)
SEED = 11
SUSPICIOUS = ("burst", "ring", "shift")


class _Clock:
    def __init__(self) -> None:
        self.now_us = 0

    def __call__(self) -> int:
        return self.now_us

    def set(self, t_us: int) -> None:
        self.now_us = max(self.now_us, t_us)


def _replay(directory: Path, w: World, name: str | None) -> Outcome:
    clock = _Clock()
    signer = create_key_file(directory / f"{name}.key")
    ledger = Ledger.create(SQLiteStore(directory / f"{name}.db"), signer, "test/attacks", clock)
    try:
        plan = None if name is None else attack_plan(w, name, SEED + 100)
        return replay(w, plan, LedgerDriver(ledger, clock.set))
    finally:
        ledger.store.close()


@pytest.fixture(scope="module")
def market() -> World:
    return world(SEED, n_orgs=12, n_raters=150, target_ratings=30, per_org=30)


@pytest.fixture(scope="module")
def baseline(market: World, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    return _replay(tmp_path_factory.mktemp("baseline"), market, None)


@pytest.fixture
def attacked(market: World, tmp_path: Path) -> Iterator[Callable[[str], Outcome]]:
    yield lambda name: _replay(tmp_path, market, name)


def test_honest_ratings_are_not_collateral(baseline: Outcome) -> None:
    honest = sum(baseline.honest_status.values())
    suspicious = sum(baseline.honest_status.get(s, 0) for s in SUSPICIOUS)
    assert honest > 300 and suspicious <= 0.01 * honest


@pytest.mark.parametrize("case", CASES, ids=[c["attack"] for c in CASES])
def test_attack_from_the_corpus(
    case: dict[str, Any],
    market: World,
    baseline: Outcome,
    attacked: Callable[[str], Outcome],
) -> None:
    plan = attack_plan(market, case["attack"], SEED + 100)
    hit = attacked(case["attack"])
    found = measure(market, plan, baseline, hit)
    assert abs(found["shift plain"]) > 0.2  # the attack would move a plain mean
    assert found["ratio"] <= case["max_ratio"], found
    assert found["rho system"] >= found["rho plain"], found
    assert hit.refused == case["refused"]
    assert set(hit.attack_status) <= set(case["statuses"]), hit.attack_status
