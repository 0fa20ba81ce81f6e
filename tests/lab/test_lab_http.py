"""The networked lab (``hops: http``): the switch and each DFSP as processes exchanging FSPIOP.

A whole transaction goes through real processes under every posture; faults are injected by the
switch and the admin API's ledger is the merge of every process's; the DFSPs stop with the lab.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mojaloop_perf.lab import ilp, parse_config
from mojaloop_perf.lab.faults import Faults, PhaseFaults
from mojaloop_perf.lab.posture import LabJws, LabSecurity
from mojaloop_perf.targets import local_gate

PAYER, PAYEE = "fsp201", "fsp202"
JWS_ALL = LabJws(sign=True, validate=True, put_parties=True)
POSTURES: dict[str, tuple[str, str, LabJws]] = {
    "plaintext": ("none", "edge", LabJws()),
    "tls-edge": ("tls", "edge", LabJws()),
    "mtls-edge": ("mutual", "edge", LabJws()),
    "tls-end_to_end": ("tls", "end_to_end", LabJws()),
    "mtls-end_to_end": ("mutual", "end_to_end", LabJws()),
    "jws": ("none", "edge", JWS_ALL),
    "mtls-jws": ("mutual", "end_to_end", JWS_ALL),
}


def posture(name: str, pki_dir: Path) -> LabSecurity:
    tls, scope, jws = POSTURES[name]
    security = LabSecurity(tls, scope, jws, pki_dir)
    return security if security.needs_pki else LabSecurity()


@pytest.mark.parametrize("name", list(POSTURES))
def test_a_transaction_crosses_the_processes_under_every_posture(
    lab_env: Any, make_transfer_request: Any, pki_dir: Path, name: str
) -> None:
    async def scenario() -> None:
        async with lab_env(hops="http", security=posture(name, pki_dir), timeout_s=5) as client:
            status, health = await client.admin("GET", "/health")
            pids = health["dfsp_pids"]
            assert health["hops"] == "http" and health["pid"] == os.getpid()
            assert len(set(pids.values())) == 3 and os.getpid() not in pids.values()

            status, party = await client.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")
            assert status == 200, party
            assert party["party"]["body"]["partyIdInfo"]["fspId"] == PAYEE
            assert party["party"]["body"]["name"]  # the payee's answer, across its process
            quote = await client.quote()
            status, answer = await client.outbound(
                PAYER, "POST", "/simpleTransfers", make_transfer_request(quote)
            )
            assert status == 200, answer
            body = answer["transfer"]["body"]
            assert body["transferState"] == "COMMITTED"
            assert ilp.condition_for(body["fulfilment"]) == quote.body["condition"]
            assert answer["transfer"]["headers"]["fspiop-source"] == PAYEE
            assert (await client.participant(PAYER))["position"] == "10.5"
            assert (await client.participant(PAYEE))["position"] == "-10.5"
            status, record = await client.admin(
                "GET", f"/admin/transfers/{quote.request['transactionId']}"
            )
            assert record["transferState"] == "COMMITTED"
            ledger = await client.ledger()
            assert {p: ledger[p]["ok"] for p in ledger} == {
                "discovery": 1,
                "quote": 1,
                "transfer": 1,
            }

    asyncio.run(scenario())


def test_hub_decided_answers_come_back_as_in_process(
    lab_env: Any, make_quote_request: Any, make_transfer_request: Any
) -> None:
    """Errors the switch decides (no party, unknown payee, a resend) reach the payer as callbacks."""

    async def scenario() -> None:
        async with lab_env(hops="http", timeout_s=0.5) as client:
            status, body = await client.outbound(PAYER, "GET", "/parties/MSISDN/25629999999")
            assert (status, body["errorInformation"]["errorCode"]) == (404, "3204")
            status, body = await client.outbound(
                PAYER, "POST", "/quotes", make_quote_request(payee="fsp203")
            )
            info = body["quotes"]["errorInformation"]
            assert (status, info["errorCode"]) == (200, "3201")
            assert (
                info["errorDescription"]
                == "Destination FSP Error - Unsupported participant 'fsp203'"
            )
            quote = await client.quote()
            transfer = make_transfer_request(quote)
            first = await client.outbound(PAYER, "POST", "/simpleTransfers", transfer)
            again = await client.outbound(PAYER, "POST", "/simpleTransfers", transfer)
            assert first[1]["transfer"]["body"] == again[1]["transfer"]["body"]  # from the hub
            status, body = await client.outbound(
                "fsp203", "GET", "/parties/MSISDN/25620200005"
            )  # a requester the switch does not know: no callback, the SDK's timeout
            assert (status, body["message"]) == (500, "Timeout")
            ledger = await client.ledger()
            assert ledger["discovery"]["outcomes"] == {"3204": 1, "timeout": 1}
            assert ledger["transfer"]["outcomes"] == {"ok": 2}

    asyncio.run(scenario())


def _outcome(status: int, body: Any, phase: str) -> str:
    """What the ledger calls an answer, seen from the client (as k6's checks see it)."""
    if status == 500:
        message = body["message"]
        return "timeout" if message == "Timeout" else f"refused {message.rsplit(' ', 1)[-1]}"
    if phase == "discovery":
        return "ok" if status == 200 else body["errorInformation"]["errorCode"]
    if phase == "quote":
        quotes = body["quotes"]
        return "ok" if "body" in quotes else quotes["errorInformation"]["errorCode"]
    transfer = body["transfer"]["body"]
    if "errorInformation" in transfer:
        return transfer["errorInformation"]["errorCode"]
    return "ok" if transfer["transferState"] == "COMMITTED" else transfer["transferState"]


def test_faults_are_injected_by_the_switch_and_the_merged_ledger_counts_them(
    lab_env: Any, make_quote_request: Any, make_transfer_request: Any
) -> None:
    """The local-faults logic over processes: the client's counts pass the validity gate
    against the admin API's ledger, merged from the switch's and every DFSP's."""
    shares = PhaseFaults(switch_5xx=0.08, payee_timeout=0.06, payee_reject=0.08)
    faults = Faults(
        seed=7,
        discovery=shares,
        quote=PhaseFaults(0.08, 0.06, 0.08, slow_share=0.2, slow_ms=20),
        transfer=shares,
    )
    seen: dict[str, Counter[str]] = {p: Counter() for p in local_gate.PHASES}

    async def one(client: Any, n: int) -> None:
        msisdn = f"256202000{n % 100:02d}"
        status, body = await client.outbound(PAYER, "GET", f"/parties/MSISDN/{msisdn}")
        seen["discovery"][outcome := _outcome(status, body, "discovery")] += 1
        if outcome != "ok":
            return
        request = make_quote_request(msisdn)
        status, body = await client.outbound(PAYER, "POST", "/quotes", request)
        seen["quote"][outcome := _outcome(status, body, "quote")] += 1
        if outcome != "ok":
            return
        quote = type(
            "Q", (), {"request": request["quotesPostRequest"], "body": body["quotes"]["body"]}
        )
        status, body = await client.outbound(
            PAYER, "POST", "/simpleTransfers", make_transfer_request(quote)
        )
        seen["transfer"][_outcome(status, body, "transfer")] += 1

    async def scenario() -> dict[str, Any]:
        async with lab_env(hops="http", faults=faults, timeout_s=0.3) as client:
            _, before = await client.admin("GET", "/admin/ledger")
            gate = asyncio.Semaphore(16)

            async def limited(n: int) -> None:
                async with gate:
                    await one(client, n)

            await asyncio.gather(*(limited(n) for n in range(160)))
            _, after = await client.admin("GET", "/admin/ledger")
            return local_gate.during(before, after)

    lab = asyncio.run(scenario())
    figures = {
        "completed": seen["transfer"]["ok"],
        "failed_by_phase": {p: sum(n for o, n in seen[p].items() if o != "ok") for p in seen},
    }
    _, check = local_gate.gate(figures, lab)
    assert check.ok, check.detail
    for phase in local_gate.PHASES:
        counts = lab["phases"][phase]
        assert counts["outcomes"] == dict(seen[phase]), phase
        injected = counts["injected"]
        assert set(injected) >= {"switch_5xx", "payee_timeout", "payee_reject"}, phase
        assert injected["switch_5xx"] == seen[phase]["refused 503"]
        assert injected["payee_timeout"] == seen[phase]["timeout"]
    assert lab["phases"]["quote"]["injected"]["slow"] > 0
    assert seen["discovery"]["3204"] == lab["phases"]["discovery"]["injected"]["payee_reject"]
    assert seen["quote"]["5101"] and seen["transfer"]["5105"]


# -- the processes ----------------------------------------------------------------------------


def _lab_process(tmp_path: Path, extra: dict[str, Any] | None = None) -> subprocess.Popen[str]:
    config = {
        "host": "127.0.0.1",
        "admin_port": 0,
        "config_hash": "abc123",
        "hops": "http",
        "switch_port": 0,
        "dfsps": [
            {"fsp_id": PAYER, "port": 0, "inbound_port": 0},
            {"fsp_id": PAYEE, "port": 0, "inbound_port": 0},
        ],
        **(extra or {}),
    }
    path = tmp_path / "lab.json"
    path.write_text(json.dumps(config))
    return subprocess.Popen(
        [sys.executable, "-m", "mojaloop_perf.lab", "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _health(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    ready = proc.stdout.readline().strip()
    assert ready.startswith("lab ready: admin http://127.0.0.1:") and ready.endswith(", 2 DFSPs")
    admin = ready.removeprefix("lab ready: admin ").split(",")[0]
    with urllib.request.urlopen(f"{admin}/health", timeout=5) as response:
        return json.load(response)  # type: ignore[no-any-return]


def _gone(pids: list[int], within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_dfsp_processes_and_the_lab_exits_0(tmp_path: Path, signum: int) -> None:
    proc = _lab_process(tmp_path)
    try:
        health = _health(proc)
        assert health["pid"] == proc.pid
        children = list(health["dfsp_pids"].values())
        assert len(children) == 2
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and err == ""
    assert _gone(children)


def test_the_dfsp_processes_die_with_a_killed_lab(tmp_path: Path) -> None:
    proc = _lab_process(tmp_path)
    try:
        children = list(_health(proc)["dfsp_pids"].values())
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _gone(children), "DFSP processes outlived the lab"


def test_a_dfsp_that_dies_stops_the_lab_with_one_line(tmp_path: Path) -> None:
    proc = _lab_process(tmp_path)
    try:
        children = _health(proc)["dfsp_pids"]
        os.kill(children[PAYEE], signal.SIGKILL)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert err.splitlines() == [
        f"lab: DFSP {PAYEE} (pid {children[PAYEE]}) exited with code -9; stopped"
    ]
    assert _gone(list(children.values()))


def test_missing_keys_are_a_config_error_before_any_port(tmp_path: Path) -> None:
    security = {"tls": "mutual", "pki_dir": "nowhere"}
    proc = _lab_process(tmp_path, {"security": security})
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and out == ""
    assert err.splitlines() == [
        f"lab: invalid config: security.pki_dir: {tmp_path / 'nowhere' / 'manifest.json'}: "
        "no PKI material here (generate it first)"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hops": "grpc"}, "hops: must be one of in_process, http, got 'grpc'"),
        ({"switch_port": None}, "switch_port: must be an integer port 0-65535, got None"),
        ({"hops": "in_process"}, "switch_port: only with hops: http"),
        ({"security": {"tls": "mtls"}}, "security.tls: must be one of none, tls, mutual"),
        ({"security": {"scope": "end_to_end"}}, "security.scope: end_to_end needs security.tls"),
        ({"security": {"jws": {"sign": 1}}}, "security.jws.sign: must be true or false, got 1"),
        ({"security": {"jws": {"sign": True}}}, "security.pki_dir: needed when TLS or JWS is on"),
        ({"security": {"pin": 1}}, "security.pin: unknown key"),
    ],
)
def test_bad_networked_configs_name_the_field(change: dict[str, Any], message: str) -> None:
    config: dict[str, Any] = {
        "host": "127.0.0.1",
        "admin_port": 0,
        "hops": "http",
        "switch_port": 0,
        "dfsps": [{"fsp_id": PAYER, "port": 0, "inbound_port": 0}],
    }
    config.update(change)
    with pytest.raises(ValueError, match=None) as caught:
        parse_config(config)
    assert message in str(caught.value)


def test_the_in_process_lab_refuses_a_posture_and_inbound_ports() -> None:
    base: dict[str, Any] = {"host": "127.0.0.1", "admin_port": 0}
    with pytest.raises(ValueError, match="security: TLS and JWS need hops: http"):
        parse_config(
            {
                **base,
                "dfsps": [{"fsp_id": PAYER, "port": 0}],
                "security": {"jws": {"sign": True}, "pki_dir": "pki"},
            }
        )
    with pytest.raises(ValueError, match=r"dfsps\[0\].inbound_port: unknown key \(only with hops"):
        parse_config({**base, "dfsps": [{"fsp_id": PAYER, "port": 0, "inbound_port": 1}]})
