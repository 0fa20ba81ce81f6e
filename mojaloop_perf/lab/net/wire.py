"""FSPIOP on the wire: headers, messages, the HTTP client, and futures waiting for callbacks.

Requests and callbacks carry what the Mojaloop API's participants put on them
(@mojaloop/sdk-standard-components ``src/lib/requests/baseRequests.js``): ``Content-Type``
``application/vnd.interoperability.<resource>+json;version=1.1`` on every request (the SDK's
inbound header validator refuses one without, GETs included), ``Accept`` on requests (not on
callbacks), ``Date``, ``FSPIOP-Source`` and ``FSPIOP-Destination`` when known, and the JWS headers
when signed. A switch forwards these headers and the body bytes unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections import deque
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from aiohttp import web

from mojaloop_perf.lab.errors import FspiopError
from mojaloop_perf.lab.net.http1 import Client, SendError

# What a switch forwards from one DFSP to another (the rest is per hop).
FSPIOP_HEADERS = (
    "accept",
    "content-type",
    "date",
    "fspiop-source",
    "fspiop-destination",
    "fspiop-signature",
    "fspiop-uri",
    "fspiop-http-method",
)
VERSION = "1.1"


def content_type(resource: str) -> str:
    return f"application/vnd.interoperability.{resource}+json;version={VERSION}"


def accept(resource: str) -> str:
    return f"application/vnd.interoperability.{resource}+json;version=1"


def resource_of(path: str) -> str:
    """``/quotes/1/error`` → ``quotes``."""
    return path.lstrip("/").split("/", 1)[0]


def headers(
    resource: str, source: str, destination: str | None = None, *, request: bool = False
) -> dict[str, str]:
    """The FSPIOP headers of a request (``request``: with Accept) or a callback."""
    found = {"content-type": content_type(resource)}
    if request:
        found["accept"] = accept(resource)
    found["date"] = formatdate(usegmt=True)
    found["fspiop-source"] = source
    if destination:
        found["fspiop-destination"] = destination
    return found


def json_body(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def error_response(err: FspiopError, status: int) -> web.Response:
    """A synchronous FSPIOP error answer: ``{"errorInformation": …}`` with ``status``."""
    return web.Response(
        status=status, body=json_body(err.information()), content_type="application/json"
    )


@dataclass(frozen=True, slots=True)
class Message:
    """An FSPIOP request or callback: its method, raw path, FSPIOP headers and body bytes."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def source(self) -> str:
        return self.headers.get("fspiop-source", "")

    @property
    def destination(self) -> str:
        return self.headers.get("fspiop-destination", "")

    @property
    def is_error(self) -> bool:
        return self.path.endswith("/error")

    @property
    def base(self) -> str:
        """The resource path without ``/error``: what a callback answers."""
        return self.path.removesuffix("/error")

    def json(self) -> Any:
        return json.loads(self.body)


async def read_message(request: web.Request) -> Message:
    """The FSPIOP parts of an incoming request (header names lower-cased)."""
    wanted = {
        name.lower(): value
        for name, value in request.headers.items()
        if name.lower() in FSPIOP_HEADERS
    }
    return Message(request.method, request.raw_path.split("?", 1)[0], wanted, await request.read())


class Sender:
    """One HTTP client per process (one TLS identity, one CA) for every FSPIOP hop, keeping
    connections alive (``mojaloop_perf.lab.net.http1``)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._client = Client(ssl_context)

    async def send(self, url: str, message: Message) -> tuple[int, bytes]:
        """Send ``message`` to ``url``; (status, body). SendError when nothing answered."""
        return await self._client.request(message.method, url, message.headers, message.body)

    async def get_json(self, url: str) -> Any:
        status, body = await self._client.request("GET", url, {})
        if status != 200:
            raise SendError(f"GET {url} answered {status}")
        return json.loads(body)

    async def close(self) -> None:
        await self._client.close()


class Waiters:
    """Futures waiting for callbacks, by key; a callback resolves the oldest waiter of its key."""

    def __init__(self) -> None:
        self._waiting: dict[Hashable, deque[asyncio.Future[Message]]] = {}

    def expect(self, key: Hashable) -> asyncio.Future[Message]:
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, deque()).append(future)
        return future

    def resolve(self, key: Hashable, message: Message) -> bool:
        """Hand ``message`` to the oldest waiter of ``key``; False when nobody waits for it."""
        queue = self._waiting.get(key)
        while queue:
            future = queue.popleft()
            if not future.done():
                future.set_result(message)
                if not queue:
                    del self._waiting[key]
                return True
        self._waiting.pop(key, None)
        return False

    def discard(self, key: Hashable, future: asyncio.Future[Message]) -> None:
        queue = self._waiting.get(key)
        if queue is None:
            return
        with contextlib.suppress(ValueError):
            queue.remove(future)
        if not queue:
            del self._waiting[key]

    def __len__(self) -> int:
        return sum(len(queue) for queue in self._waiting.values())
