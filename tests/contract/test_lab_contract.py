"""The lab's outbound answers, judged by Mojaloop's own packages (sdk_check.js).

A tour drives the lab through every case of the table in docs/local-lab.md — success, each
error from the switch or the payee, each injected fault, request validation — and a corpus of
mutated requests probes the validator. Then, with the SDK's packages:

- every JSON answer must fit the SDK outbound API's response schema for its operation and status
  (or the shape the SDK's validator and error handler build, where the spec declares none);
- the lab must refuse (400) exactly the requests the SDK's validator refuses;
- every quote's ILP packet and condition must be byte-identical to what the SDK's own ILP code
  makes from the same quote and secret, and every fulfilment must be the SDK's;
- the lab's table of currency decimals and its copy of the request schemas must be the packages'.

The networked lab (``hops: http``, here in mutual TLS with JWS) is held to the same response
schemas and validator decisions, its answers recorded at the client.
"""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mojaloop_perf.lab import Lab, LabConfig, start_lab
from mojaloop_perf.lab.clock import now_iso
from mojaloop_perf.lab.config import DfspConfig
from mojaloop_perf.lab.currencies import CURRENCY_DECIMALS
from mojaloop_perf.lab.faults import Faults, PhaseFaults
from mojaloop_perf.lab.posture import LabJws, LabSecurity
from mojaloop_perf.security import pki
from tests.contract import sdk
from tests.contract.recording import (
    Exchange,
    Recorder,
    ilp_cases,
    lab_config,
    request_case,
    response_case,
)

REPO = Path(__file__).resolve().parents[2]
PAYER, PAYEE, SPARE = "fsp201", "fsp202", "fsp203"
SECRETS = {PAYER: "payer-secret", PAYEE: "Quaixohyaesahju3thivuiChai5cahng", SPARE: "spare"}


def quote_body(amount: Any = "10.5", currency: str = "XXX", **changes: Any) -> dict[str, Any]:
    request = {
        "quoteId": str(uuid.uuid4()),
        "transactionId": str(uuid.uuid4()),
        "payee": {
            "partyIdInfo": {
                "partyIdType": "MSISDN",
                "partyIdentifier": "25620200005",
                "fspId": PAYEE,
            }
        },
        "payer": {
            "partyIdInfo": {
                "partyIdType": "MSISDN",
                "partyIdentifier": "25620100001",
                "fspId": PAYER,
            },
            "name": "Amani Banda",
            "personalInfo": {"complexName": {"firstName": "Amani", "lastName": "Banda"}},
        },
        "amountType": "SEND",
        "amount": {"currency": currency, "amount": amount},
        "transactionType": {
            "scenario": "TRANSFER",
            "initiator": "PAYER",
            "initiatorType": "CONSUMER",
        },
        "note": "contract",
    }
    request.update(changes)
    return {"fspId": PAYEE, "quotesPostRequest": request}


def transfer_body(quote: dict[str, Any], terms: dict[str, Any], **changes: Any) -> dict[str, Any]:
    request = {
        "transferId": quote["quotesPostRequest"]["transactionId"],
        "payeeFsp": PAYEE,
        "payerFsp": PAYER,
        "amount": terms["transferAmount"],
        "ilpPacket": terms["ilpPacket"],
        "condition": terms["condition"],
        "expiration": terms["expiration"],
    }
    request.update(changes)
    return {"fspId": PAYEE, "transfersPostRequest": request}


