"""The live score projection: every subject's score *now*, kept current on append.

:class:`LiveScores` follows a ledger in process (:meth:`Ledger.add_listener`): each appended
entry is applied as it commits, without re-reading the ledger or the subject's history.
Per subject it keeps only the records that still count; a query evaluates those few with the
one scoring definition (:func:`.definition.record_points`, :func:`.definition.aggregate`),
so its answers equal the per-subject engine's ``score(as_of=now, known_at=now)``.

What "now" is: ledger time (the ledger's clock), or a later time passed explicitly. The
projection answers the present only; times never go backwards (ask :func:`.engine.score`
about the past). Records that stop counting are dropped as time passes.

Slow paths, taken rarely and exactly:

* a subject whose records were corrected, withdrawn, recertified or disputed is evaluated from
  the record index's *effective* records (the lifecycle rules live in :mod:`.records`);
* a policy published into the ledger resets the projection, which is then rebuilt lazily.

A projection can be saved to a file and loaded later: loading checks that the ledger still
has the saved root at the saved size (else it refuses) and then catches up from there, and
must give exactly what a rebuild from the ledger gives.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from socialcredit.errors import IntegrityError
from socialcredit.ledger import Entry, Ledger, decode_entry
from socialcredit.policy import PublishedBundle, default_bundle, in_force, published_bundles
from socialcredit.records import RECORD_FILED, RecordIndex, RecordRow, project_entry
from socialcredit.scoring._definition import (
    CompiledPolicy,
    aggregate,
    bin_points,
    feature_counts,
    record_points,
    sector_grades,
)
from socialcredit.scoring._engine import compiled_bundle, evaluate
from socialcredit.timeutil import from_us

__all__ = ["LIFECYCLE_TYPES", "LiveScore", "LiveScores"]

# Entries that change how already-filed records count: the subject falls back to the index.
LIFECYCLE_TYPES = frozenset(
    {
        "RecordCorrected",
        "RecordWithdrawn",
        "RecordRecertified",
        "DisputeOpened",
        "DisputeEvidenceAdded",
        "DisputeDecided",
        "AppealOpened",
        "AppealDecided",
    }
)
POLICY_PUBLISHED = "PolicyPublished"

SubjectKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class LiveScore:
    """A subject's score at ``at_us`` (as of and known at that time)."""

    subject_kind: str
    subject_id: str
    at_us: int
    total: int
    dimensions: dict[str, int]
    grade: str
    revision: int | None
    sector_grades: dict[str, str] = field(default_factory=dict)  # scheme id to grade


