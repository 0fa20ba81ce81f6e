"""What a run folder holds besides k6's own files: config.json and summary.json, with provenance."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from mlperf import __version__, k6
from mlperf.fsutil import read_json, write_json_atomic
from mlperf.results.runs import write_summary
from mlperf.runner import Command
from mlperf.scenario.model import Scenario


def write_config(
    folder: Path, scenario: Scenario, target: str, k6_config: dict[str, Any], command: Command
) -> None:
    """The exact configuration of the run: merged scenario, k6 config and the k6 command."""
    write_json_atomic(
        folder / "config.json",
        {
            "scenario": scenario.name,
            "scenario_digest": scenario.digest,
            "target": target,
            "scenario_config": scenario.config,
            "k6_config": k6_config,
            "k6_command": list(command.argv),
            "k6_env": {key: value for key, value in command.env.items() if key != "MLPERF_CONFIG"},
        },
    )


def build_summary(
    scenario: Scenario,
    target: str,
    k6_data: dict[str, Any],
    k6_version: str,
    started: datetime,
    finished: datetime,
    repo_root: Path,
) -> dict[str, Any]:
    figures = k6.figures(k6_data)
    commit, dirty = _git_state(repo_root)
    return {
        "schema_version": 1,
        "run_id": "",  # set by finalize once the folder name is claimed
        "scenario": scenario.name,
        "target": target,
        "status": "passed" if figures["thresholds"]["passed"] else "failed",
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "provenance": {
            "scenario_digest": scenario.digest,
            "k6_version": k6_version,
            "mlperf_version": __version__,
            "git_commit": commit,
            "git_dirty": dirty,
        },
        "load": {
            "target_tps": scenario.load.tps,
            "transactions_planned": scenario.load.transactions,
            "duration_s": scenario.load.duration_s,
        },
        "results": {
            key: figures[key]
            for key in (
                "completed",
                "failed",
                "failed_by_phase",
                "success_rate",
                "achieved_tps",
                "test_run_duration_s",
            )
        },
        "latency_ms": figures["latency_ms"],
        "thresholds": figures["thresholds"],
    }


def finalize(folder: Path, summary: dict[str, Any], run_id: str) -> None:
    summary["run_id"] = run_id
    write_summary(folder, summary)


def headline(summary: dict[str, Any]) -> str:
    results, e2e = summary["results"], summary["latency_ms"]["e2e"]
    failed = results["failed_by_phase"]
    lines = [
        f"{summary['status'].upper()}: {results['completed']} completed, {results['failed']} failed "
        f"(discovery {failed['discovery']}, quote {failed['quote']}, transfer {failed['transfer']}), "
        f"success {results['success_rate']:.3%}, {results['achieved_tps']:.1f} TPS achieved "
        f"of {summary['load']['target_tps']:g}",
    ]
    for phase in ("discovery", "quote", "transfer", "e2e"):
        trend = summary["latency_ms"][phase]
        if trend["count"]:
            lines.append(
                f"  {phase:<9} p50 {trend['p50']:8.1f} ms   p95 {trend['p95']:8.1f} ms   "
                f"p99 {trend['p99']:8.1f} ms"
            )
    if not e2e["count"]:
        lines.append("  no transaction completed")
    return "\n".join(lines)


def one_line(run_dir: Path) -> str:
    """`<run id>  passed  1000 completed …` for a published run, for listings."""
    path = run_dir / "summary.json"
    try:
        summary = read_json(path)
        results = summary["results"]
        p95 = summary["latency_ms"]["e2e"]["p95"]
    except (OSError, KeyError, TypeError, json.JSONDecodeError):
        return f"{run_dir.name}  (no readable summary.json)"
    p95_text = "n/a" if p95 is None else f"{p95:.0f} ms"
    return (
        f"{run_dir.name}  {summary['status']:<6}  {results['completed']} completed, "
        f"{results['success_rate']:.2%} success, {results['achieved_tps']:.1f} TPS, e2e p95 {p95_text}"
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _git_state(root: Path) -> tuple[str | None, bool | None]:
    """The checkout's commit and whether it has uncommitted changes (None outside git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return None, None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    return commit.stdout.strip(), bool(dirty.stdout.strip())
