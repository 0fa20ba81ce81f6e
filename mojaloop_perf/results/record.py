"""What a run folder holds besides k6's own files: config.json and summary.json, with provenance."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from mojaloop_perf import __version__
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json, write_json_atomic, write_text_atomic
from mojaloop_perf.results import verdict
from mojaloop_perf.results.runs import RunFolder, write_summary
from mojaloop_perf.runner import Command
from mojaloop_perf.scenario.model import Scenario


def write_config(
    folder: Path,
    scenario: Scenario,
    target: str,
    k6_config: dict[str, Any],
    commands: list[Command],
) -> None:
    """The exact configuration of the run: merged scenario, k6 config and the k6 commands."""
    write_json_atomic(
        folder / "config.json",
        {
            "scenario": scenario.name,
            "scenario_digest": scenario.digest,
            "target": target,
            "scenario_config": scenario.config,
            "k6_config": k6_config,
            "k6_commands": [
                {
                    "argv": list(command.argv),
                    "env": {k: v for k, v in command.env.items() if k != "MOJALOOP_PERF_CONFIG"},
                }
                for command in commands
            ],
        },
    )


def build_summary(
    scenario: Scenario,
    target: str,
    figures: dict[str, Any],
    k6_version: str,
    started: datetime,
    finished: datetime,
    repo_root: Path,
    *,
    with_samples: bool = True,
    deployed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """summary.json from the run's figures (`k6_summary.figures` or `k6_summary.merge`) and its
    provenance, with the verdict's checks: thresholds and dropped iterations (`verdict.add_check`
    appends more); `with_samples` False: several runners merged from their quantile grids, not
    their samples; `deployed` (aws target): what the clusters ran, read back from them
    (aws_deployed.read_back)."""
    commit, dirty = _git_state(repo_root)
    summary: dict[str, Any] = {
        "schema_version": 2,
        "run_id": "",  # set by finalize once the folder name is claimed
        "scenario": scenario.name,
        "target": target,
        "status": "failed",  # set by the verdict's checks below
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
            "parallelism": scenario.load.parallelism,
            "percentiles_from": "k6-summary"
            if scenario.load.parallelism == 1
            else ("runner-samples" if with_samples else "runner-quantiles"),
            "thresholds_window": scenario.load.thresholds_window,
            "max_dropped_share": scenario.load.max_dropped_share,
        },
        "security": scenario.security.summary(),
        "results": {
            key: figures[key]
            for key in (
                "completed",
                "failed",
                "failed_by_phase",
                "success_rate",
                "achieved_tps",
                "test_run_duration_s",
                "iterations",
                "dropped_iterations",
                "dropped_share",
                "peak_active_vus",
                "peak_allocated_vus",
                "peak_vus_is_sum_of_runners",
            )
        },
        "latency_ms": figures["latency_ms"],
        "steady": figures["steady"],
        "thresholds": figures["thresholds"],
        "verdict": {"passed": True, "checks": []},
    }
    if deployed is not None:
        summary["deployed"] = deployed
    verdict.add_check(summary, verdict.thresholds(summary))
    verdict.add_check(summary, verdict.dropped_iterations(summary))
    return summary


def finalize(folder: Path, summary: dict[str, Any], run_id: str) -> None:
    """summary.json and summary.txt, once the run id (the folder's name) is known."""
    summary["run_id"] = run_id
    write_summary(folder, summary)
    write_text_atomic(
        folder / "summary.txt",
        f"run {run_id}, scenario {summary['scenario']}\n{headline(summary)}\n",
    )


def publish(
    folder: RunFolder,
    summary: dict[str, Any],
    echo: Callable[[str], None],
    relative: Callable[[Path], Path | str],
) -> Path:
    """Publish the run folder with its summary, show the headline and where it is; a failed
    verdict is then a UserError with exit status 1 naming every failed check (the folder stays:
    it is the record)."""
    final = folder.publish(lambda run_id: finalize(folder.work, summary, run_id))
    echo(headline(summary))
    _report(final, echo, relative)
    echo(f"results: {relative(final)}/")
    failed = verdict.failure(summary)
    if failed is not None:
        raise UserError(failed, exit_code=1)
    return final


def _report(
    final: Path, echo: Callable[[str], None], relative: Callable[[Path], Path | str]
) -> None:
    """report.html and its plots from the published folder; a report that cannot be written is
    one line, never a lost run (`invoke report` writes it again)."""
    from mojaloop_perf.report import write_report

    try:
        path = write_report(final, echo=echo)
    except UserError as error:
        echo(f"report: not written: {error}")
        return
    echo(f"report: {relative(path)}")


def headline(summary: dict[str, Any]) -> str:
    """The run's figures in a few lines: status, counts, rate, dropped iterations and peak VUs,
    p50/p95/p99 per phase, then each check of the verdict."""
    results, steady = summary["results"], summary["steady"]
    failed = results["failed_by_phase"]
    lines = [
        f"{summary['status'].upper()}: {results['completed']} completed, {results['failed']} failed "
        f"(discovery {failed['discovery']}, quote {failed['quote']}, transfer {failed['transfer']}), "
        f"success {results['success_rate']:.3%}, {results['achieved_tps']:.1f} TPS achieved "
        f"of {summary['load']['target_tps']:g}, {_load_generator(results)}",
        *_latency_lines(summary["latency_ms"]),
        f"steady window ({steady['window_s']:g} s after {steady['warmup_s']:g} s warm-up, "
        f"before {steady['drain_s']:g} s drain): {steady['completed']} completed, "
        f"{steady['failed']} failed, success {steady['success_rate']:.3%}, "
        f"{steady['achieved_tps']:.1f} TPS",
        *_latency_lines(steady["latency_ms"]),
        *(
            f"  check {c['name']:<19} {'ok' if c['ok'] else 'FAILED':<6}  {c['detail']}"
            for c in summary["verdict"]["checks"]
        ),
    ]
    return "\n".join(lines)


def _load_generator(results: dict[str, Any]) -> str:
    """`12 iterations dropped (0.30 %), peak 37 VUs of 200 allocated`: did k6 hold the rate."""
    peak = f"peak {results['peak_active_vus']} VUs of {results['peak_allocated_vus']} allocated"
    if results["peak_vus_is_sum_of_runners"]:
        peak += " (sum of the runners' peaks)"
    return (
        f"{results['dropped_iterations']} iterations dropped "
        f"({results['dropped_share'] * 100:.2f} %), {peak}"
    )


def _latency_lines(latency: dict[str, Any]) -> list[str]:
    lines = [
        f"  {phase:<9} p50 {trend['p50']:8.1f} ms   p95 {trend['p95']:8.1f} ms   "
        f"p99 {trend['p99']:8.1f} ms"
        for phase, trend in latency.items()
        if trend["count"]
    ]
    return lines or ["  no transaction completed"]


def one_line(run_dir: Path) -> str:
    """`<run id>  passed  1000 completed …, 0 dropped, peak 37 VUs` for a published run, for
    listings; a failed run names its failed checks."""
    try:
        summary = read_json(run_dir / "summary.json")
        return f"{run_dir.name}  {_listing(summary)}"
    except (OSError, KeyError, TypeError, ValueError):
        return f"{run_dir.name}  (no readable summary.json)"


def _listing(summary: dict[str, Any]) -> str:
    results = summary["results"]
    p95 = summary["latency_ms"]["e2e"]["p95"]
    p95_text = "n/a" if p95 is None else f"{p95:.0f} ms"
    line = (
        f"{summary['status']:<6}  {results['completed']} completed, "
        f"{results['success_rate']:.2%} success, {results['achieved_tps']:.1f} TPS, e2e p95 {p95_text}"
    )
    if "verdict" not in summary:  # written before schema version 2: no k6 figures, no checks
        return line
    bound = "≤ " if results["peak_vus_is_sum_of_runners"] else ""
    line += (
        f", {results['dropped_iterations']} dropped, peak {bound}{results['peak_active_vus']} VUs"
    )
    failed = [c["name"] for c in summary["verdict"]["checks"] if not c["ok"]]
    return f"{line} (failed: {', '.join(failed)})" if failed else line


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
