"""FSPIOP error codes the lab returns, the error type that carries them, and body builders."""

from __future__ import annotations

from typing import Any

# Standard FSPIOP error texts (Mojaloop API spec, section "Error Codes"), for the codes the lab uses.
ERROR_TEXTS: dict[str, str] = {
    "2001": "Internal server error",
    "3100": "Generic validation error",
    "3106": "Modified request",
    "3200": "Generic ID not found",
    "3201": "Destination FSP Error",
    "3204": "Party not found",
    "3303": "Transfer expired",
    "4001": "Payer FSP insufficient liquidity",
    "5000": "Generic Payee error",
}

INTERNAL_ERROR = "2001"
VALIDATION_ERROR = "3100"
MODIFIED_REQUEST = "3106"
ID_NOT_FOUND = "3200"
DESTINATION_FSP_ERROR = "3201"
PARTY_NOT_FOUND = "3204"
TRANSFER_EXPIRED = "3303"
PAYER_INSUFFICIENT_LIQUIDITY = "4001"
GENERIC_PAYEE_ERROR = "5000"

ERROR_OCCURRED = "ERROR_OCCURRED"


class FspiopError(Exception):
    """An FSPIOP error: code, description ("<standard text> - <detail>") and an HTTP status.

    ``http_status`` is a hint for whoever turns the error into a response: 400 means the request
    itself was invalid; the admin API also uses 404 and 409. The default 500 marks an error that
    came from the switch or the payee DFSP.
    """

    def __init__(self, code: str, detail: str | None = None, http_status: int = 500) -> None:
        text = ERROR_TEXTS.get(code, "FSPIOP error")
        self.code = code
        self.description = f"{text} - {detail}" if detail else text
        self.http_status = http_status
        super().__init__(f"{code} {self.description}")


def validation_error(field: str, problem: str, http_status: int = 400) -> FspiopError:
    """3100 naming the offending field: ``Generic validation error - <field>: <problem>``."""
    return FspiopError(VALIDATION_ERROR, f"{field}: {problem}", http_status)


def error_information(err: FspiopError) -> dict[str, Any]:
    """``{"errorInformation": {"errorCode", "errorDescription"}}``, the FSPIOP error body."""
    return {"errorInformation": {"errorCode": err.code, "errorDescription": err.description}}


def party_error_body(err: FspiopError) -> dict[str, Any]:
    """Body of a failed outbound ``GET /parties``: the error plus ``currentState``."""
    body = error_information(err)
    body["currentState"] = ERROR_OCCURRED
    return body


def outbound_error_body(err: FspiopError, state_field: str, http_status: int) -> dict[str, Any]:
    """Body of a failed outbound ``POST /quotes`` or ``/simpleTransfers``.

    Built like the SDK scheme adapter's ``handleError``: ``statusCode`` carries the FSPIOP error
    code found in ``<state_field>.lastError.mojaloopError``.
    """
    return {
        "message": err.description,
        "statusCode": err.code,
        state_field: {
            "currentState": ERROR_OCCURRED,
            "lastError": {
                "httpStatusCode": http_status,
                "mojaloopError": error_information(err),
            },
        },
    }
