"""A DFSP's FSPIOP inbound API over HTTP: the payee role, and the callbacks of its own requests.

As the SDK's InboundServer (mojaloop/sdk-scheme-adapter ``modules/api-svc/src/InboundServer/``):
the middlewares first — the header validator (``createHeaderValidator``: Content-Type on every
request, Accept on GETs; 400 ``3102 Missing mandatory element`` without) and, when validating,
the JWS validator (``signing.Jws.refusal``) — then the handlers:

- ``GET /parties/{Type}/{ID}[/{SubId}]``, ``POST /quotes``, ``POST /transfers``: answered 202;
  the ``Payee`` (the same domain object as in-process) works out the answer, which goes to the
  switch as ``PUT /parties/…``, ``PUT /quotes/{ID}``, ``PUT /transfers/{ID}``, or the ``/error``
  variant with its ``errorInformation``, signed when the posture signs;
- ``PUT …`` callbacks: answered 200 and handed to the outbound request waiting for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from mojaloop_perf.lab import errors
from mojaloop_perf.lab.errors import FspiopError
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
from mojaloop_perf.lab.payee import Payee

Work = Callable[[], Awaitable[dict[str, Any]]]


class Inbound:
    def __init__(
        self,
        fsp_id: str,
        payee: Payee,
        switch_url: str,
        sender: Sender,
        waiters: Waiters,
        jws: Jws,
    ) -> None:
        self.fsp_id = fsp_id
        self.payee = payee
        self.switch_url = switch_url
        self.sender = sender
        self.waiters = waiters
        self.jws = jws
        self._tasks: set[asyncio.Task[None]] = set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        message = await read_message(request)
        if "content-type" not in message.headers or (
            message.method == "GET" and "accept" not in message.headers
        ):
            return error_response(FspiopError(errors.MISSING_ELEMENT), 400)
        refusal = self.jws.refusal(message)
        if refusal is not None:
            return refusal
        if message.method == "PUT":
            self.waiters.resolve(message.base, message)
            return web.Response(status=200)
        try:
            found = self._work(message)
        except (ValueError, KeyError, TypeError):
            return error_response(FspiopError(errors.MALFORMED_SYNTAX), 400)
        if found is None:
            return error_response(FspiopError(errors.UNKNOWN_URI), 404)
        callback_path, work = found
        task = asyncio.create_task(self._answer(message, callback_path, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    def _work(self, message: Message) -> tuple[str, Work] | None:
        """(the callback's path, what works out its body) for a request, or None."""
        parts = [unquote(part) for part in message.path.split("/")[1:]]
        if message.method == "GET" and parts[0] == "parties" and len(parts) in (3, 4):
            sub_id = parts[3] if len(parts) == 4 else None

            def party() -> Awaitable[dict[str, Any]]:
                return self._party(parts[1], parts[2], sub_id)

            return message.path, party
        if message.method != "POST" or message.path not in ("/quotes", "/transfers"):
            return None
        body = message.json()
        if message.path == "/quotes":
            return f"/quotes/{body['quoteId']}", lambda: self.payee.quote(body)
        return f"/transfers/{body['transferId']}", lambda: self.payee.prepare(body)

    async def _party(self, id_type: str, id_value: str, sub_id: str | None) -> dict[str, Any]:
        return {"party": await self.payee.get_party(id_type, id_value, sub_id)}

    async def _answer(self, request: Message, path: str, work: Work) -> None:
        try:
            value: Any = await work()
        except FspiopError as err:
            path, value = path + "/error", err.information()
        except Exception as exc:  # the SDK's _handleError: anything else is a bare 2001
            print(f"lab: {self.fsp_id}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            path, value = path + "/error", FspiopError(errors.INTERNAL_ERROR).information()
        found = headers(path.lstrip("/").split("/", 1)[0], self.fsp_id, request.source)
        body = self.jws.body(value)
        self.jws.sign("PUT", path, found, body)
        with contextlib.suppress(SendError):  # the switch is gone: the payer times out
            await self.sender.send(self.switch_url + path, Message("PUT", path, found, body))

    async def drain(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
