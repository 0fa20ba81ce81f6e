"""Merging runners' summaries without their samples: the quantile-grid mixture and log lines."""

from __future__ import annotations

import json
import random

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.results import k6_summary


def k6_values(samples: list[float]) -> dict[str, float]:
    """What k6's summary reports for a trend with the script's summaryTrendStats."""
    ordered = sorted(samples)
    values = {
        "count": len(ordered),
        "avg": sum(ordered) / len(ordered),
        "min": ordered[0],
        "max": ordered[-1],
    }
    for q in k6_summary.QUANTILE_GRID:
        values[f"p({q:g})"] = k6_summary.percentile(ordered, q / 100)
    return values


def runner_samples(seed: int, n: int, scale: float) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(0, 0.6) * scale for _ in range(n)]


def test_one_runner_gives_back_its_own_figures() -> None:
    samples = runner_samples(1, 5000, 100.0)
    merged = k6_summary.merge_quantiles([{"values": k6_values(samples)}])
    exact = k6_summary.trend_of(samples)
    assert merged["count"] == exact["count"] and merged["max"] == exact["max"]
    for key in ("p50", "p95", "p99"):
        assert merged[key] == pytest.approx(exact[key], abs=1e-3)


@pytest.mark.parametrize("scales", [(100.0, 100.0, 100.0), (80.0, 100.0, 130.0)])
def test_mixture_of_runners_is_close_to_the_percentiles_of_all_samples(scales) -> None:
    per_runner = [runner_samples(i, 4000 + 500 * i, s) for i, s in enumerate(scales)]
    merged = k6_summary.merge_quantiles([{"values": k6_values(s)} for s in per_runner])
    exact = k6_summary.trend_of([x for s in per_runner for x in s])
    assert merged["count"] == exact["count"]
    assert merged["avg"] == pytest.approx(exact["avg"], abs=1e-2)
    assert merged["max"] == exact["max"]
    for key in ("p50", "p95", "p99"):
        assert merged[key] == pytest.approx(exact[key], rel=0.01), key


def test_runners_without_samples_are_skipped_and_none_gives_empty_figures() -> None:
    values = k6_values(runner_samples(3, 100, 10.0))
    assert k6_summary.merge_quantiles([None, {"values": {"count": 0}}])["p95"] is None
    assert k6_summary.merge_quantiles([None, {"values": values}])["count"] == 100


def test_ties_at_the_bottom_do_not_bend_the_low_percentiles() -> None:
    samples = [3.0] * 600 + [4.0] * 300 + [9.0] * 100
    merged = k6_summary.merge_quantiles([{"values": k6_values(samples)}] * 2)
    assert merged["p50"] == pytest.approx(3.0)
    assert merged["max"] == 9.0


def test_a_summary_without_the_grid_is_refused_in_one_line() -> None:
    values = {"count": 3, "avg": 1, "min": 1, "max": 2, "p(50)": 1, "p(95)": 2, "p(99)": 2}
    with pytest.raises(UserError, match="quantile grid"):
        k6_summary.merge_quantiles([{"values": values}])


def test_summary_is_found_in_a_runner_log() -> None:
    data = {"metrics": {}, "mlperf": {"targetTps": 5}}
    log = "\n".join(["running…", "text summary", k6_summary.SUMMARY_MARKER + json.dumps(data), ""])
    assert k6_summary.summary_from_log(log) == data
    assert k6_summary.summary_from_log("no summary here\n") is None
    with pytest.raises(UserError, match="not JSON"):
        k6_summary.summary_from_log(k6_summary.SUMMARY_MARKER + "{broken")
