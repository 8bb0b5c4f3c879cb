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
from socialcredit.policy.lists import Colour, ListDefinition
from socialcredit.policy.manifest import Manifest, file_hash
from socialcredit.policy.measures import Effect, Link, Measure, MeasurePolicy, Service
from socialcredit.policy.publish import (
    PublishedBundle,
    bundle_in_force,
    publish,
    published_bundle,
    published_bundles,
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
    "GradeBand",
    "Link",
    "ListDefinition",
    "Manifest",
    "Measure",
    "MeasurePolicy",
    "PerUnit",
    "PolicyBundle",
    "PolicyError",
    "PublishedBundle",
    "Rule",
    "ScoringPolicy",
    "Service",
    "Tier",
    "bundle_in_force",
    "default_bundle",
    "diff",
    "file_hash",
    "load_bundle",
    "load_bundle_from_files",
    "publish",
    "published_bundle",
    "published_bundles",
    "sign_bundle",
]
