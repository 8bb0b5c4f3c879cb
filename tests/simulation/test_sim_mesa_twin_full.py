"""The engine's FULL step of ``lawful_core`` against its Mesa twin (``mesa_twin_full.py``).

Scenario: ``lawful_core`` (the default policy with every safeguard: disputes, expiry,
restoration, hardship freeze; coverage 0.5, label error 0.02, per-tie measures by grade,
expected-sanction reasoning) with the overrides the benchmark uses — public goods ``r = 5.5``,
Fermi ``K = 0.5`` — on Watts–Strogatz small worlds of 900 agents (``k = 4``, ``p = 0.1``).
At these settings a run is genuinely mixed after 40 steps (about 70 % cooperators and still
moving, a quarter of the agents graded B, fear about 0.3), so the statistics are sensitive
to the rules instead of being pinned at a bound.

The engine runs through ``lab.build`` (its :class:`PolicyInstitution` and
:class:`SanctionAware`), the twin is a Mesa model written agent by agent. Each seed ``i``
builds one graph with the project's generator and both run on it; their random streams
differ, so only statistics are compared.

Statistic of a run: the mean of a measure over its last ``LATE`` steps. Criterion: with
``SEEDS`` runs of each implementation, the difference of the means stays below ``Z_LIMIT =
3.5`` combined (Welch) standard errors ``sqrt(s1²/n1 + s2²/n2)``. Under the null (same
rules) each comparison fails with a chance of about 5e-4 (about 0.6 % for all twelve);
everything is seeded, so the outcome is the same on every run. The negative controls — the
same twin observing with coverage 0.4 instead of 0.5, or label error 0.03 instead of 0.02 —
must be caught.

These aggregates are weakly sensitive to the due-process safeguards at this size and length
(a twin without restoration, or without disputes, stays within 2 SE), so their conventions —
when records start and stop counting, when a dispute withdraws one, what restoration removes
— are checked exactly instead, against the engine's ``RunningScores`` on shared filings.

The statistical comparisons run in ``make validate`` (CI runs it); the exact checks run in
every ``make test``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mesa_twin import neighbour_lists
from mesa_twin_full import LawfulCoreModel

from socialcredit.scoring import KindTable, RunningScores
from socialcredit.simulation import (
    Network,
    Scenario,
    shipped_scenarios,
    small_world,
    with_overrides,
)
from socialcredit.simulation._lab import build
from socialcredit.simulation._observation import act_codes
from socialcredit.simulation._scenario import ORIGIN_US

N_AGENTS = 900
DEGREE = 4
REWIRING = 0.1
STEPS = 40
LATE = 10
SEEDS = 24
Z_LIMIT = 3.5
GRAPH_ENTROPY = 20261128
TWIN_SEED_OFFSET = 10_000  # twin seeds never coincide with the engine's, as a reminder

MEASURES = (
    "cooperation",
    "compliance",
    "fear",
    "trust",
    "score_mean",
    "low_share",
    "share_A",
    "share_B",
    "false_discovery_rate",
    "disputes_upheld",
    "welfare",
)

Sample = dict[str, np.ndarray]
"""Per-run late-window means of one implementation, one array (over seeds) per measure."""


def scenario(**institution: float) -> Scenario:
    """``lawful_core`` at the twin's size and game (``institution`` overrides, if any)."""
    overrides: dict[str, object] = {
        "agents": N_AGENTS,
        "network": {"kind": "small_world", "k": DEGREE, "p": REWIRING},
        "game": {"kind": "public_goods", "r": 5.5},
        "update": {"kind": "fermi", "noise": 0.5},
    }
    overrides |= {f"institution.{key}": value for key, value in institution.items()}
    return with_overrides(shipped_scenarios()["lawful_core"], overrides)


def graph(i: int) -> Network:
    """The ``i``-th small world, built by the project's own generator."""
    rng = np.random.default_rng(np.random.SeedSequence([GRAPH_ENTROPY, i]))
    return small_world(N_AGENTS, DEGREE, REWIRING, rng)


def engine_run(network: Network, seed: int) -> dict[str, list[float]]:
    """The engine's measures, one list per measure, on ``network``."""
    sim, institution = build(scenario(), seed)
    sim.network = network  # the very graph the twin runs on (same n)
    names = [band.grade for band in institution.table.policy.grades]
    shares: dict[str, list[float]] = {f"share_{g}": [] for g in names}
    for _ in range(STEPS):
        sim.step()
        assert institution.grades is not None
        counts = np.bincount(institution.grades, minlength=len(names)) / network.n
        for grade, share in zip(names, counts, strict=True):
            shares[f"share_{grade}"].append(float(share))
    logged = [name for name in MEASURES if name not in shares]
    return {name: [row[name] for row in institution.history] for name in logged} | shares


def late_means(runs: list[dict[str, list[float]]]) -> Sample:
    """Each run's mean over its last ``LATE`` steps, per measure (NaN steps skipped)."""
    return {
        name: np.array([np.nanmean(np.asarray(run[name][-LATE:])) for run in runs])
        for name in MEASURES
    }


def engine_sample() -> Sample:
    """The engine once per seed on graph ``i``."""
    return late_means([engine_run(graph(i), i) for i in range(SEEDS)])


def twin_sample(spec: Scenario) -> Sample:
    """The Mesa twin of ``spec`` once per seed on the same graph ``i``."""
    runs = []
    for i in range(SEEDS):
        model = LawfulCoreModel(spec, neighbour_lists(graph(i)), seed=TWIN_SEED_OFFSET + i)
        runs.append(model.run(STEPS))
    return late_means(runs)


