"""The whole bundle in the lab: every kind, list and measure (``institution.acts: bundle``).

Three parts, each driven by the bundle being simulated and by the data file
``whole_bundle.yaml`` (which says how synthetic acts become record kinds and what each
measure type does to a payoff — never points, lists or rules):

* :class:`ActFiling` files a seen act as one of the bundle's kinds: an agent is a person or
  an organisation (``institution.organisations``), and each act draws the kind among those
  mapped for its subject kind with the file's probabilities (or files nothing).
* :class:`ListTracker` keeps every agent's listings. Listings on lists with grounds
  (notice, the ground's period, expiry, restoration by a performance record, escalation)
  are computed by the engine's own :func:`socialcredit.consequences.projection.listings`
  and :func:`~socialcredit.consequences.projection.membership_at` from the agent's records
  of the relevant kinds, again whenever these change or a listing reaches one of its
  boundaries. Grade lists follow the agent's grade under the bundle's bands, in effect
  after the list's notice. Hardship (cannot pay) freezes the restrictions of a
  ``hardship_freezes`` list for the step.
* :class:`MeasureEffects` turns the measures linked to the lists an agent is in into a
  change of its own payoff in context: a travel restriction loses a share of the payoff
  earned on ties that need travel, a procurement exclusion a share of an organisation's
  public income, and so on (``measures:`` in the data file). The change enters the game
  payoff, so it acts only through imitation and the agents' decisions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml

from socialcredit.consequences.decisions import CompiledConsequences
from socialcredit.consequences.model import Status
from socialcredit.consequences.projection import (
    SubjectFacts,
    listings,
    membership_at,
)
from socialcredit.policy import PolicyBundle
from socialcredit.policy.lists import ListDefinition
from socialcredit.scoring.records import RecordRow
from socialcredit.scoring.vectorised import KindTable
from socialcredit.simulation.engine import Acts
from socialcredit.simulation.networks import Network
from socialcredit.simulation.observation import Batch, Conduct
from socialcredit.simulation.scenario import InstitutionSpec
from socialcredit.simulation.sector_grades import SectorTracker
from socialcredit.timeutil import DAY_US

__all__ = [
    "ACTS",
    "CHANNELS",
    "ActFiling",
    "ListTracker",
    "MeasureEffects",
    "WholeBundle",
    "distant_share",
    "unmapped_kinds",
    "whole_bundle_data",
]

ACTS = (
    "obligation_default",
    "hardship",
    "obligation_met",
    "free_riding",
    "civic_act",
    "fake_rating",
    "clean_record",
)
"""The synthetic acts and outcomes that file records."""
CHANNELS = ("distant_ties", "own_payoff", "public_income")
"""How a measure changes a payoff (see ``whole_bundle.yaml``)."""
_SUBJECTS = ("person", "organisation")
_NO_FACTS = SubjectFacts()
_FAR = 2**62


@cache
def whole_bundle_data() -> dict[str, dict[str, object]]:
    """The shipped ``whole_bundle.yaml`` (acts, kinds not simulated, measure effects)."""
    text = (resources.files("socialcredit.simulation") / "whole_bundle.yaml").read_text()
    data: dict[str, dict[str, object]] = yaml.safe_load(text)
    return data


def _mapping(act: str, subject: str) -> dict[str, tuple[float, int]]:
    """``kind -> (probability, amount)`` of ``act`` for ``subject`` (person/organisation)."""
    raw = whole_bundle_data()["acts"][act]
    assert isinstance(raw, Mapping)
    out = {}
    for kind, value in (raw.get(subject) or {}).items():
        if isinstance(value, Mapping):
            out[kind] = (float(value["p"]), int(value.get("amount", 0)))
        else:
            out[kind] = (float(value), 0)
    return out


def mapped_kinds() -> frozenset[str]:
    """Every kind some act files."""
    return frozenset(k for act in ACTS for s in _SUBJECTS for k in _mapping(act, s))


def unmapped_kinds(bundle: PolicyBundle) -> list[str]:
    """The bundle's kinds that no act files and the data file does not list as not
    simulated (with its reason): what the lab could not express of this bundle."""
    listed = set(whole_bundle_data()["not_simulated"])
    return sorted(k.id for k in bundle.catalogue if k.id not in mapped_kinds() | listed)


@dataclass(frozen=True, slots=True)
class _Lists:
    """The part of a bundle :func:`~socialcredit.consequences.projection.listings` reads."""

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
            for s, subject in enumerate(_SUBJECTS):
                pairs = [
                    (name, p, amount)
                    for name, (p, amount) in _mapping(act, subject).items()
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
        self._relevant = np.array([n in self.compiled.relevant_kinds for n in names], dtype=bool)
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
        :func:`~socialcredit.consequences.sector_listings.sector_grade_listings` opens them)."""
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
        rows = self._rows.get(agent, [])
        effective = [row for row, until in rows if until > step]
        kind = "organisation" if self.organisation[agent] else "person"
        found = listings(
            self._ground_lists,  # type: ignore[arg-type]  # listings reads only .lists
            self.compiled.scoring,
            effective,
            _NO_FACTS,
            kind,
            now,
        )
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
    """The payoff change of the measures in effect (see the module docstring)."""

    def __init__(self, bundle: PolicyBundle, public_income: float) -> None:
        """Sum, per list, each channel's share over the measures the list triggers.

        Raises:
            ValueError: if a measure type has no effect in ``whole_bundle.yaml``.
        """
        effects = whole_bundle_data()["measures"]
        compiled = CompiledConsequences(bundle)
        self.coefficients = np.zeros((len(bundle.lists), len(CHANNELS)), dtype=np.float32)
        for i, d in enumerate(bundle.lists):
            for measure in compiled.by_list.get(d.id, ()):
                effect = effects.get(measure.type)
                if not isinstance(effect, Mapping):
                    raise ValueError(
                        f"whole_bundle.yaml: measure type {measure.type!r} has no effect"
                    )
                for channel, share in effect.items():
                    self.coefficients[i, CHANNELS.index(channel)] += np.float32(share)
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

    def payoff(
        self, network: Network, payoff: np.ndarray, organisation: np.ndarray, listed: np.ndarray
    ) -> np.ndarray:
        """Each agent's payoff change from the measures of the lists it is in (``listed``)."""
        out = np.zeros(network.n, dtype=np.float32)
        who = np.flatnonzero(listed.any(axis=1))
        if who.size == 0:
            return out
        share = listed[who].astype(np.float32) @ self.coefficients  # (who, channels)
        out[who] = np.einsum("wc,cw->w", share, self.channels(network, payoff, organisation, who))
        return out


class WholeBundle:
    """The whole-bundle part of one run's institution: filing, lists and measures.

    Attributes:
        organisation: which agents are organisations (drawn at the first step).
        pending: agents restored last step, whose clean record is filed this step.
    """

    def __init__(
        self,
        bundle: PolicyBundle,
        table: KindTable,
        spec: InstitutionSpec,
        n: int,
        step_us: int,
    ) -> None:
        """Prepare for ``n`` agents under ``bundle`` (``table`` is its policy table).

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
        self.pending: np.ndarray | None = None

    def start(self, rng: np.random.Generator) -> None:
        """Draw which agents are organisations; index the filing and the lists."""
        from socialcredit.simulation.institution import ORIGIN_US

        self.organisation = rng.random(self.n) < self.spec.organisations
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
        """The lists brought to this step and the payoff change of their measures."""
        self.sectors.update(acts.step)
        self.tracker.update(acts.step, grades, self.grade_names, self.sectors)
        listed = self.tracker.in_effect(hardship)
        return self.effects.payoff(acts.network, acts.payoff, self.organisation, listed)

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
