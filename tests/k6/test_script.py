"""Tests of the k6 load-test script (performance-tests/src/mojaloop-k6-operator/scripts).

The real k6 binary runs the script against an in-process stand-in for the SDK outbound API of
each DFSP, which fails a known subset of calls; the k6 summary must account for every one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import resource
import shutil
import subprocess
import sys
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "performance-tests" / "src" / "mojaloop-k6-operator" / "scripts"
SCRIPT = SCRIPTS / "tests.js"
PHASES = ("discovery", "quote", "transfer")

TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PATH_RE = re.compile(
    r"^/sim/(?P<fsp>[^/]+)/outbound/(?:parties/MSISDN/(?P<msisdn>[0-9]+)|(?P<call>quotes|simpleTransfers))$"
)

# Ranges of different widths, with a leading zero and one longer than 15 digits.
DFSP_RANGES = {
    "fsp201": ("25620100000", 1000),
    "fsp202": ("25620200000", 1000),
    "fsp203": ("0770000000", 100),
    "fsp204": ("1234567890123456789", 50),
}
PAIRS = [("fsp201", "fsp202", 0.5), ("fsp203", "fsp204", 0.5)]


def find_k6() -> str:
    beside = Path(sys.executable).parent / "k6"
    found = str(beside) if beside.exists() else shutil.which("k6")
    if not found:
        pytest.skip("k6 binary not found")
    return found


# --------------------------------------------------------------------------- stand-in DFSPs


class StandIn:
    """Answers the three SDK outbound calls, records every request, fails chosen calls.

    fail_every[phase] = n fails the n-th, 2n-th, ... call of that phase: discovery answers with
    the wrong fspId, quote with HTTP 500, transfer with transferState ABORTED.
    """

    def __init__(self, fail_every: dict[str, int] | None = None):
        self.fail_every = fail_every or {}
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.calls = dict.fromkeys(PHASES, 0)
        self.failed = dict.fromkeys(PHASES, 0)
        self.quotes: dict[str, dict] = {}  # ilpPacket -> quote response body
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, fsp: str) -> str:
        return f"http://127.0.0.1:{self.port}/sim/{fsp}/outbound"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _count(self, phase: str) -> bool:
        """Counts a call of the phase; True when this one must fail."""
        with self.lock:
            self.calls[phase] += 1
            every = self.fail_every.get(phase)
            failing = bool(every) and self.calls[phase] % every == 0
            self.failed[phase] += failing
            return failing

    def answer(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict]:
        m = PATH_RE.match(path)
        payload = json.loads(body) if body else None
        with self.lock:
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "match": m,
                    "headers": dict(headers),
                    "body": payload,
                }
            )
        if not m:
            return 404, {"error": "no route"}
        if method == "GET" and m["msisdn"]:
            return self._party(m["msisdn"])
        if method == "POST" and m["call"] == "quotes":
            return self._quote(payload)
        if method == "POST" and m["call"] == "simpleTransfers":
            return self._transfer()
        return 405, {"error": "method"}

    def _party(self, msisdn: str) -> tuple[int, dict]:
        fsp = dfsp_of(msisdn) or "unknown"
        if self._count("discovery"):
            fsp = "fsp999"
        info = {"partyIdType": "MSISDN", "partyIdentifier": msisdn, "fspId": fsp}
        return 200, {
            "party": {"body": {"partyIdInfo": info}, "headers": {}},
            "currentState": "COMPLETED",
        }

    def _quote(self, payload: dict) -> tuple[int, dict]:
        if self._count("quote"):
            return 500, {"statusCode": "2001", "message": "stand-in quote failure"}
        quote_id = payload["quotesPostRequest"]["quoteId"]
        digest = hashlib.sha256(quote_id.encode()).digest()
        body = {
            "ilpPacket": f"ilp-{quote_id}",
            "condition": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),  # 43 chars
            "expiration": "2030-01-01T00:00:00.000Z",
            "transferAmount": payload["quotesPostRequest"]["amount"],
        }
        with self.lock:
            self.quotes[body["ilpPacket"]] = body
        return 200, {"quotes": {"body": body, "headers": {}}, "currentState": "COMPLETED"}

    def _transfer(self) -> tuple[int, dict]:
        state = "ABORTED" if self._count("transfer") else "COMMITTED"
        return 200, {
            "transfer": {"body": {"transferState": state}, "headers": {}},
            "currentState": "COMPLETED",
        }

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as k6 would see in the cluster
            disable_nagle_algorithm = True  # else headers and body writes meet delayed ACKs (40 ms)

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                status, reply = standin.answer(
                    self.command, self.path, self.headers, self.rfile.read(length)
                )
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        return Handler


def in_range(msisdn: str, fsp: str) -> bool:
    start, count = DFSP_RANGES[fsp]
    return len(msisdn) == len(start) and int(start) <= int(msisdn) < int(start) + count


def dfsp_of(msisdn: str) -> str | None:
    return next((fsp for fsp in DFSP_RANGES if in_range(msisdn, fsp)), None)


# --------------------------------------------------------------------------- running k6


def make_config(urls: dict[str, str], **overrides) -> dict:
    config = {
        "tps": 20,
        "duration_s": 3,
        "pre_allocated_vus": 20,
        "max_vus": 50,
        "currency": "XXX",
        "amount": "1",
        "http_timeout_s": 5,
        "pairs": [{"source": s, "dest": d, "weight": w} for s, d, w in PAIRS],
        "dfsps": {
            fsp: {"outbound_url": urls[fsp], "msisdn_start": start, "msisdn_count": count}
            for fsp, (start, count) in DFSP_RANGES.items()
        },
        "thresholds": {"success_rate": ["rate>0.5"], "e2e_time": ["p(95)<2000"]},
    }
    config.update(overrides)
    return config


def placeholder_urls() -> dict[str, str]:
    return {fsp: f"http://127.0.0.1:9/sim/{fsp}/outbound" for fsp in DFSP_RANGES}


def k6(args: list[str], config: dict | str | None, cwd: Path, extra_env: dict | None = None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "K6_NO_USAGE_REPORT": "true"}
    if config is not None:
        env["MOJALOOP_PERF_CONFIG"] = config if isinstance(config, str) else json.dumps(config)
    env.update(extra_env or {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [find_k6(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc


class Run:
    def __init__(self, proc, standin: StandIn, workdir: Path):
        self.proc = proc
        self.standin = standin
        self.summary = json.loads((workdir / "out" / "summary.json").read_text())
        self.text = (workdir / "out" / "summary.txt").read_text()
        self.metrics = self.summary["metrics"]

    def count(self, metric: str) -> int:
        return self.metrics.get(metric, {}).get("values", {}).get("count", 0)


def run_k6(tmp_path: Path, fail_every: dict[str, int], env: dict | None = None, **overrides) -> Run:
    (tmp_path / "out").mkdir()
    with StandIn(fail_every) as standin:
        config = make_config({fsp: standin.url(fsp) for fsp in DFSP_RANGES}, **overrides)
        proc = k6(
            ["run", "--quiet", str(SCRIPT)],
            config,
            tmp_path,
            {
                "MOJALOOP_PERF_SUMMARY_JSON": "out/summary.json",
                "MOJALOOP_PERF_SUMMARY_TXT": "out/summary.txt",
                **(env or {}),
            },
        )
    assert (tmp_path / "out" / "summary.json").exists(), proc.stderr
    return Run(proc, standin, tmp_path)


@pytest.fixture(scope="module")
def quote_failures(tmp_path_factory) -> Run:
    """20 TPS for 3 s; every 5th quote fails; success_rate>0.99 is set up to fail."""
    thresholds = {"success_rate": ["rate>0.5", "rate>0.99"], "e2e_time": ["p(95)<2000"]}
    run = run_k6(tmp_path_factory.mktemp("quote"), {"quote": 5}, thresholds=thresholds)
    iterations = run.count("iterations")
    print(
        f"\nk6 CPU: {run.proc.cpu_s:.2f} s for {iterations} transactions "
        f"({1000 * run.proc.cpu_s / max(iterations, 1):.1f} s per 1000, incl. start-up)"
    )
    return run


@pytest.fixture(scope="module")
def other_failures(tmp_path_factory) -> Run:
    return run_k6(
        tmp_path_factory.mktemp("other"),
        {"discovery": 4, "transfer": 3},
        # As in the k6 Operator's runner pods: the summary JSON on stdout too.
        env={"MOJALOOP_PERF_SUMMARY_STDOUT": "json"},
        tps=15,
        duration_s=2,
        thresholds={"success_rate": ["rate>0.3"]},
    )


# --------------------------------------------------------------------------- static checks


def test_no_remote_imports():
    import_re = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"`]([^'"`]+)""")
    files = sorted(SCRIPTS.rglob("*.js"))
    assert SCRIPT in files
    for path in files:
        for spec in import_re.findall(path.read_text()):
            assert not spec.startswith(("http:", "https:", "//")), f"{path.name} imports {spec}"
            assert spec.startswith(("k6", "./", "../")), f"{path.name} imports {spec}"


