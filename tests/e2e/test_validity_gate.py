"""The validity gate through the invoke CLI, with the real k6 against the real local lab: the
shipped fault scenario's failures are each counted by k6 and by the lab, and counts that
disagree fail the run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.results.runs import summary_errors
from tests.conftest import REPO, free_port_block

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("stop_labs")]

RESULTS = re.compile(r"^results: (performance-tests/results/\S+/runs/\S+)/$", re.M)
# How each kind of injected fault shows in the lab's ledger (docs/local-lab.md).
FAULT_OUTCOMES = {
    "discovery": {"switch_5xx": "refused 503", "payee_timeout": "timeout", "payee_reject": "3204"},
    "quote": {"switch_5xx": "refused 503", "payee_timeout": "timeout", "payee_reject": "5101"},
    "transfer": {"switch_5xx": "refused 503", "payee_timeout": "timeout", "payee_reject": "5105"},
}


def shipped(checkout: Project, name: str) -> None:
    shutil.copytree(REPO / "performance-tests" / "results" / name, checkout.scenario_dir(name))
    runs = checkout.scenario_dir(name) / "runs"
    if runs.exists():
        shutil.rmtree(runs)


def test_the_fault_scenario_counts_every_injected_fault_on_both_sides(
    checkout: Project, invoke_cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    shipped(checkout, "local")
    shipped(checkout, "local-faults")
    local = checkout.scenario_dir("local-faults") / "overrides" / "local.yaml"
    overrides = yaml.safe_load(local.read_text())
    overrides["base_port"] = free_port_block(9)  # the only change: ports free on this machine
    local.write_text(yaml.safe_dump(overrides))

    result = invoke_cli("provision", "deploy", "seed", "test", "--scenario", "local-faults")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = read_json(checkout.root / RESULTS.search(result.stdout).group(1) / "summary.json")
    assert summary_errors(summary) == []
    gate = summary["validity_gate"]
    assert gate["passed"] is True and summary["status"] == "passed"
    assert gate["completed"]["k6"] == gate["completed"]["lab"] == summary["results"]["completed"]
    for phase, kinds in FAULT_OUTCOMES.items():
        lab = gate["lab"][phase]
        injected = {kind: lab["injected"].get(kind, 0) for kind in kinds}
        # k6's failures, the lab's failed answers and the faults it injected: one number.
        assert gate["failed"][phase]["k6"] == gate["failed"][phase]["lab"] == sum(injected.values())
        assert summary["results"]["failed_by_phase"][phase] == gate["failed"][phase]["k6"]
        for kind, outcome in kinds.items():
            assert lab["outcomes"].get(outcome, 0) == injected[kind], (phase, kind, lab)
    assert all(gate["lab"][p]["injected"].get("switch_5xx") for p in FAULT_OUTCOMES)
    assert gate["lab"]["quote"]["injected"]["slow"] > 0  # late, yet successful
    checks = {c["name"]: c for c in summary["verdict"]["checks"]}
    assert (
        checks["validity_gate"]["ok"]
        and "k6 and the lab agree" in checks["validity_gate"]["detail"]
    )


def test_a_failure_k6_never_saw_fails_the_run(
    checkout: Project,
    small_scenario: Callable[..., str],
    invoke_cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    name = small_scenario("gated", tps=10, transactions=80)
    assert invoke_cli("provision", "deploy", "seed", "--scenario", name).returncode == 0
    base_port = yaml.safe_load(
        (checkout.scenario_dir(name) / "overrides" / "local.yaml").read_text()
    )["base_port"]
    admin = f"http://127.0.0.1:{base_port}"
    payer = f"http://127.0.0.1:{base_port + 1}/sim/fsp201/outbound"

    def discovered() -> int:
        with urllib.request.urlopen(f"{admin}/admin/ledger", timeout=5) as answer:
            return int(json.load(answer)["phases"]["discovery"]["ok"])

    seeded = discovered()  # seed's sample lookups
    test = subprocess.Popen(
        [str(Path(sys.executable).parent / "invoke"), "test", "--scenario", name],
        cwd=checkout.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Once k6 is under way, one more lookup reaches the lab: a failure the lab counts and k6,
    # which did not send it, does not.
    deadline = time.monotonic() + 60
    while discovered() == seeded and time.monotonic() < deadline:
        time.sleep(0.2)
    request = urllib.request.Request(f"{payer}/parties/MSISDN/19999999999")
    with pytest.raises(urllib.error.HTTPError) as not_found:
        urllib.request.urlopen(request, timeout=5)
    assert not_found.value.code == 404
    stdout, stderr = test.communicate(timeout=120)

    assert test.returncode == 1, stdout + stderr
    assert stderr.strip().splitlines()[-1] == (
        "test: run failed: validity_gate: k6 and the lab disagree: discovery failures: k6 0, lab 1"
    )
    summary = read_json(checkout.root / RESULTS.search(stdout).group(1) / "summary.json")
    assert summary_errors(summary) == []
    assert summary["status"] == "failed"
    assert summary["validity_gate"]["failed"]["discovery"] == {"k6": 0, "lab": 1}
    assert summary["validity_gate"]["lab"]["discovery"]["outcomes"]["3204"] == 1
    assert summary["results"]["failed"] == 0  # k6's own figures were clean
