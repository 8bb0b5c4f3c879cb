"""A Mesa twin of the policy lab's FULL step of the ``lawful_core`` scenario, agent by agent.

The engine (``socialcredit.simulation._lab.build``) runs one step of ``lawful_core`` as whole
arrays; this model restates the same rules for one agent at a time, in plain Python:

1. **game** — the public goods game on the agent's groups (the stages of
   :class:`mesa_twin.PublicGoodsAgent`, reused as they are);
2. **other acts** — an obligation falls due with ``obligation_rate``; an agent unable to pay
   (a draw above its ``ability``) defaults out of hardship, an able one defaults wilfully when
   its temptation ``default_gain * (u - willingness)`` exceeds ``risk * deterrence * loss``,
   ``loss`` being what 30 points (``loan_default``) less would cost in per-tie measures over
   the horizon at its current score and ``deterrence`` what it has learned (below); as a
   trustee it decides the same way, with its own draw, whether to keep investments; a civic
   act with ``civic_rate`` for a cooperator, half that for a defector;
   **trust game** — each agent invests its belief in a random neighbour (its partner) and in
   a random stranger, and moves each belief toward 1 when honoured, 0 when betrayed;
3. **observation** — each act (the obligation, the game act, the civic act, a betrayal of
   an investment actually made) is seen with
   ``coverage``; a seen obligation or game act is mislabelled with ``label_error`` (a met
   obligation or a contribution recorded as a violation, a violation missed); hardship
   defaults are never recorded (the hardship freeze). Acts become records of the catalogue
   kinds named in ``acts.yaml`` (:func:`socialcredit.simulation._observation.act_catalogue`);
4. **due process** — a false record is disputed each step with ``dispute_rate`` and upheld
   with ``dispute_success``: it is withdrawn after a geometric number of steps (at least 1),
   drawn when it is filed; after ``restoration_steps`` steps in a row without a violation
   (free riding or any default) the agent's negative records are removed, those filed this
   step included; records stop counting when they expire;
5. **scoring** — every agent scores its own records with the scoring definition
   (:func:`socialcredit.scoring._definition.record_points` and ``aggregate``) under the
   compiled default policy, at the step's policy time ``ORIGIN_US + step * step_days`` days;
   the grade is ``CompiledPolicy.grade``;
6. **consequences** — the payoff changes by ``per_tie[grade] * degree`` this very step;
7. **perception** — each agent looks at itself and its partner: counts (decaying by
   ``1 - memory``) of violations and of violations followed by a negative record give the
   perceived detection ``(0.2 + hits) / (2 + trials)``; sanctions on agents who did not
   violate give the arbitrary rate; ``deterrence`` is their difference (at least 0);
8. **measures** of the step, via a :class:`mesa.DataCollector`;
9. **adaptation** — synchronous Fermi imitation on the modified payoffs, then each defector
   deliberates with ``reasoning``: it cooperates when ``risk * loss(deterrence * horizon *
   -10 points)`` (both read at the start of the step) exceeds its value of free riding — the
   public goods game's payoff gain plus its intrinsic value; all agents adopt at once.

Only the mechanics that ``lawful_core`` switches on exist here (no contagion, informants,
expression penalties, manipulation or ostracism). The twin shares no simulation code with
the engine: it reads the scenario's parameters, the default trait distributions
(``TraitParameters``), the policy-time origin (``ORIGIN_US``), the network (built by the
project's generator), the compiled policy and the act mapping, and nothing else — so
agreement between the two is evidence. It has its own random stream (``self.random``): agreement is
statistical, not bitwise.

Cost: a straightforward Mesa model (agents with references to neighbours, stages via
``AgentSet.do``, records as small objects, every agent's score recomputed from its live
records by the per-record definition each step), about 9-10 µs per agent-step at 10,000
agents. Nothing is deliberately slow, and nothing is hand-tuned either: in a profile about
40 % of the time is re-scoring (``score``) and about 12 % Mesa's ``AgentSet.do`` dispatch, so
a hand-written loop (flat lists instead of agents, running sums instead of re-scoring)
might gain roughly 2x — an estimate, not measured; it would no longer be a Mesa model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import mesa
from mesa_twin import PublicGoodsAgent

from socialcredit.policy import default_bundle
from socialcredit.scoring import compiled_bundle
from socialcredit.scoring._definition import CompiledPolicy, aggregate, record_points
from socialcredit.simulation import Fermi, PublicGoods, RandomShare, Scenario, TraitParameters
from socialcredit.simulation._observation import act_catalogue
from socialcredit.simulation._scenario import ORIGIN_US
from socialcredit.timeutil import DAY_US

__all__ = ["Citizen", "LawfulCoreModel", "Record"]

TRUE, LABEL_ERROR = 0, 1  # why a record exists (the engine's cause codes 0 and 1)
_NEVER = 2**62


@dataclass(slots=True)
class Record:
    """One record an agent holds.

    Attributes:
        kind: catalogue kind id (from ``acts.yaml``).
        amount: units (volunteering hours), 0 when the rule is fixed.
        occurred_us: policy time of the step it was filed at.
        cause: ``TRUE`` or ``LABEL_ERROR``.
        withdrawn_at: the step from which an upheld dispute withdraws it (``_NEVER`` if not).
        negative: whether it takes points away.
    """

    kind: str
    amount: int
    occurred_us: int
    cause: int
    withdrawn_at: int
    negative: bool


@dataclass(frozen=True, slots=True)
class Act:
    """An act → kind entry of ``acts.yaml``, with the sign of its points in the policy."""

    kind: str
    amount: int
    negative: bool


def _acts(policy: CompiledPolicy) -> dict[str, Act]:
    """The acts the lawful core records, read from ``acts.yaml`` and signed by the policy.

    Raises:
        ValueError: if a mapped kind has no points in the policy.
    """
    out = {}
    for act in ("obligation_default", "free_riding", "civic_act"):
        entry = act_catalogue()[act]
        kind, amount = str(entry["kind"]), entry.get("amount", 0)
        amount = amount if isinstance(amount, int) else 0
        points = record_points(policy, kind, amount, 0, 0)
        if points == 0:
            raise ValueError(f"acts.yaml: {act} maps to {kind}, which has no points")
        out[act] = Act(kind, amount, points < 0)
    return out


class Citizen(PublicGoodsAgent):
    """One member of the society: the game's state plus traits, records, fear and trust.

    Attributes:
        ability, willingness: traits (fixed for the run).
        fear, seen, trust: perception (see the module docstring).
        records: the agent's live records.
        streak: steps in a row without a violation (restoration).
        total, grade: the score and grade of this step.
        due, defaulted, hardship, civic: this step's other acts.
        negatives, false_negatives: negative records filed against the agent this step, and
            how many of them are false.
        upheld: records an upheld dispute withdraws at the end of this step.
    """

    model: LawfulCoreModel
    next_cooperates: bool

    def __init__(
        self, model: LawfulCoreModel, cooperates: bool, ability: float, willingness: float
    ) -> None:
        """Create an agent with its traits; it starts with no records and the base score."""
        super().__init__(model, cooperates)
        self.neighbours: list[Citizen] = []
        self.ability, self.willingness = ability, willingness
        behaviour = model.behaviour
        self.risk = model.random.random() * 2 * behaviour.risk_aversion
        self.act_value = model.random.gauss(0.0, behaviour.act_value_sd)
        self.trials = self.hits = self.innocent = self.arbitrary = 0.0
        self.trust_n = self.trust_s = 0.5
        self.invested_n = 0.5
        self.fear = self.deterrence = self.deterrence_then = 0.0
        self.total_then = model.policy.base
        self.betrays = self.chosen = self.betrayed = False
        self.partner: Citizen = self
        self.records: list[Record] = []
        self.streak = 0
        self.total = model.policy.base
        self.grade = model.policy.grade(self.total)
        self.due = self.defaulted = self.hardship = self.civic = False
        self.negatives = self.false_negatives = self.upheld = 0

    def loss(self, points: int) -> float:
        """Payoff lost over the horizon if ``points`` were added to the step-start score."""
        model = self.model
        now, after = self.total_then, self.total_then + points
        per_tie, grade = model.per_tie, model.policy.grade
        drop = per_tie.get(grade(now), 0.0) - per_tie.get(grade(after), 0.0)
        return drop * len(self.neighbours) * model.behaviour.horizon

    def _keeps(self) -> bool:
        """Whether keeping money owed is worth more than its expected sanction."""
        behaviour = self.model.behaviour
        value = behaviour.default_gain * (self.model.random.random() - self.willingness)
        return value > 0 and value > self.risk * self.deterrence_then * self.loss(-30)

    def act(self) -> None:
        """Stage: this step's obligation, trustee decision and civic act."""
        model, behaviour = self.model, self.model.behaviour
        rng = model.random
        self.total_then, self.deterrence_then = self.total, self.deterrence
        self.due = rng.random() < behaviour.obligation_rate
        self.defaulted = self.hardship = False
        if self.due:
            self.hardship = rng.random() >= self.ability
            self.defaulted = self._keeps() or self.hardship
        self.betrays, self.chosen = self._keeps(), False
        rate = behaviour.civic_rate if self.cooperates else behaviour.civic_rate / 2
        self.civic = rng.random() < rate

    def invest(self) -> None:
        """Stage: the trust game, as trustor of a neighbour and of a stranger."""
        model = self.model
        m = model.behaviour.memory
        self.partner = model.random.choice(self.neighbours) if self.neighbours else self
        stranger = model.random.choice(model.members)
        self.invested_n = self.trust_n
        for trustee, attr in ((self.partner, "trust_n"), (stranger, "trust_s")):
            trustee.chosen = True
            honoured = 0.0 if trustee.betrays else 1.0
            setattr(self, attr, getattr(self, attr) * (1 - m) + m * honoured)

    def get_observed(self) -> None:
        """Stage: the institution sees (or mislabels) this step's acts and files records."""
        model = self.model
        rng, coverage, error = model.random, model.coverage, model.label_error
        self.negatives = self.false_negatives = 0
        if self.due and rng.random() < coverage:
            wrong = rng.random() < error
            if self.defaulted and not wrong and not (self.hardship and model.hardship_freeze):
                self._file("obligation_default", TRUE)
            elif not self.defaulted and wrong:
                self._file("obligation_default", LABEL_ERROR)
        if rng.random() < coverage:
            wrong = rng.random() < error
            if not self.cooperates and not wrong:
                self._file("free_riding", TRUE)
            elif self.cooperates and wrong:
                self._file("free_riding", LABEL_ERROR)
        if self.civic and rng.random() < coverage:
            self._file("civic_act", TRUE)
        self.betrayed = self.betrays and self.chosen
        if self.betrayed and rng.random() < coverage:
            self._file("obligation_default", TRUE)

    def _file(self, act: str, cause: int) -> None:
        delay = None
        if cause != TRUE and self.model.dispute_p > 0:
            delay = self._dispute_delay(self.model.dispute_p)
        self.add_record(act, cause, delay)

    def add_record(self, act: str, cause: int, withdraw_after: int | None = None) -> None:
        """File a record of ``act`` at the current step, withdrawn ``withdraw_after`` steps
        later by an upheld dispute (``None``: never); counts it if it is negative."""
        model = self.model
        entry = model.acts[act]
        withdrawn_at = _NEVER if withdraw_after is None else model.step_index + withdraw_after
        record = Record(
            entry.kind, entry.amount, model.as_of_us, cause, withdrawn_at, entry.negative
        )
        self.records.append(record)
        if record.negative:
            self.negatives += 1
            self.false_negatives += cause != TRUE

    def _dispute_delay(self, p: float) -> int:
        """Steps until an upheld dispute: disputed and upheld with ``p`` each step."""
        steps = 1
        while self.model.random.random() >= p:
            steps += 1
        return steps

    def restore_if_reformed(self) -> None:
        """Stage: restoration — negative records go after a long enough clean streak."""
        model = self.model
        if not model.restoration:
            return
        violated = (not self.cooperates) or self.defaulted or self.betrayed
        self.streak = 0 if violated else self.streak + 1
        if self.streak >= model.restoration_steps:
            self.restore()
            self.streak = 0

    def restore(self) -> None:
        """Remove every negative record the agent holds (those filed this step included)."""
        self.records = [r for r in self.records if not r.negative]

    def score(self) -> None:
        """Stage: score the live records, grade, and apply this step's measures to the payoff."""
        self.total = self._evaluate()
        self.grade = self.model.policy.grade(self.total)
        self.payoff += self.model.per_tie.get(self.grade, 0.0) * len(self.neighbours)

    def _evaluate(self) -> int:
        """The agent's total now by the definition; drops records that no longer count and
        sets :attr:`upheld` (records an upheld dispute withdraws before the next step)."""
        model = self.model
        policy, now, step = model.policy, model.as_of_us, model.step_index
        live, points = [], []
        self.upheld = 0
        for record in self.records:
            if step >= record.withdrawn_at:
                continue  # withdrawn after an upheld dispute
            value = record_points(policy, record.kind, record.amount, record.occurred_us, now)
            if value:  # zero: expired (every recorded kind carries points)
                live.append(record)
                points.append((record.kind, value))
                if record.withdrawn_at == step + 1:  # withdrawn, unless it expires first
                    later = now + model.step_us
                    self.upheld += bool(
                        record_points(policy, record.kind, record.amount, record.occurred_us, later)
                    )
        self.records = live
        return aggregate(policy, points)[0]

    @property
    def violated(self) -> bool:
        """Whether the agent broke a rule this step (free riding, a default, a betrayal)."""
        return (not self.cooperates) or self.defaulted or self.betrayed

    def perceive(self) -> None:
        """Stage: learn from itself and its partner (violations, records, sanctions)."""
        behaviour = self.model.behaviour
        keep = 1 - behaviour.memory
        self.trials, self.hits = self.trials * keep, self.hits * keep
        self.innocent, self.arbitrary = self.innocent * keep, self.arbitrary * keep
        for seen in (self, self.partner):
            sanctioned = seen.negatives > 0
            if seen.violated:
                self.trials += 1
                self.hits += sanctioned
            else:
                self.innocent += 1
                self.arbitrary += sanctioned
        strength = behaviour.prior_strength
        prior = behaviour.prior_detection * strength
        self.fear = (prior + self.hits) / (strength + self.trials)
        self.deterrence = max(self.fear - self.arbitrary / (strength + self.innocent), 0.0)

    def reconsider(self) -> None:
        """Stage: a defector-to-be deliberates with ``reasoning``."""
        model = self.model
        if self.next_cooperates or model.random.random() >= model.reasoning:
            return
        size = len(self.neighbours) + 1
        back = 1 / size + sum(1 / (len(j.neighbours) + 1) for j in self.neighbours)
        value = model.cost * size - model.r * model.cost * back + self.act_value
        horizon = model.behaviour.horizon
        accrued = round(self.deterrence_then * horizon * -10)
        if self.risk * self.loss(accrued) > value:
            self.next_cooperates = True


