"""The command runner: dry-run plans, streaming, exit codes, time limits and missing tools."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import Command, HttpCall, Runner, Spawn


def test_dry_run_prints_and_records_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    printed: list[str] = []
    runner = Runner(dry_run=True, echo=printed.append)
    command = Command(("touch", str(marker)), env={"A": "b c"}, cwd=tmp_path)
    result = runner.run(command)
    pid = runner.spawn(Spawn(("sleep", "60"), log_path=tmp_path / "log"))
    response = runner.http(HttpCall("PUT", "http://127.0.0.1:9/x", {"k": 1}))
    assert result.dry_run and result.returncode == 0
    assert pid is None and response is None
    assert not marker.exists() and not (tmp_path / "log").exists()
    assert runner.plan == [
        command,
        Spawn(("sleep", "60"), log_path=tmp_path / "log"),
        HttpCall("PUT", "http://127.0.0.1:9/x", {"k": 1}),
    ]
    assert printed[0] == f"[dry-run] cd {tmp_path} && A='b c' touch {marker}"
    assert printed[2] == """[dry-run] curl -sS -X PUT http://127.0.0.1:9/x -d '{"k": 1}'"""


def test_run_streams_lines_and_returns_the_exit_code(tmp_path: Path) -> None:
    seen: list[str] = []
    log = tmp_path / "commands.log"
    runner = Runner(echo=lambda _: None, log_path=log)
    script = "import sys; print('one'); print('two'); sys.exit(3)"
    result = runner.run(Command((sys.executable, "-c", script)), on_line=seen.append)
    assert seen == ["one", "two"]
    assert result.returncode == 3
    assert result.output == "one\ntwo\n"
    assert "-c" in log.read_text()


def test_environment_is_added_to_the_callers(tmp_path: Path) -> None:
    seen: list[str] = []
    script = "import os; print(os.environ['EXTRA'], 'PATH' in os.environ)"
    Runner(echo=seen.append).run(
        Command((sys.executable, "-c", script), env={"EXTRA": "x"}), on_line=seen.append
    )
    assert seen[-1] == "x True"


def test_a_silent_command_is_stopped_at_its_time_limit() -> None:
    runner = Runner(echo=lambda _: None)
    with pytest.raises(UserError, match=r"timed out after 1 s"):
        runner.run(Command((sys.executable, "-c", "import time; time.sleep(30)"), timeout_s=1))


def test_missing_tool_is_one_clear_error() -> None:
    with pytest.raises(UserError, match="no-such-tool-xyz: command not found"):
        Runner(echo=lambda _: None).run(Command(("no-such-tool-xyz",)))


class _Echo(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 409 if body.get("conflict") else 201
        payload = json.dumps({"got": body, "type": self.headers["Content-Type"]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def test_http_sends_json_and_returns_error_statuses_too() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/x"
        runner = Runner(echo=lambda _: None)
        ok = runner.http(HttpCall("PUT", url, {"a": 1}))
        conflict = runner.http(HttpCall("PUT", url, {"conflict": True}))
    finally:
        server.shutdown()
    assert ok is not None and ok.status == 201
    assert ok.body == {"got": {"a": 1}, "type": "application/json"}
    assert conflict is not None and conflict.status == 409
