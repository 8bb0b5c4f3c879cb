"""The learned scorecard on the synthetic city with a known data-generating process."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from socialcredit.demo import credit_city
from socialcredit.policy import default_bundle, load_bundle_from_files
from socialcredit.records import RecordRow
from socialcredit.scorecard import from_city, learn
from socialcredit.scorecard._features import candidates
from socialcredit.scorecard._fit import total_points
from socialcredit.scoring import compiled_bundle
from socialcredit.scoring._engine import evaluate
from socialcredit.timeutil import from_us

pytestmark = pytest.mark.slow

AS_OF = datetime(2026, 1, 20, tzinfo=UTC)
SPLIT = datetime(2023, 7, 1, tzinfo=UTC)
BASE = default_bundle()


@pytest.fixture(scope="module")
def fitted() -> tuple[object, object]:
    city = credit_city(60_000, policy=BASE.scoring, catalogue=BASE.catalogue, seed=11)
    return city, learn(from_city(city), BASE, as_of=AS_OF, split=SPLIT)


def test_out_of_time_auc_is_within_002_of_the_true_process(fitted: tuple) -> None:
    city, learned = fitted
    oot = city.originated_us >= int(SPLIT.timestamp()) * 1_000_000
    bayes = roc_auc_score(city.bad[oot], city.true_probability[oot])
    assert learned.report["out_of_time"]["auc"] >= bayes - 0.02
    assert learned.report["out_of_time"]["gini"] == pytest.approx(
        2 * learned.report["out_of_time"]["auc"] - 1, abs=1e-3
    )


def test_the_scorecard_is_an_ordinary_checked_bundle_revision(fitted: tuple) -> None:
    _, learned = fitted
    bundle = load_bundle_from_files(learned.bundle.files)  # the same checks as policy check
    assert bundle.digest == learned.bundle.digest and bundle.revision == BASE.revision + 1
    assert bundle.scoring.binned and not [
        r for r in bundle.scoring.rules if r.dimension == "finance"
    ]
    for rule in bundle.scoring.binned:
        points = [b.points for b in rule.bins]
        assert points[0] == 0 and points == sorted(points, reverse=True)  # monotone, costs only
    text = bundle.files["scoring.yaml"].decode()
    assert "data_sha256: " in text and "out_of_time_auc: " in text  # signed with the rules


def test_points_in_the_report_are_those_the_engine_scores(fitted: tuple) -> None:
    city, learned = fitted
    compiled = compiled_bundle(learned.bundle)
    assert len(compiled.features) == len(learned.report["features"])
    oot = np.flatnonzero(city.originated_us >= int(SPLIT.timestamp()) * 1_000_000)
    assert learned.oot_points.max() == 0 and learned.oot_points.min() < 0
    for n in [*np.flatnonzero(learned.oot_points < 0)[:15], *range(15)]:
        j = oot[n]
        mine = np.flatnonzero(city.subject == city.obligor[j])
        rows = tuple(
            RecordRow(int(i), "person", "s", city.kinds[city.kind[i]], int(city.occurred_us[i]),
                      int(city.recorded_us[i]), int(city.amount[i]))
            for i in mine
        )  # fmt: skip
        at = from_us(int(city.originated_us[j]))
        result = evaluate(compiled, rows, ("person", "s"), at, at)  # the per-subject engine
        assert result.dimensions["finance"] == learned.oot_points[n]


def test_reason_codes_name_the_bins_that_cost_points(fitted: tuple) -> None:
    _, learned = fitted
    names = {f["feature"] for f in learned.report["features"]}
    assert any(learned.reasons) and all(set(r) <= names for r in learned.reasons)
    assert sum(1 for r in learned.reasons if not r) > len(learned.reasons) // 2  # most: clean


def test_fairness_reports_every_grouping_with_gaps(fitted: tuple) -> None:
    _, learned = fitted
    report = learned.report["fairness_out_of_time"]
    assert set(report) == {"age_band", "region", "subject_kind"}
    assert set(report["subject_kind"]["groups"]) == {"person", "organisation"}
    # groups were drawn independently of conduct: small gaps among good payers
    assert report["age_band"]["approval_gap_among_good"] < 0.03


def test_fitting_is_reproducible_from_the_seed() -> None:
    city = credit_city(5_000, policy=BASE.scoring, catalogue=BASE.catalogue, seed=3)
    again = credit_city(5_000, policy=BASE.scoring, catalogue=BASE.catalogue, seed=3)
    assert from_city(city).digest() == from_city(again).digest()
    assert np.array_equal(city.true_probability, again.true_probability)


def test_features_refuse_kinds_outside_credit_contexts() -> None:
    found = {c.kind for c in candidates(BASE)}
    assert "loan_default" in found and "volunteering" not in found
    assert not found & {"fare_evasion", "public_rating_below_neutral", "obligation_defaulted"}
    with pytest.raises(ValueError, match=r"fare_evasion.*context"):
        candidates(BASE, {"fare_evasion"})
    with pytest.raises(ValueError, match="neutral"):
        candidates(BASE, {"obligation_defaulted"})


def test_training_points_equal_the_definitions(fitted: tuple) -> None:
    from socialcredit.scorecard._fit import FittedFeature  # noqa: F401  (shape only)

    _, learned = fitted
    compiled = compiled_bundle(learned.bundle)
    for feature in compiled.features:
        spec = next(f for f in learned.report["features"] if f["feature"] == feature.feature)
        assert list(feature.points) == spec["points"] and list(feature.uppers) == spec["uppers"]
    assert callable(total_points)


def test_psi_is_zero_for_the_same_population_and_grows_with_a_shift() -> None:
    from socialcredit.scorecard._validation import psi

    train = np.array([0] * 900 + [-30] * 100)
    assert psi(train, train) == 0.0
    shifted = np.array([0] * 800 + [-30] * 200)  # 0.1 ln(0.8/0.9) ... by hand:
    assert psi(train, shifted) == pytest.approx(
        -0.1 * np.log(0.8 / 0.9) + 0.1 * np.log(2), abs=1e-4
    )
    wide = np.arange(1000)
    assert psi(wide, wide) == 0.0 and psi(wide, wide + 300) > 0.25
