"""The article's mechanics, each a vectorised function over one step.

Informants, manipulation and ostracism act on the records and the network; association
contagion and expression penalties are scored through a separate, simulator-only table of
"not lawful" kinds (:func:`not_lawful_table`) by the same scoring definition — the real
engine refuses them at catalogue level, so they never enter a policy bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from socialcredit.catalogue import Gravity
from socialcredit.policy import GradeBand
from socialcredit.scoring import CompiledPolicy, KindTable, KindTerms
from socialcredit.simulation._edges import edge_keys
from socialcredit.simulation._ledger_audit import BACKDATE, AuditedLog
from socialcredit.simulation._networks import Network
from socialcredit.simulation._scenario import Informants, Manipulation, NotLawfulPoints
from socialcredit.simulation._sparse import random_neighbours
from socialcredit.timeutil import DAY_US

__all__ = [
    "ManipulationOutcome",
    "Reports",
    "inform",
    "manipulate",
    "not_lawful_table",
    "ostracism_cuts",
]

NOT_LAWFUL = ("association_penalty", "expression_penalty", "informant_reward")


def not_lawful_table(points: NotLawfulPoints) -> KindTable:
    """The simulator-only kinds (NOT LAWFUL in the engine) as a policy table of their own.

    ``association_penalty`` is per unit (one unit per low-score neighbour), capped; the
    others are fixed. Base 0 and unbounded: these points are added to the lawful ones.
    """
    expiry = points.expiry_days * DAY_US

    def terms(kind: str, fixed: int, per_unit: int = 0, cap: int = 0) -> KindTerms:
        gravity = Gravity.POSITIVE if fixed > 0 else Gravity.GENERAL
        return KindTerms(kind, "not_lawful", gravity, fixed, per_unit, cap, expiry, False)

    per_unit = points.association
    kinds = {
        "association_penalty": terms("association_penalty", 0, per_unit, points.association_cap),
        "expression_penalty": terms("expression_penalty", points.expression),
        "informant_reward": terms("informant_reward", points.informant_reward),
    }
    if per_unit == 0:
        kinds["association_penalty"] = terms("association_penalty", 0)
    big = 2**40
    policy = CompiledPolicy(
        0, -big, big, ("not_lawful",), MappingProxyType(kinds), (GradeBand("-", -big, big),)
    )
    return KindTable.of(policy)


@dataclass(frozen=True, slots=True)
class Reports:
    """One step's informant reports: who reported whom, and whether the report was true."""

    informant: np.ndarray
    target: np.ndarray
    true: np.ndarray


def inform(
    network: Network,
    informants: np.ndarray,
    violated: np.ndarray,
    params: Informants,
    rng: np.random.Generator,
) -> Reports:
    """Each informant watches one random neighbour: reports a violation with
    ``report_rate``, and a compliant neighbour falsely with ``false_rate``."""
    who = informants[network.degree[informants] > 0]
    target = random_neighbours(network, who, rng.random(who.size))
    bad = violated[target]
    p = np.where(bad, params.report_rate, params.false_rate)
    go = rng.random(who.size) < p
    return Reports(who[go], target[go], bad[go])


@dataclass(frozen=True, slots=True)
class ManipulationOutcome:
    """What manipulation did in a step.

    Attributes:
        keep: which candidate records survive bribery (boolean per candidate record).
        fakes: agents whose fake positive record was filed.
        deleted: agents whose negative records a compromised official deleted.
        planted: agents who got a planted negative record.
        attempts: attempts of every kind this step.
        successes: attempts that stuck (not detected).
    """

    keep: np.ndarray
    fakes: np.ndarray
    deleted: np.ndarray
    planted: np.ndarray
    attempts: int
    successes: int


def manipulate(
    gamers: np.ndarray,
    candidate_subject: np.ndarray,
    candidate_negative: np.ndarray,
    params: Manipulation,
    rng: np.random.Generator,
    log: AuditedLog | None,
    step: int,
) -> ManipulationOutcome:
    """Fake ratings, bribery and tampering for one step.

    Gamers (a boolean mask) buy a fake positive record with ``fake_rate``; with ledger
    verification (``log``) an audited one (``audit_rate``) is caught when its cited receipt
    fails its inclusion proof. A gamer facing a negative record bribes the official with
    ``bribe_rate``, who drops it with ``bribe_success`` (filing happens before the ledger,
    so verification cannot help). A compromised official tampers with the records of
    ``2 * tamper_rate`` of the agents: half the time it alters or deletes one of their
    records (their negative records go), half the time it back-dates a fabricated negative
    one. Against the ledger each attempt is run on the real Merkle log and undone when a
    check fails (:class:`~._ledger_audit.AuditedLog`); without it nothing is detected.
    """
    n = gamers.size
    buyers = np.flatnonzero(gamers & (rng.random(n, dtype=np.float32) < params.fake_rate))
    caught = np.zeros(buyers.size, dtype=bool)
    if log is not None:
        audited = rng.random(buyers.size) < params.audit_rate
        caught = audited & log.fake_rating_caught()
    fakes = buyers[~caught]
    bribing = candidate_negative & gamers[candidate_subject]
    bribing &= rng.random(bribing.size) < params.bribe_rate
    dropped = bribing & (rng.random(bribing.size) < params.bribe_success)
    tampered = np.flatnonzero(rng.random(n, dtype=np.float32) < 2 * params.tamper_rate)
    action = rng.integers(0, 4, tampered.size)  # 0 alter, 1 delete, 2-3 back-date
    action = np.minimum(action, BACKDATE)
    stuck = np.ones(tampered.size, dtype=bool)
    if log is not None and tampered.size:
        where = log.positions(step, tampered.size, rng)
        audited = rng.random(tampered.size) < params.audit_rate
        stuck = ~np.array(
            [
                log.detected(int(a), int(w), bool(c))
                for a, w, c in zip(action, where, audited, strict=True)
            ],
            dtype=bool,
        )
    deleted = tampered[stuck & (action != BACKDATE)]
    planted = tampered[stuck & (action == BACKDATE)]
    attempts = buyers.size + int(bribing.sum()) + tampered.size
    successes = fakes.size + int(dropped.sum()) + deleted.size + planted.size
    return ManipulationOutcome(~dropped, fakes, deleted, planted, attempts, successes)


def ostracism_cuts(
    network: Network, low: np.ndarray, rate: float, rng: np.random.Generator
) -> np.ndarray:
    """Ties cut by agents who are not low-score from a low-score neighbour.

    Each agent with a neighbour, with probability ``rate``, looks at one random neighbour
    and cuts the tie if that neighbour is low and itself is not. Returns a ``(k, 2)``
    array of distinct edges ``(cutter, cut)`` for :func:`~.rewiring.rewire`.
    """
    who = np.flatnonzero((network.degree > 0) & ~low & (rng.random(network.n) < rate))
    other = random_neighbours(network, who, rng.random(who.size))
    cut = low[other]
    u, v = who[cut], other[cut]
    _, first = np.unique(edge_keys(u, v, network.n), return_index=True)
    return np.stack([u[first], v[first]], axis=1)
