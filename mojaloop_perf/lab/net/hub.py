"""The switch over HTTP: its FSPIOP API, and the payee DFSPs reached by FSPIOP requests.

A payer's ``GET /parties/…``, ``POST /quotes`` or ``POST /transfers`` is admitted (the fault
draw: ``switch_5xx`` is the synchronous 503) and answered 202 at once, as account-lookup-service,
quoting-service and ml-api-adapter answer; the switch's domain logic (``mojaloop_perf.lab.switch``) then
runs with ``RemotePayee``s as its payees: each forwards the payer's request — body bytes and
FSPIOP headers, signature included — to the payee's inbound API, and waits for the payee's
``PUT`` callback at this API. The payer gets that callback unchanged; what the hub itself decides
(an error, a resent transfer's state) goes out as a callback from the hub (FSPIOP-Source
``switch``), signed with the hub's key when JWS signing is on.

A payee that refuses the forwarded request (its inbound API answers non-2xx, or nothing answers)
is handled as the services do (mojaloop/central-services-shared ``src/util/request.js``
``sendRequest``): for parties and quotes the payer gets an error callback carrying the payee's
``errorInformation`` (or 1001 ``Destination communication error - Failed to send HTTP request to
host`` when there is none); a transfer gets none (mojaloop/ml-api-adapter
``src/handlers/notification/index.js`` rethrows), so the payer times out and the reservation is
released when the transfer expires.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from mojaloop_perf.lab import errors
from mojaloop_perf.lab.errors import FspiopError, NoCallback, Refused, RemoteError
from mojaloop_perf.lab.faults import Draw, Phase
from mojaloop_perf.lab.net.http1 import within
from mojaloop_perf.lab.net.signing import Jws
from mojaloop_perf.lab.net.wire import (
    Message,
    Sender,
    SendError,
    Waiters,
    error_response,
    headers,
    read_message,
)
from mojaloop_perf.lab.switch import Switch
from mojaloop_perf.security.pki import HUB

Run = Callable[[Draw], Awaitable[dict[str, Any]]]


@dataclass(slots=True)
class Hop:
    """One payer request inside the switch: what came in, and the payee's callback once in."""

    request: Message
    callback_path: str
    callback: Message | None = None


_HOP: ContextVar[Hop] = ContextVar("hop")


class Relay:
    """The switch's side of the DFSPs' inbound APIs: requests out, callbacks in."""

    def __init__(self, sender: Sender, inbound_urls: Mapping[str, str], wait_s: float) -> None:
        self.sender = sender
        self.urls = dict(inbound_urls)
        self.wait_s = wait_s
        self.waiters = Waiters()
        self.undelivered = 0  # callbacks a DFSP did not take (inspection)

    async def ask(self, phase: Phase, payee: str, message: Message, hop: Hop) -> Message:
        """Send ``message`` to ``payee`` and wait for its callback; raise what the payer gets."""
        key = (hop.callback_path, hop.request.source)
        future = self.waiters.expect(key)
        try:
            try:
                status, body = await self.sender.send(self.urls[payee] + message.path, message)
            except SendError:
                raise _undelivered(phase, 0, b"") from None
            if status != 202:
                raise _undelivered(phase, status, body)
            try:
                return await within(future, self.wait_s)  # type: ignore[no-any-return]
            except TimeoutError:
                raise NoCallback from None
        finally:
            self.waiters.discard(key, future)

    def deliver(self, callback: Message) -> None:
        """A DFSP's callback for a request the switch forwarded to it (late ones are dropped)."""
        self.waiters.resolve((callback.base, callback.destination), callback)

    async def tell(self, fsp_id: str, callback: Message) -> None:
        """Deliver a callback to a DFSP; one it refuses or cannot take is dropped."""
        url = self.urls.get(fsp_id)
        if url is None:
            return
        try:
            status, _ = await self.sender.send(url + callback.path, callback)
        except SendError:
            status = 0
        if status != 200:
            self.undelivered += 1


def _undelivered(phase: Phase, status: int, body: bytes) -> Exception:
    """What the payer gets when the payee's inbound API does not take a forwarded request."""
    if phase == "transfer":
        return NoCallback()
    if 400 <= status < 500:
        try:
            answer = Message("", "", {}, body).json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("errorInformation"), dict):
            return RemoteError(answer)
        if status == 404:
            return FspiopError(errors.ID_NOT_FOUND, "The requested resource could not be found")
        return FspiopError(errors.CLIENT_ERROR, "Bad Request")
    return FspiopError(
        errors.DESTINATION_COMMUNICATION_ERROR, "Failed to send HTTP request to host"
    )