def test_inspect_passes(tmp_path):
    proc = k6(
        ["inspect", "--execution-requirements", "--include-system-env-vars", str(SCRIPT)],
        make_config(placeholder_urls(), duration_s=30),
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    options = json.loads(proc.stdout)
    scenario = options["scenarios"]["transfers"]
    assert scenario == scenario | {
        "executor": "constant-arrival-rate",
        "rate": 20,
        "timeUnit": "1s",
        "duration": "30s",
        "preAllocatedVUs": 20,
        "maxVUs": 50,
        "gracefulStop": "30s",
    }
    assert options["discardResponseBodies"] is False
    for phase in PHASES:
        assert options["thresholds"][f"failed_transactions{{phase:{phase}}}"] == ["count>=0"]
    assert options["thresholds"]["success_rate"] == ["rate>0.5"]


@pytest.mark.parametrize(
    ("env", "tags"),
    [
        (
            {"MOJALOOP_PERF_TAG_RUNNER": "true", "HOSTNAME": "k6-runner-2-abcde"},
            {"runner": "k6-runner-2-abcde"},
        ),
        ({"HOSTNAME": "k6-runner-2-abcde"}, None),
    ],
)
def test_runner_pods_tag_their_metrics_with_their_pod_name(tmp_path, env, tags):
    proc = k6(
        ["inspect", "--include-system-env-vars", str(SCRIPT)],
        make_config(placeholder_urls(), duration_s=30),
        tmp_path,
        env,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout).get("tags") == tags


def _without(key: str) -> dict:
    config = make_config(placeholder_urls())
    del config[key]
    return config


def _bad(path: tuple, value) -> dict:
    config = make_config(placeholder_urls())
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


BAD_CONFIGS = {
    "unset": (None, "MOJALOOP_PERF_CONFIG: environment variable is not set"),
    "not json": ("{tps: 20", "MOJALOOP_PERF_CONFIG: not valid JSON"),
    "dest unknown": (
        _bad(("pairs", 1, "dest"), "fsp299"),
        'MOJALOOP_PERF_CONFIG.pairs[1].dest: "fsp299" is not in dfsps',
    ),
    "source missing": (_bad(("pairs", 0, "source"), None), "MOJALOOP_PERF_CONFIG.pairs[0].source"),
    "tps zero": (_bad(("tps",), 0), "MOJALOOP_PERF_CONFIG.tps"),
    "tps fraction": (_bad(("tps",), 2.5), "MOJALOOP_PERF_CONFIG.tps"),
    "duration missing": (_without("duration_s"), "MOJALOOP_PERF_CONFIG.duration_s"),
    "max below pre": (_bad(("max_vus",), 5), "MOJALOOP_PERF_CONFIG.max_vus"),
    "amount number": (_bad(("amount",), 1), "MOJALOOP_PERF_CONFIG.amount"),
    "currency": (_bad(("currency",), "usd"), "MOJALOOP_PERF_CONFIG.currency"),
    "msisdn letters": (
        _bad(("dfsps", "fsp201", "msisdn_start"), "2562A"),
        "MOJALOOP_PERF_CONFIG.dfsps.fsp201.msisdn_start",
    ),
    "msisdn overflow": (
        _bad(("dfsps", "fsp203", "msisdn_start"), "9999999950"),
        "MOJALOOP_PERF_CONFIG.dfsps.fsp203.msisdn_count",
    ),
    "url": (
        _bad(("dfsps", "fsp202", "outbound_url"), "fsp202:4000"),
        "MOJALOOP_PERF_CONFIG.dfsps.fsp202.outbound_url",
    ),
    "weights zero": (
        _bad(("pairs",), [{"source": "fsp201", "dest": "fsp202", "weight": 0}]),
        "MOJALOOP_PERF_CONFIG.pairs: weights sum to 0",
    ),
    "threshold": (
        _bad(("thresholds", "success_rate"), "rate>0.99"),
        "MOJALOOP_PERF_CONFIG.thresholds.success_rate",
    ),
}


@pytest.mark.parametrize("name", BAD_CONFIGS)
def test_bad_config_stops_k6_naming_the_field(tmp_path, name):
    config, message = BAD_CONFIGS[name]
    proc = k6(["run", "--quiet", str(SCRIPT)], config, tmp_path)
    assert proc.returncode != 0
    # k6 logs the error logfmt-quoted, escaping the quotes inside it.
    assert message in proc.stderr.replace('\\"', '"'), proc.stderr
    assert not (tmp_path / "k6-summary.json").exists()


# --------------------------------------------------------------------------- a real run


def test_summary_accounts_for_every_transaction(quote_failures):
    run = quote_failures
    iterations = run.count("iterations")
    completed = run.count("completed_transactions")
    failed = run.count("failed_transactions")
    # k6 v1.1.0 starts an iteration at both ends of the window: rate * duration (+1).
    assert iterations + run.count("dropped_iterations") in (20 * 3, 20 * 3 + 1)
    assert iterations == run.standin.calls["discovery"]
    assert completed + failed == iterations
    assert failed == run.standin.failed["quote"] > 0
    assert run.count("failed_transactions{phase:quote}") == failed
    assert run.count("failed_transactions{phase:discovery}") == 0
    assert run.count("failed_transactions{phase:transfer}") == 0
    assert run.standin.calls["transfer"] == completed


def test_success_rate_matches_counts(quote_failures):
    run = quote_failures
    rate = run.metrics["success_rate"]["values"]
    assert rate["passes"] == run.count("completed_transactions")
    assert rate["fails"] == run.count("failed_transactions")
    assert rate["rate"] == pytest.approx(rate["passes"] / run.count("iterations"))


def test_trends_cover_successful_phases(quote_failures):
    run = quote_failures
    iterations, completed = run.count("iterations"), run.count("completed_transactions")
    expected = {
        "discovery_time": iterations,
        "quote_time": iterations - run.standin.failed["quote"],
        "transfer_time": completed,
        "e2e_time": completed,
    }
    for metric, count in expected.items():
        values = run.metrics[metric]["values"]
        assert run.metrics[metric]["contains"] == "time"
        assert values["count"] == count, metric
        assert {"p(50)", "p(95)", "p(99)", "avg", "max"} <= values.keys(), metric


def test_thresholds_decide_exit_code_and_show_in_text(quote_failures):
    run = quote_failures
    assert run.proc.returncode == 99, run.proc.stderr  # rate>0.99 fails with 20 % failures
    assert run.metrics["success_rate"]["thresholds"] == {
        "rate>0.5": {"ok": True},
        "rate>0.99": {"ok": False},
    }
    assert "✓ success_rate rate>0.5" in run.text
    assert "✗ success_rate rate>0.99" in run.text
    assert "✓ e2e_time p(95)<2000" in run.text


def test_text_summary_on_stdout_and_file(quote_failures):
    run = quote_failures
    assert run.text in run.proc.stdout
    failed = run.standin.failed["quote"]
    assert f"failed        {failed} (discovery 0, quote {failed}, transfer 0)" in run.text
    assert f"iterations    {run.count('iterations')} " in run.text
    for label in ("discovery", "quote", "transfer", "end-to-end", "achieved TPS"):
        assert label in run.text


def test_summary_json_goes_to_stdout_only_when_asked(quote_failures, other_failures):
    from mojaloop_perf.results import k6_summary

    assert k6_summary.summary_from_log(quote_failures.proc.stdout) is None
    assert k6_summary.summary_from_log(other_failures.proc.stdout) == other_failures.summary
    assert other_failures.text in other_failures.proc.stdout


def test_trends_report_the_quantile_grid(other_failures):
    from mojaloop_perf.results import k6_summary

    values = other_failures.metrics["e2e_time"]["values"]
    grid = [values[f"p({q:g})"] for q in k6_summary.QUANTILE_GRID]
    assert grid == sorted(grid) and values["min"] <= grid[0] and grid[-1] <= values["max"]


def test_requests_follow_the_contract(quote_failures):
    run = quote_failures
    span_ids = set()
    traces = defaultdict(list)
    for req in run.standin.requests:
        assert req["match"], req["path"]
        headers = {k.lower(): v for k, v in req["headers"].items()}
        assert headers["content-type"] == "application/json"
        assert headers["accept"] == "application/json"
        trace = TRACEPARENT_RE.match(headers["traceparent"])
        assert trace, headers["traceparent"]
        assert trace[2] not in span_ids
        span_ids.add(trace[2])
        traces[trace[1]].append(req)
    assert len(traces) == run.count("iterations")
    for requests in traces.values():
        check_transaction(run.standin, requests)
    used = {
        (reqs[0]["match"]["fsp"], dfsp_of(reqs[0]["match"]["msisdn"])) for reqs in traces.values()
    }
    assert used == {(s, d) for s, d, _ in PAIRS}


def check_transaction(standin: StandIn, requests: list[dict]) -> None:
    """One trace = lookup, quote and (unless the quote failed) transfer, all via the payer DFSP."""
    kinds = [r["match"]["call"] or "parties" for r in requests]
    assert kinds in (["parties", "quotes"], ["parties", "quotes", "simpleTransfers"]), kinds
    source = requests[0]["match"]["fsp"]
    assert all(r["match"]["fsp"] == source for r in requests)
    payee = requests[0]["match"]["msisdn"]
    dest = dfsp_of(payee)
    assert (source, dest) in {(s, d) for s, d, _ in PAIRS}

    quote = requests[1]["body"]
    assert quote["fspId"] == dest
    q = quote["quotesPostRequest"]
    assert UUID_RE.match(q["quoteId"]) and UUID_RE.match(q["transactionId"])
    assert q["payee"] == {
        "partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": payee, "fspId": dest}
    }
    payer = q["payer"]["partyIdInfo"]
    assert payer["partyIdType"] == "MSISDN" and payer["fspId"] == source
    assert in_range(payer["partyIdentifier"], source)
    assert q["amountType"] == "SEND"
    assert q["amount"] == {"currency": "XXX", "amount": "1"}
    assert q["transactionType"] == {
        "scenario": "TRANSFER",
        "initiator": "PAYER",
        "initiatorType": "CONSUMER",
    }

    if len(requests) == 3:
        transfer = requests[2]["body"]
        assert transfer["fspId"] == dest
        t = transfer["transfersPostRequest"]
        terms = standin.quotes[f"ilp-{q['quoteId']}"]
        # The payee's SDK finds its quote by the transfer's id: the quote's transactionId.
        assert t == {
            "transferId": q["transactionId"],
            "payeeFsp": dest,
            "payerFsp": source,
            "amount": {"currency": "XXX", "amount": "1"},
            "ilpPacket": terms["ilpPacket"],
            "condition": terms["condition"],
            "expiration": terms["expiration"],
        }


