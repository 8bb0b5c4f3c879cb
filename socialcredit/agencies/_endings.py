"""Ending a joint memorandum early, and checking recorded signatures across key rotations.

A joining agency ends a memorandum with a ``MemorandumEnded`` entry::

    {"memorandum": id, "memorandum_digest": <the memorandum's digest>, "reason": text,
     "agency": name, "public_key": <its key in force>, "signature": <base64>}

The signature is Ed25519 over ``b"socialcredit memorandum end v1\\n"`` and :func:`end_digest`
(SHA-256 of the canonical JSON of memorandum id, memorandum digest and reason), by the
agency's key in force when the entry is recorded (:func:`socialcredit.agencies._registry.
find_agency`). From the entry on, the memorandum is not in force, so decisions no longer cite
it (:attr:`socialcredit.agencies._memoranda.RecordedMemorandum.ended`).

:func:`verify_memorandum` re-checks a recorded memorandum's signatures, and its ending's, each
against the key the agency held when the entry was recorded (:func:`~socialcredit.agencies.
registry.key_at`): a later key rotation leaves them valid.
"""

from __future__ import annotations

import hashlib

import orjson

from socialcredit.agencies._memoranda import (
    MEMORANDUM_DOMAIN,
    RecordedMemorandum,
    ending_key,
    memorandum,
)
from socialcredit.agencies._registry import find_agency, key_at
from socialcredit.agencies.events import MemorandumEndedV1
from socialcredit.catalogue import term_reasons
from socialcredit.errors import Problem, ValidationError
from socialcredit.events import EVENTS
from socialcredit.ledger import Ledger, Signer, entry_of
from socialcredit.policy import Signature, sign_digest, verifies

__all__ = [
    "END_DOMAIN",
    "MEMORANDUM_ENDED",
    "check_ending",
    "end_digest",
    "end_memorandum",
    "sign_ending",
    "verify_memorandum",
]

MEMORANDUM_ENDED = MemorandumEndedV1.TYPE
END_DOMAIN = b"socialcredit memorandum end v1\n"
_MAX_REASON = 1_000


def end_digest(recorded: RecordedMemorandum, reason: str) -> str:
    """SHA-256 (hex) of what ending ``recorded`` for ``reason`` signs."""
    document = {
        "memorandum": recorded.memorandum.id,
        "memorandum_digest": recorded.memorandum.digest(),
        "reason": " ".join(reason.split()),
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def sign_ending(
    signer: Signer, agency: str, recorded: RecordedMemorandum, reason: str
) -> Signature:
    """``agency``'s signature with ``signer`` over ending ``recorded`` for ``reason``."""
    return sign_digest(signer, agency, end_digest(recorded, reason), END_DOMAIN)


def check_ending(
    ledger: Ledger, memo_id: str, reason: str, signature: Signature
) -> tuple[RecordedMemorandum, list[Problem]]:
    """The memorandum ``memo_id`` and every problem of ending it with ``signature``.

    Raises:
        NotFoundError: if no memorandum ``memo_id`` is recorded.
    """
    recorded = memorandum(ledger, memo_id)
    problems = []
    if recorded.ended is not None:
        reason_ended = f"was ended already at entry {recorded.ended.position}"
        problems.append(Problem("memorandum", reason_ended))
    clean = " ".join(reason.split())
    if not clean or len(clean) > _MAX_REASON:
        problems.append(Problem("reason", f"must be 1-{_MAX_REASON} characters of text"))
    problems += [Problem("reason", r) for r in term_reasons(clean)]
    problems += _signer_problems(ledger, recorded, clean, signature)
    return recorded, problems


def _signer_problems(
    ledger: Ledger, recorded: RecordedMemorandum, reason: str, signature: Signature
) -> list[Problem]:
    parties = recorded.memorandum.parties
    if signature.role not in parties:
        return [Problem("agency", f"{signature.role!r} is not a party ({', '.join(parties)})")]
    found = find_agency(ledger, signature.role)
    if found is None:
        return [Problem("agency", f"{signature.role!r} is not a registered agency")]
    if signature.public_key != found.public_key:
        reason_key = f"not {found.name}'s key in force (entry {found.key_position})"
        return [Problem("public_key", reason_key)]
    digest = end_digest(recorded, reason)
    if not verifies(signature, END_DOMAIN + digest.encode("ascii")):
        return [Problem("signature", f"does not verify over the ending (digest {digest[:16]}…)")]
    return []


def end_memorandum(
    ledger: Ledger, memo_id: str, reason: str, signature: Signature
) -> RecordedMemorandum:
    """End memorandum ``memo_id`` now, by the party that signed ``signature``; returns it as
    recorded with its ending.

    Raises:
        NotFoundError: if no memorandum ``memo_id`` is recorded.
        ValidationError: naming ``memorandum`` (ended already), ``reason`` (empty, too long,
            a prohibited term), ``agency`` (not a party or not registered), ``public_key``
            (not the agency's key in force) or ``signature`` (does not verify); nothing is
            written.
        LedgerError: if the ledger is read-only.
    """
    recorded, problems = check_ending(ledger, memo_id, reason, signature)
    if problems:
        raise ValidationError(f"ending refused ({len(problems)} problems)", problems)
    event = MemorandumEndedV1(
        memorandum=memo_id,
        memorandum_digest=recorded.memorandum.digest(),
        reason=" ".join(reason.split()),
        agency=signature.role,
        public_key=signature.public_key,
        signature=signature.signature,
    )
    entry = entry_of(event, idempotency_key=ending_key(memo_id))
    if ledger.append([entry])[0].duplicate:
        raise ValidationError("ending refused", [Problem("memorandum", "ended meanwhile")])
    return memorandum(ledger, memo_id)


def verify_memorandum(ledger: Ledger, recorded: RecordedMemorandum) -> list[Problem]:
    """Every problem of ``recorded``'s signatures (and its ending's), each checked against
    the key its agency held when the entry was recorded; empty when all verify."""
    problems = []
    message = MEMORANDUM_DOMAIN + recorded.memorandum.digest().encode("ascii")
    for s in recorded.signatures:
        problems += _held(ledger, s, recorded.position, message, f"signatures.{s.role}")
    if recorded.ended is not None:
        entry = ledger.entry(recorded.ended.position)
        ended = EVENTS.read_as(entry, MemorandumEndedV1)
        signed = Signature(ended.agency, ended.public_key, ended.signature)
        digest = end_digest(recorded, ended.reason)
        where = f"ended.{signed.role}"
        problems += _held(ledger, signed, entry.position, END_DOMAIN + digest.encode(), where)
    return problems


def _held(
    ledger: Ledger, signature: Signature, position: int, message: bytes, where: str
) -> list[Problem]:
    held = key_at(ledger, signature.role, position)
    if held is None or held != signature.public_key:
        return [Problem(where, f"not the key {signature.role} held at entry {position}")]
    if not verifies(signature, message):
        return [Problem(where, "does not verify")]
    return []
