"""Two local runs of one scenario, the second with the lab 20 ms slower per phase: `invoke
compare` flags the regression and exits 1; the other way round it passes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from mojaloop_perf.project import Project
from mojaloop_perf.results.runs import list_runs

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("stop_labs")]

CHAIN = ("provision", "--scenario", "cmp", "deploy", "seed", "test")


def test_a_slower_lab_is_a_significant_regression(
    checkout: Project, small_scenario: Callable[..., str], invoke_cli: Callable[..., object]
) -> None:
    small_scenario("cmp", tps=20, transactions=300, warmup_s=2, drain_s=2)  # 15 s of load
    first = invoke_cli(*CHAIN)
    assert first.returncode == 0, first.stdout + first.stderr
    overrides = checkout.scenario_dir("cmp") / "overrides" / "local.yaml"
    local = yaml.safe_load(overrides.read_text())
    local["latency_ms"] = {"discovery": 20, "quote": 20, "transfer": 20}
    overrides.write_text(yaml.safe_dump(local))
    second = invoke_cli(*CHAIN)
    assert second.returncode == 0, second.stdout + second.stderr
    a, b = (run.name for run in list_runs(checkout.runs_dir("cmp")))
    for run in (a, b):
        assert (checkout.runs_dir("cmp") / run / "report.html").is_file()

    slower = invoke_cli("compare", "--scenario", "cmp", "--run-a", a, "--run-b", b)
    assert slower.returncode == 1, slower.stdout + slower.stderr
    assert "compare: regression:" in slower.stderr
    assert "p95" in slower.stderr
    faster = invoke_cli("compare", "--scenario", "cmp", "--run-a", b, "--run-b", a)
    assert faster.returncode == 0, faster.stdout + faster.stderr
    invoke_cli("destroy", "--scenario", "cmp")
