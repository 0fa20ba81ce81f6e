"""Seed on AWS: onboard the scenario's DFSPs on the switch and their parties on the simulators.

The workspace reaches the switch's ingress and each DFSP's simulator ingress through SSH local
forwards on 127.0.0.1, so every request goes to a local base URL with the service's `Host`
header (the nginx ingress routes on it). `seed_phases` is a pure plan: ordered phases of
`HttpCall`s, each with the rule saying which error answers mean "already there", so a second
seed changes nothing. `run_seed` sends each phase's calls in parallel and stops at the first
phase with a failure; `verify` resolves one sample MSISDN per DFSP through the SDK outbound API.

Sources read (public repositories, Nov 2026; restated, not copied):
- mojaloop/central-ledger src/api/participants/routes.js and handler.js, src/domain/participant/
  index.js, src/api/settlementModels/handler.js, src/handlers/admin/handler.js: the admin routes,
  their bodies and their "already" errors; funds-in is asynchronous (202, Kafka) and a repeated
  transferId with the same body is dropped by the admin handler's duplicate check.
- mojaloop/mojaloop-simulator init/onboard-hub-accounts/onboard-hub-accounts.js (re-creating a
  hub account answers 400 with errorCode 3003 and "already" in the description),
  init/onboard-central-ledger/onboard-dfsp.js (the onboarding order and endpoint set),
  src/test-api/{api.yaml,handlers.js}, src/models/errors.js (party repository).
- mojaloop/account-lookup-service src/domain/oracle/oracle.js, src/interface/admin-swagger.yaml.
- mojaloop/als-msisdn-oracle-svc src/interface/api.yaml, src/domain/ParticipantService.ts,
  src/domain/participants.ts, src/server/handlers/participants*.ts (single and bulk POST).
- mojaloop/helm centralledger/chart-service/values.yaml, account-lookup-service/chart-admin/
  values.yaml, als-msisdn-oracle/values.yaml, mojaloop-simulator/{values.yaml,templates/
  ingress.yaml} (ingress hosts and the /sim/<name>/{outbound,inbound,test} paths).
"""

from __future__ import annotations

import http.client
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlsplit

from mojaloop_perf import seed
from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws import SWITCH_NAMESPACE, dfsp_hostname
from mojaloop_perf.runner import Echo, HttpCall, HttpResponse, Runner
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.smoke import describe_answer, dig, reason

# --- Where things are ---------------------------------------------------------------------------

CENTRAL_LEDGER = "central-ledger"
ALS_ADMIN = "account-lookup-service-admin"
ORACLE = "als-msisdn-oracle"
# Ingress host names, the charts' defaults (mojaloop/helm): centralledger/chart-service and
# account-lookup-service/chart-admin values.yaml `ingress.hostname`, both with ingress enabled
# and path /; als-msisdn-oracle/values.yaml `ingress.hostname` — but that chart ships its
# ingress DISABLED (`ingress.enabled: false`): deploy must enable it for the MSISDN phase.
DEFAULT_HOSTS: Mapping[str, str] = {
    CENTRAL_LEDGER: "central-ledger.local",
    ALS_ADMIN: "account-lookup-service-admin.local",
    ORACLE: "als-msisdn-oracle.local",
}
# The oracle as ALS calls it from inside the switch cluster: release `mojaloop` of the umbrella
# chart, sub-chart als-msisdn-oracle, Service port 80 (its values.yaml `service.port`).
# Not verified: the Service name (common.names.fullname → "<release>-<chart>" is inferred; the
# chart's service template was not read).
ORACLE_ENDPOINT = f"http://mojaloop-als-msisdn-oracle.{SWITCH_NAMESPACE}.svc.cluster.local"
# The hub participant's name (centralledger chart-service values.yaml `hub_participant.name`).
HUB = "Hub"
HUB_ACCOUNT_TYPES = ("HUB_MULTILATERAL_SETTLEMENT", "HUB_RECONCILIATION")
# A deferred net settlement model for the scenario's currency: POST /participants needs one that
# matches the currency (or a default) to create the DFSP's POSITION and SETTLEMENT accounts.
# Not verified: whether chart 17.1.0 seeds a model itself (then ours is a second one for the
# currency), and that its central-ledger accepts `settlementAccountType` (newer routes do).
SETTLEMENT_MODEL_PREFIX = "DEFERREDNET"

