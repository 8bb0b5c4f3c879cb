"""The scoring definition over NumPy arrays: the simulator's evaluator.

This module applies :mod:`.definition` — the same steps, the same integer arithmetic — to
whole populations at once. It holds no rule of its own: :class:`KindTable` is the per-kind
table of a :class:`~.definition.CompiledPolicy` laid out as arrays (one row per ruled kind,
plus one all-zero row for every kind that carries no points), and every function reads it.

* :func:`evaluate` — batch form: record arrays (kind code, ``occurred_at_us``, amount, dense
  subject id, optionally ``recorded_at_us``) → per-subject totals, dimension sums and grade
  codes at ``as_of``, and each sector scheme's grade codes (step 7), equal to
  :func:`socialcredit.scoring._engine.evaluate` subject by subject
  (``tests/test_scoring_vectorised.py`` and ``tests/test_sector_grades.py`` prove it on random
  records).
* :class:`RunningScores` — incremental form for the simulator: records arrive step by step
  (a step is a fixed span of policy time), each agent's running sum of active points is kept,
  and records leave it through an expiry ring buffer keyed by step. Records can also be
  withdrawn early (a dispute upheld, a restoration). Linear decay, which a running sum cannot
  carry, is evaluated exactly over the retained active records.

Integers are ``int64`` throughout. Where the product ``|raw| * remaining_us`` of linear decay
(or ``|per_unit| * units``) could leave 64 bits for a policy's table, the table falls back to
Python integers (``object`` arrays): slower, still exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from socialcredit.scoring._definition import CompiledPolicy, FeatureTerms, SchemeTerms

__all__ = [
    "KindTable",
    "RunningScores",
    "VectorScores",
    "bin_points",
    "evaluate",
    "feature_counts",
    "record_points",
    "sector_grade_codes",
]

_INT64_SAFE = 2**62
_LOOKUP_LIMIT = 1_000_000


@dataclass(frozen=True, eq=False)
class KindTable:
    """A compiled policy's per-kind terms as arrays, indexed by kind code.

    Codes ``0 .. len(kinds) - 1`` are the ruled kinds in sorted order, then the kinds only
    binned rules count or sector schemes watch (all-zero rows, never active by themselves);
    code ``len(kinds)``
    (:attr:`neutral`) stands for every other kind (its row never counts).

    Attributes:
        policy: the compiled policy the table was read from.
        kinds: ruled kind ids, in code order.
        points, per_unit, cap, expiry_us: ``int64`` columns of :class:`~.definition.KindTerms`.
        linear: ``bool`` column.
        dimension: ``int64`` index into ``policy.dimensions`` (neutral row: 0, never used).
        exact: ``False`` when products may overflow 64 bits (Python integers are used then).
    """

    policy: CompiledPolicy
    kinds: tuple[str, ...]
    points: np.ndarray
    per_unit: np.ndarray
    cap: np.ndarray
    expiry_us: np.ndarray
    linear: np.ndarray
    dimension: np.ndarray
    exact: bool
    _codes: dict[str, int] = field(repr=False)

    @classmethod
    def of(cls, policy: CompiledPolicy) -> KindTable:
        """Lay out ``policy``'s per-kind terms (a neutral all-zero row is appended)."""
        counted = {k for f in policy.features for k in f.expiry_us}
        counted |= {k for s in policy.schemes for k in s.history}  # sector history, triggers
        kinds = tuple(sorted(policy.kinds)) + tuple(sorted(counted - set(policy.kinds)))
        terms = [policy.kinds[k] for k in sorted(policy.kinds)]
        pad = [0] * (len(kinds) - len(terms) + 1)  # binned-only kinds, then the neutral row

        def column(name: str) -> np.ndarray:
            return np.array([int(getattr(t, name)) for t in terms] + pad, dtype=np.int64)

        dims = {d: i for i, d in enumerate(policy.dimensions)}
        for t in terms:
            dims.setdefault(t.dimension, len(dims))
        magnitude = max([abs(t.points) + abs(t.per_unit) * max(t.cap, 1) for t in terms] + [0])
        longest = max([t.expiry_us for t in terms] + [0])
        return cls(
            policy=policy,
            kinds=kinds,
            points=column("points"),
            per_unit=column("per_unit"),
            cap=column("cap"),
            expiry_us=column("expiry_us"),
            linear=np.array([t.linear for t in terms] + [False] * len(pad), dtype=bool),
            dimension=np.array([dims[t.dimension] for t in terms] + pad, dtype=np.int64),
            exact=magnitude * max(longest, 1) < _INT64_SAFE,
            _codes={k: i for i, k in enumerate(kinds)},
        )

    @property
    def neutral(self) -> int:
        """The code of every kind that carries no points."""
        return len(self.kinds)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Dimension names, in the order of :attr:`dimension` codes."""
        names = list(self.policy.dimensions)
        extra = [self.policy.kinds[k].dimension for k in self.kinds if k in self.policy.kinds]
        for name in extra + [f.dimension for f in self.policy.features]:
            if name not in names:
                names.append(name)
        return tuple(names)

    def code(self, kind: str) -> int:
        """The code of ``kind`` (:attr:`neutral` for a kind without points)."""
        return self._codes.get(kind, self.neutral)

    def encode(self, kinds: Sequence[str]) -> np.ndarray:
        """Codes of many kind ids, as ``int64``."""
        return np.array([self.code(k) for k in kinds], dtype=np.int64)

    def grade_codes(self, totals: np.ndarray) -> np.ndarray:
        """Index into ``policy.grades`` (best first) of every (clamped) total."""
        clamped = np.clip(totals, self.policy.low, self.policy.high)
        if self.policy.high - self.policy.low <= _LOOKUP_LIMIT:  # one lookup per agent
            return self._grade_lookup[clamped - self.policy.low]
        return self._grade_search(clamped)

    def _grade_search(self, clamped: np.ndarray) -> np.ndarray:
        mins = np.array([b.min for b in self.policy.grades], dtype=np.int64)
        order = np.argsort(mins)  # bands tile the bounds: the last band whose min <= total
        pos = np.searchsorted(mins[order], clamped, side="right") - 1
        return np.asarray(order[np.maximum(pos, 0)], dtype=np.int64)

    @cached_property
    def _grade_lookup(self) -> np.ndarray:
        every = np.arange(self.policy.low, self.policy.high + 1, dtype=np.int64)
        return self._grade_search(every).astype(np.int8)

    def _ints(self, a: np.ndarray) -> np.ndarray:
        return a if self.exact else a.astype(object)


def raw_points(table: KindTable, kind: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Undecayed points of every record (step 3); ``amount`` uses 0 for a missing amount."""
    per_unit = table._ints(table.per_unit[kind])
    cap = table._ints(table.cap[kind])
    units = np.minimum(table._ints(np.asarray(amount, dtype=np.int64)), cap)
    per = np.sign(per_unit) * np.minimum(np.abs(per_unit) * units, cap)
    return np.where(per_unit == 0, table._ints(table.points[kind]), per)


