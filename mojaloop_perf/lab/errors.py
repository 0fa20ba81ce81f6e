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

from collections.abc import Mapping
from typing import Any

# FSPIOP error texts, as in @mojaloop/sdk-standard-components src/lib/errors/index.js.
ERROR_TEXTS: dict[str, str] = {
    "1001": "Destination communication error",
    "2001": "Internal server error",
    "2003": "Service currently unavailable",
    "3000": "Generic client error",
    "3002": "Unknown URI",
    "3100": "Generic validation error",
    "3101": "Malformed syntax",
    "3102": "Missing mandatory element",
    "3105": "Invalid signature",
    "3106": "Modified request",
    "3200": "Generic ID not found",
    "3201": "Destination FSP Error",
    "3204": "Party not found",
    "3303": "Transfer expired",
    "4200": "Payer limit error",
    "5101": "Payee rejected quote",
    "5105": "Payee FSP rejected transaction",
}

DESTINATION_COMMUNICATION_ERROR = "1001"
INTERNAL_ERROR = "2001"
SERVICE_UNAVAILABLE = "2003"
CLIENT_ERROR = "3000"
UNKNOWN_URI = "3002"
VALIDATION_ERROR = "3100"
MALFORMED_SYNTAX = "3101"
MISSING_ELEMENT = "3102"
INVALID_SIGNATURE = "3105"
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


class RemoteError(FspiopError):
    """An error callback that came over HTTP: its ``errorInformation`` is kept exactly as sent."""

    def __init__(self, information: Mapping[str, Any]) -> None:
        info = information.get("errorInformation") if isinstance(information, Mapping) else None
        info = dict(info) if isinstance(info, Mapping) else {}
        super().__init__(str(info.get("errorCode", INTERNAL_ERROR)))
        self.description = str(info.get("errorDescription", self.description))
        self._information = info or {"errorCode": self.code, "errorDescription": self.description}

    def information(self) -> dict[str, Any]:
        return {"errorInformation": dict(self._information)}


class NoCallback(Exception):
    """No callback will reach the payer: its SDK times out."""


class CallbackTimeout(NoCallback):
    """No callback came within the request processing timeout: the waiting has been done."""


class Refused(Exception):
    """A switch service refused the request with HTTP ``status`` (no callback follows).

    ``status`` 0 means no HTTP answer at all (connection or TLS failure); ``reason`` then says
    what the HTTP client reported.
    """

    def __init__(self, status: int, service: str, reason: str = "") -> None:
        self.status = status
        self.service = service
        self.reason = reason
        super().__init__(reason or f"{service} answered HTTP {status}")


def validation_error(field: str, problem: str, http_status: int = 400) -> FspiopError:
    """3100 naming the offending field: ``Generic validation error - <field>: <problem>``."""
    return FspiopError(VALIDATION_ERROR, f"{field}: {problem}", http_status)
