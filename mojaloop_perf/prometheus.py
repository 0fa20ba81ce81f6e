"""k6's figures of one test from Prometheus, by its testid: steady percentiles and per-second series.

The k6 runners remote-write (k6's experimental-prometheus-rw output, our chart's
`prometheusRemoteWrite`) their trends as native histograms (`k6_<trend>_seconds`), their counters
as `k6_<counter>_total` and their gauges as `k6_<gauge>`, tagged `testid` (one per run), `runner`
(the pod: runners never write the same series) and `steady` (the transaction started in the steady
window; failures also carry `phase`). The published phase-2 method takes the steady-state
percentiles from there (`steady_figures`); `run_series` reads the whole run at a 1 s step, summed
over the runners, into the rows of `raw/seconds.parquet` (mojaloop_perf/results/raw.py).

Every series is cumulative (counters, histograms) and each push carries the time of its latest
sample, so a second's row holds what the pushes stamped inside that second: k6 pushes every
K6_PROMETHEUS_RW_PUSH_INTERVAL (5 s unless the chart sets it), and the rows show lumps that far
apart. Totals over any span of pushes are exact.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mojaloop_perf.results import raw
from mojaloop_perf.results.k6_summary import FAILED_PHASES, PHASES
from mojaloop_perf.runner import HttpCall, Runner

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
STEP_S = 1
# Prometheus refuses a query_range of more than 11,000 points per series: longer runs go in parts.
MAX_POINTS = 10_000


class PrometheusError(Exception):
    """Prometheus did not answer, or not with data; the message says which, in one line."""


def query_text(phase: str, quantile: float, testid: str, window_s: int) -> str:
    selector = f'k6_{phase}_time_seconds{{testid="{testid}",steady="true"}}'
    return f"histogram_quantile({quantile}, sum(increase({selector}[{window_s}s])))"


def query_call(base_url: str, query: str, at: float) -> HttpCall:
    params = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"})
    return HttpCall("GET", f"{base_url}/api/v1/query?{params}", timeout_s=30)


def range_call(base_url: str, query: str, start: float, end: float) -> HttpCall:
    params = urllib.parse.urlencode(
        {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{STEP_S}s"}
    )
    return HttpCall("GET", f"{base_url}/api/v1/query_range?{params}", timeout_s=60)


def steady_figures(
    runner: Runner, base_url: str, testid: str, *, end: float, window_s: int
) -> tuple[dict[str, Any] | None, str]:
    """Per-phase steady percentiles in ms, and a note; None when Prometheus can't say.

    `end` is the run's end (Unix seconds), `window_s` the run's length: every steady sample of
    the test falls within [end - window_s, end].
    """
    figures: dict[str, Any] = {}
    for phase in PHASES:
        figures[phase] = {}
        for key, quantile in QUANTILES.items():
            call = query_call(base_url, query_text(phase, quantile, testid, window_s), end)
            try:
                response = runner.http(call)
            except OSError as exc:
                return None, f"Prometheus not reachable at {base_url} ({exc})"
            if response is None:  # dry run
                return None, "dry run"
            value = _scalar(response.body)
            if response.status != 200 or value is None:
                return None, f"Prometheus had no k6 histograms for testid {testid} ({phase} {key})"
            figures[phase][key] = round(value * 1000, 3)
    return figures, "histogram_quantile over k6 native histograms, steady transactions"


def instant(runner: Runner, base_url: str, query: str, at: float) -> float | None:
    """The value of a query that sums to one series, at `at`; None when it has no data."""
    response = _get(runner, base_url, query_call(base_url, query, at))
    return _scalar(response)


def query_range(
    runner: Runner, base_url: str, query: str, start: float, end: float
) -> dict[int, float]:
    """A query that sums to one series, at every step from `start` to `end`: {step index: value},
    index 0 at `start`; steps without data (or NaN) are left out."""
    points: dict[int, float] = {}
    first = 0
    count = round((end - start) / STEP_S) + 1
    while first < count:
        last = min(count, first + MAX_POINTS) - 1
        call = range_call(base_url, query, start + first * STEP_S, start + last * STEP_S)
        for at, value in _matrix(_get(runner, base_url, call)):
            points[round((at - start) / STEP_S)] = value
        first = last + 1
    return points


def _get(runner: Runner, base_url: str, call: HttpCall) -> Any:
    try:
        response = runner.http(call)
    except OSError as exc:
        raise PrometheusError(f"Prometheus not reachable at {base_url} ({exc})") from exc
    if response is None:
        raise PrometheusError("dry run")
    if response.status != 200:
        error = response.body.get("error") if isinstance(response.body, dict) else None
        raise PrometheusError(f"Prometheus answered HTTP {response.status}: {error or '(no body)'}")
    return response.body


# --- the run's series -----------------------------------------------------------------------


def selector(testid: str, **labels: str) -> str:
    tags = ",".join(f'{key}="{value}"' for key, value in {"testid": testid, **labels}.items())
    return "{" + tags + "}"


def last_sample_query(testid: str) -> str:
    """The time (Unix seconds) of the latest `vus` sample: k6 samples it up to the test's end."""
    return f"max(timestamp(k6_vus{selector(testid)}))"


