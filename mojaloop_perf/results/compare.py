"""Compare two runs of a scenario figure by figure, with a significance test for each figure.

The figures (A, B) are the runs' own summary.json figures; the tests use what lies under them:
the per-transaction durations of raw/transactions.parquet for latencies, the counts for rates.
Runs are only compared when they were measured alike (same warm-up, drain, duration and
transactions): otherwise their windows hold different parts of the load.

A regression is B worse than A beyond the scenario's `k6.regression` tolerance AND significant,
judged on the steady-state window (the whole run when either run has no steady transaction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.results import baseline as runs
from mojaloop_perf.results import raw
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.scenario.model import Regression

ALPHA = 0.05
RANK_SAMPLE = 100_000  # per run: the rank test's cost grows as n log n, its power is ample here
Z95 = 1.959963984540054
LATENCIES = (*raw.PHASES, "e2e")
PERCENTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
WINDOWS = ("full", "steady")
Kind = Literal["tps", "rate", "count", "ms", "effect"]

LEGEND = (
    "legend: delta = B − A; p: two-sided, Holm-adjusted over all the table's tests; significant "
    "= p < 0.05 (a 5 % chance in all that anything is called significant by chance); worse/better "
    "says which way B moved.",
    "  percentiles: quantile test, B's sample percentile minus A's against their distribution-free "
    "standard errors (each from the 95 % order-statistic interval of its percentile), on the "
    "per-transaction durations of raw/transactions.parquet.",
    "  P(B slower): Mann–Whitney U rank test of the phase's durations; P(B slower) is the common-"
    f"language effect size (0.5: no shift); on a random subsample of {RANK_SAMPLE:,} per run "
    "when a run has more (fixed seed).",
    "  rates and counts: two-proportion z-test (pooled) — success rate and failed on completed + "
    "failed; achieved TPS, completed and dropped share on the transactions the arrival rate "
    "scheduled (iterations + dropped; steady window: target TPS × window).",
)


@dataclass(frozen=True)
class Tolerance:
    """The scenario's `k6.regression`: how much worse B may be before it is a regression."""

    p95_increase_pct: float
    tps_decrease_pct: float
    success_rate_decrease_pp: float

    @classmethod
    def of(cls, regression: Regression) -> Tolerance:
        return cls(
            regression.p95_increase_pct,
            regression.tps_decrease_pct,
            regression.success_rate_decrease_pp,
        )

    def describe(self) -> str:
        return (
            f"p95 +{self.p95_increase_pct:g} %, TPS −{self.tps_decrease_pct:g} %, "
            f"success rate −{self.success_rate_decrease_pp:g} pp"
        )


@dataclass(frozen=True)
class Row:
    """One figure of one window in both runs, and its test."""

    window: str
    figure: str
    kind: Kind
    a: float | None
    b: float | None
    better: Literal["higher", "lower"]
    test: str
    p_raw: float | None
    p: float | None = None  # Holm-adjusted over the table's tests: what `significant` reads

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def delta_pct(self) -> float | None:
        delta = self.delta
        return None if delta is None or not self.a else delta / abs(self.a) * 100

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < ALPHA

    @property
    def worse(self) -> bool:
        delta = self.delta
        if not self.significant or not delta:
            return False
        return delta < 0 if self.better == "higher" else delta > 0


@dataclass
class Comparison:
    """The table of every headline figure of runs A and B, and the regressions it shows."""

    scenario: str
    run_a: str
    run_b: str
    a_is_baseline: bool
    methodology: str
    tolerance: Tolerance
    judged_window: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> list[str]:
        """Each figure of the judged window where B is worse beyond the tolerance, significantly."""
        found = []
        for row in self.rows:
            if row.window != self.judged_window or not row.worse:
                continue
            assert row.a is not None and row.b is not None and row.delta is not None
            pct = row.delta_pct
            if row.figure == "achieved TPS":
                beyond, limit = (
                    pct is not None and -pct > self.tolerance.tps_decrease_pct,
                    (f"−{self.tolerance.tps_decrease_pct:g} %"),
                )
            elif row.figure == "success rate":
                pp = -row.delta * 100
                beyond, limit = (
                    pp > self.tolerance.success_rate_decrease_pp,
                    (f"−{self.tolerance.success_rate_decrease_pp:g} pp"),
                )
            elif row.figure.endswith(" p95"):
                beyond, limit = (
                    pct is not None and pct > self.tolerance.p95_increase_pct,
                    (f"+{self.tolerance.p95_increase_pct:g} %"),
                )
            else:
                continue
            if beyond:
                change = _delta_text(row) + (f" ({pct:+.1f} %)" if pct is not None else "")
                found.append(
                    f"{row.window} {row.figure} {_value(row.kind, row.a)} → "
                    f"{_value(row.kind, row.b)}, {change}, beyond {limit}, p {_p_text(row.p)}"
                )
        return found

    def lines(self) -> list[str]:
        a_name = f"{self.run_a} (baseline)" if self.a_is_baseline else self.run_a
        header = ("window", "figure", "A", "B", "delta", "delta %", "test", "p", "significant")
        table = [header, *(_cells(row) for row in self.rows)]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
        right = {2, 3, 4, 5, 7}
        out = [
            f"compare scenario {self.scenario}: A {a_name} vs B {self.run_b}",
            f"both runs: {self.methodology}",
        ]
        for cells in table:
            out.append(
                "  ".join(
                    c.rjust(w) if i in right else c.ljust(w)
                    for i, (c, w) in enumerate(zip(cells, widths, strict=True))
                ).rstrip()
            )
        out.extend(LEGEND)
        out.extend(f"note: {note}" for note in self.notes)
        regressed = self.regressed
        head = (
            f"regressions ({self.judged_window} window; tolerance {self.tolerance.describe()}, "
            "and significant):"
        )
        out.append(f"{head} none" if not regressed else head)
        out.extend(f"  {item}" for item in regressed)
        return out


