"""The one way out of the workspace: every tool command, background process and lab HTTP call.

Stages never call subprocess or urllib themselves. They hand a `Command`, a `Spawn` or an
`HttpCall` to the `Runner`, which logs it, applies its timeout, streams its output, and with
`dry_run` prints it instead of running it. Tests read `Runner.plan` to assert what a stage
would do, so `--dry-run` and the tests see the same plan.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mojaloop_perf.errors import UserError

Echo = Callable[[str], None]


def _env_prefix(env: Mapping[str, str]) -> str:
    return "".join(f"{key}={shlex.quote(value)} " for key, value in sorted(env.items()))


@dataclass(frozen=True)
class Command:
    """A tool invocation run to completion: argv, extra environment, folder and time limit."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    timeout_s: float | None = None
    # True: only stdout is captured (for machine-readable output); stderr passes through.
    stdout_only: bool = False

    def shell(self) -> str:
        """The command as a user could paste it into a shell."""
        cd = f"cd {shlex.quote(str(self.cwd))} && " if self.cwd else ""
        return f"{cd}{_env_prefix(self.env)}{shlex.join(self.argv)}"


@dataclass(frozen=True)
class Spawn:
    """A background process that outlives the task: argv, environment and its log file."""

    argv: tuple[str, ...]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)

    def shell(self) -> str:
        return f"{_env_prefix(self.env)}{shlex.join(self.argv)} >{self.log_path} 2>&1 &"


@dataclass(frozen=True)
class HttpCall:
    """One JSON HTTP request to a service the workspace runs (the lab's admin or outbound API,
    a switch's admin API); `headers` are extra request headers (Host, FSPIOP-Source…)."""

    method: str
    url: str
    body: Any = None
    timeout_s: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict)

    def shell(self) -> str:
        head = "".join(
            f" -H {shlex.quote(f'{key}: {value}')}" for key, value in sorted(self.headers.items())
        )
        data = f" -d {shlex.quote(json.dumps(self.body, sort_keys=True))}" if self.body else ""
        return f"curl -sS -X {self.method}{head} {self.url}{data}"


@dataclass(frozen=True)
class Completed:
    """How a `Command` ended. In a dry run nothing ran and `returncode` is 0."""

    returncode: int
    output: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: Any


Step = Command | Spawn | HttpCall


