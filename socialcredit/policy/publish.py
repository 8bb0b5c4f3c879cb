"""Publishing bundles into the ledger, and reading them back as of any time (bitemporal).

A ``PolicyPublished`` entry holds everything needed to replay the bundle from the ledger alone::

    {"revision": 2, "effective_from": "2026-06-01T00:00:00Z", "digest": "<sha256 hex>",
     "files": {"manifest.yaml": "<text>", "catalogue.yaml": "<text>", "scoring.yaml": "<text>"}}

Two times matter: ``effective_from`` (when the policy applies, from the manifest) and the entry's
ledger time (when the system learned of it). :func:`bundle_in_force` answers "which policy applied
at ``at``, as the system knew it at ``known_at``".
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from socialcredit.errors import NotFoundError, Problem
from socialcredit.ledger import Entry, Ledger, PendingEntry
from socialcredit.policy.bundle import (
    PolicyBundle,
    PolicyError,
    load_bundle_from_files,
    sign_bundle,
)

__all__ = [
    "ENTRY_TYPE",
    "PublishedBundle",
    "bundle_in_force",
    "publish",
    "published_bundle",
    "published_bundles",
]

ENTRY_TYPE = "PolicyPublished"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PublishedBundle:
    """A bundle as read back from the ledger, with where and when it was recorded."""

    bundle: PolicyBundle
    position: int
    recorded_at: datetime

    @property
    def revision(self) -> int:
        """The bundle's revision."""
        return self.bundle.revision

    @property
    def effective_from(self) -> datetime:
        """When the bundle takes effect."""
        return self.bundle.effective_from


def publish(ledger: Ledger, bundle: PolicyBundle, signer: Ed25519PrivateKey | None = None) -> int:
    """Append ``bundle`` to the ledger as a ``PolicyPublished`` entry; return its position.

    Args:
        ledger: a writable ledger.
        bundle: a checked bundle.
        signer: if given, the bundle's manifest is signed with this policy key first.

    Raises:
        PolicyError: if the revision is not greater than every published revision.
        LedgerError: if the ledger is read-only.
    """
    if signer is not None:
        bundle = sign_bundle(bundle, signer)
    latest = max((p.revision for p in published_bundles(ledger)), default=0)
    if bundle.revision <= latest:
        raise PolicyError(
            "policy bundle not published",
            [
                Problem(
                    "manifest.yaml:revision",
                    f"must be greater than {latest}, the latest "
                    f"published revision; got {bundle.revision}",
                )
            ],
        )
    data = {
        "revision": bundle.revision,
        "effective_from": bundle.manifest.effective_from_text(),
        "digest": bundle.digest,
        "files": {name: raw.decode("utf-8") for name, raw in sorted(bundle.files.items())},
    }
    # The digest doubles as an idempotency key: a retried publication is not appended twice.
    entry = PendingEntry(ENTRY_TYPE, data, idempotency_key=f"policy:{bundle.digest}")
    return ledger.append([entry])[0].position


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
    size = ledger.size()
    if scanned < size:
        found = found + [_read(e) for e in ledger.entries(scanned, size) if e.type == ENTRY_TYPE]
        _SEEN[ledger] = (size, found)
    return iter(found)


def _read(entry: Entry) -> PublishedBundle:
    files = entry.data.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise PolicyError(
            f"entry {entry.position} is not a policy bundle",
            [Problem(f"entry {entry.position}.files", "must map names to text")],
        )
    bundle = load_bundle_from_files({name: text.encode("utf-8") for name, text in files.items()})
    if bundle.digest != entry.data.get("digest"):
        raise PolicyError(
            f"entry {entry.position} does not replay",
            [Problem(f"entry {entry.position}.digest", "does not match the files")],
        )
    # Exact microseconds: Entry.recorded_at goes through a float.
    recorded_at = _EPOCH + timedelta(microseconds=entry.recorded_at_us)
    return PublishedBundle(bundle, entry.position, recorded_at)


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
