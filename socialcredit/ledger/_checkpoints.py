"""Signed checkpoints: the ledger's commitment to its size and Merkle root at a time.

A checkpoint's signed body follows the shape of the C2SP ``tlog-checkpoint`` note, plus the
time, one item per line::

    <origin>
    <tree size>
    <base64 root hash>
    <time, UTC ISO 8601>
    previous <number> <previous size> <base64 SHA-256 of the previous checkpoint's body>
    index <base64 keys digest> <subject count> <base64 subjects digest>

The last two lines (the **chain**, :class:`ChainLink`) are on every checkpoint signed since
checkpoints were chained; checkpoints signed before carry only the first four and stay valid.
The chain numbers every checkpoint the log signs (0, 1, 2, ... by size) and names the one
before it by size and hash, so a checkpoint deleted from the store is missed by the next one;
and it commits to the two indexes that are not inside the Merkle tree: the idempotency key
rows (a digest of every ``[position, key]`` below the size) and the dense subject ids (their
count and a digest of every ``[id, kind, external_id]``). Each digest extends the previous
checkpoint's (:func:`index_digest`), so appending costs only the new rows.

The signature is Ed25519 (RFC 8032) over the body. The signing key lives in a key file
outside the store (PKCS#8 PEM, mode 0600), so that whoever can write the store cannot re-sign
a rewritten history; auditors pin the public key. A store keeps a checkpoint's chain lines
after its 64-byte signature (:meth:`SignedCheckpoint.stored`), which needs no new column.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from socialcredit.storage import StoredCheckpoint

from ..errors import ConfigurationError, Problem, ValidationError
from ..timeutil import format_time, parse_time

__all__ = [
    "ChainLink",
    "Checkpoint",
    "IndexDigest",
    "SignedCheckpoint",
    "Signer",
    "create_key_file",
    "index_digest",
    "key_id",
    "public_key_from_text",
    "public_key_text",
]

SIGNATURE_SIZE = 64
ZERO_DIGEST = bytes(32)
"""The base of an index digest that extends no earlier one."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, size: int = 32) -> bytes:
    value = base64.b64decode(text, validate=True)
    if len(value) != size:
        raise ValueError(f"expected {size} bytes, got {len(value)}")
    return value


class IndexDigest:
    """A digest of index rows, extending ``base``: SHA-256 of ``base`` followed by the
    compact JSON array of the rows (``[[position, key], ...]`` or ``[[id, kind, id], ...]``).

    Rows may be added one at a time (verify streams them) or in bulk (the ledger adds a
    batch); the bytes hashed, and so the digest, are the same.
    """

    __slots__ = ("_first", "_hash")

    def __init__(self, base: bytes | None = None) -> None:
        self._hash = hashlib.sha256(base or ZERO_DIGEST)
        self._hash.update(b"[")
        self._first = True

    def add(self, row: Sequence[object]) -> None:
        """Add one row (JSON-able scalars).

        Raises:
            TypeError: if a value cannot be encoded.
        """
        self._hash.update(orjson.dumps(row) if self._first else b"," + orjson.dumps(row))
        self._first = False

    def add_all(self, rows: Sequence[Sequence[object]]) -> None:
        """Add many rows at once."""
        if rows:
            encoded = orjson.dumps(rows)[1:-1]
            self._hash.update(encoded if self._first else b"," + encoded)
            self._first = False

    def digest(self) -> bytes:
        """The digest of the base and every row added so far."""
        final = self._hash.copy()
        final.update(b"]")
        return final.digest()


def index_digest(base: bytes | None, rows: Iterable[Sequence[object]]) -> bytes:
    """:class:`IndexDigest` of ``rows`` over ``base`` (None: the zero digest)."""
    digest = IndexDigest(base)
    for row in rows:
        digest.add(row)
    return digest.digest()


