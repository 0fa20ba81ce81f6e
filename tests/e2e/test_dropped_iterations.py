"""A run whose k6 cannot hold the rate fails, whatever its latencies: through the invoke CLI,
with the real k6 against the real local lab."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.results.runs import list_runs, summary_errors

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("stop_labs")]

RESULTS = re.compile(r"^results: (performance-tests/results/starved/runs/\S+)/$", re.M)
HEADLINE = re.compile(
    r"^FAILED: (\d+) completed, 0 failed .*, (\d+) iterations dropped \((\d+\.\d\d) %\), "
    r"peak 1 VUs of 1 allocated$",
    re.M,
)


def test_a_starved_load_generator_fails_the_run_and_keeps_it(
    checkout: Project, small_scenario: Callable[..., str], invoke_cli: Callable[..., object]
) -> None:
    # 50 TPS for 4 s with one VU, while the lab takes 100 ms a phase: one VU finishes about 3
    # transactions a second and k6 drops the rest. Little's law is met on paper (expected
    # latency 10 ms), so the scenario validates.
    name = small_scenario(
        "starved",
        tps=50,
        transactions=200,
        pre_allocated_vus=1,
        max_vus=1,
        expected_e2e_latency_ms=10,
        vu_headroom=1,
    )
    local = checkout.scenario_dir(name) / "overrides" / "local.yaml"
    overrides = yaml.safe_load(local.read_text())
    overrides["latency_ms"] = {"discovery": 100, "quote": 100, "transfer": 100}
    local.write_text(yaml.safe_dump(overrides))

    result = invoke_cli("provision", "--scenario", name, "deploy", "seed", "test")
    assert result.returncode == 1, result.stdout + result.stderr
    headline = HEADLINE.search(result.stdout)
    assert headline, result.stdout
    completed, dropped = int(headline.group(1)), int(headline.group(2))
    assert completed > 0 and dropped > 150
    # the one error line names the failed check, with the same count
    error = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        rf"test: run failed: dropped_iterations: {dropped} of \d+ iterations dropped "
        r"\(\d+\.\d{3} %\), limit 0\.100 %",
        error,
    ), error

    run = checkout.root / RESULTS.search(result.stdout).group(1)
    assert list_runs(checkout.runs_dir(name)) == [run]
    summary = read_json(run / "summary.json")
    assert summary_errors(summary) == []
    assert summary["status"] == "failed"
    results = summary["results"]
    assert (results["completed"], results["dropped_iterations"]) == (completed, dropped)
    assert results["dropped_share"] == pytest.approx(dropped / (results["iterations"] + dropped))
    assert (results["peak_active_vus"], results["peak_allocated_vus"]) == (1, 1)
    checks = {c["name"]: c for c in summary["verdict"]["checks"]}
    assert checks["thresholds"]["ok"] is True  # its latencies and success rate were fine
    assert checks["dropped_iterations"]["ok"] is False
    assert {"k6-summary.json", "summary.txt", "config.json", "k6.log"} <= {
        p.name for p in Path(run).iterdir()
    }
    status = invoke_cli("status", "--scenario", name)
    assert f"{run.name}  failed" in status.stdout
    assert f"{dropped} dropped, peak 1 VUs (failed: dropped_iterations)" in status.stdout
