"""Tampering against the real Merkle log: detection by verification, not by a constant.

:class:`AuditedLog` keeps a small RFC 6962 log of the run's records (``leaves_per_step``
leaves a step, each the leaf hash of a record's bytes) with the real functions of
:mod:`socialcredit.ledger._merkle`. A witness cosigns the log's checkpoint (size, root) every
``witness_every`` steps. A compromised official tries one of three things against a record
filed ``age`` steps ago (``age`` uniform over ``lookback`` steps):

* **alter** it (the leaf's bytes change), **delete** it (the leaf disappears, later leaves
  move up) — the effect: the subject's negative record is gone;
* **back-date** a fabricated negative record (a leaf inserted at the position of the
  claimed date) — the effect: a false record the subject never earned.

The tampered log is then checked the way the ledger's clients check it: the witness's
checkpoint against the tampered log by a consistency proof (``verify_consistency``), and,
with ``audit_rate``, the subject's receipt — an inclusion proof of its original leaf
(``verify_inclusion``). An attempt is detected when a check fails; nothing else decides.
Tampering with leaves the witness has not yet cosigned passes the consistency check, so
what is caught depends on the witness policy and the audit rate.

A fake positive rating cites an interaction receipt that does not exist; with ``audit_rate``
its inclusion proof is checked against the witnessed checkpoint (and fails).
"""

from __future__ import annotations

import hashlib

import numpy as np

from socialcredit.ledger import (
    GetNode,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

__all__ = ["ALTER", "BACKDATE", "DELETE", "AuditedLog"]

ALTER, DELETE, BACKDATE = 0, 1, 2


def _getter(leaves: list[bytes]) -> GetNode:
    """``get_node(level, index)`` over a list of leaf hashes (perfect subtrees only)."""

    def get_node(level: int, index: int) -> bytes:
        start = index << level
        return root_from_leaf_hashes(leaves[start : start + (1 << level)])

    return get_node


class AuditedLog:
    """A small real Merkle log with a witness and audits (see the module docstring)."""

    def __init__(
        self, *, witness_every: int, audit_rate: float, leaves_per_step: int = 4, lookback: int = 13
    ) -> None:
        """An empty log; nothing is witnessed yet."""
        self.witness_every, self.audit_rate = witness_every, audit_rate
        self.per_step, self.lookback = leaves_per_step, lookback
        self.leaves: list[bytes] = []
        self.witnessed = (0, root_from_leaf_hashes([]))
        self._memo: dict[tuple[int, int, bool], bool] = {}

    def append_step(self, step: int) -> None:
        """Append this step's records; the witness cosigns every ``witness_every`` steps.

        The witness checks consistency with its previous checkpoint before cosigning (the
        log is honest here: undetected tampering was rolled into it as the operator wished).
        """
        for slot in range(self.per_step):
            self.leaves.append(leaf_hash(b"record %d/%d" % (step, slot)))
        self._memo.clear()
        if (step + 1) % self.witness_every == 0:
            size, root = self.witnessed
            now = root_from_leaf_hashes(self.leaves)
            proof = consistency_proof(size, len(self.leaves), _getter(self.leaves))
            if verify_consistency(size, len(self.leaves), root, now, proof):
                self.witnessed = (len(self.leaves), now)

    def detected(self, action: int, position: int, audited: bool) -> bool:
        """Whether tampering ``action`` at leaf ``position`` fails a check (memoised)."""
        key = (action, position, audited)
        if key not in self._memo:
            self._memo[key] = self._check(action, position, audited)
        return self._memo[key]

    def _check(self, action: int, position: int, audited: bool) -> bool:
        original = self.leaves[position]
        tampered = list(self.leaves)
        if action == ALTER:
            tampered[position] = leaf_hash(b"altered " + original)
        elif action == DELETE:
            del tampered[position]
        else:
            tampered.insert(position, leaf_hash(b"back-dated %d" % position))
        get, size, root = _getter(tampered), len(tampered), root_from_leaf_hashes(tampered)
        w_size, w_root = self.witnessed
        if w_size <= size:
            proof = consistency_proof(w_size, size, get)
            if not verify_consistency(w_size, size, w_root, root, proof):
                return True
        else:
            return True  # the log shrank below the witnessed size
        if audited and action != BACKDATE and position < size:
            proof = inclusion_proof(position, size, get)
            return not verify_inclusion(original, position, size, proof, root)
        return False

    def positions(self, step: int, count: int, rng: np.random.Generator) -> np.ndarray:
        """Leaf positions of ``count`` records filed up to ``lookback`` steps ago."""
        first = max(0, step + 1 - self.lookback) * self.per_step
        return rng.integers(first, len(self.leaves), count)

    def fake_rating_caught(self) -> bool:
        """Whether an audited fake rating's cited receipt fails its inclusion proof."""
        size, root = self.witnessed
        if size == 0:
            return True  # nothing witnessed: no receipt can verify
        cited = leaf_hash(hashlib.sha256(b"no such interaction").digest())
        proof = inclusion_proof(0, size, _getter(self.leaves))
        return not verify_inclusion(cited, 0, size, proof, root)
