"""Benchmarks that print figures (`nox -s bench-k6`): here, k6's CPU cost per transaction.

The local chain runs the `bench-k6` scenario for real: the lab with a fixed latency per phase,
then the project's k6 script at a fixed rate; `mojaloop_perf.chain_cost` reads what it cost.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mojaloop_perf.chain_cost import measure
from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario

SCENARIO = "bench-k6"


def bench_k6(project: Project) -> str:
    """Run the benchmark and return its one-line figure."""
    scenario = load_scenario(project, SCENARIO)
    run = measure(project, scenario, SCENARIO)
    cpu_s = run.k6_cpu_ms * run.transactions / 1000
    latency = scenario.local.latency_ms
    return (
        f"bench-k6: {run.k6_cpu_ms:.2f} k6 CPU-seconds per 1000 transactions "
        f"({cpu_s:.2f} s for {run.transactions} transactions at {run.achieved_tps:.1f} TPS "
        f"of {scenario.load.tps}; lab latency {latency['discovery']:g}/{latency['quote']:g}/"
        f"{latency['transfer']:g} ms per phase; e2e p95 {run.e2e_p95_ms} ms; "
        f"run {project.relative(run.run)})"
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