def test_failures_are_counted_at_the_failing_phase(other_failures):
    run = other_failures
    standin = run.standin
    assert standin.failed["discovery"] > 0 and standin.failed["transfer"] > 0
    assert run.count("failed_transactions{phase:discovery}") == standin.failed["discovery"]
    assert run.count("failed_transactions{phase:quote}") == 0
    assert run.count("failed_transactions{phase:transfer}") == standin.failed["transfer"]
    # A transaction that failed discovery never asked for a quote.
    assert standin.calls["quote"] == standin.calls["discovery"] - standin.failed["discovery"]
    assert standin.calls["transfer"] == standin.calls["quote"]
    completed = run.count("completed_transactions")
    assert completed == standin.calls["transfer"] - standin.failed["transfer"]
    assert completed + run.count("failed_transactions") == run.count("iterations")
    assert run.proc.returncode == 0, run.proc.stderr


def test_unreachable_dfsps_fail_at_discovery_with_default_summary_paths(tmp_path):
    config = make_config(placeholder_urls(), tps=5, duration_s=1, http_timeout_s=1, thresholds={})
    proc = k6(["run", "--quiet", str(SCRIPT)], config, tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "k6-summary.json").read_text())
    text = (tmp_path / "k6-summary.txt").read_text()
    counts = {name: m["values"].get("count") for name, m in summary["metrics"].items()}
    assert counts["failed_transactions{phase:discovery}"] == counts["iterations"] > 0
    assert counts.get("completed_transactions", 0) == 0 and counts.get("quote_time", 0) == 0
    assert summary["metrics"]["success_rate"]["values"]["rate"] == 0
    assert "success rate  0.00 %" in text
    assert re.search(r"quote +- +- +- +- +- +0\n", text), text


