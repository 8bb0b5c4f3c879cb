"""Policy bundles: the shipped default, signatures, publishing, bitemporal read-back, diff, CLI.

The check-by-check refusals are data-driven: see ``tests/test_policy_cases.py``.
"""

from __future__ import annotations

import doctest
import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import socialcredit.policy
from socialcredit.catalogue import Gravity, default_catalogue
from socialcredit.cli import cli
from socialcredit.errors import NotFoundError
from socialcredit.ledger import Ledger, PendingEntry
from socialcredit.policy import (
    Action,
    Area,
    Change,
    Decay,
    PerUnit,
    PolicyBundle,
    PolicyError,
    bundle_in_force,
    default_bundle,
    diff,
    load_bundle,
    load_bundle_from_files,
    publish,
    published_bundle,
    published_bundles,
    sign_bundle,
)

from .conftest import Clock
from .test_governance import publish_governed
from .test_policy_cases import assert_problems, edit_files

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "socialcredit" / "policy" / "default"


def revised(revision: int, effective_from: str, *edits: dict[str, Any]) -> PolicyBundle:
    """The default bundle at another revision and effective date, with ``edits``."""
    manifest_edits: list[dict[str, Any]] = [
        {"file": "manifest.yaml", "set": "revision", "value": revision},
        {"file": "manifest.yaml", "set": "effective_from", "value": effective_from},
    ]
    return load_bundle_from_files(edit_files([*manifest_edits, *edits]))


def refusal(files: dict[str, bytes]) -> Sequence[Any]:
    with pytest.raises(PolicyError) as caught:
        load_bundle_from_files(files)
    return caught.value.problems


# -- the shipped default ---------------------------------------------------------------------


def test_default_bundle_loads_and_matches_the_catalogue() -> None:
    bundle = default_bundle()
    assert bundle.revision == 1
    assert bundle.effective_from == datetime(2020, 1, 1, tzinfo=UTC)
    assert set(bundle.files) == {
        "manifest.yaml",
        "catalogue.yaml",
        "scoring.yaml",
        "listings.yaml",
        "measures.yaml",
        "labels.yaml",
        "sector_grades.yaml",
        "repair.yaml",
    }
    assert [k.as_dict() for k in bundle.catalogue] == [k.as_dict() for k in default_catalogue()]
    for kind in bundle.catalogue:
        rule = bundle.scoring.rule(kind.id)
        assert (rule is None) == (kind.gravity == Gravity.NEUTRAL), kind.id
    assert bundle.digest == hashlib.sha256(bundle.manifest.canonical()).hexdigest()
    assert load_bundle(DEFAULT_DIR) == bundle


def test_package_docstring_example_runs() -> None:
    assert doctest.testmod(socialcredit.policy).failed == 0


def test_default_scoring_follows_the_reference() -> None:
    scoring = default_bundle().scoring
    assert scoring.base == 1000
    bands = {(b.grade, b.min, b.max) for b in scoring.grades}
    assert bands >= {("AA", 1030, 1049), ("A", 960, 1029), ("B", 850, 959), ("C", 600, 849)}
    assert [scoring.grade(s) for s in (1050, 1049, 1000, 900, 700, 599)] == list(
        ["AAA", "AA", "A", "B", "C", "D"]
    )
    assert scoring.grade(-50) == "D" and scoring.grade(10**6) == "AAA"  # clamped to the bounds
    expiry = {t.gravity: (t.expiry_days, t.decay) for t in scoring.tiers}
    assert expiry[Gravity.MINOR] == (90, Decay.NONE)
    assert expiry[Gravity.SERIOUS] == (3 * 365, Decay.NONE)
    assert scoring.tier(Gravity.NEUTRAL) is None
    assert scoring.rule("volunteering") is not None
    assert scoring.rule("volunteering").points == PerUnit(1, 20)  # type: ignore[union-attr]


def test_load_bundle_from_a_directory(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_DIR, tmp_path / "b")
    (tmp_path / "b" / "README.txt").write_text("not part of the bundle")
    assert load_bundle(tmp_path / "b").digest == default_bundle().digest
    (tmp_path / "b" / "extra.yml").write_text("x: 1\n")
    with pytest.raises(PolicyError) as caught:
        load_bundle(tmp_path / "b")
    assert_problems(caught.value.problems, [("extra.yml", "not listed")])
    with pytest.raises(PolicyError, match="cannot be read"):
        load_bundle(tmp_path / "missing")


