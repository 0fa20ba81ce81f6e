"""Run folders and summaries: atomic publishing, no overwrites, schema, figures from k6 output."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlperf import k6
from mlperf.results.runs import RunFolder, list_runs, summary_errors

MOMENT = datetime(2026, 11, 25, 17, 3, 9, tzinfo=UTC)
DATA = Path(__file__).parent / "data"


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
    figures = k6.figures(data)
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
    verdict = k6.figures(data)["thresholds"]
    assert verdict["passed"] is False
    assert {"metric": "e2e_time", "expression": "p(95)<0.001", "ok": False} in verdict["checks"]


def test_missing_metrics_count_as_zero() -> None:
    figures = k6.figures({"metrics": {}, "state": {"testRunDurationMs": 1000}})
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
    good = json.loads((DATA / "summary.json").read_text())
    assert summary_errors(good) == []
    bad = json.loads(json.dumps(good))
    bad["results"]["success_rate"] = 1.5
    assert any("success_rate" in e for e in summary_errors(bad))
    bad = json.loads(json.dumps(good))
    bad["extra"] = 1
    assert summary_errors(bad) != []


@pytest.mark.parametrize(("seconds", "period"), [(5, 1), (30, 5), (60, 10), (3600, 10)])
def test_dashboard_period_leaves_room_for_graphs(seconds: float, period: int) -> None:
    assert k6.dashboard_period_s(seconds) == period
