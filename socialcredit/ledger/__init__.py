"""The tamper-evident ledger: the only source of truth.

Entries are appended in one global order, committed to by an RFC 6962 Merkle tree, and signed
at every append (Ed25519 checkpoints). Inclusion and consistency proofs are self-contained
documents that anyone can check with the public key alone; :func:`verify_ledger` recomputes
every hash from the stored entries.
"""

from .checkpoints import Checkpoint, SignedCheckpoint, Signer, create_key_file
from .entries import (
    EncodedBatch,
    Entry,
    PendingEntry,
    decode_entry,
    encode_entry,
)
from .ledger import AppendResult, AppendResults, Ledger, utc_now_us
from .proofs import (
    ProofCheck,
    check_consistency_proof,
    check_inclusion_proof,
    consistency_document,
    inclusion_document,
)
from .verify import VerifyReport, verify_ledger

__all__ = [
    "AppendResult",
    "AppendResults",
    "Checkpoint",
    "EncodedBatch",
    "Entry",
    "Ledger",
    "PendingEntry",
    "ProofCheck",
    "SignedCheckpoint",
    "Signer",
    "VerifyReport",
    "check_consistency_proof",
    "check_inclusion_proof",
    "consistency_document",
    "create_key_file",
    "decode_entry",
    "encode_entry",
    "inclusion_document",
    "utc_now_us",
    "verify_ledger",
]
