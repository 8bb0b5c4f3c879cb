"""Inclusion and consistency proofs as self-contained documents, and their verifiers.

A proof document carries everything a verifier needs besides a pinned public key: the entry
(for inclusion), the audit path, and the signed checkpoint(s). The verifier reads nothing from
the store — an auditor or a subject can check it anywhere.

    InclusionProofV1:   {"version", "index", "entry", "leaf_hash", "hashes", "checkpoint"}
    ConsistencyProofV1: {"version", "old", "new", "hashes"}
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import LedgerError, NotFoundError, Problem, ValidationError
from ._checkpoints import SignedCheckpoint
from ._hashing import leaf_hash
from ._ledger import Ledger
from ._merkle import consistency_proof, inclusion_proof, verify_consistency, verify_inclusion

__all__ = [
    "ProofCheck",
    "check_consistency_proof",
    "check_inclusion_proof",
    "consistency_document",
    "inclusion_document",
]

INCLUSION_V1 = "InclusionProofV1"
CONSISTENCY_V1 = "ConsistencyProofV1"


def inclusion_document(ledger: Ledger, position: int, size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of entry ``position`` in the checkpointed tree of ``size``.

    ``size`` defaults to the latest checkpoint's.

    Raises:
        NotFoundError: if there is no such entry or no checkpoint of that size.
        LedgerError: if the entry is not inside the tree of ``size``.
    """
    checkpoint = ledger.latest_checkpoint() if size is None else ledger.checkpoint_at(size)
    if not 0 <= position < checkpoint.size:
        raise NotFoundError(
            f"entry {position} is not in the checkpointed tree of size {checkpoint.size}"
        )
    entry = ledger.entry_bytes(position)
    hashes = inclusion_proof(position, checkpoint.size, ledger.node_reader(checkpoint.size))
    return {
        "version": INCLUSION_V1,
        "index": position,
        "entry": base64.b64encode(entry).decode(),
        "leaf_hash": leaf_hash(entry).hex(),
        "hashes": [h.hex() for h in hashes],
        "checkpoint": checkpoint.to_json(),
    }


def consistency_document(
    ledger: Ledger, old_size: int, new_size: int | None = None
) -> dict[str, Any]:
    """The consistency proof between the checkpoints of ``old_size`` and ``new_size``.

    Raises:
        NotFoundError: if either size has no stored checkpoint.
        LedgerError: if ``old_size > new_size``.
    """
    new = ledger.latest_checkpoint() if new_size is None else ledger.checkpoint_at(new_size)
    old = ledger.checkpoint_at(old_size)
    if old.size > new.size:
        raise LedgerError(f"old size {old.size} is larger than new size {new.size}")
    hashes = consistency_proof(old.size, new.size, ledger.node_reader(new.size))
    return {
        "version": CONSISTENCY_V1,
        "old": old.to_json(),
        "new": new.to_json(),
        "hashes": [h.hex() for h in hashes],
    }


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """The outcome of checking a proof document: ``ok`` and every reason it failed."""

    ok: bool
    problems: list[str] = field(default_factory=list)


def _hashes(document: dict[str, Any]) -> list[bytes]:
    hashes = [bytes.fromhex(h) for h in document["hashes"]]
    if any(len(h) != 32 for h in hashes):
        raise ValueError("every hash must be 32 bytes")
    return hashes


def _checkpoint(
    document: Any, key: Ed25519PublicKey, name: str, problems: list[str]
) -> SignedCheckpoint:
    checkpoint = SignedCheckpoint.from_json(document)
    if not checkpoint.is_signed_by(key):
        problems.append(f"{name}: the signature does not verify under the pinned public key")
    return checkpoint


def check_inclusion_proof(document: dict[str, Any], public_key: Ed25519PublicKey) -> ProofCheck:
    """Check an InclusionProofV1 using nothing but the document and the public key (the
    entry's bytes, or, in a proof without them, its ``leaf_hash``).

    Raises:
        ValidationError: if the document is malformed (names the field).
    """
    problems: list[str] = []
    try:
        if document.get("version") != INCLUSION_V1:
            raise ValueError(f"version must be {INCLUSION_V1}")
        checkpoint = _checkpoint(document["checkpoint"], public_key, "checkpoint", problems)
        # A proof for a reader without a purpose carries the leaf hash, not the entry.
        entry = base64.b64decode(document["entry"], validate=True) if "entry" in document else None
        computed = leaf_hash(entry) if entry is not None else bytes.fromhex(document["leaf_hash"])
        index = int(document["index"])
        hashes = _hashes(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError("inclusion proof is malformed", [Problem("proof", str(exc))]) from exc
    if document.get("leaf_hash") not in (None, computed.hex()):
        problems.append("leaf_hash does not match the entry")
    if not verify_inclusion(computed, index, checkpoint.size, hashes, checkpoint.root):
        problems.append("the audit path does not lead from the entry to the checkpoint's root")
    return ProofCheck(not problems, problems)


def check_consistency_proof(document: dict[str, Any], public_key: Ed25519PublicKey) -> ProofCheck:
    """Check a ConsistencyProofV1 using nothing but the document and the public key.

    Raises:
        ValidationError: if the document is malformed (names the field).
    """
    problems: list[str] = []
    try:
        if document.get("version") != CONSISTENCY_V1:
            raise ValueError(f"version must be {CONSISTENCY_V1}")
        old = _checkpoint(document["old"], public_key, "old", problems)
        new = _checkpoint(document["new"], public_key, "new", problems)
        hashes = _hashes(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            "consistency proof is malformed", [Problem("proof", str(exc))]
        ) from exc
    if old.checkpoint.origin != new.checkpoint.origin:
        problems.append("the two checkpoints belong to different ledgers")
    if not verify_consistency(old.size, new.size, old.root, new.root, hashes):
        problems.append("the new tree does not extend the old one")
    return ProofCheck(not problems, problems)