def series_queries(testid: str) -> dict[str, str]:
    """Every per-second series of a run, by name; each sums the runners into one series.

    Counters and histogram counts are cumulative (differenced per second here); the quantiles
    are taken of what the histograms gained in the second before each step."""
    queries = {
        "vus": f"sum(k6_vus{selector(testid)})",
        "dropped": f"sum(k6_dropped_iterations_total{selector(testid)})",
        "completed": f"sum(k6_completed_transactions_total{selector(testid)})",
    }
    for phase in FAILED_PHASES:
        queries[f"failed:{phase}"] = (
            f"sum(k6_failed_transactions_total{selector(testid, phase=phase)})"
        )
        queries[f"count:{phase}"] = (
            f"histogram_count(sum(k6_{phase}_time_seconds{selector(testid)}))"
        )
    for phase in PHASES:
        histogram = f"k6_{phase}_time_seconds{selector(testid)}"
        # Before a histogram's first push there is nothing to subtract: `or` keeps it whole.
        gained = f"(sum({histogram}) - sum({histogram} offset {STEP_S}s)) or sum({histogram})"
        for key, quantile in QUANTILES.items():
            queries[f"{key}:{phase}"] = f"histogram_quantile({quantile}, {gained})"
    return queries


@dataclass(frozen=True)
class RunSeries:
    """A run's per-second rows (raw.seconds_schema() columns) and when its load started."""

    load_start_ms: int
    seconds: int
    rows: dict[str, list[Any]]
    queries: dict[str, str]


def run_series(
    runner: Runner,
    base_url: str,
    testid: str,
    *,
    run_s: float,
    since: float,
    until: float,
) -> RunSeries:
    """The run's rows, second by second from the load's start, summed over the runners.

    `run_s` is k6's test run duration (the runners' longest), `since`/`until` bound the run in
    Unix seconds. The load started `run_s` before the last `vus` sample. Raises PrometheusError
    when Prometheus is out of reach or holds nothing of this testid."""
    stamps = query_range(runner, base_url, last_sample_query(testid), since, until)
    if not stamps:
        raise PrometheusError(f"Prometheus has no k6 series for testid {testid}")
    load_start_ms = round(max(stamps.values()) * 1000 - run_s * 1000)
    seconds = math.ceil(run_s) + 1  # the last push may land just after the end
    start = load_start_ms / 1000
    queries = series_queries(testid)
    # Step i is the end of second i - 1: the cumulative values there hold what came before it.
    answers = {
        name: query_range(runner, base_url, query, start, start + seconds)
        for name, query in queries.items()
    }
    rows = seconds_rows(answers, seconds)
    return RunSeries(
        load_start_ms, seconds, rows, {"load_start": last_sample_query(testid), **queries}
    )


def _per_second(cumulative: Mapping[int, float], seconds: int) -> list[int]:
    """Counts per second from a cumulative series (steps 0…seconds); a gap keeps the last value."""
    counts, previous = [], cumulative.get(0, 0.0)
    for step in range(1, seconds + 1):
        value = cumulative.get(step, previous)
        counts.append(max(0, round(value - previous)))
        previous = value
    return counts


def seconds_rows(answers: Mapping[str, Mapping[int, float]], seconds: int) -> dict[str, list[Any]]:
    """The columns of raw/seconds.parquet from the answers to `series_queries`."""
    completed = {"e2e": _per_second(answers["completed"], seconds)}
    failed = {p: _per_second(answers[f"failed:{p}"], seconds) for p in FAILED_PHASES}
    for phase in FAILED_PHASES:
        completed[phase] = _per_second(answers[f"count:{phase}"], seconds)
    failed["e2e"] = [
        sum(column) for column in zip(*(failed[p] for p in FAILED_PHASES), strict=True)
    ]
    dropped = _per_second(answers["dropped"], seconds)
    columns: dict[str, list[Any]] = {name: [] for name in raw.seconds_schema().names}
    for second in range(seconds):
        for phase in PHASES:
            e2e = phase == "e2e"
            columns["second"].append(second)
            columns["phase"].append(phase)
            # Prometheus knows when a transaction ended, not when it started.
            columns["started"].append(None)
            columns["completed"].append(completed[phase][second])
            columns["failed"].append(failed[phase][second])
            for key in QUANTILES:
                value = answers[f"{key}:{phase}"].get(second + 1)
                columns[f"{key}_ms"].append(None if value is None else value * 1000)
            vus = answers["vus"].get(second + 1)
            columns["vus_active"].append(round(vus) if e2e and vus is not None else None)
            columns["dropped"].append(dropped[second] if e2e else None)
    return columns


def _scalar(body: Any) -> float | None:
    try:
        result = body["data"]["result"]
        value = float(result[0]["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None if value != value else value  # NaN: no samples


def _matrix(body: Any) -> list[tuple[float, float]]:
    """The points of a query_range answer's one series; NaN and ±Inf left out."""
    try:
        result = body["data"]["result"]
        values = result[0]["values"] if result else []
        points = [(float(at), float(value)) for at, value in values]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise PrometheusError(f"Prometheus gave an answer without a series ({exc})") from exc
    return [(at, value) for at, value in points if math.isfinite(value)]
