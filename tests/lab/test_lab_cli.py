"""``python -m mojaloop_perf.lab`` as a process: config errors, taken ports, readiness and SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

GOOD: dict[str, Any] = {
    "host": "127.0.0.1",
    "admin_port": 0,
    "config_hash": "abc123",
    "latency_ms": {"discovery": 0, "quote": 0, "transfer": 0},
    "dfsps": [{"fsp_id": "fsp201", "port": 0}, {"fsp_id": "fsp202", "port": 0}],
}


def lab_process(config_path: Path, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mojaloop_perf.lab", "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def write(tmp_path: Path, config: Any) -> Path:
    path = tmp_path / "lab.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return path


def with_(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


@pytest.mark.parametrize(
    ("config", "mentions"),
    [
        ("{not json", "not valid JSON"),
        (with_(admin_port="18400"), "admin_port"),
        (with_(dfsps=[]), "dfsps"),
        (with_(dfsps=[{"fsp_id": "fsp201", "port": 70000}]), "dfsps[0].port"),
        (with_(dfsps=[{"fsp_id": "a b", "port": 1}]), "dfsps[0].fsp_id"),
        (
            with_(dfsps=[{"fsp_id": "fsp201", "port": 5}, {"fsp_id": "fsp201", "port": 6}]),
            "duplicate",
        ),
        (with_(latency_ms={"discovery": -1}), "latency_ms.discovery"),
        (with_(latency="x"), "latency: unknown key"),
    ],
)
def test_bad_config_prints_one_line_and_exits_2(tmp_path: Path, config: Any, mentions: str) -> None:
    proc = lab_process(write(tmp_path, config))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lab: invalid config: ")
    assert mentions in lines[0]
    assert out == ""


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    proc = lab_process(tmp_path / "absent.json")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert err.splitlines() == [
        f"lab: invalid config: cannot read {tmp_path / 'absent.json'}: No such file or directory"
    ]


def test_taken_port_prints_one_line_and_exits_3(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = with_(dfsps=[{"fsp_id": "fsp201", "port": port}, {"fsp_id": "fsp202", "port": 0}])
        proc = lab_process(write(tmp_path, config))
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 3
    assert err.splitlines() == [
        f"lab: cannot listen on 127.0.0.1:{port} (fsp201): address already in use"
    ]
    assert out == ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_signalled_then_exits_0(tmp_path: Path, signum: int) -> None:
    proc = lab_process(write(tmp_path, GOOD))
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().strip()
        assert ready.startswith("lab ready: admin http://127.0.0.1:"), ready
        assert ready.endswith(", 2 DFSPs")
        admin = ready.removeprefix("lab ready: admin ").split(",")[0]
        with urllib.request.urlopen(f"{admin}/health", timeout=5) as resp:
            health = json.load(resp)
        assert health["status"] == "ok" and health["config_hash"] == "abc123"
        assert health["pid"] == proc.pid
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert err == ""
