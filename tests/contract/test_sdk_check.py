"""The contract checker itself, against the real npm packages: what it accepts, and that it fails."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.contract import sdk

SECRET = "Quaixohyaesahju3thivuiChai5cahng"
QUOTE_ID = "b51ec534-ee48-4575-b6a9-ead2955b8069"
CONDITION = "kSflz3Zs-ZqzufxcFPt0-SkNzQ8lUTSr3ixOSlGLE_U"


def party(msisdn: str, fsp: str) -> dict[str, Any]:
    return {"partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": msisdn, "fspId": fsp}}


def quotes_post_request() -> dict[str, Any]:
    return {
        "quoteId": QUOTE_ID,
        "transactionId": "a8323bc6-c228-4df2-ae82-e5a997baf898",
        "payee": party("27710000001", "payeefsp"),
        "payer": party("27710000002", "payerfsp"),
        "amountType": "SEND",
        "amount": {"currency": "XXX", "amount": "100"},
        "transactionType": {
            "scenario": "TRANSFER",
            "initiator": "PAYER",
            "initiatorType": "CONSUMER",
        },
    }


def quote_body() -> dict[str, Any]:
    """What the payee's PUT /quotes carries, before its ILP fields are added."""
    return {
        "transferAmount": {"currency": "XXX", "amount": "100"},
        "expiration": "2030-01-01T00:00:00.000Z",
    }


# Success answers shaped as the SDK's models build them: {<phase>: {body, headers}, currentState}.
PARTIES_200 = {
    "party": {
        "body": {
            **party("27710000001", "payeefsp"),
            "name": "Jane Doe",
            "personalInfo": {"complexName": {"firstName": "Jane", "lastName": "Doe"}},
            "supportedCurrencies": ["XXX"],
        },
        "headers": {"content-type": "application/vnd.interoperability.parties+json;version=1.1"},
    },
    "currentState": "COMPLETED",
}
QUOTES_200 = {
    "quotes": {
        "body": {
            **quote_body(),
            "ilpPacket": "AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF",
            "condition": CONDITION,
        },
        "headers": {},
    },
    "currentState": "COMPLETED",
}
TRANSFERS_200 = {
    "transfer": {
        "body": {
            "transferState": "COMMITTED",
            "fulfilment": "W3Het72eMHHt1qvONN4ADTkySVScY2NgLn4FJ7QH_So",
            "completedTimestamp": "2030-01-01T00:00:01.000Z",
        },
        "headers": {},
    },
    "currentState": "COMPLETED",
}
OPERATIONS = {
    "parties": ("GET", "/parties/MSISDN/27710000001"),
    "quotes": ("POST", "/quotes"),
    "simpleTransfers": ("POST", "/simpleTransfers"),
}


def answer(operation: str, status: int, body: Any, case_id: str = "r") -> dict[str, Any]:
    method, path = OPERATIONS[operation]
    return {
        "id": case_id,
        "kind": "response",
        "method": method,
        "path": path,
        "status": status,
        "body": body,
    }


def quote_request(body: dict[str, Any]) -> dict[str, Any]:
    return {"id": "q", "kind": "request", "method": "POST", "path": "/quotes", "body": body}


def one(case: dict[str, Any]) -> dict[str, Any]:
    (result,) = sdk.check([case])
    assert result["id"] == case.get("id")
    return result