# Callback endpoints of each DFSP, as its SDK scheme adapter's inbound API serves them
# (onboard-dfsp.js registers these types; the paths are the SDK's FSPIOP inbound routes).
ENDPOINT_PATHS: Mapping[str, str] = {
    "FSPIOP_CALLBACK_URL_PARTICIPANT_PUT": "/participants/{{partyIdType}}/{{partyIdentifier}}",
    "FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR": (
        "/participants/{{partyIdType}}/{{partyIdentifier}}/error"
    ),
    "FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT": "/participants/{{requestId}}",
    "FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT_ERROR": "/participants/{{requestId}}/error",
    "FSPIOP_CALLBACK_URL_PARTIES_GET": "/parties/{{partyIdType}}/{{partyIdentifier}}",
    "FSPIOP_CALLBACK_URL_PARTIES_PUT": "/parties/{{partyIdType}}/{{partyIdentifier}}",
    "FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR": "/parties/{{partyIdType}}/{{partyIdentifier}}/error",
    "FSPIOP_CALLBACK_URL_QUOTES": "",
    "FSPIOP_CALLBACK_URL_TRANSFER_POST": "/transfers",
    "FSPIOP_CALLBACK_URL_TRANSFER_PUT": "/transfers/{{transferId}}",
    "FSPIOP_CALLBACK_URL_TRANSFER_ERROR": "/transfers/{{transferId}}/error",
}

# The oracle's bulk POST /participants takes up to 10000 parties (its api.yaml, maxItems);
# 500 keeps each request small and its database insert short.
ORACLE_BATCH = 500
# Every DFSP may carry this many runs' worth of the whole load before its net debit cap or its
# liquidity runs out: positions are never settled between runs here, and a run can overshoot
# `transactions` by the VUs still in flight when it stops.
RUNS_COVERED = 10
# Party details the simulator backend answers lookups with. dateOfBirth is date-only, as the
# FSPIOP DateOfBirth type wants it. Not verified: how the SDK maps these into personalInfo.
DATE_OF_BIRTH = "1990-01-01"
VERIFY_WORKERS = 8
PROGRESS_EVERY_S = 5.0