@dataclass(frozen=True, slots=True)
class ChainLink:
    """What a chained checkpoint commits to besides size, root and time.

    Attributes:
        number: this checkpoint's number: how many checkpoints of smaller sizes the log
            signed before it.
        previous_size: the size of the checkpoint numbered ``number - 1`` (None for 0).
        previous_hash: SHA-256 of that checkpoint's signed body (None for 0).
        keys_digest: :func:`index_digest` of the idempotency rows ``[position, key]`` with
            ``position < size``, in position order, extending the previous checkpoint's.
        subjects: how many subjects have a dense id.
        subjects_digest: :func:`index_digest` of the subject rows ``[id, kind, external_id]``
            in id order, extending the previous checkpoint's.
    """

    number: int
    previous_size: int | None
    previous_hash: bytes | None
    keys_digest: bytes
    subjects: int
    subjects_digest: bytes

    def lines(self) -> str:
        """The chain lines of the signed body."""
        previous = (
            "- -"
            if self.previous_size is None or self.previous_hash is None
            else f"{self.previous_size} {_b64(self.previous_hash)}"
        )
        return (
            f"previous {self.number} {previous}\n"
            f"index {_b64(self.keys_digest)} {self.subjects} {_b64(self.subjects_digest)}\n"
        )

    @classmethod
    def parse(cls, text: str) -> ChainLink:
        """Inverse of :meth:`lines`.

        Raises:
            ValueError: if ``text`` is not exactly the two chain lines.
        """
        lines = text.split("\n")
        if len(lines) != 3 or lines[2]:
            raise ValueError("the chain must be two lines")
        previous, index = lines[0].split(" "), lines[1].split(" ")
        if (
            len(previous) != 4
            or previous[0] != "previous"
            or len(index) != 4
            or index[0] != "index"
        ):
            raise ValueError("the chain lines are malformed")
        first = previous[2:] == ["-", "-"]
        return cls(
            number=_natural(previous[1]),
            previous_size=None if first else _natural(previous[2]),
            previous_hash=None if first else _unb64(previous[3]),
            keys_digest=_unb64(index[1]),
            subjects=_natural(index[2]),
            subjects_digest=_unb64(index[3]),
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (hashes in hex)."""
        return {
            "number": self.number,
            "previous_size": self.previous_size,
            "previous_hash": None if self.previous_hash is None else self.previous_hash.hex(),
            "keys_digest": self.keys_digest.hex(),
            "subjects": self.subjects,
            "subjects_digest": self.subjects_digest.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> ChainLink:
        """Inverse of :meth:`to_json`.

        Raises:
            KeyError, TypeError, ValueError: if a field is missing or malformed.
        """
        previous = data["previous_hash"]
        link = cls(
            number=_natural(data["number"]),
            previous_size=None
            if data["previous_size"] is None
            else _natural(data["previous_size"]),
            previous_hash=None if previous is None else _hash_hex(previous),
            keys_digest=_hash_hex(data["keys_digest"]),
            subjects=_natural(data["subjects"]),
            subjects_digest=_hash_hex(data["subjects_digest"]),
        )
        if (link.previous_size is None) != (link.previous_hash is None):
            raise ValueError("previous_size and previous_hash go together")
        return link


def _natural(value: object) -> int:
    """A non-negative integer from a decimal string or an int (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected a non-negative integer, got {type(value).__name__}")
    number = int(value) if isinstance(value, int) else int(value, 10)
    if number < 0 or (isinstance(value, str) and value != str(number)):
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return number


def _hash_hex(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError("a hash must be hex text")
    digest = bytes.fromhex(value)
    if len(digest) != 32:
        raise ValueError("a hash must be 32 bytes")
    return digest


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The tree size and root hash of a ledger named ``origin`` at ``time_us``."""

    origin: str
    size: int
    root: bytes
    time_us: int
    chain: ChainLink | None = None

    def body(self) -> bytes:
        """The exact bytes that are signed."""
        root = base64.b64encode(self.root).decode()
        chain = "" if self.chain is None else self.chain.lines()
        return f"{self.origin}\n{self.size}\n{root}\n{format_time(self.time_us)}\n{chain}".encode()

    def digest(self) -> bytes:
        """SHA-256 of the signed body: how the next checkpoint names this one."""
        return hashlib.sha256(self.body()).digest()


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

    @property
    def chain(self) -> ChainLink | None:
        """The chain link, or None for a checkpoint signed before checkpoints were chained."""
        return self.checkpoint.chain

    def stored(self) -> StoredCheckpoint:
        """The form a store keeps: the chain lines travel after the 64-byte signature."""
        cp = self.checkpoint
        extra = b"" if cp.chain is None else cp.chain.lines().encode()
        return StoredCheckpoint(cp.size, cp.root, cp.time_us, self.signature + extra)

    @classmethod
    def from_stored(cls, origin: str, stored: StoredCheckpoint) -> SignedCheckpoint:
        """Inverse of :meth:`stored`, for the ledger named ``origin``.

        Raises:
            ValueError: if a stored value has the wrong type or shape (a corrupt row).
        """
        size, root, time_us, blob = stored.size, stored.root, stored.time_us, stored.signature
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (size, time_us)):
            raise ValueError("size and time must be integers")
        if not isinstance(root, bytes | bytearray | memoryview) or len(root) != 32:
            raise ValueError("the root must be 32 bytes")
        if not isinstance(blob, bytes | bytearray | memoryview) or len(blob) < SIGNATURE_SIZE:
            raise ValueError(f"the signature must be at least {SIGNATURE_SIZE} bytes")
        blob = bytes(blob)
        try:
            rest = blob[SIGNATURE_SIZE:].decode("ascii")
        except UnicodeDecodeError as exc:
            raise ValueError(f"the chain after the signature is not text: {exc}") from exc
        chain = ChainLink.parse(rest) if rest else None
        checkpoint = Checkpoint(origin, size, bytes(root), time_us, chain)
        return cls(checkpoint, blob[:SIGNATURE_SIZE])

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form, with the signed note text, for proofs and the CLI."""
        cp = self.checkpoint
        document: dict[str, Any] = {
            "origin": cp.origin,
            "size": cp.size,
            "root": cp.root.hex(),
            "time": format_time(cp.time_us),
            "signature": base64.b64encode(self.signature).decode(),
        }
        if cp.chain is not None:
            document["chain"] = cp.chain.to_json()
        return document

    @classmethod
    def from_json(cls, data: Any) -> SignedCheckpoint:
        """Inverse of :meth:`to_json`.

        Raises:
            ValidationError: naming the field that is missing or malformed.
        """
        try:
            chain = data.get("chain")
            checkpoint = Checkpoint(
                origin=str(data["origin"]),
                size=int(data["size"]),
                root=bytes.fromhex(data["root"]),
                time_us=parse_time(data["time"]),
                chain=None if chain is None else ChainLink.from_json(chain),
            )
            signature = base64.b64decode(data["signature"], validate=True)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
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

    def sign_message(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message`` (a witness's cosignature, say)."""
        return self._key.sign(message)


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
