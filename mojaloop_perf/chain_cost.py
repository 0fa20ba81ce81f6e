"""What one run of the local chain costs: achieved TPS, e2e p95, and CPU per transaction.

The benchmarks (`mojaloop_perf.bench`, `mojaloop_perf.posture_bench`) run the scenario's chain
for real: provision, deploy, seed, test, destroy. k6's CPU is the kernel's account of
waited-for children around the test stage (which also waits for `k6 version` and `git`,
milliseconds); the lab's is read from /proc for the lab process and every process under it
(the DFSP processes of the networked lab), which run detached and are not waited for.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.runner import Runner
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.targets import local, local_test_stage
from mojaloop_perf.targets.base import StageContext

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Figures:
    label: str
    achieved_tps: float
    e2e_p95_ms: float
    lab_cpu_ms: float  # per transaction
    k6_cpu_ms: float  # per transaction
    failed: int
    run: Path
    transactions: int  # completed + failed


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the state (field 3) on


def tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) of `root` and every live descendant, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        fields = _stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * _TICK_S


def measure(project: Project, scenario: Scenario, label: str) -> Figures:
    """Run the local chain for `scenario` and read its figures; the lab is stopped after."""
    quiet: list[str] = []
    context = StageContext(project, scenario, "local", Runner(echo=quiet.append), quiet.append)
    local.provision(context)
    local.deploy(context)
    try:
        local.seed_lab(context)
        deployed = context.state.get("deployed")
        assert deployed is not None
        lab_pid = int(deployed["pid"])
        lab_before, k6_before = tree_cpu_s(lab_pid), _children_cpu_s()
        run = local_test_stage.test(context)
        lab_cpu, k6_cpu = tree_cpu_s(lab_pid) - lab_before, _children_cpu_s() - k6_before
    finally:
        local.destroy(context)
    assert run is not None
    summary = read_json(run / "summary.json")
    results = summary["results"]
    done = max(1, results["completed"] + results["failed"])
    return Figures(
        label=label,
        achieved_tps=results["achieved_tps"],
        e2e_p95_ms=summary["latency_ms"]["e2e"]["p95"],
        lab_cpu_ms=1000 * lab_cpu / done,
        k6_cpu_ms=1000 * k6_cpu / done,
        failed=results["failed"],
        transactions=results["completed"] + results["failed"],
        run=run,
    )
