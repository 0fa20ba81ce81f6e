"""The run's verdict: named checks over real k6 summaries, status, headline, listing, publish."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.results import k6_summary, record, verdict
from mojaloop_perf.results.runs import RunFolder, summary_errors
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.scenario.model import Scenario
from tests.conftest import write_scenario

DATA = Path(__file__).parent / "data"
DROPPED = DATA / "dropped-run"
STARTED = datetime(2026, 12, 1, 19, 41, 47, tzinfo=UTC)
FINISHED = datetime(2026, 12, 1, 19, 41, 54, tzinfo=UTC)


def clean_data() -> dict[str, Any]:
    """A real run of 601 transactions that dropped nothing and held its thresholds."""
    return json.loads((DATA / "k6-summary.json").read_text())


def with_dropped(data: dict[str, Any], dropped: int) -> dict[str, Any]:
    """`data` as if k6 had also dropped `dropped` iterations (the metric as k6 writes it)."""
    data["metrics"]["dropped_iterations"] = {
        "type": "counter",
        "contains": "default",
        "values": {"count": dropped, "rate": dropped / 30},
    }
    return data


def scenario(project: Project, **k6_overrides: Any) -> Scenario:
    write_scenario(project, "v", {"k6": k6_overrides} if k6_overrides else {})
    return load_scenario(project, "v")


def summary_of(project: Project, figures: dict[str, Any], **k6_overrides: Any) -> dict[str, Any]:
    built = record.build_summary(
        scenario(project, **k6_overrides),
        "local",
        figures,
        "v1.1.0",
        STARTED,
        FINISHED,
        project.root,
    )
    built["run_id"] = "20261201T194147Z"
    assert summary_errors(built) == []
    return built


def test_a_clean_run_passes_both_checks(checkout: Project) -> None:
    summary = summary_of(checkout, k6_summary.figures(clean_data()))
    assert summary["status"] == "passed"
    assert summary["load"]["thresholds_window"] == "full"
    assert summary["load"]["max_dropped_share"] == 0.001
    assert summary["verdict"] == {
        "passed": True,
        "checks": [
            {"name": "thresholds", "ok": True, "detail": "2 of 2 held (full run)"},
            {
                "name": "dropped_iterations",
                "ok": True,
                "detail": "0 of 601 iterations dropped (0.000 %), limit 0.100 %",
            },
        ],
    }
    assert verdict.failure(summary) is None


def test_drops_beyond_the_limit_fail_the_run_whatever_its_latencies(checkout: Project) -> None:
    summary = summary_of(checkout, k6_summary.figures(with_dropped(clean_data(), 12)))
    assert summary["thresholds"]["passed"] is True
    assert summary["status"] == "failed" and summary["verdict"]["passed"] is False
    assert summary["verdict"]["checks"][1] == {
        "name": "dropped_iterations",
        "ok": False,
        "detail": "12 of 613 iterations dropped (1.958 %), limit 0.100 %",
    }
    assert verdict.failure(summary) == (
        "run failed: dropped_iterations: 12 of 613 iterations dropped (1.958 %), limit 0.100 %"
    )


def test_the_limit_is_configurable_and_inclusive(checkout: Project) -> None:
    figures = k6_summary.figures(with_dropped(clean_data(), 12))
    at_limit = summary_of(checkout, figures, max_dropped_share=12 / 613)
    assert at_limit["status"] == "passed"
    below = summary_of(checkout, figures, max_dropped_share=0.019)
    assert below["status"] == "failed"


def test_every_failed_check_is_named_in_one_line(checkout: Project) -> None:
    datas = [json.loads((DROPPED / f"runners/{i}/k6-summary.json").read_text()) for i in (1, 2)]
    summary = summary_of(checkout, k6_summary.merge(datas, None), thresholds_window="steady")
    assert [c["ok"] for c in summary["verdict"]["checks"]] == [False, False]
    assert verdict.failure(summary) == (
        "run failed: thresholds: crossed e2e_time{steady:true} p(99)<200 (steady window); "
        "dropped_iterations: 263 of 301 iterations dropped (87.375 %), limit 0.100 %"
    )
    # The real run's own summary.json says the same.
    assert read_json(DROPPED / "summary.json")["verdict"] == summary["verdict"]


def test_a_check_can_be_appended_and_decides_the_status(checkout: Project) -> None:
    summary = summary_of(checkout, k6_summary.figures(clean_data()))
    verdict.add_check(summary, verdict.Check("validity_gate", False, "window too short"))
    assert summary["status"] == "failed" and summary["verdict"]["passed"] is False
    assert summary["verdict"]["checks"][-1] == {
        "name": "validity_gate",
        "ok": False,
        "detail": "window too short",
    }
    assert summary_errors(summary) == []
    assert verdict.failure(summary) == "run failed: validity_gate: window too short"
    with pytest.raises(ValueError, match="already there"):
        verdict.add_check(summary, verdict.Check("thresholds", True, "again"))


def test_no_thresholds_is_a_passed_check_that_says_so(checkout: Project) -> None:
    data = clean_data()
    for metric in data["metrics"].values():
        metric.pop("thresholds", None)
    summary = summary_of(checkout, k6_summary.figures(data), thresholds={})
    assert summary["verdict"]["checks"][0] == {
        "name": "thresholds",
        "ok": True,
        "detail": "none configured",
    }


def test_headline_first_line_shows_drops_and_peak_vus(checkout: Project) -> None:
    one = summary_of(checkout, k6_summary.figures(with_dropped(clean_data(), 12)))
    first = record.headline(one).splitlines()[0]
    assert first.startswith("FAILED: 601 completed, 0 failed")
    assert first.endswith(", 12 iterations dropped (1.96 %), peak 0 VUs of 10 allocated")
    lines = record.headline(one).splitlines()
    assert lines[-2:] == [
        "  check thresholds          ok      2 of 2 held (full run)",
        "  check dropped_iterations  FAILED  12 of 613 iterations dropped (1.958 %), limit 0.100 %",
    ]
    datas = [json.loads((DROPPED / f"runners/{i}/k6-summary.json").read_text()) for i in (1, 2)]
    merged = summary_of(checkout, k6_summary.merge(datas, None), thresholds_window="steady")
    assert (
        record.headline(merged)
        .splitlines()[0]
        .endswith(
            ", 263 iterations dropped (87.38 %), peak 2 VUs of 2 allocated (sum of the runners' peaks)"
        )
    )


def test_listing_shows_drops_peaks_and_failed_checks(checkout: Project, tmp_path: Path) -> None:
    run = tmp_path / "20261201T194147Z"
    run.mkdir()
    (run / "summary.json").write_text((DROPPED / "summary.json").read_text())
    assert record.one_line(run) == (
        "20261201T194147Z  failed  38 completed, 100.00% success, 6.2 TPS, e2e p95 307 ms, "
        "263 dropped, peak ≤ 2 VUs (failed: thresholds, dropped_iterations)"
    )
    clean = summary_of(checkout, k6_summary.figures(clean_data()))
    (run / "summary.json").write_text(json.dumps(clean))
    assert record.one_line(run).endswith("e2e p95 4 ms, 0 dropped, peak 0 VUs")
    # a summary of schema version 1 is still listed, without the figures it lacks
    (run / "summary.json").write_text((DATA / "summary.json").read_text())
    assert record.one_line(run).endswith("20.0 TPS, e2e p95 4 ms")
    (run / "summary.json").write_text('{"results": {}}')
    assert record.one_line(run) == "20261201T194147Z  (no readable summary.json)"


def test_publish_keeps_the_failed_run_and_exits_1_naming_the_checks(
    checkout: Project, tmp_path: Path
) -> None:
    summary = summary_of(checkout, k6_summary.figures(with_dropped(clean_data(), 12)))
    folder = RunFolder.start(tmp_path / "runs", STARTED)
    lines: list[str] = []
    with pytest.raises(UserError) as caught:
        record.publish(folder, summary, lines.append, lambda path: path.name)
    assert caught.value.exit_code == 1
    assert str(caught.value) == (
        "run failed: dropped_iterations: 12 of 613 iterations dropped (1.958 %), limit 0.100 %"
    )
    run = tmp_path / "runs" / "20261201T194147Z"
    assert read_json(run / "summary.json")["status"] == "failed"
    text = (run / "summary.txt").read_text()
    assert "12 iterations dropped (1.96 %), peak 0 VUs of 10 allocated" in text.splitlines()[1]
    assert lines[0].startswith("FAILED: ") and lines[-1] == "results: 20261201T194147Z/"
