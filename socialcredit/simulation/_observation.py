"""What agents do each step beyond the game, and what the institution records of it.

:func:`behave` draws the acts of one step — obligations met or defaulted (cannot pay vs will
not pay), civic acts, private
dissent and its public expression, trust-game betrayals — each a decision against the
expected sanction (:mod:`.decisions`).

:func:`observe` turns acts into candidate records of real catalogue kinds: each act is seen
with probability ``coverage`` and labelled wrongly with probability ``label_error`` (a
compliant act recorded as a violation, a violation missed). The mapping from acts to kinds
is the data file ``acts.yaml`` — kinds only, never points.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml

from socialcredit.scoring import KindTable
from socialcredit.simulation._decisions import Judge, tempted
from socialcredit.simulation._population import DEFECT, Population
from socialcredit.simulation._scenario import Behaviour

__all__ = ["ACT_KINDS", "CAUSES", "Batch", "Conduct", "act_catalogue", "behave", "observe"]

CAUSES = (
    "true",
    "label_error",
    "informant_false",
    "tampering",
    "informant_true",
    "fake_rating",
    "association",
    "expression",
    "informant_reward",
)
"""Why a record exists; index = the ``cause`` code kept with each record."""

ACT_KINDS = ("obligation_default", "free_riding", "civic_act", "fake_rating")


@cache
def act_catalogue() -> dict[str, dict[str, object]]:
    """The shipped act → catalogue kind mapping (``acts.yaml``)."""
    text = (resources.files("socialcredit.simulation") / "acts.yaml").read_text()
    data: dict[str, dict[str, object]] = yaml.safe_load(text)
    return data


def act_codes(table: KindTable) -> dict[str, tuple[int, int]]:
    """``act -> (kind code, amount)`` in ``table``.

    Raises:
        ValueError: if a mapped kind carries no points in the policy (it would never count).
    """
    out = {}
    for act in ACT_KINDS:
        entry = act_catalogue()[act]
        code = table.code(str(entry["kind"]))
        if code == table.neutral:
            raise ValueError(f"acts.yaml: {act} maps to {entry['kind']}, which has no points")
        amount = entry.get("amount", 0)
        out[act] = (code, int(amount if isinstance(amount, int) else 0))
    return out


@dataclass(frozen=True, slots=True)
class Conduct:
    """One step's acts beyond the game (boolean per agent).

    ``would_speak``: agents holding an opinion worth voicing without any sanction risk;
    ``expressed``: those who voice it. ``betrays``: trustees who would keep an investment.
    """

    due: np.ndarray
    defaulted: np.ndarray
    hardship: np.ndarray
    free_riding: np.ndarray
    civic: np.ndarray
    private_dissent: np.ndarray
    expressed: np.ndarray
    would_speak: np.ndarray
    betrays: np.ndarray


def behave(
    population: Population,
    strategy: np.ndarray,
    behaviour: Behaviour,
    judge: Judge,
    rng: np.random.Generator,
) -> Conduct:
    """Draw one step's acts, each a decision against its expected sanction (``judge``).

    An obligation falls due with ``obligation_rate``. An agent unable to pay (``ability``)
    defaults (hardship); an able one defaults when its temptation (:func:`.decisions.tempted`)
    exceeds its expected sanction. A trustee betrays on the same comparison, with its own
    draw. Free riding is defection in the game. Civic acts: ``civic_rate`` for cooperators,
    half for defectors. An agent holds an opinion with probability ``dissent``, of value
    ``voice_value * hardship * (1 - legitimacy)``; it would speak without a system when the
    value exceeds ``voice_threshold * voice_value``, and speaks when it still does after
    the expected sanction of speaking is subtracted.
    """
    n = strategy.size

    def draw(size: int = n) -> np.ndarray:
        return rng.random(size, dtype=np.float32)

    owing = np.flatnonzero(draw() < behaviour.obligation_rate)
    unable = draw(owing.size) >= population.ability[owing]
    who, value = tempted(population.willingness[owing], behaviour.default_gain, rng)
    wilful = np.zeros(owing.size, dtype=bool)
    wilful[who] = value > judge.expected(
        owing[who], judge.default_points, listing=judge.default_listing
    )
    due, defaulted, hardship = (np.zeros(n, dtype=bool) for _ in range(3))
    due[owing] = True
    defaulted[owing[unable | wilful]] = True
    hardship[owing[unable]] = True
    who, value = tempted(population.willingness, behaviour.default_gain, rng)
    betrays = np.zeros(n, dtype=bool)
    betrays[who] = value > judge.expected(who, judge.default_points, listing=judge.default_listing)
    free = strategy == DEFECT
    rate = np.float32(behaviour.civic_rate)
    civic = draw() < np.where(free, rate / np.float32(2), rate)
    dissent = np.flatnonzero(draw() < population.dissent)
    worth = np.float32(behaviour.voice_value * (1 - behaviour.legitimacy))
    voice = judge.hardship_value(dissent, worth)
    threshold = np.float32(behaviour.voice_threshold * behaviour.voice_value)
    risk = judge.expected(dissent, judge.expression_points, judge.expression_risk)
    private, would, expressed = (np.zeros(n, dtype=bool) for _ in range(3))
    private[dissent] = True
    would[dissent] = voice > threshold
    expressed[dissent] = voice - risk > threshold
    return Conduct(due, defaulted, hardship, free, civic, private, expressed, would, betrays)


@dataclass(frozen=True, slots=True)
class Batch:
    """Records to file: subject, kind code, amount, cause code (parallel arrays)."""

    subject: np.ndarray
    kind: np.ndarray
    amount: np.ndarray
    cause: np.ndarray

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, int, int, int]]) -> Batch:
        """Join ``(agents, kind, amount, cause)`` parts."""
        if not parts:
            z = np.zeros(0, dtype=np.int64)
            return cls(z, z, z, z.astype(np.int8))
        return cls(
            np.concatenate([p[0] for p in parts]).astype(np.int64),
            np.concatenate([np.full(p[0].size, p[1], np.int64) for p in parts]),
            np.concatenate([np.full(p[0].size, p[2], np.int64) for p in parts]),
            np.concatenate([np.full(p[0].size, p[3], np.int8) for p in parts]),
        )

    def drop(self, keep: np.ndarray) -> Batch:
        """Only the records where ``keep`` holds."""
        return Batch(self.subject[keep], self.kind[keep], self.amount[keep], self.cause[keep])


def observe(
    acts: Conduct,
    codes: dict[str, tuple[int, int]],
    coverage: float,
    label_error: float,
    hardship_frozen: bool,
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, int, int, int]]:
    """Candidate records of one step's acts, as ``(agents, kind, amount, cause)`` parts.

    Each act (an obligation due, the game act, a civic act) is seen with ``coverage``; a
    seen act is mislabelled with ``label_error``. Defaults of agents unable to pay are not
    recorded when ``hardship_frozen`` (the engine's hardship safeguard).
    """
    n = acts.due.size

    def draw(size: int = n) -> np.ndarray:
        return rng.random(size, dtype=np.float32)

    owing = np.flatnonzero(acts.due)  # obligations: drawn for the agents concerned only
    seen_ob = draw(owing.size) < coverage
    wrong_ob = draw(owing.size) < label_error
    defaulted = acts.defaulted[owing]
    recordable = defaulted & ~acts.hardship[owing] if hardship_frozen else defaulted
    seen_game = draw() < coverage
    wrong_game = draw() < label_error
    civic = np.flatnonzero(acts.civic)
    default_kind, _ = codes["obligation_default"]
    ride_kind, _ = codes["free_riding"]
    civic_kind, hours = codes["civic_act"]
    return [
        (owing[recordable & seen_ob & ~wrong_ob], default_kind, 0, 0),
        (owing[~defaulted & seen_ob & wrong_ob], default_kind, 0, 1),
        (np.flatnonzero(acts.free_riding & seen_game & ~wrong_game), ride_kind, 0, 0),
        (np.flatnonzero(~acts.free_riding & seen_game & wrong_game), ride_kind, 0, 1),
        (civic[draw(civic.size) < coverage], civic_kind, hours, 0),
    ]
