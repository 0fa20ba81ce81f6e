"""The payer DFSP's way to the switch over HTTP: FSPIOP requests out, callbacks awaited.

What the SDK's outbound models do (mojaloop/sdk-scheme-adapter ``modules/api-svc/src/lib/model/``
``PartiesModel.js``, ``QuotesModel.js``, ``TransfersModel.js`` over ``Async2SyncModel.js``): send
the FSPIOP request, and wait for its callback on the DFSP's inbound API for up to
REQUEST_PROCESSING_TIMEOUT_SECONDS. The switch answering anything but 202 is a refusal (the
request throws); an error callback completes the request with its ``errorInformation``; no
callback in time is a timeout (``CallbackTimeout``: the wait has been done here). Implements the
outbound API's ``SwitchApi``, so ``Outbound`` is the same in both lab modes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from mojaloop_perf.lab.errors import CallbackTimeout, Refused, RemoteError
from mojaloop_perf.lab.ledger import Ledger
from mojaloop_perf.lab.net.http1 import within
from mojaloop_perf.lab.net.signing import Jws
from mojaloop_perf.lab.net.wire import Message, Sender, SendError, Waiters, headers

SWITCH = "switch"


class SwitchClient:
    def __init__(
        self,
        fsp_id: str,
        switch_url: str,
        sender: Sender,
        waiters: Waiters,
        jws: Jws,
        *,
        timeout_s: float,
        ledger: Ledger,
    ) -> None:
        self.fsp_id = fsp_id
        self.switch_url = switch_url
        self.sender = sender
        self.waiters = waiters
        self.jws = jws
        self.timeout_s = timeout_s
        self.ledger = ledger

    async def lookup_party(
        self, source: str, id_type: str, id_value: str, sub_id: str | None = None
    ) -> dict[str, Any]:
        parts = [id_type, id_value] + ([sub_id] if sub_id is not None else [])
        path = "/parties/" + "/".join(quote(part, safe="") for part in parts)
        body = await self._exchange("GET", path, None, None, path)
        return body["party"]  # type: ignore[no-any-return]

    async def request_quote(
        self, source: str, destination: str, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        callback = f"/quotes/{request['quoteId']}"
        return await self._exchange("POST", "/quotes", destination, request, callback)

    async def transfer(
        self, source: str, destination: str, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        callback = f"/transfers/{request['transferId']}"
        return await self._exchange("POST", "/transfers", destination, request, callback)

    async def _exchange(
        self,
        method: str,
        path: str,
        destination: str | None,
        value: Mapping[str, Any] | None,
        callback_path: str,
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        found = headers(path.lstrip("/").split("/", 1)[0], self.fsp_id, destination, request=True)
        body = self.jws.body(value) if value is not None else b""
        self.jws.sign(method, path, found, body)
        future = self.waiters.expect(callback_path)  # before sending: a callback can beat the 202
        try:
            try:
                status, _ = await self.sender.send(
                    self.switch_url + path, Message(method, path, found, body)
                )
            except SendError as exc:
                raise Refused(0, SWITCH, str(exc)) from None
            if status != 202:
                raise Refused(status, SWITCH)
            try:
                callback = await within(future, max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise CallbackTimeout from None
        finally:
            self.waiters.discard(callback_path, future)
        answer = callback.json()
        if callback.is_error:
            raise RemoteError(answer)
        return answer  # type: ignore[no-any-return]
