"""Sector grades in the lab (issue 20): every agent's grade in each sector scheme of the bundle
(the tax authority's A/B/M/C/D, the environmental green to red), by the one definition.

The grade of an agent is the engine's own (:func:`~socialcredit.consequences._sector_listings.
sector_grade_at`, step 7 of :mod:`socialcredit.scoring._definition`) over the agent's
effective records of the kinds the schemes watch, as :class:`~.whole_bundle.ListTracker`
keeps records for the lists: a record withdrawn after an upheld dispute leaves at its step,
and a restoration voids the agent's negative records (as
:meth:`~socialcredit.scoring._vectorised.RunningScores.restore` does for its score). An agent
is graded again only when its records change or a moment at which its grade may change comes
(:func:`~socialcredit.consequences._sector_listings.grade_moments`: a record's points, trigger
window or binned count ending), and every step while it holds a record that decays linearly.
A scheme does not grade agents of a kind it does not grade (code -1).
"""

from __future__ import annotations

import numpy as np

from socialcredit.consequences import grade_moments, sector_grade_at
from socialcredit.records import RecordRow
from socialcredit.scoring import CompiledPolicy, SchemeTerms

__all__ = ["SectorTracker", "watched_kinds"]

_FAR = 2**62
_KINDS = ("person", "organisation")


def watched_kinds(policy: CompiledPolicy) -> frozenset[str]:
    """Every kind whose records can change a sector grade of ``policy``: the kinds whose
    points count, the sector's history and triggers, and the kinds its binned rules count."""
    out: set[str] = set()
    for scheme in policy.schemes:
        out |= scheme.kinds | scheme.history | set(scheme.triggers)
        for index in scheme.features:
            out |= set(policy.features[index].expiry_us)
    return frozenset(out)


class SectorTracker:
    """Every agent's grade code in each scheme (an index into the scheme's grades; -1 for an
    agent of a kind the scheme does not grade).

    Attributes:
        schemes: the compiled schemes, in bundle order (columns of :attr:`codes`).
        codes: ``(n, schemes)`` grade codes now.
    """

    def __init__(
        self,
        policy: CompiledPolicy,
        names: tuple[str, ...],
        organisation: np.ndarray,
        origin_us: int,
        step_us: int,
    ) -> None:
        """Grade agents whose filings carry kinds ``names`` (local kind codes index it)."""
        self.policy, self.names = policy, names
        self.schemes: tuple[SchemeTerms, ...] = policy.schemes
        self.organisation, self.origin_us, self.step_us = organisation, origin_us, step_us
        watched = watched_kinds(policy)
        self._watched = np.array([name in watched for name in names], dtype=bool)
        self._negative = np.array([_negative(policy, name) for name in names], dtype=bool)
        self._linear = np.array(
            [name in policy.kinds and policy.kinds[name].linear for name in names], dtype=bool
        )
        n = organisation.size
        kind_of = np.where(organisation, 1, 0)
        self.codes = np.full((n, len(self.schemes)), -1, dtype=np.int16)
        for j, scheme in enumerate(self.schemes):
            graded = np.array([k in scheme.subject_kinds for k in _KINDS])[kind_of]
            self.codes[graded, j] = scheme.no_history  # no record of the sector yet
        self._rows: dict[int, list[tuple[RecordRow, int, int]]] = {}  # (row, leaves, code)
        self._next = np.full(n, _FAR, dtype=np.int64)  # when the agent's grades may change
        self._decaying = np.zeros(n, dtype=bool)
        self._wake: dict[int, list[int]] = {}
        self._position = 0

    def file(
        self, step: int, subject: np.ndarray, local: np.ndarray, amount: np.ndarray,
        leaves: np.ndarray,
    ) -> None:  # fmt: skip
        """Keep the records of watched kinds filed at ``step`` (``leaves``: the step at which
        each stops being effective after an upheld dispute, else far away)."""
        keep = self._watched[local]
        if not self.schemes or not keep.any():
            return
        now = self.origin_us + step * self.step_us
        for agent, code, value, until in zip(
            subject[keep].tolist(), local[keep].tolist(), amount[keep].tolist(),
            leaves[keep].tolist(), strict=True,
        ):  # fmt: skip
            row = RecordRow(
                self._position, _KINDS[int(self.organisation[agent])], str(agent),
                self.names[code], now, now, value,
            )  # fmt: skip
            self._position += 1
            self._rows.setdefault(agent, []).append((row, until, code))
            self._next[agent] = 0  # grade again now
            self._decaying[agent] |= bool(self._linear[code])
            if until < _FAR:
                self._wake.setdefault(until, []).append(agent)

    def restore(self, select: np.ndarray) -> None:
        """Void the negative records of the agents where ``select`` holds (restoration)."""
        for agent in np.flatnonzero(select).tolist():
            rows = self._rows.get(agent)
            if rows:
                self._rows[agent] = [r for r in rows if not self._negative[r[2]]]
                self._next[agent] = 0

    def withdraw(self, agent: int, kind: str, recorded_us: int, step: int) -> None:
        """Withdraw from ``step`` on the agent's effective record of ``kind`` filed at
        ``recorded_us`` (a granted repair), if the schemes watch that kind."""
        rows = self._rows.get(agent, [])
        for i, (row, until, code) in enumerate(rows):
            if row.kind == kind and row.recorded_at_us == recorded_us and until > step:
                rows[i] = (row, step, code)
                self._next[agent] = 0
                return

    def update(self, step: int) -> None:
        """Bring :attr:`codes` to ``step``."""
        if not self.schemes:
            return
        now = self.origin_us + step * self.step_us
        self._next[self._wake.pop(step, [])] = 0
        due = (self._next <= now) | self._decaying
        for agent in np.flatnonzero(due).tolist():
            self._grade(agent, step, now)

    def _grade(self, agent: int, step: int, now: int) -> None:
        """The agent's grade in every scheme that grades its kind, and when it may change."""
        rows = [row for row, until, _ in self._rows.get(agent, []) if until > step]
        kind = _KINDS[int(self.organisation[agent])]
        upcoming = _FAR
        for j, scheme in enumerate(self.schemes):
            grade = sector_grade_at(self.policy, scheme.id, rows, now, kind)
            if grade is None:
                continue
            self.codes[agent, j] = scheme.grades.index(grade)
            later = [m for m in grade_moments(scheme, self.policy, rows) if m > now]
            if later:
                upcoming = min(upcoming, later[0])
        self._next[agent] = upcoming

    def worst(self) -> np.ndarray:
        """Per scheme (column of :attr:`codes`), the code of its worst grade."""
        return np.array([len(s.grades) - 1 for s in self.schemes], dtype=np.int16)

    def shares(self) -> dict[str, np.ndarray]:
        """Per scheme id, the share of its graded agents holding each of its grades."""
        out = {}
        for j, scheme in enumerate(self.schemes):
            graded = self.codes[:, j][self.codes[:, j] >= 0]
            counts = np.bincount(graded, minlength=len(scheme.grades))
            out[scheme.id] = counts / max(graded.size, 1)
        return out


def _negative(policy: CompiledPolicy, kind: str) -> bool:
    """Whether a record of ``kind`` counts against its subject (restoration voids it)."""
    terms = policy.kinds.get(kind)
    return terms is not None and (terms.points < 0 or terms.per_unit < 0)
