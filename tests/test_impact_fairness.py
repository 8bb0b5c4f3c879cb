"""Fairness in the impact assessment: approval and outcome rates by group for a bundle with
binned rules (issue 21), against the bundle in force, recorded and shown by ``policy assess``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.policy import Bin, BinnedRule, PolicyBundle, default_bundle
from socialcredit.policy._assessment import assessment_for
from socialcredit.scorecard import _fairness as fair
from socialcredit.scorecard._publish import scorecard_bundle
from socialcredit.scorecard._validation import fairness as report_fairness
from socialcredit.service import open_ledger
from socialcredit.settings import Settings
from socialcredit.simulation import ImpactAssessment, assess_bundle

SMALL: dict[str, Any] = {"residents": 3_000, "organisations": 150, "lab_steps": 0, "seed": 4}


def binned(points: int = -90, loans: bool = True) -> PolicyBundle:
    """Revision 2 of the default bundle: two binned finance rules (one without ``loans``) in
    place of its finance per-record rules (as a learned scorecard is published)."""
    rules = [
        BinnedRule("loan_default_count", ("loan_default",), "finance",
                   (Bin(0, 0), Bin(1, -40), Bin(None, points))),
        BinnedRule("tax_arrears_count", ("tax_arrears",), "finance", (Bin(0, 0), Bin(None, -30))),
    ][0 if loans else 1 :]  # fmt: skip
    return scorecard_bundle(
        default_bundle(), rules, dimension="finance",
        effective_from=datetime(2027, 1, 1, tzinfo=UTC), provenance={"fit": "test"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def assessed() -> ImpactAssessment:
    return assess_bundle(binned(), default_bundle(), **SMALL)


def test_a_binned_candidate_carries_rates_by_group_before_and_after(
    assessed: ImpactAssessment,
) -> None:
    f = assessed.fairness
    assert f.ran and f.dimension == "finance" and f.scored_at.startswith("2024-01-01")
    assert {g.grouping for g in f.groups} == {"subject_kind", "age_band", "region"}
    assert [g.grouping for g in f.gaps] == ["subject_kind", "age_band", "region"]
    for grouping in ("subject_kind", "region"):  # every application is in one group of each
        assert sum(g.applications for g in f.groups if g.grouping == grouping) == f.applications
    assert all(g.approval_before is not None for g in f.groups)
    assert any(g.approval_before != g.approval_after for g in f.groups)  # the rules differ


def test_the_rates_are_those_the_scorecard_report_computes() -> None:
    """The assessment's strings and the scorecard report's floats, on the same approvals."""
    candidate = binned()
    found = fair.applications(candidate, subjects=3_150, organisation_share=150 / 3_150, seed=4)
    approved = fair.approved(candidate, found, "finance", 0.8)
    expected = report_fairness(found.groups, found.bad, approved)
    people = found.groups["age_band"] != ""  # an organisation has no age band
    ages = {"age_band": found.groups["age_band"][people]}
    expected |= report_fairness(ages, found.bad[people], approved[people])
    f = assess_bundle(candidate, None, **SMALL).fairness
    assert f.applications == found.size
    for g in f.groups:
        row = expected[g.grouping]["groups"][g.group]
        assert (g.applications, float(g.bad_rate)) == (row["n"], row["bad_rate"])
        assert float(g.approval_after) == pytest.approx(row["approval_rate"], abs=1e-4)
        assert float(g.approval_good_after) == pytest.approx(row["approval_rate_good"], abs=1e-4)
        assert g.approval_before is None  # nothing in force
    for gap in f.gaps:
        report = expected[gap.grouping]
        assert float(gap.approval_after) == pytest.approx(report["approval_gap"], abs=2e-4)
        assert float(gap.among_good_after) == pytest.approx(
            report["approval_gap_among_good"], abs=2e-4
        )


def test_before_depends_on_the_bundle_in_force_only_and_after_on_the_candidate() -> None:
    mild, harsh = (assess_bundle(b, default_bundle(), **SMALL).fairness
                   for b in (binned(loans=False), binned()))  # fmt: skip
    for a, b in zip(mild.groups, harsh.groups, strict=True):
        assert (a.grouping, a.group, a.applications) == (b.grouping, b.group, b.applications)
        assert a.approval_before == b.approval_before  # the same bundle in force
    assert [g.approval_after for g in mild.groups] != [g.approval_after for g in harsh.groups]


def test_the_same_bundle_against_itself_changes_no_rate() -> None:
    candidate = binned()
    f = assess_bundle(candidate, candidate, **SMALL).fairness
    assert all(g.approval_before == g.approval_after for g in f.groups)
    assert all(g.approval_before == g.approval_after for g in f.gaps)


def test_a_candidate_without_binned_rules_says_why_not() -> None:
    found = assess_bundle(default_bundle(), default_bundle(), **{**SMALL, "residents": 300})
    assert not found.fairness.ran and "no binned rules" in found.fairness.note
    assert "fairness: not assessed (the candidate bundle has no binned rules)" in (
        found.summary_lines()
    )


def test_the_fairness_json_has_no_floats_and_reads_back(assessed: ImpactAssessment) -> None:
    data = assessed.to_json()
    text = orjson.dumps(data).decode()
    assert "." in data["fairness"]["groups"][0]["bad_rate"]
    assert not any(isinstance(v, float) for v in _leaves(data["fairness"])), text[:200]
    assert ImpactAssessment.from_json(orjson.loads(text)) == assessed
    older = {k: v for k, v in data.items() if k != "fairness"}  # recorded before this field
    assert not ImpactAssessment.from_json(older).fairness.ran


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_cli_assess_shows_and_records_the_fairness(tmp_path: Path) -> None:
    store = ["--store", f"sqlite:///{tmp_path / 'l.db'}"]
    assert CliRunner().invoke(cli, [*store, "init"]).exit_code == 0
    folder = tmp_path / "candidate"
    folder.mkdir()
    bundle = binned()
    for name, data in bundle.files.items():
        (folder / name).write_bytes(data)
    args = ["policy", "assess", str(folder), "--residents", "2000", "--organisations", "100"]
    result = CliRunner().invoke(cli, [*args, *store])
    assert result.exit_code == 0, result.output
    assert "fairness on the credit city" in result.output
    assert "gap by age band: bad rate" in result.output and "approval if good" in result.output
    found = assessment_for(open_ledger(Settings(store=store[1])), bundle.digest)
    assert found is not None and found.assessment["fairness"]["ran"] is True
    groups = found.assessment["fairness"]["groups"]
    assert np.all([g["approval_before"] is None for g in groups])  # nothing in force
