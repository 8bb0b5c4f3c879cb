"""Validation of a scorecard, as a model-risk reviewer expects it (SR 11-7 style).

Every figure is computed from points given by the *published* rules (the binned rules of the
scorecard's bundle, evaluated by :mod:`socialcredit.scoring._vectorised`):

* discrimination: AUC and Gini out of time;
* calibration out of time: predicted against observed bad rates by decile of predicted
  probability, calibration in the large and the Hosmer-Lemeshow statistic;
* stability: the population stability index of total points, training against current;
* adverse-action reason codes: per subject, the features whose bins cost the most points;
* fairness: outcome and approval rates by group, the gaps, and how much of the approval gap
  remains among good payers only (what the outcomes do not explain).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy.stats import chi2
from sklearn.metrics import roc_auc_score

from socialcredit.scoring import CompiledPolicy, bin_points_array

__all__ = ["calibration", "discrimination", "fairness", "psi", "reason_codes", "rule_points"]

_EPS = 1e-6


def rule_points(policy: CompiledPolicy, counts: np.ndarray, features: list[str]) -> np.ndarray:
    """``(rows, rules)`` points of the policy's binned rules for each row of ``counts`` (whose
    columns are named by ``features``), by the definition's NumPy evaluator."""
    column = {name: j for j, name in enumerate(features)}
    return np.column_stack(
        [bin_points_array(f, counts[:, column[f.feature]]) for f in policy.features]
    ) if policy.features else np.zeros((len(counts), 0), dtype=np.int64)  # fmt: skip


def discrimination(bad: np.ndarray, points: np.ndarray) -> dict[str, float]:
    """AUC and Gini of total ``points`` (higher is better) against bad outcomes.

    Raises:
        ValueError: if ``bad`` holds one class only.
    """
    auc = float(roc_auc_score(bad, -points))
    return {"auc": round(auc, 4), "gini": round(2 * auc - 1, 4), "obligations": int(bad.size)}


def calibration(bad: np.ndarray, predicted: np.ndarray, groups: int = 10) -> dict[str, Any]:
    """Predicted against observed bad rates by decile of ``predicted``, with calibration in
    the large and the Hosmer-Lemeshow statistic and p-value."""
    order = np.argsort(predicted, kind="stable")
    rows, hl = [], 0.0
    for part in np.array_split(order, groups):
        n = part.size
        if n == 0:
            continue
        expected, observed = float(predicted[part].mean()), float(bad[part].mean())
        hl += n * (observed - expected) ** 2 / max(expected * (1 - expected), _EPS)
        rows.append({"n": n, "predicted": round(expected, 4), "observed": round(observed, 4)})
    return {
        "deciles": rows,
        "predicted_rate": round(float(predicted.mean()), 4),
        "observed_rate": round(float(bad.mean()), 4),
        "hosmer_lemeshow": round(hl, 2),
        "hosmer_lemeshow_p": round(float(chi2.sf(hl, max(len(rows) - 2, 1))), 4),
    }


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``: over each distinct
    value when the expected population has at most ``2 * bins`` of them (integer points
    usually do), else over its quantile bins (ties kept together)."""
    side: Literal["left", "right"]
    values = np.unique(expected)
    if values.size <= 2 * bins:  # bin i: above value i - 1, up to value i; the last is open
        edges, side = values[:-1], "left"
    else:
        edges, side = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1])), "right"
    e = np.bincount(np.searchsorted(edges, expected, side=side), minlength=edges.size + 1)
    a = np.bincount(np.searchsorted(edges, actual, side=side), minlength=edges.size + 1)
    pe = np.maximum(e / max(e.sum(), 1), _EPS)
    pa = np.maximum(a / max(a.sum(), 1), _EPS)
    return round(float(np.sum((pa - pe) * np.log(pa / pe))), 4)


def reason_codes(points: np.ndarray, names: list[str], top: int = 3) -> list[list[str]]:
    """Per row of ``(rows, rules)`` points, the rules that cost most points, worst first
    (none for a row that lost no points)."""
    order = np.argsort(points, axis=1, kind="stable")[:, :top]
    cost = np.take_along_axis(points, order, axis=1)
    return [
        [names[j] for j, p in zip(o, c, strict=True) if p < 0]
        for o, c in zip(order, cost, strict=True)
    ]


def fairness(
    groups: dict[str, np.ndarray], bad: np.ndarray, approved: np.ndarray
) -> dict[str, Any]:
    """Outcome and approval rates by group, per grouping, with the gaps between groups.

    ``gap_among_good`` is the approval gap among obligations that were repaid on time: the part
    of the approval gap that the difference in outcomes does not explain; ``explained_share``
    is ``1 - gap_among_good / approval_gap`` (None when the approval gap is below 0.001).
    """
    out: dict[str, Any] = {}
    good = ~bad
    for grouping, labels in groups.items():
        rows = {}
        for label in sorted({str(v) for v in labels.tolist()}):
            mask = labels == label
            rows[label or "(none)"] = {
                "n": int(mask.sum()),
                "bad_rate": round(float(bad[mask].mean()), 4),
                "approval_rate": round(float(approved[mask].mean()), 4),
                "approval_rate_good": round(float(approved[mask & good].mean()), 4)
                if (mask & good).any() else None,
            }  # fmt: skip
        out[grouping] = {"groups": rows, **_gaps(rows)}
    return out


def _gaps(rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    def spread(key: str) -> float:
        values = [r[key] for r in rows.values() if r[key] is not None and r["n"] >= 30]
        return round(max(values) - min(values), 4) if values else 0.0

    approval, among_good = spread("approval_rate"), spread("approval_rate_good")
    explained = None if approval < 0.001 else round(max(0.0, 1 - among_good / approval), 4)
    return {
        "bad_rate_gap": spread("bad_rate"),
        "approval_gap": approval,
        "approval_gap_among_good": among_good,
        "explained_share": explained,
    }
