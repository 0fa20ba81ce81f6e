"""The DFSP simulator: a payee side the switch calls, and a payer side exposing the outbound API.

Payee side (``Payee``): answers party lookups with deterministic names, quotes with an ILP v1
packet and condition made with a per-DFSP secret, and fulfils transfers whose condition it can
recompute from their packet. Payer side (``Outbound``): the SDK scheme adapter's synchronous
outbound operations (parties, quotes, simpleTransfers), which validate their input, wait the
configured latency and call the switch through the narrow ``SwitchApi`` protocol.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mlperf.lab import errors, ilp, validation
from mlperf.lab.clock import now_iso, parse_iso
from mlperf.seed import party_names

QUOTE_TTL_S = 60.0
COMPLETED = "COMPLETED"
SECRET_BYTES = 32


class Payee:
    """The payee side of one DFSP; implements the switch's ``PayeeHandler`` protocol.

    The secret is generated at start (``os.urandom``) unless given, and never written anywhere.
    """

    def __init__(
        self, fsp_id: str, secret: bytes | None = None, quote_ttl_s: float = QUOTE_TTL_S
    ) -> None:
        self.fsp_id = fsp_id
        self._secret = secret if secret is not None else os.urandom(SECRET_BYTES)
        self.quote_ttl_s = quote_ttl_s

    async def get_party(self, id_type: str, id_value: str) -> dict[str, Any]:
        first, last = party_names(id_value)
        return {
            "partyIdInfo": {
                "partyIdType": id_type,
                "partyIdentifier": id_value,
                "fspId": self.fsp_id,
            },
            "name": f"{first} {last}",
            "personalInfo": {"complexName": {"firstName": first, "lastName": last}},
        }

    async def quote(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """No fees, no commission: the transfer amount is the quoted amount."""
        money = request["amount"]
        transfer_amount = {"currency": money["currency"], "amount": money["amount"]}
        zero = {"currency": money["currency"], "amount": "0"}
        expiration = now_iso(self.quote_ttl_s)
        transaction: dict[str, Any] = {
            "quoteId": request["quoteId"],
            "transactionId": request["transactionId"],
            "transactionType": request["transactionType"],
            "payee": request["payee"],
            "payer": request["payer"],
            "expiration": expiration,
            "amount": transfer_amount,
        }
        if request.get("note"):
            transaction["note"] = request["note"]
        account = ilp.ilp_address(request["payee"], default_fsp_id=self.fsp_id)
        try:
            packet = ilp.encode_packet(transaction, account=account)
        except ilp.IlpError as exc:
            raise errors.validation_error("amount.amount", str(exc), 500) from None
        return {
            "transferAmount": transfer_amount,
            "payeeReceiveAmount": dict(transfer_amount),
            "payeeFspFee": zero,
            "payeeFspCommission": dict(zero),
            "expiration": expiration,
            "ilpPacket": packet,
            "condition": ilp.condition_for(ilp.fulfilment(self._secret, packet)),
        }

    async def prepare_transfer(self, request: Mapping[str, Any]) -> str:
        """The fulfilment of the transfer's packet, if it matches the transfer's condition."""
        packet = request["ilpPacket"]
        fulfilment = ilp.fulfilment(self._secret, packet) if packet.isascii() else ""
        if not fulfilment or ilp.condition_for(fulfilment) != request["condition"]:
            raise errors.validation_error(
                "condition",
                f"the ILP condition does not match the quote {self.fsp_id} made for this ILP packet",
                500,
            )
        return fulfilment


class SwitchApi(Protocol):
    """What the payer side needs from the switch."""

    async def lookup_party(self, source_fsp: str, id_type: str, id_value: str) -> dict[str, Any]:
        """Party body, or FspiopError."""
        ...

    async def request_quote(
        self, source_fsp: str, destination_fsp: str, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Quote response body, or FspiopError."""
        ...

    async def transfer(
        self, source_fsp: str, destination_fsp: str, request: Mapping[str, Any]
    ) -> tuple[str, str]:
        """(fulfilment, completedTimestamp) of a committed transfer, or FspiopError."""
        ...


@dataclass(frozen=True, slots=True)
class Latency:
    """Extra delay, in milliseconds, added to each outbound operation before it calls the switch."""

    discovery_ms: float = 0.0
    quote_ms: float = 0.0
    transfer_ms: float = 0.0


async def _delay(ms: float) -> None:
    if ms > 0:
        await asyncio.sleep(ms / 1000.0)