def changed(body: dict[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `body` with the value at `keys` replaced, or removed when value is ...."""
    copied = copy.deepcopy(body)
    target = copied
    for key in keys[:-1]:
        target = target[key]
    if value is ...:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return copied


@pytest.mark.parametrize(
    ("operation", "body"),
    [("parties", PARTIES_200), ("quotes", QUOTES_200), ("simpleTransfers", TRANSFERS_200)],
)
def test_an_sdk_shaped_success_answer_passes(operation: str, body: dict[str, Any]) -> None:
    result = one(answer(operation, 200, body))
    against = "spec" if operation == "parties" else "spec|errorCallback"
    assert (result["ok"], result["problems"], result["against"]) == (True, [], against)


ERROR_INFORMATION = {"errorCode": "3201", "errorDescription": "Destination FSP Error"}


@pytest.mark.parametrize(
    ("operation", "body", "ok"),
    [
        (
            "quotes",
            {"quotes": {"errorInformation": ERROR_INFORMATION}, "currentState": "COMPLETED"},
            True,
        ),
        (
            "simpleTransfers",
            {
                "transfer": {"body": {"errorInformation": ERROR_INFORMATION}, "headers": {}},
                "currentState": "COMPLETED",
            },
            True,
        ),
        # The error inside body, as a transfer's is: not how the SDK answers a quote.
        (
            "quotes",
            {
                "quotes": {"body": {"errorInformation": ERROR_INFORMATION}},
                "currentState": "COMPLETED",
            },
            False,
        ),
        (
            "quotes",
            {
                "quotes": {
                    "errorInformation": {**ERROR_INFORMATION, "errorDescription": "x" * 129}
                },
                "currentState": "COMPLETED",
            },
            False,
        ),
        (
            "quotes",
            {"quotes": {"errorInformation": ERROR_INFORMATION}, "currentState": "DONE"},
            False,
        ),
    ],
)
def test_an_error_callback_answered_200_fits_the_sdks_own_shape(
    operation: str, body: dict[str, Any], ok: bool
) -> None:
    """The SDK answers an error callback with 200 and a body its spec's 200 schema refuses."""
    result = one(answer(operation, 200, body))
    assert result["ok"] is ok, result["problems"]


@pytest.mark.parametrize(
    ("operation", "body", "problem"),
    [
        (
            "quotes",
            changed(QUOTES_200, ("quotes", "body", "transferAmount", "amount"), 100),
            "/quotes/body/transferAmount/amount must be string",
        ),
        (
            "parties",
            changed(PARTIES_200, ("currentState",), "DONE"),
            "/currentState must be equal to one of the allowed values",
        ),
        (
            "simpleTransfers",
            changed(TRANSFERS_200, ("transfer", "body", "transferState"), ...),
            "/transfer/body must have required property 'transferState'",
        ),
        (
            "parties",
            changed(PARTIES_200, ("party", "headers"), ...),
            "/party must have required property 'headers'",
        ),
    ],
)
def test_a_wrong_type_or_missing_key_fails_naming_the_field(
    operation: str, body: dict[str, Any], problem: str
) -> None:
    result = one(answer(operation, 200, body))
    assert result["ok"] is False
    assert problem in result["problems"]


def test_error_description_is_limited_to_128_characters() -> None:
    def not_found(description: str) -> dict[str, Any]:
        information = {"errorCode": "3204", "errorDescription": description}
        return {"errorInformation": information, "currentState": "COMPLETED"}

    at_limit, over = sdk.check(
        [answer("parties", 404, not_found("x" * 128)), answer("parties", 404, not_found("x" * 129))]
    )
    assert at_limit["ok"] is True
    assert over["ok"] is False
    assert over["problems"] == [
        "/errorInformation/errorDescription must NOT have more than 128 characters"
    ]


def test_a_parties_404_is_the_models_error_information_with_its_state() -> None:
    body = {"errorInformation": {"errorCode": "3204", "errorDescription": "Party not found"}}
    result = one(answer("parties", 404, body))
    assert result["against"] == "spec+handler"
    assert result["problems"] == ["must have required property 'currentState'"]


def test_a_400_answer_is_exactly_message_and_a_numeric_status_code() -> None:
    good, string_code, extra_key = sdk.check(
        [
            answer("quotes", 400, {"message": "must match pattern", "statusCode": 400}),
            answer("quotes", 400, {"message": "must match pattern", "statusCode": "400"}),
            answer("quotes", 400, {"message": "x", "statusCode": 400, "errorInformation": {}}),
        ]
    )
    assert (good["ok"], good["against"]) == (True, "validator")
    assert string_code["ok"] is False
    assert "/statusCode must be integer" in string_code["problems"]
    assert extra_key["problems"] == ["must NOT have additional properties 'errorInformation'"]


def test_a_500_answer_carries_the_operations_state_field_and_a_string_status_code() -> None:
    def error(state_field: str, status_code: Any = "500") -> dict[str, Any]:
        return {"message": "Timeout", state_field: {}, "statusCode": status_code}

    quotes_ok, quotes_bare, quotes_number, parties_ok, parties_wrong = sdk.check(
        [
            answer("quotes", 500, error("requestQuotesInformationState")),
            answer("quotes", 500, {"message": "Timeout", "statusCode": "500"}),
            answer("quotes", 500, error("requestQuotesInformationState", 500)),
            answer("parties", 500, error("requestPartiesInformationState")),
            answer("parties", 500, error("requestQuotesInformationState")),
        ]
    )
    assert (quotes_ok["ok"], quotes_ok["against"]) == (True, "spec+handleError")
    assert quotes_bare["problems"] == [
        "must have required property 'requestQuotesInformationState'"
    ]
    assert "/statusCode must be string" in quotes_number["problems"]
    assert (parties_ok["ok"], parties_ok["against"]) == (True, "handleError")
    assert parties_wrong["ok"] is False
    assert (
        "must have required property 'requestPartiesInformationState'" in parties_wrong["problems"]
    )


def test_a_status_the_sdk_never_answers_is_a_problem() -> None:
    result = one(answer("simpleTransfers", 404, {}))
    assert result["problems"] == [
        "status 404 is not one the SDK answers POST /simpleTransfers with (200, 400, 500)"
    ]


def test_a_valid_quote_request_is_accepted() -> None:
    result = one(quote_request({"fspId": "payeefsp", "quotesPostRequest": quotes_post_request()}))
    assert (result["ok"], result["problems"], result["operation"]) == (True, [], "/quotes")
    assert "coerced" not in result


@pytest.mark.parametrize(
    ("keys", "value", "problem", "message"),
    [
        (
            ("quotesPostRequest", "quoteId"),
            "not-a-uuid",
            "/body/quotesPostRequest/quoteId must match pattern",
            "must match pattern",
        ),
        (
            ("quotesPostRequest", "payee", "partyIdInfo", "partyIdType"),
            "FOO",
            "/body/quotesPostRequest/payee/partyIdInfo/partyIdType must be equal to one of the allowed values",
            "must be equal to one of the allowed values",
        ),
        (
            ("fspId",),
            ...,
            "/body must have required property 'fspId'",
            "Request failed validation [",
        ),
    ],
)
def test_the_sdk_validator_refuses_a_bad_quote_request(
    keys: tuple[str, ...], value: Any, problem: str, message: str
) -> None:
    body = {"fspId": "payeefsp", "quotesPostRequest": quotes_post_request()}
    result = one(quote_request(changed(body, keys, value)))
    assert (result["ok"], result["status"]) == (False, 400)
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith(problem)
    # The answer's message is Ajv's first message without its path, or for a missing property
    # the util.format dump of all errors (validate.js, middlewares.js).
    assert result["message"].startswith(message)


def test_the_sdk_validator_coerces_a_number_into_a_string_field() -> None:
    request = quotes_post_request()
    request["amount"]["amount"] = 100
    result = one(quote_request({"fspId": "payeefsp", "quotesPostRequest": request}))
    assert result["ok"] is True
    assert result["coerced"]["quotesPostRequest"]["amount"] == {"currency": "XXX", "amount": "100"}


def test_a_sub_id_path_matches_the_sub_id_route() -> None:
    with_sub, without = sdk.check(
        [
            {"id": "s", "kind": "request", "method": "GET", "path": "/parties/MSISDN/123/sub"},
            {"id": "p", "kind": "request", "method": "GET", "path": "/parties/MSISDN/123?x=1"},
        ]
    )
    assert with_sub["ok"] is True
    assert with_sub["operation"] == "/parties/{Type}/{ID}/{SubId}"
    assert with_sub["params"] == {"Type": "MSISDN", "ID": "123", "SubId": "sub"}
    assert (without["operation"], without["params"]) == (
        "/parties/{Type}/{ID}",
        {"Type": "MSISDN", "ID": "123"},
    )


def test_an_unknown_path_or_method_is_refused_with_400() -> None:
    unknown, too_deep, wrong_method = sdk.check(
        [
            {"id": "u", "kind": "request", "method": "GET", "path": "/partys/MSISDN/123"},
            {"id": "d", "kind": "request", "method": "GET", "path": "/parties/MSISDN/1/2/3"},
            {"id": "m", "kind": "request", "method": "PUT", "path": "/quotes", "body": {}},
        ]
    )
    assert (unknown["ok"], unknown["status"]) == (False, 400)
    assert unknown["problems"] == ["Couldn't match path /partys/MSISDN/123"]
    assert too_deep["problems"] == ["Couldn't match path /parties/MSISDN/1/2/3"]
    assert wrong_method["problems"] == ["Method PUT not supported for path /quotes"]


@pytest.fixture(scope="module")
def made() -> dict[str, Any]:
    """The SDK's own ILP packet, condition and fulfilment for the test quote."""
    case = {
        "id": "make",
        "kind": "ilp_make",
        "secret": SECRET,
        "quoteRequest": quotes_post_request(),
        "quoteResponse": quote_body(),
    }
    result = one(case)
    assert result["ok"] is True
    return result


def ilp_quote(ilp_packet: str, condition: str) -> dict[str, Any]:
    response = {**quote_body(), "ilpPacket": ilp_packet, "condition": condition}
    return {
        "id": "quote",
        "kind": "ilp_quote",
        "secret": SECRET,
        "quoteRequest": quotes_post_request(),
        "quoteResponse": response,
    }


def flipped(text: str, at: int) -> str:
    return text[:at] + ("B" if text[at] == "A" else "A") + text[at + 1 :]


def test_ilp_quote_accepts_the_sdks_own_packet_and_decodes_it(made: dict[str, Any]) -> None:
    result = one(ilp_quote(made["ilpPacket"], made["condition"]))
    assert (result["ok"], result["problems"]) == (True, [])
    assert result["transaction"]["quoteId"] == QUOTE_ID
    assert result["transaction"]["amount"] == {"currency": "XXX", "amount": "100"}
    assert result["transaction"] == made["transaction"]


def test_ilp_quote_rejects_a_packet_or_condition_with_one_character_flipped(
    made: dict[str, Any],
) -> None:
    packet, condition = made["ilpPacket"], made["condition"]
    bad_packet, bad_condition = sdk.check(
        [
            ilp_quote(flipped(packet, len(packet) // 2), condition),
            ilp_quote(packet, flipped(condition, 10)),
        ]
    )
    assert bad_packet["ok"] is False
    assert (
        bad_packet["problems"][0] == "ilpPacket differs from the one the SDK makes for this quote"
    )
    assert bad_packet["expected"]["ilpPacket"] == packet
    assert bad_condition["problems"] == [
        "condition differs from the one the SDK makes for this quote"
    ]


def test_ilp_fulfil_accepts_the_sdks_fulfilment_and_rejects_another(made: dict[str, Any]) -> None:
    def fulfil(fulfilment: str, secret: str = SECRET) -> dict[str, Any]:
        packet, condition = made["ilpPacket"], made["condition"]
        return {
            "id": "f",
            "kind": "ilp_fulfil",
            "secret": secret,
            "ilpPacket": packet,
            "condition": condition,
            "fulfilment": fulfilment,
        }

    good, other, other_secret = sdk.check(
        [
            fulfil(made["fulfilment"]),
            fulfil(flipped(made["fulfilment"], 5)),
            fulfil(made["fulfilment"], "another secret"),
        ]
    )
    assert (good["ok"], good["problems"]) == (True, [])
    assert other["problems"] == [
        "fulfilment is not the one the SDK derives from ilpPacket and secret",
        "fulfilment does not match condition",
    ]
    assert other_secret["problems"] == [
        "fulfilment is not the one the SDK derives from ilpPacket and secret"
    ]


def test_the_currency_table_is_the_sdks() -> None:
    table = one({"id": "c", "kind": "currency_table"})["table"]
    assert len(table) == 168
    assert (table["XXX"], table["USD"], table["JPY"]) == (4, 2, 0)


def test_a_bad_case_is_a_problem_and_the_others_still_run() -> None:
    unknown, missing, not_object, fine = sdk.check(
        [
            {"id": "k", "kind": "telepathy"},
            {"id": "m", "kind": "request", "path": "/quotes"},
            "not a case",
            {"id": "c", "kind": "currency_table"},
        ]
    )
    assert unknown["ok"] is False
    assert unknown["problems"][0].startswith('case 0: unknown kind "telepathy"')
    assert missing["problems"] == ["case 1 (request): missing or malformed method"]
    assert not_object == {"id": None, "ok": False, "problems": ["case 2 is not an object"]}
    assert fine["ok"] is True


def test_a_bad_cases_file_is_one_line_on_stderr_and_exit_2(tmp_path: Path) -> None:
    cases = tmp_path / "cases.json"
    cases.write_text("[{")
    done = subprocess.run(["node", str(sdk.SCRIPT), str(cases)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"sdk_check: cannot read {cases}:")


def test_check_names_the_missing_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sdk, "node_modules_dir", lambda: tmp_path)
    with pytest.raises(sdk.ContractSetupError, match=r"run `npm ci --prefix tests/contract` first"):
        sdk.check([{"id": "c", "kind": "currency_table"}])
