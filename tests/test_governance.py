"""Governed publication: signatures k of n, the notice period, pending revisions, the genesis,
and changes of governance.

The publication hostile corpus (``tests/cases/hostile/publication/``) has its own runner,
``tests/test_hostile_publication.py``. The helpers here (:func:`role_signer`,
:func:`publish_governed`, ...) are what other tests use to publish a second revision properly.
"""

from __future__ import annotations

import hashlib
import re
from base64 import b64decode
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from socialcredit.accounts import AccountStore, Role
from socialcredit.catalogue import default_catalogue
from socialcredit.cli import cli
from socialcredit.errors import Problem
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger, PendingEntry, Signer, public_key_from_text, public_key_text
from socialcredit.policy import (
    Governance,
    GovernanceError,
    GovernanceRole,
    PolicyBundle,
    PublicationRefusedError,
    Signature,
    SignatureSet,
    audit_publications,
    bundle_in_force,
    default_bundle,
    governance_history,
    governance_in_force,
    load_bundle,
    load_bundle_from_files,
    policy_revisions,
    publish,
    published_bundles,
    read_signatures,
    record_assessment,
    record_governance,
    sign_digest,
)
from socialcredit.policy._governance import (
    OPERATOR_ROLE,
    check_governance,
    governance_entry,
    in_genesis,
)
from socialcredit.policy._signatures import (
    BUNDLE_DOMAIN,
    GOVERNANCE_DOMAIN,
    sign_bundle_directory,
)
from socialcredit.server import create_app
from socialcredit.service import init_ledger, open_ledger
from socialcredit.settings import Settings

from .conftest import Clock
from .records_factory import valid_rows
from .test_policy_cases import assert_problems, edit_files

ROLES = ("drafter", "legal_review", "data_protection_officer")
DAY_S = 86_400
SMALL_CITY = ["--residents", "300", "--organisations", "20"]


# -- helpers (used by other tests too) --------------------------------------------------------


def role_signer(name: str) -> Signer:
    """A fixed key for a role name (the same name always gives the same key)."""
    seed = hashlib.sha256(f"socialcredit test role {name}".encode()).digest()
    return Signer(Ed25519PrivateKey.from_private_bytes(seed))


def role_key(name: str) -> str:
    """The public key text of :func:`role_signer`."""
    return public_key_text(role_signer(name).public_key)


def governance_document(
    names: tuple[str, ...] = ROLES, threshold: int = 2, notice_days: int = 30, version: int = 1
) -> dict[str, Any]:
    """A governance document whose roles hold the keys of :func:`role_signer`."""
    return {
        "version": version,
        "roles": [{"role": name, "public_key": role_key(name)} for name in names],
        "threshold": threshold,
        "notice_days": notice_days,
    }


def governance(
    *names: str, threshold: int = 2, notice_days: int = 30, version: int = 1
) -> Governance:
    found, problems = check_governance(
        governance_document(names or ROLES, threshold, notice_days, version)
    )
    assert found is not None, problems
    return found


def signed_by(digest: str, *roles: str, domain: bytes = BUNDLE_DOMAIN) -> SignatureSet:
    """Signatures over ``digest`` by each role's own key."""
    return SignatureSet.of(sign_digest(role_signer(r), r, digest, domain) for r in roles)


def assess(ledger: Ledger, bundle: PolicyBundle) -> int:
    """Record a (token) impact assessment for ``bundle``'s digest."""
    return record_assessment(ledger, bundle.digest, bundle.revision, {"note": "assessed in tests"})


def publish_governed(
    ledger: Ledger, bundle: PolicyBundle, signers: Mapping[str, Signer] | None = None
) -> int:
    """Assess ``bundle`` and publish it signed by ``signers`` (role to key; default: the
    ledger operator, the default governance's one role)."""
    assert ledger.signer is not None
    chosen = {OPERATOR_ROLE: ledger.signer} if signers is None else signers
    assess(ledger, bundle)
    signatures = SignatureSet.of(sign_digest(s, r, bundle.digest) for r, s in chosen.items())
    return publish(ledger, bundle, signatures=signatures)