@dataclass(frozen=True)
class SwitchAccess:
    """How the workspace reaches the switch and the simulators through the SSH tunnels.

    `base_url` is the switch's ingress (e.g. http://127.0.0.1:18080), `simulators` each DFSP's
    simulator ingress; `hosts` maps a switch service to the `Host` its ingress routes on.
    """

    base_url: str
    simulators: Mapping[str, str]
    hosts: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HOSTS))

    def host(self, service: str) -> str:
        """The `Host` of a switch service: as given, else the chart's default."""
        return self.hosts.get(service) or DEFAULT_HOSTS[service]

    def switch_call(
        self,
        service: str,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpCall:
        """A request to a switch service: the tunnel's URL, the service's `Host`."""
        url = f"{self.base_url.rstrip('/')}{path}"
        return HttpCall(method, url, body, headers={"Host": self.host(service), **(headers or {})})

    def simulator_url(self, dfsp: str) -> str:
        try:
            return self.simulators[dfsp].rstrip("/")
        except KeyError:
            raise UserError(f"seed: no tunnel to the simulator of {dfsp}") from None

    def simulator_headers(self, dfsp: str) -> dict[str, str]:
        """Extra headers for the simulator of `dfsp`: its ingress routes on `sim-<fsp>.local`."""
        return {"Host": dfsp_hostname(dfsp)}

    def outbound_url(self, dfsp: str) -> str:
        """The SDK outbound API of `dfsp` through its tunnel (send `simulator_headers` with it)."""
        return f"{self.simulator_url(dfsp)}/sim/{dfsp}/outbound"

    def callback_base(self, dfsp: str) -> str:
        """Where the switch calls `dfsp` back: its SDK inbound API, by the name the switch
        cluster resolves (a CoreDNS hosts block), behind the simulator's ingress."""
        return f"http://{dfsp_hostname(dfsp)}/sim/{dfsp}/inbound"


# --- Answers: new, already there, or a failure -------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What one answer means: objects created, objects already there, or a problem."""

    new: int = 0
    there: int = 0
    problem: str | None = None


class Rule(Protocol):
    def judge(self, response: HttpResponse) -> Verdict: ...


@dataclass(frozen=True)
class AlreadyThere:
    """A write: 2xx creates one object; an error with one of `statuses`, an error code in
    `codes` (any when empty) and `text` in its description means it already exists."""

    statuses: frozenset[int]
    codes: frozenset[str] = frozenset()
    text: str = "already"

    def judge(self, response: HttpResponse) -> Verdict:
        if 200 <= response.status < 300:
            return Verdict(new=1)
        code, description = _error_of(response.body)
        if (
            response.status in self.statuses
            and (not self.codes or code in self.codes)
            and self.text.lower() in description.lower()
        ):
            return Verdict(there=1)
        return Verdict(problem=describe_answer(response))


@dataclass(frozen=True)
class Read:
    """A read: any 2xx is fine and counts nothing."""

    def judge(self, response: HttpResponse) -> Verdict:
        if 200 <= response.status < 300:
            return Verdict()
        return Verdict(problem=describe_answer(response))


@dataclass(frozen=True)
class BulkParties:
    """The oracle's bulk POST /participants: 201 with one result per party; a party that
    failed carries errorInformation. Each party is inserted on its own (createOnePartySafe),
    so a duplicate comes back as errorCode 3003 wrapping the database's duplicate-key text.
    Not verified: that text ("Duplicate entry …" from MySQL through knex)."""

    codes: frozenset[str] = frozenset({"3003"})
    texts: tuple[str, ...] = ("duplicate", "already")

    def judge(self, response: HttpResponse) -> Verdict:
        results = dig(response.body, "partyList")
        if not 200 <= response.status < 300 or not isinstance(results, list):
            return Verdict(problem=describe_answer(response))
        new = there = 0
        for result in results:
            info = dig(result, "errorInformation")
            if not isinstance(info, dict):
                new += 1
                continue
            text = str(info.get("errorDescription", "")).lower()
            if str(info.get("errorCode")) in self.codes and any(t in text for t in self.texts):
                there += 1
                continue
            msisdn = dig(result, "partyId", "partyIdentifier")
            return Verdict(
                problem=f"MSISDN {msisdn}: {info.get('errorCode')} {info.get('errorDescription')}"
            )
        return Verdict(new=new, there=there)


def _error_of(body: Any) -> tuple[str, str]:
    """(error code, description) of an error body: FSPIOP errorInformation, or the simulator's
    {statusCode, message}."""
    info = dig(body, "errorInformation")
    if isinstance(info, dict):
        return str(info.get("errorCode", "")), str(info.get("errorDescription", ""))
    if isinstance(body, dict):
        return str(body.get("statusCode", "")), str(body.get("message", ""))
    return "", str(body or "")


# The "already there" answers, as the services give them. HTTP statuses: FSPIOP 3000 and 3003
# are client errors (400), 2001 an internal error (500); onboard-hub-accounts.js checks exactly
# 400 + 3003 + /already/ for a hub account. Descriptions, from the sources read:
# hub account "Hub account has already been registered."; model "This Settlement Model already
# exists"; participant "Participant currency has already been registered"; limits "Participant
# Limit or Initial Position already set"; oracle "Active oracle with matching partyIdTypeId,
# endpointTypeId, currencyId already exists"; simulator party ID_NOT_UNIQUE {statusCode 2000,
# message "ID is already registered"} with HTTP 500.
HUB_ACCOUNT_EXISTS = AlreadyThere(frozenset({400}), frozenset({"3003"}))
MODEL_EXISTS = AlreadyThere(frozenset({400}), frozenset({"3000"}), "already exists")
PARTICIPANT_EXISTS = AlreadyThere(frozenset({400}), frozenset({"3000"}))
LIMITS_EXIST = AlreadyThere(frozenset({500}), frozenset({"2001"}), "already set")
ORACLE_EXISTS = AlreadyThere(frozenset({500}), frozenset({"2001"}), "already exists")
PARTY_EXISTS = AlreadyThere(frozenset({500}), frozenset({"2000"}), "already registered")
CREATED = AlreadyThere(frozenset())  # a write with no "already there" answer
READ = Read()
BULK_PARTIES = BulkParties()


# --- The plan ------------------------------------------------------------------------------------


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
            f"{RUNS_COVERED} runs = {_number(needed)}): raise ndc"
        )
    return ndc


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
                        "limit": {"type": "NET_DEBIT_CAP", "value": _json_number(cap)},
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


