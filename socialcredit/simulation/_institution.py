"""The institution of the policy lab: observation → the real policy's scoring → consequences.

:class:`PolicyInstitution` is an :class:`~.engine.Institution` hook. Every step it

1. lets the agents decide their other acts (:func:`.observation.behave`): obligations,
   trust-game returns, civic acts and voicing an opinion, each against its expected
   sanction (:mod:`.decisions`), and plays the trust game (:func:`.decisions.trust_game`);
2. observes them (coverage, labelling errors) as records of real catalogue kinds, adds
   informant reports, manipulation (fake ratings, bribes, tampering), and the simulator-only
   penalties the engine refuses (association, expression) and informant rewards;
3. files them into :class:`~socialcredit.scoring._vectorised.RunningScores` under the real
   policy bundle (and a separate "not lawful" table for the refused mechanics), applies the
   safeguards (disputes of false records, expiry, restoration, hardship);
4. turns grades into measures (payoff per tie) and, for ostracism, cut-and-rewired ties;
5. lets agents learn from what they saw of themselves and their partner (records after
   violations, sanctions on the innocent, penalties for speech) and records the step's
   measures in :attr:`history`.

With ``spec=None`` (no system) it still simulates and measures the society: nothing is
recorded and there are no consequences. :class:`Deliberation` wraps an update rule: after
imitation a share ``reasoning`` of the defectors weigh the private gain of free riding
against its expected sanction and cooperate when the sanction weighs more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from socialcredit.policy import PolicyBundle, default_bundle, load_bundle
from socialcredit.scoring import KindTable, RunningScores, compiled_bundle
from socialcredit.simulation._binned import BinnedCounts, per_record_table
from socialcredit.simulation._decisions import (
    Dispositions,
    Judge,
    Perception,
    Sanctions,
    free_riding_gain,
    trust_game,
)
from socialcredit.simulation._engine import Acts, Response
from socialcredit.simulation._imitation import UpdateContext, UpdateRule
from socialcredit.simulation._lab_metrics import StepFacts, step_metrics
from socialcredit.simulation._ledger_audit import AuditedLog
from socialcredit.simulation._mechanics import (
    inform,
    manipulate,
    not_lawful_table,
    ostracism_cuts,
)
from socialcredit.simulation._networks import Network
from socialcredit.simulation._observation import Batch, act_codes, behave, observe
from socialcredit.simulation._population import COOPERATE, DEFECT
from socialcredit.simulation._rewiring import rewire
from socialcredit.simulation._scenario import ORIGIN_US, Behaviour, InstitutionSpec
from socialcredit.simulation._sparse import random_neighbours
from socialcredit.simulation._whole_bundle import WholeBundle
from socialcredit.timeutil import DAY_US

__all__ = ["Deliberation", "PolicyInstitution", "policy_table"]

_FALSE = (1, 2, 3)  # label error, false informant report, planted by tampering
_IS_FALSE = np.isin(np.arange(9), _FALSE)  # by cause code: a lookup, cheaper than isin
_LABEL, _INF_FALSE, _TAMPER, _INF_TRUE, _FAKE = 1, 2, 3, 4, 5
_ASSOC, _EXPR, _REWARD = 6, 7, 8


def policy_bundle(policy: str) -> PolicyBundle:
    """The bundle: ``default`` or a bundle directory (checked on load).

    Raises:
        PolicyError: listing every problem of the directory's bundle.
    """
    return default_bundle() if policy == "default" else load_bundle(policy)


def policy_table(policy: str) -> KindTable:
    """The lawful policy table: ``default`` or a bundle directory (checked on load)."""
    return KindTable.of(compiled_bundle(policy_bundle(policy)))


class PolicyInstitution:
    """The observation → scoring → consequences hook for one run (see the module docstring).

    Attributes:
        spec: the institution, or ``None`` for a society without a system.
        behaviour: how agents act.
        perception: what each agent has learned (detection, trust, expression risk).
        history: one dict of measures per step.
    """

    def __init__(
        self,
        spec: InstitutionSpec | None,
        behaviour: Behaviour,
        n: int,
        step_days: int,
        *,
        metrics_every: int = 10,
        table: KindTable | None = None,
    ) -> None:
        """Set up the state of ``n`` agents.

        Raises:
            ValueError: if the act mapping names a kind without points in the policy.
        """
        self.spec, self.behaviour, self.n = spec, behaviour, n
        self.metrics_every = metrics_every
        self.perception = Perception(n, behaviour)
        self.dispositions: Dispositions | None = None
        self.judge: Judge | None = None
        self._log: AuditedLog | None = None
        self._gain: tuple[Network, np.ndarray] | None = None
        self._streak = np.zeros(n, dtype=np.int32)
        self.history: list[dict[str, float]] = []
        self._roles: tuple[np.ndarray, np.ndarray] | None = None
        self.grades: np.ndarray | None = None
        self.binned: BinnedCounts | None = None
        self.whole: WholeBundle | None = None
        if spec is None:
            return
        whole = spec.acts == "bundle"
        bundle = policy_bundle(spec.policy) if whole or table is None else None
        self.table = table or KindTable.of(compiled_bundle(bundle))  # type: ignore[arg-type]
        self.codes = act_codes(self.table)
        step_us = step_days * DAY_US
        expire = spec.due_process.expiry
        # binned rules (a learned scorecard): counts beside the per-record running sums
        self._filed = per_record_table(self.table) if self.table.policy.features else self.table
        if self.table.policy.features:
            self.binned = BinnedCounts(self.table, n, step_us, expire=expire)
        self.lawful = RunningScores(self._filed, n, step_us, ORIGIN_US, expire=expire)
        if whole:
            assert bundle is not None
            self.whole = WholeBundle(bundle, self.table, spec, n, step_us, self.lawful, self.binned)
        self.extra_table = not_lawful_table(spec.not_lawful_points)
        self.extra = RunningScores(self.extra_table, n, step_us, ORIGIN_US, expire=expire)
        mech = spec.mechanics
        self._extra_on = any(m.enabled for m in (mech.contagion, mech.informants, mech.expression))
        grades = [band.grade for band in self.table.policy.grades]
        per_tie = spec.measures.per_tie
        self._per_tie = np.array([per_tie.get(g, 0.0) for g in grades], dtype=np.float32)
        self._low_codes = {
            name: np.array([g in low for g in grades])
            for name, low in (
                ("contagion", spec.mechanics.contagion.low_grades),
                ("ostracism", spec.mechanics.ostracism.low_grades),
            )
        }
        self._totals = self.totals()
        self.grades = self.table.grade_codes(self._totals)
        self._default_points = self._points(self.codes["obligation_default"][0])
        self._ride_points = self._points(self.codes["free_riding"][0])
        manip = mech.manipulation
        if manip.enabled and manip.ledger_verification:
            self._log = AuditedLog(witness_every=manip.witness_every, audit_rate=manip.audit_rate)

    def _points(self, code: int) -> int:
        """Points one record of kind ``code`` brings an agent without records (its binned
        rule's first bin included)."""
        extra = 0 if self.binned is None else self.binned.marginal(code)
        return int(self.table.points[code]) + extra

    def totals(self) -> np.ndarray:
        """Every agent's score now: base + lawful points (binned rules included) +
        not-lawful points, clamped."""
        policy = self.table.policy
        points = self.lawful.points()
        if self.binned is not None:
            points = points + self.binned.points()
        if self._extra_on:  # refused mechanics switched on: their points count too
            points = points + self.extra.points()
        return np.clip(policy.base + points, policy.low, policy.high)

    @property
    def fear(self) -> np.ndarray:
        """Each agent's perceived probability that a violation is recorded."""
        return self.perception.detection

    def __call__(self, acts: Acts, rng: np.random.Generator) -> Response | None:
        """Run one step of the institution (see the module docstring)."""
        network, strategy = acts.network, acts.strategy
        if self._roles is None:
            self._roles = self._draw_roles(rng)
            self.dispositions = Dispositions.draw(self.n, self.behaviour, rng)
            if self.whole is not None:
                self.whole.start(rng)
                self._default_points = self.whole.filing.expected_points("obligation_default")
                self._ride_points = self.whole.filing.expected_points("free_riding")
        self.judge = self._judge(network, acts.payoff)
        conduct = behave(acts.population, strategy, self.behaviour, self.judge, rng)
        partner = self._partners(network, rng)
        trust = trust_game(self.perception, partner, conduct.betrays, rng)
        facts = StepFacts(acts.step, network, strategy, acts.payoff, conduct)
        facts.betrayed = trust.betrayed
        response = None
        if self.spec is not None:
            response = self._institution_step(acts, conduct, facts, rng)
        self._learn(partner, conduct, facts)
        facts.fear, facts.trust, facts.partner = self.fear, trust, partner
        heavy = acts.step % self.metrics_every == 0
        self.history.append(step_metrics(facts, heavy))
        return response

    def _judge(self, network: Network, payoff: np.ndarray) -> Judge:
        """The expected sanctions of this step, from the scores (and with the whole bundle,
        the listings) as they stand and this step's game payoffs."""
        d, p = self.dispositions, self.perception
        assert d is not None
        if self.spec is None:
            zero = np.zeros(self.n, dtype=np.float32)
            return Judge(None, d.risk, zero, zero, d.hardship)
        sanctions = Sanctions(
            self.table, self._per_tie, self._totals, network.degree_float, self.behaviour.horizon
        )
        expression = self.spec.mechanics.expression
        speech = self.spec.not_lawful_points.expression if expression.enabled else 0
        listing: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
        if self.whole is not None:
            listing = self.whole.listing_losses(network, payoff, self.behaviour.horizon)
        return Judge(
            sanctions,
            d.risk,
            p.deterrence,
            p.expression_risk,
            d.hardship,
            self._default_points,
            speech,
            *listing,
        )

    def free_riding_value(self, game: object, network: Network, strategy: np.ndarray) -> np.ndarray:
        """Each agent's value of free riding: the game's payoff gain plus its own taste."""
        if self._gain is None or self._gain[0] is not network or not _static(game):
            self._gain = (network, free_riding_gain(game, network, strategy))
        assert self.dispositions is not None
        return self._gain[1] + self.dispositions.act_value

    # -- the system ---------------------------------------------------------------------

    def _institution_step(
        self, acts: Acts, conduct: Any, facts: StepFacts, rng: np.random.Generator
    ) -> Response:
        spec = self.spec
        assert spec is not None and self._roles is not None
        informants, gamers = self._roles
        mech, dp = spec.mechanics, spec.due_process
        parts = observe(conduct, self.codes, spec.coverage, spec.label_error, dp.hardship, rng)
        violated = conduct.free_riding | conduct.defaulted | facts.betrayed
        ride_kind = self.codes["free_riding"][0]
        assert facts.betrayed is not None
        seen = facts.betrayed & (rng.random(self.n, dtype=np.float32) < spec.coverage)
        parts.append((np.flatnonzero(seen), self.codes["obligation_default"][0], 0, 0))
        extra_parts: list[tuple[np.ndarray, int, int, int]] = []
        if mech.informants.enabled:
            reports = inform(
                acts.network, np.flatnonzero(informants), violated, mech.informants, rng
            )
            parts.append((reports.target[reports.true], ride_kind, 0, _INF_TRUE))
            parts.append((reports.target[~reports.true], ride_kind, 0, _INF_FALSE))
            reward = self.extra_table.code("informant_reward")
            extra_parts.append((reports.informant, reward, 0, _REWARD))
            facts.reports = reports
        batch = Batch.of(parts)
        if mech.manipulation.enabled:
            batch = self._manipulate(batch, gamers, facts, rng)
        local = None
        if self.whole is not None:
            batch, local = self.whole.refile(batch, self.codes, conduct, spec.coverage, rng)
        negative = self.table.points[batch.kind] + self.table.per_unit[batch.kind] < 0
        negative |= self._binned_negative(batch.kind)
        delays = self._dispute_delays(batch.cause, rng)
        filed = batch.kind if self.binned is None else np.minimum(batch.kind, self._filed.neutral)
        self.lawful.file(batch.subject, filed, batch.amount, batch.cause, delays)
        if self.binned is not None:
            self.binned.file(batch.subject, batch.kind, delays)
        if self.whole is not None and local is not None:
            self.whole.keep(acts.step, batch, local, delays)
        extra_parts += self._refused_penalties(acts.network, conduct, rng)
        extra = Batch.of(extra_parts)
        self.extra.file(extra.subject, extra.kind, extra.amount, extra.cause)
        facts.records = (batch.subject[negative], batch.cause[negative])
        facts.extra_records = (extra.subject, extra.cause)
        restored = self._restoration(violated)
        if self.whole is not None:
            self.whole.pending = restored
        before = self.grades
        totals = self._totals = self.totals()
        self.grades = self.table.grade_codes(totals)
        facts.totals, facts.grades, facts.previous_grades = totals, self.grades, before
        facts.low = self._low_codes["ostracism"][self.grades]
        modifier = self._per_tie[self.grades] * acts.network.degree_float
        if self.whole is not None:
            modifier = modifier + self.whole.measures(acts, self.grades, conduct.hardship)
            sectors = self.whole.sectors
            facts.sector_codes = (sectors.codes, sectors.worst()) if sectors.schemes else None
        facts.modifier = modifier
        facts.disputed = self.lawful.advance()
        if self.binned is not None:
            self.binned.advance()
        self.extra.advance()
        return Response(payoff=modifier, network=self._ostracise(acts, rng))

    def _manipulate(
        self, batch: Batch, gamers: np.ndarray, facts: StepFacts, rng: np.random.Generator
    ) -> Batch:
        spec = self.spec
        assert spec is not None
        negative = self.table.points[batch.kind] + self.table.per_unit[batch.kind] < 0
        if self._log is not None:
            self._log.append_step(facts.step)
        outcome = manipulate(
            gamers, batch.subject, negative, spec.mechanics.manipulation, rng, self._log, facts.step
        )
        batch = batch.drop(outcome.keep)
        if outcome.deleted.size:
            select = np.zeros(self.n, dtype=bool)
            select[outcome.deleted] = True
            self.lawful.restore(select)
            if self.binned is not None:
                self.binned.restore(select)
        fake_kind = self.codes["fake_rating"][0]
        ride_kind = self.codes["free_riding"][0]
        facts.manipulation = (outcome.attempts, outcome.successes)
        return _join(
            batch,
            Batch.of(
                [
                    (outcome.fakes, fake_kind, 0, _FAKE),
                    (outcome.planted, ride_kind, 0, _TAMPER),
                ]
            ),
        )

    def _refused_penalties(
        self, network: Network, conduct: Any, rng: np.random.Generator
    ) -> list[tuple[np.ndarray, int, int, int]]:
        spec = self.spec
        assert spec is not None and self.grades is not None
        mech, parts = spec.mechanics, []
        if mech.contagion.enabled:
            low = self._low_codes["contagion"][self.grades].astype(np.float32)
            count = network.neighbour_sum(low)
            who = np.flatnonzero(count > 0)
            code = self.extra_table.code("association_penalty")
            amounts = np.rint(count[who]).astype(np.int64)
            parts += [(group, code, a, _ASSOC) for group, a in _grouped(who, amounts)]
        if mech.expression.enabled:
            watched = rng.random(self.n, dtype=np.float32) < mech.expression.coverage
            seen = conduct.expressed & watched
            parts.append(
                (np.flatnonzero(seen), self.extra_table.code("expression_penalty"), 0, _EXPR)
            )
        return parts

    def _dispute_delays(self, cause: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
        """Steps until each false record is withdrawn after an upheld dispute (-1: never).

        A subject disputes a false record each step with ``dispute_rate`` and is upheld with
        ``dispute_success``: the delay is geometric, drawn once when the record is filed.
        """
        spec = self.spec
        assert spec is not None
        dp = spec.due_process
        p = dp.dispute_rate * dp.dispute_success
        if not dp.disputes or p <= 0:
            return None
        delays = np.full(cause.size, -1, dtype=np.int64)
        false = _IS_FALSE[cause]
        delays[false] = rng.geometric(p, int(false.sum()))
        return delays

    def _binned_negative(self, kind: np.ndarray) -> np.ndarray:
        """Which records a negative binned rule counts (their own points may be 0)."""
        if self.binned is None:
            return np.zeros(kind.size, dtype=bool)
        return self.binned.negative_kind[kind]

    def _restoration(self, violated: np.ndarray) -> np.ndarray | None:
        """Restoration: after ``restoration_steps`` steps without a violation, an agent's
        negative records are removed early (the obligation performed, conduct corrected).
        Returns the agents restored this step (None when restoration is off)."""
        spec = self.spec
        assert spec is not None
        dp = spec.due_process
        if not dp.restoration:
            return None
        self._streak += 1
        np.copyto(self._streak, 0, where=violated)
        ready = self._streak >= dp.restoration_steps
        if ready.any():
            self.lawful.restore(ready)
            if self.binned is not None:
                self.binned.restore(ready)
            np.copyto(self._streak, 0, where=ready)
        return ready

    def _ostracise(self, acts: Acts, rng: np.random.Generator) -> Network | None:
        spec = self.spec
        assert spec is not None and self.grades is not None
        params = spec.mechanics.ostracism
        if not params.enabled or acts.step % params.every != params.every - 1:
            return None
        low = self._low_codes["ostracism"][self.grades]
        cuts = ostracism_cuts(acts.network, low, params.rate, rng)
        if cuts.size == 0:
            return None
        return rewire(acts.network, cuts, rng)

    # -- perception ---------------------------------------------------------------------

    def _partners(self, network: Network, rng: np.random.Generator) -> np.ndarray:
        """The partner each agent meets this step: a random neighbour (itself if none)."""
        has = network.degree > 0
        if has.all():  # the usual case needs no index arrays
            return random_neighbours(network, None, rng.random(self.n, dtype=np.float32))
        partner = np.arange(self.n)
        partner[has] = random_neighbours(
            network, np.flatnonzero(has), rng.random(int(has.sum()), dtype=np.float32)
        )
        return partner

    def _learn(self, partner: np.ndarray, conduct: Any, facts: StepFacts) -> None:
        """Agents learn from themselves and their partner: violations and the records that
        followed, sanctions on agents who did nothing, penalties for speech. Being reported
        by an informant is a betrayal by a neighbour (trust in neighbours falls)."""
        sanctioned = np.zeros(self.n, dtype=bool)
        punished = np.zeros(self.n, dtype=bool)
        if facts.records is not None:
            sanctioned[facts.records[0]] = True
        if facts.extra_records is not None:
            subject, cause = facts.extra_records
            sanctioned[subject[cause != _REWARD]] = True
            punished[subject[cause == _EXPR]] = True
        violated = conduct.free_riding | conduct.defaulted
        if facts.betrayed is not None:
            violated = violated | facts.betrayed
        self.perception.learn(partner, violated, sanctioned, conduct.expressed, punished)
        if facts.reports is not None and facts.reports.target.size:
            m = np.float32(self.behaviour.memory)
            self.perception.trust_neighbours[facts.reports.target] *= np.float32(1) - m

    def _draw_roles(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        spec = self.spec
        if spec is None:
            return np.zeros(self.n, bool), np.zeros(self.n, bool)
        mech = spec.mechanics
        informants = rng.random(self.n) < (mech.informants.share if mech.informants.enabled else 0)
        gamers = rng.random(self.n) < (
            mech.manipulation.insider_share if mech.manipulation.enabled else 0
        )
        return informants, gamers


def _grouped(who: np.ndarray, values: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """``who`` split by ``values``: one ``(members, value)`` per distinct value, ascending,
    members in their order in ``who`` (one stable sort, not one pass per value)."""
    if values.size == 0:
        return []
    order = np.argsort(values, kind="stable")
    distinct, starts = np.unique(values[order], return_index=True)
    groups = np.split(who[order], starts[1:])
    return [(group, int(value)) for group, value in zip(groups, distinct, strict=True)]


def _join(a: Batch, b: Batch) -> Batch:
    return Batch(
        *(
            np.concatenate([getattr(a, f), getattr(b, f)])
            for f in ("subject", "kind", "amount", "cause")
        )
    )


def _static(game: object) -> bool:
    """Whether the game's free-riding gain depends on the network only (not strategies)."""
    from socialcredit.simulation._games import PublicGoods

    return isinstance(game, PublicGoods)


@dataclass(frozen=True, slots=True)
class Deliberation:
    """An update rule plus deliberation about sanctions.

    After ``inner`` imitation each defector deliberates with probability ``reasoning``: it
    cooperates when its expected sanction for free riding over the horizon
    (:meth:`.decisions.Judge.persisting`) exceeds its value of free riding (the game's
    payoff gain plus its intrinsic value). Without a system the sanction is zero.
    """

    inner: UpdateRule
    institution: PolicyInstitution
    reasoning: float = 0.1

    def __call__(
        self,
        network: Network,
        strategy: np.ndarray,
        payoff: np.ndarray,
        rng: np.random.Generator,
        context: UpdateContext,
    ) -> np.ndarray:
        """Imitate, then deliberate."""
        new = self.inner(network, strategy, payoff, rng, context)
        inst, judge = self.institution, self.institution.judge
        if self.reasoning <= 0 or inst.spec is None or judge is None:
            return new
        draw = rng.random(new.size, dtype=np.float32) < np.float32(self.reasoning)
        who = np.flatnonzero((new == DEFECT) & draw)
        if who.size == 0:
            return new
        value = inst.free_riding_value(context.game, network, new)[who]
        deterred = judge.persisting(who, inst._ride_points) > value
        new = np.array(new, copy=True)
        new[who[deterred]] = COOPERATE
        return new
