"""The simulation loop: seeding, recording, and the institution seam."""

from __future__ import annotations

import numpy as np
import pytest

from socialcredit.simulation import (
    Acts,
    BestNeighbour,
    Fermi,
    FermiMonteCarlo,
    LatticeSpec,
    PrisonersDilemma,
    PublicGoods,
    Response,
    ScaleFreeSpec,
    Simulation,
    SimulationConfig,
    TrustGame,
    rewire,
    square_lattice,
    to_arrow,
)


def pgg_config(**overrides) -> SimulationConfig:  # type: ignore[no-untyped-def]
    settings = {
        "network": LatticeSpec(12),
        "game": PublicGoods(4.0),
        "update": Fermi(0.5),
        "metrics": ("cooperation", "mean_payoff", "payoff_gini", "components"),
    }
    return SimulationConfig(**{**settings, **overrides})


def test_same_seed_same_run_and_seed_is_recorded() -> None:
    config = pgg_config(network=ScaleFreeSpec(300, 2), update=FermiMonteCarlo(0.5))
    a, b = Simulation(config, 42), Simulation(config, np.int64(42))  # type: ignore[arg-type]
    assert a.seed == 42
    ta, tb = a.run(5), b.run(5)
    for name in ta:
        np.testing.assert_array_equal(ta[name], tb[name])
    assert np.array_equal(a.population.strategy, b.population.strategy)
    assert not np.array_equal(Simulation(config, 43).population.strategy, b.population.strategy)


def test_run_returns_a_table_of_the_configured_metrics() -> None:
    sim = Simulation(pgg_config(), 1)
    table = sim.run(4)
    assert list(table) == ["step", "cooperation", "mean_payoff", "payoff_gini", "components"]
    assert table["step"].tolist() == [0, 1, 2, 3]
    assert np.all((table["cooperation"] >= 0) & (table["cooperation"] <= 1))
    assert table["components"].tolist() == [1.0] * 4
    assert sim.step_index == 4
    assert to_arrow(table).num_rows == 4
    assert sim.run(0)["step"].size == 0


def test_gini_is_recorded_when_payoffs_are_non_negative_and_nan_otherwise() -> None:
    pd = Simulation(pgg_config(game=PrisonersDilemma(1.5)), 1).run(1)
    assert 0 <= pd["payoff_gini"][0] < 1
    pgg = Simulation(pgg_config(game=PublicGoods(2.0)), 1).run(1)  # cooperators lose money
    assert np.isnan(pgg["payoff_gini"][0])


def test_first_record_measures_the_initial_strategies() -> None:
    sim = Simulation(pgg_config(cooperators=0.9), 3)
    share = np.mean(sim.population.strategy == 1)
    assert sim.step()["cooperation"] == share


class Recorder:
    """An institution that records what it sees and fines defectors."""

    def __init__(self, fine: float = 0.0) -> None:
        self.seen: list[Acts] = []
        self.draws: list[float] = []
        self.fine = fine

    def __call__(self, acts: Acts, rng: np.random.Generator) -> Response | None:
        self.seen.append(acts)
        self.draws.append(float(rng.random()))
        if not self.fine:
            return None
        return Response(payoff=np.where(acts.strategy == 0, -self.fine, 0.0))


def test_institutions_see_read_only_acts_and_get_their_own_stream() -> None:
    first, second = Recorder(), Recorder()
    sim = Simulation(pgg_config(), 5, institutions=[first, second])
    sim.run(3)
    assert [a.step for a in first.seen] == [0, 1, 2]
    acts = first.seen[0]
    assert acts.network is sim.network and acts.population is sim.population
    with pytest.raises(ValueError):
        acts.strategy[0] = 1
    with pytest.raises(ValueError):
        acts.payoff[0] = 1.0
    assert first.draws != second.draws


