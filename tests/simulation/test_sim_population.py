"""Populations: trait distributions, strategies, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from socialcredit.simulation import BetaTrait, Population, TraitParameters


def test_traits_follow_their_beta_distributions(rng: np.random.Generator) -> None:
    params = TraitParameters()
    pop = Population.random(100_000, rng, traits=params, cooperators=0.3)
    assert pop.n == 100_000
    for name in ("ability", "willingness", "dissent", "susceptibility"):
        values = getattr(pop, name)
        dist = getattr(params, name)
        assert values.dtype == np.float32
        assert np.all((values >= 0) & (values <= 1))
        assert values.mean() == pytest.approx(dist.mean, abs=0.005)
        with pytest.raises(ValueError):
            values[0] = 0.5
    assert pop.cooperators().mean() == pytest.approx(0.3, abs=0.01)
    assert pop.strategy.dtype == np.int8


def test_population_is_reproducible() -> None:
    a = Population.random(1000, np.random.default_rng(1))
    b = Population.random(1000, np.random.default_rng(1))
    assert np.array_equal(a.dissent, b.dissent) and np.array_equal(a.strategy, b.strategy)


@pytest.mark.parametrize(("a", "b"), [(0.0, 1.0), (1.0, -2.0), (float("inf"), 1.0)])
def test_beta_trait_refuses_bad_parameters(a: float, b: float) -> None:
    with pytest.raises(ValueError):
        BetaTrait(a, b)


def test_population_refuses_bad_parameters(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError):
        Population.random(-1, rng)
    with pytest.raises(ValueError):
        Population.random(10, rng, cooperators=-0.1)
