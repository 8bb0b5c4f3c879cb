"""The curated surfaces of the domain packages, pinned (issue 19; httpx's exported-members test).

Each package's ``__init__`` exports its surface with ``__all__``; adapters and other packages
import from it. A change to a surface is a deliberate change to :data:`SURFACES` below. The
record rows, the record index and the lifecycle have one home, :mod:`socialcredit.records`,
whose implementation modules are private, as are the application object's
(:mod:`socialcredit.system`). The subject access report has one home too,
:mod:`socialcredit.reports`, above rights and consequences.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from types import ModuleType

import pytest

import socialcredit.records

#: Every package's ``__all__``, sorted.
SURFACES: dict[str, list[str]] = {
    "records": [
        "ACK_BUSINESS_DAYS",
        "DECIDE_DAYS",
        "DECIDE_DAYS_WITH_EVIDENCE",
        "DisputeDeadlines",
        "LIFECYCLE_ENTRY_TYPES",
        "RECORD_FILED",
        "RecordIndex",
        "RecordRow",
        "RecordStatus",
        "add_business_days",
        "day_end_us",
        "day_of",
        "decision_deadline_us",
        "dispute_deadlines",
        "is_business_day",
        "ledger_index",
        "load_holidays",
        "project_entries",
        "project_entry",
        "record_rows",
        "roll_forward",
        "subject_index",
    ],
    "system": [
        "DEFAULT_PURPOSE",
        "Filing",
        "HISTORY_SPAN",
        "HISTORY_STEP",
        "IssuedKey",
        "LedgerState",
        "MAX_BULK",
        "MAX_HISTORY_POINTS",
        "OpenedSession",
        "OwnFile",
        "OwnRepair",
        "SHOWN_REJECTS",
        "SUBJECT_ACCESS",
        "ShownMemorandum",
        "System",
        "UPLOAD_BATCH",
        "operator",
        "score_points",
    ],
    "ledger": [
        "AppendResult",
        "AppendResults",
        "Checkpoint",
        "EncodedBatch",
        "Entry",
        "Ledger",
        "PendingEntry",
        "ProofCheck",
        "SignedCheckpoint",
        "Signer",
        "VerifyReport",
        "check_consistency_proof",
        "check_inclusion_proof",
        "consistency_document",
        "create_key_file",
        "decode_entry",
        "encode_entry",
        "inclusion_document",
        "utc_now_us",
        "verify_ledger",
    ],
    "scoring": [
        "CompiledPolicy",
        "Contribution",
        "ExpiryStep",
        "Explanation",
        "KindTerms",
        "Rescore",
        "ScoreResult",
        "compile_policy",
        "explain",
        "history",
        "rescore",
        "score",
    ],
    "rights": [
        "DisputeRefusedError",
        "DisputeState",
        "PURPOSES",
        "acknowledge",
        "add_evidence",
        "appeal",
        "attach_statement",
        "correct_record",
        "decide",
        "decide_appeal",
        "dispute_deadlines",
        "dispute_state",
        "disputes_of",
        "enquiries_of",
        "log_read",
        "log_reads",
        "open_dispute",
        "queue",
        "reads_of",
        "recertify",
        "statements_of",
        "withdraw_record",
    ],
    "reports": [
        "REPORT_VERSION",
        "build_report",
        "export_file",
        "read_file",
        "subject_report",
    ],
    "consequences": [
        "AuditWriter",
        "CompiledConsequences",
        "ConsequenceView",
        "Decision",
        "DecisionService",
        "FrozenRestriction",
        "IdentifiedListing",
        "ListTerms",
        "Membership",
        "Outcome",
        "PUBLIC_STATUSES",
        "PUBLISHED_GRAVITIES",
        "PublicListing",
        "Reason",
        "Status",
        "SubjectConsequences",
        "check_service",
        "end_hardship",
        "frozen_restrictions",
        "identified_members_of_list",
        "lists_in_force",
        "make_decision",
        "memberships_of_list",
        "public_records",
        "record_hardship",
        "record_legal_representative",
        "request_restoration",
        "subject_consequences",
    ],
    "policy": [
        "Action",
        "Area",
        "BUNDLE_FILES",
        "Change",
        "Colour",
        "DEFAULT_TIERS",
        "Decay",
        "Effect",
        "GRADES",
        "Governance",
        "GovernanceError",
        "GovernanceRole",
        "GradeBand",
        "Link",
        "ListDefinition",
        "Manifest",
        "Measure",
        "MeasurePolicy",
        "PerUnit",
        "PolicyBundle",
        "PolicyError",
        "PublicationRefusedError",
        "PublishedBundle",
        "RevisionStatus",
        "Rule",
        "ScoringPolicy",
        "Service",
        "Signature",
        "SignatureSet",
        "Tier",
        "audit_publications",
        "bundle_in_force",
        "catalogue_in_force",
        "default_bundle",
        "diff",
        "file_hash",
        "governance_history",
        "governance_in_force",
        "load_bundle",
        "load_bundle_from_files",
        "load_governance_file",
        "policy_revisions",
        "publish",
        "published_bundle",
        "published_bundles",
        "read_signatures",
        "record_governance",
        "revision_status",
        "sign_bundle",
        "sign_digest",
        "split_signatures",
    ],
    "ratings": [
        "BatchResult",
        "DEFAULT_PARAMS",
        "DIMENSIONS",
        "INTERACTION_AUTHORITIES",
        "IssuedToken",
        "PROFESSIONAL_ROLES",
        "PublicRating",
        "Ratee",
        "RateeView",
        "RatingAggregate",
        "RatingArrays",
        "RatingParams",
        "RatingsState",
        "Status",
        "aggregate_batch",
        "dispute",
        "issue_token",
        "load_state",
        "rank_order",
        "rate",
        "ratee_view",
        "rating_aggregate",
        "record_interaction",
        "reply",
    ],
}

#: Public modules a package may hold beside its private ones: ``events`` holds the typed
#: entries a package writes, registered in :data:`socialcredit.events.EVENTS` (as in rights).
PUBLIC_MODULES = frozenset({"events"})


def surface(package: str) -> ModuleType:
    return importlib.import_module(f"socialcredit.{package}")


def exported(module: ModuleType) -> list[str]:
    """The public names ``module`` holds, leaving out its submodules."""
    prefix = f"{module.__name__}."
    return sorted(
        name
        for name in dir(module)
        if not name.startswith("_")
        and not getattr(getattr(module, name), "__name__", "").startswith(prefix)
    )


@pytest.mark.parametrize("package", sorted(SURFACES))
def test_the_surface_is_pinned(package: str) -> None:
    names = surface(package).__all__
    assert len(set(names)) == len(names), f"a name twice in socialcredit.{package}.__all__"
    assert sorted(names) == SURFACES[package]


@pytest.mark.parametrize("package", sorted(SURFACES))
def test_the_surface_exports_exactly_its_members(package: str) -> None:
    module = surface(package)
    assert exported(module) == sorted(module.__all__)


@pytest.mark.parametrize("package", sorted(SURFACES))
def test_every_name_is_importable_from_the_surface(package: str) -> None:
    names = SURFACES[package]
    namespace: dict[str, object] = {}
    exec(f"from socialcredit.{package} import {', '.join(names)}", namespace)
    module = surface(package)
    assert all(namespace[name] is getattr(module, name) for name in names)


def test_the_records_modules_are_private() -> None:
    found = [m.name for m in pkgutil.iter_modules(socialcredit.records.__path__)]
    assert {"_deadlines", "_index", "_rows"} <= set(found)
    public = [name for name in found if not name.startswith("_")]
    assert set(public) <= PUBLIC_MODULES, public


def test_the_application_objects_modules_are_private() -> None:
    import socialcredit.system

    found = [m.name for m in pkgutil.iter_modules(socialcredit.system.__path__)]
    assert "_core" in found and [name for name in found if not name.startswith("_")] == []


def test_the_subject_report_has_one_home_above_rights() -> None:
    import socialcredit.reports
    import socialcredit.rights

    assert importlib.util.find_spec("socialcredit.rights.report") is None
    for name in SURFACES["reports"]:
        assert not hasattr(socialcredit.rights, name), name
    assert not hasattr(importlib.import_module("socialcredit.rights._reads"), "read_file")
    found = [m.name for m in pkgutil.iter_modules(socialcredit.reports.__path__)]
    assert found == ["_subject"]
    assert socialcredit.reports.subject_report.__module__ == "socialcredit.reports._subject"
    assert socialcredit.subject_report is socialcredit.reports.subject_report
    assert socialcredit.export_file is socialcredit.reports.export_file


def test_the_records_have_one_home() -> None:
    assert importlib.util.find_spec("socialcredit.scoring.records") is None
    assert importlib.util.find_spec("socialcredit.records.deadlines") is None
    for name in ("RecordIndex", "RecordRow", "record_rows"):
        assert not hasattr(importlib.import_module("socialcredit.scoring"), name), name
    index = socialcredit.records.RecordIndex
    assert index.__module__ == "socialcredit.records._index"
    assert socialcredit.records.RecordRow.__module__ == "socialcredit.records._rows"
