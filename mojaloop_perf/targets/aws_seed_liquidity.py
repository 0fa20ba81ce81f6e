"""The liquidity arithmetic of the AWS seed: how much each DFSP gets, and how much it has.

Every DFSP gets the scenario's `ndc` as its net debit cap and as its liquidity target, checked
to cover RUNS_COVERED runs of the whole load. What a DFSP has is read from its ledger accounts
(GET /participants/{name}/accounts of mojaloop/central-ledger, src/api/participants/handler.js;
restated, not copied): funds-in makes the SETTLEMENT balance negative, transfers raise the
POSITION.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import HttpResponse
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.smoke import describe_answer

# Every DFSP may carry this many runs' worth of the whole load before its net debit cap or its
# liquidity runs out: positions are never settled between runs here, and a run can overshoot
# `transactions` by the VUs still in flight when it stops.
RUNS_COVERED = 10


def liquidity(scenario: Scenario) -> Decimal:
    """The net debit cap and liquidity each DFSP gets: the scenario's `ndc`, checked to cover
    RUNS_COVERED runs of the whole load (transactions × amount) from this one DFSP."""
    load = scenario.load
    try:
        amount = Decimal(load.amount)
    except InvalidOperation:
        raise UserError(f"k6: amount: {load.amount!r} is not a decimal number") from None
    needed = amount * load.transactions * RUNS_COVERED
    ndc = Decimal(scenario.ndc)
    if ndc < needed:
        raise UserError(
            f"dfsp: ndc: {scenario.ndc} is below what the load needs on AWS "
            f"({load.transactions} transactions × {load.amount} {scenario.currency} × "
            f"{RUNS_COVERED} runs = {number(needed)}): raise ndc"
        )
    return ndc


@dataclass(frozen=True)
class Holding:
    """A DFSP's liquidity in one currency: its SETTLEMENT account and what it used.

    Available = −(SETTLEMENT balance) − POSITION − reserved. Not verified: that sign convention
    (a wrong sign over-funds, it never under-funds a fresh DFSP).
    """

    settlement_id: Any
    balance: Decimal
    used: Decimal

    @property
    def available(self) -> Decimal:
        return -self.balance - self.used


def holding(name: str, currency: str, answer: HttpResponse) -> Holding:
    """The holding of DFSP `name` from its GET /participants/{name}/accounts answer; UserError
    when it has no active SETTLEMENT account in `currency`."""
    accounts = [
        a for a in (answer.body if isinstance(answer.body, list) else []) if isinstance(a, dict)
    ]
    by_type = {a.get("ledgerAccountType"): a for a in accounts if a.get("currency") == currency}
    settlement, position = by_type.get("SETTLEMENT"), by_type.get("POSITION") or {}
    if settlement is None or not settlement.get("isActive"):
        raise UserError(
            f"seed: funds-in: {name} has no active SETTLEMENT account in {currency} "
            f"(GET /participants/{name}/accounts: {describe_answer(answer)})"
        )
    used = _decimal(position.get("value")) + _decimal(position.get("reservedValue"))
    return Holding(settlement.get("id"), _decimal(settlement.get("value")), used)


def number(value: Decimal) -> str:
    """A decimal as plain text, no exponent and no trailing zeros: 1E+7 → "10000000"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def json_number(value: Decimal) -> int | float:
    """A decimal as a JSON number: an integer when it has no fraction."""
    return int(value) if value == value.to_integral_value() else float(value)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
