"""The per-DFSP outbound API (SDK scheme adapter shapes) on real servers."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

from mlperf.lab import Latency, ilp

PAYER, PAYEE, SPARE = "fsp201", "fsp202", "fsp203"
ISO_MS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def outbound_error(state_field: str, code: str, description: str, status: int) -> dict[str, Any]:
    return {
        "message": description,
        "statusCode": code,
        state_field: {
            "currentState": "ERROR_OCCURRED",
            "lastError": {
                "httpStatusCode": status,
                "mojaloopError": {
                    "errorInformation": {"errorCode": code, "errorDescription": description}
                },
            },
        },
    }


def test_happy_path_discovery_quote_transfer(
    lab_env: Any, make_quote_request: Any, make_transfer_request: Any
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            status, party = await lab.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")
            assert status == 200
            body = party["party"]["body"]
            assert party == {
                "party": {"body": body, "headers": {}},
                "currentState": "COMPLETED",
            }
            assert body["partyIdInfo"] == {
                "partyIdType": "MSISDN",
                "partyIdentifier": "25620200005",
                "fspId": PAYEE,
            }
            names = body["personalInfo"]["complexName"]
            assert set(names) == {"firstName", "lastName"}
            assert body["name"] == f"{names['firstName']} {names['lastName']}"
            again = await lab.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")
            assert again == (200, party)  # deterministic

            request = make_quote_request("25620200005", "10.5")
            status, quote = await lab.outbound(PAYER, "POST", "/quotes", request)
            assert status == 200
            assert set(quote) == {"quotes", "currentState"}
            assert quote["currentState"] == "COMPLETED" and quote["quotes"]["headers"] == {}
            q = quote["quotes"]["body"]
            assert list(q) == [
                "transferAmount",
                "payeeReceiveAmount",
                "payeeFspFee",
                "payeeFspCommission",
                "expiration",
                "ilpPacket",
                "condition",
            ]
            assert q["transferAmount"] == {"currency": "XXX", "amount": "10.5"}
            assert q["payeeReceiveAmount"] == {"currency": "XXX", "amount": "10.5"}
            assert q["payeeFspFee"] == q["payeeFspCommission"] == {"currency": "XXX", "amount": "0"}
            assert ISO_MS_Z.fullmatch(q["expiration"])
            assert ilp.is_valid_condition_string(q["condition"])
            packet = ilp.decode_packet(q["ilpPacket"])
            assert packet.amount == 105000
            assert packet.account == "g.fsp202.msisdn.25620200005"
            qr = request["quotesPostRequest"]
            assert packet.transaction == {
                "quoteId": qr["quoteId"],
                "transactionId": qr["transactionId"],
                "transactionType": qr["transactionType"],
                "payee": qr["payee"],
                "payer": qr["payer"],
                "expiration": q["expiration"],
                "amount": {"currency": "XXX", "amount": "10.5"},
            }

            transfer = make_transfer_request(q)
            status, result = await lab.outbound(PAYER, "POST", "/simpleTransfers", transfer)
            assert status == 200
            t = result["transfer"]["body"]
            assert result == {
                "transfer": {"body": t, "headers": {}},
                "currentState": "COMPLETED",
            }
            assert list(t) == ["transferState", "fulfilment", "completedTimestamp"]
            assert t["transferState"] == "COMMITTED"
            assert ilp.condition_for(t["fulfilment"]) == q["condition"]
            assert ISO_MS_Z.fullmatch(t["completedTimestamp"])

            assert (await lab.participant(PAYER))["position"] == "10.5"
            assert (await lab.participant(PAYEE))["position"] == "-10.5"
            transfer_id = transfer["transfersPostRequest"]["transferId"]
            status, record = await lab.admin("GET", f"/admin/transfers/{transfer_id}")
            assert status == 200 and record["transferState"] == "COMMITTED"

    asyncio.run(scenario())


def test_unknown_and_unsupported_parties(lab_env: Any) -> None:
    not_found = {
        "errorInformation": {"errorCode": "3204", "errorDescription": "Party not found"},
        "currentState": "ERROR_OCCURRED",
    }

    async def scenario() -> None:
        async with lab_env() as lab:
            for path in (
                "/parties/MSISDN/25620300000",  # in no range
                "/parties/MSISDN/2562020000",  # right digits, wrong width
                "/parties/ACCOUNT_ID/25620200005",  # type not supported
            ):
                assert await lab.outbound(PAYER, "GET", path) == (404, not_found), path

            status, body = await lab.outbound(SPARE, "GET", "/parties/MSISDN/25620200005")
            assert status == 404 and body["currentState"] == "ERROR_OCCURRED"
            assert body["errorInformation"]["errorCode"] == "3201"
            assert "fsp203" in body["errorInformation"]["errorDescription"]

    asyncio.run(scenario())


def test_prefix_of_another_dfsp_is_3201(lab_env: Any, make_quote_request: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            port = lab.running.dfsp_ports[PAYER]
            base = f"http://127.0.0.1:{port}/sim/{PAYEE}/outbound"
            async with lab.session.get(f"{base}/parties/MSISDN/25620200005") as resp:
                body = await resp.json()
                assert resp.status == 404 and body["errorInformation"]["errorCode"] == "3201"
            async with lab.session.post(f"{base}/quotes", json=make_quote_request()) as resp:
                body = await resp.json()
                assert resp.status == 404 and body["statusCode"] == "3201"
                assert body["requestQuotesInformationState"]["lastError"]["httpStatusCode"] == 404

    asyncio.run(scenario())


def test_quote_rejections(lab_env: Any, make_quote_request: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            # payee fsp not onboarded
            request = make_quote_request("25620200005", payee=SPARE)
            status, body = await lab.outbound(PAYER, "POST", "/quotes", request)
            description = "Destination FSP Error - payee fsp fsp203 is not onboarded"
            assert (status, body) == (
                500,
                outbound_error("requestQuotesInformationState", "3201", description, 500),
            )
            # MSISDN owned by another fsp
            request = make_quote_request("25620100005")
            status, body = await lab.outbound(PAYER, "POST", "/quotes", request)
            assert (status, body) == (
                500,
                outbound_error("requestQuotesInformationState", "3204", "Party not found", 500),
            )
            # payer not onboarded
            request = make_quote_request(payer=SPARE)
            status, body = await lab.outbound(SPARE, "POST", "/quotes", request)
            assert status == 500 and body["statusCode"] == "3201"
            # duplicate quoteId
            request = make_quote_request()
            assert (await lab.outbound(PAYER, "POST", "/quotes", request))[0] == 200
            status, body = await lab.outbound(PAYER, "POST", "/quotes", request)
            assert status == 500 and body["statusCode"] == "3106"

    asyncio.run(scenario())


def _drop(request: dict[str, Any], *path: str) -> dict[str, Any]:
    node = request
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return request


def _set(request: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    node = request
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return request


QUOTE_CASES = [
    (lambda r: _drop(r, "fspId"), "fspId: is required"),
    (lambda r: _drop(r, "quotesPostRequest"), "quotesPostRequest: is required"),
    (lambda r: _drop(r, "quotesPostRequest", "quoteId"), "quotesPostRequest.quoteId: is required"),
    (
        lambda r: _drop(r, "quotesPostRequest", "amount"),
        "quotesPostRequest.amount: is required",
    ),
    (
        lambda r: _set(r, "12.345678", "quotesPostRequest", "amount", "amount"),
        "quotesPostRequest.amount.amount: must be a Mojaloop amount such as 100.25",
    ),
    (
        lambda r: _set(r, "0", "quotesPostRequest", "amount", "amount"),
        "quotesPostRequest.amount.amount: must be greater than 0",
    ),
    (
        lambda r: _set(r, "xx", "quotesPostRequest", "amount", "currency"),
        "quotesPostRequest.amount.currency: must be 3 capitals",
    ),
    (
        lambda r: _set(r, "BOTH", "quotesPostRequest", "amountType"),
        "quotesPostRequest.amountType: must be SEND or RECEIVE",
    ),
    (
        lambda r: _drop(r, "quotesPostRequest", "payee", "partyIdInfo", "partyIdentifier"),
        "quotesPostRequest.payee.partyIdInfo.partyIdentifier: is required",
    ),
    (
        lambda r: _set(r, "fsp209", "quotesPostRequest", "payer", "partyIdInfo", "fspId"),
        "quotesPostRequest.payer.partyIdInfo.fspId: must be fsp201",
    ),
    (
        lambda r: _drop(r, "quotesPostRequest", "transactionType", "initiator"),
        "quotesPostRequest.transactionType.initiator: is required",
    ),
]


@pytest.mark.parametrize(("mutate", "description"), QUOTE_CASES)
def test_quote_validation_names_the_field(
    lab_env: Any, make_quote_request: Any, mutate: Any, description: str
) -> None:
    async def scenario() -> tuple[int, Any]:
        async with lab_env() as lab:
            return await lab.outbound(PAYER, "POST", "/quotes", mutate(make_quote_request()))

    status, body = asyncio.run(scenario())
    full = f"Generic validation error - {description}"
    assert (status, body) == (
        400,
        outbound_error("requestQuotesInformationState", "3100", full, 400),
    )


def test_malformed_json(lab_env: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            for path, field in (
                ("/quotes", "requestQuotesInformationState"),
                ("/simpleTransfers", "requestSimpleTransfersInformationState"),
            ):
                status, body = await lab.outbound(PAYER, "POST", path, raw='{"fspId": ')
                description = "Generic validation error - body: not valid JSON"
                assert (status, body) == (400, outbound_error(field, "3100", description, 400))

    asyncio.run(scenario())


def test_duplicate_transfer_id_moves_positions_once(
    lab_env: Any, make_transfer_request: Any
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            quote = await lab.quote("7")
            transfer = make_transfer_request(quote)
            assert (await lab.outbound(PAYER, "POST", "/simpleTransfers", transfer))[0] == 200
            status, body = await lab.outbound(PAYER, "POST", "/simpleTransfers", transfer)
            transfer_id = transfer["transfersPostRequest"]["transferId"]
            description = f"Modified request - duplicate transferId {transfer_id}"
            assert (status, body) == (
                500,
                outbound_error("requestSimpleTransfersInformationState", "3106", description, 500),
            )
            assert (await lab.participant(PAYER))["position"] == "7"
            assert (await lab.participant(PAYEE))["position"] == "-7"

    asyncio.run(scenario())


def test_condition_not_matching_its_quote_is_rejected_by_the_payee(
    lab_env: Any, make_transfer_request: Any
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            first, second = await lab.quote("5"), await lab.quote("5")
            transfer = make_transfer_request(first, condition=second["condition"])
            status, body = await lab.outbound(PAYER, "POST", "/simpleTransfers", transfer)
            assert status == 500 and body["statusCode"] == "3100"
            assert "the ILP condition does not match the quote" in body["message"]
            error = body["requestSimpleTransfersInformationState"]["lastError"]["mojaloopError"][
                "errorInformation"
            ]
            assert error == {"errorCode": "3100", "errorDescription": body["message"]}
            transfer_id = transfer["transfersPostRequest"]["transferId"]
            status, record = await lab.admin("GET", f"/admin/transfers/{transfer_id}")
            assert record["transferState"] == "ABORTED" and record["errorCode"] == "3100"
            payer = await lab.participant(PAYER)
            assert (payer["position"], payer["reserved"]) == ("0", "0")
            # the matching pair still goes through, so nothing was left reserved
            status, _ = await lab.outbound(
                PAYER, "POST", "/simpleTransfers", make_transfer_request(second)
            )
            assert status == 200

    asyncio.run(scenario())


def test_insufficient_liquidity(lab_env: Any, make_transfer_request: Any) -> None:
    async def scenario() -> None:
        async with lab_env(ndc="100") as lab:
            ok = make_transfer_request(await lab.quote("60"))
            assert (await lab.outbound(PAYER, "POST", "/simpleTransfers", ok))[0] == 200
            too_much = make_transfer_request(await lab.quote("40.01"))
            status, body = await lab.outbound(PAYER, "POST", "/simpleTransfers", too_much)
            assert status == 500 and body["statusCode"] == "4001"
            assert body["message"].startswith("Payer FSP insufficient liquidity")
            transfer_id = too_much["transfersPostRequest"]["transferId"]
            _, record = await lab.admin("GET", f"/admin/transfers/{transfer_id}")
            assert record["transferState"] == "ABORTED"
            payer = await lab.participant(PAYER)
            assert (payer["position"], payer["reserved"]) == ("60", "0")
            exact = make_transfer_request(await lab.quote("40"))
            assert (await lab.outbound(PAYER, "POST", "/simpleTransfers", exact))[0] == 200

    asyncio.run(scenario())


def test_payer_not_onboarded_and_payer_mismatch(lab_env: Any, make_transfer_request: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            quote = await lab.quote("3")
            status, body = await lab.outbound(
                SPARE, "POST", "/simpleTransfers", make_transfer_request(quote, payer=SPARE)
            )
            assert status == 500 and body["statusCode"] == "3201"
            assert body["message"] == "Destination FSP Error - payer fsp fsp203 is not onboarded"

            status, body = await lab.outbound(
                SPARE, "POST", "/simpleTransfers", make_transfer_request(quote)
            )
            assert status == 400 and body["statusCode"] == "3100"
            assert "transfersPostRequest.payerFsp: must be fsp203" in body["message"]

            bad = make_transfer_request(quote, condition="too-short")
            status, body = await lab.outbound(PAYER, "POST", "/simpleTransfers", bad)
            assert status == 400
            assert body["message"] == (
                "Generic validation error - transfersPostRequest.condition: "
                "must be 43 base64url characters"
            )
            assert (await lab.participant(PAYER))["position"] == "0"

    asyncio.run(scenario())


def test_latency_injection_delays_only_its_operation(lab_env: Any) -> None:
    async def timed(lab: Any, *call: Any) -> float:
        started = time.perf_counter()
        status, _ = await lab.outbound(*call)
        assert status == 200
        return time.perf_counter() - started

    async def scenario() -> None:
        async with lab_env(latency=Latency(discovery_ms=150, quote_ms=0, transfer_ms=80)) as lab:
            lookup = await timed(lab, PAYER, "GET", "/parties/MSISDN/25620200005")
            assert 0.150 <= lookup < 1.5
            quote_started = time.perf_counter()
            quote = await lab.quote()
            assert time.perf_counter() - quote_started < 0.150
            from_quote = {
                "fspId": PAYEE,
                "transfersPostRequest": {
                    "transferId": "latency-1",
                    "payeeFsp": PAYEE,
                    "payerFsp": PAYER,
                    "amount": quote["transferAmount"],
                    "ilpPacket": quote["ilpPacket"],
                    "condition": quote["condition"],
                    "expiration": quote["expiration"],
                },
            }
            transfer = await timed(lab, PAYER, "POST", "/simpleTransfers", from_quote)
            assert 0.080 <= transfer < 1.5

    asyncio.run(scenario())
