"""``python -m mojaloop_perf.lab.dfsp --spec JSON``: one DFSP of the networked lab (``hops: http``).

Started by the lab's main process (``mojaloop_perf.lab.net.children``), never by hand. It inherits its
two listening sockets already bound (the spec names their file descriptors) and serves:

- the outbound API (``mojaloop_perf.lab.outbound.Outbound``, unchanged: k6 and seed call it), whose
  switch is a ``SwitchClient`` sending FSPIOP requests to the switch process; plus
  ``GET /lab/ledger``, this DFSP's ledger, which the switch's admin API merges;
- the FSPIOP inbound API (``mojaloop_perf.lab.net.inbound``): the payee role and the callbacks.

It prints ``dfsp ready: <fspId>`` on stdout once serving, stops cleanly on SIGTERM or SIGINT, and
dies with its parent (``PR_SET_PDEATHSIG``, or a watchdog where prctl is not available).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from mojaloop_perf.errors import UserError
from mojaloop_perf.lab.config import Latency
from mojaloop_perf.lab.ledger import Ledger
from mojaloop_perf.lab.net.client import SwitchClient
from mojaloop_perf.lab.net.inbound import Inbound
from mojaloop_perf.lab.net.signing import Jws
from mojaloop_perf.lab.net.tls import client_context, server_context
from mojaloop_perf.lab.net.wire import Sender, Waiters
from mojaloop_perf.lab.outbound import Outbound
from mojaloop_perf.lab.payee import Payee
from mojaloop_perf.lab.posture import parse_security
from mojaloop_perf.lab.server import loop_factory, start_site
from mojaloop_perf.security.pki import Pki

READY = "dfsp ready: "  # mojaloop_perf.lab.net.children waits for it
_PR_SET_PDEATHSIG = 1
EXIT_BAD_SPEC = 2


def _die_with(parent_pid: int) -> bool:
    """Ask the kernel to SIGTERM us when our parent dies; False when it cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)
    return True


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    while os.getppid() == parent_pid:
        await asyncio.sleep(1.0)
    stop.set()


async def serve(spec: dict[str, Any]) -> None:
    fsp_id = spec["fsp_id"]
    security = parse_security(spec["security"])
    pki = Pki(Path(security.pki_dir)) if security.pki_dir else None
    ledger = Ledger()
    jws = Jws(security.jws, pki, fsp_id, spec["peers"])
    client_ssl = None
    if pki is not None and security.edge_tls:
        client_ssl = client_context(pki, fsp_id, present_certificate=security.mutual)
    sender = Sender(client_ssl)
    waiters = Waiters()
    switch = SwitchClient(
        fsp_id,
        spec["switch_url"],
        sender,
        waiters,
        jws,
        timeout_s=spec["timeout_s"],
        ledger=ledger,
    )
    outbound = Outbound(
        fsp_id, switch, latency=Latency(*spec["latency_ms"]), timeout_s=spec["timeout_s"]
    )
    inbound = Inbound(fsp_id, Payee(fsp_id), spec["switch_url"], sender, waiters, jws)

    async def ledger_view(_: web.Request) -> web.Response:
        return web.json_response(ledger.view())

    outbound_app = web.Application()
    outbound_app.router.add_get("/lab/ledger", ledger_view)
    outbound_app.router.add_route("*", "/{tail:.*}", outbound.handle)
    inbound_ssl = None
    if pki is not None and security.inbound_tls:
        clients = "required" if security.mutual else "none"
        inbound_ssl = server_context(pki, fsp_id, clients=clients)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watchdog = None
    if not _die_with(spec["parent_pid"]):
        watchdog = asyncio.create_task(_watch_parent(spec["parent_pid"], stop))
    runners = [
        await start_site(outbound_app, socket.socket(fileno=spec["outbound_fd"]), None),
        await start_site(inbound.app(), socket.socket(fileno=spec["inbound_fd"]), inbound_ssl),
    ]
    try:
        print(f"{READY}{fsp_id}", flush=True)
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the parent stops reading stdout
        await stop.wait()
    finally:
        if watchdog is not None:
            watchdog.cancel()
        for runner in runners:
            await runner.cleanup()
        await inbound.drain()
        await sender.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mojaloop_perf.lab.dfsp")
    parser.add_argument("--spec", required=True, help="what the lab's main process hands over")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve(spec))
    except UserError as exc:
        print(f"lab: {spec.get('fsp_id')}: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_SPEC
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
