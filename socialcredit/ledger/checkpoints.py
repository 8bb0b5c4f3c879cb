"""Signed checkpoints: the ledger's commitment to its size and Merkle root at a time.

A checkpoint's signed body follows the shape of the C2SP ``tlog-checkpoint`` note, plus the
time, one item per line::

    <origin>
    <tree size>
    <base64 root hash>
    <time, UTC ISO 8601>

The signature is Ed25519 (RFC 8032) over those bytes. The signing key lives in a key file
outside the store (PKCS#8 PEM, mode 0600), so that whoever can write the store cannot re-sign
a rewritten history; auditors pin the public key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import ConfigurationError, Problem, ValidationError
from .entries import format_time, parse_time

__all__ = [
    "Checkpoint",
    "SignedCheckpoint",
    "Signer",
    "create_key_file",
    "public_key_from_text",
    "public_key_text",
]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The tree size and root hash of a ledger named ``origin`` at ``time_us``."""

    origin: str
    size: int
    root: bytes
    time_us: int

    def body(self) -> bytes:
        """The exact bytes that are signed."""
        root = base64.b64encode(self.root).decode()
        return f"{self.origin}\n{self.size}\n{root}\n{format_time(self.time_us)}\n".encode()


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint with its Ed25519 signature."""

    checkpoint: Checkpoint
    signature: bytes

    @property
    def size(self) -> int:
        """The tree size the checkpoint commits to."""
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        """The Merkle root the checkpoint commits to."""
        return self.checkpoint.root

    def is_signed_by(self, public_key: Ed25519PublicKey) -> bool:
        """True if the signature over the body verifies under ``public_key``."""
        try:
            public_key.verify(self.signature, self.checkpoint.body())
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form, with the signed note text, for proofs and the CLI."""
        cp = self.checkpoint
        return {
            "origin": cp.origin,
            "size": cp.size,
            "root": cp.root.hex(),
            "time": format_time(cp.time_us),
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, data: Any) -> SignedCheckpoint:
        """Inverse of :meth:`to_json`.

        Raises:
            ValidationError: naming the field that is missing or malformed.
        """
        try:
            checkpoint = Checkpoint(
                origin=str(data["origin"]),
                size=int(data["size"]),
                root=bytes.fromhex(data["root"]),
                time_us=parse_time(data["time"]),
            )
            signature = base64.b64decode(data["signature"], validate=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                "checkpoint is malformed", [Problem("checkpoint", str(exc))]
            ) from exc
        if len(checkpoint.root) != 32 or checkpoint.size < 0:
            raise ValidationError(
                "checkpoint is malformed",
                [Problem("checkpoint.root", "must be 32 bytes, size >= 0")],
            )
        return cls(checkpoint, signature)


class Signer:
    """Signs checkpoints with the ledger's Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()

    @classmethod
    def from_key_file(cls, path: str | Path) -> Signer:
        """Load the private key from a PKCS#8 PEM file.

        Raises:
            ConfigurationError: if the file is missing or does not hold an Ed25519 key.
        """
        try:
            key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"cannot read signing key {path}: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"signing key {path} is not an Ed25519 key")
        return cls(key)

    def sign(self, checkpoint: Checkpoint) -> SignedCheckpoint:
        """Sign ``checkpoint``."""
        return SignedCheckpoint(checkpoint, self._key.sign(checkpoint.body()))


def create_key_file(path: str | Path) -> Signer:
    """Generate a new Ed25519 key and write it to ``path`` (mode 0600, never overwriting).

    Raises:
        ConfigurationError: if ``path`` already exists or cannot be written.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ConfigurationError(f"cannot create signing key {path}: {exc}") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return Signer(key)


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64-encoded (how auditors pin it)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """Inverse of :func:`public_key_text`.

    Raises:
        ConfigurationError: if the text is not a base64 32-byte Ed25519 public key.
    """
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as exc:
        raise ConfigurationError(f"not an Ed25519 public key: {exc}") from exc


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of the public key, for display."""
    return hashlib.sha256(public_key_text(public_key).encode()).hexdigest()[:16]
