"""The tamper-evident ledger: the only source of truth.

Entries are appended in one global order, committed to by an RFC 6962 Merkle tree, and signed
at every append (Ed25519 checkpoints). Inclusion and consistency proofs are self-contained
documents that anyone can check with the public key alone; :func:`verify_ledger` recomputes
every hash from the stored entries.
"""

from ._checkpoints import (
    Checkpoint,
    SignedCheckpoint,
    Signer,
    create_key_file,
    key_id,
    public_key_from_text,
    public_key_text,
)
from ._entries import (
    EncodedBatch,
    Entry,
    PendingEntry,
    check_canonical,
    decode_entry,
    encode_entry,
    entry_of,
)
from ._hashing import leaf_hash, leaf_hashes, unpack_bundle
from ._ledger import AppendResult, AppendResults, Ledger, utc_now_us
from ._merkle import (
    CompactRange,
    GetNode,
    consistency_proof,
    inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from ._proofs import (
    ProofCheck,
    check_consistency_proof,
    check_inclusion_proof,
    consistency_document,
    inclusion_document,
)
from ._scan import entry_type, ledger_now, scan_entries
from ._snapshots import PART_BYTES, LoadedSnapshot, load_snapshot, save_snapshot
from ._subject_index import (
    GLOBAL_TYPES,
    TYPE_KIND,
    build_subject_index,
    check_subject_index,
    compact_subject_index,
    entries_at,
    index_complete,
    subject_entries,
)
from ._tiles import append_entries
from ._verify import VerifyReport, verify_ledger

__all__ = [
    "GLOBAL_TYPES",
    "PART_BYTES",
    "TYPE_KIND",
    "AppendResult",
    "AppendResults",
    "Checkpoint",
    "CompactRange",
    "EncodedBatch",
    "Entry",
    "GetNode",
    "Ledger",
    "LoadedSnapshot",
    "PendingEntry",
    "ProofCheck",
    "SignedCheckpoint",
    "Signer",
    "VerifyReport",
    "append_entries",
    "build_subject_index",
    "check_canonical",
    "check_consistency_proof",
    "check_inclusion_proof",
    "check_subject_index",
    "compact_subject_index",
    "consistency_document",
    "consistency_proof",
    "create_key_file",
    "decode_entry",
    "encode_entry",
    "entries_at",
    "entry_of",
    "entry_type",
    "inclusion_document",
    "inclusion_proof",
    "index_complete",
    "key_id",
    "leaf_hash",
    "leaf_hashes",
    "ledger_now",
    "load_snapshot",
    "public_key_from_text",
    "public_key_text",
    "root_from_leaf_hashes",
    "save_snapshot",
    "scan_entries",
    "subject_entries",
    "unpack_bundle",
    "utc_now_us",
    "verify_consistency",
    "verify_inclusion",
    "verify_ledger",
]
