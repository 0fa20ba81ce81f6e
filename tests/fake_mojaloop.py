"""A fake of the Mojaloop services the AWS seed talks to, behind fake ingresses on loopback.

One "switch ingress" port routes on the Host header, like the switch cluster's nginx ingress:
central-ledger admin, account-lookup-service admin and the MSISDN oracle. Each DFSP's
"simulator ingress" has its own port and answers only to `sim-<fsp>.local`, serving the
simulator backend's test API (party repository) and the SDK outbound `GET /parties` that the
sample lookups use. State is kept in memory, and the "already exists" answers are shaped as the
real services give them (see mojaloop_perf/targets/aws_seed_answers.py for the sources).
`faults` makes one route answer an error instead, to test failures. Runs its own event loop on
a thread, so the synchronous code under test can call it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from mojaloop_perf.render_aws import dfsp_hostname
from mojaloop_perf.targets.aws_seed_addresses import DEFAULT_HOSTS, SwitchAccess
from mojaloop_perf.targets.aws_seed_plan import HUB

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: str, text: str, detail: str | None = None) -> web.Response:
    description = f"{text} - {detail}" if detail else text
    return web.json_response(
        {"errorInformation": {"errorCode": code, "errorDescription": description}}, status=status
    )


def client_error(detail: str) -> web.Response:
    return error(400, "3000", "Generic client error", detail)


def add_party_error(detail: str) -> web.Response:
    return error(400, "3003", "Add Party information error", detail)


def internal_error(detail: str) -> web.Response:
    return error(500, "2001", "Internal server error", detail)


@dataclass
class Account:
    id: int
    kind: str
    currency: str
    active: bool = False
    value: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ledgerAccountType": self.kind,
            "currency": self.currency,
            "isActive": int(self.active),
            "value": str(self.value),
            "reservedValue": str(self.reserved),
            "changedDate": "2026-11-25T00:00:00.000Z",
        }


@dataclass
class Participant:
    name: str
    currency: str
    accounts: list[Account] = field(default_factory=list)
    ndc: Decimal | None = None
    endpoints: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeMojaloop:
    """The fake's state and its addresses once started (`running_fake`)."""

    dfsps: Sequence[str]
    hosts: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HOSTS))
    hub_accounts: set[tuple[str, str]] = field(default_factory=set)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: dict[str, Participant] = field(default_factory=dict)
    funds_in: dict[str, Decimal] = field(default_factory=dict)  # transferId → amount
    oracles: list[dict[str, Any]] = field(default_factory=list)
    msisdns: dict[str, str] = field(default_factory=dict)  # MSISDN → fspId (the oracle)
    parties: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # fsp → MSISDN
    # (method, path) → (status, body): answer this instead of serving the route.
    faults: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, Host, path)
    base_url: str = ""
    simulator_urls: dict[str, str] = field(default_factory=dict)
    _next_id: int = 1

    def access(self, **hosts: str) -> SwitchAccess:
        return SwitchAccess(self.base_url, dict(self.simulator_urls), {**self.hosts, **hosts})

    def counts(self) -> dict[str, int]:
        """How many objects of each kind exist: for "nothing new" assertions."""
        return {
            "hub_accounts": len(self.hub_accounts),
            "models": len(self.models),
            "participants": len(self.participants),
            "limits": sum(p.ndc is not None for p in self.participants.values()),
            "endpoints": sum(len(p.endpoints) for p in self.participants.values()),
            "funds_in": len(self.funds_in),
            "oracles": len(self.oracles),
            "msisdns": len(self.msisdns),
            "parties": sum(len(p) for p in self.parties.values()),
        }

    def writes(self) -> list[tuple[str, str, str]]:
        return [r for r in self.requests if r[0] != "GET"]

    # -- the switch ingress ----------------------------------------------------------------

    def switch_app(self) -> web.Application:
        """The switch ingress: one sub-application per Host, like the nginx ingress rules."""
        ledger, als, oracle = web.Application(), web.Application(), web.Application()
        ledger.router.add_post("/participants/{name}/accounts", self.post_hub_account)
        ledger.router.add_post("/settlementModels", self.post_model)
        ledger.router.add_post("/participants", self.post_participant)
        ledger.router.add_post("/participants/{name}/initialPositionAndLimits", self.post_limits)
        ledger.router.add_get("/participants/{name}/endpoints", self.get_endpoints)
        ledger.router.add_post("/participants/{name}/endpoints", self.post_endpoint)
        ledger.router.add_get("/participants/{name}/accounts", self.get_accounts)
        ledger.router.add_post("/participants/{name}/accounts/{id}", self.post_funds)
        als.router.add_post("/oracles", self.post_oracle)
        als.router.add_get("/oracles", self.get_oracles)
        oracle.router.add_post("/participants", self.post_msisdns)
        return self._ingress(
            {
                self.hosts["central-ledger"]: ledger,
                self.hosts["account-lookup-service-admin"]: als,
                self.hosts["als-msisdn-oracle"]: oracle,
            }
        )

    def _ingress(self, by_host: Mapping[str, web.Application]) -> web.Application:
        """Route on the Host header; log every request; answer a configured fault instead."""

        @web.middleware
        async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
            self.requests.append((request.method, request.host, request.path))
            fault = self.faults.get((request.method, request.path))
            if fault is not None and request.host in by_host:
                return web.json_response(fault[1], status=fault[0])
            return await handler(request)

        app = web.Application(middlewares=[observe])
        for host, sub in by_host.items():
            app.add_domain(host, sub)
        return app

    async def post_hub_account(self, request: web.Request) -> web.Response:
        body = await request.json()
        if request.match_info["name"] != HUB:
            return add_party_error("Endpoint is reserved for creation of Hub account types only.")
        key = (body["type"], body["currency"])
        if key in self.hub_accounts:
            return add_party_error("Hub account has already been registered.")
        self.hub_accounts.add(key)
        return web.json_response({"name": HUB}, status=201)

    async def post_model(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["name"] in self.models:
            return client_error("This Settlement Model already exists")
        self.models[body["name"]] = body
        return web.Response(status=201)

    async def post_participant(self, request: web.Request) -> web.Response:
        body = await request.json()
        name, currency = body["name"], body["currency"]
        hub = {kind for kind, cur in self.hub_accounts if cur == currency}
        if hub != {"HUB_MULTILATERAL_SETTLEMENT", "HUB_RECONCILIATION"}:
            return add_party_error(f"Hub reconciliation account for {currency} does not exist")
        if not any(m.get("currency") == currency for m in self.models.values()):
            return error(
                500, "6000", "Generic settlement error", "Unable to find a Settlement Model"
            )
        if name in self.participants:
            return client_error("Participant currency has already been registered")
        participant = Participant(name, currency)
        for kind in ("POSITION", "SETTLEMENT"):
            participant.accounts.append(Account(self._next_id, kind, currency))
            self._next_id += 1
        self.participants[name] = participant
        return web.json_response({"name": name}, status=201)

    def _participant(self, request: web.Request) -> Participant | None:
        return self.participants.get(request.match_info["name"])

    async def post_limits(self, request: web.Request) -> web.Response:
        body = await request.json()
        participant = self._participant(request)
        if participant is None:
            return internal_error("Participant does not exist")
        if participant.ndc is not None:
            return internal_error("Participant Limit or Initial Position already set")
        participant.ndc = Decimal(str(body["limit"]["value"]))
        for account in participant.accounts:
            account.active = True
        return web.Response(status=201)

    async def get_endpoints(self, request: web.Request) -> web.Response:
        participant = self._participant(request)
        if participant is None:
            return internal_error("Participant does not exist")
        return web.json_response(
            [{"type": kind, "value": value} for kind, value in participant.endpoints.items()]
        )

    async def post_endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        participant = self._participant(request)
        if participant is None:
            return internal_error("Participant does not exist")
        participant.endpoints[body["type"]] = body["value"]
        return web.Response(status=201)

    async def get_accounts(self, request: web.Request) -> web.Response:
        participant = self._participant(request)
        if participant is None:
            return internal_error("Participant does not exist")
        return web.json_response([a.view() for a in participant.accounts])

    async def post_funds(self, request: web.Request) -> web.Response:
        body = await request.json()
        participant = self._participant(request)
        if participant is None:
            return internal_error("Participant does not exist")
        account = next(
            (a for a in participant.accounts if a.id == int(request.match_info["id"])), None
        )
        if account is None:
            return internal_error("The account does not match participant or currency specified")
        if not account.active:
            return internal_error("Account is currently set inactive")
        if account.kind != "SETTLEMENT" or body.get("action") != "recordFundsIn":
            return internal_error("Account is not SETTLEMENT type")
        if body["transferId"] not in self.funds_in:  # a repeated transferId is dropped
            amount = Decimal(body["amount"]["amount"])
            self.funds_in[body["transferId"]] = amount
            account.value -= amount
        return web.Response(status=202)

    async def post_oracle(self, request: web.Request) -> web.Response:
        body = await request.json()
        for existing in self.oracles:
            if (existing["oracleIdType"], existing.get("currency")) == (
                body["oracleIdType"],
                body.get("currency"),
            ):
                return internal_error(
                    "Active oracle with matching partyIdTypeId, endpointTypeId, currencyId "
                    "already exists"
                )
        self.oracles.append(body)
        return web.Response(status=201)

    async def get_oracles(self, _: web.Request) -> web.Response:
        return web.json_response(self.oracles)

    async def post_msisdns(self, request: web.Request) -> web.Response:
        body = await request.json()
        results = []
        for party_id in body["partyList"]:
            fsp = party_id.get("fspId") or request.headers.get("FSPIOP-Source")
            msisdn = party_id["partyIdentifier"]
            if msisdn in self.msisdns:
                results.append(
                    {
                        "partyId": party_id,
                        "errorInformation": {
                            "errorCode": "3003",
                            "errorDescription": "Add Party information error - insert into "
                            f"`oracleMSISDN` - Duplicate entry '{msisdn}' for key 'PRIMARY'",
                        },
                    }
                )
                continue
            self.msisdns[msisdn] = fsp
            results.append({"partyId": party_id})
        return web.json_response({"partyList": results}, status=201)

    # -- the simulators ---------------------------------------------------------------------

    def simulator_app(self, fsp: str) -> web.Application:
        """A DFSP's simulator ingress: backend test API and SDK outbound API, for its host only."""
        sim = web.Application()
        sim.router.add_post(f"/sim/{fsp}/test/repository/parties", self._post_party(fsp))
        sim.router.add_get(f"/sim/{fsp}/outbound/parties/{{type}}/{{id}}", self._lookup(fsp))
        return self._ingress({dfsp_hostname(fsp): sim})

    def _post_party(self, fsp: str) -> Handler:
        async def post(request: web.Request) -> web.Response:
            body = await request.json()
            if "idValue" not in body:
                return web.json_response({"statusCode": "3102", "message": "ID not supplied"}, 400)
            parties = self.parties.setdefault(fsp, {})
            if body["idValue"] in parties:
                return web.json_response(
                    {"statusCode": "2000", "message": "ID is already registered"}, status=500
                )
            parties[body["idValue"]] = body
            return web.Response(status=204)

        return post

    def _lookup(self, fsp: str) -> Handler:
        """The SDK's synchronous outbound GET /parties, as if the switch were real behind it."""

        async def get(request: web.Request) -> web.Response:
            msisdn = request.match_info["id"]
            owner = self.msisdns.get(msisdn)
            known = [p for p in (fsp, owner) if p in self.participants]
            stored = self.parties.get(owner or "", {}).get(msisdn)
            if not self.oracles or len(known) < 2 or stored is None:
                return web.json_response(
                    {
                        "errorInformation": {
                            "errorCode": "3204",
                            "errorDescription": "Party not found",
                        },
                        "currentState": "COMPLETED",
                    },
                    status=404,
                )
            party = {
                "partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": msisdn, "fspId": owner},
                "name": stored["displayName"],
            }
            return web.json_response(
                {"party": {"body": party, "headers": {}}, "currentState": "COMPLETED"}
            )

        return get


@contextmanager
def running_fake(dfsps: Sequence[str]) -> Iterator[FakeMojaloop]:
    """Start the fake (switch ingress plus one simulator ingress per DFSP) on loopback ports."""
    fake = FakeMojaloop(list(dfsps))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=10)

    try:
        fake.base_url = run(start(fake.switch_app()))
        for fsp in dfsps:
            fake.simulator_urls[fsp] = run(start(fake.simulator_app(fsp)))
        yield fake
    finally:

        async def stop() -> None:
            for runner in runners:
                await runner.cleanup()

        run(stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
