"""Restoration on application in the lab: a listed agent decides to apply, the engine's rules
decide the application (issue 16).

Two routes out of a listing, both the engine's:

* ``restoration``: a list with ``restoration.on_application_after`` lets a subject apply for
  early restoration once the wait has passed since its listing took effect (the engine's
  :func:`~socialcredit.consequences._projection.restoration_refusal`); a grant is a restoration fact
  (:class:`~socialcredit.consequences._projection.SubjectFacts`) at the step's time, which the
  engine's :func:`~socialcredit.consequences._projection.listings` turns into the end of every
  listing on that list noticed by then.
* ``repair``: a listing grounded on a published, repairable penalty
  (:func:`socialcredit.rights._repair.repairable_kind` under the bundle's ``repair.yaml``) may
  be ended by credit repair of that penalty. The conditions are the engine's own
  (``performed``, ``publicity_period``, ``commitment``, ``training`` for the gravities that
  need it: :func:`repair_conditions`); a grant withdraws the penalty (``ends_scoring``), so the
  listing it grounds disappears from the engine's listings and the sector grades, and its
  points from the running scores
  (:meth:`~socialcredit.scoring._vectorised.RunningScores.withdraw`), as a withdrawal does in
  the engine.

The decision to apply is the agent's: for a listing in effect on a black list, the gain of
leaving it is the per-step loss of the list's measures in the agent's context times the steps
left until the listing would end; the agent applies by a route the bundle offers for the
listing when its belief that the route succeeds (learned from its own outcomes, from a uniform
prior) times that gain exceeds its cost of applying (heterogeneous: log-normal, drawn once per
agent; ``applications`` in ``whole_bundle.yaml``), at most once every ``retry_steps``. Each
application's cost is paid (it lowers the agent's payoff that step). An application is decided
at once, at the step's time (the credit office's 7 business days are not simulated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialcredit.catalogue import Catalogue
from socialcredit.consequences import Listing, Status, membership_at, restoration_refusal
from socialcredit.policy import PolicyBundle, RepairRules
from socialcredit.records import RecordRow
from socialcredit.rights import FACT_KINDS, Condition, repair_conditions_from_facts, repairable_kind

__all__ = ["FACT_KINDS", "ROUTES", "Application", "Applications", "repair_conditions"]

ROUTES = ("restoration", "repair")
"""The routes out of a listing on application."""


@dataclass(frozen=True, slots=True)
class Application:
    """One application and its outcome.

    Attributes:
        route: ``restoration`` (the list's early restoration) or ``repair`` (credit repair).
        record: the position of the penalty applied for (``repair``), in the list tracker's
            numbering; -1 for ``restoration``.
        unmet: the conditions found unmet (``repair``), or ``("wait",)`` for a restoration
            applied for before its wait has passed.
    """

    step: int
    agent: int
    route: str
    list_id: str
    record: int
    granted: bool
    unmet: tuple[str, ...] = ()


def repair_conditions(
    catalogue: Catalogue,
    penalty: RecordRow,
    rows: list[RecordRow],
    rules: RepairRules,
    known_us: int,
) -> tuple[Condition, ...]:
    """The engine's conditions of credit repair of ``penalty`` at ``known_us``, from the
    subject's effective records ``rows`` (in filing order):
    :func:`socialcredit.rights._repair.repair_conditions_from_facts`, the function
    :func:`socialcredit.rights._repair.conditions` applies to a ledger. The lab's penalties
    carry no decision number, so every performance record and commitment concerns them.

    Raises:
        KeyError: if the penalty's kind is not in ``catalogue``, or ``rules`` do not publish
            its gravity.
    """
    gravity = catalogue.kinds[penalty.kind].gravity.value
    return repair_conditions_from_facts(penalty, gravity, rows, rules, known_us)


class Applications:
    """Every agent's applications to leave a list (see the module docstring).

    Attributes:
        cost: each agent's cost of applying (payoff units), drawn by :meth:`draw`.
        log: every application made, in order.
        paid: the cost paid by each agent this step.
    """

    def __init__(self, bundle: PolicyBundle, n: int, settings: Mapping[str, Any]) -> None:
        """Prepare for ``n`` agents with ``settings`` (``applications`` in
        ``whole_bundle.yaml``: ``cost: {median, sigma}`` of the log-normal cost of applying,
        ``retry_steps``)."""
        self.bundle, self.catalogue, self.rules = bundle, bundle.catalogue, bundle.repair
        cost = settings["cost"]
        self.median, self.sigma = float(cost["median"]), float(cost["sigma"])
        self.retry = int(settings["retry_steps"])
        self.cost = np.zeros(n, dtype=np.float32)
        self.paid = np.zeros(n, dtype=np.float32)
        self._last = np.full(n, -(2**31), dtype=np.int64)
        self._tried = np.zeros((n, len(ROUTES)), dtype=np.int32)
        self._granted = np.zeros((n, len(ROUTES)), dtype=np.int32)
        self.log: list[Application] = []
        black = [d.colour.value == "black" for d in bundle.lists]
        self._repairable = {
            k.id for k in bundle.catalogue if repairable_kind(bundle.catalogue, k.id, bundle.repair)
        }
        self.columns = np.array(
            [
                i
                for i, d in enumerate(bundle.lists)
                if black[i]
                and (
                    d.restoration.on_application_after_days is not None
                    or any(g.kind in self._repairable for g in d.grounds)
                )
            ],
            dtype=np.int64,
        )
        self._routes = frozenset(self.columns.tolist())

    def draw(self, rng: np.random.Generator) -> None:
        """Draw every agent's cost of applying."""
        n = self.cost.size
        self.cost = (self.median * np.exp(self.sigma * rng.standard_normal(n))).astype(np.float32)

    def candidates(self, listed: np.ndarray, step: int) -> np.ndarray:
        """Agents in effect on a list some route leaves, free to apply again at ``step``."""
        self.paid[:] = 0
        if self.columns.size == 0:
            return np.zeros(0, dtype=np.int64)
        on = listed[:, self.columns].any(axis=1)
        return np.flatnonzero(on & (step - self._last >= self.retry))

    def decide(
        self,
        agent: int,
        step: int,
        now: int,
        found: tuple[Listing, ...],
        loss: np.ndarray,
        step_us: int,
    ) -> list[tuple[str, str, int]]:
        """The applications ``agent`` makes now: ``(route, list, penalty position)`` for each
        listing in effect and route out of it whose expected escape (:meth:`chance` × the
        gain) is worth more than its cost (``loss``: per-step loss of each list's measures
        in the agent's context, in bundle order)."""
        out: list[tuple[str, str, int]] = []
        column = {d.id: i for i, d in enumerate(self.bundle.lists)}
        cost = float(self.cost[agent])
        for item in found:
            i = column[item.list_id]
            if i not in self._routes or item.until_us is None:
                continue
            member = membership_at(item, now, frozen=False)
            if member is None or member.status != Status.LISTED:
                continue
            gain = float(loss[i]) * -(-(item.until_us - now) // step_us)
            d = self.bundle.lists[i]
            options = [("repair", d.id, g) for g, k in zip(item.grounds, item.kinds, strict=True)
                       if k in self._repairable]  # fmt: skip
            if d.restoration.on_application_after_days is not None:
                options.insert(0, ("restoration", d.id, -1))
            out += [a for a in options if self.chance(agent, a[0]) * gain > cost]
        out = list(dict.fromkeys(out))
        if out:
            self._last[agent] = step
            self.paid[agent] = self.cost[agent] * len(out)
        return out

    def chance(self, agent: int, route: str) -> float:
        """The agent's belief that an application by ``route`` is granted: the mean of a
        uniform Beta prior updated by its own outcomes on that route (:meth:`note`)."""
        r = ROUTES.index(route)
        return float((self._granted[agent, r] + 1) / (self._tried[agent, r] + 2))

    def note(self, application: Application) -> None:
        """Log a decided application; the agent learns from its outcome."""
        self.log.append(application)
        r = ROUTES.index(application.route)
        self._tried[application.agent, r] += 1
        self._granted[application.agent, r] += application.granted

    def restoration_granted(self, list_id: str, found: tuple[Listing, ...], now: int) -> bool:
        """Whether an early restoration from ``list_id`` applied for at ``now`` is granted, by
        the engine's rule (:func:`~socialcredit.consequences._projection.restoration_refusal`,
        which :func:`socialcredit.consequences.request_restoration` applies) over the agent's
        ground listings ``found`` as memberships at ``now``. The lab applies only while
        listed on a list that allows it, so a refusal here is always the wait."""
        members = [m for item in found if (m := membership_at(item, now, frozen=False))]
        definition = self.bundle.list_definition(list_id)
        return restoration_refusal(list_id, definition, members, now) is None

    def repair_unmet(self, penalty: RecordRow, rows: list[RecordRow], now: int) -> tuple[str, ...]:
        """The conditions of repair of ``penalty`` unmet at ``now`` (none: granted)."""
        found = repair_conditions(self.catalogue, penalty, rows, self.rules, now)
        return tuple(c.name for c in found if not c.met)
