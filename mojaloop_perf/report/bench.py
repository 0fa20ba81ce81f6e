"""Benchmark of the analysis: `python -m mojaloop_perf.report.bench [--transactions N] [--tps R]`.

Generates a synthetic run in the raw format (default 1,000,000 transactions at 1000 TPS over
8 FSP pairs, 0.1 % failures with error codes) in a temporary folder, derives its
raw/seconds.parquet, writes its report, and prints each step's wall time and the process's peak
resident memory (ru_maxrss: pyarrow's and numpy's buffers included, which tracemalloc misses).
Goal: under 30 s and 1 GiB for the default size.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from mojaloop_perf.results import raw

GOAL_S, GOAL_BYTES = 30.0, 1 << 30


def run(count: int, tps: float, folder: Path) -> dict[str, float]:
    """Generate, derive and report one synthetic run under `folder`; the figures measured."""
    from mojaloop_perf.report import synthetic
    from mojaloop_perf.report.write import write_report

    run_dir = folder / "20270115T080000Z"
    steps: dict[str, float] = {}
    began = time.perf_counter()
    table = synthetic.transactions_table(count, tps, warmup_s=30, drain_s=30)
    meta = synthetic.meta_for(count, tps, 30, 30)
    raw.write_table(table, run_dir / raw.TRANSACTIONS_FILE)
    (run_dir / raw.META_FILE).write_text(json.dumps(meta) + "\n")
    steps["generate_s"] = time.perf_counter() - began
    began = time.perf_counter()
    seconds = synthetic.seconds_table(table, meta)
    raw.write_table(seconds, run_dir / raw.SECONDS_FILE)
    steps["seconds_s"] = time.perf_counter() - began
    summary = synthetic.summary_for(table, meta, run_dir.name)
    (run_dir / "summary.json").write_text(json.dumps(summary) + "\n")
    del table, seconds
    began = time.perf_counter()
    write_report(run_dir, echo=lambda line: None)
    steps["report_s"] = time.perf_counter() - began
    steps["analysis_s"] = steps["seconds_s"] + steps["report_s"]
    steps["report_bytes"] = (run_dir / "report.html").stat().st_size
    steps["peak_rss_bytes"] = peak_rss_bytes()
    return steps


def peak_rss_bytes() -> int:
    """The process's peak resident set (Linux reports ru_maxrss in KiB, macOS in bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mojaloop_perf.report.bench", description=__doc__
    )
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--tps", type=float, default=1000.0)
    args = parser.parse_args(argv)
    if args.transactions < 1 or args.tps <= 0:
        parser.error("--transactions and --tps must be positive")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlperf-report-bench-") as folder:
        steps = run(args.transactions, args.tps, Path(folder))
    total = time.perf_counter() - began
    peak = steps["peak_rss_bytes"]
    print(
        f"{args.transactions:,} transactions at {args.tps:g} TPS: "
        f"generate {steps['generate_s']:.1f} s, seconds {steps['seconds_s']:.1f} s, "
        f"report {steps['report_s']:.1f} s (report.html {steps['report_bytes'] / 1e6:.1f} MB); "
        f"analysis {steps['analysis_s']:.1f} s, total {total:.1f} s, "
        f"peak RSS {peak / (1 << 20):.0f} MiB"
    )
    ok = total < GOAL_S and peak < GOAL_BYTES  # total: generation included, the stricter
    print(f"goal < {GOAL_S:g} s and < 1 GiB: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