def test_missing_manifest_and_broken_yaml_are_reported() -> None:
    files = dict(default_bundle().files)
    del files["manifest.yaml"]
    files["scoring.yaml"] = b"base: [unclosed"
    assert_problems(
        refusal(files), [("manifest.yaml", "missing"), ("scoring.yaml", "not valid UTF-8 YAML")]
    )


# -- signatures ------------------------------------------------------------------------------


def test_a_signed_bundle_verifies_and_keeps_its_digest() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_bundle(default_bundle(), key)
    assert signed.manifest.signature and signed.manifest.public_key
    assert signed.digest != default_bundle().digest  # the public key is part of the manifest
    assert load_bundle_from_files(signed.files) == signed
    assert sign_bundle(signed, key).digest == signed.digest


def test_a_signature_that_does_not_verify_is_refused() -> None:
    signed = sign_bundle(default_bundle(), Ed25519PrivateKey.generate())
    manifest = yaml.safe_load(signed.files["manifest.yaml"])
    manifest["description"] = "changed after signing"
    tampered = {**signed.files, "manifest.yaml": yaml.safe_dump(manifest).encode()}
    assert_problems(refusal(tampered), [("manifest.yaml:signature", "does not verify")])
    manifest["public_key"] = "not a key"
    bad_key = {**signed.files, "manifest.yaml": yaml.safe_dump(manifest).encode()}
    assert_problems(refusal(bad_key), [("manifest.yaml:public_key", "base64 raw Ed25519")])


# -- publishing and reading back -------------------------------------------------------------


def test_publish_and_read_back_identical(make_ledger: Callable[..., Ledger]) -> None:
    ledger = make_ledger()
    bundle = default_bundle()
    position = publish(ledger, bundle)
    entry = ledger.entry(position)
    assert entry.type == "PolicyPublished"
    assert entry.data["revision"] == 1 and entry.data["digest"] == bundle.digest
    assert entry.data["effective_from"] == "2020-01-01T00:00:00Z"
    (published,) = published_bundles(ledger)
    assert published.position == position and published.revision == 1
    assert published.bundle == bundle
    assert published.bundle.files == bundle.files
    assert published.bundle.catalogue.kinds == bundle.catalogue.kinds


