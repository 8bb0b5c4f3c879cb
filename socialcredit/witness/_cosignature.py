"""Cosignatures: a witness's Ed25519 signature over a log's signed checkpoint.

The signed message follows the C2SP ``tlog-cosignature`` shape: a header line, the time of
cosigning (Unix seconds), then the checkpoint's own signed body, which already names the log
(its origin), the size, the root and — for a chained checkpoint — its place in the log's
chain::

    cosignature/v1
    time <seconds>
    <the checkpoint's signed body>

A :class:`CosignedCheckpoint` travels as ``CosignedCheckpointV1`` JSON: the log's signed
checkpoint as the log serves it, and the witness's name, public key, time and signature. Anyone
holding the witness's public key and the log's can check it offline.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from socialcredit.ledger import SignedCheckpoint, public_key_from_text

from ..errors import Problem, ValidationError

__all__ = ["COSIGNED_V1", "Cosignature", "CosignedCheckpoint", "cosignature_message"]

COSIGNED_V1 = "CosignedCheckpointV1"


def cosignature_message(checkpoint: SignedCheckpoint, time_s: int) -> bytes:
    """The exact bytes a witness signs to cosign ``checkpoint`` at ``time_s``."""
    return b"cosignature/v1\ntime %d\n" % time_s + checkpoint.checkpoint.body()


@dataclass(frozen=True, slots=True)
class Cosignature:
    """Who cosigned (name and public key, base64), when (Unix seconds), and the signature."""

    witness: str
    public_key: str
    time_s: int
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {
            "witness": self.witness,
            "public_key": self.public_key,
            "time": self.time_s,
            "signature": base64.b64encode(self.signature).decode(),
        }


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """A log's signed checkpoint and one witness's cosignature of it."""

    checkpoint: SignedCheckpoint
    cosignature: Cosignature

    @property
    def size(self) -> int:
        """The tree size the log committed to."""
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        """The Merkle root the log committed to."""
        return self.checkpoint.root

    def is_cosigned_by(self, witness_key: Ed25519PublicKey) -> bool:
        """True if the cosignature verifies under ``witness_key``."""
        message = cosignature_message(self.checkpoint, self.cosignature.time_s)
        try:
            witness_key.verify(self.cosignature.signature, message)
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        """The ``CosignedCheckpointV1`` document."""
        return {
            "version": COSIGNED_V1,
            "checkpoint": self.checkpoint.to_json(),
            "cosignature": self.cosignature.to_json(),
        }

    @classmethod
    def from_json(cls, document: Any) -> CosignedCheckpoint:
        """Inverse of :meth:`to_json`.

        Raises:
            ValidationError: naming what is missing or malformed.
        """
        try:
            if document.get("version") != COSIGNED_V1:
                raise ValueError(f"version must be {COSIGNED_V1}")
            given = document["cosignature"]
            time_s = given["time"]
            if type(time_s) is not int:
                raise TypeError("cosignature.time must be an integer")
            public_key = str(given["public_key"])
            public_key_from_text(public_key)
            cosignature = Cosignature(
                witness=str(given["witness"]),
                public_key=public_key,
                time_s=time_s,
                signature=base64.b64decode(given["signature"], validate=True),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                "cosigned checkpoint is malformed", [Problem("cosignature", str(exc))]
            ) from exc
        return cls(SignedCheckpoint.from_json(document["checkpoint"]), cosignature)
