"""What a witness asks of a log: its latest signed checkpoint, and a consistency proof from
the last checkpoint the witness cosigned.

This is the only place the witness package touches a ledger, and it reads nothing else: the
checkpoint as the log signed it, and the proof hashes built by the ledger's own
:func:`~socialcredit.ledger._merkle.consistency_proof` over its stored tiles. Whether they hold
up is for :meth:`socialcredit.witness.Witness.cosign` to decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcredit.ledger import consistency_proof

from ..errors import LedgerError, StorageError
from ..ledger import Ledger, SignedCheckpoint

__all__ = ["LogUpdate", "fetch_update"]


@dataclass(frozen=True, slots=True)
class LogUpdate:
    """A log's latest checkpoint, with the consistency proof from size ``since``.

    ``proof`` is None when the log could not give one (``problem`` says why): it is shorter
    than ``since``, or its tiles cannot be read.
    """

    checkpoint: SignedCheckpoint
    since: int | None
    proof: list[bytes] | None
    problem: str | None = None


def fetch_update(ledger: Ledger, since: int | None) -> LogUpdate:
    """The ledger's latest signed checkpoint and the proof that it extends the tree of size
    ``since`` (None: no proof asked, as on first contact).

    Raises:
        LedgerError: if the ledger has no checkpoint at all.
        StorageError: if its latest checkpoint cannot be read.
    """
    checkpoint = ledger.latest_checkpoint()
    if since is None:
        return LogUpdate(checkpoint, None, [])
    if since > checkpoint.size:
        return LogUpdate(
            checkpoint, since, None, f"the log is at size {checkpoint.size}, below {since}"
        )
    try:
        proof = consistency_proof(since, checkpoint.size, ledger.node_reader(checkpoint.size))
    except (LedgerError, StorageError, ValueError) as exc:
        return LogUpdate(checkpoint, since, None, f"the log gave no consistency proof: {exc}")
    return LogUpdate(checkpoint, since, proof)
