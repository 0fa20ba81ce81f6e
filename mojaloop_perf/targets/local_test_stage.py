"""The local target's test stage: the real k6 against the lab, then a run folder.

k6 runs as one process, or several splitting the rate; its output is logged and its progress
shown. The run folder gets k6's summaries, the verdict with the validity gate (k6's counts
against the lab's ledger), the raw data captured from k6's per-transaction records, and the
report.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from mojaloop_perf import k6, render
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json
from mojaloop_perf.results import capture, k6_summary, record, verdict
from mojaloop_perf.runner import Command
from mojaloop_perf.targets import local, local_gate
from mojaloop_perf.targets.base import StageContext


def k6_commands(
    ctx: StageContext, binary: Path, config: dict[str, Any], run_dir: Path, timeout_s: float
) -> list[Command]:
    """One k6 command per runner: the whole run in `run_dir`, or runners/<i>/ when split."""
    runners = ctx.scenario.load.parallelism
    return [
        k6.run_command(
            binary,
            ctx.project.k6_script,
            config,
            run_dir if runners == 1 else run_dir / "runners" / str(i),
            timeout_s=timeout_s,
            runner=i,
            runners=runners,
            records=True,
        )
        for i in range(1, runners + 1)
    ]


def test(ctx: StageContext) -> Path | None:
    config = render.k6_config(ctx.scenario, render.local_outbound_urls(ctx.scenario))
    binary = k6.find_k6()
    load = ctx.scenario.load
    timeout_s = load.duration_s + load.http_timeout_s + 120
    if ctx.dry_run:
        run_dir = ctx.project.runs_dir(ctx.scenario.name) / "<run-id>"
        commands = k6_commands(ctx, binary, config, run_dir, timeout_s)
        ledger = f"GET {render.lab_admin_url(ctx.scenario)}/admin/ledger"
        ctx.echo(f"[dry-run] {ledger}: the lab's ledger before k6 starts")
        ctx.runner.run_many(commands, [ctx.echo] * len(commands))
        ctx.echo(
            f"[dry-run] {ledger} once nothing is in flight: the validity gate compares k6's "
            "counts with what the lab answered"
        )
        return None
    answer = local.require_deployed(ctx, "test")
    seeded = ctx.state.get("seeded")
    if not seeded or seeded.get("lab_started_at") != answer.get("started_at"):
        raise UserError(f"test needs seed first: run {ctx.invoke_hint('seed')}")
    if not ctx.project.k6_script.exists():
        raise UserError(f"k6 script not found: {ctx.project.relative(ctx.project.k6_script)}")

    version_out = ctx.runner.run(
        Command((str(binary), "version")), on_line=lambda _: None, quiet=True
    )
    started = datetime.now(UTC)
    folder = capture.RawRunFolder.start(ctx.project.runs_dir(ctx.scenario.name), started)
    try:
        commands = k6_commands(ctx, binary, config, folder.work, timeout_s)
        return _run_k6(ctx, folder, commands, config, k6.version(version_out.output), started)
    except BaseException:
        folder.discard()
        raise


def _run_k6(
    ctx: StageContext,
    folder: capture.RawRunFolder,
    commands: list[Command],
    config: dict[str, Any],
    k6_version: str,
    started: datetime,
) -> Path:
    load = ctx.scenario.load
    outs = [Path(command.env["MOJALOOP_PERF_SUMMARY_JSON"]).parent for command in commands]
    record.write_config(folder.work, ctx.scenario, ctx.target, config, commands)
    split = f", {len(commands)} k6 processes splitting the rate" if len(commands) > 1 else ""
    ctx.echo(
        f"test: k6 {k6_version}, {load.tps:g} TPS for {load.duration_s:g} s "
        f"({load.transactions} transactions){split}, scenario {ctx.scenario.name}"
    )
    admin_url = render.lab_admin_url(ctx.scenario)
    ledger_before = local_gate.read_ledger(ctx.runner, admin_url)
    with contextlib.ExitStack() as stack:
        progress = K6Progress(ctx.echo, "runner 1: " if len(commands) > 1 else "")
        sinks = []
        for index, out in enumerate(outs):
            out.mkdir(parents=True, exist_ok=True)
            log = stack.enter_context((out / "k6.log").open("w", encoding="utf-8"))
            sinks.append(_log_sink(log, progress if index == 0 else None))
        results = ctx.runner.run_many(commands, sinks, quiet=True)
        progress.flush()
    missing = [out for out in outs if not (out / "k6-summary.json").exists()]
    if missing:
        keep = ctx.state_dir / "k6-last-failure.log"
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_text((missing[0] / "k6.log").read_text(encoding="utf-8"), encoding="utf-8")
        codes = ", ".join(str(result.returncode) for result in results)
        raise UserError(
            f"k6 exited with {codes} before writing its summary; "
            f"no run folder written (k6 output: {ctx.project.relative(keep)})"
        )
    failed = [r.returncode for r in results if r.returncode not in (0, k6.EXIT_THRESHOLDS_CROSSED)]
    if failed:
        raise UserError(f"k6 exited with {failed[0]}; see its output above")
    datas = [read_json(out / "k6-summary.json") for out in outs]
    if len(datas) == 1:
        figures = k6_summary.figures(datas[0])
    else:
        figures = k6_summary.merge(datas, k6_summary.read_samples(out / k6.SAMPLES for out in outs))
    summary = record.build_summary(
        ctx.scenario, ctx.target, figures, k6_version, started, datetime.now(UTC), ctx.project.root
    )
    # Every answer of the run must be in the ledger: wait out the SDK timeout at most.
    wait_s = ctx.scenario.local.sdk_timeout_s + 5
    ledger_after = local_gate.settled_ledger(ctx.runner, admin_url, wait_s)
    block, check = local_gate.gate(figures, local_gate.during(ledger_before, ledger_after))
    summary["validity_gate"] = block
    verdict.add_check(summary, check)
    _capture_raw(ctx, folder, outs, config, started)
    return record.publish(folder, summary, ctx.echo, ctx.project.relative)


def _capture_raw(
    ctx: StageContext,
    folder: capture.RawRunFolder,
    outs: list[Path],
    config: dict[str, Any],
    started: datetime,
) -> None:
    """raw/ in the run folder out of the runners' records, which are not kept."""
    files = [out / k6.RECORDS for out in outs]
    keys = ("duration_s", "warmup_s", "drain_s")
    meta = {
        "scenario": ctx.scenario.name,
        "target": ctx.target,
        "target_tps": config["tps"],
        **{key: config.get(key, 0) for key in keys},
        "runners": len(outs),
    }
    folder.meta = capture.capture(files, folder.work, meta, int(started.timestamp() * 1000))
    for path in files:
        path.unlink()


def _log_sink(log: TextIO, progress: K6Progress | None) -> Callable[[str], None]:
    def sink(line: str) -> None:
        log.write(line + "\n")
        if progress is not None:
            progress.line(line)

    return sink


class K6Progress:
    """Passes k6's warnings and errors through, and its once-a-second progress every 5 s."""

    EVERY_S = 5.0

    def __init__(self, echo: Callable[[str], None], prefix: str = "") -> None:
        self.echo = lambda line: echo(line.replace("  ", f"  {prefix}", 1) if prefix else line)
        self.last_shown = 0.0
        self.pending: str | None = None

    def line(self, line: str) -> None:
        text = line.strip()
        if text.startswith("running ("):
            now = time.monotonic()
            if now - self.last_shown >= self.EVERY_S:
                self.echo(f"  {text}")
                self.last_shown, self.pending = now, None
            else:
                self.pending = text
        elif "level=warning" in text or "level=error" in text or text.startswith("scenarios:"):
            self.echo(f"  {text}")

    def flush(self) -> None:
        if self.pending:
            self.echo(f"  {self.pending}")
            self.pending = None


# destroy and status ---------------------------------------------------------------------------
