"""The publication hostile corpus: every case of ``tests/cases/hostile/publication/*.yaml`` must
be refused with every reason, write nothing, and leave the bundle and governance in force.

Each case starts from the same governed ledger: its genesis set three roles (``drafter``,
``legal_review``, ``data_protection_officer``; 2 of 3; 30 days' notice) and published the
default bundle as revision 1; a record was filed, and a day passed. Keys are fixed per name
(:func:`tests.test_governance.role_signer`), so a case names keys by the role or person that
holds them. A case either publishes a candidate bundle::

    name: a key under another role
    why: what the author tries, and which guardrail stops it
    tags: [wrongly_signed]
    candidate:                 # all optional
      revision: 2              # default 2
      effective_days: 45       # days after publication (ledger time); default 45
      edits: [...]             # bundle edits, as in tests/cases/policy
      assessed: true           # true, false, or other (an assessment of another digest)
    signatures:                # absent: no signatures file at all
      - {role: drafter}                        # the role's own key over the candidate
      - {role: legal_review, key: drafter}     # another holder's key
      - {role: drafter, over: other}           # over another bundle's digest (named)
      - {role: drafter, over: other, name_digest: false}  # ... without saying so
      - {role: drafter, domain: governance}    # a governance signature, not a bundle one
    refusals:
      - {key: "signatures.yaml:[1].public_key", reason: "not of legal_review"}

or records a change of governance (written to ``governance.yaml``, loaded and recorded as
``socialcredit policy governance set`` does)::

    governance_change:
      version: 2
      roles: [drafter, auditor]   # each holding its own fixed key
      threshold: 2
      notice_days: 30
      extra: {emergency_bypass: true}          # any further keys, as written
      signatures: [{role: drafter}]            # over the new document's digest by default

Refusals are matched exactly (every one present, nothing else) by key and a fragment of the
reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.catalogue import default_catalogue
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.policy import (
    GovernanceError,
    PolicyBundle,
    PolicyError,
    SignatureSet,
    bundle_in_force,
    default_bundle,
    governance_in_force,
    load_governance_file,
    publish,
    record_assessment,
    record_governance,
    sign_digest,
)
from socialcredit.policy._signatures import BUNDLE_DOMAIN, GOVERNANCE_DOMAIN, Signature

from .conftest import Clock
from .records_factory import valid_rows
from .test_governance import (
    governance,
    governance_document,
    revised,
    role_key,
    role_signer,
    signed_by,
)
from .test_policy_cases import assert_problems

CASES_DIR = Path(__file__).parent / "cases" / "hostile" / "publication"
DAY_S = 86_400
REQUIRED_TAGS = {
    "unsigned",
    "under_signed",
    "wrongly_signed",
    "other_digest",
    "same_role_twice",
    "unknown_key",
    "at_once",
    "notice",
    "no_assessment",
    "governance_under_signed",
    "governance_k_above_n",
}
_DOMAINS = {"bundle": BUNDLE_DOMAIN, "governance": GOVERNANCE_DOMAIN}


def _cases() -> list[Any]:
    return [
        pytest.param(yaml.safe_load(path.read_text(encoding="utf-8")), id=path.stem)
        for path in sorted(CASES_DIR.glob("*.yaml"))
    ]


@pytest.fixture
def governed(make_ledger: Callable[..., Ledger], clock: Clock) -> Ledger:
    ledger = make_ledger()
    record_governance(ledger, governance(), SignatureSet())
    first = default_bundle()
    publish(ledger, first, signatures=signed_by(first.digest, "drafter", "legal_review"))
    ingest_rows(ledger, default_catalogue(), enumerate(valid_rows(3, seed=4), 1))
    clock.advance(DAY_S)
    return ledger


def _moment(clock: Clock, days: float) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=clock.now_us)
    return (moment + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def candidate(case: Mapping[str, Any], clock: Clock) -> tuple[PolicyBundle, PolicyBundle]:
    """The case's candidate bundle, and another (the next revision) to sign by mistake."""
    spec = case.get("candidate") or {}
    revision, days = spec.get("revision", 2), spec.get("effective_days", 45)
    edits = spec.get("edits", [])
    bundle = revised(revision, _moment(clock, days), *edits)
    return bundle, revised(revision + 1, _moment(clock, days), *edits)