def z_score(a: np.ndarray, b: np.ndarray) -> float:
    """Difference of means in units of its combined (Welch) standard error."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    gap = float(a.mean() - b.mean())
    if se == 0:
        return 0.0 if gap == 0 else math.copysign(math.inf, gap)
    return gap / se


def table(engine: Sample, twin: Sample) -> str:
    """engine vs twin, mean ± SE and the gap in SEs, one line per measure (for ``-s``)."""
    lines = [f"{'measure':22s} {'engine':>20s} {'twin':>20s} {'z':>7s}"]
    for name in MEASURES:
        a, b = engine[name], twin[name]
        cells = [f"{x.mean():9.4f} ± {x.std(ddof=1) / math.sqrt(x.size):7.4f}" for x in (a, b)]
        lines.append(f"{name:22s} {cells[0]:>20s} {cells[1]:>20s} {z_score(a, b):7.2f}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def engine() -> Sample:
    """The engine's sample, shared by the agreement test and the negative control."""
    return engine_sample()


@pytest.mark.validation  # a statistical comparison (~9 s each): make validate, run in CI
def test_engine_and_full_mesa_twin_agree_within_sampling_error(engine: Sample) -> None:
    twin = twin_sample(scenario())
    print("\n" + table(engine, twin))
    # the regime is genuinely mixed, otherwise agreement would prove little
    for sample in (engine, twin):
        assert 0.3 < sample["cooperation"].mean() < 0.9
        assert 0.1 < sample["low_share"].mean() < 0.5
        assert 0.1 < sample["fear"].mean() < 0.6
        assert all(sample[name].std(ddof=1) > 0 for name in MEASURES)
    gaps = {name: z_score(engine[name], twin[name]) for name in MEASURES}
    assert all(abs(z) < Z_LIMIT for z in gaps.values()), gaps


@pytest.mark.validation  # a statistical comparison (~9 s each): make validate, run in CI
@pytest.mark.parametrize(
    ("change", "moves"),
    [
        # fewer records: higher scores, fewer agents graded B, less fear
        ({"coverage": 0.4}, {"score_mean": -1, "low_share": 1, "fear": 1}),
        # a modest rise in labelling errors: only the share of false records moves
        ({"label_error": 0.03}, {"false_discovery_rate": -1}),
    ],
)
def test_negative_control_a_twin_with_other_observation_is_detected(
    engine: Sample, change: dict[str, float], moves: dict[str, int]
) -> None:
    other = twin_sample(scenario(**change))
    print("\n" + table(engine, other))
    for name, sign in moves.items():
        assert sign * z_score(engine[name], other[name]) > Z_LIMIT, name


def test_twin_scores_equal_the_engines_running_scores_step_by_step() -> None:
    # Exact check of the conventions of scoring over time — when a record starts and stops
    # counting (expiry), when an upheld dispute withdraws it, what restoration removes: the
    # same filings, withdrawals and restorations go to the twin's agents and to the engine's
    # RunningScores, and every agent's total and the withdrawals must agree at every step.
    # 70 steps outlive the longest expiry here (a loan default: 53 steps of 7 days).
    rng = np.random.default_rng(11)
    n, per_step = 30, 25
    model = LawfulCoreModel(scenario(), [[(i + 1) % n, (i - 1) % n] for i in range(n)], seed=0)
    kinds = KindTable.of(model.policy)
    codes = act_codes(kinds)
    running = RunningScores(kinds, n, model.step_us, ORIGIN_US)
    acts = ("obligation_default", "free_riding", "civic_act")
    for _ in range(70):
        subject, act = rng.integers(0, n, per_step), rng.integers(0, len(acts), per_step)
        false = (rng.random(per_step) < 0.4) & (act < 2)
        after = np.where(false, rng.geometric(0.2, per_step), -1)
        for who, what, cause, delay in zip(subject, act, false, after, strict=True):
            withdraw = int(delay) if delay > 0 else None
            model.members[who].add_record(acts[what], int(cause), withdraw)
        running.file(
            subject,
            np.array([codes[acts[a]][0] for a in act]),
            np.array([codes[acts[a]][1] for a in act]),
            false.astype(np.int8),
            after,
        )
        select = rng.random(n) < 0.05
        for who in np.flatnonzero(select):
            model.members[who].restore()
        running.restore(select)
        model.agents.do("score")
        assert [a.total for a in model.members] == running.totals().tolist()
        assert sum(a.upheld for a in model.members) == running.advance()
        model.step_index += 1


def test_same_seed_replays_the_twin_and_another_seed_does_not() -> None:
    neighbours = neighbour_lists(small_world(200, DEGREE, REWIRING, np.random.default_rng(3)))
    runs = [LawfulCoreModel(scenario(), neighbours, seed=s).run(6) for s in (3, 3, 4)]
    assert runs[0]["score_mean"] == runs[1]["score_mean"]
    assert runs[0]["fear"] == runs[1]["fear"]
    assert runs[0]["score_mean"] != runs[2]["score_mean"]


def test_twin_refuses_a_mechanic_it_does_not_model() -> None:
    spec = with_overrides(scenario(), {"institution.mechanics.ostracism.enabled": True})
    with pytest.raises(ValueError, match="ostracism"):
        LawfulCoreModel(spec, [[1], [0]], seed=0)
