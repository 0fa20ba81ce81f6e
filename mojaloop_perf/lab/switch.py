"""The switch emulator: what the real switch enforces on discovery, quotes and transfers.

Pure domain logic, no HTTP. Each operation returns the callback the payer would get, or raises
what happened instead (``mojaloop_perf.lab.errors``: an error callback, no callback, a refusal). The
rules and their error codes are the real services' (see docs/local-lab.md for the table with
source references): account-lookup-service for parties, quoting-service (simple routing mode,
its default) for quotes, central-ledger for transfers. The payee DFSPs are reached through the
narrow ``PayeeHandler`` protocol; faults are injected here, at the hop where they happen.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from mojaloop_perf.lab import errors, ilp
from mojaloop_perf.lab.clock import now_iso, parse_iso
from mojaloop_perf.lab.errors import FspiopError, NoCallback, Refused
from mojaloop_perf.lab.faults import Draw, FaultPlan, Phase
from mojaloop_perf.lab.ledger import Ledger
from mojaloop_perf.lab.participants import (
    DEFAULT_NDC,
    MSISDN,
    MsisdnOracle,
    Participant,
    RangeOverlapError,
)

# The switch service each phase's request reaches first (what refuses it with 503).
SERVICES: dict[Phase, str] = {
    "discovery": "account-lookup-service",
    "quote": "quoting-service",
    "transfer": "ml-api-adapter",
}


class PayeeHandler(Protocol):
    """What the switch asks of a payee DFSP (its FSPIOP inbound side)."""

    async def get_party(self, id_type: str, id_value: str, sub_id: str | None) -> dict[str, Any]:
        """The party of the ``PUT /parties`` callback."""
        ...

    async def quote(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The ``PUT /quotes`` body for a quote request; FspiopError to refuse."""
        ...

    async def prepare(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The ``PUT /transfers`` body for a transfer prepare; FspiopError to refuse."""
        ...


class TransferState(StrEnum):
    RESERVED = "RESERVED"
    COMMITTED = "COMMITTED"
    ABORTED = "ABORTED"


@dataclass(slots=True)
class TransferRecord:
    transfer_id: str
    payer_fsp: str
    payee_fsp: str
    amount: Decimal
    currency: str
    digest: str
    state: TransferState = TransferState.ABORTED
    error_code: str | None = None
    completed_timestamp: str | None = None
    fulfilment: str | None = None


def _digest(request: Mapping[str, Any]) -> str:
    """What central-ledger compares for a resend: a hash of the whole prepare body."""
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _unsupported(fsp_id: str) -> FspiopError:
    return FspiopError(errors.DESTINATION_FSP_ERROR, f"Unsupported participant '{fsp_id}'")


class Switch:
    """In-memory switch: nothing survives a restart.

    ``payees`` maps every fspId the lab serves to its payee handler; only those can be onboarded.
    """

    def __init__(
        self,
        payees: Mapping[str, PayeeHandler],
        faults: FaultPlan | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self._payees = dict(payees)
        self._participants: dict[str, Participant] = {}
        self.oracle = MsisdnOracle()
        self._transfers: dict[str, TransferRecord] = {}
        self.faults = faults or FaultPlan()
        self.ledger = ledger or Ledger()

    # -- admin --------------------------------------------------------------------------------

    def upsert_participant(
        self, fsp_id: str, currency: str, ndc: Decimal | None = None
    ) -> tuple[Participant, str]:
        """Onboard or update a participant; returns it and ``created``/``unchanged``/``updated``.

        FspiopError 3201 (404) for an fspId the lab does not serve, 3100 (409) for a currency
        change.
        """
        if fsp_id not in self._payees:
            raise self._not_served(fsp_id)
        ndc = DEFAULT_NDC if ndc is None else ndc
        existing = self._participants.get(fsp_id)
        if existing is None:
            participant = Participant(fsp_id, currency, ndc)
            self._participants[fsp_id] = participant
            return participant, "created"
        if existing.currency != currency:
            raise errors.validation_error(
                "currency",
                f"{fsp_id} is onboarded with {existing.currency}; the currency cannot change",
                409,
            )
        if existing.ndc == ndc:
            return existing, "unchanged"
        existing.ndc = ndc
        return existing, "updated"

    def _not_served(self, fsp_id: str) -> FspiopError:
        served = ", ".join(self._payees)
        return FspiopError(
            errors.DESTINATION_FSP_ERROR, f"{fsp_id} is not a DFSP of this lab ({served})", 404
        )

    def participant(self, fsp_id: str) -> Participant | None:
        return self._participants.get(fsp_id)

    def participants(self) -> list[Participant]:
        return list(self._participants.values())

    def register_msisdns(self, fsp_id: str, start: str, count: int) -> bool:
        """Register an MSISDN range for an onboarded participant; True when new.

        FspiopError 3201 (404) for an fspId the lab does not serve, 3200 (404) when it is not
        onboarded, 3100 (400) for a malformed range and 3100 (409) for an overlap.
        """
        if fsp_id not in self._payees:
            raise self._not_served(fsp_id)
        if fsp_id not in self._participants:
            raise FspiopError(errors.ID_NOT_FOUND, f"participant {fsp_id} is not onboarded", 404)
        try:
            return self.oracle.register(fsp_id, start, count)
        except RangeOverlapError as exc:
            raise errors.validation_error("start", str(exc), 409) from None
        except ValueError as exc:
            raise errors.validation_error("start", str(exc), 400) from None

    def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        return self._transfers.get(transfer_id)

    # -- faults -------------------------------------------------------------------------------

    def admit(self, phase: Phase) -> Draw:
        """Draw a request's fault as it reaches the switch service of its phase.

        Refused (503) for a ``switch_5xx`` draw: the service's synchronous answer. Otherwise the
        draw, which the operation then takes as ``draw=`` (over HTTP, the switch admits a request
        before answering 202 and runs the operation after).
        """
        draw = self.faults.draw(phase)
        if draw.kind == "switch_5xx":
            self.ledger.inject(phase, draw.kind)
            raise Refused(503, SERVICES[phase])
        return draw

    async def _payee_hop(self, phase: Phase, draw: Draw, reject: FspiopError) -> None:
        """The payee's injected behaviour: never answering, answering slowly, or refusing."""
        if draw.kind == "payee_timeout":
            self.ledger.inject(phase, draw.kind)
            raise NoCallback
        if draw.slow_ms:
            self.ledger.inject(phase, "slow")
            await asyncio.sleep(draw.slow_ms / 1000)
        if draw.kind == "payee_reject":
            self.ledger.inject(phase, draw.kind)
            raise reject

    def _requester(self, fsp_id: str) -> Participant:
        """The payer; one the switch does not know gets no callback at all."""
        participant = self._participants.get(fsp_id)
        if participant is None:
            raise NoCallback
        return participant

    # -- discovery: account-lookup-service ----------------------------------------------------

    async def lookup_party(
        self,
        source: str,
        id_type: str,
        id_value: str,
        sub_id: str | None = None,
        *,
        draw: Draw | None = None,
    ) -> dict[str, Any]:
        draw = self.admit("discovery") if draw is None else draw
        self._requester(source)
        owner = self.oracle.lookup(id_value) if id_type == MSISDN else None
        if owner is None or owner not in self._participants:
            raise FspiopError(errors.PARTY_NOT_FOUND)
        if sub_id is not None:  # the oracle holds no sub-id records: the filtered list is empty
            raise FspiopError(
                errors.ID_NOT_FOUND,
                "Empty oracle partyList, filtered based on callbackEndpointType",
            )
        await self._payee_hop("discovery", draw, FspiopError(errors.PARTY_NOT_FOUND))
        return await self._payees[owner].get_party(id_type, id_value, sub_id)

    # -- quotes: quoting-service in simple routing mode ---------------------------------------

    async def request_quote(
        self, source: str, destination: str, request: Mapping[str, Any], *, draw: Draw | None = None
    ) -> dict[str, Any]:
        draw = self.admit("quote") if draw is None else draw
        self._requester(source)
        payee = self._participants.get(destination)
        if payee is None or payee.currency != request["amount"]["currency"]:
            raise _unsupported(destination)
        await self._payee_hop("quote", draw, FspiopError(errors.PAYEE_REJECTED_QUOTE))
        return await self._payees[destination].quote(request)

    # -- transfers: ml-api-adapter and central-ledger -----------------------------------------

    async def transfer(
        self, source: str, destination: str, request: Mapping[str, Any], *, draw: Draw | None = None
    ) -> dict[str, Any]:
        """Prepare, have the payee fulfil, check the fulfilment and commit; or abort."""
        draw = self.admit("transfer") if draw is None else draw
        payer = self._requester(source)
        transfer_id = str(request["transferId"])
        digest = _digest(request)
        existing = self._transfers.get(transfer_id)
        if existing is not None:
            return self._resend(existing, digest)
        money = request["amount"]
        amount = Decimal(str(money["amount"]))
        payee_fsp = str(request["payeeFsp"])
        record = TransferRecord(
            transfer_id, str(request["payerFsp"]), payee_fsp, amount, str(money["currency"]), digest
        )
        self._transfers[transfer_id] = record
        try:
            self._validate_prepare(source, request, record)
            if payer.position + payer.reserved + amount > payer.ndc:
                raise FspiopError(errors.PAYER_LIMIT_ERROR)
        except FspiopError as err:
            self._abort(record, err.code)
            raise
        payer.reserved += amount
        record.state = TransferState.RESERVED
        try:
            await self._payee_hop("transfer", draw, FspiopError(errors.PAYEE_FSP_REJECTED_TXN))
            body = await self._prepare_at(payee_fsp, request)
            if not self._fulfils(body.get("fulfilment"), str(request["condition"])):
                raise FspiopError(errors.VALIDATION_ERROR, "invalid fulfilment")
        except NoCallback:
            self._expire_at(record, str(request["expiration"]))
            raise
        except FspiopError as err:
            payer.reserved -= amount
            self._abort(record, err.code)
            raise
        payer.reserved -= amount
        payer.position += amount
        self._participants[payee_fsp].position -= amount
        record.state = TransferState.COMMITTED
        record.completed_timestamp = str(body.get("completedTimestamp") or now_iso())
        record.fulfilment = str(body["fulfilment"])
        return body

    async def _prepare_at(self, payee_fsp: str, request: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return await self._payees[payee_fsp].prepare(request)
        except (FspiopError, NoCallback):
            raise
        except Exception as exc:  # a payee that breaks must not leave a reservation behind
            raise FspiopError(errors.INTERNAL_ERROR) from exc

    def _validate_prepare(
        self, source: str, request: Mapping[str, Any], record: TransferRecord
    ) -> None:
        """central-ledger's validatePrepare: the first reason found is the 3100's description."""

        def reason(text: str) -> FspiopError:
            return FspiopError(errors.VALIDATION_ERROR, text)

        if record.payer_fsp != source:
            raise reason("FSPIOP-Source header should match Payer")
        for fsp_id in (record.payer_fsp, record.payee_fsp):
            if fsp_id not in self._participants:
                raise reason(f"Participant {fsp_id} not found")
        if not ilp.is_valid_condition_string(request.get("condition")):
            raise reason("Condition validation failed")
        expiration = parse_iso(str(request["expiration"]))
        if expiration < datetime.now(UTC):
            stamp = expiration.astimezone(UTC).isoformat(timespec="milliseconds")
            raise reason(f"Expiration date {stamp.replace('+00:00', 'Z')} is already in the past")
        if record.payer_fsp == record.payee_fsp:
            raise reason(
                "Payer FSP and Payee FSP should be different, unless on-us tranfers are "
                "allowed by the Scheme"
            )
        for fsp_id in (record.payer_fsp, record.payee_fsp):
            if self._participants[fsp_id].currency != record.currency:
                raise reason(f"Participant {fsp_id} {record.currency} account not found")

    @staticmethod
    def _fulfils(fulfilment: Any, condition: str) -> bool:
        try:
            return ilp.condition_for(str(fulfilment)) == condition
        except ilp.IlpError:
            return False

    def _resend(self, record: TransferRecord, digest: str) -> dict[str, Any]:
        """A prepare with a known transferId: the same one gets the final state again."""
        if digest != record.digest:
            raise FspiopError(errors.MODIFIED_REQUEST)
        if record.state == TransferState.RESERVED:
            raise NoCallback  # still in progress: central-ledger ignores the resend
        body: dict[str, Any] = {
            "completedTimestamp": record.completed_timestamp,
            "transferState": str(record.state),
        }
        if record.fulfilment:
            body["fulfilment"] = record.fulfilment
        return body

    def _abort(self, record: TransferRecord, code: str) -> None:
        record.state = TransferState.ABORTED
        record.error_code = code
        record.completed_timestamp = now_iso()

    def _expire_at(self, record: TransferRecord, expiration: str) -> None:
        """A reservation the payee never answered is released when the transfer expires."""
        delay = max(0.0, (parse_iso(expiration) - datetime.now(UTC)).total_seconds())

        def expire() -> None:
            if record.state == TransferState.RESERVED:
                payer = self._participants[record.payer_fsp]
                payer.reserved -= record.amount
                self._abort(record, errors.TRANSFER_EXPIRED)

        asyncio.get_running_loop().call_later(delay, expire)
