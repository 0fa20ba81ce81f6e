"""The switch emulator: participants and positions, the MSISDN oracle, quotes and transfers.

Pure domain logic, no HTTP. The switch reaches payee DFSPs only through the narrow
``PayeeHandler`` protocol, so a later change can put an FSPIOP HTTP client behind it.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from mlperf.lab import errors, ilp
from mlperf.lab.clock import now_iso, parse_iso
from mlperf.lab.errors import FspiopError

DEFAULT_NDC = Decimal("1000000000000000")
MSISDN = "MSISDN"
MAX_MSISDN_DIGITS = 15
MAX_RANGE_COUNT = 10_000_000


class PayeeHandler(Protocol):
    """What the switch asks of a payee DFSP (its FSPIOP inbound side)."""

    async def get_party(self, id_type: str, id_value: str) -> dict[str, Any]:
        """Party body for ``GET /parties/{type}/{id}``; FspiopError when unknown."""
        ...

    async def quote(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Quote response body (``PUT /quotes/{id}``) for a ``POST /quotes`` body."""
        ...

    async def prepare_transfer(self, request: Mapping[str, Any]) -> str:
        """Fulfilment for a ``POST /transfers`` body; FspiopError to reject the transfer."""
        ...


def format_decimal(value: Decimal) -> str:
    """Decimal as a plain string without exponent or trailing zeros: ``1E+3`` → ``"1000"``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@dataclass(slots=True)
class Participant:
    """A DFSP onboarded on the switch, with its position in its one currency."""

    fsp_id: str
    currency: str
    ndc: Decimal
    position: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)

    def view(self) -> dict[str, Any]:
        return {
            "fspId": self.fsp_id,
            "currency": self.currency,
            "ndc": format_decimal(self.ndc),
            "position": format_decimal(self.position),
            "reserved": format_decimal(self.reserved),
        }


class MsisdnRange(NamedTuple):
    """``count`` MSISDNs from ``start`` on, all with the width (digit count) of ``start``."""

    fsp_id: str
    start: str
    count: int

    @property
    def first(self) -> int:
        return int(self.start)

    @property
    def last(self) -> int:
        return int(self.start) + self.count - 1

    def label(self) -> str:
        return f"{self.start}+{self.count}"


class RangeOverlapError(Exception):
    """A range that overlaps one already registered."""

    def __init__(self, new: MsisdnRange, existing: MsisdnRange) -> None:
        self.new = new
        self.existing = existing
        super().__init__(
            f"range {new.label()} overlaps range {existing.label()} registered to {existing.fsp_id}"
        )


class MsisdnOracle:
    """MSISDN → fspId by registered ranges; O(log n) lookups by bisecting sorted range starts.

    MSISDNs of different widths never match each other: ``0256`` is not ``256``.
    """

    def __init__(self) -> None:
        # width → (sorted starts, ranges in the same order)
        self._by_width: dict[int, tuple[list[int], list[MsisdnRange]]] = {}

    def register(self, fsp_id: str, start: str, count: int) -> bool:
        """Register a range; True when new, False when this fsp already has exactly this range.

        ValueError for a malformed range, RangeOverlapError when it overlaps any other range.
        """
        if not (start.isascii() and start.isdigit() and 1 <= len(start) <= MAX_MSISDN_DIGITS):
            raise ValueError(f"start must be 1-{MAX_MSISDN_DIGITS} digits")
        if not 1 <= count <= MAX_RANGE_COUNT:
            raise ValueError(f"count must be 1-{MAX_RANGE_COUNT}")
        new = MsisdnRange(fsp_id, start, count)
        width = len(start)
        if len(str(new.last)) > width:
            raise ValueError(f"range {new.label()} runs past the largest {width}-digit number")
        starts, ranges = self._by_width.setdefault(width, ([], []))
        index = bisect.bisect_left(starts, new.first)
        for neighbour in (index - 1, index):
            if 0 <= neighbour < len(ranges):
                existing = ranges[neighbour]
                if existing.first <= new.last and new.first <= existing.last:
                    if existing == new:
                        return False
                    raise RangeOverlapError(new, existing)
        starts.insert(index, new.first)
        ranges.insert(index, new)
        return True

    def lookup(self, msisdn: str) -> str | None:
        """fspId owning ``msisdn``, or None."""
        entry = self._by_width.get(len(msisdn))
        if entry is None or not (msisdn.isascii() and msisdn.isdigit()):
            return None
        starts, ranges = entry
        number = int(msisdn)
        index = bisect.bisect_right(starts, number) - 1
        if index >= 0 and number <= ranges[index].last:
            return ranges[index].fsp_id
        return None

    def ranges(self, fsp_id: str | None = None) -> list[MsisdnRange]:
        """Registered ranges (of one fsp, or all), by width then start."""
        return [
            r
            for width in sorted(self._by_width)
            for r in self._by_width[width][1]
            if fsp_id is None or r.fsp_id == fsp_id
        ]

    def __len__(self) -> int:
        return sum(len(ranges) for _, ranges in self._by_width.values())


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
    state: TransferState
    error_code: str | None = None
    completed_timestamp: str | None = None


@dataclass(slots=True)
class QuoteRecord:
    quote_id: str
    payer_fsp: str
    payee_fsp: str
    amount: str
    currency: str
    condition: str


class TransferResult(NamedTuple):
    fulfilment: str
    completed_timestamp: str


@dataclass
class Stats:
    """Counters of what the switch did (and of requests rejected before reaching it)."""

    lookups: int = 0
    quotes: int = 0
    transfers_committed: int = 0
    transfers_aborted: int = 0
    bad_requests: int = 0
    errors_by_code: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lookups": self.lookups,
            "quotes": self.quotes,
            "transfers_committed": self.transfers_committed,
            "transfers_aborted": self.transfers_aborted,
            "bad_requests": self.bad_requests,
            "errors_by_code": dict(sorted(self.errors_by_code.items())),
        }


def _not_onboarded(role: str, fsp_id: str, http_status: int = 500) -> FspiopError:
    return FspiopError(
        errors.DESTINATION_FSP_ERROR, f"{role} {fsp_id} is not onboarded", http_status
    )


class Switch:
    """In-memory switch: nothing survives a restart.

    ``payees`` maps every fspId the lab serves to its payee handler; only those can be onboarded.
    """

    def __init__(self, payees: Mapping[str, PayeeHandler]) -> None:
        self._payees = dict(payees)
        self._participants: dict[str, Participant] = {}
        self.oracle = MsisdnOracle()
        self._quotes: dict[str, QuoteRecord] = {}
        self._transfers: dict[str, TransferRecord] = {}
        self.stats = Stats()

    # -- admin --------------------------------------------------------------------------------

    @property
    def served_fsp_ids(self) -> list[str]:
        return list(self._payees)

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

    def get_quote(self, quote_id: str) -> QuoteRecord | None:
        return self._quotes.get(quote_id)

    def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        return self._transfers.get(transfer_id)

    # -- FSPIOP operations --------------------------------------------------------------------

    def _participant_or_error(self, role: str, fsp_id: str, http_status: int = 500) -> Participant:
        participant = self._participants.get(fsp_id)
        if participant is None:
            raise _not_onboarded(role, fsp_id, http_status)
        return participant

    def _count_error(self, err: FspiopError) -> None:
        self.stats.errors_by_code[err.code] += 1

    async def lookup_party(self, source_fsp: str, id_type: str, id_value: str) -> dict[str, Any]:
        """Party body of whoever owns ``id_type``/``id_value``; errors carry HTTP status 404."""
        try:
            self._participant_or_error("requesting fsp", source_fsp, 404)
            if id_type != MSISDN:
                raise FspiopError(errors.PARTY_NOT_FOUND, http_status=404)
            owner = self.oracle.lookup(id_value)
            if owner is None or owner not in self._participants:
                raise FspiopError(errors.PARTY_NOT_FOUND, http_status=404)
            party = await self._payees[owner].get_party(id_type, id_value)
        except FspiopError as err:
            self._count_error(err)
            raise
        self.stats.lookups += 1
        return party

    async def request_quote(
        self, source_fsp: str, destination_fsp: str, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Route a quote request to the payee and return its quote response body."""
        try:
            payer = self._participant_or_error("payer fsp", source_fsp)
            payee = self._participant_or_error("payee fsp", destination_fsp)
            quote_id = request["quoteId"]
            if quote_id in self._quotes:
                raise FspiopError(errors.MODIFIED_REQUEST, f"duplicate quoteId {quote_id}")
            payee_info = request["payee"]["partyIdInfo"]
            if (
                payee_info["partyIdType"] != MSISDN
                or self.oracle.lookup(payee_info["partyIdentifier"]) != destination_fsp
            ):
                raise FspiopError(errors.PARTY_NOT_FOUND)
            money = request["amount"]
            for participant in (payer, payee):
                if money["currency"] != participant.currency:
                    raise errors.validation_error(
                        "amount.currency",
                        f"{money['currency']} is not the currency of {participant.fsp_id} "
                        f"({participant.currency})",
                        500,
                    )
            response = await self._payees[destination_fsp].quote(request)
        except FspiopError as err:
            self._count_error(err)
            raise
        self._quotes[quote_id] = QuoteRecord(
            quote_id,
            source_fsp,
            destination_fsp,
            response["transferAmount"]["amount"],
            response["transferAmount"]["currency"],
            response["condition"],
        )
        self.stats.quotes += 1
        return response

    async def transfer(
        self, source_fsp: str, destination_fsp: str, request: Mapping[str, Any]
    ) -> TransferResult:
        """Prepare, have the payee fulfil, check the fulfilment and commit; or abort.

        Reservations are released on every failure; a duplicate transferId changes nothing.
        """
        try:
            return await self._transfer(source_fsp, destination_fsp, request)
        except FspiopError as err:
            self._count_error(err)
            raise

    async def _transfer(
        self, source_fsp: str, destination_fsp: str, request: Mapping[str, Any]
    ) -> TransferResult:
        payer = self._participant_or_error("payer fsp", source_fsp)
        payee = self._participant_or_error("payee fsp", destination_fsp)
        transfer_id = request["transferId"]
        if transfer_id in self._transfers:
            raise FspiopError(errors.MODIFIED_REQUEST, f"duplicate transferId {transfer_id}")
        money = request["amount"]
        try:
            amount = Decimal(money["amount"])
        except (TypeError, ArithmeticError):
            amount = Decimal("NaN")
        if not amount.is_finite() or amount <= 0:
            raise errors.validation_error("amount.amount", "not a positive decimal number", 500)
        record = TransferRecord(
            transfer_id,
            payer.fsp_id,
            payee.fsp_id,
            amount,
            money["currency"],
            TransferState.ABORTED,
        )
        self._transfers[transfer_id] = record
        try:
            self._check_transfer(payer, payee, request, amount)
        except FspiopError as err:
            self._abort(record, err)
            raise
        payer.reserved += amount
        record.state = TransferState.RESERVED
        try:
            fulfilment = await self._fulfil(payee.fsp_id, request)
        except FspiopError as err:
            payer.reserved -= amount
            self._abort(record, err)
            raise
        payer.reserved -= amount
        payer.position += amount
        payee.position -= amount
        record.state = TransferState.COMMITTED
        record.completed_timestamp = now_iso()
        self.stats.transfers_committed += 1
        return TransferResult(fulfilment, record.completed_timestamp)

    def _check_transfer(
        self,
        payer: Participant,
        payee: Participant,
        request: Mapping[str, Any],
        amount: Decimal,
    ) -> None:
        if request["payerFsp"] != payer.fsp_id:
            raise errors.validation_error("payerFsp", f"must be {payer.fsp_id}", 500)
        if request["payeeFsp"] != payee.fsp_id:
            raise errors.validation_error("payeeFsp", f"must be {payee.fsp_id}", 500)
        currency = request["amount"]["currency"]
        for participant in (payer, payee):
            if currency != participant.currency:
                raise errors.validation_error(
                    "amount.currency",
                    f"{currency} is not the currency of {participant.fsp_id} "
                    f"({participant.currency})",
                    500,
                )
        try:
            expiration = parse_iso(request["expiration"])
        except (TypeError, ValueError):
            raise errors.validation_error("expiration", "not an ISO 8601 timestamp", 500) from None
        if expiration <= datetime.now(UTC):
            raise FspiopError(errors.TRANSFER_EXPIRED, f"expired at {request['expiration']}")
        if payer.position + payer.reserved + amount > payer.ndc:
            raise FspiopError(
                errors.PAYER_INSUFFICIENT_LIQUIDITY,
                f"{payer.fsp_id} position {format_decimal(payer.position)} + reserved "
                f"{format_decimal(payer.reserved)} + {format_decimal(amount)} exceeds "
                f"its net debit cap {format_decimal(payer.ndc)}",
            )

    async def _fulfil(self, payee_fsp: str, request: Mapping[str, Any]) -> str:
        try:
            fulfilment = await self._payees[payee_fsp].prepare_transfer(request)
        except FspiopError:
            raise
        except Exception as exc:  # a payee that breaks must not leave a reservation behind
            raise FspiopError(
                errors.GENERIC_PAYEE_ERROR, f"{payee_fsp} failed: {type(exc).__name__}"
            ) from exc
        try:
            valid = ilp.condition_for(fulfilment) == request["condition"]
        except (ilp.IlpError, TypeError):
            valid = False
        if not valid:
            raise errors.validation_error(
                "fulfilment", f"the fulfilment from {payee_fsp} does not match the condition", 500
            )
        return fulfilment

    def _abort(self, record: TransferRecord, err: FspiopError) -> None:
        record.state = TransferState.ABORTED
        record.error_code = err.code
        record.completed_timestamp = now_iso()
        self.stats.transfers_aborted += 1
