"""Agencies: the parties to joint memoranda, each registered in the ledger with its own key.

An agency is a registered source of the conduct taxonomy (``court:supreme-peoples-court``,
``transport_operator:civil-aviation``): its name carries its authority kind, as every source's
does (:class:`socialcredit.catalogue.sources.Source`). Registering it appends one
``AgencyRegistered`` entry holding its name, authority kind, title and Ed25519 public key
(base64, as :func:`socialcredit.ledger.checkpoints.public_key_text` writes it). The entry's
idempotency key is ``agency:<name>``, so an agency is found by one key lookup, never by a
ledger scan, and can be registered only once (a changed key is a new agency name).

An agency's **competence** is the set of engine contexts it may impose measures in (or list
subjects in): the contexts of the taxonomy categories its authority kind may establish, plus
the contexts of :data:`EXTRA_COMPETENCE` (a people's government grants government support,
so it may also restrict subsidies, in ``finance``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from socialcredit.catalogue import firewall
from socialcredit.catalogue.sources import Source
from socialcredit.catalogue.taxonomy import conduct_taxonomy
from socialcredit.errors import ConfigurationError, NotFoundError, Problem, ValidationError
from socialcredit.ledger import Entry, Ledger, PendingEntry
from socialcredit.ledger.checkpoints import public_key_from_text
from socialcredit.ledger.entries import format_time

__all__ = [
    "AGENCY_REGISTERED",
    "EXTRA_COMPETENCE",
    "Agency",
    "agency",
    "check_agency",
    "competence",
    "find_agency",
    "register_agency",
]

AGENCY_REGISTERED = "AgencyRegistered"
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
    """

    name: str
    authority: str
    title: str
    public_key: str
    position: int
    registered_us: int

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
    problems += [Problem("title", reason) for reason in firewall.term_reasons(clean)]
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
        reason = f"{source.name} is registered already (a new key needs a new agency name)"
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
    data = {
        "name": source.name,
        "authority": source.authority,
        "title": " ".join(title.split()),
        "public_key": public_key.strip(),
    }
    entry = PendingEntry(AGENCY_REGISTERED, data, idempotency_key=_key(source.name))
    result = ledger.append([entry])[0]
    if result.duplicate:  # registered by someone else meanwhile
        raise ValidationError("agency refused", [Problem("name", "registered meanwhile")])
    return read_agency(ledger.entry(result.position))


def find_agency(ledger: Ledger, name: str) -> Agency | None:
    """The agency registered as ``name``, or None (one idempotency-key lookup)."""
    position = ledger.store.find_idempotency_keys([_key(name.strip())]).get(_key(name.strip()))
    if position is None or position >= ledger.size():
        return None
    return read_agency(ledger.entry(position))


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
    data = entry.data
    if entry.type != AGENCY_REGISTERED or not all(
        isinstance(data.get(k), str) for k in ("name", "authority", "title", "public_key")
    ):
        where = f"entry {entry.position}"
        raise ValidationError("not an agency", [Problem(where, "not an AgencyRegistered entry")])
    return Agency(
        data["name"], data["authority"], data["title"], data["public_key"], entry.position,
        entry.recorded_at_us,
    )  # fmt: skip
