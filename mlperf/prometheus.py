"""Steady-state figures from Prometheus: k6's native histograms of one test, by its testid.

The k6 runners remote-write their trends as native histograms (`k6_<trend>_seconds`), tagged
`testid` (one per run) and `steady` (whether the transaction started in the steady window). The
published phase-2 method takes the steady-state percentiles from there; `steady_figures` asks
Prometheus for p50/p95/p99 of each phase over the run, steady transactions only.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from mlperf.k6 import PHASES
from mlperf.runner import HttpCall, Runner

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def query_text(phase: str, quantile: float, testid: str, window_s: int) -> str:
    selector = f'k6_{phase}_time_seconds{{testid="{testid}",steady="true"}}'
    return f"histogram_quantile({quantile}, sum(increase({selector}[{window_s}s])))"


def query_call(base_url: str, query: str, at: float) -> HttpCall:
    params = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"})
    return HttpCall("GET", f"{base_url}/api/v1/query?{params}", timeout_s=30)


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


def _scalar(body: Any) -> float | None:
    try:
        result = body["data"]["result"]
        value = float(result[0]["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None if value != value else value  # NaN: no samples
