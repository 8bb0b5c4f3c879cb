"""Single-use rating tokens: issued for one verified interaction, bound to rater and ratee.

A token is ``<token_id>.<secret>``. The ledger's ``RatingTokenIssued`` entry holds the id and
the SHA-256 of the secret, never the secret itself, which goes only to the rater. A rating is
accepted only with the secret of a known, unused, unexpired token bound to the same rater and
ratee; single use is enforced by the ledger itself (the ``RatingGiven`` entry's idempotency
key is the token id, so two racing uses cannot both be appended).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from ..errors import Problem, RatingRefusedError
from ._model import Ratee

__all__ = ["TokenState", "check_token", "hash_secret", "new_token", "split_token"]

_PREFIX = "rt_"


@dataclass(frozen=True, slots=True)
class TokenState:
    """A token as the ledger knows it.

    Attributes:
        position: ledger position of its ``RatingTokenIssued`` entry.
        token_id: its public id.
        token_hash: SHA-256 (hex) of its secret.
        issuer: ``{"kind": "organisation", "id": USCC}`` or ``{"kind": "record", "position": n}``.
        rater: the resident id it is bound to.
        ratee: the ratee it is bound to.
        interaction: the issuer's reference of the interaction.
        issued_us, expires_us: ledger time of issue and of expiry.
        used_at: ledger position of the rating that used it, if any.
    """

    position: int
    token_id: str
    token_hash: str
    issuer: dict[str, object]
    rater: str
    ratee: Ratee
    interaction: str
    issued_us: int
    expires_us: int
    used_at: int | None = None


def new_token() -> tuple[str, str]:
    """A fresh ``(token_id, secret)`` from the operating system's CSPRNG."""
    return _PREFIX + secrets.token_hex(8), secrets.token_urlsafe(18)


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str]:
    """``(token_id, secret)`` of ``<token_id>.<secret>``.

    Raises:
        RatingRefusedError: naming ``token`` if it is not of that form.
    """
    token_id, dot, secret = token.strip().partition(".")
    if not dot or not token_id.startswith(_PREFIX) or not secret:
        raise RatingRefusedError(
            "rating refused", [Problem("token", "expected <token id>.<secret> as issued")]
        )
    return token_id, secret


def check_token(
    token: TokenState | None, secret: str, rater: str, ratee: Ratee, now_us: int
) -> None:
    """Accept the use of ``token`` by ``rater`` for ``ratee`` at ``now_us``, or raise.

    Raises:
        RatingRefusedError: listing every reason: unknown token, wrong secret, already used,
            expired, bound to another rater or another ratee.
    """
    if token is None:
        raise RatingRefusedError("rating refused", [Problem("token", "unknown token")])
    if not hmac.compare_digest(token.token_hash, hash_secret(secret)):
        raise RatingRefusedError("rating refused", [Problem("token", "wrong secret")])
    problems = []
    if token.used_at is not None:
        problems.append(Problem("token", f"already used (ledger entry {token.used_at})"))
    if now_us > token.expires_us:
        problems.append(Problem("token", "expired"))
    if token.rater != rater:
        problems.append(Problem("rater", "the token is bound to another rater"))
    if token.ratee != ratee:
        problems.append(Problem("ratee", "the token is bound to another ratee"))
    if problems:
        raise RatingRefusedError("rating refused", problems)
