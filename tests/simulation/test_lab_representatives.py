"""Legal representatives in the lab: the role-bound measures of a listed organisation's lists
that reach its representative change that person's payoff, as the engine's decisions apply
them (issue 16)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from socialcredit.consequences import make_decision, membership_at
from socialcredit.policy import Effect, default_bundle
from socialcredit.simulation import shipped_scenarios, small_world, with_overrides
from socialcredit.simulation._lab import build
from socialcredit.simulation._scenario import ORIGIN_US
from socialcredit.simulation._whole_bundle import MeasureEffects


def test_a_listed_organisations_representative_alone_is_restricted_until_it_ends() -> None:
    bundle = default_bundle()
    effects = MeasureEffects(bundle, public_income=1.0)
    network = small_world(40, 4, 0.0, np.random.default_rng(0))
    payoff = np.linspace(1.0, 40.0, 40, dtype=np.float32)
    organisation = np.zeros(40, dtype=bool)
    organisation[[0, 1]] = True
    representative = np.full(40, -1, dtype=np.int64)
    representative[[0, 1]] = [7, 9]
    lists = [d.id for d in bundle.lists]
    listed = np.zeros((40, len(lists)), dtype=bool)
    listed[0, lists.index("dishonest_judgment_debtors")] = True  # representative: true
    listed[1, lists.index("abnormal_operations")] = True  # representative: false
    change = effects.payoff(network, payoff, organisation, listed, representative)
    role = [m for m in bundle.measures.measures if m.role_bound]
    assert {m.type for m in role} == {"company_paid_luxury_restriction", "company_officer_bar"}
    # the person representing the debtor loses the role-bound measures' share of its payoff
    assert np.isclose(change[7], -(0.02 + 0.05) * payoff[7])
    others = np.setdiff1d(np.flatnonzero(~organisation), [7])
    assert not change[others].any()  # person 9 represents a list that does not reach it
    assert change[0] < 0 and change[1] < 0  # the organisations themselves
    # the restriction ends with the listing
    listed[0] = False
    assert effects.payoff(network, payoff, organisation, listed, representative)[7] == 0
    # a measure applies once, however many lists trigger it (the engine's decisions)
    both = np.zeros_like(listed)
    both[1, [lists.index("abnormal_operations"), lists.index("seriously_illegal_enterprises")]] = 1
    one = np.zeros_like(listed)
    one[1, lists.index("abnormal_operations")] = True
    twice = effects.payoff(network, payoff, organisation, both, representative)
    once = effects.payoff(network, payoff, organisation, one, representative)
    assert np.isclose(twice[1], once[1])


def engine_restrictions(inst: Any, compiled: Any, now: int) -> dict[int, set[str]]:
    """Per agent, the restrictions the engine's decisions apply at ``now`` over every
    service: its own memberships (the engine's listings of its records, frozen in hardship)
    and, for a person, the organisations it represents (their lists reaching it)."""
    whole = inst.whole
    tracker, hardship = whole.tracker, whole.hardship
    ground = {d.id for d in whole.bundle.lists if not d.grades and d.sector_grade is None}

    def members(agent: int) -> list[Any]:
        out = []
        for item in tracker.found.get(agent, ()):
            d = compiled.lists[item.list_id]
            member = membership_at(item, now, frozen=bool(hardship[agent]) and d.hardship_freezes)
            if member is not None and item.list_id in ground:
                out.append(member)
        return out

    represents: dict[int, list[int]] = {}
    for org in np.flatnonzero(whole.representative >= 0).tolist():
        represents.setdefault(int(whole.representative[org]), []).append(org)
    out: dict[int, set[str]] = {}
    for agent in set(tracker.found) | set(represents):
        kind = "organisation" if whole.organisation[agent] else "person"
        represented = [
            (str(org), m)
            for org in represents.get(agent, [])
            for m in members(org)
            if compiled.lists[m.list_id].representative  # as ConsequenceView.represented
        ]
        own = members(agent)
        found: set[str] = set()
        for service in compiled.services:
            decision = make_decision(compiled, (kind, str(agent)), service, now, own, represented)
            found |= {
                m for m in decision.measures if compiled.measures[m].effect == Effect.RESTRICTION
            }
        if found:
            out[agent] = found
    return out


@pytest.mark.slow
def test_measures_reach_whom_the_engines_decisions_reach_step_by_step() -> None:
    """Every agent's restrictions in the lab (ground lists) equal those the engine's
    ``make_decision`` applies over all services, with the legal representatives, at every
    step of a run; representatives are reached, and released when the listing ends."""
    shipped = shipped_scenarios()["whole_bundle"]
    overrides = {"agents": 800, "steps": 60, "institution.organisations": 0.3}
    sim, inst = build(with_overrides(shipped, overrides), 2)
    sim.step()  # the first step draws the organisations and their representatives
    whole = inst.whole
    compiled = whole.tracker.compiled
    served = {m.id for by_list in compiled.services.values() for ms in by_list.values() for m in ms}
    effects = whole.effects
    ground = np.array([not d.grades and d.sector_grade is None for d in whole.bundle.lists])
    reached_ever, released = set(), 0
    previous: set[int] = set()
    for _ in range(59):
        sim.step()
        now = ORIGIN_US + (sim.step_index - 1) * inst.lawful.step_us
        listed = whole.tracker.in_effect(whole.hardship) & ground
        who, applied = effects.applied(listed, whole.representative)
        restriction = np.array(
            [
                compiled.measures[m].effect == Effect.RESTRICTION and m in served
                for m in effects.measures
            ]
        )
        got = {
            int(a): {effects.measures[j] for j in np.flatnonzero(row & restriction)}
            for a, row in zip(who, applied, strict=True)
        }
        got = {a: s for a, s in got.items() if s}
        assert got == engine_restrictions(inst, compiled, now)
        reps = {a for a in got if not whole.organisation[a] and not listed[a].any()}
        bystanders = np.ones(inst.n, dtype=bool)
        bystanders[list(got)] = False
        bystanders &= ~whole.tracker.listed.any(axis=1) & (whole.applications.paid == 0)
        assert all(whole.change[a] < 0 for a in reps)  # the measures reach their payoff
        assert not whole.change[bystanders].any()
        reached_ever |= reps
        released += len(previous - set(got))
        previous = reps
    assert len(reached_ever) >= 3 and released >= 1
