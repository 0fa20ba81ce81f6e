"""The k6 script's record of every iteration (MOJALOOP_PERF_RECORDS=true, scripts/lib/record.js).

The real k6 runs the script against the stand-in DFSPs of test_script.py, which fail a known
subset of calls, with --console-output as the local target runs it; the records, parsed by
mojaloop_perf.results.capture, must account for every iteration as the summary does.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pyarrow.compute as pc

from mojaloop_perf.results import capture
from tests.k6.test_script import DFSP_RANGES, SCRIPT, StandIn, k6, make_config

SUMMARY_ENV = {
    "MOJALOOP_PERF_SUMMARY_JSON": "out/summary.json",
    "MOJALOOP_PERF_SUMMARY_TXT": "out/summary.txt",
}


def run(tmp_path: Path, fail_every: dict[str, int], env: dict[str, str], **overrides):
    (tmp_path / "out").mkdir()
    with StandIn(fail_every) as standin:
        config = make_config({fsp: standin.url(fsp) for fsp in DFSP_RANGES}, **overrides)
        args = ["run", "--quiet", "--console-output", "out/records.log", str(SCRIPT)]
        proc = k6(args, config, tmp_path, {**SUMMARY_ENV, **env})
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    counts = {name: m["values"].get("count", 0) for name, m in summary["metrics"].items()}
    return standin, counts, tmp_path / "out" / "records.log"


def test_records_account_for_every_iteration(tmp_path: Path) -> None:
    env = {"MOJALOOP_PERF_RECORDS": "true", "MOJALOOP_PERF_RUNNER": "3"}
    standin, counts, path = run(tmp_path, {"quote": 4, "transfer": 5}, env, tps=20, duration_s=2)
    records = capture.read_records([path])
    table = records.table
    assert table.num_rows == counts["iterations"] > 0
    assert (
        pc.sum(pc.equal(table["outcome"], "completed")).as_py() == counts["completed_transactions"]
    )
    assert set(table["runner"].to_pylist()) == {3}
    failed = table.filter(pc.equal(table["outcome"], "failed")).to_pylist()
    by_phase = {
        phase: [r for r in failed if r["failed_phase"] == phase] for phase in standin.failed
    }
    assert {p: len(rows) for p, rows in by_phase.items()} == standin.failed
    # the stand-in fails a quote with HTTP 500 and a transfer with 200 ABORTED (no error info)
    assert {r["error_code"] for r in by_phase["quote"]} == {"http 500"}
    assert {r["error_code"] for r in by_phase["transfer"]} == {"http 200"}
    pairs = set(zip(table["source"].to_pylist(), table["dest"].to_pylist(), strict=True))
    assert pairs == {("fsp201", "fsp202"), ("fsp203", "fsp204")}
    assert records.load_start_ms is not None
    assert 0 <= pc.min(table["start_ms"]).as_py() - records.load_start_ms < 1000
    assert pc.min(table["vus_active"]).as_py() >= 1


def test_unreachable_dfsps_fail_discovery_and_k6_timeouts_are_named(tmp_path: Path) -> None:
    # A socket that listens and never accepts: connections complete, no answer ever comes, and
    # k6 runs out of its 1 s request timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        port = silent.getsockname()[1]
        urls = {fsp: f"http://127.0.0.1:{port}/sim/{fsp}/outbound" for fsp in DFSP_RANGES}
        config = make_config(urls, tps=2, duration_s=1, http_timeout_s=1, thresholds={})
        (tmp_path / "out").mkdir()
        args = ["run", "--quiet", "--console-output", "out/records.log", str(SCRIPT)]
        proc = k6(args, config, tmp_path, {**SUMMARY_ENV, "MOJALOOP_PERF_RECORDS": "true"})
    assert proc.returncode == 0, proc.stderr
    table = capture.read_records([tmp_path / "out" / "records.log"]).table
    assert table.num_rows > 0
    assert set(table["failed_phase"].to_pylist()) == {"discovery"}
    assert set(table["error_code"].to_pylist()) == {"timeout"}
    assert set(table["runner"].to_pylist()) == {1}  # MOJALOOP_PERF_RUNNER unset


def test_no_records_unless_asked(tmp_path: Path) -> None:
    _, counts, path = run(tmp_path, {}, {}, tps=10, duration_s=1)
    assert counts["iterations"] > 0
    assert not path.exists() or "MLREC" not in path.read_text()
