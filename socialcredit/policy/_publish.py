"""Publishing bundles into the ledger, and reading them back as of any time (bitemporal).

A ``PolicyPublished`` entry holds everything needed to replay the bundle from the ledger alone,
and the signatures that allowed it::

    {"revision": 2, "effective_from": "2026-06-01T00:00:00Z", "digest": "<sha256 hex>",
     "files": {"manifest.yaml": "<text>", "catalogue.yaml": "<text>", "scoring.yaml": "<text>"},
     "governance": {"version": 1, "digest": "<sha256 hex>"},
     "signatures": [{"role": "drafter", "public_key": "<base64>", "signature": "<base64>"}]}

Publication is governed (:mod:`.governance`): after the ledger's genesis a bundle needs k valid
signatures of the governance in force over its digest, an effective date no earlier than the
notice period after publication, and an impact assessment recorded for its digest
(:mod:`.assessment`). Until its effective date a published revision is *pending*
(:func:`policy_revisions`); scoring and decisions use the bundle in force.

Two times matter: ``effective_from`` (when the policy applies, from the manifest) and the entry's
ledger time (when the system learned of it). :func:`bundle_in_force` answers "which policy applied
at ``at``, as the system knew it at ``known_at``".
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from socialcredit.catalogue import Catalogue, default_catalogue
from socialcredit.errors import NotFoundError, Problem, ValidationError
from socialcredit.events import EVENTS
from socialcredit.ledger import (
    TYPE_KIND,
    Entry,
    Ledger,
    PendingEntry,
    entries_at,
    entry_of,
    index_complete,
    public_key_text,
)
from socialcredit.policy import _governance as gov
from socialcredit.policy import _signatures as sig
from socialcredit.policy._assessment import ENTRY_TYPE as ASSESSED
from socialcredit.policy._assessment import RecordedAssessment, assessment_for
from socialcredit.policy._bundle import (
    PolicyBundle,
    PolicyError,
    default_bundle,
    load_bundle_from_files,
    sign_bundle,
)
from socialcredit.policy._diff import Change, diff
from socialcredit.policy.events import ImpactAssessedV1, PolicyPublishedV1
from socialcredit.timeutil import format_time, from_us

__all__ = [
    "ENTRY_TYPE",
    "PublicationRefusedError",
    "PublishedBundle",
    "RevisionStatus",
    "audit_publications",
    "bundle_in_force",
    "catalogue_in_force",
    "policy_revisions",
    "publish",
    "published_bundle",
    "published_bundles",
    "read_published",
    "revision_status",
]

ENTRY_TYPE = PolicyPublishedV1.TYPE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
IN_FORCE, PENDING, SUPERSEDED = "in force", "pending", "superseded"


class PublicationRefusedError(PolicyError):
    """A checked bundle may not be published (every problem listed; nothing written)."""

    code = "publication_refused"


@dataclass(frozen=True, slots=True)
class PublishedBundle:
    """A bundle as read back from the ledger, with where and when it was recorded.

    Attributes:
        bundle: the bundle, re-checked from its files.
        position: its ``PolicyPublished`` entry.
        recorded_at: ledger time of publication.
        signatures: the signatures it was published with (none before governance existed).
        governance_version: the governance in force when it was published, if any.
    """

    bundle: PolicyBundle
    position: int
    recorded_at: datetime
    signatures: tuple[sig.Signature, ...] = ()
    governance_version: int | None = None

    @property
    def revision(self) -> int:
        """The bundle's revision."""
        return self.bundle.revision

    @property
    def effective_from(self) -> datetime:
        """When the bundle takes effect."""
        return self.bundle.effective_from


def publish(
    ledger: Ledger,
    bundle: PolicyBundle,
    signer: Ed25519PrivateKey | None = None,
    signatures: sig.SignatureSet | None = None,
) -> int:
    """Append ``bundle`` to the ledger as a ``PolicyPublished`` entry; return its position.

    In the ledger's genesis (no bundle and no record yet) the bundle takes effect at once and
    needs no assessment; if no governance was recorded, the operator's default governance
    (:func:`.governance.operator_governance`) is recorded with it, in the same append. In
    genesis only, the ledger's own key signs for the role that holds it. After genesis the
    bundle needs, besides a revision above every published one: k valid signatures of the
    governance in force over its digest, an ``effective_from`` at least the notice period
    after publication (ledger time), and an impact assessment recorded for its digest.

    Args:
        ledger: a writable ledger.
        bundle: a checked bundle.
        signer: if given, the bundle's manifest is signed with this policy key first.
        signatures: the detached signatures (``signatures.yaml``) over the bundle's digest.

    Raises:
        PublicationRefusedError: listing every reason at once; nothing is written.
        LedgerError: if the ledger is read-only.
    """
    if signer is not None:
        bundle = sign_bundle(bundle, signer)
    genesis = gov.in_genesis(ledger)
    governance, entries = _governance(ledger, genesis)
    problems = _revision_problems(ledger, bundle)
    signed = sig.SignatureSet() if signatures is None else signatures
    valid: list[sig.Signature] = []
    if governance is None:
        reason = "none recorded; record one with `socialcredit policy governance set FILE`"
        problems.append(Problem("governance", reason))
    else:
        if genesis:
            signed = _operator_signs(ledger, governance, signed, bundle.digest)
        valid, found = gov.check_signatures(governance, signed, bundle.digest)
        problems += found
    if not genesis:
        problems += _notice_problems(ledger, bundle) + _assessment_problems(ledger, bundle)
    if problems:
        raise PublicationRefusedError(
            f"revision {bundle.revision} not published ({len(problems)} problems)", problems
        )
    entries.append(_entry(bundle, governance, valid))
    return ledger.append(entries)[-1].position