def signatures(
    items: list[Mapping[str, Any]] | None, digests: Mapping[str, str], domain: str, source: str
) -> SignatureSet:
    """The case's signatures, each made as its item says."""
    if items is None:
        return SignatureSet(source)
    made = []
    for item in items:
        signer = role_signer(item.get("key", item["role"]))
        signed = sign_digest(
            signer,
            item["role"],
            digests[item.get("over", "candidate")],
            _DOMAINS[item.get("domain", domain)],
        )
        if not item.get("name_digest", True):
            signed = Signature(signed.role, signed.public_key, signed.signature)
        made.append(signed)
    return SignatureSet.of(made, source)


def attempt_publication(case: Mapping[str, Any], ledger: Ledger, clock: Clock) -> PolicyError:
    bundle, other = candidate(case, clock)
    assessed = (case.get("candidate") or {}).get("assessed", True)
    if assessed:
        target = other if assessed == "other" else bundle
        record_assessment(ledger, target.digest, target.revision, {"note": "hostile corpus"})
    digests = {"candidate": bundle.digest, "other": other.digest}
    digests["in_force"] = default_bundle().digest
    signed = signatures(case.get("signatures"), digests, "bundle", "signatures.yaml")
    size = ledger.size()
    with pytest.raises(PolicyError) as caught:
        publish(ledger, bundle, signatures=signed)
    assert ledger.size() == size
    return caught.value


def attempt_governance_change(
    case: Mapping[str, Any], ledger: Ledger, directory: Path
) -> PolicyError:
    change = case["governance_change"]
    document = governance_document(
        tuple(change["roles"]), change.get("threshold", 2), change.get("notice_days", 30)
    )
    document["version"] = change.get("version", 2)
    document.update(change.get("extra", {}))
    for role in document["roles"]:  # a role may be written with another's key
        role["public_key"] = role_key(change.get("keys", {}).get(role["role"], role["role"]))
    path = directory / "governance.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    size = ledger.size()
    with pytest.raises(GovernanceError) as caught:
        rule, _ = load_governance_file(path)  # the document itself may be refused here
        digests = {"candidate": rule.digest()}
        signed = signatures(
            change.get("signatures"), digests, "governance", "governance.yaml:signatures"
        )
        record_governance(ledger, rule, signed)
    assert ledger.size() == size
    return caught.value


@pytest.mark.parametrize("case", _cases())
def test_hostile_publication_is_refused_with_every_reason(
    case: dict[str, Any], governed: Ledger, clock: Clock, tmp_path: Path
) -> None:
    if "governance_change" in case:
        error = attempt_governance_change(case, governed, tmp_path)
        assert error.code == "governance_invalid"
    else:
        error = attempt_publication(case, governed, clock)
        assert error.code == "publication_refused"
    expected = [(r["key"], r["reason"]) for r in case["refusals"]]
    assert_problems(error.problems, expected)
    # The bundle and the governance in force stay in force, now and for ever after.
    for when in (clock.now_us, clock.now_us + 3650 * DAY_S * 1_000_000):
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=when)
        found = bundle_in_force(governed, moment, moment)
        assert found is not None and found.revision == 1
    recorded = governance_in_force(governed)
    assert recorded is not None and recorded.governance == governance()


def test_the_corpus_covers_every_attack() -> None:
    cases = [param.values[0] for param in _cases()]
    assert len(cases) >= 8
    tags = {tag for case in cases for tag in case["tags"]}
    assert tags >= REQUIRED_TAGS, REQUIRED_TAGS - tags
    assert len({case["name"] for case in cases}) == len(cases)
    for case in cases:
        assert case["refusals"] and case["why"].strip(), case["name"]