class LawfulCoreModel(mesa.Model):
    """The full step of a ``lawful_core``-like scenario on a fixed network.

    Attributes:
        members: the agents, in node order.
        step_index: steps taken (policy time of the current step is :attr:`as_of_us`).
        datacollector: per-step measures (see :meth:`measures`).
    """

    def __init__(
        self,
        scenario: Scenario,
        neighbours: Sequence[Sequence[int]],
        *,
        seed: int = 0,
        policy: CompiledPolicy | None = None,
    ) -> None:
        """Create one agent per node, with traits and strategies from the model's stream.

        Args:
            scenario: the scenario (its game, behaviour and institution are read).
            neighbours: ``neighbours[i]`` lists the nodes tied to node ``i`` (symmetric).
            seed: seed of the model's random stream.
            policy: the compiled policy; default: the project's default bundle.

        Raises:
            ValueError: if the scenario has no institution, or uses a mechanic or a game
                this twin does not model.
        """
        super().__init__(seed=seed)
        _check_supported(scenario)
        spec, behaviour = scenario.institution, scenario.behaviour
        assert spec is not None
        self.behaviour = behaviour
        self.r, self.cost = scenario.game.r, scenario.game.cost
        self.noise = scenario.update.noise
        self.reasoning = behaviour.reasoning
        self.policy = policy or compiled_bundle(default_bundle())
        self.acts = _acts(self.policy)
        self.coverage, self.label_error = spec.coverage, spec.label_error
        dp = spec.due_process
        self.dispute_p = dp.dispute_rate * dp.dispute_success if dp.disputes else 0.0
        self.restoration, self.restoration_steps = dp.restoration, dp.restoration_steps
        self.hardship_freeze = dp.hardship
        self.per_tie = dict(spec.measures.per_tie)
        self.low_grades = set(spec.mechanics.ostracism.low_grades)
        self.step_us = scenario.step_days * DAY_US
        self.step_index = 0
        self.grade_shares: dict[str, float] = {}
        self.members = self._populate(len(neighbours), scenario.initial.cooperators)
        for agent, row in zip(self.members, neighbours, strict=True):
            agent.neighbours = [self.members[j] for j in row]
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())

    def _populate(self, n: int, cooperators: float) -> list[Citizen]:
        traits = TraitParameters()
        rng = self.random
        return [
            Citizen(
                self,
                rng.random() < cooperators,
                rng.betavariate(traits.ability.a, traits.ability.b),
                rng.betavariate(traits.willingness.a, traits.willingness.b),
            )
            for _ in range(n)
        ]

    def _reporters(self) -> dict[str, object]:
        reporters: dict[str, object] = {
            "cooperation": lambda m: m.mean(lambda a: a.cooperates),
            "compliance": lambda m: m.ratio(lambda a: a.due and not a.defaulted, lambda a: a.due),
            "fear": lambda m: m.mean(lambda a: a.fear),
            "trust": lambda m: m.mean(lambda a: a.invested_n),
            "score_mean": lambda m: m.mean(lambda a: a.total),
            "low_share": lambda m: m.mean(lambda a: a.grade in m.low_grades),
            "false_discovery_rate": lambda m: m.ratio(
                lambda a: a.false_negatives, lambda a: a.negatives
            ),
            "welfare": lambda m: m.mean(lambda a: a.payoff),
            "disputes_upheld": lambda m: float(sum(a.upheld for a in m.members)),
        }
        for band in self.policy.grades:  # counted once per step, in :meth:`step`
            reporters[f"share_{band.grade}"] = lambda m, g=band.grade: m.grade_shares[g]
        return reporters

    @property
    def as_of_us(self) -> int:
        """Policy time of the current step."""
        return ORIGIN_US + self.step_index * self.step_us

    def mean(self, value: object) -> float:
        """Mean of ``value(agent)`` over the agents."""
        assert callable(value)
        return sum(value(a) for a in self.members) / len(self.members)

    def ratio(self, num: object, den: object) -> float:
        """``sum(num(a)) / sum(den(a))``, NaN when the denominator is 0."""
        assert callable(num) and callable(den)
        bottom = sum(den(a) for a in self.members)
        return sum(num(a) for a in self.members) / bottom if bottom else float("nan")

    def step(self) -> None:
        """One full step (see the module docstring for the stages and their order)."""
        self.agents.do("share_pot")
        self.agents.do("collect_payoff")
        self.agents.do("act")
        self.agents.do("invest")
        self.agents.do("get_observed")
        self.agents.do("restore_if_reformed")
        self.agents.do("score")
        self.agents.do("perceive")
        self._count_grades()
        self.datacollector.collect(self)
        self.agents.do("decide")
        self.agents.do("reconsider")
        self.agents.do("adopt")
        self.step_index += 1

    def _count_grades(self) -> None:
        """Share of the agents in each grade this step, one pass over the agents."""
        counts, n = Counter(a.grade for a in self.members), len(self.members)
        self.grade_shares = {band.grade: counts[band.grade] / n for band in self.policy.grades}

    def run(self, steps: int) -> dict[str, list[float]]:
        """Take ``steps`` steps; the measures recorded by them, one list per measure."""
        first = len(self.datacollector.model_vars["cooperation"])
        for _ in range(steps):
            self.step()
        return {name: list(v[first:]) for name, v in self.datacollector.model_vars.items()}


def _check_supported(scenario: Scenario) -> None:
    spec = scenario.institution
    if spec is None:
        raise ValueError("the twin models a system: the scenario has no institution")
    if not isinstance(scenario.game, PublicGoods) or not isinstance(scenario.update, Fermi):
        raise ValueError("the twin plays the public goods game with Fermi imitation only")
    if not isinstance(scenario.initial, RandomShare) or scenario.update.fraction != 1.0:
        raise ValueError("the twin starts from a random share and updates every agent")
    mech = spec.mechanics
    switched = [
        name
        for name in ("contagion", "ostracism", "informants", "expression", "manipulation")
        if getattr(mech, name).enabled
    ]
    if switched:
        raise ValueError(f"the twin does not model: {', '.join(switched)}")
    if not spec.due_process.expiry:
        raise ValueError("the twin keeps the definition's expiry; it cannot switch it off")