def _governance(ledger: Ledger, genesis: bool) -> tuple[gov.Governance | None, list[PendingEntry]]:
    """The governance in force, and the entries to record first: in genesis without one, the
    operator's default governance."""
    recorded = gov.governance_in_force(ledger)
    if recorded is not None:
        return recorded.governance, []
    if not genesis:
        return None, []
    governance = gov.operator_governance(ledger.public_key)
    return governance, [gov.governance_entry(governance, ())]


def _revision_problems(ledger: Ledger, bundle: PolicyBundle) -> list[Problem]:
    latest = max((p.revision for p in published_bundles(ledger)), default=0)
    if bundle.revision > latest:
        return []
    reason = f"must be greater than {latest}, the latest published revision; got {bundle.revision}"
    return [Problem("manifest.yaml:revision", reason)]


def _operator_signs(
    ledger: Ledger, governance: gov.Governance, signed: sig.SignatureSet, digest: str
) -> sig.SignatureSet:
    """In genesis: ``signed`` with the ledger key's signature for the role that holds it."""
    if ledger.signer is None:
        return signed
    role = governance.role_with_key(public_key_text(ledger.public_key))
    if role is None or role.name in {s.role for s in signed.signatures}:
        return signed
    return signed.adding(sig.sign_digest(ledger.signer, role.name, digest))


def _now(ledger: Ledger) -> datetime:
    """The ledger time an append would get now (never before the last entry's)."""
    size = ledger.size()
    last = ledger.entry(size - 1).recorded_at_us if size else 0
    return _EPOCH + timedelta(microseconds=max(ledger.clock(), last))


def _notice_problems(ledger: Ledger, bundle: PolicyBundle) -> list[Problem]:
    return _notice(gov.governance_history(ledger), bundle, _now(ledger))


def _notice(
    history: Sequence[gov.RecordedGovernance], bundle: PolicyBundle, now: datetime
) -> list[Problem]:
    """Whether ``bundle``, published at ``now``, gives the notice ``history`` requires."""
    days = gov.required_notice_days(history, now)
    ends = now + timedelta(days=days)
    if bundle.effective_from >= ends:
        return []
    reason = (
        f"takes effect on {_text(bundle.effective_from)}, before the notice period ends on "
        f"{_text(ends)} ({days} days from publication on {_text(now)}; no bypass)"
    )
    return [Problem("manifest.yaml:effective_from", reason)]