def test_adding_an_institution_keeps_network_population_and_streams() -> None:
    config = pgg_config(network=ScaleFreeSpec(200, 2))
    plain = Simulation(config, 9)
    watched = Simulation(config, 9, institutions=[Recorder()])
    assert np.array_equal(plain.network.indices, watched.network.indices)
    assert np.array_equal(plain.population.ability, watched.population.ability)
    assert np.array_equal(plain.run(5)["cooperation"], watched.run(5)["cooperation"])
    alone, pair = Recorder(), Recorder()
    Simulation(config, 9, institutions=[alone]).run(2)
    Simulation(config, 9, institutions=[pair, Recorder()]).run(2)
    assert alone.draws == pair.draws  # a hook's stream depends on its position only


def test_payoff_modifiers_change_the_dynamics() -> None:
    config = pgg_config(game=PrisonersDilemma(1.85, self_interaction=True), update=BestNeighbour())
    config = pgg_config(
        network=LatticeSpec(20, "moore"), game=config.game, update=config.update, cooperators=0.9
    )
    free = Simulation(config, 2).run(30)["cooperation"][-1]
    fined = Simulation(config, 2, institutions=[Recorder(fine=5.0)]).run(30)
    assert free < 0.5 < fined["cooperation"][-1]
    # the recorded mean payoff includes the fines
    game_only = Simulation(config, 2).run(1)["mean_payoff"][0]
    assert fined["mean_payoff"][0] < game_only


def test_modifiers_hold_within_a_monte_carlo_step() -> None:
    bonus = Recorder(fine=-50.0)  # a huge reward for defecting
    sim = Simulation(pgg_config(update=FermiMonteCarlo(0.5), cooperators=0.5), 4, [bonus])
    assert sim.run(6)["cooperation"][-1] < 0.05


class Ostracism:
    """Cuts every tie of agent 0 (without rewiring) on the first step."""

    def __call__(self, acts: Acts, rng: np.random.Generator) -> Response | None:
        if acts.step:
            return None
        ties = np.stack([acts.network.neighbours(0), np.zeros(acts.network.degree[0], int)], 1)
        return Response(network=rewire(acts.network, ties, rng, reconnect=False))


def test_a_replacement_network_takes_effect_next_step() -> None:
    config = pgg_config(metrics=("components",))
    sim = Simulation(config, 1, institutions=[Ostracism()])
    table = sim.run(2)
    assert table["components"].tolist() == [1.0, 2.0]
    assert sim.network.degree[0] == 0


def test_institution_errors_are_reported() -> None:
    def bad_shape(acts: Acts, rng: np.random.Generator) -> Response:
        return Response(payoff=np.zeros(3))

    def shrink(acts: Acts, rng: np.random.Generator) -> Response:
        return Response(network=square_lattice(3))

    with pytest.raises(ValueError, match="shape"):
        Simulation(pgg_config(), 1, [bad_shape]).step()
    with pytest.raises(ValueError, match="same agents"):
        Simulation(pgg_config(), 1, [shrink]).step()
    with pytest.raises(ValueError, match="two institutions"):
        Simulation(pgg_config(), 1, [Ostracism(), Ostracism()]).step()


def test_heterogeneous_imitation_uses_susceptibility() -> None:
    config = pgg_config(heterogeneous_imitation=True, game=TrustGame())
    sim = Simulation(config, 1)
    immune = np.zeros(sim.population.n, np.float32)
    sim.population.susceptibility = immune
    before = sim.population.strategy.copy()
    sim.run(3)
    assert np.array_equal(sim.population.strategy, before)


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_simulation_refuses_bad_seeds(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        Simulation(pgg_config(), seed)  # type: ignore[arg-type]


def test_config_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown metrics"):
        pgg_config(metrics=("happiness",))
    with pytest.raises(ValueError, match="cooperators"):
        pgg_config(cooperators=1.2)
    with pytest.raises(ValueError, match="steps"):
        Simulation(pgg_config(), 1).run(-1)


def test_a_ready_network_can_be_passed_in() -> None:
    net = square_lattice(5)
    sim = Simulation(pgg_config(network=net), 1)
    assert sim.network is net
