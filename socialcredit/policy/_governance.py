"""Governance: who must sign a policy bundle, how many of them, and how long the public is told
before it takes effect.

A ``GovernanceRecorded`` entry holds the governance in force from the moment it is recorded::

    {"version": 2, "threshold": 2, "notice_days": 30, "digest": "<sha256 hex>",
     "roles": [{"role": "drafter", "public_key": "<base64 raw Ed25519>"}, ...],
     "signatures": [{"role": "ledger_operator", "public_key": "...", "signature": "..."}]}

Each role holds one Ed25519 key; a bundle needs ``threshold`` (k) valid signatures of distinct
roles over its digest, and takes effect no earlier than ``notice_days`` after it is published
(:func:`socialcredit.policy._publish.publish`). There is no emergency bypass.

Signatures are detached (:mod:`.signatures`): a bundle's sit beside it in ``signatures.yaml``,
a governance document's in its ``signatures`` list. :func:`check_signatures` says which count.

The ledger's *genesis* is everything before its first bundle or record. The first governance
entry is established by the ledger operator (whoever holds the ledger's signing key) and needs
no signatures; every later one is a change that needs k signatures of the governance in force
and must raise the version by one, so that an old, signed document cannot be replayed.
Shortening the notice period binds only once the longer period has run from the change.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from socialcredit.catalogue import UniqueKeyLoader  # the same strict YAML as bundles
from socialcredit.errors import ConfigurationError, Problem, ValidationError
from socialcredit.events import EVENTS
from socialcredit.ledger import (
    Entry,
    Ledger,
    PendingEntry,
    Signer,
    entry_of,
    public_key_from_text,
    public_key_text,
)
from socialcredit.policy._bundle import PolicyError
from socialcredit.policy._signatures import (
    BUNDLE_DOMAIN,
    GOVERNANCE_DOMAIN,
    ROLE_NAME,
    Signature,
    SignatureError,
    SignatureSet,
    role_name,
    sign_digest,
    signature_set,
    verifies,
    with_signature,
)
from socialcredit.policy.events import GovernanceRecordedV1

__all__ = [
    "DEFAULT_NOTICE_DAYS",
    "ENTRY_TYPE",
    "OPERATOR_ROLE",
    "Governance",
    "GovernanceError",
    "GovernanceRole",
    "RecordedGovernance",
    "check_governance",
    "check_signatures",
    "governance_entry",
    "governance_history",
    "governance_in_force",
    "in_genesis",
    "load_governance_file",
    "operator_governance",
    "record_governance",
    "recorded_governance",
    "required_notice_days",
    "sign_governance_file",
]

ENTRY_TYPE = GovernanceRecordedV1.TYPE
DEFAULT_NOTICE_DAYS = 30
MAX_NOTICE_DAYS = 3650
MAX_ROLES = 32
#: The role of the default governance: the ledger operator, holding the ledger's own key.
OPERATOR_ROLE = "ledger_operator"
# Entries that may precede the first bundle without ending the genesis.
_GENESIS_TYPES = frozenset({ENTRY_TYPE, "ImpactAssessed"})
_DOCUMENT_KEYS = {"version", "roles", "threshold", "notice_days", "signatures"}
_ROLE_KEYS = {"role", "public_key"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class GovernanceError(PolicyError):
    """A governance document or change was refused (every problem listed)."""

    code = "governance_invalid"


@dataclass(frozen=True, slots=True)
class GovernanceRole:
    """A named role and the Ed25519 public key (base64 raw) that signs for it."""

    name: str
    public_key: str


@dataclass(frozen=True, slots=True)
class Governance:
    """A checked governance document. Build one with :func:`check_governance` or
    :func:`operator_governance`.

    Attributes:
        version: 1 for a ledger's first governance, then raised by one at each change.
        roles: the roles, each with its own key, sorted by name.
        threshold: how many distinct roles must sign (k of n).
        notice_days: the least time from publication to effect, in days.
    """

    version: int
    roles: tuple[GovernanceRole, ...]
    threshold: int
    notice_days: int = DEFAULT_NOTICE_DAYS

    def __post_init__(self) -> None:
        # Sorted by name: the document's identity does not depend on the order it was written in.
        object.__setattr__(self, "roles", tuple(sorted(self.roles, key=lambda r: r.name)))

    def canonical(self) -> bytes:
        """Compact key-sorted JSON of the document: what is signed."""
        return orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS)

    def digest(self) -> str:
        """The sha256 hex of :meth:`canonical`: the document's identity."""
        return hashlib.sha256(self.canonical()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        """The document as JSON-able values (the form of a governance file, unsigned)."""
        return {
            "version": self.version,
            "roles": [{"role": r.name, "public_key": r.public_key} for r in self.roles],
            "threshold": self.threshold,
            "notice_days": self.notice_days,
        }

    def role(self, name: str) -> GovernanceRole | None:
        """The role called ``name``, or None."""
        return next((r for r in self.roles if r.name == name), None)

    def role_with_key(self, public_key: str) -> GovernanceRole | None:
        """The role whose key is ``public_key``, or None."""
        return next((r for r in self.roles if r.public_key == public_key), None)

    def describe(self) -> str:
        """One line for people: ``version 2: 2 of 3 (drafter, ...); notice 30 days``."""
        names = ", ".join(r.name for r in self.roles)
        return (
            f"version {self.version}: {self.threshold} of {len(self.roles)} ({names}); "
            f"notice {self.notice_days} days"
        )


@dataclass(frozen=True, slots=True)
class RecordedGovernance:
    """A governance as read back from the ledger, with where and when it was recorded."""

    governance: Governance
    signatures: tuple[Signature, ...]
    position: int
    recorded_at: datetime


# -- the document -----------------------------------------------------------------------------


def operator_governance(public_key: Ed25519PublicKey) -> Governance:
    """The default governance: the ledger operator alone (k = 1), 30 days' notice."""
    role = GovernanceRole(OPERATOR_ROLE, public_key_text(public_key))
    return Governance(1, (role,), 1, DEFAULT_NOTICE_DAYS)


def check_governance(document: object) -> tuple[Governance | None, list[Problem]]:
    """Check a parsed governance document (its ``signatures`` key, if any, is not checked).

    Returns:
        The governance (None if any problem was found) and every problem, keyed by path
        (``roles[1].public_key``).
    """
    if not isinstance(document, Mapping):
        return None, [Problem("(governance)", "must be a mapping with roles, threshold, ...")]
    problems = [Problem(str(k), "unknown key") for k in document if k not in _DOCUMENT_KEYS]
    problems += [Problem(k, "required") for k in ("version", "roles") if k not in document]
    version = document.get("version")
    if "version" in document and not _whole(version, 1):
        problems.append(Problem("version", f"must be a positive integer, got {version!r}"))
    listed = document.get("roles")
    roles = _roles(listed, problems) if "roles" in document else ()
    count = len(listed) if isinstance(listed, list) else 0
    threshold = document.get("threshold", 1)
    if not _whole(threshold, 1):
        problems.append(Problem("threshold", f"must be a positive integer, got {threshold!r}"))
    elif count and threshold > count:
        problems.append(
            Problem("threshold", f"{threshold} is more than the {count} roles (k of n)")
        )
    notice = document.get("notice_days", DEFAULT_NOTICE_DAYS)
    if not _whole(notice, 1) or notice > MAX_NOTICE_DAYS:
        problems.append(
            Problem("notice_days", f"must be 1 to {MAX_NOTICE_DAYS} days, got {notice!r}")
        )
    if problems:
        return None, problems
    assert isinstance(version, int) and isinstance(threshold, int) and isinstance(notice, int)
    return Governance(version, roles, threshold, notice), []


def _whole(value: object, least: int) -> bool:
    return type(value) is int and value >= least


def _roles(items: object, problems: list[Problem]) -> tuple[GovernanceRole, ...]:
    """The checked roles; problems for every bad, repeated or shared name or key."""
    if not isinstance(items, list) or not items or len(items) > MAX_ROLES:
        problems.append(Problem("roles", f"must be a list of 1 to {MAX_ROLES} roles"))
        return ()
    roles: list[GovernanceRole] = []
    names: dict[str, int] = {}
    keys: dict[str, int] = {}
    before = len(problems)
    for index, item in enumerate(items):
        where = f"roles[{index}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(where, "must be a mapping with role and public_key"))
            continue
        problems += [Problem(f"{where}.{k}", "unknown key") for k in item if k not in _ROLE_KEYS]
        name, key = item.get("role"), item.get("public_key")
        if not isinstance(name, str) or not ROLE_NAME.fullmatch(name):
            problems.append(Problem(f"{where}.role", f"must be a snake_case name, got {name!r}"))
        elif name in names:
            problems.append(Problem(f"{where}.role", f"{name} is already roles[{names[name]}]"))
        else:
            names[name] = index
        if not _key_ok(key):
            problems.append(Problem(f"{where}.public_key", "must be a base64 raw Ed25519 key"))
        elif str(key) in keys:
            problems.append(
                Problem(
                    f"{where}.public_key",
                    f"the same key as roles[{keys[str(key)]}]: each role needs its own key",
                )
            )
        else:
            keys[str(key)] = index
        roles.append(GovernanceRole(str(name), str(key)))
    return tuple(roles) if len(problems) == before else ()


def _key_ok(key: object) -> bool:
    if not isinstance(key, str):
        return False
    try:
        public_key_from_text(key)
    except ConfigurationError:
        return False
    return True


def load_governance_file(path: str | Path) -> tuple[Governance, SignatureSet]:
    """Load a governance file: the document and its ``signatures`` list.

    Raises:
        GovernanceError: listing every problem of the document and of its signatures' form,
            each keyed ``FILE:key``; or if the file cannot be read.
    """
    name = Path(path).name
    try:
        document = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GovernanceError("governance not read", [Problem(name, str(exc))]) from None
    governance, found = check_governance(document)
    problems = [Problem(f"{name}:{p.field}", p.reason) for p in found]
    listed = document.get("signatures") if isinstance(document, Mapping) else None
    signed = signature_set(listed, f"{name}:signatures", present=listed is not None)
    if problems or governance is None:
        raise GovernanceError(f"governance refused ({len(problems)} problems)", problems)
    return governance, signed


# -- signatures --------------------------------------------------------------------------------


def sign_governance_file(path: str | Path, signer: Signer, role: str) -> tuple[str, int]:
    """Sign the governance document in ``path`` as ``role`` (a role of the governance in
    force); keep it in the file's ``signatures`` list, as :func:`sign_bundle_directory` does.

    Returns:
        The digest signed and how many signatures the file now holds.

    Raises:
        GovernanceError: listing every problem of the document.
        SignatureError: if ``role`` is not snake_case or ``signatures`` is not a list.
    """
    governance, _ = load_governance_file(path)
    digest = governance.digest()
    raw = Path(path).read_bytes()
    document = dict(yaml.load(raw.decode("utf-8"), Loader=UniqueKeyLoader))
    listed = document.get("signatures") or []
    if not isinstance(listed, list):
        raise SignatureError("not signed", [Problem(f"{Path(path).name}:signatures", "not a list")])
    signature = sign_digest(signer, role_name(role), digest, GOVERNANCE_DOMAIN)
    document["signatures"] = with_signature(listed, signature)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    Path(path).write_text(text, encoding="utf-8")
    return digest, len(document["signatures"])


def check_signatures(
    governance: Governance,
    signed: SignatureSet,
    digest: str,
    *,
    domain: bytes = BUNDLE_DOMAIN,
    threshold: int | None = None,
) -> tuple[list[Signature], list[Problem]]:
    """Check ``signed`` as signatures of ``governance``'s roles over ``digest``.

    Every signature must be valid: by a role of ``governance``, with that role's key, over
    this digest, each role once. At least ``threshold`` (default: the governance's k) must be.

    Returns:
        The valid signatures and every problem (a malformed list, each bad signature, and
        an unsigned or under-signed set), keyed ``signatures.yaml:[i].key``.
    """
    need = governance.threshold if threshold is None else threshold
    problems = list(signed.problems)
    valid: list[Signature] = []
    first: dict[str, int] = {}  # role -> the index of its valid signature
    for index, signature in signed.items:
        found = _signature_problems(governance, signed, index, signature, digest, domain)
        if not found and signature.role in first:
            where = signed.item(first[signature.role])
            reason = f"{signature.role} signed already ({where}); each role counts once"
            found.append(Problem(signed.field(index, "role"), reason))
        problems += found
        if not found:
            first[signature.role] = index
            valid.append(signature)
    if len(valid) < need:
        problems.append(_too_few(governance, signed, valid, need, digest))
    return valid, problems


def _signature_problems(
    governance: Governance,
    signed: SignatureSet,
    index: int,
    signature: Signature,
    digest: str,
    domain: bytes,
) -> list[Problem]:
    """Why one signature does not count (empty if it does)."""
    role, holder = governance.role(signature.role), governance.role_with_key(signature.public_key)
    at = governance.version
    if role is None:
        names = ", ".join(r.name for r in governance.roles)
        reason = f"{signature.role!r} is not a role of governance version {at} ({names})"
        return [Problem(signed.field(index, "role"), reason)]
    if holder is None:
        reason = f"not the key of any role of governance version {at} (an unknown key)"
        return [Problem(signed.field(index, "public_key"), reason)]
    if holder.name != role.name:
        reason = f"is the key of role {holder.name}, not of {role.name}"
        return [Problem(signed.field(index, "public_key"), reason)]
    if signature.digest is not None and signature.digest != digest:
        reason = f"signs digest {signature.digest[:16]}…, not this one ({digest[:16]}…)"
        return [Problem(signed.field(index, "digest"), reason)]
    if not verifies(signature, domain + digest.encode("ascii")):
        reason = f"does not verify over digest {digest[:16]}… under {role.name}'s key"
        return [Problem(signed.field(index, "signature"), reason)]
    return []


def _too_few(
    governance: Governance,
    signed: SignatureSet,
    valid: Sequence[Signature],
    need: int,
    digest: str,
) -> Problem:
    roles = ", ".join(r.name for r in governance.roles)
    rule = f"{need} of {len(governance.roles)} roles of governance version "
    rule += f"{governance.version} ({roles}) must sign digest {digest}"
    if not signed.present or (not signed.items and not signed.problems):
        return Problem(signed.source, f"unsigned: {rule}")
    by = ", ".join(s.role for s in valid) or "none"
    count = f"{len(valid)} valid signature{'s' if len(valid) != 1 else ''} ({by})"
    return Problem(signed.source, f"under-signed: {count}; {rule}")


# -- the ledger --------------------------------------------------------------------------------


def governance_entry(governance: Governance, signatures: Iterable[Signature]) -> PendingEntry:
    """The ``GovernanceRecorded`` entry for ``governance`` and the signatures that made it."""
    event = GovernanceRecordedV1(
        **governance.as_dict(),
        digest=governance.digest(),
        signatures=[
            {"role": s.role, "public_key": s.public_key, "signature": s.signature}
            for s in signatures
        ],
    )
    return entry_of(event, idempotency_key=f"governance:{governance.digest()}")


def record_governance(ledger: Ledger, governance: Governance, signed: SignatureSet) -> int:
    """Record ``governance`` as the governance in force from now; return its position.

    The ledger's first governance is established by its operator and needs no signatures
    (any given must be by its own roles). Every later one must raise the version by one and
    carry k valid signatures of the governance in force over its digest.

    Raises:
        GovernanceError: listing every problem; nothing is written.
        LedgerError: if the ledger is read-only.
    """
    _, problems = check_governance(governance.as_dict())  # however the object was built
    if problems:
        raise GovernanceError(f"governance refused ({len(problems)} problems)", problems)
    current = governance_in_force(ledger)
    digest = governance.digest()
    if current is None:
        expected, signers, need = 1, governance, 0
    else:
        expected, signers, need = current.governance.version + 1, current.governance, None
    problems = []
    if governance.version != expected:
        reason = f"must be {expected}" + ("" if current is None else ", one more than in force")
        problems.append(Problem("version", f"{reason}; got {governance.version}"))
    valid, found = check_signatures(
        signers, signed, digest, domain=GOVERNANCE_DOMAIN, threshold=need
    )
    problems += found
    if problems:
        raise GovernanceError(f"governance not recorded ({len(problems)} problems)", problems)
    return ledger.append([governance_entry(governance, valid)])[0].position


def governance_history(ledger: Ledger) -> list[RecordedGovernance]:
    """Every governance recorded in the ledger, in ledger order.

    Raises:
        GovernanceError: if a recorded entry no longer checks or its digest does not match.
    """
    return list(_read_all(ledger))


def governance_in_force(ledger: Ledger) -> RecordedGovernance | None:
    """The governance recorded last (in force from when it was recorded), or None."""
    history = _read_all(ledger)
    return history[-1] if history else None


def required_notice_days(history: Sequence[RecordedGovernance], now: datetime) -> int:
    """The notice period (days) that binds a publication at ``now``.

    The governance in force binds; so does an earlier one whose own notice period has not
    yet run from the change that replaced it (a shorter notice cannot be used at once).
    The default (30 days) with no governance.
    """
    days = 0 if history else DEFAULT_NOTICE_DAYS
    for index, recorded in enumerate(history):
        notice = recorded.governance.notice_days
        replaced = history[index + 1].recorded_at if index + 1 < len(history) else None
        if replaced is None or replaced + timedelta(days=notice) > now:
            days = max(days, notice)
    return days


def in_genesis(ledger: Ledger) -> bool:
    """Whether the ledger is still in its genesis: no bundle and no record yet (only
    governance and impact assessments)."""
    return all(entry.type in _GENESIS_TYPES for entry in _leading_entries(ledger))


def _leading_entries(ledger: Ledger) -> Iterator[Entry]:
    """The ledger's entries from the start, read a few at a time (genesis is short)."""
    size, start = ledger.size(), 0
    while start < size:
        stop = min(size, start + 64)
        yield from ledger.entries(start, stop)
        start = stop


# Per ledger object: the governance entries found so far and the first position not scanned.
_SEEN: weakref.WeakKeyDictionary[Ledger, tuple[int, list[RecordedGovernance]]] = (
    weakref.WeakKeyDictionary()
)


def _read_all(ledger: Ledger) -> list[RecordedGovernance]:
    scanned, found = _SEEN.get(ledger, (0, []))
    size = ledger.size()
    if scanned < size:
        found = found + [
            recorded_governance(e) for e in ledger.entries(scanned, size) if e.type == ENTRY_TYPE
        ]
        _SEEN[ledger] = (size, found)
    return found


def recorded_governance(entry: Entry) -> RecordedGovernance:
    """The governance a ``GovernanceRecorded`` entry holds.

    Raises:
        GovernanceError: if it no longer checks or its digest does not match.
    """
    try:
        event = EVENTS.read_as(entry, GovernanceRecordedV1)
    except ValidationError as exc:
        raise GovernanceError(
            f"entry {entry.position} is not a governance that replays",
            [Problem(f"entry {entry.position}.{p.field}", p.reason) for p in exc.problems],
        ) from exc
    governance, problems = check_governance(event.document())
    if governance is None or governance.digest() != event.digest:
        problems = problems or [Problem("digest", "does not match the document")]
        raise GovernanceError(
            f"entry {entry.position} is not a governance that replays",
            [Problem(f"entry {entry.position}.{p.field}", p.reason) for p in problems],
        )
    listed = event.signatures
    signatures = tuple(
        Signature(str(s["role"]), str(s["public_key"]), str(s["signature"])) for s in listed
    )
    recorded_at = _EPOCH + timedelta(microseconds=entry.recorded_at_us)
    return RecordedGovernance(governance, signatures, entry.position, recorded_at)