def test_publish_with_a_policy_key_signs_the_manifest(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    publish(ledger, default_bundle(), signer=Ed25519PrivateKey.generate())
    assert published_bundle(ledger, 1).bundle.manifest.signature is not None


def test_revision_must_increase(make_ledger: Callable[..., Ledger]) -> None:
    ledger = make_ledger()  # ledger time 2026-01-01
    publish(ledger, revised(2, "2021-01-01T00:00:00Z"))  # the genesis
    for bundle in (revised(1, "2026-03-01T00:00:00Z"), revised(2, "2026-03-01T00:00:00Z")):
        with pytest.raises(PolicyError) as caught:  # signed, assessed, noticed: still refused
            publish_governed(ledger, bundle)
        assert_problems(caught.value.problems, [("manifest.yaml:revision", "greater than 2")])
    publish_governed(ledger, revised(3, "2026-03-01T00:00:00Z"))
    assert [p.revision for p in published_bundles(ledger)] == [2, 3]
    with pytest.raises(NotFoundError):
        published_bundle(ledger, 1)


def test_bundle_in_force_is_bitemporal(make_ledger: Callable[..., Ledger], clock: Clock) -> None:
    ledger = make_ledger()  # ledger time starts 2026-01-01
    publish(ledger, default_bundle())
    first_known = datetime(2026, 1, 1, 12, tzinfo=UTC)
    clock.advance(90 * 86_400)  # rev 2 is recorded on 2026-04-01 (signed, assessed, noticed)
    publish_governed(ledger, revised(2, "2026-06-01T00:00:00Z"))
    before, after = datetime(2026, 5, 31, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)

    def revision(at: datetime, known_at: datetime | None = None) -> int | None:
        found = bundle_in_force(ledger, at, known_at)
        return None if found is None else found.revision

    assert revision(before) == 1
    assert revision(after) == 2
    assert revision(datetime(2030, 1, 1, tzinfo=UTC), known_at=first_known) == 1
    assert revision(after, known_at=datetime(2026, 4, 1, tzinfo=UTC)) == 2
    assert revision(datetime(2019, 12, 31, tzinfo=UTC)) is None
    assert revision(after, known_at=datetime(2025, 12, 31, tzinfo=UTC)) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        bundle_in_force(ledger, datetime(2026, 1, 1))


def test_a_tampered_published_entry_is_refused(make_ledger: Callable[..., Ledger]) -> None:
    ledger = make_ledger()
    files = {k: v.decode() for k, v in default_bundle().files.items()}
    data = {"revision": 1, "effective_from": "2020-01-01T00:00:00Z", "digest": "0" * 64}
    ledger.append([PendingEntry("PolicyPublished", {**data, "files": files})])
    with pytest.raises(PolicyError, match="does not replay"):
        published_bundles(ledger)


# -- diff ------------------------------------------------------------------------------------


def test_diff_lists_each_change() -> None:
    catalogue_kind = {
        "id": "metro_fare_overpaid",
        "name": "Metro fare not made good",
        "category": "fare_payment",
        "subject_kinds": ["person"],
        "gravity": "minor",
        "legal_basis": "railway-law/art14",
        "retention": "1y",
    }
    new = revised(
        2,
        "2026-06-01T00:00:00Z",
        {"file": "scoring.yaml", "set": "rules[kind=loan_default].points", "value": -40},
        {"file": "scoring.yaml", "set": "rules[kind=fare_evasion].dimension", "value": "civic"},
        {"file": "scoring.yaml", "delete": "rules[kind=false_advertising]"},
        {
            "file": "scoring.yaml",
            "append": "rules",
            "value": {"kind": "metro_fare_overpaid", "dimension": "transport", "points": -5},
        },
        {
            "file": "scoring.yaml",
            "set": "tiers.minor",
            "value": {"expiry": "6m", "decay": "linear"},
        },
        {"file": "scoring.yaml", "set": "grades[grade=AA].min", "value": 1040},
        {"file": "scoring.yaml", "set": "grades[grade=A].max", "value": 1039},
        {"file": "scoring.yaml", "set": "base", "value": 1010},
        {"file": "catalogue.yaml", "append": "kinds", "value": catalogue_kind},
        {"file": "catalogue.yaml", "set": "kinds[id=tax_arrears].retention", "value": "3y"},
    )
    changes = diff(default_bundle(), new)
    assert set(changes) == {
        Change(Area.RULE, "loan_default", Action.CHANGED, "points", "-30", "-40"),
        Change(Area.RULE, "fare_evasion", Action.CHANGED, "dimension", "transport", "civic"),
        Change(
            Area.RULE,
            "false_advertising",
            Action.REMOVED,
            old="points -30, dimension market_conduct",
        ),
        Change(
            Area.RULE, "metro_fare_overpaid", Action.ADDED, new="points -5, dimension transport"
        ),
        Change(Area.TIER, "minor", Action.CHANGED, "expiry", "3m", "6m"),
        Change(Area.TIER, "minor", Action.CHANGED, "decay", "none", "linear"),
        Change(Area.GRADE, "AA", Action.CHANGED, "band", "1030..1049", "1040..1049"),
        Change(Area.GRADE, "A", Action.CHANGED, "band", "960..1029", "960..1039"),
        Change(Area.BASE, "", Action.CHANGED, "", "1000", "1010"),
        Change(
            Area.KIND,
            "metro_fare_overpaid",
            Action.ADDED,
            new="category fare_payment, gravity minor",
        ),
        Change(Area.KIND, "tax_arrears", Action.CHANGED, "retention", "5y", "3y"),
    }
    assert len(changes) == 11
    described = {c.describe() for c in changes}
    assert "rule loan_default: points -30 -> -40" in described
    assert "rule false_advertising: removed (was points -30, dimension market_conduct)" in described
    assert "base: 1000 -> 1010" in described
    assert diff(default_bundle(), default_bundle()) == []


def test_diff_reports_sector_grade_schemes_and_repair_rules() -> None:
    new = revised(
        2,
        "2026-06-01T00:00:00Z",
        {
            "file": "sector_grades.yaml",
            "set": "schemes[id=taxpayer_credit].no_history",
            "value": "B",
        },
        {"file": "sector_grades.yaml", "delete": "schemes[id=environmental_credit]"},
        {"file": "repair.yaml", "set": "decide_business_days", "value": 10},
    )
    changes = diff(default_bundle(), new)
    assert (
        Change(Area.SECTOR_GRADE, "taxpayer_credit", Action.CHANGED, "no_history", "M", "B")
        in changes
    )
    assert [c.action for c in changes if c.key == "environmental_credit"] == [Action.REMOVED]
    assert Change(Area.REPAIR, "", Action.CHANGED, "decide_business_days", "7", "10") in changes
    assert len(changes) == 3
    described = {c.describe() for c in changes}
    assert "repair rules: decide_business_days 7 -> 10" in described


# -- the command line ------------------------------------------------------------------------


def test_cli_check_publish_list_diff(tmp_path: Path) -> None:
    runner = CliRunner()
    store = ["--store", f"sqlite:///{tmp_path / 'p.db'}"]

    def run(*args: str) -> Any:
        return runner.invoke(cli, [*store, *args], catch_exceptions=False)

    assert run("init").exit_code == 0
    checked = run("policy", "check", str(DEFAULT_DIR))
    assert checked.exit_code == 0 and checked.output.startswith("ok: revision 1")
    assert run("policy", "publish", str(DEFAULT_DIR)).exit_code == 0  # the genesis
    second = tmp_path / "rev2"
    second.mkdir()
    changes = [{"file": "scoring.yaml", "set": "rules[kind=loan_default].points", "value": -40}]
    effective = f"{datetime.now(UTC).date() + timedelta(days=40)}T00:00:00Z"  # past the notice
    for name, data in revised(2, effective, *changes).files.items():
        (second / name).write_bytes(data)
    operator = ["--key", f"{tmp_path / 'p.db'}.key", "--role", "ledger_operator"]
    assert run("policy", "sign", str(second), *operator).exit_code == 0
    small = ["--residents", "300", "--organisations", "20"]
    assert run("policy", "assess", str(second), *small).exit_code == 0
    published = run("policy", "publish", str(second))
    assert published.exit_code == 0 and "published revision 2 at position 3" in published.output
    listed = [line for line in run("policy", "list").output.splitlines() if "revision" in line]
    assert [line.split()[1] for line in listed] == ["1", "2"]
    assert run("policy", "diff", "1", "2").output == "rule loan_default: points -30 -> -40\n"
    missing = run("policy", "diff", "1", "7")
    assert missing.exit_code == 2 and "no policy revision 7" in missing.output
    again = run("policy", "publish", str(second))
    assert again.exit_code == 2 and "greater than 2" in again.output


def test_cli_check_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(DEFAULT_DIR, broken)
    scoring = broken / "scoring.yaml"
    scoring.write_text(scoring.read_text().replace("base: 1000", "base: 5000"))
    (broken / "lists.yaml").write_text("lists: []\n")
    result = CliRunner().invoke(cli, ["policy", "check", str(broken)])
    assert result.exit_code == 2
    assert "error [policy_invalid]" in result.output
    assert "manifest.yaml:files.scoring.yaml: hash mismatch" in result.output
    assert "scoring.yaml:base: 5000 is outside bounds" in result.output
    assert "lists.yaml: not listed in manifest.yaml files" in result.output


def test_cli_check_says_which_registry_entry_authorises_each_item(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["policy", "check", str(DEFAULT_DIR)])
    assert result.exit_code == 0
    assert "taxonomy 1, legal-basis registry 1:" in result.output
    assert (
        "  kind loan_default: recording debt in finance -- credit-reporting-regulation-2013/art15: "
        "Regulation on the Administration of the Credit Reporting Industry"
    ) in result.output
    assert (
        "  measure no_air_travel: air_travel_restriction in transport -- "
        "spc-high-consumption-2015/art3-1"
    ) in result.output
    assert "triggered from judicial" in result.output
    as_json = CliRunner().invoke(cli, ["policy", "check", str(DEFAULT_DIR), "--json"])
    data = json.loads(as_json.output)
    assert as_json.exit_code == 0 and data["ok"] and data["digest"] == default_bundle().digest
    items = {(a["area"], a["item"]): a for a in data["authorisations"]}
    bundle = default_bundle()
    assert {k.id for k in bundle.catalogue} == {i for a, i in items if a == "kind"}
    assert {m.id for m in bundle.measures.measures} == {i for a, i in items if a == "measure"}
    assert items[("kind", "volunteering")]["checked"] is True
    assert items[("kind", "tax_arrears")]["checked"] is False


def test_cli_check_json_lists_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    edits = [
        {"file": "catalogue.yaml", "set": "kinds[id=loan_default].legal_basis", "value": "none"}
    ]
    for name, data in edit_files(edits).items():
        (broken / name).write_bytes(data)
    result = CliRunner().invoke(cli, ["policy", "check", str(broken), "--json"])
    assert result.exit_code == 2
    refused = json.loads(result.output)
    assert refused["ok"] is False and refused["code"] == "policy_invalid"
    assert refused["details"]["problems"] == [
        {
            "field": "catalogue.yaml:kinds[8].legal_basis",
            "reason": "'none' is not a legal basis: cite an entry of the legal-basis registry "
            "(version 1), e.g. spc-dishonest-debtors-2017/art1-1",
        }
    ]
