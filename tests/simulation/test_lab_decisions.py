"""Decisions against expected sanctions, learned perception, and the audited Merkle log."""

from __future__ import annotations

import numpy as np

from socialcredit.policy import default_bundle
from socialcredit.scoring import KindTable, compiled_bundle
from socialcredit.simulation import PublicGoods, run_scenario, small_world
from socialcredit.simulation._decisions import Perception, Sanctions, free_riding_gain
from socialcredit.simulation._ledger_audit import ALTER, BACKDATE, DELETE, AuditedLog
from socialcredit.simulation._scenario import Behaviour, shipped_scenarios, with_overrides

SMALL = {"agents": 300, "steps": 30, "network": {"kind": "small_world", "k": 6, "p": 0.1}}


def test_a_sanction_that_changes_no_grade_costs_nothing() -> None:
    table = KindTable.of(compiled_bundle(default_bundle()))
    per_tie = np.array([0.05, 0.02, 0.0, -0.05, -0.15, -0.3], dtype=np.float32)
    totals = np.array([1000, 965], dtype=np.int64)
    sanctions = Sanctions(table, per_tie, totals, np.full(2, 10.0, np.float32), 8)
    loss = sanctions.loss(np.arange(2), -30)
    assert loss[0] == 0  # 1000 -> 970: still A
    assert np.isclose(loss[1], 0.05 * 10 * 8)  # 965 -> 935: A -> B


def test_perceived_detection_is_learned_from_records_after_violations() -> None:
    perception = Perception(4, Behaviour(memory=0.5))
    yes, no = np.ones(4, dtype=bool), np.zeros(4, dtype=bool)
    partner = np.arange(4)[::-1]
    for _ in range(20):
        perception.learn(partner, yes, yes, no, no)
    assert np.all(perception.detection > 0.6)  # the prior (weight 2) vs about 4 recent sightings
    for _ in range(20):
        perception.learn(partner, yes, no, no, no)
    assert np.all(perception.detection < 0.1)


def test_public_goods_free_riding_gain_is_the_payoff_difference() -> None:
    network = small_world(50, 4, 0.1, np.random.default_rng(0))
    game = PublicGoods(r=3.0)
    strategy = np.ones(50, dtype=np.int8)
    gain = free_riding_gain(game, network, strategy)
    for i in (0, 17):
        flipped = strategy.copy()
        flipped[i] = 0
        diff = game.payoffs(network, flipped)[i] - game.payoffs(network, strategy)[i]
        assert np.isclose(gain[i], diff, atol=1e-4)


def test_tampering_with_witnessed_records_fails_the_real_checks() -> None:
    log = AuditedLog(witness_every=2, audit_rate=1.0)
    for step in range(6):
        log.append_step(step)
    witnessed = log.witnessed[0]
    assert witnessed == len(log.leaves)
    for action in (ALTER, DELETE, BACKDATE):
        assert log.detected(action, 3, audited=False)
    log.append_step(6)  # not yet witnessed
    fresh = len(log.leaves) - 1
    assert not log.detected(ALTER, fresh, audited=False)  # consistency holds
    assert log.detected(ALTER, fresh, audited=True)  # the subject's receipt fails
    assert not log.detected(BACKDATE, fresh, audited=True)  # no receipt for a fabrication


def test_without_the_system_decisions_ignore_sanctions() -> None:
    none = with_overrides(shipped_scenarios()["no_system"], SMALL)
    table = run_scenario(none, 0)
    assert np.nanmean(table["compliance"]) > 0.6
    assert np.all(table["self_censorship"] == 0)
    assert 0 < np.nanmean(table["trust"]) < 1


def test_trust_is_learned_trustworthiness_not_the_cooperation_count() -> None:
    core = with_overrides(shipped_scenarios()["lawful_core"], SMALL)
    runs = [
        run_scenario(with_overrides(core, {"initial.cooperators": share}), 0)
        for share in (0.05, 0.95)
    ]
    early = [float(np.mean(t["cooperation"][:10])) for t in runs]
    trust = [float(np.mean(t["trust"][:10])) for t in runs]
    assert early[1] - early[0] > 0.5  # cooperation differs a lot early on ...
    assert abs(trust[1] - trust[0]) < 0.1  # ... trust follows the trust game instead
    late = runs[0]
    assert abs(np.mean(late["trust"][-5:]) - np.mean(late["trustworthiness"][-10:])) < 0.05