def revised(revision: int, effective_from: str, *edits: dict[str, Any]) -> PolicyBundle:
    """The default bundle at another revision and effective date, with ``edits``."""
    manifest_edits: list[dict[str, Any]] = [
        {"file": "manifest.yaml", "set": "revision", "value": revision},
        {"file": "manifest.yaml", "set": "effective_from", "value": effective_from},
    ]
    return load_bundle_from_files(edit_files([*manifest_edits, *edits]))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now_of(clock: Clock) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=clock.now_us)


def refused(call: Callable[[], object]) -> tuple[Problem, ...]:
    with pytest.raises(PublicationRefusedError) as caught:
        call()
    assert caught.value.code == "publication_refused"
    return caught.value.problems


def in_force_revision(ledger: Ledger, when: datetime) -> int | None:
    found = bundle_in_force(ledger, when, when)
    return None if found is None else found.revision


# -- genesis ------------------------------------------------------------------------------------


def test_the_genesis_records_the_operators_governance_and_takes_effect_at_once(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    position = publish(ledger, default_bundle())
    assert [e.type for e in ledger.entries()] == ["GovernanceRecorded", "PolicyPublished"]
    recorded = governance_in_force(ledger)
    assert recorded is not None and recorded.position == 0
    rule = recorded.governance
    assert (rule.version, rule.threshold, rule.notice_days) == (1, 1, 30)
    assert [(r.name, r.public_key) for r in rule.roles] == [
        (OPERATOR_ROLE, public_key_text(ledger.public_key))
    ]
    (published,) = published_bundles(ledger)
    assert published.position == position and published.governance_version == 1
    (signature,) = published.signatures  # the ledger key signed for the operator's role
    assert signature.role == OPERATOR_ROLE
    message = BUNDLE_DOMAIN + default_bundle().digest.encode()
    public_key_from_text(signature.public_key).verify(b64decode(signature.signature), message)
    assert in_force_revision(ledger, datetime(2026, 1, 1, tzinfo=UTC)) == 1  # at once
    assert not in_genesis(ledger)


def test_a_governance_recorded_at_genesis_needs_its_signatures_on_the_first_bundle(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    assert record_governance(ledger, governance(), SignatureSet()) == 0  # the operator's act
    assert in_genesis(ledger)
    bundle = default_bundle()
    problems = refused(lambda: publish(ledger, bundle))
    assert_problems(problems, [("signatures.yaml", "unsigned: 2 of 3 roles")])
    assert ledger.size() == 1
    publish(ledger, bundle, signatures=signed_by(bundle.digest, "drafter", "legal_review"))
    assert (
        in_force_revision(ledger, datetime(2026, 1, 1, tzinfo=UTC)) == 1
    )  # no notice, no assessment


def test_a_first_record_ends_the_genesis(make_ledger: Callable[..., Ledger]) -> None:
    ledger = make_ledger()
    ingest_rows(ledger, default_catalogue(), enumerate(valid_rows(1, seed=3), 1))
    assert not in_genesis(ledger)
    size = ledger.size()
    problems = refused(lambda: publish(ledger, default_bundle()))
    assert_problems(
        problems,
        [
            ("governance", "none recorded"),
            ("manifest.yaml:effective_from", "before the notice period ends"),
            ("assessment", "no impact assessment"),
        ],
    )
    assert ledger.size() == size
    # An older ledger gets its first governance from its operator, then publishes governed.
    record_governance(ledger, governance(notice_days=7), SignatureSet())
    bundle = revised(1, "2026-01-09T00:00:00Z")
    assess(ledger, bundle)
    publish(ledger, bundle, signatures=signed_by(bundle.digest, "drafter", "legal_review"))


# -- after genesis: signatures, notice, assessment ----------------------------------------------


@pytest.fixture
def governed(make_ledger: Callable[..., Ledger], clock: Clock) -> Ledger:
    """A ledger whose genesis set three roles (2 of 3, 30 days) and published revision 1,
    with one record after it."""
    ledger = make_ledger()
    record_governance(ledger, governance(), SignatureSet())
    first = default_bundle()
    publish(ledger, first, signatures=signed_by(first.digest, "drafter", "legal_review"))
    ingest_rows(ledger, default_catalogue(), enumerate(valid_rows(3, seed=4), 1))
    clock.advance(DAY_S)  # 2026-01-02
    return ledger


def test_every_reason_at_once_and_nothing_written(governed: Ledger) -> None:
    size = governed.size()
    bundle = revised(2, "2026-01-10T00:00:00Z")
    problems = refused(lambda: publish(governed, bundle))
    assert_problems(
        problems,
        [
            ("signatures.yaml", "unsigned: 2 of 3 roles of governance version 1"),
            (
                "manifest.yaml:effective_from",
                "takes effect on 2026-01-10T00:00:00Z, before the notice period ends on "
                "2026-02-01T00:00:00Z",
            ),
            ("assessment", f"no impact assessment recorded for digest {bundle.digest}"),
        ],
    )
    assert governed.size() == size
    assert in_force_revision(governed, datetime(2027, 1, 1, tzinfo=UTC)) == 1


def test_a_governed_revision_is_pending_until_its_date(governed: Ledger, clock: Clock) -> None:
    bundle = revised(
        2,
        "2026-02-01T00:00:00Z",  # exactly 30 days after publication: the earliest allowed
        {"file": "scoring.yaml", "set": "rules[kind=loan_default].points", "value": -40},
    )
    assessed = assess(governed, bundle)
    signatures = signed_by(bundle.digest, "legal_review", "data_protection_officer")
    position = publish(governed, bundle, signatures=signatures)
    published = published_bundles(governed)[-1]
    assert published.position == position
    assert [s.role for s in published.signatures] == ["legal_review", "data_protection_officer"]
    assert in_force_revision(governed, now_of(clock)) == 1
    assert in_force_revision(governed, at("2026-01-31T23:59:59Z")) == 1
    assert in_force_revision(governed, at("2026-02-01T00:00:00Z")) == 2

    first, second = policy_revisions(governed)
    assert (first.status, second.status) == ("in force", "pending")
    assert second.describe() == "pending until 2026-02-01"
    assert [c.describe() for c in second.changes] == ["rule loan_default: points -30 -> -40"]
    assert second.assessment is not None and second.assessment.position == assessed
    clock.advance(31 * DAY_S)
    first, second = policy_revisions(governed)
    assert (first.status, second.status) == ("superseded", "in force")
    assert second.changes == () and second.assessment is None


def test_the_notice_period_has_no_bypass(governed: Ledger) -> None:
    bundle = revised(2, "2026-01-31T23:59:59Z")  # one second short of 30 days
    assess(governed, bundle)
    signatures = signed_by(bundle.digest, *ROLES)  # every role agrees: still no bypass
    problems = refused(lambda: publish(governed, bundle, signatures=signatures))
    assert_problems(
        problems,
        [("manifest.yaml:effective_from", "before the notice period ends on 2026-02-01")],
    )


def test_signatures_must_be_by_roles_in_force_over_this_digest(governed: Ledger) -> None:
    bundle = revised(2, "2026-03-01T00:00:00Z")
    other = revised(3, "2026-03-01T00:00:00Z")
    assess(governed, bundle)
    outsider = role_signer("outsider")
    items = [
        sign_digest(role_signer("drafter"), "drafter", bundle.digest),
        sign_digest(role_signer("drafter"), "legal_review", bundle.digest),  # wrong role
        sign_digest(role_signer("legal_review"), "legal_review", other.digest),  # other digest
        sign_digest(outsider, "data_protection_officer", bundle.digest),  # unknown key
        sign_digest(outsider, "auditor", bundle.digest),  # unknown role
        sign_digest(role_signer("drafter"), "drafter", bundle.digest),  # the same role again
    ]
    forged = sign_digest(
        role_signer("data_protection_officer"), "data_protection_officer", "0" * 64
    )
    items.append(Signature(forged.role, forged.public_key, forged.signature))  # no digest named
    problems = refused(lambda: publish(governed, bundle, signatures=SignatureSet.of(items)))
    assert_problems(
        problems,
        [
            ("signatures.yaml:[1].public_key", "is the key of role drafter, not of legal_review"),
            ("signatures.yaml:[2].digest", f"signs digest {other.digest[:16]}"),
            ("signatures.yaml:[3].public_key", "an unknown key"),
            ("signatures.yaml:[4].role", "'auditor' is not a role of governance version 1"),
            ("signatures.yaml:[5].role", "drafter signed already (signatures.yaml:[0])"),
            ("signatures.yaml:[6].signature", "does not verify over digest"),
            ("signatures.yaml", "under-signed: 1 valid signature (drafter); 2 of 3 roles"),
        ],
    )


def test_an_assessment_of_another_digest_does_not_count(governed: Ledger) -> None:
    bundle = revised(2, "2026-03-01T00:00:00Z")
    assess(governed, revised(2, "2026-03-02T00:00:00Z"))
    signatures = signed_by(bundle.digest, "drafter", "legal_review")
    problems = refused(lambda: publish(governed, bundle, signatures=signatures))
    assert_problems(problems, [("assessment", "no impact assessment recorded")])


def test_the_audit_finds_entries_appended_around_publish(governed: Ledger) -> None:
    lawful = revised(2, "2026-02-01T00:00:00Z")
    assess(governed, lawful)
    publish(governed, lawful, signatures=signed_by(lawful.digest, "drafter", "legal_review"))
    change = governance(threshold=3, version=2)
    signatures = signed_by(change.digest(), "drafter", "legal_review", domain=GOVERNANCE_DOMAIN)
    record_governance(governed, change, signatures)
    assert audit_publications(governed) == []
    # Someone holding the ledger key appends around the rules: unsigned, at once, unassessed.
    forged = revised(3, "2026-01-02T00:00:00Z")
    data = {
        "revision": 3,
        "effective_from": forged.manifest.effective_from_text(),
        "digest": forged.digest,
        "files": {name: raw.decode() for name, raw in forged.files.items()},
    }
    at_once = governed.append([PendingEntry("PolicyPublished", data)])[0].position
    taken = governance(threshold=1, notice_days=1, version=9)
    seized = governed.append([governance_entry(taken, [])])[0].position
    assert_problems(
        audit_publications(governed),
        [
            (f"entry {at_once}", "signatures: unsigned: 3 of 3 roles of governance version 2"),
            (f"entry {at_once}", "manifest.yaml:effective_from: takes effect on 2026-01-02"),
            (f"entry {at_once}", "assessment: none recorded before publication"),
            (f"entry {seized}", "version: must be 3; got 9"),
            (f"entry {seized}", "signatures: unsigned: 3 of 3 roles of governance version 2"),
        ],
    )


# -- changes of governance ------------------------------------------------------------------


def test_a_change_of_governance_needs_k_signatures_of_the_one_in_force(
    governed: Ledger, clock: Clock
) -> None:
    new = governance("drafter", "auditor_general", threshold=1, notice_days=60, version=2)
    size = governed.size()
    with pytest.raises(GovernanceError) as caught:
        record_governance(
            governed, new, signed_by(new.digest(), "drafter", domain=GOVERNANCE_DOMAIN)
        )
    assert_problems(caught.value.problems, [("signatures.yaml", "under-signed: 1 valid")])
    with pytest.raises(GovernanceError) as caught:  # a bundle signature is not a governance one
        record_governance(governed, new, signed_by(new.digest(), "drafter", "legal_review"))
    assert {p.field for p in caught.value.problems} >= {"signatures.yaml:[0].signature"}
    assert governed.size() == size
    signatures = signed_by(new.digest(), "drafter", "legal_review", domain=GOVERNANCE_DOMAIN)
    record_governance(governed, new, signatures)
    assert governance_in_force(governed).governance == new  # type: ignore[union-attr]
    # The new governance signs from now on: 1 of 2 roles, 60 days.
    bundle = revised(2, "2026-03-02T00:00:00Z")
    assess(governed, bundle)
    problems = refused(
        lambda: publish(governed, bundle, signatures=signed_by(bundle.digest, "legal_review"))
    )
    assert_problems(
        problems,
        [
            ("signatures.yaml:[0].role", "'legal_review' is not a role of governance version 2"),
            ("signatures.yaml", "under-signed: 0 valid signatures"),
            ("manifest.yaml:effective_from", "before the notice period ends on 2026-03-03"),
        ],
    )
    later = revised(2, "2026-03-03T00:00:00Z")
    assess(governed, later)
    publish(governed, later, signatures=signed_by(later.digest, "auditor_general"))


def test_an_old_signed_governance_cannot_be_replayed(governed: Ledger) -> None:
    second = governance(threshold=3, version=2)
    signatures = signed_by(second.digest(), "drafter", "legal_review", domain=GOVERNANCE_DOMAIN)
    record_governance(governed, second, signatures)
    third = governance(threshold=2, version=3)
    record_governance(governed, third, signed_by(third.digest(), *ROLES, domain=GOVERNANCE_DOMAIN))
    with pytest.raises(GovernanceError) as caught:  # version 2 again, with its old signatures
        record_governance(governed, second, signatures)
    assert_problems(caught.value.problems, [("version", "must be 4, one more than in force")])
    assert [g.governance.version for g in governance_history(governed)] == [1, 2, 3]


def test_a_shorter_notice_binds_only_once_the_longer_one_has_run(
    governed: Ledger, clock: Clock
) -> None:
    short = governance(notice_days=7, version=2)
    record_governance(
        governed,
        short,
        signed_by(short.digest(), "drafter", "legal_review", domain=GOVERNANCE_DOMAIN),
    )
    soon = revised(2, "2026-01-12T00:00:00Z")  # 10 days: enough under 7, not under the old 30
    assess(governed, soon)
    signatures = signed_by(soon.digest, "drafter", "legal_review")
    problems = refused(lambda: publish(governed, soon, signatures=signatures))
    assert_problems(
        problems, [("manifest.yaml:effective_from", "before the notice period ends on 2026-02-01")]
    )
    clock.advance(30 * DAY_S)  # 2026-02-01: the old 30 days have run since the change
    later = revised(2, "2026-02-08T00:00:00Z")
    assess(governed, later)
    publish(governed, later, signatures=signed_by(later.digest, "drafter", "legal_review"))


def test_a_governance_document_names_every_problem() -> None:
    document: dict[str, Any] = {
        "version": 0,
        "roles": [
            {"role": "Drafter", "public_key": role_key("a")},
            {"role": "legal_review", "public_key": "not a key"},
            {"role": "legal_review", "public_key": role_key("a"), "weight": 2},
            "dpo",
        ],
        "threshold": 5,
        "notice_days": 0,
        "emergency_bypass": True,
    }
    found, problems = check_governance(document)
    assert found is None
    assert_problems(
        problems,
        [
            ("emergency_bypass", "unknown key"),
            ("version", "positive integer"),
            ("roles[0].role", "snake_case"),
            ("roles[1].public_key", "base64 raw Ed25519"),
            ("roles[2].weight", "unknown key"),
            ("roles[2].role", "legal_review is already roles[1]"),
            ("roles[2].public_key", "the same key as roles[0]"),
            ("roles[3]", "must be a mapping"),
            ("threshold", "more than the 4 roles"),
            ("notice_days", "must be 1 to 3650 days"),
        ],
    )
    assert check_governance({"version": 1, "roles": []})[1] == [
        Problem("roles", "must be a list of 1 to 32 roles")
    ]
    default = check_governance(
        {"version": 1, "roles": [{"role": "a", "public_key": role_key("a")}]}
    )
    assert default[0] is not None and (default[0].threshold, default[0].notice_days) == (1, 30)


def test_a_governance_built_around_the_checks_is_refused(
    make_ledger: Callable[..., Ledger],
) -> None:
    ledger = make_ledger()
    forged = Governance(1, (GovernanceRole("drafter", role_key("drafter")),), threshold=3)
    with pytest.raises(GovernanceError) as caught:
        record_governance(ledger, forged, SignatureSet())
    assert_problems(caught.value.problems, [("threshold", "3 is more than the 1 roles")])
    assert ledger.size() == 0


# -- files and the command line -------------------------------------------------------------------


def _write(bundle: PolicyBundle, directory: Path) -> Path:
    directory.mkdir()
    for name, data in bundle.files.items():
        (directory / name).write_bytes(data)
    return directory


def test_signing_a_directory_keeps_the_digest_and_replaces_stale_signatures(
    tmp_path: Path,
) -> None:
    bundle = revised(2, "2026-06-01T00:00:00Z")
    directory = _write(bundle, tmp_path / "rev2")
    assert sign_bundle_directory(directory, role_signer("drafter"), "drafter") == (bundle.digest, 1)
    assert sign_bundle_directory(directory, role_signer("legal_review"), "legal_review")[1] == 2
    assert sign_bundle_directory(directory, role_signer("drafter"), "drafter")[1] == 2  # again
    assert load_bundle(directory).digest == bundle.digest  # signatures.yaml is not in the bundle
    roles = [s.role for s in read_signatures(directory).signatures]
    assert sorted(roles) == ["drafter", "legal_review"]
    changed = revised(2, "2026-07-01T00:00:00Z")
    for name, data in changed.files.items():
        (directory / name).write_bytes(data)
    assert sign_bundle_directory(directory, role_signer("drafter"), "drafter") == (
        changed.digest,
        1,
    )


def test_cli_governance_sign_assess_publish_list(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'l.db'}"
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, [*args, "--store", store])
        assert result.exit_code == code, result.output
        return result.output

    run("init")
    assert "publishing the first bundle records the default" in run("policy", "governance", "show")
    run("policy", "publish", str(Path(__file__).parent.parent / "socialcredit/policy/default"))
    keys = {}
    for role in ROLES:
        keys[role] = tmp_path / f"{role}.key"
        key_text = run("policy", "governance", "keygen", str(keys[role])).strip()
        assert public_key_from_text(key_text)
    document = {
        "version": 2,
        "roles": [
            {"role": r, "public_key": public_key_text(Signer.from_key_file(keys[r]).public_key)}
            for r in ROLES
        ],
        "threshold": 2,
    }
    change = tmp_path / "governance.yaml"
    change.write_text(yaml.safe_dump(document))
    refusal = run("policy", "governance", "set", str(change), code=2)
    assert "governance.yaml:signatures: unsigned: 1 of 1 roles of governance version 1" in refusal
    operator = f"{tmp_path / 'l.db'}.key"
    run("policy", "governance", "sign", str(change), "--key", operator, "--role", OPERATOR_ROLE)
    assert "recorded governance version 2: 2 of 3" in run(
        "policy", "governance", "set", str(change)
    )
    shown = orjson.loads(run("policy", "governance", "show", "--json"))
    assert shown["threshold"] == 2 and shown["signed_by"] == [OPERATOR_ROLE]

    effective = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT00:00:00Z")
    bundle = revised(
        2,
        effective,
        {"file": "scoring.yaml", "set": "rules[kind=loan_default].points", "value": -40},
    )
    directory = _write(bundle, tmp_path / "rev2")
    refusal = run("policy", "publish", str(directory), code=2)
    assert "error [publication_refused]" in refusal and "signatures.yaml: unsigned" in refusal
    assert "assessment: no impact assessment" in refusal
    for role in ("drafter", "data_protection_officer"):
        run("policy", "sign", str(directory), "--key", str(keys[role]), "--role", role)
    run("policy", "assess", str(directory), *SMALL_CITY)
    published = run("policy", "publish", str(directory))
    assert f"status: pending until {effective[:10]}" in published
    listed = run("policy", "list").splitlines()
    assert listed[0].startswith("revision 1  in force ")
    assert listed[1].startswith(f"revision 2  pending until {effective[:10]} ")
    assert "    rule loan_default: points -30 -> -40" in listed
    assert any(line.startswith("  impact assessment: recorded at position") for line in listed)
    assert "ok: 2 publications and 2 governance entries" in run("policy", "audit")
    ledger = open_ledger(Settings(store=store))
    assert [s.role for s in published_bundles(ledger)[-1].signatures] == [
        "drafter",
        "data_protection_officer",
    ]


# -- the API and the portal ------------------------------------------------------------------------


def test_api_and_portal_publish_with_signatures_and_show_the_pending_revision(
    tmp_path: Path,
) -> None:
    from socialcredit.simulation import assess_bundle

    from .api.client import SyncClient

    settings = Settings(store=f"sqlite:///{tmp_path / 'api.db'}")
    ledger = init_ledger(settings, origin="test/governance")
    record_governance(ledger, governance(), SignatureSet())
    first = default_bundle()
    publish(ledger, first, signatures=signed_by(first.digest, "drafter", "legal_review"))
    effective = (datetime.now(UTC) + timedelta(days=45)).strftime("%Y-%m-%dT00:00:00Z")
    bundle = revised(
        2,
        effective,
        {"file": "scoring.yaml", "set": "rules[kind=loan_default].points", "value": -45},
    )
    impact = assess_bundle(bundle, first, residents=300, organisations=20, seed=1)
    record_assessment(ledger, bundle.digest, 2, impact.to_json(), first.digest)
    ledger.store.close()
    accounts = AccountStore(settings.accounts_path())
    key = accounts.create_api_key(Role.ADMIN, "test-admin")
    accounts.create_user("boss", "correct horse battery", Role.ADMIN)
    files = {name: data.decode() for name, data in bundle.files.items()}
    with SyncClient(create_app(settings, accounts=accounts)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        answer = client.post("/api/v1/policy/bundles", json={"files": files}, headers=headers)
        assert answer.status_code == 422
        problems = answer.json()["details"]["problems"]
        assert {p["field"] for p in problems} == {"signatures.yaml"}
        signatures = signed_by(bundle.digest, "drafter", "data_protection_officer")
        files["signatures.yaml"] = yaml.safe_dump([s.as_dict() for s in signatures.signatures])
        # The administrator uploads the bundle with its signatures in the portal and publishes.
        login = {"username": "boss", "password": "correct horse battery"}
        login["csrf_token"] = _csrf(client.get("/login").text)
        assert client.post("/login", data=login).status_code == 303
        upload = [("files", (name, text.encode())) for name, text in files.items()]
        form = {"csrf_token": _csrf(client.get("/admin/policy").text), "publish": "yes"}
        answer = client.post("/admin/policy", data=form, files=upload)
        assert answer.status_code == 200, answer.text
        until = datetime.fromisoformat(effective.replace("Z", "+00:00"))
        day = f"{until:%b} {until.day}, {until.year}"  # the portal's date for people
        assert "Published" in answer.text and f"pending until {day}" in answer.text
        shown = re.sub(r"<[^>]+>", "", answer.text)  # the text as read, without markup
        assert "Signed by drafter, data_protection_officer" in shown
        answer = client.post("/api/v1/policy/bundles", json={"files": files}, headers=headers)
        assert answer.status_code == 422  # once only
        listed = client.get("/api/v1/policy/bundles").json()
        assert [b["status"] for b in listed] == ["in force", "pending"]
        assert listed[1]["changes_from_in_force"][0]["description"] == (
            "rule loan_default: points -30 -> -45"
        )
        assert listed[1]["signed_by"] == ["drafter", "data_protection_officer"]
        page = client.get("/policy").text
    accounts.close()
    assert "Pending revisions" in page and f"takes effect on {day}" in page
    assert "rule loan_default: points -30 -&gt; -45" in page
    assert "impact of revision 2" in page and "false listings: rate" in page
    assert "A revision needs 2 of 3 signatures" in page


def _csrf(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, "the page has no CSRF token"
    return token[1]