def _text(moment: datetime) -> str:
    delta = moment - _EPOCH
    return format_time((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def _assessment_problems(ledger: Ledger, bundle: PolicyBundle) -> list[Problem]:
    if assessment_for(ledger, bundle.digest) is not None:
        return []
    reason = (
        f"no impact assessment recorded for digest {bundle.digest}; "
        "run `socialcredit policy assess DIR` first"
    )
    return [Problem("assessment", reason)]


def _entry(
    bundle: PolicyBundle, governance: gov.Governance | None, signatures: list[sig.Signature]
) -> PendingEntry:
    event = PolicyPublishedV1(
        revision=bundle.revision,
        effective_from=bundle.manifest.effective_from_text(),
        digest=bundle.digest,
        files={name: raw.decode("utf-8") for name, raw in sorted(bundle.files.items())},
        signatures=[
            {"role": s.role, "public_key": s.public_key, "signature": s.signature}
            for s in signatures
        ],
        governance=(
            None
            if governance is None
            else {"version": governance.version, "digest": governance.digest()}
        ),
    )
    # The digest doubles as an idempotency key: a retried publication is not appended twice.
    return entry_of(event, idempotency_key=f"policy:{bundle.digest}")


def published_bundles(ledger: Ledger) -> list[PublishedBundle]:
    """Every bundle published in the ledger, in ledger order, each re-checked on the way out.

    Raises:
        PolicyError: if a published entry no longer loads or its digest does not match.
    """
    return list(_read_all(ledger))


# Per ledger object: the bundles found so far and the first position not yet scanned, so
# each call reads only the entries appended since the last one (the ledger is append-only).
_SEEN: weakref.WeakKeyDictionary[Ledger, tuple[int, list[PublishedBundle]]] = (
    weakref.WeakKeyDictionary()
)


def _read_all(ledger: Ledger) -> Iterator[PublishedBundle]:
    scanned, found = _SEEN.get(ledger, (0, []))
    size, complete = index_complete(ledger)
    if scanned < size:
        new: Iterable[Entry]
        if complete:  # the per-subject index lists every publication: read just those
            positions = ledger.store.subject_positions([(TYPE_KIND, ENTRY_TYPE)], size)
            new = entries_at(ledger, [p for p in positions if p >= scanned])
        else:
            new = (e for e in ledger.entries(scanned, size) if e.type == ENTRY_TYPE)
        found = found + [read_published(e) for e in new]
        _SEEN[ledger] = (size, found)
    return iter(found)


def read_published(entry: Entry) -> PublishedBundle:
    """The bundle a ``PolicyPublished`` entry recorded, replayed from its files.

    Raises:
        PolicyError: if the entry holds no bundle, or its files do not give its digest.
    """
    event = _published_event(entry)
    files = event.files
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise PolicyError(
            f"entry {entry.position} is not a policy bundle",
            [Problem(f"entry {entry.position}.files", "must map names to text")],
        )
    bundle = load_bundle_from_files({name: text.encode("utf-8") for name, text in files.items()})
    if bundle.digest != event.digest:
        raise PolicyError(
            f"entry {entry.position} does not replay",
            [Problem(f"entry {entry.position}.digest", "does not match the files")],
        )
    # Exact microseconds: Entry.recorded_at goes through a float.
    recorded_at = _EPOCH + timedelta(microseconds=entry.recorded_at_us)
    signatures = tuple(
        sig.Signature(str(s["role"]), str(s["public_key"]), str(s["signature"]))
        for s in event.signatures or ()
    )
    governance = event.governance
    version = governance.get("version") if isinstance(governance, dict) else None
    return PublishedBundle(bundle, entry.position, recorded_at, signatures, version)


def _published_event(entry: Entry) -> PolicyPublishedV1:
    """The typed event of a ``PolicyPublished`` entry.

    Raises:
        PolicyError: naming each key of the entry that does not fit the schema.
    """
    try:
        return EVENTS.read_as(entry, PolicyPublishedV1)
    except ValidationError as exc:
        raise PolicyError(
            f"entry {entry.position} is not a policy bundle",
            [Problem(f"entry {entry.position}.{p.field}", p.reason) for p in exc.problems],
        ) from exc


def published_bundle(ledger: Ledger, revision: int) -> PublishedBundle:
    """The published bundle with ``revision``.

    Raises:
        NotFoundError: if no bundle of that revision was published.
    """
    for published in _read_all(ledger):
        if published.revision == revision:
            return published
    raise NotFoundError(f"no policy revision {revision} in the ledger")


def bundle_in_force(
    ledger: Ledger, at: datetime, known_at: datetime | None = None
) -> PublishedBundle | None:
    """The bundle in force at ``at``, as the ledger knew it at ``known_at`` (default: now).

    Among bundles recorded at or before ``known_at``, the one with the latest
    ``effective_from <= at`` (the higher revision on a tie); None if there is none.

    Raises:
        ValueError: if ``at`` or ``known_at`` is a naive datetime.
    """
    if at.tzinfo is None or (known_at is not None and known_at.tzinfo is None):
        raise ValueError("at and known_at must be timezone-aware")
    return in_force(_read_all(ledger), at, known_at)


def catalogue_in_force(ledger: Ledger, at: datetime | None = None) -> Catalogue:
    """The catalogue that incoming records are checked against ``at`` (default: the ledger's
    current time), as known then: the one of the bundle in force, or the default catalogue
    when none had been published. The one home of that rule.

    Raises:
        ValueError: if ``at`` is a naive datetime.
    """
    when = from_us(ledger.clock()) if at is None else at
    published = bundle_in_force(ledger, when, when)
    return default_catalogue() if published is None else published.bundle.catalogue


def in_force(
    published: Iterable[PublishedBundle], at: datetime, known_at: datetime | None = None
) -> PublishedBundle | None:
    """The rule of :func:`bundle_in_force` applied to already-read ``published`` bundles."""
    candidates = [
        p
        for p in published
        if (known_at is None or p.recorded_at <= known_at) and p.effective_from <= at
    ]
    return max(candidates, key=lambda p: (p.effective_from, p.revision), default=None)


@dataclass(frozen=True, slots=True)
class RevisionStatus:
    """A published revision's standing at a moment.

    Attributes:
        published: the revision.
        status: ``in force``, ``pending`` (published, not yet effective) or ``superseded``.
        changes: for a pending revision, what it changes from the bundle in force (or from
            the built-in default when none is); empty otherwise.
        assessment: for a pending revision, its recorded impact assessment, if any.
    """

    published: PublishedBundle
    status: str
    changes: tuple[Change, ...] = ()
    assessment: RecordedAssessment | None = None

    def describe(self) -> str:
        """``in force``, ``pending until 2026-06-01`` or ``superseded``."""
        if self.status != PENDING:
            return self.status
        return f"pending until {self.published.effective_from:%Y-%m-%d}"


def policy_revisions(ledger: Ledger, now: datetime | None = None) -> list[RevisionStatus]:
    """Every published revision, in ledger order, with its status at ``now`` (default: ledger
    time now) as known then; a pending one with its changes and its assessment.

    Raises:
        ValueError: if ``now`` is naive.
    """
    now = _now(ledger) if now is None else now
    current = bundle_in_force(ledger, now, now)
    base = default_bundle() if current is None else current.bundle
    out = []
    for item in _read_all(ledger):
        if item.recorded_at > now:
            continue
        if current is not None and item.position == current.position:
            out.append(RevisionStatus(item, IN_FORCE))
        elif item.effective_from > now:
            changes = tuple(diff(base, item.bundle))
            found = assessment_for(ledger, item.bundle.digest)
            out.append(RevisionStatus(item, PENDING, changes, found))
        else:
            out.append(RevisionStatus(item, SUPERSEDED))
    return out


def revision_status(ledger: Ledger, position: int) -> RevisionStatus:
    """The status now of the revision published at ``position``.

    Raises:
        NotFoundError: if no bundle was published at ``position``.
    """
    for found in policy_revisions(ledger):
        if found.published.position == position:
            return found
    raise NotFoundError(f"no policy bundle published at position {position}")


def audit_publications(ledger: Ledger) -> list[Problem]:
    """Re-check, from the entries alone, that every governance change and every publication
    obeyed the rules in force when it was recorded (an auditor's check: it catches a
    ``PolicyPublished`` or ``GovernanceRecorded`` entry appended around :func:`publish`).

    Returns:
        Every breach, keyed ``entry N`` (empty when the history is lawful).

    Raises:
        PolicyError: if a published bundle or a governance entry no longer replays.
    """
    audit = _Audit()
    for entry in ledger.entries():
        audit.see(entry)
    return audit.problems


class _Audit:
    """The state of an audit walking the ledger in order."""

    def __init__(self) -> None:
        self.history: list[gov.RecordedGovernance] = []
        self.assessed: set[str] = set()
        self.latest = 0
        self.genesis = True
        self.problems: list[Problem] = []

    def see(self, entry: Entry) -> None:
        if entry.type == gov.ENTRY_TYPE:
            self._governance(entry)
        elif entry.type == ASSESSED:
            self.assessed.add(EVENTS.read_as(entry, ImpactAssessedV1).digest)
        elif entry.type == ENTRY_TYPE:
            self._publication(entry)
            self.genesis = False
        else:
            self.genesis = False

    def _breach(self, entry: Entry, found: Iterable[Problem]) -> None:
        where = f"entry {entry.position}"
        self.problems += [Problem(where, f"{p.field}: {p.reason}") for p in found]

    def _governance(self, entry: Entry) -> None:
        recorded = gov.recorded_governance(entry)
        if self.history:
            before = self.history[-1].governance
            if recorded.governance.version != before.version + 1:
                reason = f"must be {before.version + 1}; got {recorded.governance.version}"
                self._breach(entry, [Problem("version", reason)])
            signed = sig.SignatureSet.of(recorded.signatures, "signatures")
            digest = recorded.governance.digest()
            _, found = gov.check_signatures(before, signed, digest, domain=sig.GOVERNANCE_DOMAIN)
            self._breach(entry, found)
        self.history.append(recorded)

    def _publication(self, entry: Entry) -> None:
        published = read_published(entry)
        bundle, found = published.bundle, []
        if bundle.revision <= self.latest:
            found.append(Problem("revision", f"must be greater than {self.latest}"))
        self.latest = max(self.latest, bundle.revision)
        if not self.history:
            found.append(Problem("governance", "published with no governance in force"))
        else:
            signed = sig.SignatureSet.of(published.signatures, "signatures")
            found += gov.check_signatures(self.history[-1].governance, signed, bundle.digest)[1]
        if not self.genesis:
            found += _notice(self.history, bundle, published.recorded_at)
            if bundle.digest not in self.assessed:
                found.append(Problem("assessment", "none recorded before publication"))
        self._breach(entry, found)
