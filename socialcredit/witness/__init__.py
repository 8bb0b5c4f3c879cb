"""An independent witness for the ledger: it cosigns checkpoints, and refuses rollbacks and forks.

The witness stands beside the ledger as an outside witness would: its own Ed25519 key, its own
store, and nothing from the log but signed checkpoints and consistency proofs
(:func:`fetch_update`). :meth:`Witness.cosign` accepts a checkpoint only if it extends the last
one cosigned for that log (first contact: trust on first use, recorded), and keeps every
checkpoint it cosigned. ``verify`` then checks a ledger against the witness's latest
cosignature (:func:`witness_checkpoint`), so that a history rolled back or forked with the
log's own key is caught without the auditor keeping any file.
"""

from ._cosignature import COSIGNED_V1, Cosignature, CosignedCheckpoint, cosignature_message
from ._log import LogUpdate, fetch_update
from ._store import KnownLog, Refusal, WitnessStore
from ._witness import (
    CLOCK_SKEW_S,
    Witness,
    latest_cosigned,
    published_cosignature,
    witness_checkpoint,
)

__all__ = [
    "CLOCK_SKEW_S",
    "COSIGNED_V1",
    "Cosignature",
    "CosignedCheckpoint",
    "KnownLog",
    "LogUpdate",
    "Refusal",
    "Witness",
    "WitnessStore",
    "cosignature_message",
    "fetch_update",
    "latest_cosigned",
    "published_cosignature",
    "witness_checkpoint",
]
