"""The real k6 accepts every shipped scenario's rendered config (options, thresholds, VUs)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from mojaloop_perf import k6, render_aws
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from tests.conftest import REPO, committed_scenarios

PROJECT = Project(REPO)


@pytest.mark.parametrize("name", committed_scenarios())
def test_k6_inspect_accepts_the_rendered_scenario(name: str) -> None:
    scenario = load_scenario(PROJECT, name)
    env = {**os.environ, **render_aws.k6_env(scenario)}
    result = subprocess.run(
        [
            str(k6.find_k6()),
            "inspect",
            "--execution-requirements",
            "--include-system-env-vars",
            str(PROJECT.k6_script),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    requirements = json.loads(result.stdout)
    transfers = requirements["scenarios"]["transfers"]
    load = scenario.load
    assert (transfers["rate"], transfers["preAllocatedVUs"], transfers["maxVUs"]) == (
        load.tps,
        load.pre_allocated_vus,
        load.max_vus,
    )
    assert transfers["duration"] == go_duration(load.duration_s)
    assert requirements["totalDuration"] == go_duration(load.duration_s + 30)  # + gracefulStop
    # Each configured threshold reaches k6 on the metric of its window: `e2e_time` with
    # thresholds_window full, `e2e_time{steady:true}` with steady.
    suffix = "{steady:true}" if load.thresholds_window == "steady" else ""
    for metric, expressions in load.thresholds.items():
        assert requirements["thresholds"][f"{metric}{suffix}"] == list(expressions)


def go_duration(seconds: float) -> str:
    """A duration as Go (and so k6) prints it: 8m20s, 1h0m0s, 30s."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours:g}h{minutes:g}m{secs:g}s"
    return f"{minutes:g}m{secs:g}s" if minutes else f"{secs:g}s"
