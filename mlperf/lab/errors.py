"""What can go wrong on the way through the switch, and the FSPIOP error bodies that carry it.

Three ways a hop can fail, each answered differently by the payer's SDK scheme adapter
(mojaloop/sdk-scheme-adapter, modules/api-svc/src/OutboundServer/handlers.js):

- ``FspiopError``: an error callback (``PUT …/error``) from the switch or the payee. The SDK's
  async-to-sync model completes with it: HTTP 200 (404 for parties) and ``currentState``
  ``COMPLETED``, the ``errorInformation`` inside the body.
- ``NoCallback``: nobody calls back (a payee that never answers, a payer the switch cannot
  reach). The SDK gives up after its request processing timeout: HTTP 500, ``"Timeout"``.
- ``Refused``: a switch service refuses the request itself with an HTTP error status. The SDK's
  request throws: HTTP 500, ``"Request failed with status code <n>"``.
"""

from __future__ import annotations

from typing import Any

# FSPIOP error texts, as in @mojaloop/sdk-standard-components src/lib/errors/index.js.
ERROR_TEXTS: dict[str, str] = {
    "2001": "Internal server error",
    "3100": "Generic validation error",
    "3106": "Modified request",
    "3200": "Generic ID not found",
    "3201": "Destination FSP Error",
    "3204": "Party not found",
    "3303": "Transfer expired",
    "4200": "Payer limit error",
    "5101": "Payee rejected quote",
    "5105": "Payee FSP rejected transaction",
}

INTERNAL_ERROR = "2001"
VALIDATION_ERROR = "3100"
MODIFIED_REQUEST = "3106"
ID_NOT_FOUND = "3200"
DESTINATION_FSP_ERROR = "3201"
PARTY_NOT_FOUND = "3204"
TRANSFER_EXPIRED = "3303"
PAYER_LIMIT_ERROR = "4200"
PAYEE_REJECTED_QUOTE = "5101"
PAYEE_FSP_REJECTED_TXN = "5105"

# ErrorInformation.errorDescription is at most 128 characters (FSPIOP API); Mojaloop's error
# handling (central-services-error-handling, FSPIOPError.toApiErrorObject) cuts it there.
MAX_DESCRIPTION = 128


class FspiopError(Exception):
    """An FSPIOP error: code and description (``<standard text> - <detail>``, ≤ 128 chars).

    ``http_status`` matters only on the admin API (400, 404 or 409); on the FSPIOP paths an
    error is always a callback.
    """

    def __init__(self, code: str, detail: str | None = None, http_status: int = 400) -> None:
        text = ERROR_TEXTS.get(code, "FSPIOP error")
        self.code = code
        self.description = (f"{text} - {detail}" if detail else text)[:MAX_DESCRIPTION]
        self.http_status = http_status
        super().__init__(f"{code} {self.description}")

    def information(self) -> dict[str, Any]:
        """``{"errorInformation": {"errorCode", "errorDescription"}}``, the FSPIOP error body."""
        return {"errorInformation": {"errorCode": self.code, "errorDescription": self.description}}


class NoCallback(Exception):
    """No callback will reach the payer: its SDK times out."""


class Refused(Exception):
    """A switch service refused the request with HTTP ``status`` (no callback follows)."""

    def __init__(self, status: int, service: str) -> None:
        self.status = status
        self.service = service
        super().__init__(f"{service} answered HTTP {status}")


def validation_error(field: str, problem: str, http_status: int = 400) -> FspiopError:
    """3100 naming the offending field: ``Generic validation error - <field>: <problem>``."""
    return FspiopError(VALIDATION_ERROR, f"{field}: {problem}", http_status)
