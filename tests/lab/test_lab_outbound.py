"""The outbound API of the lab answers as the SDK scheme adapter's does, case by case.

Each case here is a row of the table in docs/local-lab.md. The shapes are checked against the
SDK's own OpenAPI schemas and ILP code in tests/contract/; here, the behaviour: which status,
which error code, which state, what the switch's books say afterwards.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from typing import Any

import pytest

from mojaloop_perf.lab import ilp
from mojaloop_perf.lab.config import Latency
from mojaloop_perf.lab.faults import Faults, PhaseFaults

PAYER, PAYEE, SPARE = "fsp201", "fsp202", "fsp203"


def error_code(body: dict[str, Any], *path: str) -> str:
    for key in path:
        body = body[key]
    return body["errorInformation"]["errorCode"]


def test_happy_path_discovery_quote_transfer(lab_env: Any, make_transfer_request: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            status, party = await lab.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")
            assert status == 200
            assert party["currentState"] == "COMPLETED"
            assert party["party"]["body"]["partyIdInfo"] == {
                "partyIdType": "MSISDN",
                "partyIdentifier": "25620200005",
                "fspId": PAYEE,
            }
            headers = party["party"]["headers"]
            assert headers["fspiop-source"] == PAYEE and headers["fspiop-destination"] == PAYER

            quote = await lab.quote("10.5")
            terms = quote.body
            assert terms["transferAmount"] == {"amount": "10.5", "currency": "XXX"}
            # The simulator's fee and commission: floor(10.5 × 0.05) = 0.
            assert terms["payeeFspFee"] == {"amount": "0", "currency": "XXX"}
            assert ilp.is_valid_condition_string(terms["condition"])
            decoded = ilp.decode_packet(terms["ilpPacket"])
            assert decoded.amount == 105000  # XXX has 4 decimals in the SDK's table
            assert decoded.account == "g.fsp202.msisdn.25620200005"
            assert decoded.transaction["transactionId"] == quote.request["transactionId"]
            assert "note" not in decoded.transaction

            status, body = await lab.outbound(
                PAYER, "POST", "/simpleTransfers", make_transfer_request(quote)
            )
            assert status == 200 and body["currentState"] == "COMPLETED"
            result = body["transfer"]["body"]
            assert list(result) == ["completedTimestamp", "transferState", "fulfilment"]
            assert result["transferState"] == "COMMITTED"
            assert ilp.condition_for(result["fulfilment"]) == terms["condition"]
            assert (await lab.participant(PAYER))["position"] == "10.5"
            assert (await lab.participant(PAYEE))["position"] == "-10.5"
            status, record = await lab.admin(
                "GET", f"/admin/transfers/{quote.request['transactionId']}"
            )
            assert status == 200 and record["transferState"] == "COMMITTED"
            ledger = await lab.ledger()
            assert {phase: ledger[phase]["ok"] for phase in ledger} == {
                "discovery": 1,
                "quote": 1,
                "transfer": 1,
            }

    asyncio.run(scenario())


def test_a_transfer_whose_id_is_not_the_quotes_transaction_id_is_refused_by_the_payee(
    lab_env: Any, make_transfer_request: Any
) -> None:
    """The payee's SDK keeps the quote under its transactionId (ALLOW_TRANSFER_WITHOUT_QUOTE off)."""

    async def scenario() -> None:
        async with lab_env() as lab:
            quote = await lab.quote("5")
            request = make_transfer_request(quote, transfer_id=str(uuid.uuid4()))
            status, body = await lab.outbound(PAYER, "POST", "/simpleTransfers", request)
            assert status == 200 and body["currentState"] == "COMPLETED"
            assert body["transfer"]["body"] == {
                "errorInformation": {
                    "errorCode": "2001",
                    "errorDescription": "Internal server error",
                }
            }
            assert (await lab.participant(PAYER))["position"] == "0"
            assert (await lab.participant(PAYER))["reserved"] == "0"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/parties/MSISDN/25629999999", 404, "3204"),  # in no range
        ("/parties/EMAIL/someone@example.org", 404, "3204"),  # no oracle for the type
        ("/parties/MSISDN/25620200005/savings", 404, "3200"),  # the oracle has no sub-ids
        ("/parties/MSISDN/25629999999/savings", 404, "3204"),
    ],
)
def test_discovery_errors_complete_with_the_error(
    lab_env: Any, path: str, status: int, code: str
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            got, body = await lab.outbound(PAYER, "GET", path)
            assert (got, body["currentState"], error_code(body)) == (status, "COMPLETED", code)
            assert set(body) == {"errorInformation", "currentState"}

    asyncio.run(scenario())


def test_a_payer_the_switch_does_not_know_times_out(lab_env: Any, make_quote_request: Any) -> None:
    async def scenario() -> None:
        async with lab_env(timeout_s=0.2) as lab:
            started = time.perf_counter()
            status, body = await lab.outbound(SPARE, "GET", "/parties/MSISDN/25620200005")
            assert time.perf_counter() - started >= 0.2
            assert (status, body) == (
                500,
                {"message": "Timeout", "requestPartiesInformationState": {}, "statusCode": "500"},
            )
            request = make_quote_request(payer=SPARE)
            status, body = await lab.outbound(SPARE, "POST", "/quotes", request)
            assert status == 500 and body["requestQuotesInformationState"] == {}
            assert (await lab.ledger())["quote"]["outcomes"] == {"timeout": 1}

    asyncio.run(scenario())


def test_another_dfsps_prefix_is_not_found(lab_env: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            url = lab.running.outbound_url(PAYER).replace(f"/sim/{PAYER}/", f"/sim/{PAYEE}/")
            async with lab.session.get(f"{url}/parties/MSISDN/25620200005") as resp:
                assert resp.status == 404 and await resp.text() == "Not Found"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda b: b.update(fspId=SPARE), "3201"),  # payee not onboarded
        (lambda b: b.update(fspId="fsp999"), "3201"),  # not a participant at all
        (lambda b: b["quotesPostRequest"]["amount"].update(currency="USD"), "3201"),
    ],
)
def test_quote_errors_come_back_inside_a_200(
    lab_env: Any, make_quote_request: Any, change: Any, code: str
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            request = make_quote_request()
            change(request)
            status, body = await lab.outbound(PAYER, "POST", "/quotes", request)
            assert (status, body["currentState"]) == (200, "COMPLETED")
            assert (
                list(body["quotes"]) == ["errorInformation"] and error_code(body, "quotes") == code
            )

    asyncio.run(scenario())


def test_a_currency_outside_the_sdks_ilp_table_fails_at_the_payee(
    lab_env: Any, make_quote_request: Any
) -> None:
    """GGP is in the API's currency enum but not in the SDK's table of decimals."""

    async def scenario() -> None:
        async with lab_env(onboard=False) as lab:
            for fsp_id in (PAYER, PAYEE):
                await lab.onboard(fsp_id, currency="GGP")
            await lab.register(PAYEE, "25620200000")
            status, body = await lab.outbound(
                PAYER, "POST", "/quotes", make_quote_request(currency="GGP")
            )
            assert status == 200 and error_code(body, "quotes") == "2001"

    asyncio.run(scenario())


def test_what_the_quoting_service_lets_through(lab_env: Any, make_quote_request: Any) -> None:
    """Simple routing mode: no duplicate check, and the payee quotes any party it is asked for."""

    async def scenario() -> None:
        async with lab_env() as lab:
            request = make_quote_request("25620100007")  # the payer's own MSISDN
            for _ in range(2):
                status, body = await lab.outbound(PAYER, "POST", "/quotes", request)
                assert status == 200 and "ilpPacket" in body["quotes"]["body"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        (lambda b: b.pop("fspId"), "must have required property 'fspId'"),
        (lambda b: b["quotesPostRequest"].update(quoteId="not-a-uuid"), "quoteId must match"),
        (
            lambda b: b["quotesPostRequest"]["payee"]["partyIdInfo"].update(partyIdType="PHONE"),
            "partyIdType must be equal to one of the allowed values",
        ),
        (lambda b: b["quotesPostRequest"]["amount"].update(amount="1.23456"), "amount must match"),
        (lambda b: b["quotesPostRequest"].update(amountType="BOTH"), "amountType must be equal"),
        (lambda b: b["quotesPostRequest"].update(note=""), "fewer than 1 characters"),
        (lambda b: b["quotesPostRequest"].pop("transactionType"), "'transactionType'"),
    ],
)
def test_quote_validation_is_the_sdks(
    lab_env: Any, make_quote_request: Any, change: Any, mentions: str
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            request = make_quote_request()
            change(request)
            status, body = await lab.outbound(PAYER, "POST", "/quotes", request)
            assert status == 400 and set(body) == {"message", "statusCode"}
            assert body["statusCode"] == 400 and mentions in body["message"]
            assert (await lab.ledger())["quote"]["outcomes"] == {"invalid request": 1}

    asyncio.run(scenario())


def test_bodies_the_sdks_parser_does_not_take(lab_env: Any, make_quote_request: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            text = json.dumps(make_quote_request())
            # Not JSON by its content type: koa-body leaves it unparsed, or a string.
            status, body = await lab.outbound(PAYER, "POST", "/quotes", raw=text, content_type="")
            assert status == 400 and "'body'" in body["message"]
            status, body = await lab.outbound(
                PAYER, "POST", "/quotes", raw=text, content_type="text/plain"
            )
            assert (status, body["message"]) == (400, "/body must be object")
            # Malformed JSON: the SDK's catch-all swallows the parser's error; Koa says 404.
            status, body = await lab.outbound(PAYER, "POST", "/quotes", raw="{not json")
            assert (status, body) == (404, "Not Found")
            status, body = await lab.outbound(PAYER, "POST", "/quotes", raw='"a string"')
            assert (status, body) == (404, "Not Found")

    asyncio.run(scenario())


def test_numbers_and_booleans_are_coerced_to_strings_as_ajv_does(
    lab_env: Any, make_quote_request: Any
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            request = make_quote_request()
            request["quotesPostRequest"]["amount"]["amount"] = 12
            status, body = await lab.outbound(PAYER, "POST", "/quotes", request)
            assert status == 200
            assert body["quotes"]["body"]["transferAmount"]["amount"] == "12"

    asyncio.run(scenario())


def test_paths_and_methods_outside_the_lab(lab_env: Any) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            assert await lab.outbound(PAYER, "GET", "/nowhere") == (
                400,
                {"message": "Couldn't match path /nowhere", "statusCode": 400},
            )
            status, body = await lab.outbound(PAYER, "GET", "/quotes")
            assert (status, body["message"]) == (400, "Method GET not supported for path /quotes")
            status, body = await lab.outbound(PAYER, "POST", "/transfers", {})
            assert status == 501 and "does not implement" in body["message"]

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("change", "code", "description"),
    [
        ("condition", "2001", "Internal server error"),  # not the quote's: the payee refuses
        ("payer", "3100", "Generic validation error - FSPIOP-Source header should match Payer"),
        ("expired", "3100", "is already in the past"),
        ("modified", "3106", "Modified request"),
    ],
)
def test_transfer_errors_come_back_inside_a_200(
    lab_env: Any, make_transfer_request: Any, change: str, code: str, description: str
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            quote = await lab.quote("3")
            request = make_transfer_request(quote)
            inner = request["transfersPostRequest"]
            if change == "condition":
                inner["condition"] = ilp.condition_for(ilp.b64url_encode(bytes(32)))
            elif change == "payer":
                inner["payerFsp"] = SPARE
            elif change == "expired":
                inner["expiration"] = "2020-01-01T00:00:00.000Z"
            else:
                status, _ = await lab.outbound(PAYER, "POST", "/simpleTransfers", request)
                assert status == 200
                request = copy.deepcopy(request)
                request["transfersPostRequest"]["amount"]["amount"] = "4"
            status, body = await lab.outbound(PAYER, "POST", "/simpleTransfers", request)
            assert (status, body["currentState"]) == (200, "COMPLETED")
            info = body["transfer"]["body"]["errorInformation"]
            assert info["errorCode"] == code and description in info["errorDescription"]
            assert len(info["errorDescription"]) <= 128

    asyncio.run(scenario())


def test_a_resent_transfer_gets_the_same_answer_and_moves_nothing(
    lab_env: Any, make_transfer_request: Any
) -> None:
    async def scenario() -> None:
        async with lab_env() as lab:
            quote = await lab.quote("7")
            request = make_transfer_request(quote)
            first = await lab.outbound(PAYER, "POST", "/simpleTransfers", request)
            again = await lab.outbound(PAYER, "POST", "/simpleTransfers", request)
            assert first[1]["transfer"]["body"] == again[1]["transfer"]["body"]
            assert (await lab.participant(PAYER))["position"] == "7"

    asyncio.run(scenario())


def test_over_the_net_debit_cap_is_a_payer_limit_error(
    lab_env: Any, make_transfer_request: Any
) -> None:
    async def scenario() -> None:
        async with lab_env(ndc="10") as lab:
            quote = await lab.quote("11")
            status, body = await lab.outbound(
                PAYER, "POST", "/simpleTransfers", make_transfer_request(quote)
            )
            assert status == 200 and error_code(body, "transfer", "body") == "4200"
            assert (await lab.participant(PAYER))["reserved"] == "0"

    asyncio.run(scenario())


def test_injected_faults_answer_as_the_sdk_and_are_counted(
    lab_env: Any, make_quote_request: Any, make_transfer_request: Any
) -> None:
    everything = PhaseFaults(switch_5xx=1.0)

    async def scenario() -> None:
        async with lab_env(faults=Faults(seed=3, discovery=everything)) as lab:
            status, body = await lab.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")
            assert (status, body) == (
                500,
                {
                    "message": "Request failed with status code 503",
                    "requestPartiesInformationState": {},
                    "statusCode": "500",
                },
            )
            ledger = await lab.ledger()
            assert ledger["discovery"]["outcomes"] == {"refused 503": 1}
            assert ledger["discovery"]["injected"] == {"switch_5xx": 1}

        rejecting = Faults(
            quote=PhaseFaults(payee_reject=1.0), transfer=PhaseFaults(payee_reject=1.0)
        )
        async with lab_env(faults=rejecting) as lab:
            status, body = await lab.outbound(PAYER, "POST", "/quotes", make_quote_request())
            assert status == 200 and error_code(body, "quotes") == "5101"

        timing_out = Faults(transfer=PhaseFaults(payee_timeout=1.0))
        async with lab_env(faults=timing_out, timeout_s=0.1) as lab:
            quote = await lab.quote("2")
            status, body = await lab.outbound(
                PAYER, "POST", "/simpleTransfers", make_transfer_request(quote)
            )
            assert (status, body["message"], body["statusCode"]) == (500, "Timeout", "500")
            assert (await lab.participant(PAYER))["reserved"] == "2"  # until it expires
            ledger = await lab.ledger()
            assert ledger["transfer"] == {
                "ok": 0,
                "failed": 1,
                "outcomes": {"timeout": 1},
                "injected": {"payee_timeout": 1},
            }

    asyncio.run(scenario())


def test_slow_hops_delay_without_failing(lab_env: Any) -> None:
    slow = Faults(discovery=PhaseFaults(slow_share=1.0, slow_ms=150))

    async def scenario() -> None:
        async with lab_env(faults=slow) as lab:
            started = time.perf_counter()
            status, _ = await lab.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")
            assert status == 200 and time.perf_counter() - started >= 0.15
            ledger = await lab.ledger()
            assert ledger["discovery"]["ok"] == 1 and ledger["discovery"]["injected"] == {"slow": 1}

    asyncio.run(scenario())


def test_latency_injection_delays_only_its_operation(lab_env: Any) -> None:
    async def timed(lab: Any, *args: Any) -> tuple[float, int]:
        started = time.perf_counter()
        status, _ = await lab.outbound(*args)
        return time.perf_counter() - started, status

    async def scenario() -> None:
        async with lab_env(latency=Latency(discovery_ms=200)) as lab:
            slow, status = await timed(lab, PAYER, "GET", "/parties/MSISDN/25620200005")
            assert status == 200 and slow >= 0.2
            fast, status = await timed(lab, PAYER, "GET", "/nowhere")
            assert status == 400 and fast < 0.15

    asyncio.run(scenario())
