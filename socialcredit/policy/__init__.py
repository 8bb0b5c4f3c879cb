"""Policy bundles: versioned, hashed, optionally signed sets of YAML files, published in the ledger.

``default/`` is the bundle shipped with the engine. Load and check a bundle, publish it, and ask
which one was in force when::

    >>> from socialcredit.policy import default_bundle
    >>> bundle = default_bundle()
    >>> bundle.revision, bundle.scoring.grade(bundle.scoring.base)
    (1, 'A')

Loading raises :class:`PolicyError` listing every problem in every file; a bundle with any
problem is refused whole. Besides the catalogue and scoring rules, a bundle may hold red and
black lists (``listings.yaml``, :mod:`.lists`) and measures with their links and services
(``measures.yaml``, :mod:`.measures`).

Publication is governed (:mod:`.governance`): after a ledger's genesis a bundle needs k of n
signatures of the governance in force, a notice period before it takes effect, and an impact
assessment recorded for its digest; until its date a published revision is pending
(:func:`policy_revisions`).
"""

from socialcredit.policy._assessment import record_assessment
from socialcredit.policy._bundle import (
    BUNDLE_FILES,
    Authorisation,
    PolicyBundle,
    PolicyError,
    authorisations,
    default_bundle,
    load_bundle,
    load_bundle_from_files,
    sign_bundle,
)
from socialcredit.policy._diff import Action, Area, Change, diff
from socialcredit.policy._governance import (
    Governance,
    GovernanceError,
    GovernanceRole,
    RecordedGovernance,
    governance_history,
    governance_in_force,
    load_governance_file,
    record_governance,
    sign_governance_file,
)
from socialcredit.policy._labels import label_warnings
from socialcredit.policy._lists import Colour, ListDefinition
from socialcredit.policy._manifest import Manifest, file_hash, manifest_document
from socialcredit.policy._measures import Effect, Link, Measure, MeasurePolicy, Service
from socialcredit.policy._publish import ENTRY_TYPE as POLICY_PUBLISHED
from socialcredit.policy._publish import (
    PublicationRefusedError,
    PublishedBundle,
    RevisionStatus,
    audit_publications,
    bundle_in_force,
    catalogue_in_force,
    in_force,
    policy_revisions,
    publish,
    published_bundle,
    published_bundles,
    read_published,
    revision_status,
)
from socialcredit.policy._repair import NDRC_2023, RepairRules
from socialcredit.policy._scoring import (
    DEFAULT_TIERS,
    GRADES,
    Bin,
    BinnedRule,
    Decay,
    GradeBand,
    PerUnit,
    Rule,
    ScoringPolicy,
    Tier,
)
from socialcredit.policy._sector_grades import SectorScheme
from socialcredit.policy._signatures import (
    Signature,
    SignatureSet,
    read_signatures,
    sign_bundle_directory,
    sign_digest,
    signature_set,
    split_signatures,
    verifies,
    with_signature,
)

__all__ = [
    "BUNDLE_FILES",
    "DEFAULT_TIERS",
    "GRADES",
    "NDRC_2023",
    "POLICY_PUBLISHED",
    "Action",
    "Area",
    "Authorisation",
    "Bin",
    "BinnedRule",
    "Change",
    "Colour",
    "Decay",
    "Effect",
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
    "RecordedGovernance",
    "RepairRules",
    "RevisionStatus",
    "Rule",
    "ScoringPolicy",
    "SectorScheme",
    "Service",
    "Signature",
    "SignatureSet",
    "Tier",
    "audit_publications",
    "authorisations",
    "bundle_in_force",
    "catalogue_in_force",
    "default_bundle",
    "diff",
    "file_hash",
    "governance_history",
    "governance_in_force",
    "in_force",
    "label_warnings",
    "load_bundle",
    "load_bundle_from_files",
    "load_governance_file",
    "manifest_document",
    "policy_revisions",
    "publish",
    "published_bundle",
    "published_bundles",
    "read_published",
    "read_signatures",
    "record_assessment",
    "record_governance",
    "revision_status",
    "sign_bundle",
    "sign_bundle_directory",
    "sign_digest",
    "sign_governance_file",
    "signature_set",
    "split_signatures",
    "verifies",
    "with_signature",
]
