"""The lab report: the article's claims answered one by one, with numbers and CIs over seeds.

:func:`load_results` reads the Parquet files written by ``socialcredit simulate``;
:func:`summarise` reduces each (scenario, seed) run to one value per measure (the mean over
the last quarter of the steps; heavy measures: the last step) and gives mean and 95 %
interval over seeds: a percentile bootstrap for the measures confined to [0, 1]
(:data:`UNIT_MEASURES`), so that the interval stays inside the range, and Student t for the
others. :func:`findings` compares scenarios claim by claim, as paired differences over common
seeds (same seed, same network and population; Student t), on all seeds and on the two
halves of the seeds (disjoint seed sets), and gives each its robustness verdict
(:func:`verdict`: the sign on both seed sets and, given a sensitivity analysis,
across the plausible range of the behavioural parameters). With fewer than
:data:`MIN_SEEDS` seeds no interval is given, nor a verdict. :func:`render_html` writes a
self-contained page — inline SVG charts generated here, no CDN, no JavaScript — and
:func:`findings_markdown` the same table for the docs.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from socialcredit.errors import Problem, ScenarioError
from socialcredit.simulation._lab_metrics import METRIC_NAMES

if TYPE_CHECKING:
    from socialcredit.simulation._sensitivity import FindingSensitivity, Sensitivity

__all__ = [
    "CLAIMS",
    "MIN_SEEDS",
    "UNIT_MEASURES",
    "Estimate",
    "Finding",
    "findings",
    "findings_markdown",
    "load_results",
    "render_html",
    "summarise",
    "verdict",
]

_HEAVY = {"payoff_gini", "score_assortativity", "components"}

MIN_SEEDS = 3
"""Fewest seeds for an interval: with two, a 95 % Student t interval is the mean ± 12.7
half-ranges, and a bootstrap has four resamples; neither says anything."""

UNIT_MEASURES = frozenset(
    {
        "cooperation",
        "compliance",
        "civic",
        "trust",
        "trust_strangers",
        "trustworthiness",
        "fear",
        "self_censorship",
        "score_gini",
        "low_share",
        "grade_mobility",
        "false_positive_rate",
        "false_discovery_rate",
        *(m for m in METRIC_NAMES if m.startswith("fdr_")),
        "report_precision",
        "manipulation_success",
        "not_own_conduct",
        "speech_sanctioned",
        "payoff_gini",
    }
)
"""The measures confined to [0, 1] by definition (see the table of
:mod:`~socialcredit.simulation._lab_metrics`): shares and rates, the mean trust and fear of
agents (each in [0, 1]), and Gini coefficients of non-negative values."""

_NO_INTERVAL = "too few seeds for an interval"
_BOOTSTRAP_RESAMPLES = 20_000

CLAIMS: tuple[tuple[str, str, str, str], ...] = (
    ("Does the system raise compliance / cooperation?", "lawful_core", "no_system", "cooperation"),
    ("Does the system raise compliance / cooperation?", "article", "no_system", "cooperation"),
    (
        "Does the system raise compliance (obligations met)?",
        "lawful_core",
        "no_system",
        "compliance",
    ),
    ("Does the system raise compliance (obligations met)?", "article", "no_system", "compliance"),
    ("Does the system raise behavioural trust?", "lawful_core", "no_system", "trust"),
    ("Does the system raise behavioural trust?", "article", "no_system", "trust"),
    ("Does the system raise trust in strangers?", "lawful_core", "no_system", "trust_strangers"),
    ("Welfare (mean payoff with measures)", "article", "lawful_core", "welfare"),
    ("Contagion isolates low-score agents", "contagion_only", "lawful_core", "low_share"),
    ("Contagion isolates low-score agents", "contagion_only", "lawful_core", "score_assortativity"),
    (
        "Ostracism isolates low-score agents (degree ratio)",
        "ostracism_only",
        "lawful_core",
        "low_degree_ratio",
    ),
    ("Informants raise perceived detection", "informants_only", "lawful_core", "fear"),
    ("Informants lower trust (suspicion)", "informants_only", "lawful_core", "trust"),
    ("Informants bring false reports", "informants_only", "lawful_core", "fdr_informant_false"),
    (
        "Expression surveillance brings self-censorship",
        "expression_only",
        "lawful_core",
        "self_censorship",
    ),
    (
        "Expression penalties sanction lawful speech",
        "expression_only",
        "lawful_core",
        "speech_sanctioned",
    ),
    (
        "Manipulation plants false records (no ledger)",
        "manipulation_no_ledger",
        "lawful_core",
        "fdr_tampering",
    ),
    (
        "The verified ledger curbs manipulation",
        "manipulation_only",
        "manipulation_no_ledger",
        "manipulation_success",
    ),
    (
        "False sanctions: the article's system vs the lawful core",
        "article",
        "lawful_core",
        "false_positive_rate",
    ),
    (
        "Records not about the subject's conduct: the article's system",
        "article",
        "lawful_core",
        "not_own_conduct",
    ),
    ("Score inequality", "article", "lawful_core", "score_gini"),
    (
        "Do the whole bundle's measures raise compliance (obligations met)?",
        "whole_bundle",
        "whole_bundle_unlinked",
        "compliance",
    ),
    (
        "Do the whole bundle's measures raise behavioural trust?",
        "whole_bundle",
        "whole_bundle_unlinked",
        "trust",
    ),
    (
        "Do the whole bundle's measures raise cooperation?",
        "whole_bundle",
        "whole_bundle_unlinked",
        "cooperation",
    ),
    (
        "Welfare (mean payoff with measures): the whole bundle's measures",
        "whole_bundle",
        "whole_bundle_unlinked",
        "welfare",
    ),
    (
        "False sanctions: the whole bundle vs the lawful core",
        "whole_bundle",
        "lawful_core",
        "false_positive_rate",
    ),
    (
        "False records among records of conduct: the whole bundle vs the lawful core",
        "whole_bundle",
        "lawful_core",
        "false_discovery_rate",
    ),
    (
        "Records not about the subject's conduct: the whole bundle",
        "whole_bundle",
        "lawful_core",
        "not_own_conduct",
    ),
)
"""(claim, scenario, baseline, measure): one row of the findings table each.

