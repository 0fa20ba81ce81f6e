"""A lean HTTP/1.1 client with keep-alive connections, for the lab's FSPIOP hops.

Every hop of a transaction is one request from a lab process to another lab process (aiohttp
servers), a dozen per transaction; aiohttp's client spends several times the CPU of the exchange
itself on each, which the posture benchmark on two cores would measure instead of the posture.
This client writes the request in one ``write`` and parses the answer's status line, headers and
``Content-Length`` (or chunked) body; idle connections are kept per origin (one TLS handshake per
connection, not per request) and dropped before the servers' keep-alive timeout (aiohttp's 75 s).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

CONNECT_TIMEOUT_S = 5.0
ANSWER_TIMEOUT_S = 60.0
IDLE_S = 30.0  # below the servers' keep-alive timeout, so a kept connection is still open

Origin = tuple[str, str, int]


class SendError(Exception):
    """No HTTP answer: connection refused, TLS handshake refused, connection lost."""


async def within(future: asyncio.Future[Any], timeout_s: float) -> Any:
    """``await future``, or TimeoutError after ``timeout_s`` (the future is cancelled).

    What ``asyncio.wait_for`` does for a bare future, without the task it wraps it in (Python
    3.11), which costs more than the exchange it guards at a few thousand per second.
    """

    def expire() -> None:
        if not future.done():
            future.set_exception(TimeoutError())

    timer = asyncio.get_running_loop().call_later(timeout_s, expire)
    try:
        return await future
    finally:
        timer.cancel()


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._answer: asyncio.Future[tuple[int, bytes, bool]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._answer is not None and not self._answer.done():
            reason = str(exc) if exc else "the server closed the connection"
            self._answer.set_exception(SendError(reason))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._answer is not None and not self._answer.done():
            answer = _parse(self._buffer)
            if answer is not None:
                self._answer.set_result(answer)

    def exchange(self, request: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        assert self.transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._answer

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _parse(buffer: bytearray) -> tuple[int, bytes, bool] | None:
    """(status, body, keep-alive) of the complete answer at the buffer's start (consumed), or
    None while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    start = end + 4
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body, used = _chunks(buffer, start)
        if body is None:
            return None
    else:
        length = int(fields.get("content-length", "0"))
        if len(buffer) < start + length:
            return None
        body, used = bytes(buffer[start : start + length]), start + length
    del buffer[:used]
    return status, body, fields.get("connection", "").lower() != "close"


def _chunks(buffer: bytearray, at: int) -> tuple[bytes | None, int]:
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None, 0
        size = int(bytes(buffer[at:line_end]).split(b";", 1)[0], 16)
        at = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", at - 2)
            return (bytes(body), trailer_end + 4) if trailer_end >= 0 else (None, 0)
        if len(buffer) < at + size + 2:
            return None, 0
        body += buffer[at : at + size]
        at += size + 2


class Client:
    """Keep-alive connections per origin; one TLS context (the process's identity) for https."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}

    async def request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request; (status, body). SendError when no answer came."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        origin = (scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [f"{method} {target} HTTP/1.1", f"host: {host}:{port}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"content-length: {len(body)}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        connection = self._take(origin) or await self._connect(origin)
        try:
            status, answer, keep = await within(connection.exchange(request), ANSWER_TIMEOUT_S)
        except (SendError, TimeoutError, ValueError, IndexError) as exc:
            connection.close()
            raise SendError(str(exc) or type(exc).__name__) from None
        if keep and not connection.closed:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()
        return status, answer

    def _take(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_S:
                return connection
            connection.close()
        return None

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        tls: Any = None
        if scheme == "https":
            tls = self._ssl or ssl.create_default_context()
        loop = asyncio.get_running_loop()
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    _Connection, host, port, ssl=tls, server_hostname=host if tls else None
                ),
                CONNECT_TIMEOUT_S,
            )
        except (OSError, ssl.SSLError, TimeoutError) as exc:
            raise SendError(str(exc) or type(exc).__name__) from None
        return connection

    async def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
