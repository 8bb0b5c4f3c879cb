"""The in-memory projection of list memberships, and the decision service built on it.

:class:`ConsequenceView` reads the ledger once and then only what was appended since
(incrementally, under a lock), keeping per subject the listings of the bundle in force. A
question about a time at or after everything known about the subject is answered from
memory; an earlier one ("as the system knew it then") is recomputed from the facts recorded
by then. :class:`DecisionService` adds :meth:`~DecisionService.decide`, which writes every
decision to the ledger as a ``DecisionMade`` entry through a group-commit
:class:`~socialcredit.consequences._audit.AuditWriter`.

What the view keeps is derived, per subject, in compact form: the records in columns
(:class:`~socialcredit.scoring._columnar.ColumnarRecords`, about 42 bytes a record, dense
subject slots in a sorted NumPy key array, each subject's latest fact time beside its slot),
the listings in force of the listed subjects only (plain tuples), and the few subjects with
facts, lifecycle events or legal representatives. A question about one subject reads that
subject's rows by following its chain in the columns; nothing holds a Python object per
record, so a snapshot of the view (:mod:`socialcredit.consequences._snapshot`) is mostly flat
arrays and loads at memory speed.

Both are thread-safe: decisions read immutable tuples from dicts; catching up, appending and
reading the store happen under one lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from socialcredit._collector import collector_paused
from socialcredit.agencies import (
    RecordedMemorandum,
    citations,
    memoranda,
    read_memorandum,
)
from socialcredit.agencies.events import MemorandumConcludedV1, MemorandumEndedV1
from socialcredit.consequences._audit import AuditWriter
from socialcredit.consequences._decisions import (
    CompiledConsequences,
    frozen_restrictions,
    make_decision,
)
from socialcredit.consequences._model import Decision, Listing, Membership, SubjectConsequences
from socialcredit.consequences._projection import SubjectFacts, listings, membership_at
from socialcredit.consequences._snapshot import restore_view
from socialcredit.consequences.events import (
    DecisionMadeV1,
    HardshipEndedV1,
    HardshipRecordedV1,
    LegalRepresentativeRecordedV1,
    RestorationGrantedV1,
)
from socialcredit.events import EVENTS
from socialcredit.ledger import (
    GLOBAL_TYPES,
    TYPE_KIND,
    Entry,
    Ledger,
    PendingEntry,
    entries_at,
    utc_now_us,
)
from socialcredit.policy import (
    POLICY_PUBLISHED,
    PolicyBundle,
    PublishedBundle,
    default_bundle,
    in_force,
    read_published,
)
from socialcredit.records import (
    LIFECYCLE_ENTRY_TYPES,
    RECORD_FILED,
    RecordIndex,
    RecordRow,
)
from socialcredit.rights import checked_purpose
from socialcredit.scoring import ColumnarRecords
from socialcredit.timeutil import from_us, parse_time, to_us

__all__ = ["ConsequenceView", "DecisionService", "effective_rows", "service_purpose"]

Key = tuple[str, str]
DECISION_MADE = DecisionMadeV1.TYPE
MEMORANDUM_CONCLUDED = MemorandumConcludedV1.TYPE
MEMORANDUM_ENDED = MemorandumEndedV1.TYPE
_DECISION_SUFFIX = b',"type":"DecisionMade","v":1}'
_NO_FACTS = SubjectFacts()
_CHUNK = 10_000
_FACT_TYPES = (RestorationGrantedV1.TYPE, HardshipRecordedV1.TYPE, HardshipEndedV1.TYPE)


def effective_rows(
    index: RecordIndex, subject_kind: str, subject_id: str, known_us: int
) -> tuple[RecordRow, ...]:
    """The subject's effective records known by ``known_us`` (corrections applied, withdrawn
    and dispute-suspended ones left out, where the index supports it)."""
    return index.effective(subject_kind, subject_id, known_us)


def service_purpose(service: str) -> str:
    """The purpose of a decision when its requester names none: the service decision itself."""
    return f"service_decision:{service}"


def _subject(data: Any) -> Key | None:
    subject = data.get("subject") if isinstance(data, dict) else None
    if isinstance(subject, dict) and "kind" in subject and "id" in subject:
        return str(subject["kind"]), str(subject["id"])
    return None


class ConsequenceView:
    """List memberships of every subject, caught up from ``ledger``.

    Args:
        ledger: the ledger to read.
        refresh_interval: how often (seconds) to look for entries appended by others.
        lock: the lock guarding the ledger's store handle (shared with its other users).
        subjects: answer only about these subjects, reading only their entries, those of the
            organisations a person among them represents, and the policies (the per-subject
            index); answers about them equal those of a view of the whole ledger. None:
            every subject.
        snapshot: a view of every subject starts from the ledger's latest trusted snapshot
            (:mod:`socialcredit.consequences._snapshot`) and reads only the entries after it;
            without one it replays the ledger. Answers are the same either way.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        refresh_interval: float = 1.0,
        lock: threading.RLock | None = None,
        subjects: Collection[Key] | None = None,
        snapshot: bool = False,
    ) -> None:
        self.ledger = ledger
        self.lock = lock or threading.RLock()
        self.refresh_interval = refresh_interval
        # With ``subjects``, only their entries (and the organisations a person among them
        # legally represents, and the policies) are read, through the per-subject index.
        self._scope: set[Key] | None = None if subjects is None else set(subjects)
        self._clear()
        ledger.add_listener(self._on_append)
        self.restored_from = 0  # the size of the snapshot the view started from, if any
        self.refused_snapshots: tuple[str, ...] = ()  # and why newer ones were not trusted
        if snapshot and self._scope is None:
            with self.lock:
                found = restore_view(self)
            self.restored_from, self.refused_snapshots = found.size, found.refused
        self.catch_up()

    def _clear(self) -> None:
        """Forget everything read (the state of a view that has read nothing)."""
        # every record in columns; per subject slot also the ledger time of the latest fact
        # about the subject (ColumnarRecords.touch), which says whether a cached listing
        # answers a question about a time
        self._index = ColumnarRecords()
        self._next = 0
        self._stale = True
        self._next_check = 0.0
        self._facts: dict[Key, SubjectFacts] = {}
        # the listings of every listed subject under the bundle in force, as plain tuples (the
        # fields of Listing: a snapshot loads plain tuples several times faster)
        self._listings: dict[Key, tuple[tuple[Any, ...], ...]] = {}
        self._decisions: dict[Key, list[int]] = {}
        # subjects with corrected, withdrawn or disputed records: a dispute left undecided past
        # its deadline suspends a record at a *time*, with no entry, so their memberships are
        # always computed for the time asked about instead of cached
        self._volatile: set[Key] = set()
        self._disputes: dict[str, Key] = {}
        self._represents: dict[str, set[str]] = {}  # person -> organisations
        self._representative: dict[
            str, list[tuple[int, int, str | None]]
        ] = {}  # org -> (from, rec, person)
        self._published: list[PublishedBundle] = []
        # joint memoranda (socialcredit.agencies): read by key on first use, then followed
        self._memoranda: list[RecordedMemorandum] | None = None
        self._compiled: dict[str, CompiledConsequences] = {}
        self._current = self._compile(default_bundle())

    @property
    def record_index(self) -> RecordIndex:
        """The record index this view keeps, in columns (caught up by :meth:`catch_up`;
        hold :attr:`lock` while using it): every question of a record index, one subject's
        rows at a time."""
        return self._index

    def close(self) -> None:
        """Stop following the ledger's appends."""
        self.ledger.remove_listener(self._on_append)

    # -- catching up -------------------------------------------------------------------------

    def _compile(self, bundle: PolicyBundle) -> CompiledConsequences:
        found = self._compiled.get(bundle.digest)
        if found is None:
            found = self._compiled[bundle.digest] = CompiledConsequences(bundle)
        return found

    def _on_append(self, first: int, encoded: Sequence[bytes]) -> None:
        # Called by the appending thread while it holds the ledger's write lock: never wait
        # for this view's lock here (its holder may be waiting for the write lock, e.g. the
        # audit writer); marking the view stale is always safe, it re-reads from _next.
        if not self.lock.acquire(blocking=False):
            self._stale = True
            return
        try:
            if first == self._next and all(e.endswith(_DECISION_SUFFIX) for e in encoded):
                self._next += len(encoded)  # our own audit entries: indexed by the writer
            else:
                self._stale = True
        finally:
            self.lock.release()

    def refresh(self) -> None:
        """Catch up if something was appended through this ledger object, or if the refresh
        interval has passed (appends by other processes)."""
        if self._stale or time.monotonic() >= self._next_check:
            self.catch_up()

    def catch_up(self) -> int:
        """Read the entries appended since the last call; returns how many were read."""
        with self.lock:
            self._stale = False
            self._next_check = time.monotonic() + self.refresh_interval
            size = self.ledger.size()
            if size <= self._next:
                return 0
            dirty: set[Key] = set()
            policy_changed = False
            entries = self._entries(size)
            # one decoding pass feeds both the record index and the facts, chunk by chunk
            # (and no cyclic collection rescans the view's listings while they are recomputed)
            with collector_paused():
                while chunk := list(islice(entries, _CHUNK)):
                    self._index.apply(chunk)
                    for entry in chunk:
                        policy_changed |= self._apply(entry, dirty)
                self._index.ledger = self.ledger
                self._index.next_position = size
                read, self._next = size - self._next, size
                self._rebuild(None if policy_changed else dirty)
            return read

    def _entries(self, size: int) -> Iterator[Entry]:
        """The entries from ``self._next`` to ``size`` this view reads: all of them, or for a
        scoped view those indexed under its subjects (the whole ledger while the store's
        per-subject index is incomplete)."""
        start = self._next
        if self._scope is None:
            return self.ledger.entries(start, size)
        _, indexed = self.ledger.store.subject_index_state()
        if indexed < size:
            self._scope = None
            return self.ledger.entries(start, size)
        positions = self._positions_of(self._scope, start, size)
        entries = list(entries_at(self.ledger, positions))
        represented = self._represented_organisations(entries) - self._scope
        if not represented:
            return iter(entries)
        self._scope |= represented
        if start > 0:  # their earlier entries were never read: read everything again
            self._clear()
            start = 0
        return entries_at(self.ledger, self._positions_of(self._scope, start, size))

    def _positions_of(self, scope: set[Key], start: int, size: int) -> list[int]:
        keys = [*sorted(scope), *((TYPE_KIND, t) for t in sorted(GLOBAL_TYPES))]
        return [p for p in self.ledger.store.subject_positions(keys, size) if p >= start]

    def _represented_organisations(self, entries: Sequence[Entry]) -> set[Key]:
        """Organisations that a person in scope is recorded as legally representing."""
        scope = self._scope or set()
        recorded = (
            EVENTS.read_as(e, LegalRepresentativeRecordedV1)
            for e in entries
            if e.type == LegalRepresentativeRecordedV1.TYPE
        )
        return {
            ("organisation", r.organisation)
            for r in recorded
            if ("person", str(r.representative)) in scope
        }

    def _apply(self, entry: Entry, dirty: set[Key]) -> bool:
        """Take one entry into the facts; True if it published a policy."""
        kind, data = entry.type, entry.data
        if kind == MEMORANDUM_CONCLUDED:
            self._memorandum_concluded(entry)
            return False
        if kind == MEMORANDUM_ENDED:  # read again by key on next use, with its ending
            self._memoranda = None
            return False
        if kind == POLICY_PUBLISHED:
            self._published.append(read_published(entry))
            return True
        if kind == DECISION_MADE:
            key = _subject(data)
            if key is not None:
                self._decisions.setdefault(key, []).append(entry.position)
            return False
        if kind == RECORD_FILED:
            key = (str(data["subject"]["kind"]), str(data["subject"]["id"]))
        elif kind in LIFECYCLE_ENTRY_TYPES:
            found = self._lifecycle_subject(entry)
            if found is None:
                return False
            key = found
            self._volatile.add(key)
        elif kind == LegalRepresentativeRecordedV1.TYPE:
            self._representative_recorded(entry, dirty)
            return False
        else:
            key = _subject(data) or self._referenced(data)
            if key is None:
                return False
            if kind in _FACT_TYPES:
                facts = self._facts.setdefault(key, SubjectFacts())
                if kind == RestorationGrantedV1.TYPE:
                    granted = EVENTS.read_as(entry, RestorationGrantedV1)
                    facts.restorations.append((granted.list_, entry.recorded_at_us))
                else:
                    recorded = kind == HardshipRecordedV1.TYPE
                    facts.hardship.append((entry.recorded_at_us, recorded))
        self._index.touch(key, entry.recorded_at_us)
        dirty.add(key)
        return False

    def _lifecycle_subject(self, entry: Entry) -> Key | None:
        """The subject whose record a correction, withdrawal or dispute entry concerns."""
        data = entry.data
        key = _subject(data) or self._referenced(data)
        if key is None and "dispute" in data:
            key = self._disputes.get(str(data["dispute"]))
        if key is not None and entry.type == "DisputeOpened":
            self._disputes[str(data["dispute"])] = key
        return key

    def _referenced(self, data: dict[str, Any]) -> Key | None:
        """The subject of a record an entry refers to by position (corrections, disputes)."""
        for value in data.values():
            if type(value) is int and (row := self._index.record(value)) is not None:
                return row.subject_kind, row.subject_id
        return None

    def _representative_recorded(self, entry: Entry, dirty: set[Key]) -> None:
        recorded = EVENTS.read_as(entry, LegalRepresentativeRecordedV1)
        org, person = recorded.organisation, recorded.representative
        since = parse_time(recorded.from_)
        self._representative.setdefault(org, []).append((since, entry.recorded_at_us, person))
        self._representative[org].sort(key=lambda item: item[:2])
        if person is not None:
            self._represents.setdefault(str(person), set()).add(org)
            self._index.touch(("person", str(person)), entry.recorded_at_us)
        self._index.touch(("organisation", org), entry.recorded_at_us)

    def _rebuild(self, dirty: set[Key] | None) -> None:
        """Recompute the listings of ``dirty`` subjects (None: everyone) under the latest policy."""
        self._current = self._compile(self._bundle_for(utc_now_us(), None))
        if dirty is None:  # every subject with records, read slot by slot, then the others
            everyone = self._index.effective_by_subject(2**62)
            for key, rows in everyone:
                self._relist(key, rows)
            dirty = {key for key in self._facts if not self._index.records(*key)}
        for key in dirty:
            self._relist(key, None)

    def _relist(self, key: Key, rows: Sequence[RecordRow] | None) -> None:
        found = self._compute(self._current, key, 2**62, rows)
        if found:
            self._listings[key] = tuple(map(tuple, found))
        else:
            self._listings.pop(key, None)

    def _compute(
        self,
        compiled: CompiledConsequences,
        key: Key,
        known_us: int,
        rows: Sequence[RecordRow] | None = None,
    ) -> tuple[Listing, ...]:
        """The subject's listings under ``compiled`` from the facts known by ``known_us``
        (``rows``: its effective records then, if the caller has them)."""
        if rows is None:
            rows = effective_rows(self._index, key[0], key[1], known_us)
        relevant = compiled.relevant_kinds
        if not any(r.kind in relevant for r in rows) and not compiled.may_reach_grade_list(rows):
            return ()
        facts = self._facts.get(key, _NO_FACTS)
        return listings(compiled.bundle, compiled.scoring, rows, facts, key[0], known_us)

    def _bundle_for(self, at_us: int, known_us: int | None) -> PolicyBundle:
        """The bundle in force at ``at_us`` as known at ``known_us`` (None: now), by the one
        in-force rule (:func:`socialcredit.policy._publish.in_force`); the default bundle when
        none is published."""
        known = None if known_us is None else from_us(known_us)
        found = in_force(self._published, from_us(at_us), known)
        return default_bundle() if found is None else found.bundle

    # -- reading -----------------------------------------------------------------------------

    def compiled_at(self, at_us: int) -> CompiledConsequences:
        """The compiled bundle in force at ``at_us``, as known then."""
        found = self._bundle_for(at_us, at_us)
        current = self._current
        # bundles are read once and kept, so identity is equality here (and far cheaper)
        return current if found is current.bundle else self._compile(found)

    def memberships(
        self,
        subject_kind: str,
        subject_id: str,
        at_us: int,
        compiled: CompiledConsequences | None = None,
    ) -> list[Membership]:
        """The subject's memberships at ``at_us`` (as known then), in list order."""
        compiled = compiled or self.compiled_at(at_us)
        key = (subject_kind, subject_id)
        if (
            compiled is self._current
            and at_us >= self._index.touched(key)
            and key not in self._volatile
        ):
            found = self._listings.get(key, ())
        else:
            found = self._compute(compiled, key, at_us)
        if not found:
            return []
        facts = self._facts.get(key)
        hardship = facts is not None and bool(facts.hardship) and facts.hardship_at(at_us, at_us)
        out = []
        for listing in found:
            frozen = hardship and compiled.lists[listing[0]].hardship_freezes
            member = membership_at(listing, at_us, frozen)
            if member is not None:
                out.append(member)
        return out

    def represented(
        self, person_id: str, at_us: int, compiled: CompiledConsequences
    ) -> list[tuple[str, Membership]]:
        """``(organisation, membership)`` for organisations ``person_id`` legally represents at
        ``at_us`` whose lists reach their representative."""
        out = []
        for org in sorted(self._represents.get(person_id, ())):
            current = [
                p for since, rec, p in self._representative[org] if since <= at_us and rec <= at_us
            ]
            if not current or current[-1] != person_id:
                continue
            for member in self.memberships("organisation", org, at_us, compiled):
                if compiled.lists[member.list_id].representative:
                    out.append((org, member))
        return out

    def subjects_on(self, list_id: str, at_us: int) -> list[tuple[Key, Membership]]:
        """Every subject with a membership on ``list_id`` at ``at_us``, in subject order."""
        with self.lock:  # a consistent set of subjects while others catch up
            self.refresh()
            compiled = self.compiled_at(at_us)
            keys = sorted(set(self._listings) | set(self._facts) | self._volatile)
        out = []
        for key in keys:
            for member in self.memberships(*key, at_us, compiled):
                if member.list_id == list_id:
                    out.append((key, member))
        return out

    def _memorandum_concluded(self, entry: Entry) -> None:
        """Follow a memorandum recorded after the first :meth:`citations` (before it, the
        read by key finds it)."""
        known = self._memoranda
        if known is not None and all(m.position != entry.position for m in known):
            known.append(read_memorandum(entry))

    def citations(self, at_us: int) -> dict[tuple[str, str], tuple[str, str]]:
        """``(list, measure) -> (memorandum id, title)`` of the joint memoranda in force at
        ``at_us``, which a decision cites (:mod:`socialcredit.agencies._memoranda`)."""
        if self._memoranda is None:
            self._memoranda = memoranda(self.ledger)
        return dict(citations(self._memoranda, at_us))

    def hardship_since(self, subject_kind: str, subject_id: str, at_us: int) -> int | None:
        """When the subject's hardship period open at ``at_us`` began (as known then), or None."""
        facts = self._facts.get((subject_kind, subject_id))
        return None if facts is None else facts.hardship_since(at_us, at_us)

    def consequences(self, subject_kind: str, subject_id: str, at_us: int) -> SubjectConsequences:
        """The subject's memberships at ``at_us`` (with their lists' terms), the hardship open
        then and the restrictions it freezes, and every decision recorded about them."""
        with self.lock:
            self.refresh()
            compiled = self.compiled_at(at_us)
            members = tuple(self.memberships(subject_kind, subject_id, at_us, compiled))
            since = self.hardship_since(subject_kind, subject_id, at_us)
            positions = list(self._decisions.get((subject_kind, subject_id), ()))
            decisions = tuple(self.ledger.entry(p) for p in positions)
        terms = {m.list_id: compiled.terms(m.list_id) for m in members}
        frozen = frozen_restrictions(compiled, members, since)
        return SubjectConsequences(
            subject_kind, subject_id, at_us, members, decisions, terms, since, frozen
        )


