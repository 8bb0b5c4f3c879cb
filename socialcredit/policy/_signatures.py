"""Detached signatures over a policy bundle's (or a governance document's) digest.

A bundle directory may carry ``signatures.yaml``: a list of signatures that is not part of the
bundle, so that signing does not change the bundle's digest::

    - role: drafter
      public_key: <base64 raw Ed25519 public key>
      signature: <base64 Ed25519 signature>
      digest: <the sha256 hex the role signed>

A bundle signature is over ``b"socialcredit policy bundle v1\\n"`` and the digest's hex text;
a governance document's is over ``b"socialcredit governance v1\\n"`` and its digest, so that
neither can be passed off as the other. Which signatures count is the governance's business
(:func:`socialcredit.policy._governance.check_signatures`); this module makes, reads and keeps
them, reporting a malformed list or item as problems rather than failing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography.exceptions import InvalidSignature

from socialcredit.catalogue import UniqueKeyLoader  # the same strict YAML as bundles
from socialcredit.errors import ConfigurationError, Problem
from socialcredit.ledger import Signer, public_key_from_text, public_key_text
from socialcredit.policy._bundle import SIGNATURES, PolicyError, load_bundle

__all__ = [
    "BUNDLE_DOMAIN",
    "GOVERNANCE_DOMAIN",
    "ROLE_NAME",
    "SIGNATURES",
    "Signature",
    "SignatureError",
    "SignatureSet",
    "parse_signatures",
    "read_signatures",
    "role_name",
    "sign_bundle_directory",
    "sign_digest",
    "signature_list",
    "signature_set",
    "split_signatures",
    "verifies",
    "with_signature",
]

BUNDLE_DOMAIN = b"socialcredit policy bundle v1\n"
GOVERNANCE_DOMAIN = b"socialcredit governance v1\n"
#: A role name: snake_case.
ROLE_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIGNATURE_KEYS = {"role", "public_key", "signature", "digest"}


class SignatureError(PolicyError):
    """A signature could not be made or kept: a bad role name, or a signatures list that is
    not a list (every problem listed)."""

    code = "signature_invalid"


@dataclass(frozen=True, slots=True)
class Signature:
    """One role's signature (base64) over a digest, and the digest it says it signed."""

    role: str
    public_key: str
    signature: str
    digest: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The signature as written in a signatures list."""
        out = {"role": self.role, "public_key": self.public_key, "signature": self.signature}
        return out if self.digest is None else {**out, "digest": self.digest}


@dataclass(frozen=True, slots=True)
class SignatureSet:
    """Signatures as read from a file, with where they came from and what was malformed.

    Attributes:
        source: what to call the list in a problem (``signatures.yaml``).
        items: the well-formed signatures with their index in the list.
        problems: what was wrong with the file or its malformed items.
        present: whether there was a list at all (an absent file means unsigned).
        size: how many items the list had, well-formed or not.
    """

    source: str = SIGNATURES
    items: tuple[tuple[int, Signature], ...] = ()
    problems: tuple[Problem, ...] = ()
    present: bool = False
    size: int = 0

    @classmethod
    def of(cls, signatures: Iterable[Signature], source: str = SIGNATURES) -> SignatureSet:
        """A set of ``signatures`` as if read from a well-formed list."""
        listed = tuple(signatures)
        return cls(source, tuple(enumerate(listed)), (), True, len(listed))

    @property
    def signatures(self) -> tuple[Signature, ...]:
        """The well-formed signatures, in order."""
        return tuple(s for _, s in self.items)

    def item(self, index: int) -> str:
        """The problem key of item ``index`` (``signatures.yaml:[1]``)."""
        return f"{self.source}[{index}]" if ":" in self.source else f"{self.source}:[{index}]"

    def field(self, index: int, key: str) -> str:
        """The problem key of ``key`` of item ``index`` (``signatures.yaml:[1].role``)."""
        return f"{self.item(index)}.{key}"

    def adding(self, signature: Signature) -> SignatureSet:
        """A copy with ``signature`` appended to the list."""
        items = (*self.items, (self.size, signature))
        return SignatureSet(self.source, items, self.problems, True, self.size + 1)


def sign_digest(signer: Signer, role: str, digest: str, domain: bytes = BUNDLE_DOMAIN) -> Signature:
    """``signer``'s signature under ``role`` over ``digest`` (a bundle's, by default)."""
    raw = signer.sign_message(domain + digest.encode("ascii"))
    key = public_key_text(signer.public_key)
    return Signature(role, key, base64.b64encode(raw).decode(), digest)


def sign_bundle_directory(directory: str | Path, signer: Signer, role: str) -> tuple[str, int]:
    """Sign the digest of the bundle in ``directory`` as ``role``; keep it in its
    ``signatures.yaml`` (replacing the role's earlier signature, dropping any over another
    digest).

    Returns:
        The digest signed and how many signatures the file now holds.

    Raises:
        PolicyError: if the bundle does not load (every problem listed).
        SignatureError: if ``role`` is not a snake_case name or the file is not a list.
    """
    bundle = load_bundle(directory)
    path = Path(directory) / SIGNATURES
    listed = signature_list(path.read_bytes() if path.is_file() else b"", SIGNATURES)
    kept = with_signature(listed, sign_digest(signer, role_name(role), bundle.digest))
    path.write_text(_SIGNATURES_HEADER + yaml.safe_dump(kept, sort_keys=False), encoding="utf-8")
    return bundle.digest, len(kept)


_SIGNATURES_HEADER = (
    "# Detached signatures over the bundle's digest (socialcredit policy sign); not part of the\n"
    "# bundle. Each: role, public_key, signature (base64 Ed25519), digest signed.\n"
)


def role_name(role: str) -> str:
    """``role``, checked to be a snake_case name.

    Raises:
        SignatureError: if it is not.
    """
    if not ROLE_NAME.fullmatch(role):
        raise SignatureError("not signed", [Problem("role", f"must be snake_case, got {role!r}")])
    return role


def signature_list(data: bytes, source: str) -> list[Any]:
    """The raw list of a signatures file (empty if the file is empty or absent)."""
    try:
        document = yaml.load(data.decode("utf-8"), Loader=UniqueKeyLoader) if data else None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SignatureError("not signed", [Problem(source, f"not valid YAML: {exc}")]) from None
    if document is None:
        return []
    if not isinstance(document, list):
        raise SignatureError("not signed", [Problem(source, "must be a list of signatures")])
    return document


def with_signature(listed: list[Any], signature: Signature) -> list[Any]:
    """``listed`` without the role's earlier signature or any over another digest, plus
    ``signature``."""
    kept = [
        item
        for item in listed
        if not isinstance(item, Mapping)
        or (item.get("role") != signature.role and item.get("digest") in (None, signature.digest))
    ]
    return [*kept, signature.as_dict()]


def read_signatures(directory: str | Path) -> SignatureSet:
    """The signatures in ``directory/signatures.yaml`` (an empty, absent set if none)."""
    path = Path(directory) / SIGNATURES
    if not path.is_file():
        return SignatureSet()
    try:
        return parse_signatures(path.read_bytes())
    except OSError as exc:
        return SignatureSet(problems=(Problem(SIGNATURES, f"cannot be read: {exc}"),), present=True)


def split_signatures(files: Mapping[str, bytes]) -> tuple[dict[str, bytes], SignatureSet]:
    """A bundle's files without ``signatures.yaml``, and the signatures it held."""
    rest = {name: data for name, data in files.items() if name != SIGNATURES}
    return rest, parse_signatures(files[SIGNATURES]) if SIGNATURES in files else SignatureSet()


