"""The credit-repair rules as a bundle file (``repair.yaml``, issue 20): checked field by field,
defaulting to the NDRC 2023 values, applied from the bundle in force; and a repaired penalty
leaves the public records even where the bundle keeps its effect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.catalogue import default_catalogue, make_uscc
from socialcredit.documents import enterprise_report
from socialcredit.ledger import Ledger
from socialcredit.policy import (
    NDRC_2023,
    PolicyBundle,
    PolicyError,
    default_bundle,
    file_hash,
    load_bundle_from_files,
)
from socialcredit.policy import publish as publish_bundle
from socialcredit.rights import _repair as r
from socialcredit.scoring import score
from socialcredit.server import create_app
from socialcredit.service import init_ledger, open_ledger
from socialcredit.settings import Settings
from socialcredit.timeutil import to_us
from tests.api.client import SyncClient
from tests.repair.helpers import DAY0, DECISION, file
from tests.test_policy_cases import edit_files

CASES = yaml.safe_load((Path(__file__).parent / "rules_cases.yaml").read_text(encoding="utf-8"))
CATALOGUE = default_catalogue()
KEEPS_EFFECT = "min_publicity_days: {general: 30, serious: 60}\nends_scoring: false\n"


def with_repair(text: str | None) -> dict[str, bytes]:
    """The shipped bundle's files, revision 2, with ``repair.yaml`` replaced (None: removed)."""
    edits: list[dict[str, Any]] = [
        {"remove_file": "repair.yaml"},
        {"file": "manifest.yaml", "set": "revision", "value": 2},
    ]
    files = edit_files(edits)
    manifest = yaml.safe_load(files["manifest.yaml"])
    del manifest["files"]["repair.yaml"]
    if text is not None:
        files["repair.yaml"] = text.encode()
        manifest["files"]["repair.yaml"] = file_hash(text.encode())
    files["manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
    return files


def test_the_shipped_file_and_a_bundle_without_one_give_the_ndrc_2023_defaults() -> None:
    assert "repair.yaml" in default_bundle().files
    assert default_bundle().repair == NDRC_2023
    assert load_bundle_from_files(with_repair(None)).repair == NDRC_2023
    assert yaml.safe_load(default_bundle().files["repair.yaml"]) == NDRC_2023.as_dict()


def test_a_partial_file_keeps_the_defaults_for_what_it_leaves_out() -> None:
    rules = load_bundle_from_files(with_repair(KEEPS_EFFECT)).repair
    assert dict(rules.min_publicity_days) == {"general": 30, "serious": 60}
    assert rules.ends_scoring is False
    assert (rules.categories, rules.training_for) == (NDRC_2023.categories, NDRC_2023.training_for)
    assert rules.decide_business_days == NDRC_2023.decide_business_days


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_bad_repair_file_is_refused_naming_each_field(case: dict[str, Any]) -> None:
    with pytest.raises(PolicyError) as refused:
        load_bundle_from_files(with_repair(case["text"]))
    found = [(p.field, p.reason) for p in refused.value.problems]
    assert len(found) == len(case["problems"]), found
    for field, words in case["problems"]:
        assert any(f == field and words in reason for f, reason in found), (field, found)


# -- the rules of the bundle in force, applied -----------------------------------------------


class _Time:
    def __init__(self) -> None:
        self.now_us = to_us(DAY0)

    def __call__(self) -> int:
        return self.now_us

    def day(self, n: int) -> datetime:
        moment = DAY0 + timedelta(days=n)
        self.now_us = to_us(moment)
        return moment


ORG = ("organisation", make_uscc("110101", 4242))
OTHER = ("organisation", make_uscc("110101", 4243))


def _world(tmp_path: Path, bundle: PolicyBundle) -> tuple[Settings, Ledger, _Time, int, int]:
    """A ledger in force with ``bundle`` (genesis) and a general penalty on ORG and OTHER,
    performed and committed to, filed on day 0 and 10."""
    settings = Settings(store=f"sqlite:///{tmp_path / 'repair.db'}")
    ledger = init_ledger(settings, origin="test/repair-rules")
    time = _Time()
    ledger.clock = time
    publish_bundle(ledger, bundle)
    penalties = [
        file(ledger, "administrative_penalty_general", DECISION, who) for who in (ORG, OTHER)
    ]
    time.day(10)
    for kind in ("administrative_penalty_performed", "credit_commitment_made"):
        file(ledger, kind, DECISION, ORG)
    return settings, ledger, time, *penalties


def test_the_bundle_in_force_sets_the_publicity_period(tmp_path: Path) -> None:
    bundle = load_bundle_from_files(with_repair(KEEPS_EFFECT))
    _, ledger, time, penalty, _ = _world(tmp_path, bundle)
    time.day(31)
    assert r.rules_in_force(ledger) == bundle.repair
    met = {c.name: c.met for c in r.conditions(ledger, penalty, CATALOGUE)}
    assert met["publicity_period"] is True  # 30 days under this bundle
    assert {c.name: c.met for c in r.conditions(ledger, penalty, CATALOGUE, NDRC_2023)}[
        "publicity_period"
    ] is False  # 90 under the defaults


@pytest.fixture
def repaired_but_counting(tmp_path: Path) -> Iterator[tuple[Settings, int, int, datetime]]:
    """ORG's penalty repaired under a bundle that keeps a repaired penalty's effect."""
    bundle = load_bundle_from_files(with_repair(KEEPS_EFFECT))
    settings, ledger, time, penalty, other = _world(tmp_path, bundle)
    time.day(31)
    repair_id = r.apply_for_repair(ledger, penalty, "fine paid", CATALOGUE)
    time.day(32)
    r.decide_repair(ledger, repair_id, "granted", "officer:li", "all conditions met", CATALOGUE)
    when = time.day(33)
    assert penalty in r.repaired_positions(ledger)
    result = score(ledger, *ORG, as_of=when)
    assert penalty in {c.position for c in result.contributions if c.points}  # effect kept
    yield settings, penalty, other, when
    ledger.store.close()


def test_the_enterprise_report_leaves_out_a_repaired_penalty(
    repaired_but_counting: tuple[Settings, int, int, datetime],
) -> None:
    settings, penalty, other, when = repaired_but_counting
    ledger = open_ledger(settings)
    mine = enterprise_report(ledger, ORG[1], at=when)
    theirs = enterprise_report(ledger, OTHER[1], at=when)
    assert penalty not in {item["position"] for item in mine["records"]}
    assert other in {item["position"] for item in theirs["records"]}  # not repaired: published


def test_the_public_organisation_page_leaves_out_a_repaired_penalty(
    repaired_but_counting: tuple[Settings, int, int, datetime],
) -> None:
    settings, _, _, _ = repaired_but_counting
    ledger = open_ledger(settings)
    numbers = {who: ledger.subject_id(*who) for who in (ORG, OTHER)}
    ledger.store.close()
    with SyncClient(create_app(settings)) as client:
        mine = client.get(f"/org/{numbers[ORG]}")
        theirs = client.get(f"/org/{numbers[OTHER]}")
    assert mine.status_code == theirs.status_code == 200
    assert "No public records." in mine.text
    assert "No public records." not in theirs.text


def test_a_decision_offers_repair_only_where_the_bundles_rules_allow_it() -> None:
    from socialcredit.consequences import CompiledConsequences, Membership, Status, make_decision

    day = 86_400_000_000
    listed = Membership(
        "seriously_illegal_enterprises", Status.LISTED, 0, 30 * day, 1_125 * day, (7,),
        ("administrative_penalty_serious",),
    )  # fmt: skip

    def offers(bundle: PolicyBundle) -> bool:
        decision = make_decision(
            CompiledConsequences(bundle), ORG, "government_procurement", 400 * day, [listed]
        )
        return any("credit repair" in s for s in decision.recourse)

    general_only = "min_publicity_days: {general: 90}\ntraining_for: []\n"
    assert offers(load_bundle_from_files(with_repair(None)))
    assert not offers(load_bundle_from_files(with_repair(general_only)))  # serious: not published