The whole bundle's rows compare ``whole_bundle`` with ``whole_bundle_unlinked``, the same
scenario under the same bundle without its list→measure links (built from the bundle by
:func:`.lab.without_measure_links`): the lists, kinds and points are the same, so the
difference is what the measures do through payoffs and the sanctions agents expect."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over ``n`` seeds with its 95 % interval (NaN bounds below :data:`MIN_SEEDS`)."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        """``{mean, low, high, seeds}``, JSON-ready (``None`` for a missing value)."""
        values = {"mean": self.mean, "low": self.low, "high": self.high}
        out: dict[str, float | int | None] = {
            k: None if math.isnan(v) else v for k, v in values.items()
        }
        out["seeds"] = self.n
        return out

    def text(self) -> str:
        """``mean [low, high]`` with 3 significant decimals."""
        if math.isnan(self.mean):
            return "n/a"
        if math.isnan(self.low):
            return f"{self.mean:.3f}"
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True, slots=True)
class Finding:
    """One claim: scenario and baseline estimates, and their paired difference.

    Attributes:
        first, second: the difference on the first and the second half of the common
            seeds (two disjoint seed sets, ``halves`` names them); no interval when a half
            has fewer than :data:`MIN_SEEDS` seeds.
        robustness: the verdict of :func:`verdict`.
        sensitivity: the finding's sensitivity analysis, if one was given.
    """

    claim: str
    scenario: str
    baseline: str
    measure: str
    value: Estimate
    base: Estimate
    difference: Estimate
    first: Estimate | None = None
    second: Estimate | None = None
    halves: tuple[str, str] = ("", "")
    robustness: str = ""
    sensitivity: FindingSensitivity | None = None

    @property
    def verdict(self) -> str:
        """``higher`` / ``lower`` when the difference's CI excludes 0, else ``no clear change``;
        ``too few seeds`` below :data:`MIN_SEEDS` common seeds, ``n/a`` with none."""
        d = self.difference
        if math.isnan(d.mean):
            return "n/a"
        if math.isnan(d.low):
            return "too few seeds"
        if d.low > 0:
            return "higher"
        if d.high < 0:
            return "lower"
        return "no clear change"

    def as_dict(self) -> dict[str, object]:
        """The finding, JSON-ready: the estimates with their intervals, both seed sets, the
        verdicts and, if analysed, the sensitivity in words and its sign share."""
        s = self.sensitivity
        sign = 1 if self.difference.mean > 0 else -1
        return {
            "claim": self.claim,
            "scenario": self.scenario,
            "baseline": self.baseline,
            "measure": self.measure,
            "verdict": self.verdict,
            "robustness": self.robustness,
            "value": self.value.as_dict(),
            "base": self.base.as_dict(),
            "difference": self.difference.as_dict(),
            "seed_sets": [
                {"seed_set": span, **(e.as_dict() if e is not None else {})}
                for span, e in zip(self.halves, (self.first, self.second), strict=True)
            ],
            "sensitivity": None
            if s is None
            else {
                "range": range_text(self),
                "sign_kept": s.share(sign),
                "points": len(s.differences),
                "drivers": s.drivers(3),
            },
        }