class Outbound:
    """The payer side of one DFSP: the SDK scheme adapter's synchronous outbound operations.

    Each returns the SDK's success body or raises FspiopError (``http_status`` 400 when the
    request is invalid).
    """

    def __init__(self, fsp_id: str, switch: SwitchApi, latency: Latency | None = None) -> None:
        self.fsp_id = fsp_id
        self.switch = switch
        self.latency = latency or Latency()

    async def get_party(self, id_type: str, id_value: str) -> dict[str, Any]:
        """``GET /parties/{type}/{id}``."""
        await _delay(self.latency.discovery_ms)
        body = await self.switch.lookup_party(self.fsp_id, id_type, id_value)
        return {"party": {"body": body, "headers": {}}, "currentState": COMPLETED}

    async def post_quotes(self, body: Any) -> dict[str, Any]:
        """``POST /quotes`` with ``{fspId, quotesPostRequest}``."""
        payee_fsp, request = self._validate_quote(body)
        await _delay(self.latency.quote_ms)
        quote = await self.switch.request_quote(self.fsp_id, payee_fsp, request)
        return {"quotes": {"body": quote, "headers": {}}, "currentState": COMPLETED}

    async def post_simple_transfers(self, body: Any) -> dict[str, Any]:
        """``POST /simpleTransfers`` with ``{fspId, transfersPostRequest}``."""
        payee_fsp, request = self._validate_transfer(body)
        await _delay(self.latency.transfer_ms)
        fulfilment, completed = await self.switch.transfer(self.fsp_id, payee_fsp, request)
        transfer = {
            "transferState": "COMMITTED",
            "fulfilment": fulfilment,
            "completedTimestamp": completed,
        }
        return {"transfer": {"body": transfer, "headers": {}}, "currentState": COMPLETED}

    def _validate_quote(self, body: Any) -> tuple[str, dict[str, Any]]:
        v = validation
        body = v.obj(body, "body")
        payee_fsp = v.string(body, "fspId", "", pattern=v.FSP_ID_RE, what="must be an fspId")
        path = "quotesPostRequest"
        request = v.child(body, path, "")
        v.string(request, "quoteId", path)
        v.string(request, "transactionId", path)
        payee = v.party_id_info(request, "payee", path)
        payer = v.party_id_info(request, "payer", path)
        if payee.get("fspId") not in (None, payee_fsp):
            raise errors.validation_error(f"{path}.payee.partyIdInfo.fspId", f"must be {payee_fsp}")
        if payer.get("fspId") not in (None, self.fsp_id):
            raise errors.validation_error(
                f"{path}.payer.partyIdInfo.fspId", f"must be {self.fsp_id}"
            )
        amount_type = request.get("amountType")
        if amount_type not in ("SEND", "RECEIVE"):
            raise errors.validation_error(f"{path}.amountType", "must be SEND or RECEIVE")
        v.money(request, "amount", path)
        transaction_type = v.child(request, "transactionType", path)
        for key in ("scenario", "initiator", "initiatorType"):
            v.string(transaction_type, key, f"{path}.transactionType")
        v.string(request, "note", path, optional=True)
        return payee_fsp, request

    def _validate_transfer(self, body: Any) -> tuple[str, dict[str, Any]]:
        v = validation
        body = v.obj(body, "body")
        payee_fsp = v.string(body, "fspId", "", pattern=v.FSP_ID_RE, what="must be an fspId")
        path = "transfersPostRequest"
        request = v.child(body, path, "")
        v.string(request, "transferId", path)
        if v.string(request, "payeeFsp", path) != payee_fsp:
            raise errors.validation_error(f"{path}.payeeFsp", f"must equal fspId ({payee_fsp})")
        if v.string(request, "payerFsp", path) != self.fsp_id:
            raise errors.validation_error(
                f"{path}.payerFsp", f"must be {self.fsp_id}, the DFSP this outbound API serves"
            )
        v.money(request, "amount", path)
        packet = v.string(request, "ilpPacket", path, pattern=v.ILP_PACKET_RE, what="not base64url")
        if len(packet) > v.MAX_ILP_PACKET:
            raise errors.validation_error(f"{path}.ilpPacket", f"longer than {v.MAX_ILP_PACKET}")
        if not ilp.is_valid_condition_string(request.get("condition")):
            raise errors.validation_error(f"{path}.condition", "must be 43 base64url characters")
        expiration = v.string(request, "expiration", path)
        try:
            parse_iso(expiration)
        except ValueError:
            raise errors.validation_error(
                f"{path}.expiration", "must be an ISO 8601 timestamp"
            ) from None
        return payee_fsp, request
