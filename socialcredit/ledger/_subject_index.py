"""The per-subject position index: which entries concern which subject.

Every entry is indexed under each subject it concerns, in the store's ``subject_positions``
table, written in the same transaction as the entry (see :class:`~.ledger.Ledger`), so the
index can never disagree with the ledger after a crash. A single-subject read (score,
explain, report, export, decide) then reads that subject's entries plus the few global ones
(policies, governance) instead of replaying the whole ledger.

The keys of an entry (:func:`entry_keys`):

* the subject the writer named when appending (every entry about a subject's records —
  corrections, withdrawals, recertifications, disputes and their decisions, statements,
  reads, decisions, hardship, restoration — names that subject);
* else the subject in the entry's own ``data.subject`` (``{"kind", "id"}``), if any;
* the legal representative a ``LegalRepresentativeRecorded`` entry names (besides the
  organisation), so a decision about that person can find the organisations whose
  role-bound measures reach them — never another person's score;
* ``("@type", T)`` for the global types :data:`GLOBAL_TYPES` (policies, governance).

A store that predates the index (or was imported entry by entry) holds it complete only below
``subject_index_size``; :func:`build_subject_index` fills in the rest once, deriving each
entry's subject from its data exactly as the writers name it, and :func:`subject_entries`
answers None (read the whole ledger) until it has.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from socialcredit.storage import BUNDLE_SIZE

from ..errors import StorageError
from ._entries import Entry, decode_entry
from ._hashing import unpack_bundle

if TYPE_CHECKING:
    from ._ledger import Ledger

__all__ = [
    "GLOBAL_TYPES",
    "TYPE_KIND",
    "Key",
    "KeyDerivation",
    "build_subject_index",
    "check_subject_index",
    "compact_subject_index",
    "entry_keys",
    "index_complete",
    "subject_entries",
]

Key = tuple[str, str]
TYPE_KIND = "@type"
"""The kind under which global entries are indexed: ``("@type", entry_type)``."""
GLOBAL_TYPES = frozenset({"PolicyPublished", "GovernanceRecorded"})
"""Entry types every single-subject read needs (the policy in force and its governance)."""

_REPRESENTATIVE = "LegalRepresentativeRecorded"
_BY_RECORD = frozenset({"RecordCorrected", "RecordWithdrawn", "RecordRecertified"})
_BUILD_CHUNK = 50_000  # rows per insert while building


def _data_subject(data: Mapping[str, Any]) -> Key | None:
    subject = data.get("subject")
    if isinstance(subject, Mapping) and "kind" in subject and "id" in subject:
        return str(subject["kind"]), str(subject["id"])
    return None


def entry_keys(type: str, data: Mapping[str, Any] | None, subject: Key | None) -> list[Key]:
    """The index keys of one entry being appended (see the module docstring).

    ``data`` may be None when the caller has only canonical JSON (the ingest path, whose
    entries always name their subject).
    """
    keys: list[Key] = []
    own = subject if subject is not None or data is None else _data_subject(data)
    if own is not None:
        keys.append(own)
    if type in GLOBAL_TYPES:
        keys.append((TYPE_KIND, type))
    elif type == _REPRESENTATIVE and data is not None:
        person = data.get("representative")
        if person is not None and ("person", str(person)) != own:
            keys.append(("person", str(person)))
    return keys


def index_complete(ledger: Ledger) -> tuple[int, bool]:
    """``(size, True)`` if the index holds every entry of the ledger's ``size`` entries."""
    size, indexed = ledger.store.subject_index_state()
    return size, indexed >= size


def subject_entries(
    ledger: Ledger, subjects: Iterable[Key], *, with_global: bool = True
) -> tuple[int, list[Entry]] | None:
    """The decoded entries concerning any of ``subjects`` (plus the global ones), in ledger
    order, and the ledger size they were read at; None if the index is not complete (the
    caller then reads the whole ledger, as before the index).

    Raises:
        StorageError: if the store fails or an entry is malformed.
    """
    size, complete = index_complete(ledger)
    if not complete:
        return None
    keys = list(subjects)
    if with_global:
        keys.extend((TYPE_KIND, t) for t in sorted(GLOBAL_TYPES))
    positions = ledger.store.subject_positions(keys, size)
    return size, list(entries_at(ledger, positions))


