"""The local lab as a background process: start, health, ports, identity and stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import Echo, HttpCall, Spawn, send_json

LAB_MODULE = "mojaloop_perf.lab"


def spawn_lab(config_path: Path, log_path: Path) -> Spawn:
    return Spawn(
        argv=(sys.executable, "-m", LAB_MODULE, "--config", str(config_path)), log_path=log_path
    )


def health(admin_url: str, timeout_s: float = 2.0) -> dict[str, Any] | None:
    """The lab's /health answer, or None when nothing healthy answers there."""
    try:
        response = send_json(HttpCall("GET", f"{admin_url}/health", timeout_s=timeout_s))
    except OSError:
        return None
    if response.status != 200 or not isinstance(response.body, dict):
        return None
    return response.body


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def is_lab_process(pid: int) -> bool:
    """Whether `pid` is a lab we started (guards against a PID reused by something else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return LAB_MODULE.encode() in cmdline and is_alive(pid)


def busy_port(host: str, ports: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The first (port, what) that cannot be bound on `host`, or None when all are free."""
    for port, what in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # The lab binds with SO_REUSEADDR too, so TIME_WAIT leftovers do not count as busy.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                return port, what
    return None


def wait_healthy(
    admin_url: str,
    pid: int,
    expected_hash: str,
    timeout_s: float,
    log_path: Path,
    echo: Echo,
) -> dict[str, Any]:
    """Poll /health until the lab we started answers with our config, or fail clearly."""
    deadline = time.monotonic() + timeout_s
    started = time.monotonic()
    next_note = started + 2
    while time.monotonic() < deadline:
        answer = health(admin_url, timeout_s=1.0)
        if answer and answer.get("config_hash") == expected_hash and answer.get("pid") == pid:
            return answer
        if not is_alive(pid):
            raise UserError(f"lab exited while starting: {last_line(log_path)} (log: {log_path})")
        if time.monotonic() >= next_note:
            echo(
                f"  waiting for the lab to answer {admin_url}/health ({time.monotonic() - started:.0f} s)"
            )
            next_note += 2
        time.sleep(0.1)
    stop(pid)
    raise UserError(
        f"lab did not answer {admin_url}/health within {timeout_s:g} s; stopped it (log: {log_path})"
    )


def stop(pid: int, grace_s: float = 10.0) -> None:
    """SIGTERM the lab, then SIGKILL after `grace_s`; returns once it is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        _reap(pid)
        if not is_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while is_alive(pid):
        _reap(pid)
        time.sleep(0.05)


def last_line(log_path: Path) -> str:
    try:
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1] if lines else "no output"


def _reap(pid: int) -> None:
    """Collect the exit status when the lab is our own child (started in this process)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"