def parse_signatures(data: bytes) -> SignatureSet:
    """The signatures of a ``signatures.yaml`` file's bytes (malformed items as problems)."""
    try:
        document = yaml.load(data.decode("utf-8"), Loader=UniqueKeyLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        problem = Problem(SIGNATURES, f"not valid UTF-8 YAML: {exc}")
        return SignatureSet(problems=(problem,), present=True)
    return signature_set([] if document is None else document, SIGNATURES, present=True)


def signature_set(items: object, source: str, *, present: bool) -> SignatureSet:
    """The signatures of a parsed list ``items`` (None: no list), called ``source`` in
    problems; a list that is not one, or a malformed item, becomes a problem."""
    empty = SignatureSet(source, present=present)
    if items is None:
        return empty
    if not isinstance(items, list):
        return SignatureSet(source, (), (Problem(source, "must be a list of signatures"),), True)
    found: list[tuple[int, Signature]] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        signature = _signature(item, index, empty, problems)
        if signature is not None:
            found.append((index, signature))
    return SignatureSet(source, tuple(found), tuple(problems), present, len(items))


def _signature(
    item: object, index: int, where: SignatureSet, problems: list[Problem]
) -> Signature | None:
    if not isinstance(item, Mapping):
        problems.append(Problem(where.item(index), "must be a mapping"))
        return None
    before = len(problems)
    unknown = [k for k in item if k not in _SIGNATURE_KEYS]
    problems += [Problem(where.field(index, str(k)), "unknown key") for k in unknown]
    for key in ("role", "public_key", "signature"):
        if not isinstance(item.get(key), str) or not item[key]:
            problems.append(Problem(where.field(index, key), "required text"))
    digest = item.get("digest")
    if digest is not None and (not isinstance(digest, str) or not _HEX64.fullmatch(digest)):
        problems.append(Problem(where.field(index, "digest"), "must be a sha256 hex digest"))
    if len(problems) > before:
        return None
    return Signature(item["role"], item["public_key"], item["signature"], digest)


def verifies(signature: Signature, message: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``message`` by its own key."""
    try:
        key = public_key_from_text(signature.public_key)
        key.verify(base64.b64decode(signature.signature, validate=True), message)
    except (ConfigurationError, InvalidSignature, binascii.Error, ValueError):
        return False
    return True