def entries_at(ledger: Ledger, positions: Sequence[int]) -> Iterator[Entry]:
    """The decoded entries at ``positions`` (sorted, distinct), reading only their bundles.

    Raises:
        StorageError: if a bundle is missing or malformed.
    """
    by_bundle: dict[int, list[int]] = {}
    for position in positions:
        by_bundle.setdefault(position // BUNDLE_SIZE, []).append(position)
    seen = 0
    for index, data in ledger.store.read_bundles_at(list(by_bundle)):
        raws = unpack_bundle(data)
        for position in by_bundle[index]:
            offset = position - index * BUNDLE_SIZE
            if offset >= len(raws):
                raise StorageError(f"bundle {index} lacks entry {position}")
            yield decode_entry(position, raws[offset])
        seen += 1
    if seen != len(by_bundle):
        raise StorageError("a bundle of an indexed entry is missing; run `socialcredit verify`")


class KeyDerivation:
    """Derives each entry's index keys from the entries alone, fed in ledger order from
    position 0 (building the index for an old store; an independent check of the stored
    rows): corrections, withdrawals and recertifications are indexed under their record's
    subject, dispute and appeal entries under their dispute's subject."""

    def __init__(self) -> None:
        self._interned: dict[Key, int] = {}
        self._keys: list[Key] = []
        self._owner = array("q")  # position -> interned subject of a RecordFiled, else -1
        self._disputes: dict[str, Key] = {}

    def _remember(self, position: int, key: Key | None) -> None:
        while len(self._owner) < position:
            self._owner.append(-1)
        if key is None:
            self._owner.append(-1)
            return
        code = self._interned.get(key)
        if code is None:
            code = self._interned[key] = len(self._keys)
            self._keys.append(key)
        self._owner.append(code)

    def _record_subject(self, position: Any) -> Key | None:
        if type(position) is not int or not 0 <= position < len(self._owner):
            return None
        code = self._owner[position]
        return None if code < 0 else self._keys[code]

    def keys(self, entry: Entry) -> list[Key]:
        """The index keys of ``entry``, as :func:`entry_keys` gave them at append time."""
        data = entry.data
        subject = _data_subject(data)
        if subject is None and entry.type in _BY_RECORD:
            subject = self._record_subject(data.get("record"))
        elif subject is None and "dispute" in data and entry.type.startswith(("Dispute", "Appeal")):
            subject = self._disputes.get(str(data["dispute"]))
        elif subject is None and entry.type == _REPRESENTATIVE:
            subject = ("organisation", str(data["organisation"]))
        if entry.type == "DisputeOpened" and subject is not None:
            self._disputes[str(data["dispute"])] = subject
        self._remember(entry.position, subject if entry.type == "RecordFiled" else None)
        return entry_keys(entry.type, data, subject)


def build_subject_index(ledger: Ledger) -> int:
    """Fill in the per-subject index for every entry below the ledger's size, once, in one
    write transaction holding the writers' lock; returns how many entries were indexed
    (0 if the index was already complete). Rows already there are kept.

    Raises:
        StorageError: if the store fails or an entry is malformed (nothing is written then).
        LedgerOverloadedError: if the writers' lock cannot be taken.
    """
    with ledger.store.write() as txn:
        size = txn.state().size
        if txn.subject_index_size() >= size:
            return 0
        derive = KeyDerivation()
        rows: list[tuple[str, str, int]] = []
        for position, raw in ledger.raw_entries(0, size):
            entry = decode_entry(position, raw)
            rows.extend((kind, ident, position) for kind, ident in derive.keys(entry))
            if len(rows) >= _BUILD_CHUNK:
                txn.put_subject_positions(rows, new=False)
                rows = []
        txn.put_subject_positions(rows, new=False)
        txn.clear_subject_runs()  # every entry now has its rows: runs would only repeat them
        txn.set_subject_index_size(size)
    return size


def compact_subject_index(ledger: Ledger, chunk: int = 1_000_000) -> int:
    """Merge every bulk run of the index (the ingest path's compact form) into its rows, a
    ``chunk`` of entries per write transaction so writers wait for one chunk at most;
    returns how many entries were merged. Answers are the same before, during and after.

    Raises:
        StorageError: if the store fails (merged chunks stay merged).
        LedgerOverloadedError: if the writers' lock cannot be taken.
    """
    merged = 0
    while done := ledger.store.compact_subject_index(chunk):
        merged += done
    return merged


def check_subject_index(ledger: Ledger, *, limit: int = 20) -> list[str]:
    """Compare the per-subject index with the keys derived from the entries themselves
    (:class:`KeyDerivation`), below the size it claims to be complete for; the problems
    found, at most ``limit`` (masked subjects, counts), empty if it agrees.

    An index that lost or gained rows would make single-subject reads (scores, decisions)
    silently wrong, so an auditor runs this with ``socialcredit verify --index``. Memory is
    bounded by the number of subjects, not of entries: rows are compared by a keyed digest
    of the multiset, per subject.

    Raises:
        StorageError: if the store cannot be read.
    """
    from socialcredit.catalogue import mask_subject_id

    _, indexed = ledger.store.subject_index_state()
    expected: dict[Key, list[int]] = {}
    derive = KeyDerivation()
    for position, raw in ledger.raw_entries(0, indexed):
        for key in derive.keys(decode_entry(position, raw)):
            _tally(expected, key, position)
    found: dict[Key, list[int]] = {}
    for kind, external_id, position in ledger.store.subject_index_rows():
        if position < indexed:
            _tally(found, (kind, external_id), position)
    problems = []
    for key in sorted(expected.keys() | found.keys()):
        want, have = expected.get(key, [0, 0]), found.get(key, [0, 0])
        if want != have:
            shown = key[1] if key[0] == TYPE_KIND else mask_subject_id(*key)
            problems.append(
                f"the index holds {have[0]} entries of {key[0]} {shown}, "
                f"the ledger {want[0]} (run `socialcredit migrate` after restoring the store)"
            )
            if len(problems) >= limit:
                break
    return problems


_MASK64 = (1 << 64) - 1
_SALT = os.urandom(16).hex()  # keys the digest: a forger cannot aim at a collision


def _tally(table: dict[Key, list[int]], key: Key, position: int) -> None:
    """Count ``position`` under ``key`` and add it to the key's digest (a sum of a keyed hash
    of each position: equal multisets give equal sums)."""
    found = table.get(key)
    if found is None:
        found = table[key] = [0, 0]
    found[0] += 1
    found[1] = (found[1] + hash((position, _SALT))) & _MASK64