def load_results(folder: Path) -> dict[str, np.ndarray]:
    """Every ``simulate`` result (``*.parquet``) in ``folder``, stacked; sweep tables
    (``sweep-*.parquet``, one scenario at many points) are left out.

    Raises:
        ScenarioError: if the folder holds no result file.
    """
    import pyarrow.parquet as pq

    files = [f for f in sorted(Path(folder).glob("*.parquet")) if not f.name.startswith("sweep-")]
    if not files:
        raise ScenarioError("no results", [Problem(str(folder), "no *.parquet result files")])
    tables = [pq.read_table(f).to_pydict() for f in files]
    columns = [c for c in tables[0] if all(c in t for t in tables)]
    return {c: np.array([v for t in tables for v in t[c]]) for c in columns}


def _per_seed(table: dict[str, np.ndarray], scenario: str, measure: str) -> dict[int, float]:
    mine = table["scenario"] == scenario
    out = {}
    for seed in np.unique(table["seed"][mine]):
        rows = mine & (table["seed"] == seed)
        steps, values = table["step"][rows], table[measure][rows].astype(np.float64)
        if measure in _HEAVY:
            value = values[np.argmax(steps)]
        else:
            tail = steps >= steps.max() - max(1, (steps.max() + 1) // 4) + 1
            finite = values[tail][~np.isnan(values[tail])]
            value = float(finite.mean()) if finite.size else float("nan")
        out[int(seed)] = float(value)
    return out


def _estimate(values: list[float], *, unit: bool = False) -> Estimate:
    """Mean and 95 % interval of the finite ``values``: percentile bootstrap if ``unit`` (the
    values lie in [0, 1]), else Student t; no interval below :data:`MIN_SEEDS` values."""
    x = np.array([v for v in values if not math.isnan(v)], dtype=np.float64)
    if x.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if x.size < MIN_SEEDS:
        return Estimate(mean, float("nan"), float("nan"), int(x.size))
    low, high = _bootstrap_interval(x) if unit else _t_interval(x)
    return Estimate(mean, low, high, int(x.size))


def _t_interval(x: np.ndarray) -> tuple[float, float]:
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return float(x.mean()) - half, float(x.mean()) + half


def _bootstrap_interval(x: np.ndarray) -> tuple[float, float]:
    """The expanded percentile bootstrap interval of the mean (Hesterberg 2015, "What teachers
    should know about the bootstrap", section 5): percentiles of resampled means, taken at
    ``2 Phi(-sqrt(n / (n - 1)) t_{0.975, n-1})`` in place of 5 %, which makes up for the plain
    percentile interval's narrowness at a few seeds. Percentiles of means of resamples lie
    between the smallest and the largest value, so the interval stays within the measure's
    range. The resampling is seeded: the same results give the same report."""
    n = x.size
    rng = np.random.default_rng(0)
    means = x[rng.integers(0, n, size=(_BOOTSTRAP_RESAMPLES, n))].mean(axis=1)
    tail = float(stats.norm.cdf(-math.sqrt(n / (n - 1)) * stats.t.ppf(0.975, n - 1)))
    low, high = np.quantile(means, [tail, 1.0 - tail])
    mean = float(x.mean())
    return min(float(low), mean), max(float(high), mean)  # only rounding could leave it out


def summarise(table: dict[str, np.ndarray]) -> dict[str, dict[str, Estimate]]:
    """``{scenario: {measure: estimate over seeds}}``."""
    out: dict[str, dict[str, Estimate]] = {}
    for scenario in sorted(set(table["scenario"].tolist())):
        out[scenario] = {
            m: _estimate(list(_per_seed(table, scenario, m).values()), unit=m in UNIT_MEASURES)
            for m in METRIC_NAMES
            if m in table
        }
    return out


def _sign(e: Estimate) -> int:
    if math.isnan(e.low) or math.isnan(e.high):
        return 0
    return 1 if e.low > 0 else -1 if e.high < 0 else 0


def verdict(
    first: Estimate,
    second: Estimate,
    sensitivity: Sensitivity | None,
    finding: FindingSensitivity | None,
) -> str:
    """``holds`` if the difference has the same sign (its 95 % interval excludes 0) on both
    seed sets and keeps it at a share ``agreement`` of the sampled points; else ``no clear
    sign`` (on neither set; ``no difference on any seed`` when every paired difference is
    exactly 0, as for a measure both arms never produce), ``depends on the seeds``, or
    ``depends on <parameter>``. Without an analysis: ``holds on both seed sets (range not
    analysed)``."""
    a, b = _sign(first), _sign(second)
    if a == 0 and b == 0:
        exact = all(e.n and e.mean == e.low == e.high == 0.0 for e in (first, second))
        return "no difference on any seed" if exact else "no clear sign"
    if a != b:
        return "depends on the seeds"
    if sensitivity is None or finding is None:
        return "holds on both seed sets (range not analysed)"
    if finding.share(a) >= sensitivity.sizes.agreement:
        return "holds"
    return f"depends on {sensitivity.against(finding, a)}"


def findings(table: dict[str, np.ndarray], sensitivity: Sensitivity | None = None) -> list[Finding]:
    """The :data:`CLAIMS` whose scenarios are in ``table``, as paired comparisons, each with
    its robustness verdict (over ``sensitivity`` when given)."""
    present = set(table["scenario"].tolist())
    out = []
    for claim, scenario, baseline, measure in CLAIMS:
        if scenario not in present or baseline not in present:
            continue
        a, b = _per_seed(table, scenario, measure), _per_seed(table, baseline, measure)
        common = sorted(set(a) & set(b))
        unit = measure in UNIT_MEASURES
        half = len(common) // 2
        sets = (common[:half], common[half:])
        first, second = (_estimate([a[s] - b[s] for s in part]) for part in sets)
        analysed = sensitivity.of(scenario, baseline, measure) if sensitivity else None
        out.append(
            Finding(
                claim,
                scenario,
                baseline,
                measure,
                _estimate(list(a.values()), unit=unit),
                _estimate(list(b.values()), unit=unit),
                _estimate([a[s] - b[s] for s in common]),
                first,
                second,
                (_seed_span(sets[0]), _seed_span(sets[1])),
                verdict(first, second, sensitivity, analysed),
                analysed,
            )
        )
    return out


def _seed_span(seeds: list[int]) -> str:
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    return ",".join(map(str, seeds))


def range_text(f: Finding) -> str:
    """The sensitivity of ``f`` in a few words: the share of sampled points keeping the
    sign of the difference, and its top drivers (Morris mu*, Sobol total index)."""
    s = f.sensitivity
    if s is None:
        return "not analysed"
    if s.share(1) == s.share(-1) == 0.0:
        return f"difference 0 at all {len(s.differences)} points"
    sign = 1 if f.difference.mean > 0 else -1
    drivers = []
    for key in s.drivers(2):
        text = f"{key.removeprefix('behaviour.')} μ* {s.morris[key][0]:.3g}"
        if key in s.sobol and not math.isnan(s.sobol[key][2]):
            text += f", S_T {s.sobol[key][2]:.2f} ± {s.sobol[key][3]:.2f}"
        drivers.append(text)
    kept = f"sign kept at {100 * s.share(sign):.0f} % of {len(s.differences)} points"
    return kept + ("; " + "; ".join(drivers) if drivers else "; no parameter matters")


def _too_few_seeds_note(estimates: list[Estimate]) -> str:
    """A sentence saying why some intervals are missing, or ``""`` if none is."""
    if not any(0 < e.n < MIN_SEEDS for e in estimates):
        return ""
    return (
        f"Fewer than {MIN_SEEDS} seeds: {_NO_INTERVAL}, so values are means alone and "
        "comparisons have no verdict."
    )


def _text(e: Estimate | None) -> str:
    return e.text() if e is not None else "n/a"


def findings_markdown(found: list[Finding]) -> str:
    """The findings as a Markdown table (mean [95 % CI] over seeds), followed by a note when
    some have too few seeds for an interval."""
    halves = found[0].halves if found else ("", "")
    lines = [
        "| claim | scenario vs baseline | measure | scenario | baseline | difference "
        f"| seeds {halves[0]} | seeds {halves[1]} | plausible range | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in found:
        lines.append(
            f"| {f.claim} | {f.scenario} vs {f.baseline} | `{f.measure}` | {f.value.text()} "
            f"| {f.base.text()} | {f.difference.text()} | {_text(f.first)} "
            f"| {_text(f.second)} | {range_text(f)} | {f.robustness} |"
        )
    note = _too_few_seeds_note([e for f in found for e in (f.value, f.base, f.difference)])
    if note:
        lines += ["", f"*{note}*"]
    return "\n".join(lines) + "\n"


# -- HTML with inline SVG -------------------------------------------------------------------

_COLOURS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b2df8a",
)
_CHARTS = (
    "cooperation",
    "compliance",
    "trust",
    "fear",
    "self_censorship",
    "low_share",
    "false_positive_rate",
    "score_mean",
    "welfare",
)


def _line_chart(table: dict[str, np.ndarray], measure: str, scenarios: list[str]) -> str:
    width, height, pad = 420, 220, 36
    series = {}
    for s in scenarios:
        rows = table["scenario"] == s
        steps = np.unique(table["step"][rows])
        averages = []
        for step in steps:
            v = table[measure][rows & (table["step"] == step)].astype(np.float64)
            v = v[~np.isnan(v)]
            averages.append(float(v.mean()) if v.size else float("nan"))
        series[s] = (steps, np.array(averages))
    finite = np.concatenate([m[~np.isnan(m)] for _, m in series.values()] + [np.zeros(0)])
    if finite.size == 0:
        return ""
    lo, hi = float(finite.min()), float(finite.max())
    hi = hi if hi > lo else lo + 1.0
    last = max(int(st.max()) for st, _ in series.values() if st.size) or 1
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{measure} over steps">',
        f'<text x="{pad}" y="14" font-size="12">{html.escape(measure)}</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - 8}" y2="{height - pad}" '
        'stroke="#999"/>',
        f'<text x="2" y="{pad}" font-size="10">{hi:.3g}</text>',
        f'<text x="2" y="{height - pad}" font-size="10">{lo:.3g}</text>',
        f'<text x="{width - 40}" y="{height - 20}" font-size="10">step {last}</text>',
    ]
    for i, (s, (steps, means)) in enumerate(series.items()):
        pts = [
            f"{pad + (width - pad - 8) * st / last:.1f},"
            f"{height - pad - (height - pad - 20) * (m - lo) / (hi - lo):.1f}"
            for st, m in zip(steps, means, strict=True)
            if not math.isnan(m)
        ]
        colour = _COLOURS[i % len(_COLOURS)]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
            f'points="{" ".join(pts)}"><title>{html.escape(s)}</title></polyline>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(scenarios: list[str]) -> str:
    items = [
        f'<span style="color:{_COLOURS[i % len(_COLOURS)]}">&#9632; {html.escape(s)}</span>'
        for i, s in enumerate(scenarios)
    ]
    return '<p class="legend">' + " &nbsp; ".join(items) + "</p>"


