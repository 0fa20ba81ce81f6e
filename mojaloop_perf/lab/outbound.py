"""The payer side of a DFSP: its SDK scheme adapter's synchronous outbound API, over HTTP.

Answers as mojaloop/sdk-scheme-adapter v24 does (``modules/api-svc/src/OutboundServer/`` and
the async-to-sync models in ``lib/model/``): the request is validated as the SDK validates it
(``sdk_validator``), sent to the switch, and the callback that comes back is returned whole:

- ``GET /parties/{Type}/{ID}[/{SubId}]``: 200 ``{party: {body, headers}, currentState}``, or
  404 ``{errorInformation, currentState}`` for an error callback;
- ``POST /quotes``: 200 ``{quotes: {body, headers, originalIso20022QuoteResponse}, currentState}``
  or, for an error callback, 200 ``{quotes: {errorInformation}, currentState}``;
- ``POST /simpleTransfers``: 200 ``{transfer: {body, headers}, currentState}``, the error
  callback's ``errorInformation`` inside ``body``;

``currentState`` is ``COMPLETED`` whenever a callback came, even an error. Without one (a
timeout) or when the switch refuses the request, 500 ``{message, <state>: {}, statusCode: "500"}``.
The switch is the in-process ``Switch`` or, with ``hops: http``, an FSPIOP client of a switch in
another process (``mojaloop_perf.lab.net.client``); either way it answers through ``SwitchApi``.
Every answer is written to the lab's ledger under its phase.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from email.utils import formatdate
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Middleware

from mojaloop_perf.lab import sdk_validator
from mojaloop_perf.lab.config import Latency
from mojaloop_perf.lab.errors import CallbackTimeout, FspiopError, NoCallback, Refused
from mojaloop_perf.lab.ledger import OK, Ledger

PREFIX = "/sim/{fsp_id}/outbound"
COMPLETED = "COMPLETED"
HUB = "switch"
# Phase and SDK error state field (OutboundServer/handlers.js) of each operation the lab serves.
OPERATIONS = {
    "/parties/{Type}/{ID}": ("discovery", "requestPartiesInformationState"),
    "/parties/{Type}/{ID}/{SubId}": ("discovery", "requestPartiesInformationState"),
    "/quotes": ("quote", "requestQuotesInformationState"),
    "/simpleTransfers": ("transfer", "requestSimpleTransfersInformationState"),
}

Answer = tuple[int, Any, str]  # HTTP status, JSON body, ledger outcome


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


def _not_found() -> web.Response:
    # What Koa answers when nothing set a response (the SDK swallows body-parser errors).
    return web.Response(status=404, text="Not Found")


def callback_headers(resource: str, source: str, destination: str) -> dict[str, str]:
    """The FSPIOP headers of the callback the SDK returns beside its body."""
    return {
        "content-type": f"application/vnd.interoperability.{resource}+json;version=1.1",
        "date": formatdate(usegmt=True),
        "fspiop-source": source,
        "fspiop-destination": destination,
    }


class SwitchApi(Protocol):
    """What the outbound API asks of the switch: the in-process ``Switch``, or (``hops: http``)
    a client that sends FSPIOP requests and waits for their callbacks. Each returns the
    callback's body or raises FspiopError (an error callback), NoCallback or Refused."""

    ledger: Ledger

    async def lookup_party(
        self, source: str, id_type: str, id_value: str, sub_id: str | None = None
    ) -> dict[str, Any]: ...

    async def request_quote(
        self, source: str, destination: str, request: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def transfer(
        self, source: str, destination: str, request: Mapping[str, Any]
    ) -> dict[str, Any]: ...


class Outbound:
    """One DFSP's outbound API: validates, calls the switch, shapes the SDK's answer."""

    def __init__(
        self,
        fsp_id: str,
        switch: SwitchApi,
        *,
        latency: Latency | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.fsp_id = fsp_id
        self.switch = switch
        self.latency = latency or Latency()
        self.timeout_s = timeout_s
        self.ledger = switch.ledger
        self.prefix = PREFIX.format(fsp_id=fsp_id)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            return _not_found()
        sdk_path = path[len(self.prefix) :] or "/"
        raw = await request.read()
        try:
            parsed = sdk_validator.validate(request.method, sdk_path, request.content_type, raw)
        except sdk_validator.Unparsable:
            return self._record(sdk_path, _not_found(), "unparsable body")
        except sdk_validator.Invalid as exc:
            answer = _json(400, {"message": str(exc), "statusCode": 400})
            return self._record(sdk_path, answer, "invalid request")
        except LookupError:
            if request.method == "GET" and sdk_path == "/":
                return web.Response(status=200, text="")  # the SDK's health check
            message = f"the lab does not implement {request.method} {sdk_path}"
            return _json(501, {"message": message, "statusCode": 501})
        phase, state_field = OPERATIONS[parsed.operation.path]
        self.ledger.begin()
        outcome = "error"
        try:
            status, body, outcome = await self._run(phase, state_field, parsed)
            return _json(status, body)
        finally:
            self.ledger.answer(phase, outcome)

    def _record(self, sdk_path: str, response: web.Response, outcome: str) -> web.Response:
        found = sdk_validator.match_path(sdk_path)
        if found is not None and found[0] in OPERATIONS:
            self.ledger.begin()
            self.ledger.answer(OPERATIONS[found[0]][0], outcome)
        return response

    async def _run(self, phase: str, state_field: str, parsed: sdk_validator.Request) -> Answer:
        handler, delay_ms = {
            "discovery": (self._party, self.latency.discovery_ms),
            "quote": (self._quote, self.latency.quote_ms),
            "transfer": (self._transfer, self.latency.transfer_ms),
        }[phase]
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        try:
            return await handler(parsed)
        except NoCallback as exc:
            if not isinstance(exc, CallbackTimeout):  # the in-process switch knows at once
                await asyncio.sleep(self.timeout_s)
            return 500, {"message": "Timeout", state_field: {}, "statusCode": "500"}, "timeout"
        except Refused as exc:
            message = exc.reason or f"Request failed with status code {exc.status}"
            body = {"message": message, state_field: {}, "statusCode": "500"}
            return 500, body, f"refused {exc.status}" if exc.status else "unreachable"

    async def _party(self, parsed: sdk_validator.Request) -> Answer:
        params = parsed.params
        try:
            party = await self.switch.lookup_party(
                self.fsp_id, params["Type"], params["ID"], params.get("SubId")
            )
        except FspiopError as err:
            return 404, {**err.information(), "currentState": COMPLETED}, err.code
        headers = callback_headers("parties", party["partyIdInfo"]["fspId"], self.fsp_id)
        return 200, {"party": {"body": party, "headers": headers}, "currentState": COMPLETED}, OK

    async def _quote(self, parsed: sdk_validator.Request) -> Answer:
        body = parsed.body
        destination = str(body["fspId"])
        try:
            quote = await self.switch.request_quote(
                self.fsp_id, destination, body["quotesPostRequest"]
            )
        except FspiopError as err:
            return 200, {"quotes": err.information(), "currentState": COMPLETED}, err.code
        answer = {
            "body": quote,
            "headers": callback_headers("quotes", destination, self.fsp_id),
            "originalIso20022QuoteResponse": {},
        }
        return 200, {"quotes": answer, "currentState": COMPLETED}, OK

    async def _transfer(self, parsed: sdk_validator.Request) -> Answer:
        body = parsed.body
        destination = str(body["fspId"])
        try:
            result = await self.switch.transfer(
                self.fsp_id, destination, body["transfersPostRequest"]
            )
            state = str(result["transferState"])
            source, outcome = destination, (OK if state == "COMMITTED" else state)
        except FspiopError as err:
            result, source, outcome = err.information(), HUB, err.code
        headers = callback_headers("transfers", source, self.fsp_id)
        answer = {"transfer": {"body": result, "headers": headers}, "currentState": COMPLETED}
        return 200, answer, outcome


def outbound_app(outbound: Outbound, middlewares: Sequence[Middleware] = ()) -> web.Application:
    """The aiohttp application of one DFSP's outbound API (every path, every method)."""
    app = web.Application(middlewares=list(middlewares))
    app.router.add_route("*", "/{tail:.*}", outbound.handle)
    return app
