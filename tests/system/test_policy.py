"""The policy and public-page use cases of the application object, called directly on a real
small ledger: publishing is governed (signatures, notice, assessment) and refused whole; the
check and the overview show what a revision changes; the public pages show organisations only
and log no read; the offline steps (review, keys, signatures) need no ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import NotFoundError, ValidationError
from socialcredit.policy import (
    PolicyBundle,
    PolicyError,
    PublicationRefusedError,
    SignatureSet,
    default_bundle,
    diff,
    read_signatures,
    sign_digest,
)
from socialcredit.rights import FILE_READ
from socialcredit.scoring import explain, score
from socialcredit.settings import Settings
from socialcredit.simulation import ImpactAssessment
from socialcredit.system import System, operator
from tests.records_factory import valid_rows
from tests.test_governance import revised
from tests.test_policy_cases import edit_files

PUBLIC = Principal(Role.PUBLIC, "public")
POINTS_EDIT = {"file": "scoring.yaml", "set": "rules[kind=loan_default].points", "value": -40}


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    """A ledger whose genesis published the default bundle, then 60 records."""
    settings = Settings(store=f"sqlite:///{tmp_path / 'policy.db'}")
    with System.create(settings, "test/policy") as opened:
        opened.publish_policy(default_bundle(), SignatureSet())
        opened.file_records(operator("admin"), valid_rows(60, seed=5))
        yield opened


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'empty.db'}")
    with System.create(settings, "test/empty") as opened:
        yield opened


def _next_revision(days: int = 60) -> PolicyBundle:
    """Revision 2 of the default bundle, with one rule changed, effective in ``days``."""
    when = datetime.now(UTC) + timedelta(days=days)
    return revised(2, when.strftime("%Y-%m-%dT00:00:00Z"), POINTS_EDIT)


def _operator_signs(system: System, bundle: PolicyBundle) -> SignatureSet:
    assert system.ledger.signer is not None
    return SignatureSet.of([sign_digest(system.ledger.signer, "ledger_operator", bundle.digest)])


def _organisations(system: System) -> list[str]:
    found = {
        e.data["subject"]["id"]
        for e in system.ledger.entries()
        if e.type == "RecordFiled" and e.data["subject"]["kind"] == "organisation"
    }
    return sorted(found)


# -- the published policy -------------------------------------------------------------------------


def test_the_genesis_publication_is_in_force_at_once(system: System) -> None:
    (status,) = system.policy_revisions()
    assert (status.status, status.published.revision) == ("in force", 1)
    assert system.policy_in_force().bundle.digest == default_bundle().digest
    assert system.published_policy(1).position == status.published.position
    assert system.front_page().size == system.ledger.size()
    with pytest.raises(NotFoundError):
        system.published_policy(2)
    recorded = system.governance()
    assert recorded is not None and recorded.governance.threshold == 1


def test_before_any_publication_the_default_policy_applies(empty: System) -> None:
    with pytest.raises(NotFoundError, match="no policy bundle in force"):
        empty.policy_in_force()
    overview = empty.policy_overview()
    assert (overview.published, overview.revisions, overview.in_force) == ([], [], None)
    assert overview.default_revision == default_bundle().revision
    assert empty.front_page().in_force is None


def test_a_governed_revision_is_refused_whole_then_published_pending(system: System) -> None:
    bundle = _next_revision()
    size = system.ledger.size()
    with pytest.raises(PublicationRefusedError) as refused:
        system.publish_policy(bundle, SignatureSet())
    assert {p.field for p in refused.value.problems} >= {"assessment", "signatures.yaml"}
    assert system.ledger.size() == size  # nothing written

    assessment, position = system.assess_policy(bundle, residents=300, organisations=20, seed=1)
    assert system.ledger.entry(position).type == "ImpactAssessed"
    status = system.publish_policy(bundle, _operator_signs(system, bundle))
    assert status.status == "pending" and status.published.revision == 2

    overview = system.policy_overview()
    assert [r.status for r in overview.revisions] == ["in force", "pending"]
    ((newer, changes),) = overview.history
    assert newer.revision == 2 and changes == system.policy_diff(1, 2)
    assert changes == diff(default_bundle(), bundle) and changes
    found = System.assessment_of(overview.revisions[1])
    assert isinstance(found, ImpactAssessment)
    assert found.summary_lines() == assessment.summary_lines()
    assert System.assessment_of(overview.revisions[0]) is None  # in force: none shown
    audit = system.audit_policy()
    assert (audit.problems, audit.publications, audit.governance_changes) == ([], 2, 1)


def test_a_check_diffs_against_the_bundle_in_force_and_lists_every_problem(
    system: System,
) -> None:
    checked = system.check_policy(edit_files([POINTS_EDIT]))
    assert checked.in_force is not None and checked.in_force.revision == 1
    assert [c.key for c in checked.changes] == ["loan_default"]
    assert checked.signatures.signatures == ()
    with pytest.raises(PolicyError) as caught:
        system.check_policy({"manifest.yaml": b"revision: [", "scoring.yaml": b"{}"})
    assert any(p.field.startswith("manifest.yaml") for p in caught.value.problems)


# -- the offline steps ----------------------------------------------------------------------------


def test_review_and_signing_need_no_ledger(tmp_path: Path) -> None:
    review = System.review_bundle(default_bundle())
    assert review.authorisations and review.taxonomy >= 1 and review.registry >= 1
    directory = tmp_path / "bundle"
    directory.mkdir()
    for name, data in default_bundle().files.items():
        (directory / name).write_bytes(data)
    public_key = System.make_role_key(tmp_path / "drafter.pem")
    digest, count, signer = System.sign_policy(directory, tmp_path / "drafter.pem", "drafter")
    assert (digest, count, signer) == (default_bundle().digest, 1, public_key)
    (signature,) = read_signatures(directory).signatures
    assert (signature.role, signature.public_key) == ("drafter", public_key)


def test_a_scorecard_is_refused_without_outcomes_and_writes_nothing(
    system: System, tmp_path: Path
) -> None:
    out = tmp_path / "fit"
    with pytest.raises(ValidationError) as caught:
        system.fit_scorecard(datetime(2020, 6, 1, tzinfo=UTC), out)
    assert [p.field for p in caught.value.problems] == ["(data)"]
    assert not out.exists()


# -- the public pages -----------------------------------------------------------------------------


def test_an_organisations_score_and_page_are_the_librarys_and_log_no_read(
    system: System,
) -> None:
    uscc = _organisations(system)[0]
    now = datetime.now(UTC)
    assert system.organisation_score(uscc, now) == score(
        system.ledger, "organisation", uscc, as_of=now
    )
    number = system.organisation_number(uscc)
    assert number is not None and system.organisation_at(number) == ("organisation", uscc)
    page = system.organisation_page(PUBLIC, number, now)
    expected = explain(system.ledger, "organisation", uscc, as_of=now)
    assert page.explanation.to_json() == expected.to_json()
    assert page.masked != uscc and "*" in page.masked
    assert not [e for e in system.ledger.entries() if e.type == FILE_READ]


def test_a_public_page_shows_only_published_records_and_public_listings(system: System) -> None:
    pages = []
    for uscc in _organisations(system):
        number = system.organisation_number(uscc)
        assert number is not None
        pages.append(system.organisation_page(PUBLIC, number))
    assert any(p.records for p in pages) and any(p.listings for p in pages)
    for page in pages:
        counted = {c.position for c in page.explanation.result.contributions}
        assert {c.position for c, _ in page.records} <= counted
        assert all(kind.gravity.value != "minor" for _, kind in page.records)
        for listing in page.listings:
            assert listing["status"] in {"listed", "frozen", "noticed"}
            assert listing["legal_basis"]


def test_a_person_is_never_found_as_an_organisation(system: System) -> None:
    person = next(
        e.data["subject"]["id"]
        for e in system.ledger.entries()
        if e.type == "RecordFiled" and e.data["subject"]["kind"] == "person"
    )
    number = system.ledger.subject_id("person", person)
    assert number is not None
    with pytest.raises(NotFoundError):
        system.organisation_page(PUBLIC, number)
    with pytest.raises(ValueError):
        system.organisation_score(person)
    assert system.organisation_number(person) is None


def test_a_search_matches_the_visible_characters_of_masked_ids(system: System) -> None:
    organisations = _organisations(system)
    hits, total = system.search_organisations("", limit=3)
    assert total == len(organisations) and len(hits) == 3
    masked = hits[0].masked
    fragment = masked.replace("*", " ").split()[0]
    found, _ = system.search_organisations(fragment)
    assert masked in [h.masked for h in found]
    assert system.search_organisations("NOT-A-FRAGMENT") == ([], 0)


def test_a_public_list_is_one_of_the_policy_in_force(system: System) -> None:
    found = system.public_list("dishonest_judgment_debtors")
    assert found.definition.id == "dishonest_judgment_debtors" and found.rows
    assert all("*" in row.masked_id for row in found.rows)
    with pytest.raises(NotFoundError, match="no list 'nowhere'"):
        system.public_list("nowhere")