def render_html(
    table: dict[str, np.ndarray],
    title: str = "Policy lab report",
    sensitivity: Sensitivity | None = None,
) -> str:
    """A self-contained HTML page: findings (with ``sensitivity`` when given), summary by
    scenario, and charts over steps."""
    scenarios = sorted(set(table["scenario"].tolist()))
    seeds = len(set(table["seed"].tolist()))
    found = findings(table, sensitivity)
    summary = summarise(table)
    rows = "".join(
        f"<tr><td>{html.escape(f.claim)}</td><td>{f.scenario} vs {f.baseline}</td>"
        f"<td><code>{f.measure}</code></td><td>{f.value.text()}</td><td>{f.base.text()}</td>"
        f"<td>{f.difference.text()}</td><td>{_text(f.first)}</td><td>{_text(f.second)}</td>"
        f"<td>{html.escape(range_text(f))}</td><td><b>{html.escape(f.robustness)}</b></td></tr>"
        for f in found
    )
    measures = [m for m in METRIC_NAMES if m in table]
    head = "".join(f"<th>{m}</th>" for m in measures)
    body = "".join(
        f"<tr><th>{html.escape(s)}</th>"
        + "".join(f"<td>{summary[s][m].text()}</td>" for m in measures)
        + "</tr>"
        for s in scenarios
    )
    charts = "".join(_line_chart(table, m, scenarios) for m in _CHARTS if m in table)
    note = _too_few_seeds_note([e for by in summary.values() for e in by.values()])
    warning = f'<p class="note"><b>{html.escape(note)}</b></p>' if note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}}
