"""Open a page in headless Chromium over the DevTools protocol and say what it loaded.

Chromium runs with its own profile, on a DevTools port it picks itself (port 0), with every
host name unresolvable and a proxy that goes nowhere, so that a page reaching for the network
fails visibly. The page's console errors, uncaught exceptions, log errors (a failed resource
load is one) and every request's URL are collected; once the page has loaded, each <img> is
asked for its naturalWidth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""


def open_page(binary: str, url: str, timeout_s: float = 60) -> PageReport:
    # Chromium's helper processes can still be writing the profile as the browser exits: they
    # are stopped with it (one process group), and a file they leave does not fail the test.
    with tempfile.TemporaryDirectory(
        prefix="mlperf-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",  # root in CI containers
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=127.0.0.1:9",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port = _devtools_port(Path(profile), process, timeout_s)
            return asyncio.run(asyncio.wait_for(_drive(port, url), timeout_s))
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the browser and every helper process of its group."""
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], timeout_s: float) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode}")
        if marker.is_file():
            lines = marker.read_text().splitlines()
            if lines and lines[0].strip().isdigit():
                return int(lines[0])
        time.sleep(0.1)
    raise RuntimeError("chromium did not open its DevTools port")


async def _drive(port: int, url: str) -> PageReport:
    report = PageReport()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json()
        page = next(t for t in targets if t.get("type") == "page")
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            cdp = _Cdp(ws, report)
            for domain in ("Runtime", "Log", "Network", "Page"):
                await cdp.call(f"{domain}.enable")
            await cdp.call("Page.navigate", {"url": url})
            await cdp.wait_for("Page.loadEventFired")
            result = await cdp.call(
                "Runtime.evaluate",
                {
                    "expression": "JSON.stringify({title: document.title, images: "
                    "Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, "
                    "naturalWidth: i.naturalWidth, scheme: i.src.split(':')[0]}))})",
                    "returnByValue": True,
                },
            )
            page_state = json.loads(result["result"]["value"])
            report.title = page_state["title"]
            report.images = page_state["images"]
            await asyncio.sleep(0.2)  # late console messages
            await cdp.drain()
    return report


class _Cdp:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, report: PageReport) -> None:
        self.ws, self.report, self.next_id = ws, report, 0
        self.events: list[str] = []

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        await self.ws.send_json({"id": ident, "method": method, "params": params or {}})
        while True:
            message = await self._receive()
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def wait_for(self, event: str) -> None:
        while event not in self.events:
            await self._receive()

    async def drain(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._receive(), 0.3)
            except TimeoutError:
                return

    async def _receive(self) -> dict[str, Any]:
        message = await self.ws.receive_json()
        method = message.get("method")
        if method:
            self.events.append(method)
            self._note(method, message.get("params", {}))
        return message

    def _note(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            values = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
            self.report.errors.append("console: " + " ".join(values))
        elif method == "Runtime.exceptionThrown":
            self.report.errors.append("exception: " + json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.report.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            self.report.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            self.report.errors.append(f"network: {params.get('errorText')}")