def _decayed(
    table: KindTable, kind: np.ndarray, raw: np.ndarray, occurred_us: np.ndarray, as_of_us: int
) -> np.ndarray:
    """Step 4 for active records: truncation toward zero by non-negative floor division."""
    expiry = table._ints(table.expiry_us[kind])
    remaining = table._ints(occurred_us) + expiry - as_of_us
    safe = np.where(expiry > 0, expiry, 1)
    faded = np.sign(raw) * ((np.abs(raw) * remaining) // safe)
    return np.where(table.linear[kind], faded, raw)


def record_points(
    table: KindTable,
    kind: np.ndarray,
    amount: np.ndarray,
    occurred_us: np.ndarray,
    as_of_us: int,
) -> np.ndarray:
    """Points every record contributes at ``as_of_us`` (0 if neutral or inactive), ``int64``."""
    kind = np.asarray(kind, dtype=np.int64)
    occurred_us = np.asarray(occurred_us, dtype=np.int64)
    expiry = table.expiry_us[kind]
    active = (occurred_us <= as_of_us) & (as_of_us - occurred_us < expiry)
    points = _decayed(table, kind, raw_points(table, kind, amount), occurred_us, as_of_us)
    return np.where(active, points, 0)


@dataclass(frozen=True, slots=True)
class VectorScores:
    """Per-subject results of :func:`evaluate`.

    Attributes:
        totals: clamped totals, ``int64``, one per subject.
        dimensions: ``(subjects, dimensions)`` sums, columns in ``table.dimensions`` order.
        grades: grade codes (index into ``policy.grades``, best first).
        sector_grades: per scheme id, grade codes (index into the scheme's ``grades``; -1:
            not graded, the subject's kind is not one the scheme grades).
    """

    totals: np.ndarray
    dimensions: np.ndarray
    grades: np.ndarray
    sector_grades: dict[str, np.ndarray] = field(default_factory=dict)


def evaluate(
    table: KindTable,
    subject: np.ndarray,
    kind: np.ndarray,
    amount: np.ndarray,
    occurred_us: np.ndarray,
    n_subjects: int,
    as_of_us: int,
    *,
    recorded_us: np.ndarray | None = None,
    known_at_us: int | None = None,
    subject_kinds: np.ndarray | None = None,
) -> VectorScores:
    """The definition applied to every subject's records at once.

    Records with ``recorded_us > known_at_us`` are left out, as the per-subject engine does
    (both ``None``: every record is known). Subjects without records get the base score.
    ``subject_kinds`` gives each subject's kind (``person``/``organisation``); a sector scheme
    gives grade code -1 to subjects of a kind it does not grade. Without it every scheme
    grades every subject (a population of one kind the schemes grade, as the lab's).

    Raises:
        ValueError: if the arrays differ in length, or a subject id is outside
            ``[0, n_subjects)``.
    """
    subject = np.asarray(subject, dtype=np.int64)
    arrays = (kind, amount, occurred_us) + (() if recorded_us is None else (recorded_us,))
    if any(np.shape(a) != subject.shape for a in arrays):
        raise ValueError("record arrays must all have the same length")
    if subject.size and (subject.min() < 0 or subject.max() >= n_subjects):
        raise ValueError(f"subject ids must lie in [0, {n_subjects})")
    points = record_points(table, kind, amount, occurred_us, as_of_us)
    if recorded_us is not None and known_at_us is not None:
        points = np.where(np.asarray(recorded_us) <= known_at_us, points, 0)
    n_dims = len(table.dimensions)
    cell = subject * n_dims + table.dimension[np.asarray(kind, dtype=np.int64)]
    dims = _int_bincount(cell, points, n_subjects * n_dims).reshape(n_subjects, n_dims)
    known = None if recorded_us is None or known_at_us is None else recorded_us <= known_at_us
    binned = np.zeros((n_subjects, len(table.policy.features)), dtype=np.int64)
    if table.policy.features:
        counts = feature_counts(table, subject, kind, occurred_us, n_subjects, as_of_us, known)
        for i, feature in enumerate(table.policy.features):
            column = table.dimensions.index(feature.dimension)
            binned[:, i] = bin_points(feature, counts[:, i])
            dims[:, column] += binned[:, i].astype(dims.dtype)
    totals = np.clip(table.policy.base + dims.sum(axis=1), table.policy.low, table.policy.high)
    records = _Records(subject, np.asarray(kind, dtype=np.int64), points, occurred_us, known)
    sectors = {
        s.id: _graded(
            s, subject_kinds, sector_grade_codes(table, s, records, dims, n_subjects, as_of_us)
        )
        for s in table.policy.schemes
    }
    return VectorScores(totals, dims, table.grade_codes(totals), sectors)


@dataclass(frozen=True, slots=True)
class _Records:
    """Record arrays as :func:`evaluate` has them: dense subject, kind code, points now
    (step 4, 0 if unknown), occurrence, and which records are known (None: all)."""

    subject: np.ndarray
    kind: np.ndarray
    points: np.ndarray
    occurred_us: np.ndarray
    known: np.ndarray | None


def _graded(scheme: SchemeTerms, subject_kinds: np.ndarray | None, codes: np.ndarray) -> np.ndarray:
    """``codes`` with -1 for the subjects of a kind ``scheme`` does not grade."""
    if subject_kinds is None:
        return codes
    graded = np.isin(np.asarray(subject_kinds), sorted(scheme.subject_kinds))
    return np.where(graded, codes, -1)


def _kind_mask(table: KindTable, kinds: frozenset[str] | set[str]) -> np.ndarray:
    """A boolean row per kind code: whether the code stands for one of ``kinds``."""
    mask = np.zeros(table.neutral + 1, dtype=bool)
    for name in kinds:
        code = table.code(name)
        if code != table.neutral:
            mask[code] = True
    return mask


def sector_grade_codes(
    table: KindTable,
    scheme: SchemeTerms,
    records: _Records,
    dims: np.ndarray,
    n_subjects: int,
    as_of_us: int,
) -> np.ndarray:
    """Every subject's grade code in ``scheme`` (step 7), ``int64``: the same three steps as
    :func:`.definition.sector_grade` (trigger, else no history, else band), on arrays.

    The sector points are the dimension's column of ``dims`` (per-record and binned points,
    as :func:`evaluate` summed them) less the points of the scheme's excluded kinds."""
    ruled_here = {
        k for k in table.policy.kinds if table.policy.kinds[k].dimension == scheme.dimension
    }
    excluded_kinds = ruled_here - scheme.kinds
    # only the records of the kinds the scheme looks at (few of all): one gather, then subsets
    watched = _kind_mask(table, set(scheme.history) | set(scheme.triggers) | excluded_kinds)
    at = np.flatnonzero(watched[records.kind])
    subject, kind = records.subject[at], records.kind[at]
    age = as_of_us - np.asarray(records.occurred_us, dtype=np.int64)[at]
    happened = age >= 0
    if records.known is not None:
        happened &= records.known[at]
    points = np.asarray(dims[:, table.dimensions.index(scheme.dimension)], dtype=np.int64)
    if excluded_kinds:
        excluded = _kind_mask(table, excluded_kinds)[kind]
        less = np.asarray(records.points, dtype=np.int64)[at][excluded]
        points = points - np.bincount(subject[excluded], less, n_subjects).astype(np.int64)
    seen = _kind_mask(table, scheme.history)[kind] & happened
    known_to_sector = np.bincount(subject[seen], minlength=n_subjects) > 0
    trigger = np.full(n_subjects, -1, dtype=np.int64)
    if scheme.triggers:
        rank_of = np.full(table.neutral + 1, -1, dtype=np.int64)
        window_of = np.zeros(table.neutral + 1, dtype=np.int64)
        for name, (rank, window_us) in scheme.triggers.items():
            if table.code(name) != table.neutral:  # always true: KindTable.of adds them
                rank_of[table.code(name)], window_of[table.code(name)] = rank, window_us
        ranks = rank_of[kind]
        hit = (ranks >= 0) & happened & (age < window_of[kind])
        np.maximum.at(trigger, subject[hit], ranks[hit])
    score = np.clip(scheme.base + points, scheme.low, scheme.high)
    lows = np.array([low for low, _, _ in reversed(scheme.bands)], dtype=np.int64)  # ascending
    ranks = np.array([rank for _, _, rank in reversed(scheme.bands)], dtype=np.int64)
    band = ranks[np.searchsorted(lows, score, side="right") - 1]  # bands tile the bounds
    ranked = np.where(known_to_sector, band, scheme.no_history)
    return np.where(trigger >= 0, trigger, ranked)


def feature_counts(
    table: KindTable,
    subject: np.ndarray,
    kind: np.ndarray,
    occurred_us: np.ndarray,
    n_subjects: int,
    as_of_us: int | np.ndarray,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """Every subject's count for every binned rule (step 6): ``(subjects, features)``
    ``int64``, columns in policy order. ``known`` (optional) masks the records known;
    ``as_of_us`` may be one time or one per record (each "subject" then stands for a subject
    at a time of its own, as the scorecard's obligations at origination do).

    The count is what :func:`.definition.feature_counts` gives subject by subject; the
    scorecard learns from these very counts (:mod:`socialcredit.scorecard._features`).
    """
    subject = np.asarray(subject, dtype=np.int64)
    kind = np.asarray(kind, dtype=np.int64)
    occurred_us = np.asarray(occurred_us, dtype=np.int64)
    out = np.zeros((n_subjects, len(table.policy.features)), dtype=np.int64)
    for i, feature in enumerate(table.policy.features):
        expiry = np.zeros(table.neutral + 1, dtype=np.int64)
        for name, us in feature.expiry_us.items():
            expiry[table.code(name)] = us  # the neutral row stays 0: never active
        age = as_of_us - occurred_us
        active = (age >= 0) & (age < expiry[kind])
        if known is not None:
            active &= known
        out[:, i] = np.bincount(subject[active], minlength=n_subjects)
    return out


def bin_points(feature: FeatureTerms, counts: np.ndarray) -> np.ndarray:
    """The points of the bin every count falls in (step 6), ``int64``."""
    where = np.searchsorted(np.asarray(feature.uppers, dtype=np.int64), counts, side="left")
    return np.asarray(feature.points, dtype=np.int64)[where]


def _int_bincount(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of ``values`` by ``index`` (``bincount`` would go through floats)."""
    out = np.zeros(size, dtype=values.dtype)
    np.add.at(out, index, values)
    return out


@dataclass(eq=False, slots=True)
class _Chunk:
    """Records that leave the running sums at the same step: who, kind, raw points, the
    step each was filed at, a free cause label, whether it leaves by withdrawal, and the
    sequence number of the :meth:`RunningScores.file` call that filed it (restorations
    void the records filed before them, in the same step too)."""

    subject: np.ndarray
    kind: np.ndarray
    raw: np.ndarray
    filed: np.ndarray
    cause: np.ndarray
    early: np.ndarray
    seq: np.ndarray


_CHUNK_FIELDS = ("subject", "kind", "raw", "filed", "cause", "early", "seq")


def _merged(chunks: list[_Chunk]) -> _Chunk:
    """One chunk holding the records of ``chunks``, in order."""
    return _Chunk(*(np.concatenate([getattr(c, name) for c in chunks]) for name in _CHUNK_FIELDS))


class RunningScores:
    """Per-agent scores kept up to date step by step, by the definition, for the simulator.

    Step ``t`` stands for policy time ``origin_us + t * step_us``; a record filed at step
    ``s`` has ``occurred_at_us`` equal to that time. At step ``t`` (``as_of`` = its time) the
    record is active iff ``(t - s) * step_us < expiry_us``, i.e. for ``ceil(expiry_us /
    step_us)`` steps. Records sit in a ring buffer keyed by the step at which they leave, so
    :meth:`advance` touches only the records leaving at that step — by expiry, or earlier
    by a withdrawal fixed when filed (an upheld dispute); :meth:`withdraw` takes one record
    out at once (a granted credit repair). :meth:`restore` voids an agent's
    negative records at once (restoration) without scanning the buffer: a per-agent
    "restored at" step makes the void records skip their later retirement. Totals equal
    :func:`evaluate` on the live records at the same ``as_of`` (tested).

    Attributes:
        table: the policy table.
        n: number of agents.
        step_us: policy time per step, in microseconds.
        step: the current step.
        running: each agent's sum of the points of its live, non-decaying active records.
        negative: the negative part of ``running``.
        lifetime: steps a record of each kind code stays active.
    """

    def __init__(
        self, table: KindTable, n: int, step_us: int, origin_us: int = 0, *, expire: bool = True
    ) -> None:
        """Start every agent with no records; ``expire=False`` keeps records forever (a
        system without expiry: not the definition, a counterfactual for the simulator).

        Raises:
            ValueError: if ``n`` is negative or ``step_us`` is not positive, or the policy
                has binned rules (running sums are per record; use :func:`evaluate`).
        """
        if n < 0 or step_us <= 0:
            raise ValueError(f"n must be >= 0 and step_us > 0, got n={n}, step_us={step_us}")
        if table.policy.features:
            names = ", ".join(f.feature for f in table.policy.features)
            raise ValueError(f"running scores do not evaluate binned rules ({names})")
        self.table, self.n, self.step_us, self.origin_us = table, n, step_us, origin_us
        self.step = 0
        self.running = np.zeros(n, dtype=np.int64)
        self.negative = np.zeros(n, dtype=np.int64)
        self.expire = expire
        self.lifetime = -(-table.expiry_us // step_us)  # ceil: steps a record stays active
        self._restored = np.full(n, -1, dtype=np.int64)  # sequence number of the last restore
        self._clock = 0  # sequence of file and restore calls: orders them within a step
        self._ring: dict[int, list[_Chunk]] = {}

    def as_of_us(self, step: int | None = None) -> int:
        """Policy time of ``step`` (default: the current one)."""
        return self.origin_us + (self.step if step is None else step) * self.step_us

    def file(
        self,
        subject: np.ndarray,
        kind: np.ndarray,
        amount: np.ndarray | None = None,
        cause: np.ndarray | None = None,
        withdraw_after: np.ndarray | None = None,
    ) -> None:
        """File records occurring now (at the current step); kinds without points are ignored.

        Args:
            subject, kind, amount: dense agent ids, kind codes, amounts (default 0).
            cause: a free ``int8`` label kept with each record (default 0).
            withdraw_after: per record, the number of steps after which it is withdrawn
                (an upheld dispute) if it has not expired by then (0 counts as 1: a record
                counts at least in the step it is filed); negative: never.
        """
        kind = np.asarray(kind, dtype=np.int64)
        if kind.size == 0:
            return  # nothing filed: nothing changes
        amount = np.zeros(kind.size, dtype=np.int64) if amount is None else amount
        raw = raw_points(self.table, kind, amount).astype(np.int64)
        keep = raw != 0
        subject = np.asarray(subject, dtype=np.int64)[keep]
        kind, raw = kind[keep], raw[keep]
        cause = np.zeros(kind.size, np.int8) if cause is None else np.asarray(cause)[keep]
        plain = ~self.table.linear[kind]
        np.add.at(self.running, subject[plain], raw[plain])
        neg = plain & (raw < 0)
        np.add.at(self.negative, subject[neg], raw[neg])
        until = self.step + self.lifetime[kind] if self.expire else np.full(kind.size, 2**62)
        early = np.zeros(kind.size, dtype=bool)
        if withdraw_after is not None:
            after = np.asarray(withdraw_after, dtype=np.int64)[keep]
            after = np.where(after == 0, 1, after)  # a record counts for at least its step
            early = (after >= 0) & (self.step + after < until)
            until = np.where(early, self.step + after, until)
        if kind.size == 0:
            return  # only kinds without points: nothing to keep
        filed = np.full(kind.size, self.step, np.int64)
        self._clock += 1
        seq = np.full(kind.size, self._clock, np.int64)
        # one stable sort by leaving step, then a chunk per distinct step (records in order)
        order = np.argsort(until, kind="stable")
        keys, starts = np.unique(until[order], return_index=True)
        fields = [a[order] for a in (subject, kind, raw, filed, cause, early, seq)]
        bounds = [*starts.tolist(), kind.size]
        for i, key in enumerate(keys.tolist()):
            part = slice(bounds[i], bounds[i + 1])
            self._ring.setdefault(key, []).append(_Chunk(*(a[part] for a in fields)))

    def advance(self) -> int:
        """Move to the next step and retire the records leaving at it; returns how many of
        them left by withdrawal (not expiry)."""
        self.step += 1
        leaving = self._ring.pop(self.step, None)
        if not leaving:
            return 0
        chunk = leaving[0] if len(leaving) == 1 else _merged(leaving)
        live = chunk.seq > self._restored[chunk.subject]
        live |= chunk.raw > 0  # restoration voids negative records only
        plain = live & ~self.table.linear[chunk.kind]
        np.subtract.at(self.running, chunk.subject[plain], chunk.raw[plain])
        neg = plain & (chunk.raw < 0)
        np.subtract.at(self.negative, chunk.subject[neg], chunk.raw[neg])
        return int(np.count_nonzero(live & chunk.early))

    def restore(self, select: np.ndarray) -> int:
        """Void every live negative record of the agents where ``select`` holds (restoration,
        or deletion by a compromised official); returns how many agents had some."""
        who = np.flatnonzero(np.asarray(select, dtype=bool))
        negative = self.negative[who]
        had = int(np.count_nonzero(negative < 0))
        self.running[who] -= negative
        self.negative[who] = 0
        self._clock += 1
        self._restored[who] = self._clock
        return had

    def withdraw(
        self, subject: int, kind: int, filed: int, amount: int = 0, leaves: int | None = None
    ) -> bool:
        """Withdraw from now on one live record of agent ``subject`` with kind code ``kind``
        and ``amount``, filed at step ``filed`` (a granted credit repair: the engine's
        ``RecordWithdrawn``): its points leave the sums at once and it is never retired
        again. ``leaves``: the step an upheld dispute withdraws it at, if it was filed with
        one (``filed + max(withdraw_after, 1)``). Records of the same agent, kind, step,
        points and leaving step are interchangeable.

        Returns:
            False, changing nothing, if there is no such live record: expired, voided by a
            restoration, withdrawn already, or of a kind without points.
        """
        raw = int(raw_points(self.table, np.array([kind]), np.array([amount]))[0])
        until = filed + int(self.lifetime[kind]) if self.expire else 2**62
        key = until if leaves is None else min(until, leaves)
        if raw == 0 or key <= self.step or key not in self._ring:
            return False
        if not self._take(key, subject, kind, filed, raw):
            return False
        if not self.table.linear[kind]:  # decaying kinds are summed from the ring
            self.running[subject] -= raw
            self.negative[subject] -= min(raw, 0)
        return True

    def _take(self, key: int, subject: int, kind: int, filed: int, raw: int) -> bool:
        """Remove one live record matching the arguments from the chunks leaving at ``key``;
        returns whether there was one."""
        chunks = self._ring[key]
        for i, chunk in enumerate(chunks):
            match = (chunk.subject == subject) & (chunk.kind == kind) & (chunk.filed == filed)
            match &= chunk.raw == raw
            match &= (chunk.seq > self._restored[subject]) | (raw > 0)  # not voided
            found = np.flatnonzero(match)
            if found.size == 0:
                continue
            keep = np.ones(chunk.kind.size, dtype=bool)
            keep[found[0]] = False
            if keep.any():
                chunks[i] = _Chunk(*(getattr(chunk, name)[keep] for name in _CHUNK_FIELDS))
            else:
                del chunks[i]
            return True
        return False

    def points(self) -> np.ndarray:
        """Every agent's sum of active points now, before base and bounds (``int64``)."""
        if self.table.linear.any():
            return self.running + self._linear_points()
        return self.running

    def totals(self) -> np.ndarray:
        """Every agent's clamped total now (``int64``)."""
        policy = self.table.policy
        return np.clip(policy.base + self.points(), policy.low, policy.high)

    def live_records(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(subject, kind, raw, occurred_us)`` of every live record, for checks and reports."""
        chunks = [c for group in self._ring.values() for c in group]
        if not chunks:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        subject, kind, raw, filed, seq = (
            np.concatenate([getattr(c, name) for c in chunks])
            for name in ("subject", "kind", "raw", "filed", "seq")
        )
        live = (seq > self._restored[subject]) | (raw > 0)
        occurred = self.origin_us + filed[live] * self.step_us
        return subject[live], kind[live], raw[live], occurred

    def live_causes(self) -> np.ndarray:
        """The ``cause`` label of every live record."""
        chunks = [c for group in self._ring.values() for c in group]
        if not chunks:
            return np.zeros(0, dtype=np.int8)
        subject = np.concatenate([c.subject for c in chunks])
        raw = np.concatenate([c.raw for c in chunks])
        seq = np.concatenate([c.seq for c in chunks])
        live = (seq > self._restored[subject]) | (raw > 0)
        return np.concatenate([c.cause for c in chunks])[live]

    def live_count(self) -> int:
        """Number of live records."""
        return int(self.live_records()[0].size)

    def _linear_points(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.int64)
        now = self.as_of_us()
        for group in self._ring.values():
            for chunk in group:
                sel = self.table.linear[chunk.kind]
                sel &= (chunk.seq > self._restored[chunk.subject]) | (chunk.raw > 0)
                if sel.any():
                    occurred = self.origin_us + chunk.filed[sel] * self.step_us
                    pts = _decayed(self.table, chunk.kind[sel], chunk.raw[sel], occurred, now)
                    np.add.at(out, chunk.subject[sel], pts.astype(np.int64))
        return out
