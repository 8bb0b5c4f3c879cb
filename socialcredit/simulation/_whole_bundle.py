"""The whole bundle in the lab: every kind, list and measure (``institution.acts: bundle``).

Three parts, each driven by the bundle being simulated and by the data file
``whole_bundle.yaml`` (read by :mod:`._whole_bundle_data`; it says how synthetic acts become
record kinds and what each measure type does to a payoff — never points, lists or rules):

* :class:`ActFiling` files a seen act as one of the bundle's kinds: an agent is a person or
  an organisation (``institution.organisations``), and each act draws the kind among those
  mapped for its subject kind with the file's probabilities (or files nothing).
* :class:`ListTracker` keeps every agent's listings. Listings on lists with grounds
  (notice, the ground's period, expiry, restoration by a performance record, escalation)
  are computed by the engine's own :func:`socialcredit.consequences._projection.listings`
  and :func:`~socialcredit.consequences._projection.membership_at` from the agent's records
  of the relevant kinds, again whenever these change or a listing reaches one of its
  boundaries, or the agent leaves one on application (:mod:`._repair`: early restoration
  granted, or credit repair withdrawing the penalty). Grade lists follow the agent's grade
  under the bundle's bands, in effect after the list's notice. Hardship (cannot pay)
  freezes the restrictions of a ``hardship_freezes`` list for the step.
* :class:`MeasureEffects` turns the measures linked to the lists an agent is in into a
  change of its own payoff in context: a travel restriction loses a share of the payoff
  earned on ties that need travel, a procurement exclusion a share of an organisation's
  public income, and so on (``measures:`` in the data file); a measure applies once, and the
  role-bound measures of an organisation's lists with ``representative: true`` also reach
  its legal representative (a person agent). The change enters the game payoff, so it acts
  only through imitation and the agents' decisions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from socialcredit.consequences import (
    CompiledConsequences,
    Listing,
    Status,
    SubjectFacts,
    listings,
    membership_at,
)
from socialcredit.policy import ListDefinition, PolicyBundle
from socialcredit.records import RecordRow
from socialcredit.scoring import KindTable, RunningScores
from socialcredit.simulation._binned import BinnedCounts
from socialcredit.simulation._engine import Acts
from socialcredit.simulation._networks import Network
from socialcredit.simulation._observation import Batch, Conduct
from socialcredit.simulation._repair import FACT_KINDS, Application, Applications
from socialcredit.simulation._scenario import ORIGIN_US, InstitutionSpec
from socialcredit.simulation._sector_grades import SectorTracker
from socialcredit.simulation._whole_bundle_data import (
    ACTS,
    SUBJECTS,
    act_kinds,
    mapped_kinds,
    unmapped_kinds,
    whole_bundle_data,
)
from socialcredit.timeutil import DAY_US

__all__ = [
    "CHANNELS",
    "ActFiling",
    "ListTracker",
    "MeasureEffects",
    "WholeBundle",
    "distant_share",
]

CHANNELS = ("distant_ties", "own_payoff", "public_income")
"""How a measure changes a payoff (see ``whole_bundle.yaml``)."""
_NO_FACTS = SubjectFacts()
_FAR = 2**62


@dataclass(frozen=True, slots=True)
class _Lists:
    """The part of a bundle :func:`~socialcredit.consequences._projection.listings` reads."""

    lists: tuple[ListDefinition, ...]


@dataclass(frozen=True, slots=True)
class _Draw:
    """One act for one subject kind: kind codes, cumulative probabilities, amounts."""

    codes: np.ndarray
    names: tuple[str, ...]
    cumulative: np.ndarray
    amounts: np.ndarray


class ActFiling:
    """Files seen acts as the bundle's kinds (see the module docstring).

    Attributes:
        organisation: which agents are organisations (the others are persons).
        names: every kind name a filing can carry, in local code order (``kind_names[i]``).
    """

    def __init__(self, bundle: PolicyBundle, table: KindTable, organisation: np.ndarray) -> None:
        """Index the mapping for ``bundle``: kinds a subject kind may not carry are left out.

        Raises:
            ValueError: naming the bundle's kinds that are neither mapped nor listed as not
                simulated in ``whole_bundle.yaml``.
        """
        missing = unmapped_kinds(bundle)
        if missing:
            raise ValueError(
                f"whole_bundle.yaml maps no act to the bundle's kinds {', '.join(missing)}"
            )
        self.organisation, self.table = organisation, table
        kinds = {k.id: k for k in bundle.catalogue}
        self.names: tuple[str, ...] = tuple(sorted(mapped_kinds() & set(kinds)))
        local = {name: i for i, name in enumerate(self.names)}
        self._draws: dict[tuple[str, int], _Draw] = {}
        for act in ACTS:
            for s, subject in enumerate(SUBJECTS):
                pairs = [
                    (name, p, amount)
                    for name, (p, amount) in act_kinds(act, subject).items()
                    if name in kinds and subject in kinds[name].subject_kinds
                ]
                self._draws[act, s] = _Draw(
                    np.array([local[n] for n, _, _ in pairs], dtype=np.int64),
                    tuple(n for n, _, _ in pairs),
                    np.cumsum([p for _, p, _ in pairs], dtype=np.float64),
                    np.array([a for _, _, a in pairs], dtype=np.int64),
                )
        self.table_codes = table.encode(self.names)

    def expected_points(self, act: str) -> int:
        """Points a seen ``act`` of a person brings on average (for the agents' judgement)."""
        draw = self._draws[act, 0]
        if draw.codes.size == 0:
            return 0
        probs = np.diff(draw.cumulative, prepend=0.0)
        points = self.table.points[self.table_codes[draw.codes]]
        points = points + self.table.per_unit[self.table_codes[draw.codes]] * draw.amounts
        return int(np.rint(float(np.dot(probs, points))))

    def share(self, act: str, kinds: set[str]) -> tuple[float, float]:
        """The chance that a seen ``act`` of a person / an organisation is filed as one of
        ``kinds``."""
        out = []
        for s in (0, 1):
            draw = self._draws[act, s]
            probs = np.diff(draw.cumulative, prepend=0.0)
            out.append(float(sum(p for n, p in zip(draw.names, probs, strict=True) if n in kinds)))
        return out[0], out[1]

    def file(
        self, act: str, agents: np.ndarray, cause: int, rng: np.random.Generator
    ) -> list[tuple[np.ndarray, int, int, int, int]]:
        """Records of ``act`` seen for ``agents``: ``(agents, table code, amount, cause,
        local code)`` parts, one per kind drawn."""
        out = []
        org = self.organisation[agents]
        for s in (0, 1):
            who = agents[org == bool(s)]
            draw = self._draws[act, s]
            if who.size == 0 or draw.codes.size == 0:
                continue
            pick = np.searchsorted(draw.cumulative, rng.random(who.size), side="right")
            for i in np.unique(pick[pick < draw.codes.size]).tolist():
                local = int(draw.codes[i])
                code = int(self.table_codes[local])
                out.append((who[pick == i], code, int(draw.amounts[i]), cause, local))
        return out


class ListTracker:
    """Every agent's standing on the bundle's lists (see the module docstring).

    Attributes:
        lists: the bundle's list ids, in bundle order (columns of :attr:`listed`).
        listed: ``(n, lists)`` whether each agent's listing is in effect now.
    """

    def __init__(
        self,
        bundle: PolicyBundle,
        names: tuple[str, ...],
        organisation: np.ndarray,
        origin_us: int,
        step_us: int,
    ) -> None:
        """Track the lists of ``bundle`` for agents whose filings carry kinds ``names``."""
        self.bundle, self.compiled = bundle, CompiledConsequences(bundle)
        self.organisation, self.origin_us, self.step_us = organisation, origin_us, step_us
        self.names = names
        self.lists = tuple(d.id for d in bundle.lists)
        self._column = {d.id: i for i, d in enumerate(bundle.lists)}
        self._grade_lists = [(i, d) for i, d in enumerate(bundle.lists) if d.grades]
        # lists entered by a sector grade: followed from the sector tracker's grades, below
        self._sector_lists = [
            (i, d) for i, d in enumerate(bundle.lists) if d.sector_grade is not None
        ]
        self._ground_columns = [
            i for i, d in enumerate(bundle.lists) if not d.grades and d.sector_grade is None
        ]
        relevant = self.compiled.relevant_kinds
        self._trigger = np.array([n in relevant for n in names], dtype=bool)
        # the facts credit repair reads are kept too (they change no listing)
        self._relevant = np.array([n in relevant | FACT_KINDS for n in names], dtype=bool)
        grounds = {g.kind for d in bundle.lists for g in d.grounds}
        self._ground = np.array([n in grounds for n in names], dtype=bool)
        # the engine's rules see only ground lists here (grade lists are followed below)
        self._ground_lists = _Lists(
            tuple(d for d in bundle.lists if not d.grades and d.sector_grade is None)
        )
        n = organisation.size
        self.listed = np.zeros((n, len(self.lists)), dtype=bool)
        self._rows: dict[int, list[tuple[RecordRow, int]]] = {}  # agent -> (row, leaves at)
        self._next = np.full(n, _FAR, dtype=np.int64)  # next boundary of a listing (us)
        self._wake: dict[int, list[int]] = {}  # step -> agents whose records leave then
        self._since = np.full((n, len(self._grade_lists)), -1, dtype=np.int64)
        self._sector_since = np.full((n, len(self._sector_lists)), -1, dtype=np.int64)
        self._has_ground = np.zeros(n, dtype=bool)
        self._position = 0
        self._facts: dict[int, SubjectFacts] = {}  # agent -> restorations granted
        self.found: dict[int, tuple[Listing, ...]] = {}  # agent -> its ground listings
        self.freezes = np.array([d.hardship_freezes for d in bundle.lists], dtype=bool)

    def file(
        self, step: int, subject: np.ndarray, local: np.ndarray, amount: np.ndarray,
        leaves: np.ndarray,
    ) -> None:  # fmt: skip
        """Keep the records of relevant kinds filed at ``step`` (``leaves``: the step at
        which each stops being effective: expiry or an upheld dispute)."""
        ground = self._ground[local]
        self._has_ground[subject[ground]] = True
        # a performance record counts only against a ground at or before it: none yet, never
        keep = self._relevant[local] & self._has_ground[subject]
        if not keep.any():
            return
        now = self.origin_us + step * self.step_us
        kinds = ("person", "organisation")
        for agent, code, value, until in zip(
            subject[keep].tolist(), local[keep].tolist(), amount[keep].tolist(),
            leaves[keep].tolist(), strict=True,
        ):  # fmt: skip
            row = RecordRow(
                self._position, kinds[int(self.organisation[agent])], str(agent),
                self.names[code], now, now, value,
            )  # fmt: skip
            self._position += 1
            self._rows.setdefault(agent, []).append((row, until))
            if self._trigger[code]:
                self._next[agent] = 0  # recompute now
            if until < _FAR:  # withdrawn after an upheld dispute: recompute then
                self._wake.setdefault(until, []).append(agent)

    def update(
        self,
        step: int,
        grades: np.ndarray,
        grade_names: tuple[str, ...],
        sectors: SectorTracker | None = None,
    ) -> None:
        """Bring :attr:`listed` to ``step`` (records filed, grades and sector grades as they
        now stand)."""
        now = self.origin_us + step * self.step_us
        self._next[self._wake.pop(step, [])] = 0
        for agent in np.flatnonzero(self._next <= now).tolist():
            self._recompute(agent, step, now)
        self._grades(step, grades, grade_names)
        if sectors is not None:
            self._sector_grades(step, sectors)

    def _sector_grades(self, step: int, sectors: SectorTracker) -> None:
        """Lists entered by a sector grade: in effect once the agent's grade in the scheme
        has been one of the list's grades for the list's notice (as the engine's
        :func:`~socialcredit.consequences._sector_listings.sector_grade_listings` opens them)."""
        column_of = {s.id: j for j, s in enumerate(sectors.schemes)}
        for j, (column, d) in enumerate(self._sector_lists):
            entry = d.sector_grade
            assert entry is not None
            scheme = sectors.schemes[column_of[entry.scheme]]
            codes = sectors.codes[:, column_of[entry.scheme]]
            inside = np.isin(codes, [scheme.grades.index(g) for g in entry.grades])
            since = self._sector_since[:, j]
            since[inside & (since < 0)] = step
            since[~inside] = -1
            notice_steps = -(-d.notice_days * DAY_US // self.step_us)
            self.listed[:, column] = inside & (step - since >= notice_steps)

    def _recompute(self, agent: int, step: int, now: int) -> None:
        """The agent's ground listings by the engine's rules, and their status now."""
        kind = "organisation" if self.organisation[agent] else "person"
        found = listings(
            self._ground_lists,  # type: ignore[arg-type]  # listings reads only .lists
            self.compiled.scoring,
            self.effective(agent, step),
            self._facts.get(agent, _NO_FACTS),
            kind,
            now,
        )
        self.found[agent] = found
        self.listed[agent, self._ground_columns] = False
        upcoming = _FAR
        for item in found:
            member = membership_at(item, now, frozen=False)
            if member is not None and member.status == Status.LISTED:
                self.listed[agent, self._column[item.list_id]] = True
            for edge in (item.noticed_us, item.from_us, item.until_us):
                if edge is not None and edge > now:
                    upcoming = min(upcoming, edge)
        self._next[agent] = upcoming

    def effective(self, agent: int, step: int) -> list[RecordRow]:
        """The agent's kept records still effective at ``step``, in filing order."""
        return [row for row, until in self._rows.get(agent, []) if until > step]

    def withdraw(self, agent: int, position: int, step: int) -> int:
        """Withdraw the agent's record at ``position`` from ``step`` on (a granted repair);
        its listings are recomputed at the next :meth:`update`. Returns the step it would
        otherwise have left at (an upheld dispute; a far step if none).

        Raises:
            KeyError: if the agent holds no effective record at ``position``.
        """
        rows = self._rows.get(agent, [])
        for i, (row, until) in enumerate(rows):
            if row.position == position and until > step:
                rows[i] = (row, step)
                self._next[agent] = 0
                return until
        raise KeyError(f"agent {agent} holds no effective record at {position}")

    def restore(self, agent: int, list_id: str, now: int) -> None:
        """Grant the agent early restoration from ``list_id`` at ``now`` (a restoration fact,
        as the engine records it); its listings are recomputed at the next :meth:`update`."""
        self._facts.setdefault(agent, SubjectFacts()).restorations.append((list_id, now))
        self._next[agent] = 0

    def _grades(self, step: int, grades: np.ndarray, grade_names: tuple[str, ...]) -> None:
        """Grade lists: in effect once the agent's grade has been one of the list's grades
        for the list's notice."""
        for j, (column, d) in enumerate(self._grade_lists):
            subject_ok = np.array(["organisation" in d.subject_kinds, "person" in d.subject_kinds])[
                np.where(self.organisation, 0, 1)
            ]
            inside = np.isin(grades, [grade_names.index(g) for g in d.grades if g in grade_names])
            inside &= subject_ok
            since = self._since[:, j]
            since[inside & (since < 0)] = step
            since[~inside] = -1
            notice_steps = -(-d.notice_days * DAY_US // self.step_us)
            self.listed[:, column] = inside & (step - since >= notice_steps)

    def in_effect(self, hardship: np.ndarray) -> np.ndarray:
        """:attr:`listed`, with the lists hardship freezes cleared for agents in hardship."""
        if not hardship.any() or not self.freezes.any():
            return self.listed
        out = self.listed.copy()
        out[np.ix_(np.flatnonzero(hardship), np.flatnonzero(self.freezes))] = False
        return out


def distant_share(network: Network) -> np.ndarray:
    """Each agent's share of ties that need travel: ties reaching further round the ring of
    agent ids than half the mean degree (a small world's rewired shortcuts)."""
    n = network.n
    reach = max(1, round(float(network.degree.mean()) / 2)) if n else 1
    gap = np.abs(network.row_of_entry.astype(np.int64) - network.indices.astype(np.int64))
    far = np.minimum(gap, n - gap) > reach
    count = np.bincount(network.row_of_entry[far], minlength=n).astype(np.float32)
    return count / np.maximum(network.degree_float, np.float32(1))


class MeasureEffects:
    """The payoff change of the measures in effect (see the module docstring).

    Attributes:
        coefficients: ``(lists, channels)`` each channel's share summed over the measures a
            list triggers (the loss of one listing, for the agents' judgement).
        measures: the measure ids, in bundle order (columns of :attr:`links`).
        links: ``(lists, measures)`` which measures each list triggers.
        role_links: ``(lists, measures)`` the links that reach a listed organisation's legal
            representative: role-bound measures of a list with ``representative: true``.
        per_measure: ``(measures, channels)`` each measure's shares.
    """

    def __init__(self, bundle: PolicyBundle, public_income: float) -> None:
        """Index each list's measures and each measure's channel shares.

        Raises:
            ValueError: if a measure type has no effect in ``whole_bundle.yaml``.
        """
        effects = whole_bundle_data()["measures"]
        compiled = CompiledConsequences(bundle)
        self.measures = tuple(m.id for m in bundle.measures.measures)
        index = {m: j for j, m in enumerate(self.measures)}
        self.per_measure = np.zeros((len(self.measures), len(CHANNELS)), dtype=np.float32)
        self.links = np.zeros((len(bundle.lists), len(self.measures)), dtype=bool)
        self.role_links = np.zeros_like(self.links)
        for measure in bundle.measures.measures:
            effect = effects.get(measure.type)
            if not isinstance(effect, Mapping):
                raise ValueError(f"whole_bundle.yaml: measure type {measure.type!r} has no effect")
            for channel, share in effect.items():
                self.per_measure[index[measure.id], CHANNELS.index(channel)] = np.float32(share)
        for i, d in enumerate(bundle.lists):
            for measure in compiled.by_list.get(d.id, ()):
                self.links[i, index[measure.id]] = True
                self.role_links[i, index[measure.id]] = d.representative and measure.role_bound
        self.coefficients = self.links.astype(np.float32) @ self.per_measure
        self.public_income = np.float32(public_income)
        self._distant: tuple[Network, np.ndarray] | None = None

    def channels(
        self,
        network: Network,
        payoff: np.ndarray,
        organisation: np.ndarray,
        who: np.ndarray | None = None,
    ) -> np.ndarray:
        """What each measure channel acts on, for agents ``who`` (default: all):
        ``(channels, agents)`` — payoff earned on ties that need travel, the absolute game
        payoff, the public income."""
        if self._distant is None or self._distant[0] is not network:
            self._distant = (network, distant_share(network))
        game = np.asarray(payoff if who is None else payoff[who], dtype=np.float32)
        org = organisation if who is None else organisation[who]
        degree = network.degree_float if who is None else network.degree_float[who]
        far = self._distant[1] if who is None else self._distant[1][who]
        income = np.where(org, self.public_income, np.float32(0)) * degree
        return np.stack([np.maximum(game, 0) * far, np.abs(game), income])

    def applied(
        self, listed: np.ndarray, representative: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(who, applied)``: the agents some measure applies to, ascending, and for each
        which measures (``(who, measures)``): those of the lists it is in, and, for the legal
        representative of an organisation, the role-bound measures of the organisation's
        lists that reach it. A measure applies once however many lists trigger it, as in
        the engine's decisions."""
        own = listed.any(axis=1)
        reached = np.zeros(0, dtype=np.int64)
        if representative is not None:
            orgs = np.flatnonzero((representative >= 0) & listed.any(axis=1))
            hit = (listed[orgs].astype(np.float32) @ self.role_links) > 0
            orgs, hit = orgs[hit.any(axis=1)], hit[hit.any(axis=1)]
            reached = representative[orgs]
        who = np.union1d(np.flatnonzero(own), reached)
        out = (listed[who].astype(np.float32) @ self.links) > 0
        if reached.size:
            np.logical_or.at(out, np.searchsorted(who, reached), hit)
        return who, out

    def payoff(
        self,
        network: Network,
        payoff: np.ndarray,
        organisation: np.ndarray,
        listed: np.ndarray,
        representative: np.ndarray | None = None,
    ) -> np.ndarray:
        """Each agent's payoff change from the measures that apply to it (:meth:`applied`),
        in its own context."""
        out = np.zeros(network.n, dtype=np.float32)
        who, applied = self.applied(listed, representative)
        if who.size == 0:
            return out
        share = applied.astype(np.float32) @ self.per_measure  # (who, channels)
        out[who] = np.einsum("wc,cw->w", share, self.channels(network, payoff, organisation, who))
        return out


class WholeBundle:
    """The whole-bundle part of one run's institution: filing, lists and measures.

    Attributes:
        organisation: which agents are organisations (drawn at the first step).
        representative: each organisation's legal representative, a person agent (-1 for a
            person, or an organisation when there is no person), drawn at the first step.
        pending: agents restored last step, whose clean record is filed this step.
        applications: the agents' applications to leave a list (:mod:`._repair`).
        hardship: the agents in hardship at the last step (their frozen lists).
        change: each agent's payoff change at the last step (measures, cost of applying).
    """

    def __init__(
        self,
        bundle: PolicyBundle,
        table: KindTable,
        spec: InstitutionSpec,
        n: int,
        step_us: int,
        lawful: RunningScores | None = None,
        binned: BinnedCounts | None = None,
    ) -> None:
        """Prepare for ``n`` agents under ``bundle`` (``table`` is its policy table); a
        granted repair withdraws its penalty from the running scores ``lawful`` and the
        binned counts ``binned``, if given.

        Raises:
            ValueError: if the bundle has kinds or measure types ``whole_bundle.yaml`` does
                not cover.
        """
        self.bundle, self.table, self.spec, self.n, self.step_us = bundle, table, spec, n, step_us
        self.effects = MeasureEffects(bundle, spec.public_income)
        unmapped = unmapped_kinds(bundle)
        if unmapped:
            raise ValueError(f"whole_bundle.yaml maps no act to the bundle's kinds {unmapped}")
        self.grade_names = tuple(b.grade for b in table.policy.grades)
        self.organisation = np.zeros(n, dtype=bool)
        self.representative = np.full(n, -1, dtype=np.int64)
        self.pending: np.ndarray | None = None
        self.hardship = np.zeros(n, dtype=bool)
        self.change = np.zeros(n, dtype=np.float32)
        self.applications = Applications(bundle, n, whole_bundle_data()["applications"])
        self.lawful, self.binned = lawful, binned

    def start(self, rng: np.random.Generator) -> None:
        """Draw which agents are organisations, each organisation's legal representative
        (a person, uniformly) and the agents' costs of applying; index the filing and the
        lists."""
        self.organisation = rng.random(self.n) < self.spec.organisations
        persons = np.flatnonzero(~self.organisation)
        if persons.size:
            orgs = np.flatnonzero(self.organisation)
            self.representative[orgs] = persons[rng.integers(0, persons.size, orgs.size)]
        self.applications.draw(rng)
        self.filing = ActFiling(self.bundle, self.table, self.organisation)
        self.tracker = ListTracker(
            self.bundle, self.filing.names, self.organisation, ORIGIN_US, self.step_us
        )
        self.sectors = SectorTracker(
            self.table.policy, self.filing.names, self.organisation, ORIGIN_US, self.step_us
        )

    def refile(
        self,
        batch: Batch,
        codes: Mapping[str, tuple[int, int]],
        conduct: Conduct,
        coverage: float,
        rng: np.random.Generator,
    ) -> tuple[Batch, np.ndarray]:
        """The step's records as the bundle's kinds, and each record's local kind code.

        The core records (``acts.yaml`` kinds) are filed again by their act, keeping their
        cause; hardship, obligations met and last step's clean records are added, each
        seen with ``coverage``.
        """
        act_of = {codes[a][0]: a for a in ("obligation_default", "free_riding", "civic_act")}
        act_of[codes["fake_rating"][0]] = "fake_rating"
        parts: list[tuple[np.ndarray, int, int, int, int]] = []
        for code, act in act_of.items():
            mine = batch.kind == code
            for cause in np.unique(batch.cause[mine]).tolist():
                agents = batch.subject[mine & (batch.cause == cause)]
                parts += self.filing.file(act, agents, int(cause), rng)
        extra = [("obligation_met", conduct.due & ~conduct.defaulted)]
        if self.spec.due_process.hardship:
            extra.append(("hardship", conduct.hardship))
        if self.pending is not None:
            extra.append(("clean_record", self.pending))
            self.sectors.restore(self.pending)
            self.pending = None
        for act, mask in extra:
            seen = np.flatnonzero(mask & (rng.random(self.n, dtype=np.float32) < coverage))
            parts += self.filing.file(act, seen, 0, rng)
        joined = Batch.of([p[:4] for p in parts])
        local = np.concatenate(
            [np.full(p[0].size, p[4], np.int64) for p in parts] or [np.zeros(0, np.int64)]
        )
        return joined, local

    def keep(self, step: int, batch: Batch, local: np.ndarray, delays: np.ndarray | None) -> None:
        """Hand the filed records to the list and sector trackers (withdrawn after an upheld
        dispute)."""
        leaves = np.full(local.size, _FAR, dtype=np.int64)
        if delays is not None:
            withdrawn = delays >= 0
            leaves[withdrawn] = step + np.maximum(delays[withdrawn], 1)
        self.tracker.file(step, batch.subject, local, batch.amount, leaves)
        self.sectors.file(step, batch.subject, local, batch.amount, leaves)

    def measures(self, acts: Acts, grades: np.ndarray, hardship: np.ndarray) -> np.ndarray:
        """The lists brought to this step (after this step's applications to leave them) and
        the payoff change of their measures, less the cost of applying."""
        self.sectors.update(acts.step)
        self.tracker.update(acts.step, grades, self.grade_names, self.sectors)
        self.hardship = hardship
        if self._apply(acts):
            self.sectors.update(acts.step)
            self.tracker.update(acts.step, grades, self.grade_names, self.sectors)
        listed = self.tracker.in_effect(hardship)
        change = self.effects.payoff(
            acts.network, acts.payoff, self.organisation, listed, self.representative
        )
        self.change = change - self.applications.paid
        return self.change

    def _apply(self, acts: Acts) -> bool:
        """This step's applications to leave a list, decided by the engine's rules; returns
        whether any was granted (the lists and grades are then brought up to date again)."""
        apps, tracker, step = self.applications, self.tracker, acts.step
        who = apps.candidates(tracker.in_effect(self.hardship), step)
        if who.size == 0:
            return False
        channels = self.effects.channels(acts.network, acts.payoff, self.organisation, who)
        loss = -(self.effects.coefficients @ channels)  # (lists, who): per step
        now = tracker.origin_us + step * self.step_us
        granted = False
        for j, agent in enumerate(who.tolist()):
            found = tracker.found.get(agent, ())
            for route, list_id, position in apps.decide(
                agent, step, now, found, loss[:, j], self.step_us
            ):
                unmet = self._decided(agent, step, now, found, route, list_id, position)
                if unmet is not None:
                    apps.note(Application(step, agent, route, list_id, position, not unmet, unmet))
                    granted |= not unmet
        return granted

    def _decided(
        self, agent: int, step: int, now: int, found: tuple[Listing, ...], route: str,
        list_id: str, position: int,
    ) -> tuple[str, ...] | None:  # fmt: skip
        """Decide one application by the engine's rules and carry out a grant; returns the
        unmet conditions (none: granted), or None if the penalty is already withdrawn."""
        apps, tracker = self.applications, self.tracker
        if route == "restoration":
            if not apps.restoration_granted(list_id, found, now):
                return ("wait",)
            tracker.restore(agent, list_id, now)
            return ()
        rows = tracker.effective(agent, step)
        penalty = next((r for r in rows if r.position == position), None)
        if penalty is None:  # withdrawn by an earlier grant this step
            return None
        unmet = apps.repair_unmet(penalty, rows, now)
        if not unmet and apps.rules.ends_scoring:
            leaves = tracker.withdraw(agent, position, step)
            self.sectors.withdraw(agent, penalty.kind, penalty.recorded_at_us, step)
            self._withdraw_points(agent, penalty, leaves)
        return unmet

    def _withdraw_points(self, agent: int, penalty: RecordRow, leaves: int) -> None:
        """Take a withdrawn penalty (which an upheld dispute would withdraw at step
        ``leaves``, if before its expiry) out of the running scores and binned counts from
        now on, as the engine's evaluators leave a withdrawn record out."""
        filed = (penalty.recorded_at_us - self.tracker.origin_us) // self.step_us
        code = self.table.code(penalty.kind)
        if self.lawful is not None:  # kinds only binned rules count have no points there
            there = min(code, self.lawful.table.neutral)
            self.lawful.withdraw(agent, there, filed, penalty.amount or 0, leaves)
        if self.binned is not None:
            self.binned.withdraw(agent, code, filed, leaves)

    def listing_losses(
        self, network: Network, payoff: np.ndarray, horizon: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per agent, the payoff it would lose over ``horizon`` steps from the listings a
        recorded default / free ride could bring: for each list it is not on, the chance the
        record is one of the list's grounds (the filing probabilities of its subject kind)
        times the per-step loss of that list's measures in its own context, over the steps
        of the horizon left after the list's notice."""
        out = (np.zeros(self.n, dtype=np.float32), np.zeros(self.n, dtype=np.float32))
        channels = None
        for column, d in enumerate(self.bundle.lists):
            if not d.grounds:
                continue
            steps = horizon - -(-d.notice_days * DAY_US // self.step_us)
            if steps <= 0:
                continue
            if channels is None:
                channels = self.effects.channels(network, payoff, self.organisation)
            loss = -(self.effects.coefficients[column] @ channels)  # per step, on this list
            loss *= np.float32(steps) * ~self.tracker.listed[:, column]
            grounds = {g.kind for g in d.grounds}
            for target, act in zip(out, ("obligation_default", "free_riding"), strict=True):
                q = self.filing.share(act, grounds)
                target += np.where(self.organisation, q[1], q[0]).astype(np.float32) * loss
        return out
