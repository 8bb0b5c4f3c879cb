"""Agencies: the parties to joint memoranda, each registered in the ledger with its own key.

An agency is a registered source of the conduct taxonomy (``court:supreme-peoples-court``,
``transport_operator:civil-aviation``): its name carries its authority kind, as every source's
does (:class:`socialcredit.catalogue._sources.Source`). Registering it appends one
``AgencyRegistered`` entry holding its name, authority kind, title and Ed25519 public key
(base64, as :func:`socialcredit.ledger._checkpoints.public_key_text` writes it). The entry's
idempotency key is ``agency:<name>``, so an agency is found by one key lookup, never by a
ledger scan, and can be registered only once (a new key is a rotation, below).

An agency's **competence** is the set of engine contexts it may impose measures in (or list
subjects in): the contexts of the taxonomy categories its authority kind may establish, plus
the contexts of :data:`EXTRA_COMPETENCE` (a people's government grants government support,
so it may also restrict subsidies, in ``finance``).

**Key rotation.** An agency replaces its key with an ``AgencyKeyRotated`` entry
(:func:`rotate_agency_key`): the new key, the key it replaces, and a signature by that old key
over ``b"socialcredit agency key v1\n"`` and :func:`rotation_digest`. The n-th rotation's
idempotency key is ``agency-key:<name>#n``, so an agency's keys are found by key lookups. The
agency's key (:attr:`Agency.public_key`) is the latest; :func:`key_at` gives the key in force
at a ledger position, so a signature made before a rotation still verifies for the entry it
was recorded in, and only the new key signs after it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache

import orjson

from socialcredit.agencies.events import AgencyKeyRotatedV1, AgencyRegisteredV1
from socialcredit.catalogue import Source, conduct_taxonomy, term_reasons
from socialcredit.errors import ConfigurationError, NotFoundError, Problem, ValidationError
from socialcredit.events import EVENTS
from socialcredit.ledger import (
    Entry,
    Ledger,
    Signer,
    entry_of,
    public_key_from_text,
    public_key_text,
)
from socialcredit.policy import Signature, verifies
from socialcredit.timeutil import format_time

__all__ = [
    "AGENCY_KEY_ROTATED",
    "AGENCY_REGISTERED",
    "EXTRA_COMPETENCE",
    "ROTATION_DOMAIN",
    "Agency",
    "AgencyKey",
    "agency",
    "agency_keys",
    "check_agency",
    "competence",
    "find_agency",
    "key_at",
    "register_agency",
    "rotate_agency_key",
    "rotation_digest",
    "sign_rotation",
]

AGENCY_REGISTERED = AgencyRegisteredV1.TYPE
AGENCY_KEY_ROTATED = AgencyKeyRotatedV1.TYPE
ROTATION_DOMAIN = b"socialcredit agency key v1\n"
_PROBE = 16  # rotation keys asked for at a time
#: Contexts an authority kind is competent in besides those of the categories it establishes.
EXTRA_COMPETENCE: Mapping[str, tuple[str, ...]] = {"peoples_government": ("finance",)}
_MAX_TITLE = 200


@dataclass(frozen=True, slots=True)
class Agency:
    """A registered agency.

    Attributes:
        name: its source name, ``<authority kind>:<name>``.
        authority: its authority kind in the conduct taxonomy.
        title: what it is called (``Supreme People's Court``).
        public_key: its Ed25519 public key, base64 of the raw 32 bytes.
        position: the ledger position of its ``AgencyRegistered`` entry.
        registered_us: when it was registered (ledger time, microseconds).
        key_position: the entry that made ``public_key`` its key (the registration, or the
            latest rotation).
    """

    name: str
    authority: str
    title: str
    public_key: str
    position: int
    registered_us: int
    key_position: int = -1

    @property
    def competence(self) -> frozenset[str]:
        """The contexts it may list subjects or impose measures in."""
        return competence(self.authority)

    def to_json(self) -> dict[str, object]:
        """The agency as JSON-able values."""
        return {
            "name": self.name,
            "authority": self.authority,
            "title": self.title,
            "public_key": self.public_key,
            "competence": sorted(self.competence),
            "position": self.position,
            "registered": format_time(self.registered_us),
            "key_since_entry": self.position if self.key_position < 0 else self.key_position,
        }


@cache
def competence(authority: str) -> frozenset[str]:
    """The contexts an agency of authority kind ``authority`` is competent in (empty for an
    unknown kind)."""
    taxonomy = conduct_taxonomy()
    own = {c.context for c in taxonomy.categories.values() if authority in c.authorities}
    return frozenset(own | set(EXTRA_COMPETENCE.get(authority, ())))


def _key(name: str) -> str:
    return f"agency:{name}"


def _checked(name: str, title: str, public_key: str) -> Source:
    """The agency's source, once name, title and key are checked (every problem at once).

    Raises:
        ValidationError: naming ``name``, ``title`` or ``public_key``.
    """
    problems: list[Problem] = []
    source = None
    try:
        source = Source.named(name)
    except ValidationError as exc:
        problems += [Problem("name", p.reason) for p in exc.problems]
    clean = " ".join(title.split())
    if not clean or len(clean) > _MAX_TITLE:
        problems.append(Problem("title", f"must be 1-{_MAX_TITLE} characters of text"))
    problems += [Problem("title", reason) for reason in term_reasons(clean)]
    try:
        public_key_from_text(public_key)
    except ConfigurationError as exc:
        problems.append(Problem("public_key", exc.message))
    if problems or source is None:
        raise ValidationError("agency refused", problems)
    return source


def check_agency(ledger: Ledger, name: str, title: str, public_key: str | None = None) -> Source:
    """Check that agency ``name`` may be registered with ``title`` (and ``public_key``, if
    given), writing nothing: what :func:`register_agency` checks first. A caller that makes
    the agency's key file calls it before making one.

    Returns:
        The agency's source (its name and authority kind).

    Raises:
        ValidationError: as :func:`register_agency`.
    """
    placeholder = "A" * 43 + "="  # a well-formed key: checking a name and title only
    source = _checked(name, title, placeholder if public_key is None else public_key)
    if find_agency(ledger, source.name) is not None:
        reason = f"{source.name} is registered already (a new key is a key rotation)"
        raise ValidationError("agency refused", [Problem("name", reason)])
    return source


def register_agency(ledger: Ledger, name: str, title: str, public_key: str) -> Agency:
    """Register agency ``name`` with its Ed25519 ``public_key``; return it.

    Raises:
        ValidationError: naming ``name`` (malformed, not an authority kind of the taxonomy,
            a prohibited term, or already registered), ``title`` or ``public_key``; nothing
            is written.
        LedgerError: if the ledger is read-only.
    """
    source = check_agency(ledger, name, title, public_key)
    event = AgencyRegisteredV1(
        source.name, source.authority, " ".join(title.split()), public_key.strip()
    )
    entry = entry_of(event, idempotency_key=_key(source.name))
    result = ledger.append([entry])[0]
    if result.duplicate:  # registered by someone else meanwhile
        raise ValidationError("agency refused", [Problem("name", "registered meanwhile")])
    return read_agency(ledger.entry(result.position))


def find_agency(ledger: Ledger, name: str) -> Agency | None:
    """The agency registered as ``name``, with its latest key, or None (key lookups only)."""
    position = ledger.store.find_idempotency_keys([_key(name.strip())]).get(_key(name.strip()))
    if position is None or position >= ledger.size():
        return None
    found = read_agency(ledger.entry(position))
    latest = agency_keys(ledger, found)[-1]
    return replace(found, public_key=latest.public_key, key_position=latest.position)


def agency(ledger: Ledger, name: str) -> Agency:
    """The agency registered as ``name``.

    Raises:
        NotFoundError: if there is none.
    """
    found = find_agency(ledger, name)
    if found is None:
        raise NotFoundError(f"no agency {name!r} is registered")
    return found


def read_agency(entry: Entry) -> Agency:
    """The agency an ``AgencyRegistered`` entry holds.

    Raises:
        ValidationError: if the entry is of another type or lacks a field.
    """
    try:
        event = EVENTS.read_as(entry, AgencyRegisteredV1)
    except ValidationError as exc:
        where = f"entry {entry.position}"
        raise ValidationError(
            "not an agency", [Problem(where, "not an AgencyRegistered entry")]
        ) from exc
    if not all(
        isinstance(v, str) for v in (event.name, event.authority, event.title, event.public_key)
    ):
        where = f"entry {entry.position}"
        raise ValidationError("not an agency", [Problem(where, "not an AgencyRegistered entry")])
    return Agency(
        event.name, event.authority, event.title, event.public_key, entry.position,
        entry.recorded_at_us, entry.position,
    )  # fmt: skip


# -- keys and their rotation ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgencyKey:
    """One of an agency's keys: the key, and the entry (and its time) from which it signs."""

    public_key: str
    position: int
    recorded_us: int


def _rotation_key(name: str, n: int) -> str:
    return f"agency-key:{name}#{n}"


def agency_keys(ledger: Ledger, registered: Agency) -> list[AgencyKey]:
    """The agency's keys in the order they took effect, its registration key first."""
    keys = [AgencyKey(registered.public_key, registered.position, registered.registered_us)]
    size = ledger.size()
    while True:
        wanted = [_rotation_key(registered.name, len(keys) + i) for i in range(_PROBE)]
        found = ledger.store.find_idempotency_keys(wanted)
        positions = [found[k] for k in wanted if k in found and found[k] < size]
        for position in positions:
            entry = ledger.entry(position)
            rotated = EVENTS.read_as(entry, AgencyKeyRotatedV1)
            keys.append(AgencyKey(rotated.public_key, position, entry.recorded_at_us))
        if len(positions) < len(wanted):
            return keys


def key_at(ledger: Ledger, name: str, position: int) -> str | None:
    """The key of agency ``name`` in force for the entry at ``position`` (the latest key that
    took effect before it), or None if the agency was not registered by then."""
    found = find_agency(ledger, name)
    if found is None or found.position >= position:
        return None
    registered = read_agency(ledger.entry(found.position))
    earlier = [k for k in agency_keys(ledger, registered) if k.position < position]
    return earlier[-1].public_key if earlier else None


def rotation_digest(name: str, public_key: str, previous_key: str) -> str:
    """SHA-256 (hex) of the canonical JSON of a rotation: what the old key signs."""
    document = {"agency": name, "public_key": public_key, "previous_key": previous_key}
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def sign_rotation(old: Signer, name: str, public_key: str) -> str:
    """The old key's signature (base64) over the rotation of ``name`` to ``public_key``."""
    digest = rotation_digest(name, public_key, public_key_text(old.public_key))
    return base64.b64encode(old.sign_message(ROTATION_DOMAIN + digest.encode("ascii"))).decode()


def _rotation_problems(
    found: Agency | None, name: str, public_key: str, signature: str
) -> list[Problem]:

    if found is None:
        return [Problem("agency", f"no agency {name!r} is registered")]
    problems = []
    try:
        public_key_from_text(public_key)
    except ConfigurationError as exc:
        problems.append(Problem("public_key", exc.message))
    if public_key.strip() == found.public_key:
        problems.append(Problem("public_key", "is the agency's key already"))
    digest = rotation_digest(found.name, public_key.strip(), found.public_key)
    signed = Signature(found.name, found.public_key, signature.strip(), digest)
    if not verifies(signed, ROTATION_DOMAIN + digest.encode("ascii")):
        reason = f"does not verify under {found.name}'s key in force (entry {found.key_position})"
        problems.append(Problem("signature", reason))
    return problems


def rotate_agency_key(ledger: Ledger, name: str, public_key: str, signature: str) -> Agency:
    """Replace agency ``name``'s key with ``public_key``; ``signature`` is the current key's
    (:func:`sign_rotation`). Returns the agency with its new key.

    Raises:
        ValidationError: naming ``agency`` (not registered), ``public_key`` (malformed, or the
            key already in force) or ``signature`` (not by the key in force over this
            rotation); nothing is written. Also if another rotation was recorded meanwhile.
        LedgerError: if the ledger is read-only.
    """
    found = find_agency(ledger, name)
    problems = _rotation_problems(found, name, public_key, signature)
    if problems or found is None:
        raise ValidationError("key rotation refused", problems)
    n = len(agency_keys(ledger, read_agency(ledger.entry(found.position))))
    event = AgencyKeyRotatedV1(found.name, public_key.strip(), found.public_key, signature.strip())
    entry = entry_of(event, idempotency_key=_rotation_key(found.name, n))
    if ledger.append([entry])[0].duplicate:
        reason = "another rotation was recorded meanwhile: sign again over the key in force"
        raise ValidationError("key rotation refused", [Problem("signature", reason)])
    rotated = find_agency(ledger, found.name)
    assert rotated is not None
    return rotated