class Runner:
    """Runs (or, with `dry_run`, prints) every external step and remembers it in `plan`."""

    def __init__(self, *, dry_run: bool = False, echo: Echo = print, log_path: Path | None = None):
        self.dry_run = dry_run
        self.echo = echo
        self.log_path = log_path
        self.plan: list[Step] = []

    def _record(self, step: Step, *, quiet: bool = False) -> None:
        self.plan.append(step)
        if self.dry_run:
            self.echo(f"[dry-run] {step.shell()}")
        elif not quiet:
            self.echo(f"$ {step.shell()}")
        if self.log_path is not None and not self.dry_run:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(f"{stamp} {step.shell()}\n")

    def run(
        self, command: Command, *, on_line: Echo | None = None, quiet: bool = False
    ) -> Completed:
        """Run `command`, streaming each output line to `on_line` (default: echo)."""
        return self.run_many([command], [on_line or self.echo], quiet=quiet)[0]

    def run_many(
        self, commands: list[Command], sinks: list[Echo], *, quiet: bool = False
    ) -> list[Completed]:
        """Run `commands` at the same time, each streaming its lines to its sink; wait for all."""
        for command in commands:
            self._record(command, quiet=quiet)
        if self.dry_run:
            return [Completed(returncode=0, dry_run=True) for _ in commands]
        running: list[_Running] = []
        try:
            for command, sink in zip(commands, sinks, strict=True):
                running.append(_Running.start(command, sink))
            for process in running:
                process.join()
        except BaseException:
            for process in running:
                process.stop()
            raise
        for process in running:
            if process.timed_out.is_set():
                argv0, limit = process.command.argv[0], process.command.timeout_s or 0
                raise UserError(f"{argv0} timed out after {limit:.0f} s")
        return [process.completed() for process in running]

    def spawn(self, spawn: Spawn) -> int | None:
        """Start a detached background process logging to `spawn.log_path`; its PID, or None."""
        self._record(spawn)
        if self.dry_run:
            return None
        spawn.log_path.parent.mkdir(parents=True, exist_ok=True)
        with spawn.log_path.open("ab") as log:
            process = subprocess.Popen(
                spawn.argv,
                env={**os.environ, **spawn.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return process.pid

    def http(self, call: HttpCall, *, quiet: bool = True) -> HttpResponse | None:
        """Send a JSON request; the response, None in a dry run. Connection failures raise."""
        self._record(call, quiet=quiet)
        if self.dry_run:
            return None
        return send_json(call)

    def http_many(
        self,
        calls: list[HttpCall] | tuple[HttpCall, ...],
        *,
        workers: int = 16,
        on_done: Callable[[int, HttpResponse], None] | None = None,
    ) -> list[HttpResponse | None]:
        """Send `calls` on up to `workers` threads at once; their responses, in the calls' order.

        Every call is recorded in `plan`. A dry run prints the first two calls and how many more
        there are, sends nothing and answers None for each. `on_done(index, response)` runs on
        this thread as each answer arrives. The first call that cannot connect raises its error
        once the calls already under way have ended; the calls not yet started are dropped.
        """
        from concurrent.futures import ThreadPoolExecutor, as_completed

        batch = list(calls)
        if self.dry_run:
            self.plan.extend(batch)
            for call in batch[:2]:
                text = call.shell()
                if len(text) > 600:  # a bulk body: its start shows what it is
                    text = f"{text[:600]}… ({len(text)} characters)"
                self.echo(f"[dry-run] {text}")
            if len(batch) > 2:
                self.echo(f"[dry-run] … and {len(batch) - 2} more like it")
            return [None] * len(batch)
        for call in batch:
            self._record(call, quiet=True)
        responses: list[HttpResponse | None] = [None] * len(batch)
        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        try:
            pending = {pool.submit(send_json, call): index for index, call in enumerate(batch)}
            for future in as_completed(pending):
                index = pending[future]
                response = future.result()
                responses[index] = response
                if on_done is not None:
                    on_done(index, response)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return responses


@dataclass
class _Running:
    """One started command: its process, the thread streaming its output, its time limit."""

    command: Command
    process: subprocess.Popen[str]
    reader: threading.Thread
    lines: list[str]
    timed_out: threading.Event
    watchdog: threading.Timer | None

    @classmethod
    def start(cls, command: Command, sink: Echo) -> _Running:
        try:
            process = subprocess.Popen(
                command.argv,
                cwd=command.cwd,
                env={**os.environ, **command.env},
                stdout=subprocess.PIPE,
                stderr=None if command.stdout_only else subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise UserError(f"{command.argv[0]}: command not found") from exc
        lines: list[str] = []

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                sink(line.rstrip("\n"))

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        timed_out = threading.Event()
        watchdog = None
        if command.timeout_s is not None:
            watchdog = threading.Timer(command.timeout_s, _expire, (process.pid, timed_out))
            watchdog.daemon = True
            watchdog.start()
        return cls(command, process, reader, lines, timed_out, watchdog)

    def join(self) -> None:
        # Short waits keep the main thread responsive to Ctrl-C.
        while self.reader.is_alive():
            self.reader.join(timeout=0.2)
        self.process.wait()
        if self.watchdog is not None:
            self.watchdog.cancel()

    def stop(self) -> None:
        _kill_group(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _kill_group(self.process.pid)
            self.process.wait()
        if self.watchdog is not None:
            self.watchdog.cancel()

    def completed(self) -> Completed:
        return Completed(returncode=self.process.returncode, output="".join(self.lines))


def send_json(call: HttpCall) -> HttpResponse:
    """Send `call` and decode the JSON answer (error statuses included)."""
    data = None if call.body is None else json.dumps(call.body).encode()
    request = urllib.request.Request(call.url, data=data, method=call.method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in call.headers.items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=call.timeout_s) as response:
            return HttpResponse(response.status, _decode(response.read()))
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, _decode(error.read()))


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return raw.decode(errors="replace")


def _expire(pid: int, flag: threading.Event) -> None:
    flag.set()
    _kill_group(pid)


def _kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
