"""A bundle's manifest (``manifest.yaml``): revision, effective date, file hashes, signature.

::

    revision: 2                              # positive; each publication must raise it
    effective_from: "2026-06-01T00:00:00Z"   # UTC, ending in Z
    description: Tighter tax rules
    files:                                   # every other file of the bundle, with its sha256
      catalogue.yaml: 3f2a...
      scoring.yaml: 9bc1...
    signature: <base64 Ed25519>              # optional, with public_key
    public_key: <base64 raw 32 bytes>

The *canonical manifest* is the compact, key-sorted JSON of the manifest without ``signature``
(``effective_from`` in canonical form). The signature is over those bytes, and the bundle's
digest is their sha256, so signing a bundle does not change its digest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from socialcredit.errors import ConfigurationError, Problem
from socialcredit.ledger import public_key_from_text, public_key_text
from socialcredit.timeutil import format_time, parse_time

__all__ = ["Manifest", "check_manifest", "file_hash", "manifest_document", "sign_manifest"]

_KEYS = {"revision": True, "effective_from": True, "description": True, "files": True}
_KEYS |= {"signature": False, "public_key": False}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def file_hash(data: bytes) -> str:
    """The sha256 hex digest a manifest lists for a file's bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Manifest:
    """The checked manifest. ``files`` maps file name to sha256 hex."""

    revision: int
    effective_from: datetime
    description: str
    files: Mapping[str, str]
    signature: str | None = None
    public_key: str | None = None
    _digest: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        # The digest is asked for on every decision and score: compute it once.
        object.__setattr__(self, "_digest", hashlib.sha256(self.canonical()).hexdigest())

    def canonical(self) -> bytes:
        """The canonical JSON of the manifest without its signature: what is signed and hashed."""
        document: dict[str, Any] = {
            "revision": self.revision,
            "effective_from": _format(self.effective_from),
            "description": self.description,
            "files": dict(sorted(self.files.items())),
        }
        if self.public_key is not None:
            document["public_key"] = self.public_key
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)

    def effective_from_text(self) -> str:
        """``effective_from`` as canonical UTC text (``2020-01-01T00:00:00Z``)."""
        return _format(self.effective_from)

    def digest(self) -> str:
        """The sha256 hex of :meth:`canonical`: the bundle's identity."""
        return self._digest


def _format(moment: datetime) -> str:
    delta = moment - _EPOCH
    return format_time((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def sign_manifest(manifest: Manifest, key: Ed25519PrivateKey) -> Manifest:
    """A copy of ``manifest`` naming ``key``'s public key and signed with it."""
    unsigned = replace(manifest, signature=None, public_key=public_key_text(key.public_key()))
    signature = base64.b64encode(key.sign(unsigned.canonical())).decode()
    return replace(unsigned, signature=signature)


def manifest_document(manifest: Manifest) -> dict[str, Any]:
    """The manifest as written in ``manifest.yaml`` (loading it gives an equal manifest)."""
    document: dict[str, Any] = {
        "revision": manifest.revision,
        "effective_from": _format(manifest.effective_from),
        "description": manifest.description,
        "files": dict(manifest.files),
    }
    if manifest.signature is not None:
        document["signature"] = manifest.signature
    if manifest.public_key is not None:
        document["public_key"] = manifest.public_key
    return document


def check_manifest(doc: object) -> tuple[Manifest | None, list[Problem]]:
    """Check a parsed ``manifest.yaml``, including its signature if it has one.

    Returns:
        The manifest (None if any problem was found) and every problem, keyed by path.
    """
    if not isinstance(doc, Mapping):
        return None, [Problem("(manifest)", "must be a mapping with revision, files, ...")]
    problems = [Problem(str(k), "unknown key") for k in doc if k not in _KEYS]
    problems += [Problem(k, "required") for k, req in _KEYS.items() if req and k not in doc]
    revision = doc.get("revision")
    if "revision" in doc and (type(revision) is not int or revision < 1):
        problems.append(Problem("revision", f"must be a positive integer, got {revision!r}"))
    when = _effective_from(doc.get("effective_from"))
    if "effective_from" in doc and when is None:
        problems.append(Problem("effective_from", "must be a UTC time like 2020-01-01T00:00:00Z"))
    description = doc.get("description")
    if "description" in doc and (not isinstance(description, str) or not description.strip()):
        problems.append(Problem("description", "must be non-empty text"))
    files = doc.get("files")
    problems += _check_files(files) if "files" in doc else []
    manifest = None
    if not problems:
        assert isinstance(revision, int) and when is not None and isinstance(files, Mapping)
        manifest = Manifest(
            revision,
            when,
            str(description),
            dict(files),
            doc.get("signature"),
            doc.get("public_key"),
        )
        problems += _check_signature(manifest)
    return (None if problems else manifest), problems


def _effective_from(value: object) -> datetime | None:
    """An aware UTC datetime from canonical text (or a YAML timestamp at offset 0), else None."""
    if isinstance(value, datetime):
        # YAML turns an unquoted timestamp into a datetime; only an explicit UTC one is taken.
        ok = value.tzinfo is not None and value.utcoffset() == _EPOCH.utcoffset()
        return value.astimezone(UTC) if ok else None
    if not isinstance(value, str):
        return None
    try:
        us = parse_time(value)
    except ValueError:
        return None
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)


def _check_files(files: object) -> list[Problem]:
    if not isinstance(files, Mapping) or not files:
        return [Problem("files", "must be a mapping of file name to sha256 hex")]
    problems = []
    for name, digest in files.items():
        if not isinstance(name, str) or "/" in name or name == "manifest.yaml":
            problems.append(Problem(f"files.{name}", "must be a plain file name of the bundle"))
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            problems.append(Problem(f"files.{name}", "must be a lower-case sha256 hex digest"))
    return problems


def _check_signature(manifest: Manifest) -> list[Problem]:
    if manifest.signature is None and manifest.public_key is None:
        return []
    if manifest.signature is None or manifest.public_key is None:
        return [Problem("signature", "signature and public_key go together")]
    try:
        key = public_key_from_text(str(manifest.public_key))
    except ConfigurationError:
        return [Problem("public_key", "must be a base64 raw Ed25519 public key")]
    try:
        key.verify(base64.b64decode(str(manifest.signature), validate=True), manifest.canonical())
    except (InvalidSignature, binascii.Error, ValueError):
        return [Problem("signature", "does not verify under public_key")]
    return []
