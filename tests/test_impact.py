"""The impact assessment of a bundle: the lab's one library call, its record in the ledger and
``socialcredit policy assess``.

Every assessment here runs on a small city (2,000 residents, 100 organisations) and a short
lab run, so the whole module stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from socialcredit.catalogue import default_catalogue
from socialcredit.cli import cli
from socialcredit.demo._city import build_city
from socialcredit.errors import ValidationError
from socialcredit.ledger import Ledger
from socialcredit.policy import PolicyBundle, default_bundle, load_bundle_from_files
from socialcredit.policy._assessment import assessment_for, record_assessment
from socialcredit.records import record_rows
from socialcredit.service import open_ledger
from socialcredit.settings import Settings
from socialcredit.simulation import ImpactAssessment, assess_bundle
from socialcredit.simulation._impact_city import synthetic_city

from .test_policy_cases import edit_files

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "socialcredit" / "policy" / "default"
SMALL: dict[str, Any] = {"residents": 2_000, "organisations": 100, "lab_steps": 30}
CLI_SMALL = ["--residents", "2000", "--organisations", "100"]


def harsher() -> PolicyBundle:
    """Revision 2: fare evasion costs 300 points instead of 10, and a breach of a
    consumption restriction lists a debtor for 5 years instead of 2."""
    debtors = "lists[id=dishonest_judgment_debtors]"
    ground = f"{debtors}.grounds[kind=debtor_breaches_consumption_restriction]"
    return load_bundle_from_files(
        edit_files(
            [
                {"file": "manifest.yaml", "set": "revision", "value": 2},
                {"file": "scoring.yaml", "set": "rules[kind=fare_evasion].points", "value": -300},
                {"file": "listings.yaml", "set": f"{ground}.period", "value": "5y"},
            ]
        )
    )


@pytest.fixture(scope="module")
def unchanged() -> ImpactAssessment:
    return assess_bundle(default_bundle(), default_bundle(), **SMALL)


@pytest.fixture(scope="module")
def harsh() -> ImpactAssessment:
    return assess_bundle(harsher(), default_bundle(), **SMALL)


def test_the_default_bundle_against_itself_changes_nothing(unchanged: ImpactAssessment) -> None:
    assert all(g.before == g.after for g in unchanged.grades)
    assert sum(g.after for g in unchanged.grades) == 2_100  # every subject, records or not
    assert (unchanged.moved_down, unchanged.moved_up, unchanged.newly_restricted) == (0, 0, 0)
    assert unchanged.measures and all(m.newly == m.no_longer == 0 for m in unchanged.measures)
    assert all(m.before == m.after for m in unchanged.measures)
    assert any(m.after > 0 for m in unchanged.measures)  # the city does have listed subjects
    assert all(g.newly_restricted == 0 for g in unchanged.groups)
    assert unchanged.lab.ran
    assert all(m.before == m.after for m in unchanged.lab.measures)


def test_a_harsher_bundle_moves_grades_down_and_restricts_more(harsh: ImpactAssessment) -> None:
    assert harsh.candidate.revision == 2 and harsh.in_force is not None
    assert harsh.moved_down > 0 and harsh.moved_up == 0
    by_grade = {g.grade: g for g in harsh.grades}
    assert by_grade["C"].after > by_grade["C"].before  # type: ignore[operator]
    assert by_grade["A"].after < by_grade["A"].before  # type: ignore[operator]
    restrictions = [m for m in harsh.measures if m.effect == "restriction"]
    assert any(m.newly > 0 for m in restrictions)
    assert all(m.no_longer == 0 and m.after == m.before + m.newly for m in harsh.measures)
    air = next(m for m in harsh.measures if m.measure == "no_air_travel")
    assert air.newly == harsh.newly_restricted > 0  # the longer listing is a person's
    kinds = {g.group: g for g in harsh.groups if g.dimension == "subject_kind"}
    assert kinds["person"].newly_restricted == harsh.newly_restricted
    assert kinds["organisation"].newly_restricted == 0
    for dimension, population in (("age_band", kinds["person"]), ("region", None)):
        rows = [g for g in harsh.groups if g.dimension == dimension]
        assert sum(g.newly_restricted for g in rows) == harsh.newly_restricted
        down = harsh.moved_down if population is None else population.moved_down
        assert sum(g.moved_down for g in rows) == down
    low = next(m for m in harsh.lab.measures if m.measure == "low_share")
    assert float(low.after or 0) > float(low.before or 0)  # fare evasion is the lab's free-riding


def test_false_listings_are_zero_without_error_and_grow_with_it() -> None:
    def false(error: float) -> Any:
        found = assess_bundle(default_bundle(), None, **{**SMALL, "lab_steps": 0},
                              observation_error=error)  # fmt: skip
        return found.false_listing

    exact, some, many = false(0.0), false(0.05), false(0.3)
    assert (exact.misattributed, exact.false_listings, exact.missed) == (0, 0, 0)
    assert exact.rate == "0.0000" and exact.rate_ppm == 0 and exact.listed_observed > 0
    assert 0 < some.misattributed < many.misattributed
    assert 0 < some.false_listings < many.false_listings
    assert some.rate_ppm < many.rate_ppm
    assert many.observation_error == "0.3000" and many.observation_error_ppm == 300_000
    assert "probability e = 0.3000" in many.assumption
    assert sum(f for _, _, f, _ in many.by_list) >= many.false_listings


def test_the_same_seed_gives_the_same_assessment(unchanged: ImpactAssessment) -> None:
    again = assess_bundle(default_bundle(), default_bundle(), **SMALL)
    assert again == unchanged
    assert orjson.dumps(again.to_json()) == orjson.dumps(unchanged.to_json())
    other = assess_bundle(default_bundle(), default_bundle(), **{**SMALL, "lab_steps": 0}, seed=7)
    assert other.city.records != unchanged.city.records


def test_the_json_has_no_floats_and_reads_back(harsh: ImpactAssessment) -> None:
    data = harsh.to_json()

    def walk(value: Any) -> None:
        assert not isinstance(value, float), value
        items = value.values() if isinstance(value, dict) else value
        for item in items if isinstance(value, dict | list) else ():
            walk(item)

    walk(data)
    assert ImpactAssessment.from_json(orjson.loads(orjson.dumps(data))) == harsh
    lines = harsh.summary_lines()
    assert lines[0].startswith("impact of revision 2") and "against revision 1" in lines[0]
    assert any(line.startswith("C ") for line in lines)
    with pytest.raises(ValueError, match="version 1"):
        ImpactAssessment.from_json({"version": 9})


def test_arguments_out_of_range_are_refused_together() -> None:
    with pytest.raises(ValidationError) as caught:
        assess_bundle(default_bundle(), None, residents=-1, observation_error=1.5)
    assert {p.field for p in caught.value.problems} == {"residents", "observation_error"}


def test_the_city_in_memory_is_the_city_the_demo_files(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    build_city(ledger, default_catalogue(), residents=300, organisations=20, seed=5)
    filed = sorted(
        (r.subject_id, r.kind, r.occurred_at_us, r.recorded_at_us, r.amount)
        for r in record_rows(ledger)
    )
    city = synthetic_city(default_catalogue(), residents=300, organisations=20, seed=5)
    drawn = sorted(
        (r.subject_id, r.kind, r.occurred_at_us, r.recorded_at_us, r.amount)
        for _, rows in city.subject_rows()
        for r in rows
    )
    assert drawn == filed and city.refused == 0


# -- the ledger ------------------------------------------------------------------------------


def test_an_assessment_is_recorded_and_found_by_digest(
    make_ledger: Callable[..., Ledger], harsh: ImpactAssessment
) -> None:
    ledger = make_ledger()
    digest, in_force = harsh.candidate.digest, default_bundle().digest
    assert assessment_for(ledger, digest) is None
    position = record_assessment(ledger, digest, 2, harsh.to_json(), in_force)
    found = assessment_for(ledger, digest)
    assert found is not None and found.position == position
    assert (found.revision, found.in_force_digest) == (2, in_force)
    assert ImpactAssessment.from_json(found.assessment) == harsh
    size = ledger.size()
    assert record_assessment(ledger, digest, 2, harsh.to_json(), in_force) == position
    assert ledger.size() == size  # the same assessment again: not appended twice
    with pytest.raises(ValidationError):
        record_assessment(ledger, digest, 2, {"rate": 0.5}, in_force)
    assert ledger.size() == size
    assert assessment_for(ledger, default_bundle().digest) is None


# -- the command line ------------------------------------------------------------------------


def _store(tmp_path: Path) -> list[str]:
    store = ["--store", f"sqlite:///{tmp_path / 'l.db'}"]
    assert CliRunner().invoke(cli, [*store, "init"]).exit_code == 0
    return store


def test_cli_assess_prints_the_summary_and_records_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    candidate = tmp_path / "candidate"
    candidate.mkdir()
    bundle = harsher()
    for name, data in bundle.files.items():
        (candidate / name).write_bytes(data)
    result = CliRunner().invoke(cli, ["policy", "assess", str(candidate), *CLI_SMALL, *store])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "impact of revision 2" in out and "against nothing in force" in out
    assert "grade" in out and "before" in out and "after" in out
    assert "no_air_travel" in out and "newly restricted by any measure" in out
    assert "false listings: rate" in out and "assumption: each record is" in out
    assert "age band 60+" in out and "region 110101" in out and "lab: lawful_core" in out
    ledger = open_ledger(Settings(store=store[1]))
    found = assessment_for(ledger, bundle.digest)
    assert found is not None and found.in_force_digest is None
    assert f"recorded at position {found.position}" in out
    as_json = CliRunner().invoke(
        cli, ["policy", "assess", str(candidate), *CLI_SMALL, "--json", *store]
    )
    assert as_json.exit_code == 0
    assert orjson.loads(as_json.output)["position"] == found.position  # same run: idempotent


def test_cli_assess_refuses_a_directory_that_is_not_a_bundle(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ledger = open_ledger(Settings(store=store[1]))
    before = ledger.size()
    empty = tmp_path / "not-a-bundle"
    empty.mkdir()
    (empty / "notes.yaml").write_text("hello: world\n")
    result = CliRunner().invoke(cli, ["policy", "assess", str(empty), *CLI_SMALL, *store])
    assert result.exit_code == 2
    assert "policy_invalid" in result.output and "manifest.yaml: missing" in result.output
    assert open_ledger(Settings(store=store[1])).size() == before


def test_a_bundle_the_lab_cannot_express_says_why_and_reports_no_lab_figures() -> None:
    without = load_bundle_from_files(
        edit_files(
            [
                {"file": "manifest.yaml", "set": "revision", "value": 2},
                {"file": "scoring.yaml", "delete": "rules[kind=fare_evasion]"},
            ]
        )
    )
    found = assess_bundle(without, default_bundle(), **{**SMALL, "residents": 300})
    assert not found.lab.ran and found.lab.measures == ()
    assert "cannot express" in found.lab.note and "fare_evasion" in found.lab.note
    assert "lab: not run (the lab cannot express" in "\n".join(found.summary_lines())
    assert found.moved_down == 0  # fare evasion no longer costs points: nobody is worse off
