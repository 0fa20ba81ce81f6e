"""The AWS seed as a plan: ordered phases of HTTP calls, each with the rule that judges its answers.

`seed_phases` is pure: each phase holds calls that may run in parallel and the rule
(aws_seed_answers) saying which error answers mean "already there", so a second seed changes
nothing. Two phases derive their calls at run time from the answers of the phase before: the
endpoints to write (only the missing or different ones) and the funds-in to make (only up to the
liquidity target of aws_seed_liquidity).

Sources read (public repositories, Nov 2026; restated, not copied):
- mojaloop/central-ledger src/api/participants/routes.js and handler.js,
  src/handlers/admin/handler.js: the admin routes and their bodies; funds-in is asynchronous
  (202, Kafka) and a repeated transferId with the same body is dropped by the admin handler's
  duplicate check.
- mojaloop/mojaloop-simulator init/onboard-central-ledger/onboard-dfsp.js (the onboarding
  order), src/test-api/{api.yaml,handlers.js} (the party repository).
- mojaloop/account-lookup-service src/interface/admin-swagger.yaml (POST /oracles).
- mojaloop/als-msisdn-oracle-svc src/interface/api.yaml (the single and bulk POST /participants).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mojaloop_perf import seed
from mojaloop_perf.render_aws import dfsp_hostname
from mojaloop_perf.runner import HttpCall, HttpResponse
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.targets.aws_seed_addresses import (
    ALS_ADMIN,
    CENTRAL_LEDGER,
    ORACLE,
    ORACLE_ENDPOINT,
    SwitchAccess,
    endpoints,
)
from mojaloop_perf.targets.aws_seed_answers import (
    BULK_PARTIES,
    CREATED,
    HUB_ACCOUNT_EXISTS,
    LIMITS_EXIST,
    MODEL_EXISTS,
    ORACLE_EXISTS,
    PARTICIPANT_EXISTS,
    PARTY_EXISTS,
    READ,
    Rule,
)
from mojaloop_perf.targets.aws_seed_liquidity import holding, json_number, liquidity, number

# The hub participant's name (centralledger chart-service values.yaml `hub_participant.name`).
HUB = "Hub"
HUB_ACCOUNT_TYPES = ("HUB_MULTILATERAL_SETTLEMENT", "HUB_RECONCILIATION")
# A deferred net settlement model for the scenario's currency: POST /participants needs one that
# matches the currency (or a default) to create the DFSP's POSITION and SETTLEMENT accounts.
# Not verified: whether chart 17.1.0 seeds a model itself (then ours is a second one for the
# currency), and that its central-ledger accepts `settlementAccountType` (newer routes do).
SETTLEMENT_MODEL_PREFIX = "DEFERREDNET"

# The oracle's bulk POST /participants takes up to 10000 parties (its api.yaml, maxItems);
# 500 keeps each request small and its database insert short.
ORACLE_BATCH = 500
# Party details the simulator backend answers lookups with. dateOfBirth is date-only, as the
# FSPIOP DateOfBirth type wants it. Not verified: how the SDK maps these into personalInfo.
DATE_OF_BIRTH = "1990-01-01"


@dataclass(frozen=True)
class Derived:
    """Calls a phase makes from the answers of the phase before, and how many objects need none."""

    calls: tuple[HttpCall, ...]
    there: int = 0


@dataclass(frozen=True)
class SeedPhase:
    """One step of the seed: calls that may run in parallel, and how to judge their answers.

    With `derive`, the calls follow at run time from the previous phase's answers (in order).
    `target` names what the calls reach, for the message when it cannot be reached.
    """

    name: str
    target: str
    accept: Rule
    calls: tuple[HttpCall, ...] = ()
    derive: Callable[[Sequence[HttpResponse]], Derived] | None = None


def seed_phases(scenario: Scenario, access: SwitchAccess) -> list[SeedPhase]:
    """Every phase of the AWS seed, in dependency order."""
    currency = scenario.currency
    participants = seed.participants(scenario)
    names = [p["fspId"] for p in participants]
    cap = liquidity(scenario)
    ledger = f"the switch ({access.host(CENTRAL_LEDGER)})"

    def ledger_call(method: str, path: str, body: Any = None) -> HttpCall:
        return access.switch_call(CENTRAL_LEDGER, method, path, body)

    phases = [
        SeedPhase(
            "hub accounts",
            ledger,
            HUB_ACCOUNT_EXISTS,
            tuple(
                ledger_call(
                    "POST", f"/participants/{HUB}/accounts", {"type": kind, "currency": currency}
                )
                for kind in HUB_ACCOUNT_TYPES
            ),
        ),
        SeedPhase(
            "settlement model",
            ledger,
            MODEL_EXISTS,
            (ledger_call("POST", "/settlementModels", settlement_model(currency)),),
        ),
        SeedPhase(
            "participants",
            ledger,
            PARTICIPANT_EXISTS,
            tuple(
                ledger_call(
                    "POST", "/participants", {"name": p["fspId"], "currency": p["currency"]}
                )
                for p in participants
            ),
        ),
        # NET_DEBIT_CAP = the scenario's ndc (see `liquidity`); setting it also activates the
        # DFSP's accounts, which funds-in needs.
        SeedPhase(
            "limits",
            ledger,
            LIMITS_EXIST,
            tuple(
                ledger_call(
                    "POST",
                    f"/participants/{name}/initialPositionAndLimits",
                    {
                        "currency": currency,
                        "limit": {"type": "NET_DEBIT_CAP", "value": json_number(cap)},
                        "initialPosition": 0,
                    },
                )
                for name in names
            ),
        ),
        # The ledger answers 201 to every endpoint POST (add or replace), so read them first
        # and write only the missing or different ones.
        SeedPhase(
            "current endpoints",
            ledger,
            READ,
            tuple(ledger_call("GET", f"/participants/{name}/endpoints") for name in names),
        ),
        SeedPhase(
            "endpoints",
            ledger,
            CREATED,
            derive=lambda answers: _endpoint_calls(access, names, answers),
        ),
        SeedPhase(
            "settlement accounts",
            ledger,
            READ,
            tuple(ledger_call("GET", f"/participants/{name}/accounts") for name in names),
        ),
        SeedPhase(
            "funds-in",
            ledger,
            CREATED,
            derive=lambda answers: _funds_in_calls(access, names, currency, cap, answers),
        ),
        SeedPhase(
            "oracle",
            f"the switch ({access.host(ALS_ADMIN)})",
            ORACLE_EXISTS,
            (
                access.switch_call(
                    ALS_ADMIN,
                    "POST",
                    "/oracles",
                    {
                        "oracleIdType": "MSISDN",
                        "endpoint": {"value": ORACLE_ENDPOINT, "endpointType": "URL"},
                        "currency": currency,
                        "isDefault": True,
                    },
                ),
            ),
        ),
        SeedPhase(
            "oracle MSISDNs",
            f"the switch ({access.host(ORACLE)})",
            BULK_PARTIES,
            tuple(_msisdn_batches(scenario, access)),
        ),
    ]
    for dfsp in scenario.dfsps:
        phases.append(
            SeedPhase(
                f"parties {dfsp.id}",
                f"the simulator of {dfsp.id} ({dfsp_hostname(dfsp.id)})",
                PARTY_EXISTS,
                tuple(
                    HttpCall(
                        "POST",
                        f"{access.simulator_url(dfsp.id)}/sim/{dfsp.id}/test/repository/parties",
                        party(dfsp.msisdns.at(i)),
                        headers=access.simulator_headers(dfsp.id),
                    )
                    for i in range(dfsp.msisdns.count)
                ),
            )
        )
    return phases


def settlement_model(currency: str) -> dict[str, Any]:
    return {
        "name": f"{SETTLEMENT_MODEL_PREFIX}{currency}",
        "settlementGranularity": "NET",
        "settlementInterchange": "MULTILATERAL",
        "settlementDelay": "DEFERRED",
        "currency": currency,
        "requireLiquidityCheck": True,
        "ledgerAccountType": "POSITION",
        "settlementAccountType": "SETTLEMENT",
        "autoPositionReset": True,
    }


def party(msisdn: str) -> dict[str, str]:
    """The simulator backend's party record for `msisdn` (the local lab's names for it)."""
    first, last = seed.party_names(msisdn)
    return {
        "displayName": f"{first} {last}",
        "firstName": first,
        "middleName": last[0],
        "lastName": last,
        "dateOfBirth": DATE_OF_BIRTH,
        "idType": "MSISDN",
        "idValue": msisdn,
    }


def _msisdn_batches(scenario: Scenario, access: SwitchAccess) -> list[HttpCall]:
    calls = []
    for entry in seed.msisdn_ranges(scenario):
        dfsp = scenario.dfsp(str(entry["fspId"]))
        for offset in range(0, dfsp.msisdns.count, ORACLE_BATCH):
            chunk = range(offset, min(offset + ORACLE_BATCH, dfsp.msisdns.count))
            body = {
                # Deterministic: the same batch always carries the same request id.
                "requestId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlperf:{dfsp.id}:{offset}")),
                "partyList": [
                    {
                        "partyIdType": "MSISDN",
                        "partyIdentifier": dfsp.msisdns.at(i),
                        "fspId": dfsp.id,
                    }
                    for i in chunk
                ],
                "currency": scenario.currency,
            }
            # The handler falls back to FSPIOP-Source for a party without fspId.
            source = {"FSPIOP-Source": dfsp.id}
            calls.append(access.switch_call(ORACLE, "POST", "/participants", body, source))
    return calls


def _endpoint_calls(
    access: SwitchAccess, names: Sequence[str], answers: Sequence[HttpResponse]
) -> Derived:
    calls: list[HttpCall] = []
    there = 0
    for name, answer in zip(names, answers, strict=True):
        current = {
            str(e.get("type")): e.get("value")
            for e in (answer.body if isinstance(answer.body, list) else [])
            if isinstance(e, dict)
        }
        for kind, value in endpoints(access, name).items():
            if current.get(kind) == value:
                there += 1
            else:
                calls.append(
                    access.switch_call(
                        CENTRAL_LEDGER,
                        "POST",
                        f"/participants/{name}/endpoints",
                        {"type": kind, "value": value},
                    )
                )
    return Derived(tuple(calls), there)


def _funds_in_calls(
    access: SwitchAccess,
    names: Sequence[str],
    currency: str,
    target: Decimal,
    answers: Sequence[HttpResponse],
) -> Derived:
    """Top each DFSP's available liquidity (aws_seed_liquidity.Holding) up to `target`.

    The transferId comes from the state seen, so a repeat against an unchanged state (funds-in
    is asynchronous) is dropped by the ledger's duplicate check instead of funding twice.
    """
    calls: list[HttpCall] = []
    there = 0
    for name, answer in zip(names, answers, strict=True):
        held = holding(name, currency, answer)
        if held.available >= target:
            there += 1
            continue
        amount = number(target - held.available)
        state = f"{name}:{currency}:{held.settlement_id}:{held.balance}:{held.used}:{amount}"
        calls.append(
            access.switch_call(
                CENTRAL_LEDGER,
                "POST",
                f"/participants/{name}/accounts/{held.settlement_id}",
                {
                    "transferId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlperf:funds-in:{state}")),
                    "externalReference": f"mlperf seed {name}",
                    "action": "recordFundsIn",
                    "reason": "mlperf seed: liquidity for the load",
                    "amount": {"amount": amount, "currency": currency},
                },
            )
        )
    return Derived(tuple(calls), there)