def compare_runs(
    project: Project, scenario_name: str, run_a: str | None, run_b: str | None, *, baseline: bool
) -> Comparison:
    """Compare run A with run B of a scenario (B: default the latest run; A: the scenario's
    baseline with `baseline`, else default the run before B)."""
    if baseline and run_a is not None:
        raise UserError(f"--baseline names run A already; drop RUN_A {run_a} or --baseline")
    tolerance = Tolerance.of(load_scenario(project, scenario_name).load.regression)
    run_b = run_b or runs.latest_run(project, scenario_name)
    if baseline:
        run_a = runs.baseline_run(project, scenario_name)
    run_a = run_a or runs.run_before(project, scenario_name, run_b)
    if run_a == run_b:
        raise UserError(f"RUN_A {run_a} and RUN_B {run_b} are the same run; name two runs")
    a = runs.read_run(project, runs.run_dir(project, scenario_name, run_a))
    b = runs.read_run(project, runs.run_dir(project, scenario_name, run_b))
    methodology = runs.same_methodology(a, b)
    judged = (
        "steady"
        if a.summary["steady"]["completed"] and b.summary["steady"]["completed"]
        else "full"
    )
    comparison = Comparison(scenario_name, run_a, run_b, baseline, methodology, tolerance, judged)
    for run in (a, b):
        if run.durations is None:
            comparison.notes.append(
                f"run {run.run_id} has no {raw.TRANSACTIONS_FILE}: latency differences untested "
                "(n/a), so they cannot count as regressions"
            )
    rows = [
        row
        for window in WINDOWS
        for row in (*_count_rows(window, a, b), *_latency_rows(window, a, b))
    ]
    adjusted = holm([row.p_raw for row in rows])
    comparison.rows = [replace(row, p=p) for row, p in zip(rows, adjusted, strict=True)]
    return comparison


def holm(ps: list[float | None]) -> list[float | None]:
    """Holm–Bonferroni adjusted p-values (None stays None): a table of many tests then calls
    something significant with a 5 % chance in all, not 5 % per row."""
    order = sorted((p, i) for i, p in enumerate(ps) if p is not None)
    m, running = len(order), 0.0
    out: list[float | None] = [None] * len(ps)
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def _count_rows(window: str, a: runs.RunData, b: runs.RunData) -> list[Row]:
    """TPS, success rate, completed, failed (and dropped share, full run only)."""

    def counts(run: runs.RunData) -> dict[str, float]:
        s = run.summary
        part = s["results"] if window == "full" else s["steady"]
        done, failed = part["completed"], part["failed"]
        offered = s["results"]["iterations"] + s["results"]["dropped_iterations"]
        if window == "full":
            scheduled = offered
        else:
            scheduled = round(s["load"]["target_tps"] * part["window_s"])
        return {
            "tps": part["achieved_tps"],
            "rate": part["success_rate"],
            "done": done,
            "failed": failed,
            "attempted": done + failed,
            "scheduled": max(scheduled, done + failed),
            "share": s["results"]["dropped_share"],
            "dropped": s["results"]["dropped_iterations"],
            "offered": offered,
        }

    ca, cb = counts(a), counts(b)
    specs: list[tuple[str, Kind, str, Literal["higher", "lower"], str, str]] = [
        ("achieved TPS", "tps", "tps", "higher", "done", "scheduled"),
        ("success rate", "rate", "rate", "higher", "done", "attempted"),
        ("completed", "count", "done", "higher", "done", "scheduled"),
        ("failed", "count", "failed", "lower", "failed", "attempted"),
    ]
    if window == "full":
        specs.append(("dropped share", "rate", "share", "lower", "dropped", "offered"))
    return [
        Row(window, figure, kind, ca[key], cb[key], better, "2-prop z", test_p)
        for figure, kind, key, better, x, n in specs
        for test_p in [two_proportion_p(ca[x], ca[n], cb[x], cb[n])]
    ]