class LiveScores:
    """Current scores of every subject, updated entry by entry.

    Args:
        ledger: the ledger to follow (None: fed by :meth:`apply` only, default policy).
        policy: a fixed compiled policy; default: the bundle in force at "now", as published
            in the ledger (or the default bundle when none is).
    """

    def __init__(self, ledger: Ledger | None = None, policy: CompiledPolicy | None = None) -> None:
        self.ledger = ledger
        self._fixed_policy = policy
        self._published: list[PublishedBundle] = []
        self._rows: dict[SubjectKey, list[RecordRow]] = {}
        self._subject_of: dict[int, SubjectKey] = {}
        self._changed: set[SubjectKey] = set()
        self._index: RecordIndex | None = None
        self._floor_us = 0
        self._stale = False
        self._lock = threading.RLock()
        self.next_position = 0

    # -- building --------------------------------------------------------------------------

    @classmethod
    def follow(cls, ledger: Ledger, policy: CompiledPolicy | None = None) -> LiveScores:
        """A projection of ``ledger`` rebuilt from its entries, then kept current on append
        through this ledger object (call :meth:`close` to stop)."""
        live = cls(ledger, policy)
        live.catch_up()
        ledger.add_listener(live.on_append)
        return live

    def close(self) -> None:
        """Stop following the ledger."""
        if self.ledger is not None:
            self.ledger.remove_listener(self.on_append)

    def catch_up(self) -> int:
        """Apply every entry after the last one seen; returns how many were read."""
        if self.ledger is None:
            return 0
        size = self.ledger.size()
        start = self.next_position
        self.apply(self.ledger.entries(start, size))
        self.next_position = max(self.next_position, size)
        return size - start

    def on_append(self, first_position: int, encoded: Sequence[bytes]) -> None:
        """The ledger listener: apply freshly committed entries (catching up any gap)."""
        if first_position > self.next_position:
            self.catch_up()
            return
        skip = self.next_position - first_position
        self.apply(
            decode_entry(first_position + i, raw) for i, raw in enumerate(encoded) if i >= skip
        )

    def apply(self, entries: Iterable[Entry]) -> None:
        """Apply entries at or after :attr:`next_position`, in ledger order (thread-safe)."""
        with self._lock:
            self._apply(entries)

    def _apply(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            if entry.position < self.next_position:
                continue
            self.next_position = entry.position + 1
            if entry.type == RECORD_FILED:
                row = project_entry(entry)
                assert row is not None
                key = (row.subject_kind, row.subject_id)
                self._rows.setdefault(key, []).append(row)
                self._subject_of[row.position] = key
            elif entry.type in LIFECYCLE_TYPES:
                self._mark_changed(entry)
            elif entry.type == POLICY_PUBLISHED:
                self._policy_published()

    def _mark_changed(self, entry: Entry) -> None:
        target = entry.data.get("record", entry.data.get("target"))
        key = self._subject_of.get(target) if isinstance(target, int) else None
        if key is not None:
            self._changed.add(key)
        subject = entry.data.get("subject")
        if isinstance(subject, dict) and "kind" in subject and "id" in subject:
            self._changed.add((str(subject["kind"]), str(subject["id"])))

    def _policy_published(self) -> None:
        """A new policy may count records that were dropped: re-read them before the next
        answer (rare: policies are published a few times a year)."""
        self._stale = True

    # -- reading ---------------------------------------------------------------------------

    def _reread(self) -> None:
        """Rebuild the rows from the ledger after a policy was published."""
        self._stale = False
        if self.ledger is None:
            return
        self._published = published_bundles(self.ledger)
        self._rows.clear()
        self._subject_of.clear()
        stop, self.next_position = self.next_position, 0
        self._apply(self.ledger.entries(0, stop))
        self._stale = False

    def policy_at(self, at_us: int) -> CompiledPolicy:
        """The compiled policy this projection scores with at ``at_us``."""
        if self._fixed_policy is not None:
            return self._fixed_policy
        if not self._published and self.ledger is not None and self.next_position:
            self._published = published_bundles(self.ledger)
        at = from_us(at_us)
        found = in_force(self._published, at, at)
        return compiled_bundle(default_bundle() if found is None else found.bundle)

    def now_us(self) -> int:
        """Ledger time now (never earlier than the last time asked about)."""
        clock = self.ledger.clock() if self.ledger is not None else self._floor_us
        return max(clock, self._floor_us)

    def score(self, subject_kind: str, subject_id: str, at_us: int | None = None) -> LiveScore:
        """The subject's score at ``at_us`` (default: now), as known then.

        Raises:
            ValueError: if ``at_us`` is earlier than a time already asked about.
        """
        with self._lock:
            return self._score(subject_kind, subject_id, at_us)

    def _score(self, subject_kind: str, subject_id: str, at_us: int | None) -> LiveScore:
        at_us = self.now_us() if at_us is None else at_us
        if at_us < self._floor_us:
            raise ValueError("the live projection answers the present; use scoring.score")
        self._floor_us = at_us
        if self._stale:
            self._reread()
        policy = self.policy_at(at_us)
        key = (subject_kind, subject_id)
        if key in self._changed:
            return self._from_index(policy, key, at_us)
        rows = self._rows.get(key, ())
        live = [r for r in rows if self._counts_later(policy, r, at_us)]
        if len(live) < len(rows):
            self._rows[key] = live
        points = [
            (r.kind, record_points(policy, r.kind, r.amount, r.occurred_at_us, at_us))
            for r in live
            if r.recorded_at_us <= at_us and r.occurred_at_us <= at_us
        ]
        counts: tuple[int, ...] = ()
        if policy.features:  # binned rules (step 6); counts only occurred <= at_us
            counted = policy.counted
            known = [
                (r.kind, r.occurred_at_us)
                for r in live
                if r.kind in counted and r.recorded_at_us <= at_us
            ]
            counts = feature_counts(policy, known, at_us)
        total, dimensions = aggregate(policy, points, counts)
        sectors = self._sectors(policy, key[0], live, points, counts, at_us)
        grade = policy.grade(total)
        return LiveScore(*key, at_us, total, dimensions, grade, policy.revision, sectors)

    @staticmethod
    def _sectors(
        policy: CompiledPolicy,
        subject_kind: str,
        live: list[RecordRow],
        points: list[tuple[str, int]],
        counts: tuple[int, ...],
        at_us: int,
    ) -> dict[str, str]:
        """The sector grades (step 7) from the records kept (sector history is kept)."""
        if not policy.schemes:
            return {}
        binned = [bin_points(f, n) for f, n in zip(policy.features, counts, strict=False)]
        known = [(r.kind, r.occurred_at_us) for r in live if r.recorded_at_us <= at_us]
        return sector_grades(policy, points, binned, known, at_us, subject_kind)

    @staticmethod
    def _counts_later(policy: CompiledPolicy, row: RecordRow, at_us: int) -> bool:
        """False once a record has stopped counting for good (expired, or of a kind without
        points) under the policy in force."""
        terms = policy.kinds.get(row.kind)
        if terms is not None and at_us < row.occurred_at_us + terms.expiry_us:
            return True
        counted = policy.counted.get(row.kind)  # a binned rule's count (step 6)
        if counted is not None and at_us < row.occurred_at_us + counted[1]:
            return True
        return any(row.kind in s.history for s in policy.schemes)  # sector history (step 7)

    def _from_index(self, policy: CompiledPolicy, key: SubjectKey, at_us: int) -> LiveScore:
        """The exact slow path for subjects with lifecycle events: the effective records."""
        if self._index is None:
            self._index = RecordIndex.build(self.ledger) if self.ledger else RecordIndex()
        elif self.ledger is not None:
            self._index.catch_up(self.ledger)
        at = from_us(at_us)
        effective = getattr(self._index, "effective", None)
        rows = effective(*key, at_us) if effective else self._index.records(*key)
        result = evaluate(policy, rows, key, at, at)
        return LiveScore(
            *key,
            at_us,
            result.total,
            result.dimensions,
            result.grade,
            result.revision,
            result.sector_grades,
        )

    def subjects(self) -> list[SubjectKey]:
        """Every subject with at least one record, sorted."""
        return sorted(self._rows.keys() | self._changed)

    # -- saving ----------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the projection's rows and the ledger state they reflect to ``path`` (SQLite;
        replaced atomically).

        Raises:
            ValueError: if the projection does not follow a ledger.
        """
        if self.ledger is None:
            raise ValueError("only a projection of a ledger can be saved")
        checkpoint = self.ledger.checkpoint_at(self.next_position)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.unlink(missing_ok=True)
        with sqlite3.connect(temporary) as db:
            db.executescript(_SCHEMA)
            db.execute(
                "INSERT INTO state VALUES (?, ?, ?)",
                (self.next_position, checkpoint.root.hex(), self._floor_us),
            )
            db.executemany(
                "INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row for rows in self._rows.values() for row in rows),
            )
            db.executemany("INSERT INTO changed VALUES (?, ?)", sorted(self._changed))
        db.close()
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path, ledger: Ledger, policy: CompiledPolicy | None = None) -> LiveScores:
        """A projection saved by :meth:`save`, caught up with ``ledger``.

        Raises:
            IntegrityError: if the ledger does not hold the saved root at the saved size (the
                file belongs to another ledger, or the ledger was rewritten): rebuild instead.
        """
        db = sqlite3.connect(path)
        try:
            size, root, floor = db.execute("SELECT size, root, floor_us FROM state").fetchone()
            if ledger.size() < size or ledger.checkpoint_at(size).root.hex() != root:
                raise IntegrityError(f"{path} does not match this ledger at size {size}")
            live = cls(ledger, policy)
            for row in db.execute("SELECT * FROM rows ORDER BY position"):
                record = RecordRow(*row)
                key = (record.subject_kind, record.subject_id)
                live._rows.setdefault(key, []).append(record)
                live._subject_of[record.position] = key
            live._changed = {(k, i) for k, i in db.execute("SELECT kind, id FROM changed")}
        finally:
            db.close()
        live.next_position, live._floor_us = size, floor
        live.catch_up()
        ledger.add_listener(live.on_append)
        return live

    def snapshot(self, at_us: int) -> dict[SubjectKey, tuple[int, str]]:
        """Every subject's ``(total, grade)`` at ``at_us``, for comparisons."""
        return {
            key: (found.total, found.grade)
            for key in self.subjects()
            for found in [self.score(*key, at_us)]
        }


_SCHEMA = """
CREATE TABLE state (size INTEGER NOT NULL, root TEXT NOT NULL, floor_us INTEGER NOT NULL);
CREATE TABLE rows (
    position INTEGER PRIMARY KEY, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL,
    kind TEXT NOT NULL, occurred_at_us INTEGER NOT NULL, recorded_at_us INTEGER NOT NULL,
    amount INTEGER
);
CREATE TABLE changed (kind TEXT NOT NULL, id TEXT NOT NULL);
"""
