"""What the k6 script sends, captured from a real k6 run, judged by Mojaloop's own packages.

The real k6 runs the project's script for a few seconds against a recording lab. Every request
it sent must pass the SDK's outbound request validation; every transfer must be the one a real
payee scheme adapter accepts (its transferId is its quote's transactionId, its ILP packet,
condition and expiration are the quote's); every answer must fit the SDK's schemas, and every
ILP packet and fulfilment must be the SDK's. A script that sends a fresh transferId fails here.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from mojaloop_perf import k6 as workspace_k6
from mojaloop_perf.lab import Lab
from tests.contract import sdk
from tests.contract.recording import (
    Exchange,
    LabThread,
    Recorder,
    ilp_cases,
    lab_config,
    request_case,
    response_case,
)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "performance-tests" / "src" / "mojaloop-k6-operator" / "scripts" / "tests.js"
RANGES = {
    "fsp201": "25620100000",
    "fsp202": "25620200000",
    "fsp203": "25620300000",
    "fsp204": "25620400000",
}
PAIRS = [("fsp201", "fsp202"), ("fsp203", "fsp204")]
SECRETS = {fsp: f"secret-of-{fsp}" for fsp in RANGES}
TRACE = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-01$")


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Exchange], dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("k6")
    recorder = Recorder()
    fsp_ids = list(RANGES)
    lab = Lab(fsp_ids, secrets=SECRETS, timeout_s=5)
    with LabThread(lab, lab_config(fsp_ids, 5), recorder) as served:
        for fsp, start in RANGES.items():
            served.admin("PUT", f"/admin/participants/{fsp}", {"currency": "XXX"})
            served.admin(
                "PUT", f"/admin/participants/{fsp}/msisdns", {"start": start, "count": 100}
            )
        assert served.running is not None
        config = {
            "tps": 20,
            "duration_s": 3,
            "pre_allocated_vus": 10,
            "max_vus": 40,
            "currency": "XXX",
            "amount": "1.5",
            "http_timeout_s": 10,
            "pairs": [{"source": s, "dest": d, "weight": 0.5} for s, d in PAIRS],
            "dfsps": {
                fsp: {
                    "outbound_url": served.running.outbound_url(fsp),
                    "msisdn_start": start,
                    "msisdn_count": 100,
                }
                for fsp, start in RANGES.items()
            },
            "thresholds": {"success_rate": ["rate>0.99"]},
        }
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(workdir),
            "MOJALOOP_PERF_CONFIG": workspace_k6.config_env(config),
            "MOJALOOP_PERF_SUMMARY_JSON": str(workdir / "summary.json"),
            "MOJALOOP_PERF_SUMMARY_TXT": str(workdir / "summary.txt"),
        }
        done = subprocess.run(
            [
                str(workspace_k6.find_k6()),
                "run",
                "--quiet",
                "--no-usage-report",
                "--address",
                "127.0.0.1:0",
                str(SCRIPT),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert (workdir / "summary.json").exists(), done.stderr[-2000:]
    return recorder.exchanges, json.loads((workdir / "summary.json").read_text())


def test_every_transaction_completes_against_sdk_faithful_answers(
    captured: tuple[list[Exchange], dict[str, Any]],
) -> None:
    exchanges, summary = captured
    metrics = summary["metrics"]
    iterations = metrics["iterations"]["values"]["count"]
    assert iterations >= 50
    assert metrics["completed_transactions"]["values"]["count"] == iterations
    assert (
        "failed_transactions" not in metrics
        or metrics["failed_transactions"]["values"]["count"] == 0
    )
    assert len(exchanges) == 3 * iterations


def test_every_request_passes_the_sdks_validation(
    captured: tuple[list[Exchange], dict[str, Any]],
) -> None:
    exchanges, _ = captured
    results = sdk.check([request_case(e, f"request {n}") for n, e in enumerate(exchanges)])
    refused = [f"{r['id']}: {'; '.join(r['problems'])}" for r in results if not r["ok"]]
    assert not refused, "\n".join(refused[:10])
    assert not any("coerced" in r for r in results), "k6 relies on the SDK's type coercion"


def test_each_transfer_is_the_one_its_quote_promised(
    captured: tuple[list[Exchange], dict[str, Any]],
) -> None:
    """Transactions are told apart by the trace id the script gives all three requests."""
    exchanges, _ = captured
    by_trace: dict[str, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        trace = TRACE.match(exchange.headers["traceparent"])
        assert trace, exchange.headers["traceparent"]
        by_trace[trace[1]].append(exchange)
    for trace, (discovery, quote, transfer) in by_trace.items():
        assert [e.path.split("/")[1] for e in (discovery, quote, transfer)] == [
            "parties",
            "quotes",
            "simpleTransfers",
        ], trace
        asked = quote.request["quotesPostRequest"]
        terms = quote.response["quotes"]["body"]
        sent = transfer.request["transfersPostRequest"]
        assert sent["transferId"] == asked["transactionId"] != asked["quoteId"]
        assert (sent["ilpPacket"], sent["condition"], sent["expiration"]) == (
            terms["ilpPacket"],
            terms["condition"],
            terms["expiration"],
        )
        assert sent["amount"] == asked["amount"] == {"currency": "XXX", "amount": "1.5"}
        assert transfer.request["fspId"] == quote.request["fspId"] == sent["payeeFsp"]


def test_every_answer_and_ilp_value_is_the_sdks(
    captured: tuple[list[Exchange], dict[str, Any]],
) -> None:
    exchanges, _ = captured
    cases = [response_case(e, f"response {n}") for n, e in enumerate(exchanges)]
    cases += ilp_cases(exchanges, SECRETS, [e.request for e in exchanges], "k6 ")
    results = sdk.check(cases)
    assert sum(r["id"].endswith("fulfilment") for r in results) == len(exchanges) // 3
    bad = [f"{r['id']}: {'; '.join(r['problems'])}" for r in results if not r["ok"]]
    assert not bad, "\n".join(bad[:10])