class DecisionService(ConsequenceView):
    """Decisions at points of service, each audited in the ledger (thread-safe).

    Args:
        ledger: a writable ledger.
        batch_size, interval, max_queue: of the group-commit audit writer.
        refresh_interval: as for :class:`ConsequenceView`.
        subjects: decide only about these subjects, reading only their entries (and those of
            organisations they represent) through the per-subject index: what a one-off
            decision needs. None: every subject (the whole ledger is read once).
        snapshot: as for :class:`ConsequenceView`.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        batch_size: int = 500,
        interval: float = 0.005,
        max_queue: int = 200_000,
        refresh_interval: float = 1.0,
        subjects: Collection[Key] | None = None,
        snapshot: bool = False,
    ) -> None:
        super().__init__(
            ledger, refresh_interval=refresh_interval, subjects=subjects, snapshot=snapshot
        )
        self.writer = AuditWriter(
            ledger, self.lock, batch_size=batch_size, interval=interval, max_queue=max_queue,
            on_written=self._written,
            checked=True,  # Decision.to_json holds only text, small integers, lists, dicts
        )  # fmt: skip

    def _written(self, batch: Sequence[PendingEntry], positions: Sequence[int]) -> None:
        for entry, position in zip(batch, positions, strict=True):
            if entry.subject is not None:
                self._decisions.setdefault(entry.subject, []).append(position)

    def decide(
        self,
        subject_kind: str,
        subject_id: str,
        service: str,
        at: datetime | None = None,
        *,
        requester: str | None = None,
        purpose: str | None = None,
    ) -> Decision:
        """Allow, deny or reward ``service`` to the subject at ``at`` (default now), with the
        reasons and recourse; the ``DecisionMade`` entry is queued for the audit writer.

        The entry is attributed: ``requested_by`` is ``requester`` (the asking account, as the
        adapter knows it; null if the caller named none) and ``purpose`` is ``purpose``
        (default :func:`service_purpose` of the service). The subject sees both among the
        enquiries about them.

        Raises:
            ValidationError: naming ``service`` if the policy has no such service, or
                ``purpose`` if it is not on the whitelist.
            LedgerOverloadedError: if the audit queue is full (the decision must not be used).
            ValueError: if ``at`` is naive.
        """
        if purpose is not None:
            checked_purpose(purpose)
        at_us = utc_now_us() if at is None else to_us(at)
        self.refresh()
        compiled = self.compiled_at(at_us)
        members = self.memberships(subject_kind, subject_id, at_us, compiled)
        represented = (
            self.represented(subject_id, at_us, compiled)
            if subject_kind == "person" and subject_id in self._represents
            else ()
        )
        key = (subject_kind, subject_id)
        since = self.hardship_since(subject_kind, subject_id, at_us)
        decision = make_decision(
            compiled, key, service, at_us, members, represented, hardship_since_us=since,
            memoranda=self.citations(at_us),
        )  # fmt: skip
        data = DecisionMadeV1.data_of(
            decision.to_json(), requester, purpose or service_purpose(service)
        )
        self.writer.submit(PendingEntry(DECISION_MADE, data, subject=key))
        return decision

    def flush(self) -> int:
        """Wait until every decision so far is durable in the ledger (see AuditWriter.flush)."""
        return self.writer.flush()

    def close(self) -> None:
        """Flush the audit writer, stop it, and stop listening to the ledger."""
        try:
            self.writer.close()
        finally:
            self.ledger.remove_listener(self._on_append)

    def __enter__(self) -> DecisionService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