table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ccc;padding:3px 6px}}
.wide{{overflow-x:auto}}svg{{margin:6px;border:1px solid #eee}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Scenarios: {len(scenarios)}; seeds per scenario: up to {seeds}. Values are means over
seeds of each run's mean over its last quarter of steps (heavy measures: the last step),
with 95 % intervals over seeds: percentile bootstrap for the measures confined to [0, 1]
(shares, rates, trust, fear, Gini coefficients), Student t for the others and for differences,
which are paired by seed. A verdict is "holds" only when the difference has the same sign on
both halves of the seeds (two disjoint seed sets) and keeps it across the plausible range of
the agents' behavioural parameters (a SALib Morris and Sobol analysis, run with
<code>lab report --sensitivity</code>); otherwise it names what it depends on.
Mechanics marked NOT LAWFUL exist only in the simulator: the real
engine refuses them.</p>{warning}
<h2>The article's claims</h2>
<table><tr><th>claim</th><th>comparison</th><th>measure</th><th>scenario</th>
<th>baseline</th><th>difference</th><th>first half of the seeds</th>
<th>second half</th><th>plausible range of behaviour</th><th>verdict</th></tr>{rows}</table>
<h2>Over time (mean over seeds)</h2>{_legend(scenarios)}<div>{charts}</div>
<h2>Every measure by scenario</h2><div class="wide"><table><tr><th></th>{head}</tr>{body}
</table></div></body></html>
"""
