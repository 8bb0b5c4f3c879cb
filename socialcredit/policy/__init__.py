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

from socialcredit.policy.bundle import (
    BUNDLE_FILES,
    PolicyBundle,
    PolicyError,
    default_bundle,
    load_bundle,
    load_bundle_from_files,
    sign_bundle,
)
from socialcredit.policy.diff import Action, Area, Change, diff
from socialcredit.policy.governance import (
    Governance,
    GovernanceError,
    GovernanceRole,
    governance_history,
    governance_in_force,
    load_governance_file,
    record_governance,
)
from socialcredit.policy.lists import Colour, ListDefinition
from socialcredit.policy.manifest import Manifest, file_hash
from socialcredit.policy.measures import Effect, Link, Measure, MeasurePolicy, Service
from socialcredit.policy.publish import (
    PublicationRefusedError,
    PublishedBundle,
    RevisionStatus,
    audit_publications,
    bundle_in_force,
    catalogue_in_force,
    policy_revisions,
    publish,
    published_bundle,
    published_bundles,
    revision_status,
)
from socialcredit.policy.scoring import (
    DEFAULT_TIERS,
    GRADES,
    Decay,
    GradeBand,
    PerUnit,
    Rule,
    ScoringPolicy,
    Tier,
)
from socialcredit.policy.signatures import (
    Signature,
    SignatureSet,
    read_signatures,
    sign_digest,
    split_signatures,
)

__all__ = [
    "BUNDLE_FILES",
    "DEFAULT_TIERS",
    "GRADES",
    "Action",
    "Area",
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
]