def _latency_rows(window: str, a: runs.RunData, b: runs.RunData) -> list[Row]:
    """p50/p95/p99 and the rank test of each phase and end to end."""
    rows = []
    for latency in LATENCIES:
        ta = _trend(a, window, latency)
        tb = _trend(b, window, latency)
        xa, xb = _samples(a, window, latency), _samples(b, window, latency)
        for name, q in PERCENTILES:
            p = quantile_difference_p(xa, xb, q) if xa is not None and xb is not None else None
            rows.append(
                Row(window, f"{latency} {name}", "ms", ta[name], tb[name], "lower", "quantile", p)
            )
        effect, p = (None, None)
        if xa is not None and xb is not None:
            effect, p = rank_test(xa, xb)
        rows.append(
            Row(window, f"{latency} P(B slower)", "effect", None, effect, "lower", "MWU", p)
        )
    return rows


def _trend(run: runs.RunData, window: str, latency: str) -> dict[str, Any]:
    s = run.summary
    return (s["latency_ms"] if window == "full" else s["steady"]["latency_ms"])[latency]


def _samples(run: runs.RunData, window: str, latency: str) -> np.ndarray | None:
    if run.durations is None:
        return None
    values = run.durations[(window, latency)]
    return values if len(values) >= 2 else None


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p of the pooled two-proportion z-test of x1/n1 against x2/n2."""
    from scipy.stats import norm

    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    diff = x2 / n2 - x1 / n1
    if se == 0:
        return 1.0 if diff == 0 else 0.0
    return float(2 * norm.sf(abs(diff) / se))


def quantile_difference_p(a: np.ndarray, b: np.ndarray, q: float) -> float:
    """Two-sided p that percentile q of a's population equals b's: the difference of the sample
    percentiles over their standard errors, each from the order statistics bracketing the
    percentile's 95 % distribution-free interval (rank ~ Binomial(n, q))."""
    from scipy.stats import norm

    qa, sa = _percentile_and_se(a, q)
    qb, sb = _percentile_and_se(b, q)
    se = math.hypot(sa, sb)
    if se == 0:
        return 1.0 if qa == qb else 0.0
    return float(2 * norm.sf(abs(qb - qa) / se))


def _percentile_and_se(x: np.ndarray, q: float) -> tuple[float, float]:
    n = len(x)
    centre = q * (n - 1)
    half = Z95 * math.sqrt(n * q * (1 - q))
    lo, hi = max(0, math.floor(centre - half)), min(n - 1, math.ceil(centre + half))
    k0, k1 = math.floor(centre), math.ceil(centre)
    part = np.partition(x, sorted({lo, k0, k1, hi}))
    low, high = float(part[k0]), float(part[k1])
    estimate = low + (high - low) * (centre - k0)
    return estimate, (float(part[hi]) - float(part[lo])) / (2 * Z95)


def rank_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mann–Whitney U of b against a: P(b > a) + ½ P(b = a), and the two-sided p (asymptotic,
    tie-corrected), on at most RANK_SAMPLE values of each."""
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(12)
    a, b = (
        x if len(x) <= RANK_SAMPLE else rng.choice(x, RANK_SAMPLE, replace=False) for x in (a, b)
    )
    result = mannwhitneyu(b, a, alternative="two-sided", method="asymptotic")
    return float(result.statistic) / (len(a) * len(b)), float(result.pvalue)


def _cells(row: Row) -> tuple[str, ...]:
    pct = row.delta_pct
    if row.p is None:
        verdict = "n/a"
    elif not row.significant or (not row.delta and row.kind != "effect"):
        verdict = "no"
    elif row.kind == "effect":
        verdict = "yes (worse)" if row.b is not None and row.b > 0.5 else "yes (better)"
    else:
        verdict = "yes (worse)" if row.worse else "yes (better)"
    return (
        row.window,
        row.figure,
        _value(row.kind, row.a),
        _value(row.kind, row.b),
        _delta_text(row),
        "" if pct is None or row.kind == "effect" else f"{pct:+.1f} %",
        row.test,
        _p_text(row.p),
        verdict,
    )


def _value(kind: Kind, value: float | None) -> str:
    if value is None:
        return "—" if kind != "effect" else ""
    if kind == "tps":
        return f"{value:.2f}"
    if kind == "rate":
        return f"{value * 100:.3f} %"
    if kind == "count":
        return f"{value:.0f}"
    if kind == "effect":
        return f"{value:.3f}"
    return f"{value:.1f} ms"


def _delta_text(row: Row) -> str:
    delta = row.delta
    if delta is None:
        return ""
    if row.kind == "rate":
        return f"{delta * 100:+.3f} pp"
    if row.kind == "count":
        return f"{delta:+.0f}"
    if row.kind == "tps":
        return f"{delta:+.2f}"
    return f"{delta:+.1f} ms"


def _p_text(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"
