"""Four manipulation attacks on a synthetic marketplace: plain mean vs this system.

A seeded marketplace (2,000 organisations, 50,000 raters, 300,000 verified interactions of
which about 60 % are rated, one year, known true quality, harsh and lenient raters) is hit, one
attack at a time, by

* a ring of 60 fake accounts boosting one ratee (and two accomplices),
* a ratee issuing tokens for 80 sham interactions to its own fake accounts,
* 150 competitors' accounts (real accounts with history) brigading a good rival in 10 days,
* a single rater flooding a ratee with 200 one-star ratings from cheap real purchases.

For each: the shift of the attacked ratee's aggregate and the Spearman rank correlation between
every ratee's aggregate and its true quality, for the plain mean and for the system side by
side, and for the system with detection switched off (what trust, one-per-period and
calibration achieve alone). Pass criterion: the system moves the target less than a third as
much as the plain mean, with rank correlation at least as high. Writes nothing.

    .venv/bin/python benchmarks/experiment_ratings.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.ratings import RatingParams, aggregate_batch
from socialcredit.ratings._aggregate import plain_mean
from socialcredit.ratings._synthetic import ATTACKS, Market, attack, marketplace

SYSTEM = RatingParams()
NO_DETECTION = RatingParams(burst_min=10**9, ring_min=10**9)


def scores(market: Market) -> dict[str, np.ndarray]:
    d = market.ratings
    plain = plain_mean(d.ratee, d.stars, d.n_ratees)
    plain = np.where(np.isnan(plain), np.nanmean(plain), plain)  # unrated: the overall mean
    return {
        "plain": plain,
        "system": aggregate_batch(d, SYSTEM, market.at_us).summary.score,
        "no-detect": aggregate_batch(d, NO_DETECTION, market.at_us).summary.score,
    }


def rho(values: np.ndarray, market: Market) -> float:
    return float(spearmanr(values, market.quality)[0])


def run(seed: int) -> list[dict[str, float | str]]:
    market = marketplace(seed=seed)
    before = scores(market)
    rows: list[dict[str, float | str]] = [
        {"attack": "none", **{f"rho {k}": rho(v, market) for k, v in before.items()}}
    ]
    for name in ATTACKS:
        hit = attack(market, name, seed=seed + 100)
        after = scores(hit.market)
        row: dict[str, float | str] = {"attack": hit.name, "target q": market.quality[hit.target]}
        for k in after:
            row[f"shift {k}"] = float(after[k][hit.target] - before[k][hit.target])
            row[f"rho {k}"] = rho(after[k], market)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    runs = [run(seed) for seed in range(args.seeds)]
    print(
        f"{args.seeds} seeded markets, medians over seeds ({time.perf_counter() - started:.1f} s)"
    )
    print(
        "| attack | shift plain | shift system | ratio | shift no-detect | "
        "rho plain | rho system | rho no-detect | pass |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for i, first in enumerate(runs[0]):

        def med(key: str, i: int = i) -> float:
            return statistics.median(float(r[i][key]) for r in runs)

        rhos = [med(f"rho {k}") for k in ("plain", "system", "no-detect")]
        if first["attack"] == "none":
            print(f"| none | | | | | {rhos[0]:.4f} | {rhos[1]:.4f} | {rhos[2]:.4f} | |")
            continue
        plain, system, loose = med("shift plain"), med("shift system"), med("shift no-detect")
        ratio = statistics.median(
            abs(float(r[i]["shift system"])) / abs(float(r[i]["shift plain"])) for r in runs
        )
        ok = all(
            abs(float(r[i]["shift system"])) < abs(float(r[i]["shift plain"])) / 3
            and float(r[i]["rho system"]) >= float(r[i]["rho plain"])
            for r in runs
        )
        print(
            f"| {first['attack']} | {plain:+.3f} | {system:+.3f} | {ratio:.3f} | {loose:+.3f} | "
            f"{rhos[0]:.4f} | {rhos[1]:.4f} | {rhos[2]:.4f} | {'yes' if ok else 'NO'} |"
        )


if __name__ == "__main__":
    main()
