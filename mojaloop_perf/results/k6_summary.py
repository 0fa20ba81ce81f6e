"""k6's summaries read into the workspace's figures: counts, rates, percentiles, thresholds.

One k6 process's summary (the script's handleSummary JSON) gives `figures`. With parallelism N
each runner reports only its execution segment, so `merge` adds the runners' counts and computes
the percentiles from every runner's samples (`read_samples`, k6's CSV output) or, when those are
out of reach, from every runner's quantile grid (`merge_quantiles`). Besides the script's own
metrics, every run reports k6's: iterations run, iterations dropped (the arrival rate called for
one and no VU was free), and the peaks of active and allocated VUs. Running k6 is
mojaloop_perf/k6.py's job.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mojaloop_perf.errors import UserError

# The script's phases, each timed by a `<phase>_time` trend; a transfer fails in one of the first
# three.
PHASES = ("discovery", "quote", "transfer", "e2e")
FAILED_PHASES = ("discovery", "quote", "transfer")
# The line of a runner's stdout that carries its summary JSON (MOJALOOP_PERF_SUMMARY_STDOUT=json).
SUMMARY_MARKER = "MOJALOOP_PERF_SUMMARY_JSON "
# The quantiles every trend reports (the script's summaryTrendStats): p(1)…p(99), p(99.5), p(99.9).
QUANTILE_GRID = (*(float(k) for k in range(1, 100)), 99.5, 99.9)


def figures(data: Mapping[str, Any]) -> dict[str, Any]:
    """The workspace's figures out of one k6 process's summary (handleSummary's JSON)."""
    metrics = data.get("metrics", {})
    duration_s = data.get("state", {}).get("testRunDurationMs", 0) / 1000
    return _assemble(
        counts=lambda name: _count(metrics, name),
        trend=lambda name: _trend(metrics.get(name)),
        peak=lambda name: _peak(metrics, name),
        runners=1,
        duration_s=duration_s,
        window=data.get("mlperf", {}),
        thresholds=_thresholds(metrics, data.get("mlperf", {}).get("forcedThresholds", [])),
    )


def merge(
    datas: list[Mapping[str, Any]], samples: Mapping[str, list[float]] | None
) -> dict[str, Any]:
    """Figures of N runners: counts added, thresholds held only if every runner held them, and
    percentiles computed from all runners' samples (`samples`: trend name → values in ms), or,
    when the samples are out of reach (`None`: k6 Operator pods), from every runner's quantiles
    (`merge_quantiles`). Peak VUs are the sum of the runners' peaks: an upper bound, as the
    runners need not have peaked at the same moment."""
    per_runner = [figures(data) for data in datas]
    checks: dict[tuple[str, str], bool] = {}
    for figure in per_runner:
        for check in figure["thresholds"]["checks"]:
            key = (check["metric"], check["expression"])
            checks[key] = checks.get(key, True) and check["ok"]
    merged_checks = [
        {"metric": m, "expression": e, "ok": ok} for (m, e), ok in sorted(checks.items())
    ]
    return _assemble(
        counts=lambda name: sum(_count(d.get("metrics", {}), name) for d in datas),
        trend=(lambda name: trend_of(samples.get(name, [])))
        if samples is not None
        else (lambda name: merge_quantiles([d.get("metrics", {}).get(name) for d in datas])),
        peak=lambda name: sum(_peak(d.get("metrics", {}), name) for d in datas),
        runners=len(datas),
        duration_s=max(d.get("state", {}).get("testRunDurationMs", 0) for d in datas) / 1000,
        window=datas[0].get("mlperf", {}),
        thresholds={"passed": all(c["ok"] for c in merged_checks), "checks": merged_checks},
    )


def _assemble(
    counts: Callable[[str], int],
    trend: Callable[[str], dict[str, float | int | None]],
    peak: Callable[[str], int],
    runners: int,
    duration_s: float,
    window: Mapping[str, Any],
    thresholds: dict[str, Any],
) -> dict[str, Any]:
    completed = counts("completed_transactions")
    iterations = counts("iterations")
    dropped = counts("dropped_iterations")  # k6 leaves the metric out when none was dropped
    scheduled = iterations + dropped
    failed = counts("failed_transactions")
    attempted = completed + failed
    steady_s = window.get("steadyS", 0)
    steady_done = counts("completed_transactions{steady:true}")
    steady_failed = counts("failed_transactions{steady:true}")
    steady_attempted = steady_done + steady_failed
    return {
        "completed": completed,
        "failed": failed,
        "failed_by_phase": {
            phase: counts(f"failed_transactions{{phase:{phase}}}") for phase in FAILED_PHASES
        },
        "success_rate": completed / attempted if attempted else 0.0,
        "achieved_tps": completed / duration_s if duration_s else 0.0,
        "test_run_duration_s": round(duration_s, 3),
        "iterations": iterations,
        "dropped_iterations": dropped,
        "dropped_share": dropped / scheduled if scheduled else 0.0,
        "peak_active_vus": peak("vus"),
        "peak_allocated_vus": peak("vus_max"),
        "peak_vus_is_sum_of_runners": runners > 1,
        "latency_ms": {phase: trend(f"{phase}_time") for phase in PHASES},
        "steady": {
            "warmup_s": window.get("warmupS", 0),
            "drain_s": window.get("drainS", 0),
            "window_s": steady_s,
            "completed": steady_done,
            "failed": steady_failed,
            "success_rate": steady_done / steady_attempted if steady_attempted else 0.0,
            "achieved_tps": steady_done / steady_s if steady_s else 0.0,
            "latency_ms": {phase: trend(f"{phase}_time{{steady:true}}") for phase in PHASES},
        },
        "thresholds": thresholds,
    }


def merge_quantiles(metrics: list[Mapping[str, Any] | None]) -> dict[str, float | int | None]:
    """One trend of N runners from each runner's quantile grid (min, p(1)…p(99.9), max).

    Each runner's distribution is taken as piecewise linear between its quantiles; the merged
    distribution is their mixture weighted by sample count, and each percentile is where the
    mixture reaches it. Counts, avg and max are exact; a percentile is exact to within the grid
    step of the runners' own distributions (runners of one test see the same system, so their
    distributions are close and the error is small; `tests/k6` measures it against samples).
    """
    curves = []
    count, total, top = 0, 0.0, None
    for metric in metrics:
        values = metric["values"] if metric else {}
        n = int(values.get("count", 0))
        if not n:
            continue
        stats = [values.get("min"), *(values.get(f"p({q:g})") for q in QUANTILE_GRID)]
        stats.append(values.get("max"))
        if any(value is None for value in stats):
            raise UserError(
                "a runner's summary lacks the quantile grid (p(1)…p(99.9)): old script?"
            )
        knots = [float(value) for value in stats]
        levels = [0.0, *(q / 100 for q in QUANTILE_GRID), 1.0]
        curves.append((n, knots, levels))
        count += n
        total += n * float(values["avg"])
        top = knots[-1] if top is None else max(top, knots[-1])
    if not count:
        return trend_of([])
    xs = sorted({x for _, knots, _ in curves for x in knots})
    cdf = [sum(n * _cdf(knots, levels, x) for n, knots, levels in curves) / count for x in xs]

    def at(fraction: float) -> float:
        if cdf[0] >= fraction:
            return xs[0]
        for i in range(1, len(xs)):
            if cdf[i] >= fraction:
                span = cdf[i] - cdf[i - 1]
                share = (fraction - cdf[i - 1]) / span if span else 1.0
                return xs[i - 1] + (xs[i] - xs[i - 1]) * share
        return xs[-1]

    return {
        "count": count,
        "avg": round(total / count, 3),
        "p50": round(at(0.50), 3),
        "p95": round(at(0.95), 3),
        "p99": round(at(0.99), 3),
        "max": round(float(top), 3),
    }


def _cdf(knots: list[float], levels: list[float], x: float) -> float:
    """A runner's piecewise-linear distribution function at x (right-continuous)."""
    i = bisect.bisect_right(knots, x)
    if i == 0:
        return 0.0
    if i == len(knots):
        return 1.0
    width = knots[i] - knots[i - 1]
    share = (x - knots[i - 1]) / width if width else 1.0
    return levels[i - 1] + (levels[i] - levels[i - 1]) * share


def summary_from_log(text: str) -> dict[str, Any] | None:
    """A runner's summary JSON from its log (the marked stdout line); None when absent."""
    for line in reversed(text.splitlines()):
        start = line.find(SUMMARY_MARKER)
        if start < 0:
            continue
        try:
            data = json.loads(line[start + len(SUMMARY_MARKER) :])
        except json.JSONDecodeError as exc:
            raise UserError(f"k6 summary line in the runner's log is not JSON ({exc})") from exc
        return data if isinstance(data, dict) else None
    return None


def read_samples(paths: Iterable[Path]) -> dict[str, list[float]]:
    """Trend samples from k6 CSV outputs: `e2e_time` and `e2e_time{steady:true}` → values."""
    wanted = {f"{phase}_time" for phase in PHASES}
    samples: dict[str, list[float]] = {}
    for path in paths:
        with gzip.open(path, "rt", newline="") as handle:
            for row in csv.DictReader(handle):
                name = row["metric_name"]
                if name not in wanted:
                    continue
                value = float(row["metric_value"])
                samples.setdefault(name, []).append(value)
                if "steady=true" in (row.get("extra_tags") or "").split("&"):
                    samples.setdefault(f"{name}{{steady:true}}", []).append(value)
    return samples


def trend_of(values: list[float]) -> dict[str, float | int | None]:
    """avg, p50, p95, p99, max of samples, percentiles interpolated as k6 does."""
    if not values:
        return {"count": 0, "avg": None, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "avg": round(sum(ordered) / len(ordered), 3),
        "p50": round(percentile(ordered, 0.50), 3),
        "p95": round(percentile(ordered, 0.95), 3),
        "p99": round(percentile(ordered, 0.99), 3),
        "max": round(ordered[-1], 3),
    }


def percentile(ordered: list[float], fraction: float) -> float:
    """k6's Trend percentile: linear interpolation between the closest ranks."""
    position = fraction * (len(ordered) - 1)
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _count(metrics: Mapping[str, Any], name: str) -> int:
    metric = metrics.get(name)
    return int(metric["values"].get("count", 0)) if metric else 0


def _peak(metrics: Mapping[str, Any], name: str) -> int:
    """A gauge's largest value; k6 samples `vus` and `vus_max` once a second."""
    metric = metrics.get(name)
    return int(metric["values"].get("max", 0)) if metric else 0


def _trend(metric: Mapping[str, Any] | None) -> dict[str, float | int | None]:
    values = metric["values"] if metric else {}

    def stat(key: str) -> float | None:
        # A trend that a threshold names exists even without samples: its zeros are no figures.
        value = values.get(key) if values.get("count") else None
        return None if value is None else round(float(value), 3)

    return {
        "count": int(values.get("count", 0)),
        "avg": stat("avg"),
        "p50": stat("p(50)"),
        "p95": stat("p(95)"),
        "p99": stat("p(99)"),
        "max": stat("max"),
    }


def _thresholds(metrics: Mapping[str, Any], forced: Iterable[str]) -> dict[str, Any]:
    """The configured thresholds and their verdicts (not the ones the script adds itself)."""
    hidden = set(forced)
    checks = [
        {"metric": name, "expression": expression, "ok": bool(result.get("ok"))}
        for name, metric in sorted(metrics.items())
        for expression, result in sorted((metric.get("thresholds") or {}).items())
        if f"{name} {expression}" not in hidden
    ]
    return {"passed": all(check["ok"] for check in checks), "checks": checks}