class RemotePayee:
    """A payee DFSP in another process: the switch's ``PayeeHandler`` over FSPIOP."""

    def __init__(self, fsp_id: str, relay: Relay) -> None:
        self.fsp_id = fsp_id
        self.relay = relay

    async def get_party(self, id_type: str, id_value: str, sub_id: str | None) -> dict[str, Any]:
        hop = _HOP.get()
        request = hop.request
        forwarded = Message(
            request.method,
            request.path,
            {**request.headers, "fspiop-destination": self.fsp_id},
            request.body,
        )
        return (await self._ask("discovery", forwarded, hop))["party"]  # type: ignore[no-any-return]

    async def quote(self, request: Mapping[str, Any]) -> dict[str, Any]:
        hop = _HOP.get()
        return await self._ask("quote", hop.request, hop)

    async def prepare(self, request: Mapping[str, Any]) -> dict[str, Any]:
        hop = _HOP.get()
        return await self._ask("transfer", hop.request, hop)

    async def _ask(self, phase: Phase, message: Message, hop: Hop) -> dict[str, Any]:
        callback = await self.relay.ask(phase, self.fsp_id, message, hop)
        hop.callback = callback
        try:
            body = callback.json()
        except ValueError:
            raise FspiopError(errors.INTERNAL_ERROR) from None
        if callback.is_error:
            raise RemoteError(body)
        if not isinstance(body, dict):
            raise FspiopError(errors.INTERNAL_ERROR)
        return body


class Hub:
    """The switch's FSPIOP API (``app()``) in front of the domain ``Switch``."""

    def __init__(self, switch: Switch, relay: Relay, jws: Jws) -> None:
        self.switch = switch
        self.relay = relay
        self.jws = jws
        self._tasks: set[asyncio.Task[None]] = set()

    def app(self, middlewares: list[Any] | None = None) -> web.Application:
        app = web.Application(middlewares=middlewares or [])
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        message = await read_message(request)
        if message.method == "PUT":
            self.relay.deliver(message)
            return web.Response(status=200)
        if not message.source or "content-type" not in message.headers:
            return error_response(FspiopError(errors.MISSING_ELEMENT), 400)
        try:
            found = self._operation(message)
        except ValueError:
            return error_response(FspiopError(errors.MALFORMED_SYNTAX), 400)
        if found is None:
            return error_response(FspiopError(errors.UNKNOWN_URI), 404)
        phase, callback_path, run = found
        try:
            draw = self.switch.admit(phase)
        except Refused as exc:
            return error_response(FspiopError(errors.SERVICE_UNAVAILABLE), exc.status)
        task = asyncio.create_task(self._run(message, callback_path, run, draw))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    def _operation(self, message: Message) -> tuple[Phase, str, Run] | None:
        """(phase, the callback's path, the switch operation) of a payer's request, or None."""
        source, destination = message.source, message.destination
        parts = [unquote(part) for part in message.path.split("/")[1:]]
        if message.method == "GET" and parts[0] == "parties" and len(parts) in (3, 4):
            id_type, id_value = parts[1], parts[2]
            sub_id = parts[3] if len(parts) == 4 else None

            def party(draw: Draw) -> Awaitable[dict[str, Any]]:
                return self.switch.lookup_party(source, id_type, id_value, sub_id, draw=draw)

            return "discovery", message.path, party
        if message.method != "POST" or message.path not in ("/quotes", "/transfers"):
            return None
        body = message.json()
        if not isinstance(body, dict):
            raise ValueError("not an object")
        if message.path == "/quotes":

            def quote(draw: Draw) -> Awaitable[dict[str, Any]]:
                return self.switch.request_quote(source, destination, body, draw=draw)

            return "quote", f"/quotes/{body.get('quoteId')}", quote

        def transfer(draw: Draw) -> Awaitable[dict[str, Any]]:
            return self.switch.transfer(source, destination, body, draw=draw)

        return "transfer", f"/transfers/{body.get('transferId')}", transfer

    async def _run(self, request: Message, callback_path: str, run: Run, draw: Draw) -> None:
        hop = Hop(request, callback_path)
        _HOP.set(hop)
        payer = request.source
        try:
            result = await run(draw)
        except NoCallback:
            return
        except FspiopError as err:
            if isinstance(err, RemoteError) and hop.callback is not None and hop.callback.is_error:
                await self.relay.tell(payer, hop.callback)  # the payee's error, as it sent it
            else:
                await self._from_hub(payer, callback_path + "/error", err.information())
            return
        except Exception as exc:  # a bug must not leave the payer without an answer
            print(f"lab: switch: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            info = FspiopError(errors.INTERNAL_ERROR).information()
            await self._from_hub(payer, callback_path + "/error", info)
            return
        if hop.callback is not None and not hop.callback.is_error:
            await self.relay.tell(payer, hop.callback)  # the payee's answer, as it sent it
        else:
            body = {"party": result} if callback_path.startswith("/parties/") else result
            await self._from_hub(payer, callback_path, body)

    async def _from_hub(self, payer: str, path: str, value: Any) -> None:
        resource = path.lstrip("/").split("/", 1)[0]
        found = headers(resource, HUB, payer)
        body = self.jws.body(value)
        self.jws.sign("PUT", path, found, body)
        await self.relay.tell(payer, Message("PUT", path, found, body))

    async def drain(self) -> None:
        """Cancel what is still running (shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