def mutations(body: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(label, mutated copy of the whole body) for every field: gone, retyped, emptied, mangled."""
    node = body
    for key in path:
        node = node[key]
    if isinstance(node, dict):
        for key in node:
            yield from mutations(body, (*path, key))
    if not path:
        return
    replacements = {
        "removed": ...,
        "null": None,
        "number": 12,
        "boolean": True,
        "object": {"a": "b"},
        "array": ["x"],
        "empty": "",
        "long": "x" * 200,
        "odd": "NOT-valid!",
        "digits": "12345",
    }
    for label, value in replacements.items():
        mutated = copy.deepcopy(body)
        parent = mutated
        for key in path[:-1]:
            parent = parent[key]
        if value is ...:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        yield f"{'.'.join(path)} {label}", mutated


async def tour(recorder: Recorder) -> Lab:
    """Every case of the docs table, and the mutation corpus, through a recording lab."""
    faults = Faults(
        seed=11, discovery=PhaseFaults(switch_5xx=0.2, payee_timeout=0.2, payee_reject=0.2)
    )
    lab = Lab([PAYER, PAYEE, SPARE], secrets=SECRETS, faults=faults, timeout_s=0.05)
    running = await start_lab(
        lab_config([PAYER, PAYEE, SPARE], 0.05), lab, middlewares=[recorder.middleware]
    )
    try:
        async with aiohttp.ClientSession() as session:

            async def admin(path: str, body: dict[str, Any]) -> None:
                async with session.put(running.admin_url + path, json=body) as response:
                    assert response.status in (200, 201)

            async def call(fsp: str, method: str, path: str, body: Any = None, **kw: Any) -> Any:
                url = running.outbound_url(fsp) + path
                if body is not None:
                    kw["json"] = body
                async with session.request(method, url, **kw) as response:
                    text = await response.text()
                    return json.loads(text) if text.startswith(("{", "[")) else text

            await admin(f"/admin/participants/{PAYER}", {"currency": "XXX", "ndc": "1000"})
            await admin(f"/admin/participants/{PAYEE}", {"currency": "XXX", "ndc": "1000"})
            await admin(
                f"/admin/participants/{PAYEE}/msisdns", {"start": "25620200000", "count": 100}
            )

            for path in (
                "/parties/MSISDN/25620200005",
                "/parties/MSISDN/25620200006/savings",
                "/parties/MSISDN/25629999999",
                "/parties/EMAIL/someone@example.org",
                "/nowhere",
            ):
                for _ in range(6):  # faults are drawn at random: some of each
                    await call(PAYER, "GET", path)
            await call(SPARE, "GET", "/parties/MSISDN/25620200005")  # payer unknown: timeout

            for amount in ("1", "10.5", "0", 12, "999999999999999999.9999"):
                quote = quote_body(amount)
                answer = await call(PAYER, "POST", "/quotes", quote)
                terms = answer["quotes"]["body"]
                await call(PAYER, "POST", "/simpleTransfers", transfer_body(quote, terms))
            quote = quote_body("2")
            terms = (await call(PAYER, "POST", "/quotes", quote))["quotes"]["body"]
            await call(PAYER, "POST", "/simpleTransfers", transfer_body(quote, terms))  # committed
            await call(PAYER, "POST", "/simpleTransfers", transfer_body(quote, terms))  # resend
            await call(
                PAYER,
                "POST",
                "/simpleTransfers",
                transfer_body(quote, terms, amount={"currency": "XXX", "amount": "3"}),
            )
            await call(
                PAYER,
                "POST",
                "/simpleTransfers",
                transfer_body(quote, terms, transferId=str(uuid.uuid4())),
            )
            await call(
                PAYER,
                "POST",
                "/simpleTransfers",
                transfer_body(quote, terms, expiration="2020-01-01T00:00:00.000Z"),
            )
            await call(
                PAYER,
                "POST",
                "/simpleTransfers",
                transfer_body(quote, terms, payerFsp=SPARE, transferId=str(uuid.uuid4())),
            )
            big = quote_body("5000")
            big_terms = (await call(PAYER, "POST", "/quotes", big))["quotes"]["body"]
            await call(PAYER, "POST", "/simpleTransfers", transfer_body(big, big_terms))  # 4200
            await call(PAYER, "POST", "/quotes", {**quote_body(), "fspId": SPARE})  # 3201
            await call(PAYER, "POST", "/quotes", quote_body(currency="GGP"))  # 3201 (currency)

            for template in (
                quote_body(),
                transfer_body(quote, {**terms, "expiration": now_iso(600)}),
            ):
                path = "/quotes" if "quotesPostRequest" in template else "/simpleTransfers"
                for _, mutated in mutations(template):
                    await call(PAYER, "POST", path, mutated)
    finally:
        await running.close()
    return lab


@pytest.fixture(scope="module")
def toured() -> tuple[list[Exchange], Lab]:
    recorder = Recorder()
    lab = asyncio.run(tour(recorder))
    return recorder.exchanges, lab


@pytest.fixture(scope="module")
def judged(toured: tuple[list[Exchange], Lab]) -> dict[str, Any]:
    exchanges, _ = toured
    cases = [request_case(e, f"request {n}") for n, e in enumerate(exchanges)]
    cases += [
        response_case(e, f"response {n}")
        for n, e in enumerate(exchanges)
        if isinstance(e.response, dict)
    ]
    results = {r["id"]: r for r in sdk.check(cases)}
    bodies = [results[f"request {n}"].get("coerced", e.request) for n, e in enumerate(exchanges)]
    ilp = sdk.check(ilp_cases(exchanges, SECRETS, bodies, "exchange "))
    return {"results": results, "ilp": ilp}


def test_the_tour_covers_every_outcome_of_the_docs_table(
    toured: tuple[list[Exchange], Lab],
) -> None:
    _, lab = toured
    phases = lab.ledger.view()["phases"]
    assert {"ok", "3200", "3204", "timeout", "refused 503"} <= set(phases["discovery"]["outcomes"])
    assert {"ok", "3201", "invalid request"} <= set(phases["quote"]["outcomes"])
    assert {"ok", "2001", "3100", "3106", "4200", "invalid request"} <= set(
        phases["transfer"]["outcomes"]
    )
    assert set(phases["discovery"]["injected"]) == {"switch_5xx", "payee_timeout", "payee_reject"}


def test_every_answer_fits_the_sdks_schemas(judged: dict[str, Any]) -> None:
    bad = [
        f"{r['id']}: {'; '.join(r['problems'])}"
        for r in judged["results"].values()
        if r["id"].startswith("response") and not r["ok"]
    ]
    assert not bad, "\n".join(bad[:20])


def test_the_lab_refuses_exactly_what_the_sdks_validator_refuses(
    toured: tuple[list[Exchange], Lab], judged: dict[str, Any]
) -> None:
    exchanges, _ = toured
    disagreements = []
    for n, exchange in enumerate(exchanges):
        sdk_result = judged["results"][f"request {n}"]
        lab_refused = exchange.status == 400
        if sdk_result["ok"] == lab_refused:
            disagreements.append(
                f"{exchange.method} {exchange.path} {exchange.request_text[:120]}: SDK "
                f"{'accepts' if sdk_result['ok'] else 'refuses'} "
                f"({'; '.join(sdk_result['problems'][:2])}), lab answered {exchange.status}"
            )
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(
        disagreements[:20]
    )
    refused = sum(1 for e in exchanges if e.status == 400)
    assert refused > 100  # the corpus did probe the validator


def test_ilp_packets_conditions_and_fulfilments_are_the_sdks(judged: dict[str, Any]) -> None:
    results = judged["ilp"]
    kinds = {r["id"].rsplit(" ", 1)[-1] for r in results}
    assert kinds == {"ILP", "fulfilment"} and len(results) >= 10
    bad = [f"{r['id']}: {'; '.join(r['problems'])}" for r in results if not r["ok"]]
    assert not bad, "\n".join(bad)


def test_the_currency_table_is_the_sdks() -> None:
    (result,) = sdk.check([{"id": "table", "kind": "currency_table"}])
    assert result["table"] == CURRENCY_DECIMALS


def test_the_labs_request_schemas_are_the_packages_export() -> None:
    script = REPO / "tests" / "contract" / "export_sdk_schemas.js"
    exported = subprocess.run(
        ["node", str(script)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    committed = (REPO / "mojaloop_perf" / "lab" / "sdk_outbound_requests.json").read_text()
    assert json.loads(exported) == json.loads(committed), (
        "mojaloop_perf/lab/sdk_outbound_requests.json is stale: "
        "node tests/contract/export_sdk_schemas.js > mojaloop_perf/lab/sdk_outbound_requests.json"
    )


# -- hops: http: the same contract for the networked lab, under mutual TLS and JWS -------------


async def http_tour(pki_dir: Path) -> tuple[list[Exchange], dict[str, Any]]:
    """Every kind of answer of the docs table, from the networked lab, recorded at the client
    (the outbound APIs run in other processes): successes, the hub's and the payee's error
    callbacks, the injected faults, a timeout and the validator's refusals."""
    faults = Faults(
        seed=11, discovery=PhaseFaults(switch_5xx=0.2, payee_timeout=0.2, payee_reject=0.2)
    )
    security = LabSecurity("mutual", "end_to_end", LabJws(True, True, True), pki_dir)
    config = LabConfig(
        "127.0.0.1",
        0,
        tuple(DfspConfig(f, 0, 0) for f in (PAYER, PAYEE, SPARE)),
        "contract",
        timeout_s=0.3,
        faults=faults,
        hops="http",
        security=security,
    )
    running = await start_lab(config)
    exchanges: list[Exchange] = []
    try:
        async with aiohttp.ClientSession() as session:

            async def admin(path: str, body: dict[str, Any]) -> None:
                async with session.put(running.admin_url + path, json=body) as response:
                    assert response.status in (200, 201)

            async def call(fsp: str, method: str, path: str, body: Any = None) -> Any:
                data = json.dumps(body) if body is not None else ""
                url = running.outbound_url(fsp) + path
                headers = {"Content-Type": "application/json"} if body is not None else {}
                async with session.request(method, url, data=data, headers=headers) as response:
                    text = await response.text()
                exchanges.append(
                    Exchange(fsp, method, path, "application/json", data, {}, response.status, text)
                )
                return json.loads(text) if text.startswith(("{", "[")) else text

            await admin(f"/admin/participants/{PAYER}", {"currency": "XXX", "ndc": "1000"})
            await admin(f"/admin/participants/{PAYEE}", {"currency": "XXX", "ndc": "1000"})
            await admin(
                f"/admin/participants/{PAYEE}/msisdns", {"start": "25620200000", "count": 100}
            )
            for path in (
                "/parties/MSISDN/25620200005",
                "/parties/MSISDN/25620200006/savings",
                "/parties/MSISDN/25629999999",
            ):
                for _ in range(6):  # faults are drawn at random: some of each
                    await call(PAYER, "GET", path)
            quote = quote_body("2")
            terms = (await call(PAYER, "POST", "/quotes", quote))["quotes"]["body"]
            await call(PAYER, "POST", "/simpleTransfers", transfer_body(quote, terms))  # committed
            await call(PAYER, "POST", "/simpleTransfers", transfer_body(quote, terms))  # resend
            await call(
                PAYER,
                "POST",
                "/simpleTransfers",
                transfer_body(quote, terms, amount={"currency": "XXX", "amount": "3"}),
            )  # 3106
            await call(
                PAYER,
                "POST",
                "/simpleTransfers",
                transfer_body(quote, terms, transferId=str(uuid.uuid4())),
            )  # the payee's 2001
            big = quote_body("5000")
            big_terms = (await call(PAYER, "POST", "/quotes", big))["quotes"]["body"]
            await call(PAYER, "POST", "/simpleTransfers", transfer_body(big, big_terms))  # 4200
            await call(PAYER, "POST", "/quotes", {**quote_body(), "fspId": SPARE})  # 3201
            for _, mutated in list(mutations(quote_body()))[:40]:
                await call(PAYER, "POST", "/quotes", mutated)
            async with session.get(running.admin_url + "/admin/ledger") as response:
                ledger = await response.json()
    finally:
        await running.close()
    return exchanges, ledger


@pytest.fixture(scope="module")
def http_toured(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Exchange], dict[str, Any]]:
    directory = tmp_path_factory.mktemp("contract-pki") / "pki"
    pki.generate(directory, [PAYER, PAYEE, SPARE], hosts=["127.0.0.1", "localhost"])
    return asyncio.run(http_tour(directory))


