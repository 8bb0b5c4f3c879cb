"""socialcredit: an open, auditable social credit engine and a policy lab.

The engine keeps every fact in a tamper-evident ledger (RFC 6962 Merkle tree, Ed25519-signed
checkpoints); everything else is a projection of it. See ``docs/`` and ``README.md``.

The library's main entry points, importable from here::

    import socialcredit as sc

    settings = sc.Settings.load({})                      # from the environment, validated once
    ledger = sc.open_ledger(settings, write=True)        # sc.init_ledger(...) makes a new one
    sc.ingest_file(ledger, sc.catalogue_in_force(ledger), "records.csv", ...)   # file records
    sc.score(ledger, "person", "110...")                 # score, explain, rescore
    sc.DecisionService(ledger).decide("person", "110...", "rail-ticket")        # decide
    sc.subject_report(ledger, "person", "110...", ...)   # the subject access report
    sc.open_dispute(ledger, position, "not mine")        # disputes
    sc.publish(ledger, sc.load_bundle("policy/"))        # policy

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
        default_bundle,
        load_bundle,
        publish,
    )
    from socialcredit.rights import (
        attach_statement,
        dispute_state,
        disputes_of,
        export_file,
        open_dispute,
        subject_report,
    )
    from socialcredit.scoring import Explanation, ScoreResult, explain, rescore, score
    from socialcredit.service import catalogue_in_force, init_ledger, open_ledger
    from socialcredit.settings import Settings

__version__ = "0.1.0"

#: Where each lazily loaded name lives (always a package's surface, never a private module).
_LAZY = {
    "Settings": "settings",
    "open_ledger": "service",
    "init_ledger": "service",
    "catalogue_in_force": "service",
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
    "subject_report": "rights",
    "export_file": "rights",
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
    "RateLimitedError",
    "RatingRefusedError",
    "RecordRefusedError",
    "ScenarioError",
    "ScoreResult",
    "Settings",
    "SocialCreditError",
    "StorageError",
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
