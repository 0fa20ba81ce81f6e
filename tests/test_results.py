"""Run folders and summaries: atomic publishing, no overwrites, schema, figures from k6 output."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mojaloop_perf import k6
from mojaloop_perf.results import k6_summary
from mojaloop_perf.results.runs import RunFolder, list_runs, summary_errors

MOMENT = datetime(2026, 11, 25, 17, 3, 9, tzinfo=UTC)
DATA = Path(__file__).parent / "data"
DROPPED = DATA / "dropped-run"  # a real 2-runner run that dropped most iterations


def runner_data(index: int) -> dict:
    return json.loads((DROPPED / "runners" / str(index) / "k6-summary.json").read_text())


def test_run_folder_appears_only_when_published(tmp_path: Path) -> None:
    folder = RunFolder.start(tmp_path, MOMENT)
    (folder.work / "a.txt").write_text("x")
    assert list_runs(tmp_path) == []
    final = folder.publish()
    assert final == tmp_path / "20261125T170309Z"
    assert (final / "a.txt").read_text() == "x"
    assert list_runs(tmp_path) == [final]
    assert not folder.work.exists()


def test_runs_in_the_same_second_never_overwrite(tmp_path: Path) -> None:
    names = []
    for content in ("first", "second", "third"):
        folder = RunFolder.start(tmp_path, MOMENT)
        (folder.work / "who").write_text(content)
        seen: list[str] = []
        final = folder.publish(seen.append)
        assert seen == [final.name]  # finalize sees the name the folder is published under
        names.append(final.name)
    assert names == ["20261125T170309Z", "20261125T170309Z-2", "20261125T170309Z-3"]
    assert [(tmp_path / n / "who").read_text() for n in names] == ["first", "second", "third"]


def test_a_failed_finalize_leaves_no_run(tmp_path: Path) -> None:
    folder = RunFolder.start(tmp_path, MOMENT)

    def boom(run_id: str) -> None:
        raise ValueError("bad summary")

    with pytest.raises(ValueError):
        folder.publish(boom)
    folder.discard()
    assert list(tmp_path.iterdir()) == []


def test_discard_removes_the_work_folder(tmp_path: Path) -> None:
    folder = RunFolder.start(tmp_path, MOMENT)
    (folder.work / "k6.log").write_text("partial")
    folder.discard()
    assert list(tmp_path.iterdir()) == []


def test_figures_from_a_captured_k6_summary() -> None:
    data = json.loads((DATA / "k6-summary.json").read_text())
    figures = k6_summary.figures(data)
    metrics = data["metrics"]
    completed = metrics["completed_transactions"]["values"]["count"]
    assert figures["completed"] == completed > 0
    assert figures["failed"] == sum(figures["failed_by_phase"].values())
    assert figures["success_rate"] == completed / (completed + figures["failed"])
    duration = data["state"]["testRunDurationMs"] / 1000
    assert figures["achieved_tps"] == pytest.approx(completed / duration)
    for phase in ("discovery", "quote", "transfer", "e2e"):
        trend = figures["latency_ms"][phase]
        assert trend["count"] == completed
        assert 0 < trend["p50"] <= trend["p95"] <= trend["p99"] <= trend["max"]
    checks = figures["thresholds"]["checks"]
    assert {"metric": "success_rate", "expression": "rate>0.99", "ok": True} in checks
    assert figures["thresholds"]["passed"] is True


def test_a_crossed_threshold_fails_the_verdict() -> None:
    data = json.loads((DATA / "k6-summary.json").read_text())
    data["metrics"]["e2e_time"]["thresholds"] = {"p(95)<0.001": {"ok": False}}
    verdict = k6_summary.figures(data)["thresholds"]
    assert verdict["passed"] is False
    assert {"metric": "e2e_time", "expression": "p(95)<0.001", "ok": False} in verdict["checks"]


def test_missing_metrics_count_as_zero() -> None:
    figures = k6_summary.figures({"metrics": {}, "state": {"testRunDurationMs": 1000}})
    assert figures["completed"] == 0 and figures["success_rate"] == 0.0
    assert figures["latency_ms"]["e2e"] == {
        "count": 0,
        "avg": None,
        "p50": None,
        "p95": None,
        "p99": None,
        "max": None,
    }


def test_summary_schema_rejects_what_it_should() -> None:
    assert summary_errors({}) != []
    good = json.loads((DROPPED / "summary.json").read_text())
    assert summary_errors(good) == []
    version_1 = json.loads((DATA / "summary.json").read_text())  # no verdict, no k6 figures
    assert any("verdict" in e for e in summary_errors(version_1))
    bad = json.loads(json.dumps(good))
    bad["results"]["success_rate"] = 1.5
    assert any("success_rate" in e for e in summary_errors(bad))
    bad = json.loads(json.dumps(good))
    bad["extra"] = 1
    assert summary_errors(bad) != []
    bad = json.loads(json.dumps(good))
    bad["results"]["dropped_share"] = 2
    assert any("dropped_share" in e for e in summary_errors(bad))
    bad = json.loads(json.dumps(good))
    del bad["results"]["peak_vus_is_sum_of_runners"]
    assert any("peak_vus_is_sum_of_runners" in e for e in summary_errors(bad))
    bad = json.loads(json.dumps(good))
    bad["verdict"]["checks"][0]["extra"] = 1
    assert any("verdict.checks.0" in e for e in summary_errors(bad))
    bad = json.loads(json.dumps(good))
    bad["load"]["thresholds_window"] = "warm-up"
    assert any("thresholds_window" in e for e in summary_errors(bad))
    # status follows the verdict: a failed verdict cannot be recorded as passed
    bad = json.loads(json.dumps(good))
    bad["status"] = "passed"
    assert summary_errors(bad) != []


@pytest.mark.parametrize(("seconds", "period"), [(5, 1), (30, 5), (60, 10), (3600, 10)])
def test_dashboard_period_leaves_room_for_graphs(seconds: float, period: int) -> None:
    assert k6.dashboard_period_s(seconds) == period


def test_steady_window_figures_from_the_captured_summary() -> None:
    data = json.loads((DATA / "k6-summary.json").read_text())
    steady = k6_summary.figures(data)["steady"]
    window = data["mlperf"]
    assert (steady["warmup_s"], steady["drain_s"], steady["window_s"]) == (
        window["warmupS"],
        window["drainS"],
        window["steadyS"],
    )
    assert 0 < steady["completed"] < k6_summary.figures(data)["completed"]
    assert steady["achieved_tps"] == pytest.approx(steady["completed"] / window["steadyS"])
    e2e = steady["latency_ms"]["e2e"]
    assert e2e["count"] == steady["completed"] and e2e["p50"] <= e2e["p95"] <= e2e["p99"]


def test_forced_thresholds_are_not_reported_as_checks() -> None:
    data = json.loads((DATA / "k6-summary.json").read_text())
    checks = {
        f"{c['metric']} {c['expression']}" for c in k6_summary.figures(data)["thresholds"]["checks"]
    }
    assert checks == {"success_rate rate>0.99", "e2e_time p(95)<2000"}
    assert "e2e_time{steady:true} max>=0" in data["mlperf"]["forcedThresholds"]


def test_segments_split_the_rate_into_equal_shares() -> None:
    assert k6.segments(1) == ("0,1", ["0:1"])
    assert k6.segments(3) == ("0,1/3,2/3,1", ["0:1/3", "1/3:2/3", "2/3:1"])


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([1, 2, 3, 4], 0.5, 2.5),
        ([10], 0.99, 10),
        ([1, 2, 3, 4, 5], 0.95, 4.8),
        ([0, 100], 0.99, 99),
    ],
)
def test_percentiles_interpolate_as_k6_does(
    values: list[float], fraction: float, expected: float
) -> None:
    assert k6_summary.percentile(sorted(values), fraction) == pytest.approx(expected)


def test_merge_adds_counts_and_holds_a_threshold_only_if_every_runner_did() -> None:
    data = json.loads((DATA / "k6-summary.json").read_text())
    crossed = json.loads(json.dumps(data))
    crossed["metrics"]["success_rate"]["thresholds"]["rate>0.99"]["ok"] = False
    single = k6_summary.figures(data)
    samples = {"e2e_time": [1.0, 2.0, 3.0], "e2e_time{steady:true}": [2.0]}
    merged = k6_summary.merge([data, crossed], samples)
    assert merged["completed"] == 2 * single["completed"]
    assert merged["failed_by_phase"] == {p: 2 * n for p, n in single["failed_by_phase"].items()}
    assert merged["steady"]["completed"] == 2 * single["steady"]["completed"]
    assert merged["latency_ms"]["e2e"] == {
        "count": 3,
        "avg": 2.0,
        "p50": 2.0,
        "p95": 2.9,
        "p99": 2.98,
        "max": 3.0,
    }
    assert merged["latency_ms"]["quote"]["count"] == 0
    assert merged["thresholds"]["passed"] is False
    assert {"metric": "success_rate", "expression": "rate>0.99", "ok": False} in merged[
        "thresholds"
    ]["checks"]


def test_a_run_without_drops_reports_zero_dropped_and_the_sampled_peaks() -> None:
    data = json.loads((DATA / "k6-summary.json").read_text())
    assert "dropped_iterations" not in data["metrics"]  # k6 leaves it out when none was dropped
    figures = k6_summary.figures(data)
    assert figures["iterations"] == data["metrics"]["iterations"]["values"]["count"] == 601
    assert (figures["dropped_iterations"], figures["dropped_share"]) == (0, 0.0)
    # k6 samples `vus` once a second: at 20 TPS of 3 ms transactions, no sample saw a busy VU.
    assert figures["peak_active_vus"] == data["metrics"]["vus"]["values"]["max"] == 0
    assert figures["peak_allocated_vus"] == data["metrics"]["vus_max"]["values"]["max"] == 10
    assert figures["peak_vus_is_sum_of_runners"] is False


def test_dropped_iterations_and_peaks_of_one_runner() -> None:
    data = runner_data(1)
    figures = k6_summary.figures(data)
    metrics = data["metrics"]
    ran, dropped = (metrics[n]["values"]["count"] for n in ("iterations", "dropped_iterations"))
    assert (figures["iterations"], figures["dropped_iterations"]) == (ran, dropped) == (19, 132)
    assert figures["dropped_share"] == pytest.approx(132 / 151)
    assert (figures["peak_active_vus"], figures["peak_allocated_vus"]) == (1, 1)
    assert figures["peak_vus_is_sum_of_runners"] is False


@pytest.mark.parametrize("with_samples", [True, False])
def test_merged_runners_add_dropped_iterations_and_sum_their_peaks(with_samples: bool) -> None:
    datas = [runner_data(1), runner_data(2)]
    samples = {"e2e_time": [300.0]} if with_samples else None
    merged = k6_summary.merge(datas, samples)
    assert (merged["iterations"], merged["dropped_iterations"]) == (19 + 19, 132 + 131)
    assert merged["dropped_share"] == pytest.approx(263 / 301)
    assert (merged["peak_active_vus"], merged["peak_allocated_vus"]) == (2, 2)
    assert merged["peak_vus_is_sum_of_runners"] is True
    # the workspace's summary.json of that run holds the same figures
    recorded = json.loads((DROPPED / "summary.json").read_text())["results"]
    assert {key: merged[key] for key in recorded} == recorded


def test_steady_window_thresholds_are_reported_not_hidden() -> None:
    """With thresholds_window steady, the configured thresholds name `{steady:true}` sub-metrics
    that the script also forces with always-true thresholds; the configured ones stay visible."""
    data = runner_data(1)
    checks = k6_summary.figures(data)["thresholds"]["checks"]
    assert checks == [
        {"metric": "e2e_time{steady:true}", "expression": "p(95)<2000", "ok": True},
        {"metric": "e2e_time{steady:true}", "expression": "p(99)<200", "ok": False},
        {"metric": "success_rate{steady:true}", "expression": "rate>0.99", "ok": True},
    ]
    assert "e2e_time{steady:true} max>=0" not in data["mlperf"]["forcedThresholds"]
    assert "quote_time{steady:true} max>=0" in data["mlperf"]["forcedThresholds"]