def endpoints(access: SwitchAccess, dfsp: str) -> dict[str, str]:
    """The callback endpoints of `dfsp`, type → URL template."""
    base = access.callback_base(dfsp)
    return {kind: f"{base}{path}" for kind, path in ENDPOINT_PATHS.items()}


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
    """Top each DFSP's available liquidity up to `target`.

    Available = −(SETTLEMENT balance) − POSITION − reserved: funds-in makes the settlement
    balance negative, transfers raise the position. Not verified: that sign convention (a
    wrong sign over-funds, it never under-funds a fresh DFSP). The transferId comes from the
    state seen, so a repeat against an unchanged state (funds-in is asynchronous) is dropped
    by the ledger's duplicate check instead of funding twice.
    """
    calls: list[HttpCall] = []
    there = 0
    for name, answer in zip(names, answers, strict=True):
        accounts = [
            a for a in (answer.body if isinstance(answer.body, list) else []) if isinstance(a, dict)
        ]
        by_type = {a.get("ledgerAccountType"): a for a in accounts if a.get("currency") == currency}
        settlement, position = by_type.get("SETTLEMENT"), by_type.get("POSITION")
        if settlement is None or not settlement.get("isActive"):
            raise UserError(
                f"seed: funds-in: {name} has no active SETTLEMENT account in {currency} "
                f"(GET /participants/{name}/accounts: {describe_answer(answer)})"
            )
        balance = _decimal(settlement.get("value"))
        used = _decimal((position or {}).get("value")) + _decimal(
            (position or {}).get("reservedValue")
        )
        available = -balance - used
        if available >= target:
            there += 1
            continue
        amount = _number(target - available)
        state = f"{name}:{currency}:{settlement.get('id')}:{balance}:{used}:{amount}"
        calls.append(
            access.switch_call(
                CENTRAL_LEDGER,
                "POST",
                f"/participants/{name}/accounts/{settlement.get('id')}",
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


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _number(value: Decimal) -> str:
    """A decimal as plain text, no exponent and no trailing zeros: 1E+7 → "10000000"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# --- Running it ---------------------------------------------------------------------------------


class Context(Protocol):
    """What running the seed needs from a stage context."""

    runner: Runner
    echo: Echo


@dataclass
class Tally:
    """What one phase did: objects created and objects found already there."""

    new: int = 0
    there: int = 0


def run_seed(ctx: Context, phases: Sequence[SeedPhase], *, workers: int = 16) -> dict[str, Tally]:
    """Run the phases in order, each phase's calls in parallel; the tally of each phase.

    Stops at the first phase with a failed call, with one line naming the call and the answer.
    """
    runner, echo = ctx.runner, ctx.echo
    tallies: dict[str, Tally] = {}
    previous: Sequence[HttpResponse | None] = ()
    for phase in phases:
        if phase.derive is not None and runner.dry_run:
            echo(f"[dry-run] seed: {phase.name}: calls follow from the answers of the phase before")
            previous = ()
            continue
        if phase.derive is not None:
            derived = phase.derive([r for r in previous if r is not None])
        else:
            derived = Derived(phase.calls)
        if runner.dry_run:
            echo(f"[dry-run] seed: {phase.name}: {_calls(len(derived.calls))}")
            runner.http_many(derived.calls, workers=workers)
            continue
        previous, tally = _run_phase(runner, echo, phase, derived, workers)
        tallies[phase.name] = tally
    return tallies


def _run_phase(
    runner: Runner, echo: Echo, phase: SeedPhase, derived: Derived, workers: int
) -> tuple[list[HttpResponse | None], Tally]:
    calls = derived.calls
    total = len(calls) + derived.there
    done = derived.there
    shown = time.monotonic()

    def progress(_: int, __: HttpResponse) -> None:
        nonlocal done, shown
        done += 1
        if time.monotonic() - shown >= PROGRESS_EVERY_S and done < total:
            shown = time.monotonic()
            echo(f"seed: {phase.name} {done}/{total}")

    try:
        answers = runner.http_many(calls, workers=workers, on_done=progress)
    except (OSError, http.client.HTTPException) as exc:
        origin = urlsplit(calls[0].url)
        raise UserError(
            f"seed: {phase.name}: {phase.target} is not reachable through the tunnel at "
            f"{origin.scheme}://{origin.netloc} ({reason(exc)})"
        ) from None
    tally = Tally(there=derived.there)
    failures: list[tuple[HttpCall, HttpResponse, str]] = []
    for call, answer in zip(calls, answers, strict=True):
        assert answer is not None
        verdict = phase.accept.judge(answer)
        tally.new += verdict.new
        tally.there += verdict.there
        if verdict.problem is not None:
            failures.append((call, answer, verdict.problem))
    if failures:
        call, answer, problem = failures[0]
        url = urlsplit(call.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        host = call.headers.get("Host", url.netloc)
        more = f" ({len(failures)} of {len(calls)} calls failed)" if len(failures) > 1 else ""
        raise UserError(
            f"seed: {phase.name}: {call.method} {path} ({host}) answered "
            f"HTTP {answer.status}: {_detail(problem, answer)}{more}"
        )
    if isinstance(phase.accept, Read):
        echo(f"seed: {phase.name} {total}/{total} read")
        return answers, tally
    unit = " batches" if isinstance(phase.accept, BulkParties) else ""
    echo(f"seed: {phase.name} {total}/{total}{unit}, {tally.new} new, {tally.there} already there")
    return answers, tally


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _detail(problem: str, answer: HttpResponse) -> str:
    """The problem without the repeated 'HTTP <status>, ' that describe_answer starts with."""
    return problem.removeprefix(f"HTTP {answer.status}, ").removeprefix(f"HTTP {answer.status}")


def verify(runner: Runner, access: SwitchAccess, scenario: Scenario) -> None:
    """One sample lookup per DFSP through the asking DFSP's SDK outbound API (in parallel).

    UserError naming the DFSP, the MSISDN and the answer when one does not resolve to its owner.
    """
    lookups = seed.sample_lookups(scenario)
    calls = [
        HttpCall(
            "GET",
            f"{access.outbound_url(lookup.via)}/parties/MSISDN/{lookup.msisdn}",
            timeout_s=scenario.load.http_timeout_s,
            headers=access.simulator_headers(lookup.via),
        )
        for lookup in lookups
    ]
    if runner.dry_run:
        runner.echo(f"[dry-run] seed: sample lookups: {_calls(len(calls))}")
    try:
        answers = runner.http_many(calls, workers=VERIFY_WORKERS)
    except (OSError, http.client.HTTPException) as exc:
        raise UserError(
            f"seed: sample lookups: a simulator's outbound API is not reachable through its "
            f"tunnel ({reason(exc)})"
        ) from None
    for lookup, answer in zip(lookups, answers, strict=True):
        if answer is None:
            continue
        found = dig(answer.body, "party", "body", "partyIdInfo", "fspId")
        if answer.status != 200 or found != lookup.owner:
            got = f"fspId {found}" if answer.status == 200 else describe_answer(answer)
            raise UserError(
                f"seed: lookup of MSISDN {lookup.msisdn} (held by {lookup.owner}) via "
                f"{lookup.via} gave {got}, expected {lookup.owner}"
            )


def seed_all(ctx: Context, scenario: Scenario, access: SwitchAccess, *, workers: int = 16) -> None:
    """The whole AWS seed: every phase, then the sample lookups, then one summary line."""
    tallies = run_seed(ctx, seed_phases(scenario, access), workers=workers)
    verify(ctx.runner, access, scenario)
    if ctx.runner.dry_run:
        return
    n = len(scenario.dfsps)
    parties = [tallies[f"parties {d.id}"] for d in scenario.dfsps]
    msisdns = tallies["oracle MSISDNs"]
    ctx.echo(
        f"seed: {n} participants ({tallies['participants'].new} new), "
        f"{msisdns.new + msisdns.there} MSISDNs in the oracle ({msisdns.new} new), "
        f"{sum(p.new + p.there for p in parties)} simulator parties "
        f"({sum(p.new for p in parties)} new); sample lookup verified for {n} DFSPs"
    )


# --- the stages ------------------------------------------------------------------------------


def _access(ports: Any) -> SwitchAccess:
    """The switch and the simulators through the tunnel's local ports."""
    return SwitchAccess(
        ports.url(ports.switch_ingress),
        {dfsp: ports.url(port) for dfsp, port in ports.simulators.items()},
    )


def seed_stage(ctx: Any) -> None:
    """`invoke seed --target aws`: onboard, register, verify, through the tunnel."""
    from mojaloop_perf.targets import aws, aws_access, aws_deployed

    aws_deployed.require_deployed(ctx, "seed")
    aws.preflight(ctx)
    with aws_access.tunnel(ctx) as ports:
        seed_all(ctx, ctx.scenario, _access(ports))
    if not ctx.dry_run:
        ctx.state.mark("seeded", digest=ctx.scenario.digest)


def smoke_stage(ctx: Any) -> None:
    """`invoke smoke --target aws`: one transfer through the first payer's SDK."""
    from mojaloop_perf import smoke as smoke_test
    from mojaloop_perf.targets import aws, aws_access, aws_deployed

    aws_deployed.require_deployed(ctx, "smoke")
    if not ctx.dry_run and not ctx.state.get("seeded"):
        raise UserError(f"smoke needs seed first: run {ctx.invoke_hint('seed')}")
    aws.preflight(ctx)
    with aws_access.tunnel(ctx) as ports:
        access = _access(ports)
        smoke_test.smoke(
            ctx.runner, ctx.echo, ctx.scenario, access.outbound_url, access.simulator_headers
        )
