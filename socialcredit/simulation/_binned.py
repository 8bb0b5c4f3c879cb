"""Binned rules (step 6 of the scoring definition) kept step by step for the simulator.

:class:`~socialcredit.scoring._vectorised.RunningScores` keeps per-record points and refuses a
policy with binned rules; the lab scores such a bundle (a learned scorecard, issue 21) by
splitting it: the per-record rules run in ``RunningScores`` over :func:`per_record_table`,
and :class:`BinnedCounts` keeps each agent's count of active records of every binned rule,
with the same lifetimes (a record counts for ``ceil(expiry / step)`` steps), the same
withdrawals (upheld disputes, granted repairs) and the same restoration (negative records
voided). The points of the counts are read with
:func:`socialcredit.scoring._vectorised.bin_points`, the definition's own bin lookup, and added
before the clamp, as step 6 says. The sum equals the per-subject engine on the same records
(``tests/simulation/test_lab_whole_bundle.py``, ``test_lab_withdraw.py``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from socialcredit.scoring import KindTable, bin_points_array

__all__ = ["BinnedCounts", "per_record_table"]


def per_record_table(table: KindTable) -> KindTable:
    """``table``'s policy without its binned rules, for ``RunningScores``.

    Ruled kinds keep their codes (they come first in both tables); a kind only binned rules
    count has a code at or above the new table's neutral code: clip codes with
    ``np.minimum(code, result.neutral)`` before filing.
    """
    policy = dataclasses.replace(table.policy, features=(), counted={})
    return KindTable.of(policy)


class BinnedCounts:
    """Every agent's count of active records for every binned rule of ``table``'s policy.

    Attributes:
        counts: ``(n, rules)`` ``int64`` counts of active records.
    """

    def __init__(self, table: KindTable, n: int, step_us: int, *, expire: bool = True) -> None:
        """Start with no records.

        Raises:
            ValueError: if the policy has no binned rules.
        """
        features = table.policy.features
        if not features:
            raise ValueError("the policy has no binned rules")
        self.table, self.n, self.step = table, n, 0
        self.counts = np.zeros((n, len(features)), dtype=np.int64)
        size = table.neutral + 1
        self._rule = np.full(size, -1, dtype=np.int64)  # kind code -> binned rule (-1: none)
        self._life = np.zeros(size, dtype=np.int64)  # kind code -> steps a record counts
        self._negative = np.zeros(len(features), dtype=bool)
        #: per kind code, whether a binned rule with negative points counts it
        self.negative_kind = np.zeros(size, dtype=bool)
        for i, feature in enumerate(features):
            self._negative[i] = min(feature.points) < 0
            for kind, expiry_us in feature.expiry_us.items():
                code = table.code(kind)
                self._rule[code] = i
                self._life[code] = -(-expiry_us // step_us) if expire else 2**40
                self.negative_kind[code] = self._negative[i]
        self._restored = np.full(n, -1, dtype=np.int64)  # sequence number of the last restore
        self._clock = 0  # sequence of file and restore calls: orders them within a step
        # by the step records leave at: (subject, kind code, filed step, file call's sequence)
        self._ring: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}

    def file(
        self, subject: np.ndarray, kind: np.ndarray, withdraw_after: np.ndarray | None = None
    ) -> None:
        """Count records filed now (kind codes of ``table``); ``withdraw_after`` as in
        :meth:`RunningScores.file <socialcredit.scoring._vectorised.RunningScores.file>`."""
        kind = np.asarray(kind, dtype=np.int64)
        rule = self._rule[kind]
        keep = rule >= 0
        if not keep.any():
            return
        subject, rule, kind = np.asarray(subject, dtype=np.int64)[keep], rule[keep], kind[keep]
        until = self.step + self._life[kind]
        if withdraw_after is not None:
            after = np.asarray(withdraw_after, dtype=np.int64)[keep]
            after = np.where(after == 0, 1, after)
            until = np.where((after >= 0) & (self.step + after < until), self.step + after, until)
        np.add.at(self.counts, (subject, rule), 1)
        filed = np.full(subject.size, self.step, dtype=np.int64)
        self._clock += 1
        seq = np.full(subject.size, self._clock, dtype=np.int64)
        for key in np.unique(until).tolist():
            at = until == key
            self._ring.setdefault(key, []).append((subject[at], kind[at], filed[at], seq[at]))

    def advance(self) -> None:
        """Move to the next step; records leaving at it stop counting."""
        self.step += 1
        for subject, kind, _, seq in self._ring.pop(self.step, []):
            rule = self._rule[kind]
            live = (seq > self._restored[subject]) | ~self._negative[rule]
            np.subtract.at(self.counts, (subject[live], rule[live]), 1)

    def restore(self, select: np.ndarray) -> None:
        """Void the counted negative records of the agents where ``select`` holds (as
        ``RunningScores.restore`` voids their negative records)."""
        who = np.flatnonzero(np.asarray(select, dtype=bool))
        self.counts[np.ix_(who, np.flatnonzero(self._negative))] = 0
        self._clock += 1
        self._restored[who] = self._clock

    def withdraw(self, subject: int, kind: int, filed: int, leaves: int | None = None) -> bool:
        """Stop counting from now on one live record of agent ``subject`` with kind code
        ``kind`` filed at step ``filed`` (a granted credit repair), as
        :meth:`RunningScores.withdraw <socialcredit.scoring._vectorised.RunningScores.withdraw>`
        takes its points out (``leaves`` as there).

        Returns:
            False, changing nothing, if no binned rule counts the kind or there is no such
            live record (expired, voided by a restoration, withdrawn already).
        """
        rule = int(self._rule[kind])
        until = filed + int(self._life[kind])
        key = until if leaves is None else min(until, leaves)
        if rule < 0 or key <= self.step or key not in self._ring:
            return False
        if not self._take(key, subject, kind, filed):
            return False
        self.counts[subject, rule] -= 1
        return True

    def _take(self, key: int, subject: int, kind: int, filed: int) -> bool:
        """Remove one live record matching the arguments from those leaving at ``key``;
        returns whether there was one."""
        voidable = self._negative[self._rule[kind]]  # a restoration voids it
        parts = self._ring[key]
        for i, (who, kinds, steps, seq) in enumerate(parts):
            match = (who == subject) & (kinds == kind) & (steps == filed)
            if voidable:
                match &= seq > self._restored[subject]
            found = np.flatnonzero(match)
            if found.size:
                keep = np.ones(who.size, dtype=bool)
                keep[found[0]] = False
                parts[i] = (who[keep], kinds[keep], steps[keep], seq[keep])
                return True
        return False

    def points(self) -> np.ndarray:
        """Every agent's points from its counts, summed over the binned rules (``int64``)."""
        out = np.zeros(self.n, dtype=np.int64)
        for i, feature in enumerate(self.table.policy.features):
            out += bin_points_array(feature, self.counts[:, i])
        return out

    def marginal(self, kind: int) -> int:
        """Points one more record of kind code ``kind`` brings an agent with none (0 if no
        binned rule counts the kind)."""
        rule = int(self._rule[kind])
        if rule < 0:
            return 0
        feature = self.table.policy.features[rule]
        return int(bin_points_array(feature, np.array([1]))[0])

    def live_records(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(subject, kind code, filed step)`` of every counted record still live."""
        parts = [p for group in self._ring.values() for p in group]
        if not parts:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z
        subject, kind, filed, seq = (np.concatenate([p[i] for p in parts]) for i in range(4))
        live = (seq > self._restored[subject]) | ~self._negative[self._rule[kind]]
        return subject[live], kind[live], filed[live]
