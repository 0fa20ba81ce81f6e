"""The smoke test against a real local lab: one transfer through, and the failures it names;
the AWS smoke stage's wiring (seed first, then through the tunnels)."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from mojaloop_perf import render
from mojaloop_perf import smoke as smoke_module
from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.runner import HttpCall, Runner, send_json
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.smoke import smoke
from mojaloop_perf.targets import aws, aws_access, aws_deployed, local, stage_function
from mojaloop_perf.targets.base import StageContext

pytestmark = pytest.mark.usefixtures("stop_labs")

LATENCY = re.compile(r"^smoke: (discovery|quote|transfer) [\d.]+ ms \(")


@pytest.fixture
def lab(checkout: Project, small_scenario: Callable[..., str]) -> Scenario:
    """A deployed and seeded local lab for a small scenario (stopped by `stop_labs`)."""
    scenario = load_scenario(checkout, small_scenario("smoke"))
    lines: list[str] = []
    ctx = StageContext(checkout, scenario, "local", Runner(echo=lines.append), lines.append)
    local.provision(ctx)
    local.deploy(ctx)
    local.seed_lab(ctx)
    return scenario


def test_one_transfer_goes_through_the_local_lab(lab: Scenario) -> None:
    lines: list[str] = []
    runner = Runner(echo=lines.append)
    result = smoke(runner, lines.append, lab, render.local_outbound_urls(lab))

    assert result is not None
    pair = lab.load.pairs[0]
    assert (result.payer, result.payee) == (pair.source, pair.dest)
    assert result.msisdn == lab.dfsp(pair.dest).msisdns.at(0)
    assert [line.split()[1] for line in lines if LATENCY.match(line)] == [
        "discovery",
        "quote",
        "transfer",
    ]
    assert set(result.latency_ms) == {"discovery", "quote", "transfer"}
    assert lines[-1].startswith(f"smoke: passed, one transfer {pair.source} → {pair.dest} in ")

    # The lab committed exactly this transfer, for the scenario's amount.
    record = send_json(
        HttpCall("GET", f"{render.lab_admin_url(lab)}/admin/transfers/{result.transfer_id}")
    )
    assert record.status == 200
    assert record.body["transferState"] == "COMMITTED"
    assert (record.body["payerFsp"], record.body["payeeFsp"]) == (pair.source, pair.dest)
    assert record.body["amount"] == {"currency": lab.currency, "amount": lab.load.amount}


def test_requests_carry_the_k6_bodies(lab: Scenario) -> None:
    runner = Runner(echo=lambda _: None)
    result = smoke(
        runner, lambda _: None, lab, render.local_outbound_urls(lab).get, lambda _: {"X-Probe": "1"}
    )
    assert result is not None
    discovery, quote, transfer = runner.plan
    base = render.local_outbound_urls(lab)[result.payer]
    assert (discovery.method, discovery.url) == ("GET", f"{base}/parties/MSISDN/{result.msisdn}")
    money = {"currency": lab.currency, "amount": lab.load.amount}
    q = quote.body["quotesPostRequest"]
    assert quote.url == f"{base}/quotes" and quote.body["fspId"] == result.payee
    assert set(q) == {
        "quoteId",
        "transactionId",
        "payee",
        "payer",
        "amountType",
        "amount",
        "transactionType",
    }
    assert q["payee"]["partyIdInfo"] == {
        "partyIdType": "MSISDN",
        "partyIdentifier": result.msisdn,
        "fspId": result.payee,
    }
    assert q["payer"]["partyIdInfo"]["fspId"] == result.payer
    assert (q["amountType"], q["amount"]) == ("SEND", money)
    assert q["transactionType"] == {
        "scenario": "TRANSFER",
        "initiator": "PAYER",
        "initiatorType": "CONSUMER",
    }
    t = transfer.body["transfersPostRequest"]
    assert transfer.url == f"{base}/simpleTransfers" and transfer.body["fspId"] == result.payee
    assert t["transferId"] == result.transfer_id
    assert (t["payeeFsp"], t["payerFsp"], t["amount"]) == (result.payee, result.payer, money)
    assert {"ilpPacket", "condition", "expiration"} <= set(t)
    # One W3C trace for the transaction, a new span per request; the caller's headers kept.
    traces = [call.headers["traceparent"].split("-") for call in runner.plan]
    assert len({trace[1] for trace in traces}) == 1 and len({trace[2] for trace in traces}) == 3
    assert all(call.headers["X-Probe"] == "1" for call in runner.plan)


def test_an_unregistered_msisdn_fails_the_discovery_with_one_line(lab: Scenario) -> None:
    lines: list[str] = []
    runner = Runner(echo=lines.append)
    with pytest.raises(UserError) as failure:
        smoke(runner, lines.append, lab, render.local_outbound_urls(lab), payee_msisdn="999")
    message = str(failure.value)
    pair = lab.load.pairs[0]
    assert message.startswith("smoke: discovery failed after ") and message.endswith(
        f"ms (MSISDN 999 via {pair.source}, expected at {pair.dest}): "
        "HTTP 404, currentState COMPLETED, 3204 Party not found"
    )
    assert "\n" not in message
    assert len(runner.plan) == 1  # no quote, no transfer
    assert not any(LATENCY.match(line) for line in lines)


def test_an_unreachable_outbound_api_is_named(lab: Scenario) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/sim/x/outbound"
    with pytest.raises(
        UserError,
        match=rf"^smoke: discovery failed: the outbound API of \w+ at "
        rf"{re.escape(url)} is not reachable \(connection refused\)$",
    ):
        smoke(Runner(echo=lambda _: None), lambda _: None, lab, lambda _: url)


def test_dry_run_prints_the_three_requests_and_sends_nothing(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    scenario = load_scenario(checkout, small_scenario("dry"))
    lines: list[str] = []
    runner = Runner(dry_run=True, echo=lines.append)
    # No lab runs: a request actually sent would fail to connect.
    assert smoke(runner, lines.append, scenario, render.local_outbound_urls(scenario)) is None
    curls = [line for line in lines if line.startswith("[dry-run] curl")]
    assert len(curls) == 3
    assert "/parties/MSISDN/" in curls[0] and curls[1].count("/quotes") == 1
    assert "/simpleTransfers" in curls[2] and "<ilpPacket of the quote>" in curls[2]


def test_a_party_found_at_another_dfsp_fails_the_discovery(lab: Scenario) -> None:
    pair = lab.load.pairs[0]
    elsewhere = lab.dfsp(pair.source).msisdns.at(1)  # the payer's own customer
    with pytest.raises(UserError, match=rf"HTTP 200, the party is at {pair.source}$"):
        smoke(
            Runner(echo=lambda _: None),
            lambda _: None,
            lab,
            render.local_outbound_urls(lab),
            payee_msisdn=elsewhere,
        )


def test_the_aws_smoke_needs_seed_then_goes_through_the_tunnels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded: dict[str, object] = {}
    ctx = SimpleNamespace(
        dry_run=False,
        state=SimpleNamespace(get=seeded.get),
        invoke_hint=lambda stage: f"`invoke {stage} --target aws`",
        runner="runner",
        echo="echo",
        scenario="scenario",
    )
    monkeypatch.setattr(aws_deployed, "require_deployed", lambda ctx, stage: {})
    monkeypatch.setattr(aws, "preflight", lambda ctx: None)
    ports = SimpleNamespace(
        switch_ingress=18080,
        simulators={"fsp201": 18101},
        url=lambda port: f"http://127.0.0.1:{port}",
    )
    monkeypatch.setattr(aws_access, "tunnel", lambda ctx: contextlib.nullcontext(ports))
    sent: list[tuple[str, dict[str, str]]] = []
    monkeypatch.setattr(
        smoke_module,
        "smoke",
        lambda runner, echo, scenario, url, headers: sent.append(
            (url("fsp201"), headers("fsp201"))
        ),
    )
    aws_smoke = stage_function("aws", "smoke")
    with pytest.raises(
        UserError, match=r"^smoke needs seed first: run `invoke seed --target aws`$"
    ):
        aws_smoke(ctx)
    seeded["seeded"] = {"digest": "d"}
    aws_smoke(ctx)
    assert sent == [("http://127.0.0.1:18101/sim/fsp201/outbound", {"Host": "sim-fsp201.local"})]