@pytest.fixture(scope="module")
def steady_run(tmp_path_factory) -> Run:
    """20 TPS for 4 s with 1 s of warm-up and 1 s of drain: a 2 s steady window."""
    return run_k6(tmp_path_factory.mktemp("steady"), {}, duration_s=4, warmup_s=1, drain_s=1)


def test_steady_window_is_a_slice_of_the_run(steady_run: Run) -> None:
    total = steady_run.count("completed_transactions")
    steady = steady_run.count("completed_transactions{steady:true}")
    # Transactions start at a constant rate, so the 2 s window holds about half of the 4 s run.
    assert 0.4 * total <= steady <= 0.6 * total
    assert steady_run.count("e2e_time{steady:true}") == steady
    for trend in ("discovery_time", "quote_time", "transfer_time", "e2e_time"):
        values = steady_run.metrics[f"{trend}{{steady:true}}"]["values"]
        assert {"p(50)", "p(95)", "p(99)"} <= set(values)
    assert steady_run.summary["mlperf"] == {
        "targetTps": 20,
        "warmupS": 1,
        "drainS": 1,
        "steadyS": 2,
        "forcedThresholds": steady_run.summary["mlperf"]["forcedThresholds"],
    }


def test_forced_thresholds_stay_out_of_the_text_summary(steady_run: Run) -> None:
    forced = steady_run.summary["mlperf"]["forcedThresholds"]
    assert "e2e_time{steady:true} max>=0" in forced
    assert "failed_transactions{phase:quote} count>=0" in forced
    assert "steady:true" not in steady_run.text.split("thresholds", 1)[1]
    assert "✓ success_rate rate>0.5" in steady_run.text
    assert "steady state (2.0 s: 1 s warm-up and 1 s drain left out)" in steady_run.text


def test_a_window_longer_than_the_run_is_refused(tmp_path) -> None:
    config = make_config(placeholder_urls(), duration_s=3, warmup_s=2, drain_s=1)
    proc = k6(["run", "--quiet", str(SCRIPT)], config, tmp_path)
    assert proc.returncode != 0
    assert "MOJALOOP_PERF_CONFIG.warmup_s: warmup_s 2 + drain_s 1 leave no steady window" in (
        proc.stdout + proc.stderr
    ).replace('\\"', '"')
