"""The policy lab's measures of one step, from what the institution saw and did.

:func:`step_metrics` returns one flat dict per step (all floats; NaN where a measure is
undefined that step, e.g. a rate over an empty group, or a heavy measure on a step where it
is not computed). Names and meanings (also the column names of the result tables):

==========================  =================================================================
``cooperation``             share of agents cooperating in the game (compliance in the game)
``compliance``              share of obligations due this step that were met
``civic``                   share of agents doing a civic act
``trust``                   mean share invested in a neighbour in the trust game (learned from
                            the agent's own investments' outcomes)
``trust_strangers``         the same for investments in a random stranger
``trustworthiness``         share of this step's investments that were honoured
``fear``                    mean perceived detection probability of a violation (learned from
                            the records that followed violations the agent saw)
``self_censorship``         share of agents who would voice their opinion without any sanction
                            risk and do not (NaN when nobody would)
``score_mean``              mean score; ``score_gini`` its Gini (from the histogram)
``low_share``               share of low-score agents (``ostracism.low_grades``: B, C, D)
``low_degree_ratio``        mean degree of low-score agents over that of the others
``grade_mobility``          share of agents whose grade changed this step
``sector_worst_share``      share of the agents a sector scheme grades who hold its worst grade
                            (tax D, environmental red), over the bundle's schemes (whole-bundle
                            runs; NaN otherwise)
``false_positive_rate``     share of agents with no violation this step who got a false record
                            (one asserting conduct that did not happen: label error, false
                            informant report, planted by tampering)
``false_discovery_rate``    share of this step's negative records about the subject's conduct
                            that are false
``fdr_<cause>``             the same, counting one cause only (label_error, informant_false,
                            tampering)
``not_own_conduct``         share of agents who got a record not about their own conduct
                            (association penalties) this step
``speech_sanctioned``       share of agents penalised for voicing an opinion this step (true
                            records of lawful conduct the lawful engine refuses to score)
``reports``                 informant reports this step; ``report_precision`` share true
``manipulation_attempts``   attempts this step; ``manipulation_success`` share that stuck
``disputes_upheld``         false records withdrawn after a dispute this step
``welfare``                 mean payoff including measures
``payoff_gini``             Gini of payoffs shifted to a minimum of 0 (heavy)
``score_assortativity``     Newman assortativity of scores over ties (heavy)
``components``              connected components of the network (heavy)
==========================  =================================================================
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialcredit.simulation._metrics import assortativity, component_count, gini
from socialcredit.simulation._networks import Network

__all__ = ["METRIC_NAMES", "StepFacts", "step_metrics"]

_CAUSE_COLUMNS = {1: "label_error", 2: "informant_false", 3: "tampering"}
# a record is false when the conduct it asserts did not happen (observation.CAUSES)
_IS_FALSE = np.isin(np.arange(9), (1, 2, 3))
_ASSOCIATION, _EXPRESSION = 6, 7

METRIC_NAMES = (
    "cooperation",
    "compliance",
    "civic",
    "trust",
    "trust_strangers",
    "trustworthiness",
    "fear",
    "self_censorship",
    "score_mean",
    "score_gini",
    "low_share",
    "low_degree_ratio",
    "grade_mobility",
    "sector_worst_share",
    "false_positive_rate",
    "false_discovery_rate",
    *(f"fdr_{c}" for c in _CAUSE_COLUMNS.values()),
    "not_own_conduct",
    "speech_sanctioned",
    "reports",
    "report_precision",
    "manipulation_attempts",
    "manipulation_success",
    "disputes_upheld",
    "welfare",
    "payoff_gini",
    "score_assortativity",
    "components",
)


@dataclass(eq=False)
class StepFacts:
    """Everything a step's measures are computed from; the institution fills it in."""

    step: int
    network: Network
    strategy: np.ndarray
    payoff: np.ndarray
    conduct: Any
    fear: np.ndarray | None = None
    trust: Any = None
    betrayed: np.ndarray | None = None
    partner: np.ndarray | None = None
    records: tuple[np.ndarray, np.ndarray] | None = None
    extra_records: tuple[np.ndarray, np.ndarray] | None = None
    reports: Any = None
    manipulation: tuple[int, int] | None = None
    disputed: int = 0
    totals: np.ndarray | None = None
    grades: np.ndarray | None = None
    previous_grades: np.ndarray | None = None
    low: np.ndarray | None = None
    modifier: np.ndarray | None = None
    sector_codes: tuple[np.ndarray, np.ndarray] | None = None  # (codes, worst code per scheme)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def step_metrics(facts: StepFacts, heavy: bool) -> dict[str, float]:
    """The measures of one step (see the module table); heavy ones only when ``heavy``."""
    c = facts.conduct
    out = dict.fromkeys(METRIC_NAMES, float("nan"))
    out["step"] = float(facts.step)
    out["cooperation"] = np.count_nonzero(facts.strategy == 1) / facts.strategy.size
    # counts by count_nonzero: summing a boolean array is several times slower at 1M agents
    out["compliance"] = _ratio(_count(c.due & ~c.defaulted), _count(c.due))
    out["civic"] = np.count_nonzero(c.civic) / c.civic.size
    out["self_censorship"] = _ratio(_count(c.would_speak & ~c.expressed), _count(c.would_speak))
    if facts.fear is not None:
        out["fear"] = float(facts.fear.mean(dtype=np.float64))
    if facts.trust is not None:
        out["trust"] = float(facts.trust.invested_neighbour.mean(dtype=np.float64))
        out["trust_strangers"] = float(facts.trust.invested_stranger.mean(dtype=np.float64))
        out["trustworthiness"] = facts.trust.honoured
    payoff = facts.payoff if facts.modifier is None else facts.payoff + facts.modifier
    out["welfare"] = float(payoff.mean(dtype=np.float64))
    out.update(_records(facts))
    out.update(_scores(facts, heavy))
    if heavy:
        out["payoff_gini"] = gini(payoff - payoff.min())
        out["components"] = float(component_count(facts.network))
    return out


