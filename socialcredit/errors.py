"""The one exception tree of socialcredit, each error with a stable machine code.

Adapters (CLI, HTTP API, web) map these to exit statuses and HTTP responses in exactly one
place each; a domain function never raises anything adapter-specific.

    SocialCreditError                 code "error"
    ├── ConfigurationError            code "configuration"       bad setting or store URL
    ├── ValidationError               code "invalid"             input refused; carries problems
    │   ├── RecordRefusedError        code "record_refused"      an incoming record is refused
    │   ├── CatalogueError            code "catalogue_invalid"   a catalogue is refused whole
    │   ├── ScenarioError             code "scenario_invalid"    a simulation scenario is refused
    │   └── DisputeRefusedError       code "dispute_refused"     a rights action not allowed now
    ├── NotFoundError                 code "not_found"           no such entry, subject, checkpoint
    ├── PayloadTooLargeError          code "payload_too_large"   a request body over its limit
    ├── LedgerError                   code "ledger"              the ledger cannot do what was asked
    │   ├── LedgerOverloadedError     code "ledger_overloaded"   push back: retry later
    │   └── IntegrityError            code "integrity"           verification found tampering
    └── StorageError                  code "storage"             the backing store failed

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


class SocialCreditError(Exception):
    """Base of every error the library raises on purpose."""

    code = "error"

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


class PayloadTooLargeError(SocialCreditError):
    """A request body is larger than the limit for its kind (``limit`` bytes); it was refused
    before more than ``limit`` bytes of it were read."""

    code = "payload_too_large"

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message, {"limit": limit})
        self.limit = limit


class LedgerError(SocialCreditError):
    """The ledger cannot do what was asked (e.g. a proof for a size it has not reached)."""

    code = "ledger"


class LedgerOverloadedError(LedgerError):
    """The ledger is pushing back; the caller should retry after ``retry_after`` seconds."""

    code = "ledger_overloaded"

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


class IntegrityError(LedgerError):
    """Verification found the stored ledger inconsistent with its hashes or checkpoints."""

    code = "integrity"


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