def test_the_networked_labs_answers_fit_the_same_contract(
    http_toured: tuple[list[Exchange], dict[str, Any]],
) -> None:
    exchanges, ledger = http_toured
    phases = ledger["phases"]
    assert {"ok", "3200", "3204", "timeout", "refused 503"} <= set(phases["discovery"]["outcomes"])
    assert {"ok", "3201", "invalid request"} <= set(phases["quote"]["outcomes"])
    assert {"ok", "2001", "3106", "4200"} <= set(phases["transfer"]["outcomes"])
    cases = [request_case(e, f"request {n}") for n, e in enumerate(exchanges)]
    cases += [
        response_case(e, f"response {n}")
        for n, e in enumerate(exchanges)
        if isinstance(e.response, dict)
    ]
    results = {r["id"]: r for r in sdk.check(cases)}
    bad = [
        f"{r['id']}: {'; '.join(r['problems'])}"
        for r in results.values()
        if r["id"].startswith("response") and not r["ok"]
    ]
    assert not bad, "\n".join(bad[:20])
    disagreements = [
        f"{e.method} {e.path} {e.request_text[:80]}: lab {e.status}"
        for n, e in enumerate(exchanges)
        if results[f"request {n}"]["ok"] == (e.status == 400)
    ]
    assert not disagreements, "\n".join(disagreements[:20])
