"""The one exception tree of socialcredit, each error with a stable machine code, and the one
table of what each becomes in an adapter: its HTTP status (the API and the portal) and its exit
status (the CLI). A domain function never raises anything adapter-specific; an adapter reads
``http_status`` / ``exit_status`` and never keeps a table of its own.

    error                             code                 HTTP  exit  meaning
    SocialCreditError                 "error"               500   2
    ├── ConfigurationError            "configuration"       500   2    bad setting or store URL
    ├── ValidationError               "invalid"             422   2    input refused; problems
    │   ├── RecordRefusedError        "record_refused"      422   2    an incoming record
    │   ├── CatalogueError            "catalogue_invalid"   422   2    a catalogue, refused whole
    │   ├── ScenarioError             "scenario_invalid"    422   2    a simulation scenario
    │   ├── RatingRefusedError        "rating_refused"      422   2    a rating or token
    │   └── DisputeRefusedError       "dispute_refused"     422   2    a rights action, not now
    ├── NotFoundError                 "not_found"           404   2    no such entry, subject
    ├── PayloadTooLargeError          "payload_too_large"   413   2    a body over its limit
    ├── AuthenticationError           "unauthenticated"     401   2    no valid credentials
    ├── PermissionDeniedError         "forbidden"           403   2    the caller may not
    │   └── CsrfError                 "csrf"                403   2    a form without its token
    ├── RateLimitedError              "rate_limited"        429   3    retry after (Retry-After)
    ├── LedgerError                   "ledger"              409   2    the ledger cannot do it
    │   ├── LedgerOverloadedError     "ledger_overloaded"   503   3    retry later (Retry-After)
    │   └── IntegrityError            "integrity"           409   1    verification found tampering
    └── StorageError                  "storage"             500   2    the backing store failed

An error with ``retry_after`` (seconds) is answered with a ``Retry-After`` header.

Every error has ``code`` (stable, machine-readable), ``message`` (for people) and ``details``
(a JSON-able mapping). ``ValidationError.problems`` lists every ``Problem`` (the field or key
that caused it, and the reason) so that one refusal reports everything wrong at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CatalogueError",
    "ConfigurationError",
    "IntegrityError",
    "LedgerError",
    "LedgerOverloadedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "Problem",
    "ProblemCollector",
    "RecordRefusedError",
    "ScenarioError",
    "SocialCreditError",
    "StorageError",
    "ValidationError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: the field (or key path) that caused it, and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        """The problem as a JSON-able mapping."""
        return {"field": self.field, "reason": self.reason}


class ProblemCollector:
    """The base of a checker that reads a whole document in one pass and collects every
    problem (a bundle file, the catalogue): a caller gets them all at once, not the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def refuse(self, path: str, reason: str) -> None:
        """Note that the value at ``path`` is refused, and why."""
        self.problems.append(Problem(path, reason))


class SocialCreditError(Exception):
    """Base of every error the library raises on purpose."""

    code = "error"
    http_status = 500
    exit_status = 2

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def as_dict(self) -> dict[str, Any]:
        """The single error shape shared by every adapter: code, message, details."""
        return {"code": self.code, "message": self.message, "details": self.details}


class ConfigurationError(SocialCreditError):
    """A setting, store URL or key file is missing or invalid."""

    code = "configuration"


class ValidationError(SocialCreditError):
    """An input was refused; ``problems`` names every field at fault and the reason."""

    code = "invalid"
    http_status = 422

    def __init__(self, message: str, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(message, {"problems": [p.as_dict() for p in self.problems]})

    def __str__(self) -> str:
        return f"{self.message}: " + "; ".join(str(p) for p in self.problems)


class RecordRefusedError(ValidationError):
    """An incoming record was refused (unknown kind, minor, field outside the schema, ...)."""

    code = "record_refused"


class CatalogueError(ValidationError):
    """A catalogue (or a bundle holding one) was refused as a whole."""

    code = "catalogue_invalid"


class NotFoundError(SocialCreditError):
    """The entry, subject or checkpoint asked for does not exist."""

    code = "not_found"
    http_status = 404


class PayloadTooLargeError(SocialCreditError):
    """A request body is larger than the limit for its kind (``limit`` bytes); it was refused
    before more than ``limit`` bytes of it were read."""

    code = "payload_too_large"
    http_status = 413

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message, {"limit": limit})
        self.limit = limit


class LedgerError(SocialCreditError):
    """The ledger cannot do what was asked (e.g. a proof for a size it has not reached)."""

    code = "ledger"
    http_status = 409


class LedgerOverloadedError(LedgerError):
    """The ledger is pushing back; the caller should retry after ``retry_after`` seconds."""

    code = "ledger_overloaded"
    http_status = 503
    exit_status = 3

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


class IntegrityError(LedgerError):
    """Verification found the stored ledger inconsistent with its hashes or checkpoints."""

    code = "integrity"
    http_status = 409
    exit_status = 1


class StorageError(SocialCreditError):
    """The backing store failed or holds something the ledger cannot read."""

    code = "storage"


class ScenarioError(ValidationError):
    """A simulation scenario (YAML) or a sweep's ``--vary`` was refused; problems name the keys."""

    code = "scenario_invalid"


class RatingRefusedError(ValidationError):
    """A rating, rating token, reply or rating dispute was refused (bad or used token, scope)."""

    code = "rating_refused"


__all__ += ["RatingRefusedError"]


class DisputeRefusedError(ValidationError):
    """A dispute, appeal, statement or record lifecycle action is not allowed in the current
    state (already open, already decided, appealed twice, same officer, not withdrawn, ...)."""

    code = "dispute_refused"


__all__ += ["DisputeRefusedError"]


class AuthenticationError(SocialCreditError):
    """No valid credentials (bad API key, expired session, wrong password)."""

    code = "unauthenticated"
    http_status = 401


class PermissionDeniedError(SocialCreditError):
    """The caller's role may not do this, or not to this subject."""

    code = "forbidden"
    http_status = 403


class CsrfError(PermissionDeniedError):
    """An unsafe request with a session cookie lacks the session's CSRF token."""

    code = "csrf"


class RateLimitedError(SocialCreditError):
    """The caller exceeded its request rate; retry after ``retry_after`` seconds."""

    code = "rate_limited"
    http_status = 429
    exit_status = 3

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


__all__ += ["AuthenticationError", "CsrfError", "PermissionDeniedError", "RateLimitedError"]
