"""A lab that records what crosses its outbound APIs, and the contract cases made from that.

``Recorder`` is an aiohttp middleware: every request to a DFSP's outbound API and the lab's
answer are kept as an ``Exchange``. ``LabThread`` serves a lab from a background thread, so a
real k6 process can load it while the test waits. The ``*_case`` functions turn exchanges into
cases for ``sdk.check`` (see sdk_check.js).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mojaloop_perf.lab import Lab, LabConfig, RunningLab, start_lab
from mojaloop_perf.lab.config import DfspConfig
from mojaloop_perf.runner import HttpCall, send_json

OUTBOUND = "/outbound"


@dataclass
class Exchange:
    fsp_id: str
    method: str
    path: str  # after /sim/<fsp>/outbound
    content_type: str
    request_text: str
    headers: dict[str, str]
    status: int
    response_text: str

    @property
    def request(self) -> Any:
        try:
            return json.loads(self.request_text)
        except ValueError:
            return None

    @property
    def response(self) -> Any:
        try:
            return json.loads(self.response_text)
        except ValueError:
            return None


class Recorder:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        response = await handler(request)
        fsp_id, _, path = request.path.removeprefix("/sim/").partition(OUTBOUND)
        body = response.body if isinstance(response, web.Response) else b""
        exchange = Exchange(
            fsp_id,
            request.method,
            path or "/",
            request.headers.get("Content-Type", ""),
            raw.decode("utf-8", errors="replace"),
            {k.lower(): v for k, v in request.headers.items()},
            response.status,
            bytes(body or b"").decode("utf-8", errors="replace"),
        )
        with self._lock:
            self.exchanges.append(exchange)
        return response


def lab_config(fsp_ids: Sequence[str], timeout_s: float = 0.3) -> LabConfig:
    return LabConfig(
        "127.0.0.1", 0, tuple(DfspConfig(f, 0) for f in fsp_ids), "contract", timeout_s=timeout_s
    )


class LabThread:
    """A lab served from its own thread and event loop, for a k6 process to load."""

    def __init__(self, lab: Lab, config: LabConfig, recorder: Recorder) -> None:
        self.lab, self.config, self.recorder = lab, config, recorder
        self.loop = asyncio.new_event_loop()
        self.running: RunningLab | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LabThread:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            start_lab(self.config, self.lab, middlewares=[self.recorder.middleware]), self.loop
        )
        self.running = future.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.running is not None
        asyncio.run_coroutine_threadsafe(self.running.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        assert self.running is not None
        response = send_json(HttpCall(method, self.running.admin_url + path, body, timeout_s=10))
        assert response.status in (200, 201), response.body
        return response.body


# -- cases ------------------------------------------------------------------------------------


def response_case(exchange: Exchange, id_: str) -> dict[str, Any]:
    return {
        "id": id_,
        "kind": "response",
        "method": exchange.method,
        "path": exchange.path,
        "status": exchange.status,
        "body": exchange.response,
    }


def request_case(exchange: Exchange, id_: str) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": id_,
        "kind": "request",
        "method": exchange.method,
        "path": exchange.path,
    }
    if exchange.method in ("POST", "PUT", "PATCH"):
        case["body"] = exchange.request
    return case


def ilp_cases(
    exchanges: Sequence[Exchange],
    secrets: Mapping[str, str],
    sdk_bodies: Sequence[Any],
    prefix: str,
) -> list[dict[str, Any]]:
    """An ``ilp_quote`` case per answered quote and an ``ilp_fulfil`` per committed transfer.

    ``sdk_bodies[i]`` is exchange i's request body as the SDK's validator leaves it (coerced):
    what the payee received.
    """
    cases: list[dict[str, Any]] = []
    for n, exchange in enumerate(exchanges):
        answer = exchange.response
        if exchange.status != 200 or not isinstance(answer, dict):
            continue
        if exchange.path == "/quotes" and "body" in answer.get("quotes", {}):
            cases.append(
                {
                    "id": f"{prefix}{n} quote ILP",
                    "kind": "ilp_quote",
                    "secret": secrets[exchange.request["fspId"]],
                    "quoteRequest": sdk_bodies[n]["quotesPostRequest"],
                    "quoteResponse": answer["quotes"]["body"],
                }
            )
        if exchange.path == "/simpleTransfers":
            result = answer["transfer"]["body"]
            if result.get("transferState") == "COMMITTED":
                transfer = exchange.request["transfersPostRequest"]
                cases.append(
                    {
                        "id": f"{prefix}{n} fulfilment",
                        "kind": "ilp_fulfil",
                        "secret": secrets[exchange.request["fspId"]],
                        "ilpPacket": transfer["ilpPacket"],
                        "condition": transfer["condition"],
                        "fulfilment": result["fulfilment"],
                    }
                )
    return cases
