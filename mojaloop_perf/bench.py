"""Benchmarks that print figures (`nox -s bench-k6`): here, k6's CPU cost per transaction.

The local chain runs the `bench-k6` scenario for real: the lab with a fixed latency per phase,
then the project's k6 script at a fixed rate. k6's CPU time is read from the kernel's account of
waited-for child processes around the test stage (which also waits for `k6 version` and `git`,
milliseconds); the lab is a detached process not waited for there, so its CPU is not counted.
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.runner import Runner
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.targets import local, local_test_stage
from mojaloop_perf.targets.base import StageContext

SCENARIO = "bench-k6"


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_k6(project: Project) -> str:
    """Run the benchmark and return its one-line figure."""
    scenario = load_scenario(project, SCENARIO)
    quiet: list[str] = []
    context = StageContext(project, scenario, "local", Runner(echo=quiet.append), quiet.append)
    local.provision(context)
    local.deploy(context)
    try:
        local.seed_lab(context)
        before = _children_cpu_s()
        run = local_test_stage.test(context)
        cpu_s = _children_cpu_s() - before
    finally:
        local.destroy(context)
    assert run is not None
    summary = read_json(run / "summary.json")
    done = summary["results"]["completed"] + summary["results"]["failed"]
    latency = scenario.local.latency_ms
    return (
        f"bench-k6: {1000 * cpu_s / done:.2f} k6 CPU-seconds per 1000 transactions "
        f"({cpu_s:.2f} s for {done} transactions at {summary['results']['achieved_tps']:.1f} TPS "
        f"of {scenario.load.tps}; lab latency {latency['discovery']:g}/{latency['quote']:g}/"
        f"{latency['transfer']:g} ms per phase; e2e p95 {summary['latency_ms']['e2e']['p95']} ms; "
        f"run {project.relative(run)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the workspace checkout")
    args = parser.parse_args(argv)
    try:
        print(bench_k6(Project(args.root.resolve())), flush=True)
    except UserError as error:
        print(f"bench-k6: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
