"""socialcredit: an open, auditable social credit engine and a policy lab.

The engine keeps every fact in a tamper-evident ledger (RFC 6962 Merkle tree, Ed25519-signed
checkpoints); everything else is a projection of it. See ``docs/`` and ``README.md``.

The application object is the one door into the engine: the command line, the HTTP API and
the portal all call it, and so can any program::

    import socialcredit as sc

    settings = sc.Settings.load({})                      # from the environment, validated once
    with sc.System.open(settings) as system:             # sc.System.create(...) makes a new one
        me = sc.operator("officer:li")                   # who asks (logged with every read)
        system.file_records(me, rows)                    # file records
        system.score(me, ("person", "110..."), purpose="dispute_handling")   # a logged read
        system.explain(me, ("person", "110..."), purpose="dispute_handling")
        system.open_dispute(me, position, "not mine")    # disputes, repair, ratings, policy...

A server serves it (``System.start``/``close``: the decision service runs); then
``system.decide(me, subject, "air_travel")`` answers a point of service. The lower-level
library calls (``score(ledger, ...)``, ``publish(ledger, bundle)``...) stay importable from
here too, for notebooks and the lab,
and the one error tree (:mod:`socialcredit.errors`), every class of which is exported here.

The errors load with the package. Everything else loads on first use: importing one module
(``socialcredit.errors``, ``socialcredit.timeutil``, a sweep worker's ``socialcredit.simulation``)
must not pay for the whole engine, and this package is the parent of every module.
"""

import importlib as _importlib
import typing as _typing

from socialcredit.errors import (
    AuthenticationError,
    CatalogueError,
    ConfigurationError,
    CsrfError,
    DisputeRefusedError,
    IntegrityError,
    LedgerError,
    LedgerOverloadedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    Problem,
    ProblemCollector,
    RateLimitedError,
    RatingRefusedError,
    RecordRefusedError,
    ScenarioError,
    SocialCreditError,
    StorageError,
    ValidationError,
)

if _typing.TYPE_CHECKING:  # the real names for type checkers; at run time they load on first use
    from socialcredit.consequences import Decision, DecisionService, subject_consequences
    from socialcredit.ingest import ingest_file, ingest_rows
    from socialcredit.ledger import Ledger, VerifyReport, verify_ledger
    from socialcredit.policy import (
        PolicyBundle,
        bundle_in_force,
        catalogue_in_force,
        default_bundle,
        load_bundle,
        publish,
    )
    from socialcredit.reports import export_file, subject_report
    from socialcredit.rights import attach_statement, dispute_state, disputes_of, open_dispute
    from socialcredit.scoring import Explanation, ScoreResult, explain, rescore, score
    from socialcredit.service import init_ledger, open_ledger
    from socialcredit.settings import Settings
    from socialcredit.system import System, operator

__version__ = "0.1.0"

#: Where each lazily loaded name lives (always a package's surface, never a private module).
_LAZY = {
    "Settings": "settings",
    "System": "system",
    "operator": "system",
    "open_ledger": "service",
    "init_ledger": "service",
    "catalogue_in_force": "policy",
    "Ledger": "ledger",
    "VerifyReport": "ledger",
    "verify_ledger": "ledger",
    "ingest_file": "ingest",
    "ingest_rows": "ingest",
    "score": "scoring",
    "explain": "scoring",
    "rescore": "scoring",
    "Explanation": "scoring",
    "ScoreResult": "scoring",
    "Decision": "consequences",
    "DecisionService": "consequences",
    "subject_consequences": "consequences",
    "subject_report": "reports",
    "export_file": "reports",
    "open_dispute": "rights",
    "dispute_state": "rights",
    "disputes_of": "rights",
    "attach_statement": "rights",
    "PolicyBundle": "policy",
    "bundle_in_force": "policy",
    "default_bundle": "policy",
    "load_bundle": "policy",
    "publish": "policy",
}

__all__ = [
    "AuthenticationError",
    "CatalogueError",
    "ConfigurationError",
    "CsrfError",
    "Decision",
    "DecisionService",
    "DisputeRefusedError",
    "Explanation",
    "IntegrityError",
    "Ledger",
    "LedgerError",
    "LedgerOverloadedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PolicyBundle",
    "Problem",
    "ProblemCollector",
    "RateLimitedError",
    "RatingRefusedError",
    "RecordRefusedError",
    "ScenarioError",
    "ScoreResult",
    "Settings",
    "SocialCreditError",
    "StorageError",
    "System",
    "ValidationError",
    "VerifyReport",
    "__version__",
    "attach_statement",
    "bundle_in_force",
    "catalogue_in_force",
    "default_bundle",
    "dispute_state",
    "disputes_of",
    "explain",
    "export_file",
    "ingest_file",
    "ingest_rows",
    "init_ledger",
    "load_bundle",
    "open_dispute",
    "open_ledger",
    "operator",
    "publish",
    "rescore",
    "score",
    "subject_consequences",
    "subject_report",
    "verify_ledger",
]


def __getattr__(name: str) -> _typing.Any:
    package = _LAZY.get(name)
    if package is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{package}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
