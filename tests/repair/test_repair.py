"""Credit repair: conditions from the ledger, decisions with deadlines, appeal, publication and
the scoring effect (data-driven cases in cases.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.catalogue import default_catalogue
from socialcredit.consequences import public_records
from socialcredit.errors import DisputeRefusedError, NotFoundError, ValidationError
from socialcredit.ledger import Ledger
from socialcredit.records import RecordIndex
from socialcredit.rights import _repair as r
from socialcredit.rights import file_commitment
from socialcredit.scoring import rescore, score
from socialcredit.scoring._projection import LiveScores
from tests.repair.helpers import (
    ALICE,
    DECISION,
    file,
    file_facts,
    on_day,
    penalty_evidence,
)

CASES = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))
CATALOGUE = default_catalogue()


def _penalised(ledger: Ledger, clock: Any, kind: str, facts: list[str]) -> int:
    on_day(clock, 0)
    position = file(ledger, kind, penalty_evidence(kind))
    on_day(clock, 10)
    file_facts(ledger, facts)
    return position


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_repair_cases(case: dict[str, Any], make_ledger: Callable[..., Ledger], clock: Any) -> None:
    ledger = make_ledger()
    position = _penalised(ledger, clock, case["penalty"], case["facts"])
    on_day(clock, case["apply_day"])
    repair_id = r.apply_for_repair(ledger, position, "conduct corrected", CATALOGUE)
    applied = r.repair_state(ledger, repair_id)
    assert [c.name for c in applied.conditions if not c.met] == case["expect_unmet"]
    on_day(clock, case["apply_day"] + 1)
    size = ledger.size()
    if "error" in case:
        with pytest.raises(DisputeRefusedError) as refused:
            r.decide_repair(ledger, repair_id, case["decide"], "officer:li", "checked", CATALOGUE)
        assert [p.field for p in refused.value.problems] == case["error"]
        assert ledger.size() == size  # nothing half-written
        assert r.repair_state(ledger, repair_id).state == "applied"
        return
    r.decide_repair(ledger, repair_id, case["decide"], "officer:li", "checked", CATALOGUE)
    found = r.repair_state(ledger, repair_id)
    assert found.state == case["state"]
    assert list(found.unmet) == case["expect_unmet"]
    assert (position in r.repaired_positions(ledger)) == (case["state"] == "granted")
    when = on_day(clock, case["apply_day"] + 2)
    engine = score(ledger, *ALICE, as_of=when)
    counted = position in {c.position for c in engine.contributions if c.points}
    assert counted == (case["state"] != "granted")
    assert _evaluator_totals(ledger, when) == [engine.total] * 2


def _evaluator_totals(ledger: Ledger, when: Any) -> list[int]:
    """ALICE's total by the DuckDB batch (effective records read in bulk) and the live
    projection, which must agree with the engine."""
    batch = [s.total for s in rescore(ledger, as_of=when).scores if s.subject_id == ALICE[1]]
    live = LiveScores.follow(ledger)
    try:
        return [*batch, live.score(*ALICE, ledger.clock()).total]
    finally:
        live.close()


def test_a_refused_repair_names_each_unmet_condition_to_the_subject(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    position = _penalised(ledger, clock, "administrative_penalty_serious", ["commitment"])
    on_day(clock, 30)
    repair_id = r.apply_for_repair(ledger, position, "I paid", CATALOGUE)
    at = r.decide_repair(ledger, repair_id, "refused", "officer:li", "not yet", CATALOGUE)
    entry = ledger.entry(at)
    assert entry.data["unmet"] == ["performed", "publicity_period", "training"]
    assert entry.data["notice"]["to"] == {"kind": ALICE[0], "id": ALICE[1]}
    assert "training is required" in entry.data["notice"]["text"]


def test_deadline_is_seven_business_days_and_overdue_goes_first(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    first = _penalised(ledger, clock, "administrative_penalty_general", ["performed"])
    second = file(ledger, "administrative_penalty_general", None)
    on_day(clock, 95)  # Saturday 2026-04-11
    late = r.apply_for_repair(ledger, first, "paid", CATALOGUE)
    assert r.repair_state(ledger, late).decide_by == date(2026, 4, 21)
    on_day(clock, 101)
    fresh = r.apply_for_repair(ledger, second, "paid", CATALOGUE)
    on_day(clock, 107)  # 2026-04-22: the first is overdue, the second is not
    queue = r.repair_queue(ledger)
    assert [(i.repair.id, i.overdue) for i in queue] == [(late, True), (fresh, False)]
    assert r.repair_state(ledger, late).state == "overdue"


def test_appeal_goes_to_another_officer_and_can_grant(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    position = _penalised(ledger, clock, "administrative_penalty_general", ["performed"])
    on_day(clock, 100)
    repair_id = r.apply_for_repair(ledger, position, "paid", CATALOGUE)
    with pytest.raises(DisputeRefusedError):
        r.appeal_repair(ledger, repair_id, "too early")  # not decided yet
    r.decide_repair(ledger, repair_id, "refused", "officer:li", "no commitment", CATALOGUE)
    r.appeal_repair(ledger, repair_id, "I have now signed a commitment")
    with pytest.raises(DisputeRefusedError):
        r.appeal_repair(ledger, repair_id, "again")
    assert [i.action for i in r.repair_queue(ledger)] == ["decide-appeal"]
    file_facts(ledger, ["commitment"])
    with pytest.raises(DisputeRefusedError) as same:
        r.decide_appeal(ledger, repair_id, "granted", "officer:li", "ok", CATALOGUE)
    assert same.value.problems[0].field == "by"
    r.decide_appeal(ledger, repair_id, "granted", "officer:wang", "commitment now made", CATALOGUE)
    assert r.repair_state(ledger, repair_id).state == "appeal-granted"
    assert position in r.repaired_positions(ledger)
    with pytest.raises(DisputeRefusedError):
        r.appeal_repair(ledger, repair_id, "third time")


@pytest.mark.parametrize(
    ("kind", "field", "fragment"),
    [
        ("administrative_penalty_minor", "record", "not published"),
        ("loan_default", "record", "not a repairable penalty"),
    ],
)
def test_only_published_penalties_are_repairable(
    kind: str, field: str, fragment: str, make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    on_day(clock, 0)
    position = file(ledger, kind, None) if kind != "loan_default" else _loan(ledger)
    size = ledger.size()
    with pytest.raises(DisputeRefusedError) as refused:
        r.apply_for_repair(ledger, position, "please", CATALOGUE)
    assert refused.value.problems[0].field == field
    assert fragment in refused.value.problems[0].reason
    assert ledger.size() == size


def _loan(ledger: Ledger) -> int:
    from tests.rights.helpers import file_record

    return file_record(ledger)


def test_bad_input_is_refused_naming_the_field(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    position = _penalised(ledger, clock, "administrative_penalty_general", ["performed"])
    size = ledger.size()
    with pytest.raises(NotFoundError):
        r.apply_for_repair(ledger, 999, "x", CATALOGUE)
    with pytest.raises(ValidationError) as empty:
        r.apply_for_repair(ledger, position, "  ", CATALOGUE)
    assert empty.value.problems[0].field == "grounds"
    with pytest.raises(DisputeRefusedError) as other:
        r.apply_for_repair(ledger, position, "mine", CATALOGUE, subject_id="someone-else")
    assert other.value.problems[0].field == "record"
    repair_id = r.apply_for_repair(ledger, position, "paid", CATALOGUE)
    with pytest.raises(DisputeRefusedError):
        r.apply_for_repair(ledger, position, "again", CATALOGUE)
    with pytest.raises(ValidationError) as outcome:
        r.decide_repair(ledger, repair_id, "maybe", "officer:li", "x", CATALOGUE)
    assert outcome.value.problems[0].field == "outcome"
    with pytest.raises(ValidationError) as officer:
        r.decide_repair(ledger, repair_id, "refused", "officer li!", "x", CATALOGUE)
    assert officer.value.problems[0].field == "by"
    with pytest.raises(NotFoundError):
        r.decide_repair(ledger, "R999-1", "refused", "officer:li", "x", CATALOGUE)
    assert ledger.size() == size + 1


def test_commitment_is_a_record_and_a_bad_one_is_refused(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    on_day(clock, 0)
    position = file_commitment(ledger, CATALOGUE, ALICE, DECISION, "market_regulator:beijing")
    assert ledger.entry(position).data["kind"] == "credit_commitment_made"
    size = ledger.size()
    with pytest.raises(ValidationError) as prose:
        file_commitment(ledger, CATALOGUE, ALICE, "I promise", "market_regulator:beijing")
    assert any(p.field == "evidence" for p in prose.value.problems)
    with pytest.raises(ValidationError) as filer:
        file_commitment(ledger, CATALOGUE, ALICE, DECISION, "court:beijing-dongcheng")
    assert any(p.field == "kind" and "market_regulator" in p.reason for p in filer.value.problems)
    assert ledger.size() == size


def _granted(make_ledger: Callable[..., Ledger], clock: Any) -> tuple[Ledger, int, int]:
    ledger = make_ledger()
    position = _penalised(ledger, clock, "administrative_penalty_general", ["performed"])
    file_facts(ledger, ["commitment"])
    on_day(clock, 100)
    before = score(ledger, *ALICE, as_of=on_day(clock, 100)).total
    repair_id = r.apply_for_repair(ledger, position, "paid", CATALOGUE)
    r.decide_repair(ledger, repair_id, "granted", "officer:li", "all met", CATALOGUE)
    return ledger, position, before


def test_a_granted_repair_ends_publication_and_effect_in_every_evaluator(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger, position, before = _granted(make_ledger, clock)
    when = on_day(clock, 101)
    after = score(ledger, *ALICE, as_of=when)
    assert after.total == before + 30  # the general penalty's -30 no longer counts
    assert position not in {c.position for c in after.contributions}
    batch = [s.total for s in rescore(ledger, as_of=when).scores if s.subject_id == ALICE[1]]
    live = LiveScores.follow(ledger)
    try:
        assert batch == [after.total] == [live.score(*ALICE, ledger.clock()).total]
    finally:
        live.close()
    index = RecordIndex.build(ledger)
    status = index.status(position, ledger.clock())
    assert status.state == "withdrawn" and "credit repair" in status.reason


def test_publication_ends_even_where_the_rules_keep_the_effect(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    position = _penalised(ledger, clock, "administrative_penalty_general", ["performed"])
    file_facts(ledger, ["commitment"])
    on_day(clock, 100)
    keep = r.RepairRules(ends_scoring=False)
    repair_id = r.apply_for_repair(ledger, position, "paid", CATALOGUE, rules=keep)
    r.decide_repair(ledger, repair_id, "granted", "officer:li", "all met", CATALOGUE, keep)
    result = score(ledger, *ALICE, as_of=on_day(clock, 101))
    assert position in {c.position for c in result.contributions if c.points}
    repaired = r.repaired_positions(ledger, subject=ALICE)
    published = public_records(result.contributions, CATALOGUE, repaired=repaired)
    assert position not in {c.position for c, _ in published}
    assert position in {c.position for c, _ in public_records(result.contributions, CATALOGUE)}


def test_a_decision_offers_credit_repair_where_the_rules_allow_it() -> None:
    from socialcredit.consequences import CompiledConsequences, Membership, Status, make_decision
    from socialcredit.policy import default_bundle

    compiled = CompiledConsequences(default_bundle())
    day = 86_400_000_000
    listed = Membership(
        "seriously_illegal_enterprises", Status.LISTED, 0, 30 * day, 1_125 * day, (7,),
        ("administrative_penalty_serious",),
    )  # fmt: skip
    org = ("organisation", "91110000MA01ABCD1X")
    decision = make_decision(compiled, org, "government_procurement", 400 * day, [listed])
    repair = [s for s in decision.recourse if "credit repair" in s]
    assert repair and "administrative_penalty_serious" in repair[0]
    debtor = Membership(
        "dishonest_judgment_debtors", Status.LISTED, 0, 0, None, (3,),
        ("debtor_refuses_to_perform",),
    )  # fmt: skip
    other = make_decision(compiled, ("person", ALICE[1]), "air_travel", 400 * day, [debtor])
    assert other.recourse and not any("credit repair" in s for s in other.recourse)


def test_each_decision_queues_one_repair_outcome_notice(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    from socialcredit.notices import notices_of, queue_notices, render

    ledger = make_ledger()
    position = _penalised(ledger, clock, "administrative_penalty_general", ["performed"])
    on_day(clock, 100)
    repair_id = r.apply_for_repair(ledger, position, "paid", CATALOGUE)
    r.decide_repair(ledger, repair_id, "refused", "officer:li", "no commitment", CATALOGUE)
    first = queue_notices(ledger, kinds=["repair_outcome"])
    assert len(first.queued) == 1
    assert queue_notices(ledger, kinds=["repair_outcome"]).queued == []  # idempotent
    (notice,) = [s.notice for s in notices_of(ledger, ALICE) if s.notice.kind == "repair_outcome"]
    assert notice.content["outcome"] == "refused" and notice.content["unmet"] == ["commitment"]
    for locale in ("en", "zh_CN"):
        assert repair_id in render(notice, locale).body


def test_a_repaired_penalty_is_not_brought_back_by_recertification(
    make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    from socialcredit.errors import DisputeRefusedError
    from socialcredit.rights import recertify

    ledger, position, _ = _granted(make_ledger, clock)
    size = ledger.size()
    with pytest.raises(DisputeRefusedError, match="credit repair"):
        recertify(ledger, position, "court:beijing-chaoyang", "it was accurate")
    assert ledger.size() == size  # nothing written