def _records(facts: StepFacts) -> dict[str, float]:
    out: dict[str, float] = {}
    c = facts.conduct
    if facts.records is None:
        return out
    subject, cause = facts.records
    extra_subject, extra_cause = facts.extra_records or (subject[:0], cause[:0])
    association = extra_subject[extra_cause == _ASSOCIATION]
    speech = extra_subject[extra_cause == _EXPRESSION]
    conduct_cause = np.concatenate([cause, np.full(speech.size, _EXPRESSION, np.int8)])
    by_cause = np.bincount(conduct_cause, minlength=_IS_FALSE.size)
    out["false_discovery_rate"] = _ratio(int(by_cause[_IS_FALSE].sum()), conduct_cause.size)
    for code, name in _CAUSE_COLUMNS.items():
        out[f"fdr_{name}"] = _ratio(int(by_cause[code]), conduct_cause.size)
    violated = c.free_riding | c.defaulted
    if facts.betrayed is not None:
        violated = violated | facts.betrayed
    n = violated.size
    hit = np.zeros(n, dtype=bool)
    hit[subject[_IS_FALSE[cause]]] = True
    out["false_positive_rate"] = _ratio(_count(hit & ~violated), n - _count(violated))
    out["not_own_conduct"] = np.unique(association).size / n
    out["speech_sanctioned"] = np.unique(speech).size / n
    out["disputes_upheld"] = float(facts.disputed)
    if facts.reports is not None:
        out["reports"] = float(facts.reports.target.size)
        out["report_precision"] = _ratio(int(facts.reports.true.sum()), facts.reports.true.size)
    if facts.manipulation is not None:
        attempts, successes = facts.manipulation
        out["manipulation_attempts"] = float(attempts)
        out["manipulation_success"] = _ratio(successes, attempts)
    return out


def _scores(facts: StepFacts, heavy: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    if facts.totals is None or facts.grades is None or facts.low is None:
        return out
    totals = facts.totals
    out["score_mean"] = float(totals.mean())
    out["score_gini"] = _histogram_gini(totals)
    low = facts.low
    out["low_share"] = _count(low) / low.size
    count = int(np.count_nonzero(low))
    if 0 < count < low.size:
        degree = facts.network.degree_float
        low_sum = float(degree @ low.astype(np.float32))
        others = float(degree.sum(dtype=np.float64)) - low_sum
        out["low_degree_ratio"] = _ratio(low_sum / count, others / (low.size - count))
    if facts.previous_grades is not None:
        moved = _count(facts.grades != facts.previous_grades)
        out["grade_mobility"] = moved / facts.grades.size
    if facts.sector_codes is not None:
        codes, worst = facts.sector_codes
        graded = codes >= 0
        out["sector_worst_share"] = _ratio(_count(graded & (codes == worst)), _count(graded))
    if heavy:
        with contextlib.suppress(ValueError):  # constant scores: undefined
            out["score_assortativity"] = assortativity(facts.network, totals)
    return out


def _count(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def _histogram_gini(totals: np.ndarray) -> float:
    """Gini of non-negative integer scores in O(n + max) via their histogram."""
    counts = np.bincount(totals.astype(np.int64))
    values = np.arange(counts.size, dtype=np.float64)
    n, total = counts.sum(), float(counts @ values)
    if total == 0:
        return 0.0
    cum = np.cumsum(counts)  # rank positions: value v occupies ranks (cum - counts, cum]
    first = cum - counts + 1
    rank_sum = (first + cum) * counts / 2.0  # sum of ranks i held by value v
    weighted = float(values @ (2 * rank_sum - (n + 1) * counts))
    return weighted / (n * total)
