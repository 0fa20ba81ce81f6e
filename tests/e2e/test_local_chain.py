"""The whole local chain through the invoke CLI, as a user runs it: twice, then destroy."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.results.runs import list_runs, summary_errors

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("stop_labs")]

CHAIN = ("provision", "--scenario", "e2e", "deploy", "seed", "test")
RESULTS = re.compile(r"^results: (performance-tests/results/e2e/runs/\S+)/$", re.M)


def lab_pids(config: Path) -> list[int]:
    """PIDs of lab processes serving `config`, from /proc."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"mojaloop_perf.lab" in argv and str(config).encode() in argv:
            pids.append(int(cmdline.parent.name))
    return pids


def test_chain_twice_then_destroy(
    checkout: Project, small_scenario: Callable[..., str], invoke_cli: Callable[..., object]
) -> None:
    small_scenario("e2e", tps=5, transactions=100)  # 20 s of load

    first = invoke_cli(*CHAIN)
    assert first.returncode == 0, first.stdout + first.stderr
    first_run = checkout.root / RESULTS.search(first.stdout).group(1)
    summary = read_json(first_run / "summary.json")
    assert summary_errors(summary) == []
    assert summary["results"]["completed"] > 0
    for phase in ("discovery", "quote", "transfer", "e2e"):
        trend = summary["latency_ms"][phase]
        assert trend["p50"] is not None and trend["p50"] <= trend["p95"] <= trend["p99"]
    assert (first_run / "report.html").stat().st_size > 0
    assert (first_run / "k6-dashboard.html").stat().st_size > 0
    assert (first_run / "raw" / "transactions.parquet").is_file()
    before = {p.relative_to(first_run): p.read_bytes() for p in first_run.rglob("*") if p.is_file()}

    second = invoke_cli(*CHAIN)
    assert second.returncode == 0, second.stdout + second.stderr
    out = second.stdout
    assert "provision: up to date" in out
    assert "deploy: lab already running" in out
    assert "(0 new)" in out
    second_run = checkout.root / RESULTS.search(out).group(1)
    assert second_run != first_run
    assert {
        p.relative_to(first_run): p.read_bytes() for p in first_run.rglob("*") if p.is_file()
    } == before
    assert list_runs(checkout.runs_dir("e2e")) == [first_run, second_run]

    config = checkout.state_dir("e2e", "local") / "lab.json"
    assert len(lab_pids(config)) == 1
    destroyed = invoke_cli("destroy", "--scenario", "e2e")
    assert destroyed.returncode == 0, destroyed.stderr
    assert lab_pids(config) == []
    assert list_runs(checkout.runs_dir("e2e")) == [first_run, second_run]
    status = invoke_cli("status", "--scenario", "e2e")
    assert "deployed:    no" in status.stdout and "runs:        2" in status.stdout
