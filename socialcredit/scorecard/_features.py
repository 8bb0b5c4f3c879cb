"""The scorecard's features: binned rules' counts, computed by the one scoring definition.

A candidate feature *is* a binned rule (:class:`~socialcredit.policy._scoring.BinnedRule`) over
one record kind: the count of the subject's own active records of that kind. The counts the
scorecard learns from are computed by :func:`socialcredit.scoring._vectorised.feature_counts`
on the policy compiled with those rules, so a published scorecard scores exactly the counts
it was fitted on.

Only kinds the taxonomy allows for a credit decision are candidates: scored (non-neutral)
kinds of the bundle's catalogue in the contexts of :data:`CREDIT_CONTEXTS`, each already
screened by the prohibited-grounds firewall when the catalogue loaded and screened again here.
A record is always the subject's own (the taxonomy has no kind about anyone else), so no
feature can reach other people, their scores or a prohibited ground.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from socialcredit.catalogue import Gravity, term_reasons
from socialcredit.policy import Bin, BinnedRule, PolicyBundle
from socialcredit.scoring import CompiledPolicy, KindTable, compile_policy, feature_counts_array

__all__ = ["CREDIT_CONTEXTS", "Candidate", "Sample", "candidates", "count_features"]

#: Contexts whose records may inform a credit decision: debts, court enforcement, tax.
CREDIT_CONTEXTS = frozenset({"finance", "judicial", "tax"})
_NEGATIVE = (Gravity.MINOR, Gravity.GENERAL, Gravity.SERIOUS)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate feature: the count of active records of ``kind``.

    Attributes:
        feature: the feature's name (``<kind>_count``).
        kind: the record kind counted.
        negative: whether the kind is negative (more records may only cost points).
    """

    feature: str
    kind: str
    negative: bool


@dataclass(frozen=True, eq=False)
class Sample:
    """Obligations with their features at origination and their outcomes.

    Attributes:
        counts: ``(obligations, candidates)`` ``int64`` counts, columns as ``candidates``.
        bad: per obligation, whether the outcome was bad.
        originated_us: per obligation, the origination time.
        obligor: per obligation, the dense number of its subject.
    """

    counts: np.ndarray
    bad: np.ndarray
    originated_us: np.ndarray
    obligor: np.ndarray

    def where(self, mask: np.ndarray) -> Sample:
        """The obligations where ``mask`` holds."""
        return Sample(
            self.counts[mask], self.bad[mask], self.originated_us[mask], self.obligor[mask]
        )


def candidates(bundle: PolicyBundle, kinds: set[str] | None = None) -> list[Candidate]:
    """The bundle's kinds that may be features, in catalogue order (optionally only ``kinds``).

    Raises:
        ValueError: if ``kinds`` names a kind that may not be a feature, saying why.
    """
    out: list[Candidate] = []
    for kind in bundle.catalogue:
        why = _refusal(bundle, kind.id)
        if why is None and (kinds is None or kind.id in kinds):
            out.append(Candidate(f"{kind.id}_count", kind.id, kind.gravity in _NEGATIVE))
    for name in sorted((kinds or set()) - {c.kind for c in out}):
        raise ValueError(f"kind {name!r} cannot be a feature: {_refusal(bundle, name)}")
    return out


def _refusal(bundle: PolicyBundle, kind_id: str) -> str | None:
    """Why ``kind_id`` cannot be a feature, or None if it can."""
    kind = bundle.catalogue.kinds.get(kind_id)
    if kind is None:
        return "not in the bundle's catalogue"
    if kind.gravity == Gravity.NEUTRAL or bundle.scoring.tier(kind.gravity) is None:
        return "a neutral kind carries no points"
    if kind.context not in CREDIT_CONTEXTS:
        return f"context {kind.context!r} is not one a credit decision may use"
    reasons = list(term_reasons(kind_id))
    return "; ".join(reasons) if reasons else None


def candidate_policy(
    bundle: PolicyBundle, found: list[Candidate], dimension: str
) -> CompiledPolicy:
    """``bundle``'s scoring with one placeholder binned rule per candidate, compiled."""
    rules = tuple(
        BinnedRule(c.feature, (c.kind,), dimension, (Bin(0, 0), Bin(None, -1 if c.negative else 1)))
        for c in found
    )
    scoring = dataclasses.replace(bundle.scoring, binned=rules)
    return compile_policy(scoring, bundle.catalogue)


def count_features(
    policy: CompiledPolicy,
    records: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    kinds: tuple[str, ...],
    obligor: np.ndarray,
    at_us: np.ndarray | int,
) -> np.ndarray:
    """Every binned rule's count for each ``(obligor, at)`` pair, as known at ``at``.

    Args:
        policy: a policy with binned rules (one column per rule, in policy order).
        records: ``(subject, kind, occurred_us, recorded_us)`` arrays, sorted by subject;
            ``kind`` indexes ``kinds``.
        kinds: the record kind ids.
        obligor: the dense subject number of each row asked about.
        at_us: the time of each row (or one time): records must be known then.
    """
    subject, kind, occurred, recorded = records
    table = KindTable.of(policy)
    codes = table.encode(kinds)[kind]
    first = np.searchsorted(subject, obligor, side="left")
    lengths = np.searchsorted(subject, obligor, side="right") - first
    row = np.repeat(np.arange(obligor.size), lengths)
    offsets = np.arange(row.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    pick = np.repeat(first, lengths) + offsets
    at = np.broadcast_to(np.asarray(at_us, dtype=np.int64), obligor.shape)[row]
    known = recorded[pick] <= at
    return feature_counts_array(table, row, codes[pick], occurred[pick], obligor.size, at, known)
