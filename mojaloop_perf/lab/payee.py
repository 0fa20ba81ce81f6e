"""The payee side of a DFSP: its SDK scheme adapter's inbound API and the simulator behind it.

What a real payee (mojaloop/sdk-scheme-adapter ``modules/api-svc/src/lib/model/
InboundTransfersModel.js`` with the mojaloop-simulator backend, default settings) answers:

- a party lookup: the party, with the simulator's names (``internalPartyToMojaloopParty``);
- a quote: the simulator quotes the requested amount with a fee and commission of
  ``floor(amount × FEE_MULTIPLIER)`` (chart default 0.05), the SDK adds an expiration
  (EXPIRY_SECONDS after now, chart default 60) and the ILP packet, condition and fulfilment,
  and keeps the quote **under the quote's transactionId**;
- a transfer prepare: the SDK looks the quote up **by the transfer's transferId**; with its
  defaults (ALLOW_TRANSFER_WITHOUT_QUOTE and ALLOW_DIFFERENT_TRANSFER_TRANSACTION_ID false) a
  transfer whose id is no quote's transactionId is refused, as is one whose condition is not the
  quote's or whose packet does not decode (CHECK_ILP true) — each with a generic 2001 error —
  and otherwise it answers COMMITTED with the stored fulfilment.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mojaloop_perf.lab import errors, ilp
from mojaloop_perf.lab.clock import now_iso
from mojaloop_perf.lab.errors import FspiopError
from mojaloop_perf.lab.sdk_validator import js_number
from mojaloop_perf.seed import party_names

QUOTE_EXPIRY_S = 60.0  # the simulator chart's EXPIRY_SECONDS (the SDK's own default is 20)
FEE_MULTIPLIER = 0.05  # the simulator chart's FEE_MULTIPLIER
COMMITTED = "COMMITTED"


@dataclass(frozen=True, slots=True)
class StoredQuote:
    condition: str
    fulfilment: str


def _internal_error() -> FspiopError:
    # The SDK's _handleError turns any non-HTTP error into a bare 2001.
    return FspiopError(errors.INTERNAL_ERROR)


class Payee:
    """One DFSP's inbound side; implements the switch's ``PayeeHandler`` protocol.

    ``secret`` is the ILP secret (the SDK's ILP_SECRET); a random one is drawn unless given and
    never written anywhere.
    """

    def __init__(
        self,
        fsp_id: str,
        secret: str | None = None,
        *,
        quote_expiry_s: float = QUOTE_EXPIRY_S,
        fee_multiplier: float = FEE_MULTIPLIER,
    ) -> None:
        self.fsp_id = fsp_id
        self.secret = secret if secret is not None else secrets.token_urlsafe(24)
        self.quote_expiry_s = quote_expiry_s
        self.fee_multiplier = fee_multiplier
        self._quotes: dict[str, StoredQuote] = {}

    async def get_party(self, id_type: str, id_value: str, sub_id: str | None) -> dict[str, Any]:
        """The ``party`` of the ``PUT /parties`` callback."""
        first, last = party_names(id_value)
        info = {"partyIdType": id_type, "partyIdentifier": id_value}
        if sub_id is not None:
            info["partySubIdOrType"] = sub_id
        info["fspId"] = self.fsp_id
        return {
            "partyIdInfo": info,
            "personalInfo": {"complexName": {"firstName": first, "lastName": last}},
            "name": f"{first} {last}",
        }

    async def quote(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The ``PUT /quotes`` body for a ``POST /quotes`` body; FspiopError 2001 on failure."""
        money = request["amount"]
        fee = {"amount": self._fee(money["amount"]), "currency": money["currency"]}
        response: dict[str, Any] = {
            "transferAmount": {"amount": money["amount"], "currency": money["currency"]},
            "expiration": now_iso(self.quote_expiry_s),
            # Filled in below; placed here because the SDK's key order is the callback's.
            "ilpPacket": None,
            "condition": None,
            "payeeFspFee": fee,
            "payeeFspCommission": dict(fee),
        }
        try:
            packet = ilp.encode_packet(ilp.transaction_object(request, response))
            fulfilment = ilp.fulfilment(self.secret, packet)
            condition = ilp.condition_for(fulfilment)
        except (ilp.IlpError, KeyError, TypeError, AttributeError):
            raise _internal_error() from None
        response["ilpPacket"], response["condition"] = packet, condition
        self._quotes[str(request["transactionId"])] = StoredQuote(condition, fulfilment)
        return response

    async def prepare(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The ``PUT /transfers`` body for a ``POST /transfers`` body; FspiopError 2001 on refusal."""
        quote = self._quotes.get(str(request.get("transferId")))
        if quote is None or request.get("condition") != quote.condition:
            raise _internal_error()
        try:
            ilp.decode_packet(str(request.get("ilpPacket")))
        except ilp.IlpError:
            raise _internal_error() from None
        return {
            "completedTimestamp": now_iso(),
            "transferState": COMMITTED,
            "fulfilment": quote.fulfilment,
        }

    def _fee(self, amount: str) -> str:
        """``Math.floor(Number(amount) * FEE_MULTIPLIER).toString()``, as the simulator computes it."""
        return js_number(math.floor(float(amount) * self.fee_multiplier))
